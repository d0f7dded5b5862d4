--- `kickoff sandbox`: run the vendor emulator (kickoff.sandbox) in the
-- foreground, print its URLs and the `export` lines that point `kickoff` at
-- it, and stop it on Ctrl-C or SIGTERM.
-- @module kickoff.cli.sandbox
local config = require("kickoff.cli.config")
local output = require("kickoff.cli.output")

local M = {}

-- The sandbox accepts any Domo instance host in a Campaigns body.
local CAMPAIGNS_INSTANCE = "sandbox.domo.com"

--- name -> value lines that point kickoff at a running sandbox.
function M.environment(sb)
  local env = {}
  local function set(vendor, option, value)
    env[#env + 1] = { config.setting(vendor, option).env[1], value }
  end
  for _, vendor in ipairs(config.vendors) do
    set(vendor, "base_url", sb.urls[vendor])
    -- the sandbox names each credential <vendor>_<client option>
    local options = {}
    for name in pairs(sb.credentials) do
      options[#options + 1] = name:match("^" .. vendor .. "_(.+)$")
    end
    table.sort(options)
    for _, option in ipairs(options) do set(vendor, option, sb.credentials[vendor .. "_" .. option]) end
    if vendor == "campaigns" then set(vendor, "instance", CAMPAIGNS_INSTANCE) end
  end
  if sb.ca_file then env[#env + 1] = { config.setting("domo", "ca_file").env[1], sb.ca_file } end
  return env
end

--- Start, print, serve until a signal. opts: tls, port, seed, json.
-- @return exit status
function M.run(opts, out, errout)
  local sandbox = require("kickoff.sandbox")
  local signal = require("cqueues.signal")
  local sb, err = sandbox.start { tls = opts.tls, port = opts.port, seed = opts.seed }
  if not sb then
    errout:write("kickoff: ", output.one_line(err), "\n")
    return output.FAILED
  end
  -- block first, so a signal arriving now is queued for the listener
  signal.block(signal.SIGINT, signal.SIGTERM)
  local env = M.environment(sb)
  if opts.json then
    local vars = {}
    for _, kv in ipairs(env) do vars[kv[1]] = kv[2] end
    out:write(output.encode({ url = sb.url, urls = sb.urls, ca_file = sb.ca_file, pid = sb.pid, env = vars }), "\n")
  else
    local lines = { string.format("kickoff sandbox on %s (pid %s); Ctrl-C or SIGTERM stops it", sb.url, tostring(sb.pid)) }
    for _, vendor in ipairs(config.vendors) do lines[#lines + 1] = string.format("  %-12s %s", vendor, sb.urls[vendor]) end
    if sb.ca_file then lines[#lines + 1] = string.format("  %-12s %s", "CA file", sb.ca_file) end
    lines[#lines + 1] = "# point kickoff at it (sandbox credentials, not secrets):"
    for _, kv in ipairs(env) do lines[#lines + 1] = "export " .. kv[1] .. "=" .. output.shell_quote(kv[2]) end
    out:write(table.concat(lines, "\n"), "\n")
  end
  out:flush()
  local listener = signal.listen(signal.SIGINT, signal.SIGTERM)
  listener:wait()
  sb:stop()
  signal.unblock(signal.SIGINT, signal.SIGTERM)
  return output.OK
end

return M
