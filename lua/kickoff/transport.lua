--- The one request path every verb of every vendor goes through: submit to
-- the engine, then yield (inside a kickoff scheduler) or step until done
-- (outside one), then turn the C result into a response or a kickoff.Error.
-- @module kickoff.transport
local core = require("kickoff.core")
local Error = require("kickoff.error")
local json = require("kickoff.json")

local M = {}

--- The C vendor table (names, hosts, headers; never a secret), read once.
M.vendors = core.vendors()

local engine
local owners = setmetatable({}, { __mode = "v" }) -- core client id -> Lua client

--- The process-wide engine (one connection pool), created on first use.
function M.engine()
  if not engine then engine = core.engine() end
  return engine
end

-- Set by kickoff.scheduler: the scheduler of the running task, if any.
M.current_scheduler = function() return nil end

local common_options = {
  base_url = "string", timeout = "number", connect_timeout = "number",
  deadline = "number", retries = "number", ca_file = "string", ca_path = "string",
  proxy = "string", user_agent = "string", trace = "function",
  backoff_base = "number", backoff_cap = "number", retry_after_cap = "number",
  retry_budget = "number", rate = "number", rate_burst = "number", dry_run = "function",
}

-- The C core reports refusals as "field: rule"; keep both parts.
local function validation_from_message(vendor, msg)
  local field, rule = msg:match("^([%w_ %-]+): (.*)$")
  return Error.validation(vendor, field, rule or msg)
end
--- Check a constructor's options: wrong types raise (programming errors).
-- @param name constructor name for messages
-- @param opts the user's table
-- @param own vendor-specific option types
-- @return a plain copy of the options (exactly what pairs showed)
function M.check_options(name, opts, own)
  if type(opts) ~= "table" then
    error(string.format("bad argument #1 to '%s' (table expected, got %s)", name, type(opts)), 3)
  end
  -- a copy, as pairs shows the options: a proxy table cannot answer
  -- differently later
  local copy = {}
  for k, v in pairs(opts) do
    local want = own[k] or common_options[k]
    if not want then
      error(string.format("%s: unknown option '%s'", name, tostring(k)), 3)
    end
    if type(v) ~= want then
      error(string.format("%s: bad option '%s' (%s expected, got %s)", name, k, want, type(v)), 3)
    end
    copy[k] = v
  end
  return copy
end

--- A client class: `close` and `__tostring` shared by every vendor.
-- @param name e.g. "kickoff.domo"
function M.client_class(name)
  local class = { __name = name }
  class.__index = class
  --- Release the connection state now instead of at garbage collection.
  function class:close()
    if self.core then self.core:close() end
  end
  function class:__tostring()
    return name .. "(" .. self.base_url .. ")"
  end
  return class
end

--- Create the C client for a Lua client object. The owner's base_url and
-- request_id_header come from the C vendor table, so they are stated once.
-- @param owner the Lua client (gets .core; its .trace receives events)
-- @param spec table for core.client (vendor, secret, ...)
-- @param opts the user's options (common ones are copied)
-- @return owner, or nil, Error
function M.attach(owner, spec, opts)
  for k in pairs(common_options) do
    if spec[k] == nil and k ~= "trace" and k ~= "dry_run" then spec[k] = opts[k] end
  end
  spec.trace = opts.trace ~= nil
  local client, msg = core.client(M.engine(), spec)
  if not client then
    -- the core names the base URL "url" and the user agent by its header;
    -- the user's options are base_url and user_agent
    msg = msg:gsub("^url: ", "base_url: "):gsub("^header User%-Agent: ", "user_agent: ")
    return nil, validation_from_message(spec.vendor, msg)
  end
  local info = client:info()
  local header = M.vendors[spec.vendor].request_id_header
  owner.core, owner.trace = client, opts.trace
  owner.dry_run = opts.dry_run
  owner.base_url = info.base_url
  owner.request_id_header = header and header:lower()
  owners[info.id] = owner
  return owner
end

--- Deliver queued trace events to their clients' trace functions. A
-- failing trace function cannot break a request: its error is dropped.
function M.dispatch_events()
  local events = engine and engine:events()
  if not events then return end
  for _, ev in ipairs(events) do
    local owner = owners[ev.client]
    if owner and owner.trace then
      pcall(owner.trace, { type = ev.type, text = ev.text, vendor = owner.vendor })
    end
  end
end

local on_done = {} -- transfer id -> function called once it completes
local on_done_count = 0

--- Call `fn` (which must not block or yield) once `transfer` completes,
-- from whichever loop steps the engine.
function M.on_completion(transfer, fn)
  on_done[transfer:id()] = { transfer = transfer, fn = fn }
  on_done_count = on_done_count + 1
end

local function notify(id)
  local entry = on_done[id]
  if not entry then return end
  on_done[id] = nil
  on_done_count = on_done_count - 1
  entry.fn()
end

--- One engine step (waiting at most `timeout` seconds), then trace events
-- and completion callbacks.
function M.step(timeout)
  local e = M.engine()
  local n = e:step(timeout)
  M.dispatch_events()
  if not n or n == 0 or on_done_count == 0 then return end
  local ids = e:completed()
  for _, id in ipairs(ids) do notify(id) end
  if #ids < n then
    -- the core could not record every id (out of memory): look at all
    for id, entry in pairs(on_done) do
      if entry.transfer:done() then notify(id) end
    end
  end
end

--- Wait for a transfer: yield to the scheduler, or drive the engine.
-- @return its result without headers (transfer:headers() has them)
function M.await(transfer)
  local scheduler = M.current_scheduler()
  if scheduler then return scheduler:await(transfer) end
  while not transfer:done() do M.step(1) end
  M.dispatch_events()
  return transfer:result(false)
end

--- Sleep without blocking other coroutines of a scheduler.
function M.sleep(seconds)
  local scheduler = M.current_scheduler()
  if scheduler then return scheduler:sleep(seconds) end
  core.sleep(seconds)
end

--- The vendor's request id header of a response, if it has one.
function M.request_id(owner, res)
  return owner.request_id_header and res.headers and res.headers[owner.request_id_header] or nil
end
local request_id = M.request_id

--- An error for a response that does not have the documented shape.
function M.protocol_error(owner, res, message)
  return Error.new {
    kind = "protocol", vendor = owner.vendor, status = res.status, message = message,
    attempts = res.attempts, request_id = request_id(owner, res),
  }
end

--- Encode a request body; a value JSON cannot carry is a validation error
-- naming the field (path prefixes the field names).
-- @return JSON text, or nil, Error
function M.encode(owner, value, path)
  local text, field, rule = json.encode(value, path)
  if not text then return nil, Error.validation(owner.vendor, field, rule) end
  return text
end

local function error_from_result(owner, res)
  local body = res.body
  local decoded = body ~= "" and json.decode(body) or nil
  -- the C message starts "HTTP NNN"; the status is shown by tostring already
  local message = res.message:gsub("^HTTP %d+:? ?", "")
  local detail = owner.describe_error and owner.describe_error(decoded, res) or nil
  if detail then
    message = message ~= "" and (tostring(detail) .. "; " .. message) or tostring(detail)
  elseif message == "" then
    message = "the server refused the request"
  end
  return Error.new {
    kind = res.kind, vendor = owner.vendor, status = res.status ~= 0 and res.status or nil,
    message = message, retryable = res.retryable, attempts = res.attempts,
    phase = res.phase, retry_after = res.retry_after,
    request_id = request_id(owner, res),
    body = decoded or (body ~= "" and body or nil), headers = res.headers,
  }
end

local per_call_options = require("kickoff.validate").per_call_policy

--- Send one request and wait for it.
-- @param owner Lua client (vendor, core, describe_error, request_id_header)
-- @param req table for Client:submit
-- @param[opt] opts the caller's per-call options (timeout, deadline, retries)
-- @return response {status, headers, body, json, attempts, elapsed}, or nil, Error
function M.call(owner, req, opts)
  if opts then
    for _, k in ipairs(per_call_options) do req[k] = opts[k] end
  end
  -- the client option dry_run (kickoff --dry-run) receives the request
  -- instead of the network, and its return is the call's error
  if owner.dry_run then return nil, owner.dry_run(req) end
  local transfer, msg = owner.core:submit(req)
  if not transfer then return nil, validation_from_message(owner.vendor, msg) end
  local res = M.await(transfer)
  -- headers cost a table per response: only errors and clients that read
  -- them (owner.reads_headers) get them
  if res.kind ~= "ok" or owner.reads_headers then res.headers = transfer:headers() end
  transfer:close()
  if res.kind ~= "ok" then return nil, error_from_result(owner, res) end
  if res.body ~= "" then
    local decoded, derr = json.decode(res.body)
    if decoded == nil and derr then
      local message = "response is not valid JSON (" .. derr .. ")"
      if req.method == "POST" and not req.idempotent then
        message = message .. "; the server accepted the request, so the launch most likely happened: "
          .. "list recent runs before launching again"
      end
      return nil, M.protocol_error(owner, res, message)
    end
    res.json = decoded
  end
  return res
end

return M
