--- kickoff.sandbox: launch the vendor emulator as a child process.
--
--    local sandbox = require("kickoff.sandbox")
--    local sb = assert(sandbox.start{ tls = false, seed = 1, config = {...} })
--    sb.url, sb.urls.domo, sb.admin_url, sb.ca_file, sb.credentials, sb.pid
--    sb:journal(vendor) sb:state() sb:reset() sb:configure(t) sb:fault(spec)
--    sb:clear_journal() sb:clear_faults() sb:stop()
--
-- start() returns nil, err on failure; the methods raise, since a broken
-- sandbox in a test setup must not fail silently.
--
-- The child is `lua5.4` (or $KICKOFF_LUA) running kickoff.sandbox.server,
-- with this process's package.path/cpath. Its stdin is a pipe from us
-- (io.popen "w"): when we close it, or die, the child sees EOF and exits.
-- This module talks to the admin port with a tiny blocking HTTP/1.1 client
-- so it does not need kickoff's C module.
-- @module kickoff.sandbox
local cqueues = require("cqueues")
local socket = require("cqueues.socket")
local json = require("kickoff.sandbox.json")
local util = require("kickoff.sandbox.util")

local M = {}

local START_TIMEOUT = 10 -- seconds to wait for the child's ready file
local ADMIN_TIMEOUT = 10 -- seconds per admin request

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", [['\'']]) .. "'"
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function return_errors(_, _, err)
  return err
end

--- One blocking HTTP request to the admin listener (Connection: close).
-- Returns status, decoded body (or raw text), or nil and an error.
local function admin_request(admin_url, method, path, body, timeout)
  timeout = timeout or ADMIN_TIMEOUT
  local host, port = admin_url:match("^http://([^:/]+):(%d+)")
  local sock = socket.connect({ host = host, port = tonumber(port) })
  sock:onerror(return_errors)
  sock:setmode("b", "bf")
  sock:settimeout(timeout)
  local ok, err = sock:connect(timeout)
  if not ok then
    sock:close()
    return nil, "connect: " .. tostring(err)
  end
  body = body and json.encode(body) or ""
  sock:write(string.format(
    "%s %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\nContent-Type: application/json\r\n"
      .. "Content-Length: %d\r\n\r\n%s", method, path, host, port, #body, body))
  ok, err = sock:flush()
  if not ok then
    sock:close()
    return nil, "write: " .. tostring(err)
  end
  local line = sock:read("*l")
  local status = line and tonumber(line:match("^HTTP/%d%.%d (%d%d%d)"))
  if not status then
    sock:close()
    return nil, "bad or missing status line"
  end
  local length
  while true do
    local h = sock:read("*l")
    if not h or h == "\r" or h == "" then break end
    local v = h:match("^[Cc]ontent%-[Ll]ength:%s*(%d+)")
    if v then length = tonumber(v) end
  end
  local text = length and (length > 0 and sock:read(length) or "") or sock:read("*a")
  sock:close()
  if not text then return nil, "short read" end
  local decoded = json.decode(text)
  if decoded == nil then return status, text end
  return status, decoded
end

local Sandbox = {}
Sandbox.__index = Sandbox

--- An admin API call (kickoff.sandbox.admin lists the routes); raises on failure.
-- @tparam string method "GET", "POST" or "DELETE"
-- @tparam string path e.g. "/__admin/state"
-- @param[opt] body a table sent as JSON
-- @return the decoded body
function Sandbox:admin(method, path, body)
  if self._stopped then error("kickoff.sandbox: sandbox is stopped", 3) end
  local status, res = admin_request(self.admin_url, method, path, body)
  if not status then error("kickoff.sandbox: admin " .. path .. ": " .. tostring(res), 3) end
  if status ~= 200 then
    local msg = type(res) == "table" and res.message or tostring(res)
    error(string.format("kickoff.sandbox: admin %s %s -> %d: %s", method, path, status, msg), 3)
  end
  return res
end

--- Recorded requests (all vendors if vendor is nil), oldest first.
-- @tparam[opt] string vendor "domo", "zuora", "campaigns" or "captaindata"
-- @return list of {vendor, method, path, headers, body, json, ...}
function Sandbox:journal(vendor)
  local path = "/__admin/journal"
  if vendor then path = path .. "?vendor=" .. vendor end
  return self:admin("GET", path)
end

--- Forget the recorded requests (runs, tokens and faults stay).
function Sandbox:clear_journal()
  self:admin("DELETE", "/__admin/journal")
end

--- Seeds, runs/jobs/instances/sent emails, fault counters, config.
-- @treturn table
function Sandbox:state()
  return self:admin("GET", "/__admin/state")
end

--- Clear journal, runs, tokens, idempotency keys and faults; restore the
-- config given to start() (over the built-in defaults).
function Sandbox:reset()
  self:admin("POST", "/__admin/reset")
end

--- Deep-merge tbl into the config (objects merge, arrays and scalars replace).
-- @tparam table tbl per vendor: token lifetime, run timings, final
-- statuses, page size (the defaults are at the top of each emulator)
-- @return the decoded admin reply
function Sandbox:configure(tbl)
  return self:admin("POST", "/__admin/config", tbl)
end

--- Add a fault rule (see kickoff.sandbox.faults). Returns its id.
-- @tparam table spec vendor, method, path or path_pattern, times, after,
-- probability, when ("before" or "after": act on the request, then break
-- the reply), action = one of status = N (with body, headers), reset,
-- empty, truncate, malformed_json, stall = seconds, tls_fail; plus an
-- optional latency (seconds or {dist = "uniform"|"lognormal"|"fixed", ...})
-- @treturn integer the rule's id
function Sandbox:fault(spec)
  return self:admin("POST", "/__admin/faults", spec).id
end

--- Remove every fault rule.
function Sandbox:clear_faults()
  self:admin("DELETE", "/__admin/faults")
end

local function cleanup_files(base)
  for _, suffix in ipairs({ "", ".log", ".exit", ".ca.pem" }) do os.remove(base .. suffix) end
end

--- Stop the server; when this returns the process is gone. Idempotent.
function Sandbox:stop()
  if self._stopped then return end
  self._stopped = true
  -- Ask politely; closing the pipe below is the fallback (EOF on stdin).
  pcall(admin_request, self.admin_url, "POST", "/__admin/shutdown", nil, 2)
  pcall(self._proc.close, self._proc) -- waits for the child to exit
  cleanup_files(self._base)
end

Sandbox.__gc = Sandbox.stop
Sandbox.__close = Sandbox.stop

local function child_command(base)
  local lua = os.getenv("KICKOFF_LUA") or "lua5.4"
  local code = string.format("require('kickoff.sandbox.server').main(%q)", base)
  -- The shell stays as the parent so it can record the exit status, which
  -- lets start() tell "died during start-up" from "still starting". After an
  -- orderly exit the server has removed `base`, and no status is written.
  return string.format("LUA_PATH_5_4=%s LUA_CPATH_5_4=%s %s -e %s >%s 2>&1; st=$?; [ -e %s ] && echo $st >%s",
    shell_quote(package.path), shell_quote(package.cpath), lua, shell_quote(code),
    shell_quote(base .. ".log"), shell_quote(base), shell_quote(base .. ".exit"))
end

--- Start a sandbox. opts: tls (bool), seed (int), config (table, deep-merged
-- over the defaults), credentials (table), port, admin_port (0 = any).
-- Returns the sandbox handle, or nil and an error message.
-- @tparam[opt] table opts tls, seed, config, credentials, port, admin_port
-- @return Sandbox (url, urls.{domo,zuora,campaigns,captaindata}, admin_url,
-- ca_file, credentials, pid, port, admin_port, tls), or nil, message
function M.start(opts)
  opts = opts or {}
  local base = os.tmpname() -- created 0600: options may hold credentials
  local parent_pid, parent_start = util.getpid()
  local f = assert(io.open(base, "w"))
  f:write(json.encode({
    parent_pid = parent_pid, parent_start = parent_start,
    tls = opts.tls and true or false, seed = opts.seed, config = opts.config or {},
    credentials = opts.credentials or {}, port = opts.port or 0, admin_port = opts.admin_port or 0,
  }))
  f:close()

  local proc, perr = io.popen(child_command(base), "w")
  if not proc then
    cleanup_files(base)
    return nil, "kickoff.sandbox: cannot spawn server: " .. tostring(perr)
  end

  local info
  local deadline = cqueues.monotime() + START_TIMEOUT
  while true do
    local v = json.decode(read_file(base) or "")
    if type(v) == "table" and v.ready then
      info = v
      break
    end
    local exited = read_file(base .. ".exit")
    if exited or cqueues.monotime() > deadline then
      proc:close()
      local log = (read_file(base .. ".log") or ""):gsub("%s+$", "")
      cleanup_files(base)
      local why = exited and ("server exited with status " .. exited:gsub("%s+", ""))
        or ("server not ready after " .. START_TIMEOUT .. " s")
      return nil, "kickoff.sandbox: " .. why .. (log ~= "" and (":\n" .. log) or "")
    end
    cqueues.sleep(0.01)
  end

  local self = setmetatable({
    url = info.url, admin_url = info.admin_url, ca_file = info.ca_file, pid = info.pid,
    port = info.port, admin_port = info.admin_port, credentials = info.credentials,
    urls = info.urls, tls = opts.tls and true or false, _proc = proc, _base = base,
  }, Sandbox)
  return self
end

return M
