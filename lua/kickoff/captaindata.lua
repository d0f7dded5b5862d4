--- Captain Data, API v3 (vendor-apis.md §4): launch (schedule), status,
-- results (paged), retry, cancel, `delete_schedule`, `upsert_account`, wait.
-- Auth: `Authorization: x-api-key KEY` and `x-project-id`, held in C.
-- @classmod kickoff.captaindata
local Error = require("kickoff.error")
local Run = require("kickoff.run")
local json = require("kickoff.json")
local payload = require("kickoff.payload")
local transport = require("kickoff.transport")
local v = require("kickoff.validate")
local waiter = require("kickoff.waiter")

local CaptainData = transport.client_class("kickoff.captaindata")

local VENDOR = "captaindata"
local API = "/v3"

local call = transport.call

-- builders, re-exported for convenience

--- Inputs from CSV: `kickoff.payload.csv_inputs`.
-- @function CaptainData.csv_inputs
-- @tparam string source CSV text, or a file name
-- @tparam[opt] table opts file (boolean: source is a file name)
-- @return list of inputs, or nil, Error

--- A step table: `kickoff.payload.step`.
-- @function CaptainData.step
-- @tparam string step_uid the step of the workflow (its uid)
-- @tparam[opt] table opts accounts, parameters, accounts_rotation_enabled, output_column
-- @return step

--- Steps from a list: `kickoff.payload.steps`.
-- @function CaptainData.steps
-- @tparam table list step uids, `{uid, account...}` lists or step tables
-- @return list of steps, or nil, Error

--- A job template: `kickoff.payload.template`.
-- @function CaptainData.template
-- @tparam table base steps and options shared by the jobs
-- @return template (with `template:job(job_name, inputs, overrides)`)

CaptainData.csv_inputs = payload.csv_inputs
CaptainData.step = payload.step
CaptainData.steps = payload.steps
CaptainData.template = payload.template

--- The words repeat_option.type accepts.
CaptainData.repeat_types = { minute = true, hour = true, day = true, week = true, month = true }

--- Create a Captain Data client.
-- @tparam table opts api_key, project_id (workspace uid), optional base_url
-- (default https://api.captaindata.co), common client options
-- @return client, or nil, Error
function CaptainData.new(opts)
  opts = transport.check_options("kickoff.captaindata", opts, { api_key = "string", project_id = "string" })
  local field, rule = v.client_options(opts)
  if field then return nil, Error.validation(VENDOR, field, rule) end
  local self = setmetatable({ vendor = VENDOR }, CaptainData)
  return transport.attach(self, { vendor = VENDOR, secret = opts.api_key, project_id = opts.project_id }, opts)
end

--- The readable part of an error body (used by the request path).
-- v3 documents no error body; v4's {error_label, message, params} is common.
-- @param body the decoded error body (a table, or the text)
-- @treturn ?string
function CaptainData.describe_error(body)
  if type(body) ~= "table" then return type(body) == "string" and #body < 300 and body or nil end
  local msg = body.message or body.error or body.detail
  if msg and body.error_label then msg = body.error_label .. ": " .. msg end
  return msg
end

local job_fields = v.with_call_fields {
  job_name = true, inputs = true, steps = true, unstructure_meta = true, repeat_option = true,
}
local step_fields = {
  step_uid = true, accounts = true, parameters = true, accounts_rotation_enabled = true, output_column = true,
}

local function check_step(i, s)
  local at = "steps[" .. i .. "]"
  if type(s) ~= "table" then return at, "must be a step table (step_uid, accounts, parameters)" end
  return v.first(
    function() return v.known_keys(at, s, step_fields) end,
    function() return v.string(at .. ".step_uid", s.step_uid) end,
    function()
      local field, rule = v.list(at .. ".accounts", s.accounts, { optional = true, allow_empty = true })
      if field then return field, rule end
      for j, a in v.items(s.accounts or {}) do
        field, rule = v.string(at .. ".accounts[" .. j .. "]", a)
        if field then return field, rule end
      end
    end,
    function() return v.object(at .. ".parameters", s.parameters, { optional = true }) end,
    function() return v.boolean(at .. ".accounts_rotation_enabled", s.accounts_rotation_enabled, { optional = true }) end,
    function()
      if s.output_column ~= nil and s.output_column ~= json.null then
        return v.string(at .. ".output_column", s.output_column)
      end
    end)
end

local function check_job(job)
  return v.first(
    function() return v.known_keys(nil, job, job_fields) end,
    function() return v.string("job_name", job.job_name, { max = 255 }) end,
    function() return v.list("inputs", job.inputs) end,
    function()
      for i, input in v.items(job.inputs) do
        local field, rule = v.object("inputs[" .. i .. "]", input)
        if field then return field, rule end
        if input.meta ~= nil then
          field, rule = v.object("inputs[" .. i .. "].meta", input.meta)
          if field then return field, rule end
        end
      end
    end,
    function() return v.list("steps", job.steps) end,
    function()
      for i, s in v.items(job.steps) do
        local field, rule = check_step(i, s)
        if field then return field, rule end
      end
    end,
    function() return v.boolean("unstructure_meta", job.unstructure_meta, { optional = true }) end,
    function()
      local r = job.repeat_option
      if r == nil then return end
      if type(r) ~= "table" then return "repeat_option", "must be {type=..., value=...}" end
      local field, rule = v.known_keys("repeat_option", r, { type = true, value = true })
      if field then return field, rule end
      if not CaptainData.repeat_types[r.type] then
        return "repeat_option.type", "must be one of minute, hour, day, week, month"
      end
      return v.integer("repeat_option.value", r.value, { min = 1 })
    end,
    function() return v.policy(job) end)
end

-- The body exactly as documented: parameters sent as {} when empty,
-- accounts as a JSON array even when empty.
local function job_body(self, job)
  local steps = {}
  for i, s in v.items(job.steps) do
    steps[i] = {
      step_uid = s.step_uid,
      accounts = json.array({ table.unpack(s.accounts or {}) }),
      parameters = s.parameters or {},
      accounts_rotation_enabled = s.accounts_rotation_enabled,
      output_column = s.output_column,
    }
  end
  local body = {
    job_name = job.job_name, inputs = json.array({ table.unpack(job.inputs) }), steps = json.array(steps),
    unstructure_meta = job.unstructure_meta,
  }
  if job.repeat_option then
    body.repeat_option = { type = job.repeat_option.type, value = math.tointeger(job.repeat_option.value) }
  end
  return transport.encode(self, body)
end

local function job_run(raw, fallback_id)
  local word = type(raw) == "table" and raw.status or nil
  return Run.new {
    vendor = VENDOR, id = type(raw) == "table" and (raw.uid or raw.job_uid) or fallback_id,
    vendor_status = word, status = word == nil and "queued" or nil, raw = raw,
  }
end

local function launch_to(self, path, job)
  local field, rule = check_job(job)
  if field then return nil, Error.validation(VENDOR, field, rule) end
  local body, err = job_body(self, job)
  if not body then return nil, err end
  local res
  res, err = call(self, { method = "POST", path = path, body = body, content_type = "application/json" }, job)
  if not res then return nil, err end
  if type(res.json) ~= "table" or not res.json.job_uid then
    return nil, transport.protocol_error(self, res, "schedule response has no job_uid")
  end
  return Run.new { vendor = VENDOR, id = res.json.job_uid, status = "queued", raw = res.json,
    workflow = res.json.workflow, message = res.json.message }
end

local function uid_rule(field, uid)
  return v.string(field, uid, { max = 255 })
end

local function uid_check(field, uid)
  if type(uid) == "table" then uid = uid.id end
  local bad, rule = uid_rule(field, uid)
  if bad then return nil, Error.validation(VENDOR, bad, rule) end
  return uid
end


-- An id and the per-call options of a verb.
local function call_check(field, uid, opts)
  local bad, rule = v.call_options(opts)
  if bad then return nil, Error.validation(VENDOR, bad, rule) end
  return uid_check(field, uid)
end

--- Launch a workflow (POST /v3/workflows/{workflow_uid}/schedule).
-- Not idempotent: retried only when nothing was sent or on 429.
-- @tparam string workflow_uid the workflow to run
-- @tparam table job job_name, inputs, steps, unstructure_meta, repeat_option, timeout, deadline
-- @return Run (id = job_uid), or nil, Error
function CaptainData:launch(workflow_uid, job)
  v.arg(2, "launch", job, "table")
  local uid, err = uid_check("workflow_uid", workflow_uid)
  if not uid then return nil, err end
  return launch_to(self, API .. "/workflows/" .. v.path_segment(uid) .. "/schedule", job)
end

--- Retry a job with the same payload shape (POST /v3/jobs/{job_uid}/retry).
-- @tparam string job_uid the job to retry
-- @tparam table job as for `launch`
-- @return Run (id = the job_uid the response names), or nil, Error
function CaptainData:retry(job_uid, job)
  v.arg(2, "retry", job, "table")
  local uid, err = uid_check("job_uid", job_uid)
  if not uid then return nil, err end
  return launch_to(self, API .. "/jobs/" .. v.path_segment(uid) .. "/retry", job)
end

local function get(self, path_or_url, opts)
  local req = { method = "GET", idempotent = true }
  if path_or_url:find("^https?://") then req.url = path_or_url else req.path = path_or_url end
  return call(self, req, opts)
end

--- A job's status (GET /v3/jobs/{job_uid}).
-- @param job_uid the job's uid, or a Run
-- @tparam[opt] table opts timeout, deadline, retries for this call
-- @return Run, or nil, Error
function CaptainData:status(job_uid, opts)
  v.arg(2, "status", opts, "table", true)
  local uid, err = call_check("job_uid", job_uid, opts)
  if not uid then return nil, err end
  local res
  res, err = get(self, API .. "/jobs/" .. v.path_segment(uid), opts)
  if not res then return nil, err end
  return job_run(res.json, uid)
end

--- Cancel a job (POST /v3/jobs/{job_uid}/cancel; the v3 path is not
-- confirmed by Captain Data's docs, see vendor-apis.md §4.5).
-- @param job_uid the job's uid, or a Run
-- @tparam[opt] table opts timeout, deadline, retries for this call
-- @return Run, or nil, Error
function CaptainData:cancel(job_uid, opts)
  v.arg(2, "cancel", opts, "table", true)
  local uid, err = call_check("job_uid", job_uid, opts)
  if not uid then return nil, err end
  local res
  res, err = call(self, { method = "POST", path = API .. "/jobs/" .. v.path_segment(uid) .. "/cancel",
    idempotent = true }, opts)
  if not res then return nil, err end
  if type(res.json) == "table" and res.json.status then return job_run(res.json, uid) end
  return self:status(uid, opts)
end

--- One page of results: {results = {...}, next = url or nil}.
-- @param job_uid_or_url a job uid (or Run), or the `next` URL of a previous page
-- @tparam[opt] table opts timeout, deadline, retries for this call
-- @return page, or nil, Error
function CaptainData:results_page(job_uid_or_url, opts)
  v.arg(2, "results_page", opts, "table", true)
  local target = job_uid_or_url
  if type(target) ~= "string" or not target:find("^https?://") then
    local uid, err = call_check("job_uid", target, opts)
    if not uid then return nil, err end
    target = API .. "/jobs/" .. v.path_segment(uid) .. "/results"
  else
    local field, rule = v.first(
      function() return v.string("url", target) end,
      function() return v.call_options(opts) end)
    if field then return nil, Error.validation(VENDOR, field, rule) end
  end
  local res, err = get(self, target, opts)
  if not res then return nil, err end
  local body = res.json or {}
  if type(body) ~= "table" or (body.results ~= nil and type(body.results) ~= "table") then
    return nil, transport.protocol_error(self, res, "results page is not an object with a results list")
  end
  local paging = type(body.paging) == "table" and body.paging or {}
  local next_url = paging.have_next_page and paging.next or nil
  if next_url ~= nil and type(next_url) ~= "string" then
    return nil, transport.protocol_error(self, res, "paging.next is not a URL")
  end
  return { results = body.results or {}, next = next_url }
end

--- Iterate over every result row, following paging.next.
-- `for row, err in cd:results(job_uid) do ... end`: on a failure the
-- iterator yields `false, err` once and stops.
-- @param job_uid the job's uid, or a Run
-- @tparam[opt] table opts timeout, deadline, retries for each page
-- @return iterator over the result rows
function CaptainData:results(job_uid, opts)
  v.arg(2, "results", opts, "table", true)
  local page, index, next_target, done = nil, 0, job_uid, false
  return function()
    if done then return nil end
    while not page or index >= #page.results do
      if page and not page.next then
        done = true
        return nil
      end
      local err
      page, err = self:results_page(page and page.next or next_target, opts)
      if not page then
        done = true
        return false, err
      end
      index = 0
    end
    index = index + 1
    return page.results[index]
  end
end

--- Delete a recurring schedule by job name (DELETE /v3/jobs/{job_name}).
-- @tparam string job_name the job_name the schedule was launched with
-- @tparam[opt] table opts timeout, deadline, retries for this call
-- @return message ("Schedule deleted."), or nil, Error
function CaptainData:delete_schedule(job_name, opts)
  v.arg(2, "delete_schedule", opts, "table", true)
  local field, rule = v.first(
    function() return v.string("job_name", job_name, { max = 255 }) end,
    function() return v.call_options(opts) end)
  if field then return nil, Error.validation(VENDOR, field, rule) end
  local res, err = call(self, { method = "DELETE", path = API .. "/jobs/" .. v.path_segment(job_name),
    idempotent = true }, opts)
  if not res then return nil, err end
  return type(res.json) == "table" and res.json.message or "Schedule deleted."
end

--- Add or update an integration account (POST /v3/integrations/{integration}/accounts).
-- With account.uid it updates (and is safe to retry); without, it creates.
-- The body may hold cookies or passwords, so it never appears in traces.
-- @tparam string integration an integration slug, e.g. "linkedin"
-- @tparam table account the account fields (uid to update, cookies, ...)
-- @tparam[opt] table opts timeout, deadline, retries for this call
-- @return the decoded response, or nil, Error
function CaptainData:upsert_account(integration, account, opts)
  v.arg(2, "upsert_account", account, "table")
  v.arg(3, "upsert_account", opts, "table", true)
  local field, rule = v.first(
    function() return v.string("integration", integration, { max = 100, pattern = "^[%w_%-]+$",
      pattern_rule = "must be an integration slug like linkedin" }) end,
    function() return v.object("account", account) end,
    function() return v.string("account.uid", account.uid, { optional = true }) end,
    function() return v.call_options(opts) end)
  if field then return nil, Error.validation(VENDOR, field, rule) end
  local body, err = transport.encode(self, { account = account })
  if not body then return nil, err end
  local res
  res, err = call(self, {
    method = "POST", path = API .. "/integrations/" .. integration .. "/accounts",
    body = body, content_type = "application/json", body_secret = true, idempotent = account.uid ~= nil,
  }, opts)
  if not res then return nil, err end
  return res.json
end

--- Poll until the job is final (see kickoff.waiter for opts).
-- @param job a Run from launch, or a job uid
-- @tparam[opt] table opts timeout (default 600), interval (0.5), max_interval
-- (10), factor (1.5), on_poll (function(run) called after each poll)
-- @return the final Run, or nil, Error (kind "timeout" carries err.run)
-- @function CaptainData:wait
CaptainData.wait = waiter.method(VENDOR, uid_rule)

--- Release the client's connection state now rather than at garbage
-- collection (every client class has it, from transport.client_class).
-- @function CaptainData:close

return CaptainData
