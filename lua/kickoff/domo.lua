--- Domo Workflows (Product API, vendor-apis.md §1): start, status, cancel,
-- wait. Auth is the developer token in X-DOMO-Developer-Token, held in C.
-- @classmod kickoff.domo
local Error = require("kickoff.error")
local Run = require("kickoff.run")
local transport = require("kickoff.transport")
local v = require("kickoff.validate")
local waiter = require("kickoff.waiter")

local Domo = transport.client_class("kickoff.domo")

local VENDOR = "domo"
local API = "/api/workflow/v1"
local call = transport.call

local version_rule = { max = 100, pattern = "^%d+[%.%d]*$", pattern_rule = "must be a workflow version like 1.1.0" }
local text_rule = { max = 1000 }
local start_fields = v.with_call_fields {
  model_id = true, version = true, workflow = true, message = true, data = true,
}

--- Create a Domo Workflows client.
-- @tparam table opts instance (e.g. "acme" for acme.domo.com) or base_url,
-- token (developer token), and the common client options
-- @return client, or nil, Error
function Domo.new(opts)
  opts = transport.check_options("kickoff.domo", opts, { instance = "string", token = "string" })
  local bad, why = v.client_options(opts)
  if bad then return nil, Error.validation(VENDOR, bad, why) end
  local base = opts.base_url
  if not base then
    local field, rule = v.string("instance", opts.instance, {
      pattern = "^[%w][%w%-]*$",
      pattern_rule = "must be the instance sub-domain, e.g. acme for acme.domo.com" })
    if field then return nil, Error.validation(VENDOR, field, rule) end
    base = "https://" .. opts.instance .. ".domo.com"
  end
  local self = setmetatable({ vendor = VENDOR }, Domo)
  return transport.attach(self, { vendor = VENDOR, secret = opts.token, base_url = base }, opts)
end

--- The readable part of an error body (used by the request path).
-- Domo documents no error body; surface a message field when there is one.
-- @param body the decoded error body (a table, or the text)
-- @treturn ?string
function Domo.describe_error(body)
  if type(body) == "table" then
    return body.message or body.error_description or body.statusReason or body.error
  end
end

local function to_run(raw)
  return Run.new { vendor = VENDOR, id = raw.id, vendor_status = raw.status, raw = raw }
end

--- Start a workflow instance.
-- @tparam table p model_id (UUID), version ("1.1.0"), workflow (sends
-- messageName "Start {workflow}") or message (messageName as is), data
-- (table of start inputs), optional timeout/deadline/retries
-- @return Run, or nil, Error
function Domo:start(p)
  v.arg(1, "start", p, "table")
  local field, rule = v.first(
    function() return v.known_keys(nil, p, start_fields) end,
    function() return v.uuid("model_id", p.model_id) end,
    function() return v.string("version", p.version, version_rule) end,
    function()
      if p.workflow == nil and p.message == nil then return "workflow", "is required (or give message)" end
      if p.workflow ~= nil and p.message ~= nil then return "workflow", "give workflow or message, not both" end
      if p.workflow ~= nil then return v.string("workflow", p.workflow, text_rule) end
      return v.string("message", p.message, text_rule)
    end,
    function() return v.object("data", p.data == nil and {} or p.data) end,
    function() return v.policy(p) end)
  if field then return nil, Error.validation(VENDOR, field, rule) end
  local body, err = transport.encode(self, {
    messageName = p.message or ("Start " .. p.workflow),
    version = p.version,
    modelId = p.model_id,
    data = p.data or {},
  })
  if not body then return nil, err end
  local res
  res, err = call(self, { method = "POST", path = API .. "/instances/message", body = body,
    content_type = "application/json" }, p)
  if not res then return nil, err end
  if type(res.json) ~= "table" or res.json.id == nil then
    return nil, transport.protocol_error(self, res, "start response has no instance id")
  end
  return to_run(res.json)
end

local function id_rule(field, id)
  return v.string(field, id, { max = 200 })
end

local function check_id(id)
  if type(id) == "table" then id = id.id end
  local field, rule = id_rule("id", id)
  if field then return nil, Error.validation(VENDOR, field, rule) end
  return id
end


local function instance_call(self, method, id, suffix, opts)
  local field, rule = v.call_options(opts)
  if field then return nil, Error.validation(VENDOR, field, rule) end
  local err
  id, err = check_id(id)
  if not id then return nil, err end
  -- reading is safe to repeat; cancelling twice has no further effect
  local res
  res, err = call(self, { method = method, idempotent = true,
    path = API .. "/instances/" .. v.path_segment(id) .. suffix }, opts)
  if not res then return nil, err end
  if type(res.json) ~= "table" then
    return nil, transport.protocol_error(self, res, "expected an instance object")
  end
  return to_run(res.json)
end

--- Fetch an instance's current status (GET .../instances/{id}).
-- @param id instance id or Run
-- @tparam[opt] table opts timeout, deadline, retries for this call
-- @return Run, or nil, Error
function Domo:status(id, opts)
  v.arg(2, "status", opts, "table", true)
  return instance_call(self, "GET", id, "", opts)
end

--- Cancel an instance (POST .../instances/{id}/cancel).
-- @param id instance id or Run
-- @tparam[opt] table opts timeout, deadline, retries for this call
-- @return Run, or nil, Error
function Domo:cancel(id, opts)
  v.arg(2, "cancel", opts, "table", true)
  return instance_call(self, "POST", id, "/cancel", opts)
end

--- Poll until the run is final (see kickoff.waiter for opts).
-- @param run a Run from start, or an instance id
-- @tparam[opt] table opts timeout (default 600), interval (0.5), max_interval
-- (10), factor (1.5), on_poll (function(run) called after each poll)
-- @return the final Run, or nil, Error (kind "timeout" carries err.run)
-- @function Domo:wait
Domo.wait = waiter.method(VENDOR, id_rule)

--- Release the client's connection state now rather than at garbage
-- collection (every client class has it, from transport.client_class).
-- @function Domo:close

return Domo
