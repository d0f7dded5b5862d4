--- The sandbox server: one cqueues loop, a vendor listener (http or https)
-- routing by path prefix (/domo, /zuora, /campaigns, /captaindata) and a
-- plain-http admin listener, both on 127.0.0.1 only.
--
-- Per vendor request: journal -> fault rules -> vendor admit (auth, rate
-- limit, idempotency) -> latency -> either a "before" fault, or the vendor
-- handler -> vendor headers -> settle (store idempotent reply) -> "after" fault.
local cqueues = require("cqueues")
local socket = require("cqueues.socket")

local admin = require("kickoff.sandbox.admin")
local faults = require("kickoff.sandbox.faults")
local gzip = require("kickoff.sandbox.gzip")
local http = require("kickoff.sandbox.http")
local json = require("kickoff.sandbox.json")
local router = require("kickoff.sandbox.router")
local tls = require("kickoff.sandbox.tls")
local util = require("kickoff.sandbox.util")

local M = {}

M.VENDORS = { "domo", "zuora", "campaigns", "captaindata" }

--- Sandbox credentials (fake; override with start{credentials=...}).
-- Named <vendor>_<client option> (kickoff sandbox prints the settings from
-- these names).
M.DEFAULT_CREDENTIALS = {
  domo_token = "sandbox-domo-developer-token",
  zuora_client_id = "sandbox-zuora-client-id",
  zuora_client_secret = "sandbox-zuora-client-secret",
  campaigns_token = "sandbox-campaigns-access-token",
  campaigns_owner_email = "owner@example.com",
  captaindata_api_key = "sandbox-captaindata-api-key",
  captaindata_project_id = "7d0b3c52-1f4e-4a8b-9c6d-2e5f8a1b3c4d",
}

local IDLE_TIMEOUT = 30      -- seconds a connection may sit idle
local HANDSHAKE_TIMEOUT = 10 -- seconds for a TLS handshake
local JOURNAL_LIMIT = 10000  -- entries kept (oldest dropped)

local DEBUG = os.getenv("KICKOFF_SANDBOX_DEBUG") == "1"

local function debug(...)
  if DEBUG then io.stderr:write("[kickoff.sandbox] ", string.format(...), "\n") end
end

-- cqueues raises on some socket errors by default; we want return values.
local function return_errors(_, _, err)
  return err
end

local Server = {}
Server.__index = Server

--- Create a server (not yet listening).
-- opts: tls, seed, config, credentials, port, admin_port.
function M.new(opts)
  opts = opts or {}
  local self = setmetatable({}, Server)
  self.opts = opts
  self.seed = math.tointeger(opts.seed) or os.time()
  self.credentials = util.copy(M.DEFAULT_CREDENTIALS)
  for k, v in pairs(opts.credentials or {}) do self.credentials[k] = v end

  self.vendor_modules = {}
  local defaults = { journal_limit = JOURNAL_LIMIT }
  for _, name in ipairs(M.VENDORS) do
    local mod = require("kickoff.sandbox." .. name)
    self.vendor_modules[name] = mod
    defaults[name] = util.copy(mod.defaults)
  end
  -- "Defaults" for reset() are the built-ins plus what start() was given.
  self.defaults = util.merge(defaults, opts.config or {}, json.is_array)

  self.env = { credentials = self.credentials }
  self.faults = faults.new(self.seed)
  self.vendors = {}
  self:reset_state()
  for _, name in ipairs(M.VENDORS) do
    self.vendors[name] = self.vendor_modules[name].new(self.env)
  end
  if opts.tls then self.tls = tls.generate() end
  return self
end

-- Journal, config, randomness and faults back to their start values
-- (vendor state is reset by reset()).
function Server:reset_state()
  self.journal, self.seq = {}, 0
  self.config = util.copy(self.defaults)
  self.env.config = self.config
  math.randomseed(self.seed)
  self.faults:clear()
  self.faults:reseed(self.seed)
end

function Server:reset()
  self:reset_state()
  for _, v in pairs(self.vendors) do v:reset() end
end

--- Deep-merge tbl into the live config; vendors may react (e.g. revoke tokens).
function Server:configure(tbl)
  util.merge(self.config, tbl, json.is_array)
  for _, v in pairs(self.vendors) do
    if v.configured then v:configured() end
  end
end

function Server:state()
  local out = {
    seeds = {}, faults = json.array(self.faults:list()), config = self.config, journal_size = #self.journal,
  }
  for name, v in pairs(self.vendors) do
    out.seeds[name] = v:seeds()
    out[name] = v:state()
  end
  out.seeds.credentials = self.credentials
  return out
end

-- Journal -----------------------------------------------------------------

function Server:record(vendor, req)
  self.seq = self.seq + 1
  local text = req:text()
  local entry = {
    seq = self.seq, vendor = vendor, method = req.method, path = req.path, query = req.query,
    headers = req:header_map(), body = req.body, time = util.now(),
    json = text and text ~= "" and json.decode(text) or nil, -- no decode attempt for a bodiless GET
  }
  if not utf8.len(req.body) then
    -- Binary bodies (gzip) cannot travel in a JSON string: add exact bytes.
    entry.body_base64 = util.base64(req.body)
  end
  local limit = math.tointeger(self.config.journal_limit) or JOURNAL_LIMIT
  self.journal[#self.journal + 1] = entry
  if #self.journal > limit then table.remove(self.journal, 1) end
  return entry
end

function Server:journal_list(vendor)
  local out = json.array()
  for _, e in ipairs(self.journal) do
    if vendor == nil or e.vendor == vendor then out[#out + 1] = e end
  end
  return out
end

-- Requests ----------------------------------------------------------------

-- Body after Content-Encoding (gzip is inflated); nil if it cannot be decoded.
local function req_text(req)
  if req._text == nil then
    local enc = (req:header("content-encoding") or "identity"):lower()
    if enc == "gzip" or enc == "x-gzip" then
      req._text = gzip.gunzip(req.body, http.limits.body) or false
    elseif enc == "identity" then
      req._text = req.body
    else
      req._text = false
    end
  end
  return req._text or nil
end

local function base_url(self, req, vendor)
  local host = req:header("host")
  if not host or not host:match("^[%w%.%-]+:?%d*$") and not host:match("^%[[%x:]+%]:?%d*$") then
    host = "127.0.0.1:" .. self.port
  end
  return (self.tls and "https" or "http") .. "://" .. host .. "/" .. vendor
end

local function internal_error(err)
  io.stderr:write("[kickoff.sandbox] internal error: ", tostring(err), "\n")
  return http.json(500, { message = "sandbox internal error", error = tostring(err) })
end

local function route(vendor, req)
  local handler, caps, allow = router.match(vendor.routes, req.method, req.path)
  if handler then return handler(vendor, req, caps) end
  if caps == 405 then
    return http.json(405, { message = "Method " .. req.method .. " not allowed" }, { { "Allow", allow } })
  end
  return http.json(404, { message = "No such route: " .. req.method .. " " .. req.path })
end

-- Fault replies -----------------------------------------------------------

local function hard_close(sock, reset)
  if reset then
    -- SO_LINGER 0 makes close() send RST. cqueues has no setter for it, so
    -- borrow LuaSocket's on the same descriptor when it is installed.
    local ok, ls = pcall(require, "socket")
    if ok and ls.tcp then
      local t = ls.tcp()
      t:close()
      t:setfd(sock:pollfd())
      t:setoption("linger", { on = true, timeout = 0 })
      t:setfd(-1) -- hand the descriptor back; cqueues closes it
    end
  end
  sock:close()
end

-- A stand-in reply when a body-cutting fault fires before the request acts.
local function placeholder(name)
  return http.json(200, { sandbox_fault = name, message = "reply cut short by a sandbox fault; nothing was done" })
end

-- Apply a terminal fault. Returns a response to send normally, or nil when
-- the fault took over (and closed) the connection.
local function apply_fault(sock, req, vendor, plan, res)
  local a, name = plan.action, plan.name
  if name == "status" then
    local body, ctype = a.body, "application/json"
    if type(body) == "table" then
      body = json.encode(body)
    elseif body == nil then
      body = json.encode({ message = http.reason(a.status) })
    else
      ctype = "text/plain"
    end
    local fres = http.response(a.status, body)
    for k, v in pairs(a.headers or {}) do
      if type(k) == "number" then http.set_header(fres, v[1], v[2]) else http.set_header(fres, k, v) end
    end
    if not http.get_header(fres, "content-type") then http.set_header(fres, "Content-Type", ctype) end
    if vendor.decorate then vendor:decorate(req, fres) end
    return fres
  elseif name == "reset" or name == "empty" then
    hard_close(sock, name == "reset")
    return nil
  elseif name == "malformed_json" then
    local fres = http.response(200, '{"kickoff_sandbox": "malformed json", "cut": tr', "application/json")
    if vendor.decorate then vendor:decorate(req, fres) end
    return fres
  elseif name == "truncate" or name == "stall" then
    res = res or placeholder(name)
    local body = res.body or ""
    -- An empty body cannot be cut: announce bytes that never come.
    local announced = #body > 1 and #body or #body + 16
    local part = body:sub(1, #body // 2)
    sock:write(http.head_bytes(res, announced) .. part)
    sock:flush()
    if name == "stall" then cqueues.sleep(a.stall) end
    sock:close()
    return nil
  end
  return internal_error("unknown fault " .. tostring(name))
end

-- Vendor pipeline ---------------------------------------------------------

function Server:vendor_request(sock, req)
  local prefix, rest = req.path:match("^/([%w_]+)(/.*)$")
  local vendor = prefix and self.vendors[prefix]
  if not vendor then
    return http.json(404, { message = "Unknown vendor prefix; use /domo, /zuora, /campaigns or /captaindata" })
  end
  req.vendor, req.path, req.base_url = prefix, rest, base_url(self, req, prefix)

  local entry = self:record(prefix, req)
  local plan = self.faults:match(prefix, req.method, req.path)
  if plan then entry.fault = plan.name or "latency" end

  local early = vendor.admit and vendor:admit(req)
  if plan and plan.latency and plan.latency > 0 then cqueues.sleep(plan.latency) end
  if plan and plan.name and plan.when == "before" then
    if vendor.settle then vendor:settle(req, nil) end
    local fres = apply_fault(sock, req, vendor, plan, nil)
    entry.status = fres and fres.status -- what the client got (nil: connection cut)
    return fres
  end

  local res = early
  if not res then
    local ok, r = pcall(route, vendor, req)
    res = ok and r or internal_error(r)
  end
  if vendor.decorate then vendor:decorate(req, res) end
  -- Settle after decorate so a stored idempotent reply keeps its headers.
  if not early and vendor.settle then vendor:settle(req, res) end
  if plan and plan.name then
    entry.handled_status = res.status -- what the vendor did, before the fault
    res = apply_fault(sock, req, vendor, plan, res)
  end
  entry.status = res and res.status -- what the client got (nil: connection cut)
  return res
end

-- Connections -------------------------------------------------------------

-- Abort a TLS handshake the way a failing server does: read the
-- ClientHello, answer with a fatal alert, close.
function Server:fail_handshake(sock, plan)
  self.seq = self.seq + 1
  self.journal[#self.journal + 1] = { seq = self.seq, fault = plan.name, time = util.now() }
  sock:settimeout(2)
  local head = sock:read(5)
  if head and #head == 5 then
    local len = string.unpack(">I2", head, 4)
    sock:read(len)
  end
  sock:write(tls.HANDSHAKE_FAILURE_ALERT)
  sock:flush()
  sock:close()
end

function Server:serve(sock, kind)
  sock:onerror(return_errors)
  sock:setmode("b", "bf")
  if kind == "vendor" and self.tls then
    local plan = self.faults:match_tls()
    if plan then return self:fail_handshake(sock, plan) end
    sock:settimeout(HANDSHAKE_TIMEOUT)
    local ok = sock:starttls(self.tls.context, HANDSHAKE_TIMEOUT)
    if not ok then return sock:close() end
  end
  sock:settimeout(IDLE_TIMEOUT)
  while true do
    local req, status, message = http.read_request(sock)
    if not req then
      if status then
        http.write_response(sock, http.json(status, { message = message }), false)
        -- Lingering close: closing with unread input would send RST and
        -- could destroy the error reply before the client reads it.
        sock:shutdown("w")
        sock:settimeout(1)
        local drained = 0
        repeat
          local chunk = sock:read(-4096)
          drained = drained + (chunk and #chunk or 0)
        until not chunk or drained > 1024 * 1024
      end
      break
    end
    req.text = req_text
    local res
    if kind == "admin" then
      local ok, r = pcall(admin.handle, self, req)
      res = ok and r or internal_error(r)
    else
      res = self:vendor_request(sock, req)
    end
    if not res then
      debug("%s %s -> fault (connection closed)", req.method, req.target)
      return
    end
    res.head_only = req.method == "HEAD"
    debug("%s %s -> %d", req.method, req.target, res.status)
    local keep = req.keep_alive and not res.close
    local written = http.write_response(sock, res, keep)
    if res.after_send then res.after_send() end
    if not written or not keep then break end
  end
  sock:close()
end

local function listen_on(port)
  local srv = socket.listen({ host = "127.0.0.1", port = port or 0, reuseaddr = true, nodelay = true })
  srv:onerror(return_errors)
  local ok, err = srv:listen()
  if not ok then return nil, err end
  local _, _, bound = srv:localname()
  return srv, bound
end

function Server:accept_loop(srv, kind)
  while true do -- until Server:exit ends the process
    local conn = srv:accept()
    if conn then
      self.cq:wrap(function() self:serve(conn, kind) end)
    else
      cqueues.sleep(0.05) -- e.g. EMFILE: back off instead of spinning
    end
  end
end

--- Bind both listeners. Returns info { port, admin_port, url, admin_url }.
function Server:bind()
  self.cq = cqueues.new()
  local err
  self.listener, self.port = listen_on(self.opts.port)
  if not self.listener then return nil, "vendor listener: " .. tostring(self.port) end
  self.admin_listener, self.admin_port = listen_on(self.opts.admin_port)
  if not self.admin_listener then
    err = "admin listener: " .. tostring(self.admin_port)
    self.listener:close()
    return nil, err
  end
  local scheme = self.tls and "https" or "http"
  self.url = string.format("%s://127.0.0.1:%d", scheme, self.port)
  self.admin_url = string.format("http://127.0.0.1:%d", self.admin_port)
  self.cq:wrap(function() self:accept_loop(self.listener, "vendor") end)
  self.cq:wrap(function() self:accept_loop(self.admin_listener, "admin") end)
  return { port = self.port, admin_port = self.admin_port, url = self.url, admin_url = self.admin_url }
end

--- Write the CA certificate (tls mode) to path; remembered for cleanup.
function Server:write_ca(path)
  if not self.tls then return nil end
  local f = assert(io.open(path, "w"))
  f:write(self.tls.ca_pem)
  f:close()
  self.ca_file = path
  return path
end

--- Exit the process after cleanup (admin shutdown, stdin EOF, signals).
function Server:exit(code)
  if self.ca_file then os.remove(self.ca_file) end
  if self.on_exit then self.on_exit() end
  io.stderr:flush()
  os.exit(code or 0)
end

--- Exit when fd 0 reaches EOF: the launching process closed its end of the
-- pipe (stop() or its own death), so no sandbox outlives its parent.
function Server:watch_stdin()
  self.cq:wrap(function()
    local stdin = socket.fdopen(0)
    stdin:onerror(return_errors)
    stdin:setmode("b", "b")
    while true do
      local data = stdin:read(512)
      if not data then break end
    end
    self:exit(0)
  end)
end

--- Exit when the launching process is gone. Backs up watch_stdin: a child
-- of the launcher (os.execute, io.popen) may inherit the pipe's write end
-- and keep stdin open after the launcher died.
function Server:watch_parent(pid, start)
  self.cq:wrap(function()
    while util.alive(pid, start) do cqueues.sleep(1) end
    self:exit(0)
  end)
end

--- Run the event loop until exit.
function Server:loop()
  while true do
    local ok, err = self.cq:loop()
    if ok then break end
    -- A bug in one connection must not take the whole sandbox down.
    io.stderr:write("[kickoff.sandbox] loop error: ", tostring(err), "\n")
  end
end

-- Child-process entry (used by kickoff.sandbox.start) ----------------------

--- Read options from base_path (JSON written by the launcher), start, write
-- the ready info back into the same file, then serve until told to stop.
function M.main(base_path)
  local f = assert(io.open(base_path, "r"))
  local opts = assert(json.decode(f:read("a")))
  f:close()
  local server = M.new(opts)
  local info = assert(server:bind())
  info.ca_file = server:write_ca(base_path .. ".ca.pem")
  info.pid = util.getpid()
  info.credentials = server.credentials
  info.urls = {}
  for _, vendor in ipairs(M.VENDORS) do info.urls[vendor] = info.url .. "/" .. vendor end
  info.ready = true
  -- On any orderly exit remove the launcher's files too, in case it died;
  -- the launcher's shell then also skips writing the ".exit" file.
  server.on_exit = function()
    for _, suffix in ipairs({ "", ".log" }) do os.remove(base_path .. suffix) end
  end
  server:watch_stdin()
  if opts.parent_pid then server:watch_parent(opts.parent_pid, opts.parent_start) end
  f = assert(io.open(base_path, "w"))
  f:write(json.encode(info))
  f:close()
  server:loop()
  server:exit(0)
end

return M
