-- `make demo`: start the sandbox, run the example scripts against it through
-- the public API, print a summary table, stop the sandbox.
local sandbox = require("kickoff.sandbox")
local core = require("kickoff.core")

local sb = assert(sandbox.start { tls = true })
print("sandbox listening at " .. sb.url .. " (TLS, private CA " .. sb.ca_file .. ")")

-- the examples read their settings from the environment; point them at the
-- sandbox by answering os.getenv with what `kickoff sandbox` would export
local env = {}
for _, kv in ipairs(require("kickoff.cli.sandbox").environment(sb)) do env[kv[1]] = kv[2] end
local real_getenv = os.getenv
os.getenv = function(name) -- luacheck: ignore 122
  if env[name] ~= nil then return env[name] end
  return real_getenv(name)
end

local examples = {
  { vendor = "domo", script = "examples/quickstart.lua" },
  { vendor = "zuora", script = "examples/zuora.lua" },
  { vendor = "campaigns", script = "examples/campaigns.lua" },
  { vendor = "captaindata", script = "examples/captaindata.lua" },
}

local rows, failed = {}, 0
for _, ex in ipairs(examples) do
  print(("\n== %s (%s)"):format(ex.vendor, ex.script))
  local started = core.monotime()
  -- each example sees no command-line arguments, as when run by hand
  local saved_arg = arg
  arg = {} -- luacheck: ignore 121
  local ok, run = pcall(dofile, ex.script)
  arg = saved_arg -- luacheck: ignore 121
  local elapsed = core.monotime() - started
  if not ok then failed = failed + 1 end
  rows[#rows + 1] = {
    ex.vendor, ok and tostring(run.id) or "-", ok and (run.status .. " (" .. tostring(run.vendor_status) .. ")") or ("error: " .. tostring(run)),
    string.format("%.2f s", elapsed),
  }
end
os.getenv = real_getenv -- luacheck: ignore 122
sb:stop()

print("\nvendor        id                                     final status                time")
print(string.rep("-", 92))
for _, r in ipairs(rows) do
  print(string.format("%-13s %-38s %-27s %s", r[1], r[2], r[3], r[4]))
end
print(failed == 0 and "\nall launches succeeded; sandbox stopped" or ("\n" .. failed .. " example(s) failed"))
os.exit(failed == 0 and 0 or 1)
