--- Zuora Workflow (v1 REST, vendor-apis.md §2): run, status, stop, wait.
-- OAuth 2.0 client credentials live in the C core: the token is fetched
-- once per client, shared by every request, refreshed ahead of expiry and
-- once on a 401, with one token request however many runs need it.
-- @classmod kickoff.zuora
local Error = require("kickoff.error")
local Run = require("kickoff.run")
local core = require("kickoff.core")
local transport = require("kickoff.transport")
local v = require("kickoff.validate")
local waiter = require("kickoff.waiter")

local Zuora = transport.client_class("kickoff.zuora")

local VENDOR = "zuora"

local call = transport.call

--- Data-centre hosts by readable name (the table lives in the C vendor table).
Zuora.hosts = transport.vendors.zuora.hosts

--- Parameter names Zuora reserves for itself (§2.3).
Zuora.reserved = {
  controller = true, action = true, id = true, user_email = true, user_token = true, format = true,
}

local function env_names()
  local names = {}
  for name in pairs(Zuora.hosts) do names[#names + 1] = name end
  table.sort(names)
  return table.concat(names, ", ")
end

local function check_track_id(field, s)
  local bad, rule = v.string(field, s, { optional = true, max = 64 })
  if bad then return bad, rule end
  if s and (s:find("[^\32-\126]") or s:find("[:;\"']")) then
    return field, "must be printable US-ASCII without : ; \" or '"
  end
end

-- The Zuora-Org-Ids header value: the ids joined with commas.
local function org_ids_header(ids)
  local bad, rule = v.list("org_ids", ids)
  if bad then return nil, bad, rule end
  for i, item in v.items(ids) do
    bad, rule = v.string("org_ids[" .. i .. "]", item, { pattern = "^[^,]+$", pattern_rule = "must not contain commas" })
    if bad then return nil, bad, rule end
  end
  return table.concat(ids, ",")
end

--- Create a Zuora Workflow client.
-- @tparam table opts env (a data-centre name, see Zuora.hosts) or base_url,
-- client_id, client_secret, entity_ids (Zuora-Entity-Ids), org_ids (a list
-- of Zuora-Org-Ids), and the common client options
-- @return client, or nil, Error
function Zuora.new(opts)
  opts = transport.check_options("kickoff.zuora", opts, {
    env = "string", client_id = "string", client_secret = "string",
    entity_ids = "string", org_ids = "table",
  })
  local invalid, why = v.client_options(opts)
  if invalid then return nil, Error.validation(VENDOR, invalid, why) end
  local base = opts.base_url
  if not base then
    if not opts.env then
      return nil, Error.validation(VENDOR, "env", "is required (or base_url); one of " .. env_names())
    end
    base = Zuora.hosts[opts.env]
    if not base then
      return nil, Error.validation(VENDOR, "env", "must be one of " .. env_names())
    end
  end
  local headers = {}
  if opts.entity_ids then
    local bad, rule = v.uuid("entity_ids", opts.entity_ids)
    if bad then return nil, Error.validation(VENDOR, bad, rule) end
    headers["Zuora-Entity-Ids"] = opts.entity_ids
  end
  if opts.org_ids then
    local joined, bad, rule = org_ids_header(opts.org_ids)
    if not joined then return nil, Error.validation(VENDOR, bad, rule) end
    headers["Zuora-Org-Ids"] = joined
  end
  -- reads_headers: runs carry the request id, rate-limit and track-id headers
  local self = setmetatable({ vendor = VENDOR, headers = headers, reads_headers = true }, Zuora)
  return transport.attach(self, {
    vendor = VENDOR, base_url = base, client_id = opts.client_id, secret = opts.client_secret,
  }, opts)
end

--- The readable part of an error body (used by the request path).
-- Documented error bodies: {"errors":[{code,status,title}]} (+ parameters on 406).
-- @param body the decoded error body (a table, or the text)
-- @tparam table res the response (its status picks the 406 wording)
-- @treturn ?string
function Zuora.describe_error(body, res)
  if type(body) ~= "table" then return nil end
  local parts = {}
  if type(body.errors) == "table" then
    for _, e in ipairs(body.errors) do
      if type(e) == "table" and e.title then parts[#parts + 1] = tostring(e.title) end
    end
  end
  if res.status == 406 and type(body.parameters) == "table" then
    local sent = {}
    for k in pairs(body.parameters) do sent[#sent + 1] = tostring(k) end
    table.sort(sent)
    parts[#parts + 1] = "(parameters sent: " .. (#sent > 0 and table.concat(sent, ", ") or "none") .. ")"
  end
  if #parts == 0 and body.message then
    parts[1] = (body.code and (tostring(body.code) .. ": ") or "") .. tostring(body.message)
  end
  return #parts > 0 and table.concat(parts, " ") or nil
end

local function rate_limit(headers)
  if not headers["ratelimit-limit"] then return nil end
  return {
    limit = headers["ratelimit-limit"],
    remaining = tonumber(headers["ratelimit-remaining"]),
    reset = tonumber(headers["ratelimit-reset"]),
  }
end

-- A run is "failed" when Zuora says Finished but some task errored (§2.4).
local function to_run(self, raw, res)
  local status
  if raw.status == "Finished" and type(raw.tasks) == "table" and (tonumber(raw.tasks.error) or 0) > 0 then
    status = "failed"
  end
  return Run.new {
    vendor = VENDOR, id = raw.id, vendor_status = raw.status, status = status, raw = raw,
    request_id = transport.request_id(self, res), rate_limit = rate_limit(res.headers),
    track_id = res.headers["zuora-track-id"],
  }
end

-- The client's headers, plus a call's own (the core copies them at submit).
local function headers_for(self, extra)
  if not extra then return self.headers end
  local h = {}
  for k, val in pairs(self.headers) do h[k] = val end
  for k, val in pairs(extra) do h[k] = val end
  return h
end

local function workflow_id_check(field, id)
  if math.type(id) == "integer" and id > 0 then return end
  if type(id) == "string" and #id <= 20 and id:find("^%d+$") then return end
  return field, "must be a positive integer id of a workflow definition"
end

local run_options = v.with_call_fields { idempotency_key = true, track_id = true, gzip = true }

--- Run a workflow (POST /workflows/{workflow_id}/run).
-- @param workflow_id integer id of the workflow definition
-- @tparam table params the run's parameters (the JSON body); reserved names are refused
-- @tparam[opt] table opts idempotency_key (made for you: a UUIDv4 sent on every
-- attempt), track_id (Zuora-Track-Id), gzip (compress the body), timeout, deadline, retries
-- @return Run (with request_id, rate_limit, idempotency_key), or nil, Error
function Zuora:run(workflow_id, params, opts)
  v.arg(2, "run", params, "table", true)
  v.arg(3, "run", opts, "table", true)
  params, opts = params or {}, opts or {}
  local field, rule = v.first(
    function() return workflow_id_check("workflow_id", workflow_id) end,
    function() return v.known_keys("opts", opts, run_options) end,
    function() return v.object("params", params) end,
    function()
      for name in pairs(params) do
        if Zuora.reserved[name] then return "params." .. name, "is a name Zuora reserves (controller, action, id, user_email, user_token, format)" end
      end
    end,
    function() return v.string("idempotency_key", opts.idempotency_key, { optional = true, max = 255 }) end,
    function() return check_track_id("track_id", opts.track_id) end,
    function() return v.boolean("gzip", opts.gzip, { optional = true }) end,
    function() return v.policy(opts) end)
  if field then return nil, Error.validation(VENDOR, field, rule) end
  local body, err = transport.encode(self, params, "params")
  if not body then return nil, err end
  local key = opts.idempotency_key or core.uuid4()
  local res
  res, err = call(self, {
    method = "POST", path = "/workflows/" .. tostring(workflow_id) .. "/run",
    body = body, content_type = "application/json",
    headers = headers_for(self, { ["Zuora-Track-Id"] = opts.track_id }),
    idempotency_key = key, gzip = opts.gzip,
  }, opts)
  if not res then
    err.idempotency_key = key -- retry the same logical call with this key
    return nil, err
  end
  if type(res.json) ~= "table" or res.json.id == nil then
    return nil, transport.protocol_error(self, res, "run response has no id")
  end
  local run = to_run(self, res.json, res)
  run.idempotency_key = key
  return run
end


local function run_call(self, method, run_id, suffix, opts)
  opts = opts or {}
  if type(run_id) == "table" then run_id = run_id.id end
  local field, rule = v.first(
    function() return workflow_id_check("run_id", run_id) end,
    function() return v.call_options(opts) end)
  if field then return nil, Error.validation(VENDOR, field, rule) end
  local res, err = call(self, {
    method = method, path = "/workflows/workflow_runs/" .. tostring(run_id) .. suffix,
    headers = headers_for(self), idempotent = true,
  }, opts)
  if not res then return nil, err end
  if type(res.json) ~= "table" then
    -- stop may answer without a body: read the run back
    if suffix ~= "" then return run_call(self, "GET", run_id, "", opts) end
    return nil, transport.protocol_error(self, res, "expected a workflow run object")
  end
  if res.json.id == nil then res.json.id = run_id end
  return to_run(self, res.json, res)
end

--- A run's status (GET /workflows/workflow_runs/{id}); Finished with
-- tasks.error > 0 is reported as failed.
-- @param run_id integer id of the run, or a Run
-- @tparam[opt] table opts timeout, deadline, retries for this call
-- @return Run, or nil, Error
function Zuora:status(run_id, opts)
  v.arg(2, "status", opts, "table", true)
  return run_call(self, "GET", run_id, "", opts)
end

--- Stop a run (PUT /workflows/workflow_runs/{id}/stop).
-- @param run_id integer id of the run, or a Run
-- @tparam[opt] table opts timeout, deadline, retries for this call
-- @return Run, or nil, Error
function Zuora:stop(run_id, opts)
  v.arg(2, "stop", opts, "table", true)
  return run_call(self, "PUT", run_id, "/stop", opts)
end

--- Poll until the run is final (see kickoff.waiter for opts).
-- @param run a Run from run, or a run id
-- @tparam[opt] table opts timeout (default 600), interval (0.5), max_interval
-- (10), factor (1.5), on_poll (function(run) called after each poll)
-- @return the final Run, or nil, Error (kind "timeout" carries err.run)
-- @function Zuora:wait
Zuora.wait = waiter.method(VENDOR, workflow_id_check)

--- Token requests this client has made (caching and single flight at work).
-- @treturn integer
function Zuora:token_requests()
  return self.core:info().token_requests
end

--- Release the client's connection state now rather than at garbage
-- collection (every client class has it, from transport.client_class).
-- @function Zuora:close

return Zuora
