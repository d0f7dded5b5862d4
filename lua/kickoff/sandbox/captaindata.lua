--- Captain Data API v3 emulator. Contract: vendor-apis.md §4.
--
-- Seeds (config `captaindata.workflows`, keyed by workflow uid):
--
-- | workflow uid                         | name                            | ends     |
-- |--------------------------------------|---------------------------------|----------|
-- | 4f2c8a1e-6b3d-4e5f-9a7b-1c2d3e4f5a6b | Extract LinkedIn People Profile | finished |
-- | 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d | Find Emails                     | warning  |
--
-- | step_uid                             | workflow                        | integration |
-- |--------------------------------------|---------------------------------|-------------|
-- | 9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b | Extract LinkedIn People Profile | linkedin    |
-- | 5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f | Find Emails                     | (any)       |
--
-- Accounts (config `captaindata.accounts`, keyed by uid):
--   d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a  linkedin  "Sandbox LinkedIn"
--
-- Auth: `Authorization: x-api-key <credentials.captaindata_api_key>` (or a
-- raw `x-api-key` header) plus `x-project-id: <credentials.captaindata_project_id>`.
-- v3 documents no error body; errors use the documented v4 shape
-- {error_label, error_scope, error_ref, message, status_code, params}.
local http = require("kickoff.sandbox.http")
local json = require("kickoff.sandbox.json")
local util = require("kickoff.sandbox.util")

local M = { name = "captaindata" }

M.defaults = {
  progress = { start = 0.2, finish = 0.6 }, -- pending -> running -> final status
  final_status = "finished",  -- or "completed", "warning", "shutdown", "paused", ...
  page_size = 2,              -- results per page
  rate_limit = { per_second = 0 }, -- 0 = off; else 429 beyond N requests per second
  strict_accounts = false,    -- true: every account uid must be a known account
  workspace = { name = "Sandbox Workspace", email = "owner@example.com", plan_name = "Growth", tasks_max = 10000 },
  workflows = {
    ["4f2c8a1e-6b3d-4e5f-9a7b-1c2d3e4f5a6b"] = {
      name = "Extract LinkedIn People Profile", permalink = "extract-linkedin-people-profile",
      template_uid = "e5a1c9d2-7b3f-4a6e-8d1c-2f9b0a7e6c5d", project_id = 1,
      linked_templates = json.array({ "e5a1c9d2-7b3f-4a6e-8d1c-2f9b0a7e6c5d" }),
      steps = json.array({ {
        step_uid = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b", name = "Extract LinkedIn People Profile",
        integration = "linkedin",
      } }),
    },
    ["0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"] = {
      name = "Find Emails", permalink = "find-emails", project_id = 1,
      template_uid = "f6b2d0e3-8c4a-4b7f-9e2d-3a0c1b8f7d6e",
      linked_templates = json.array({ "f6b2d0e3-8c4a-4b7f-9e2d-3a0c1b8f7d6e" }),
      steps = json.array({ { step_uid = "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f", name = "Find Email" } }),
      final_status = "warning",
    },
  },
  accounts = {
    ["d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a"] = { integration = "linkedin", name = "Sandbox LinkedIn" },
  },
}

local SUCCESS = { finished = true, completed = true }
local RETRYABLE = { pending = true, paused = true, warning = true, shutdown = true }
local CANCELLABLE = { running = true, pending = true, paused = true, warning = true, shutdown = true }
local ERROR_MESSAGES = {
  warning = "Some inputs could not be processed (sandbox)",
  shutdown = "A technical error stopped the run (sandbox)",
  paused = "Integration error: the account's cookies are invalid (sandbox)",
}
local REPEAT_TYPES = { minute = true, hour = true, day = true, week = true, month = true }

local LAUNCH = json.order({ "workflow", "message", "job_uid" })
local WORKFLOW = json.order({
  "uid", "permalink", "name", "created_at", "project_id", "linked_templates", "template_uid",
})
local JOB = json.order({
  "uid", "name", "status", "workflow_uid", "workflow_name", "step_uid", "main_job_uid", "main_job_name",
  "accounts", "configuration", "error_message", "start_time", "finish_time", "scheduled_time",
  "number_inputs", "row_count", "total_row_count",
})
local ERROR = json.order({ "error_label", "error_scope", "error_ref", "message", "status_code", "params" })

local CaptainData = {}
CaptainData.__index = CaptainData

function M.new(env)
  local self = setmetatable({ env = env }, CaptainData)
  local C = CaptainData
  self.routes = {
    { "POST", "^/v3/workflows/([^/]+)/schedule$", C.schedule },
    { "GET", "^/v3/workflows/([^/]+)/jobs$", C.workflow_jobs },
    { "GET", "^/v3/workflows$", C.workflows },
    { "GET", "^/v3/jobs/([^/]+)/results$", C.results },
    { "GET", "^/v3/jobs/([^/]+)/inputs$", C.inputs },
    { "POST", "^/v3/jobs/([^/]+)/retry$", C.retry },
    { "POST", "^/v3/jobs/([^/]+)/cancel$", C.cancel },
    { "GET", "^/v3/jobs/([^/]+)$", C.get_job },
    { "DELETE", "^/v3/jobs/([^/]+)$", C.delete_schedule },
    { "POST", "^/v3/integrations/([^/]+)/accounts$", C.upsert_account },
    { "GET", "^/v3/integrations/([^/]+)/accounts$", C.list_accounts },
    { "GET", "^/v3/workspace$", C.workspace },
  }
  self:reset()
  return self
end

function CaptainData:cfg()
  return self.env.config.captaindata
end

function CaptainData:reset()
  self.jobs, self.order, self.schedules, self.tasks_used = {}, {}, {}, 0
  self.accounts, self.account_order = {}, {}
  for _, uid in ipairs(util.sorted_keys(self:cfg().accounts)) do
    local a = self:cfg().accounts[uid]
    self:store_account(uid, a.integration, { name = a.name })
  end
  self.second, self.second_count = -1, 0
  self.created = util.now()
end

-- Errors and cross-cutting ------------------------------------------------

local LABELS = {
  [400] = { "INVALID_INPUT", "input" }, [401] = { "UNAUTHORIZED", "auth" }, [403] = { "FORBIDDEN", "auth" },
  [404] = { "NOT_FOUND", "input" }, [429] = { "RATE_LIMITED", "server" },
}

local function cd_error(status, message, params)
  local label = LABELS[status] or { "SERVER_ERROR", "server" }
  return http.json(status, json.object({
    error_label = label[1], error_scope = label[2], error_ref = util.uuid(), message = message,
    status_code = status, params = params or json.null,
  }, ERROR))
end

local function bad_field(field, message)
  return cd_error(400, message, { field = field })
end

local function api_key(req)
  local auth = req:header("authorization")
  local key = auth and auth:match("^[Xx]%-[Aa][Pp][Ii]%-[Kk][Ee][Yy]%s+(%S+)$")
  return key or req:header("x-api-key")
end

--- Auth and the optional per-second rate limit, before faults/latency.
function CaptainData:admit(req)
  local creds = self.env.credentials
  if api_key(req) ~= creds.captaindata_api_key or req:header("x-project-id") ~= creds.captaindata_project_id then
    return cd_error(401, "Invalid API key or project id (Authorization: x-api-key <key>, x-project-id)")
  end
  local limit = math.tointeger(self:cfg().rate_limit.per_second) or 0
  if limit > 0 then
    local sec = math.floor(util.now())
    if sec ~= self.second then self.second, self.second_count = sec, 0 end
    self.second_count = self.second_count + 1
    if self.second_count > limit then
      return cd_error(429, "Too many requests: rate limit exceeded")
    end
  end
end

--- 429s (built-in or injected) always carry the documented headers.
function CaptainData.decorate(_, _, res)
  if res.status ~= 429 then return end
  local reset = math.floor(util.now()) + 1
  if not http.get_header(res, "retry-after") then http.set_header(res, "Retry-After", "1") end
  if not http.get_header(res, "x-ratelimit-type") then http.set_header(res, "X-RateLimit-Type", "second") end
  if not http.get_header(res, "x-ratelimit-reset") then http.set_header(res, "X-RateLimit-Reset", reset) end
end

-- Launch validation -------------------------------------------------------

local function is_list(v)
  return type(v) == "table" and (next(v) == nil or json.is_array(v))
end

-- Validate a launch/retry body for workflow wf. Returns body or nil, response.
function CaptainData:validate(req, wf)
  local body, err = json.decode(req.body)
  if not json.is_object(body) then
    return nil, bad_field("body", "Request body must be a JSON object" .. (err and (": " .. err) or ""))
  end
  if type(body.job_name) ~= "string" or body.job_name == "" then
    return nil, bad_field("job_name", "job_name is required and must be a non-empty string")
  end
  if not is_list(body.steps) or #body.steps == 0 then
    return nil, bad_field("steps", "steps is required and must be a non-empty array")
  end
  local known = {}
  for _, s in ipairs(wf.steps or {}) do known[s.step_uid] = s end
  for i, step in ipairs(body.steps) do
    local at = string.format("steps[%d]", i - 1)
    if not json.is_object(step) then return nil, bad_field(at, at .. " must be an object") end
    if type(step.step_uid) ~= "string" or step.step_uid == "" then
      return nil, bad_field(at .. ".step_uid", at .. ".step_uid is required and must be a string")
    end
    if not known[step.step_uid] then
      return nil, bad_field(at .. ".step_uid", at .. ".step_uid is not a step of this workflow")
    end
    if not json.is_object(step.parameters) then
      return nil, bad_field(at .. ".parameters", at .. ".parameters is required and must be an object (even {})")
    end
    if step.accounts ~= nil and step.accounts ~= json.null then
      if not is_list(step.accounts) then
        return nil, bad_field(at .. ".accounts", at .. ".accounts must be an array of account uids")
      end
      for _, uid in ipairs(step.accounts) do
        local acct = type(uid) == "string" and self.accounts[uid]
        if type(uid) ~= "string" or (self:cfg().strict_accounts and not acct) then
          return nil, bad_field(at .. ".accounts", at .. ".accounts has an unknown account uid")
        end
        if acct and known[step.step_uid].integration and acct.integration ~= known[step.step_uid].integration then
          return nil, bad_field(at .. ".accounts", at .. ".accounts has an account of another integration")
        end
      end
    end
    local rot = step.accounts_rotation_enabled
    if rot ~= nil and rot ~= json.null and type(rot) ~= "boolean" then
      return nil, bad_field(at .. ".accounts_rotation_enabled", at .. ".accounts_rotation_enabled must be a boolean")
    end
  end
  if not is_list(body.inputs) then
    return nil, bad_field("inputs", "inputs is required and must be an array of objects")
  end
  for i, input in ipairs(body.inputs) do
    if not json.is_object(input) then
      return nil, bad_field(string.format("inputs[%d]", i - 1), "each input must be an object")
    end
    if input.meta ~= nil and input.meta ~= json.null and not json.is_object(input.meta) then
      return nil, bad_field(string.format("inputs[%d].meta", i - 1), "meta must be an object")
    end
  end
  local ro = body.repeat_option
  if ro ~= nil and ro ~= json.null then
    if not json.is_object(ro) or not REPEAT_TYPES[ro.type] or math.type(ro.value) ~= "integer" or ro.value < 1 then
      return nil, bad_field("repeat_option",
        "repeat_option must be {type: minute|hour|day|week|month, value: positive integer}")
    end
  end
  if body.unstructure_meta ~= nil and type(body.unstructure_meta) ~= "boolean" then
    return nil, bad_field("unstructure_meta", "unstructure_meta must be a boolean")
  end
  return body
end

-- Jobs --------------------------------------------------------------------

function CaptainData:new_job(wf_uid, wf, body, main)
  local cfg = self:cfg()
  local accounts, seen = json.array(), {}
  for _, step in ipairs(body.steps) do
    for _, a in ipairs(step.accounts ~= json.null and step.accounts or {}) do
      if not seen[a] then seen[a] = true; accounts[#accounts + 1] = a end
    end
  end
  local job = {
    uid = util.uuid(), name = body.job_name, workflow_uid = wf_uid, workflow_name = wf.name,
    step_uid = body.steps[1].step_uid, accounts = accounts, inputs = body.inputs, created = util.now(),
    configuration = {
      steps = body.steps, repeat_option = body.repeat_option, unstructure_meta = body.unstructure_meta,
    },
    start_after = cfg.progress.start, finish_after = cfg.progress.finish,
    final = wf.final_status or cfg.final_status,
  }
  job.main_job_uid = main and main.main_job_uid or job.uid
  job.main_job_name = main and main.main_job_name or job.name
  self.jobs[job.uid] = job
  self.order[#self.order + 1] = job
  self.schedules[job.name] = { job_name = job.name, workflow_uid = wf_uid, repeat_option = body.repeat_option }
  self.tasks_used = self.tasks_used + #body.inputs
  return job
end

local function status_at(job, t)
  if job.stopped_at then return "stopped", job.stopped_at end
  local elapsed = t - job.created
  if elapsed < job.start_after then return "pending" end
  if elapsed < job.finish_after then return "running" end
  return job.final, job.created + job.finish_after
end

local function rows_for(job, status)
  local n = #job.inputs
  if SUCCESS[status] then return n end
  if status == "warning" then return (n + 1) // 2 end
  return 0
end

local function job_view(job)
  local status, finished = status_at(job, util.now())
  local started = status ~= "pending" and not (job.stopped_at and job.stopped_at < job.created + job.start_after)
  local rows = rows_for(job, status)
  return json.object({
    uid = job.uid, name = job.name, status = status, workflow_uid = job.workflow_uid,
    workflow_name = job.workflow_name, step_uid = job.step_uid, main_job_uid = job.main_job_uid,
    main_job_name = job.main_job_name, accounts = job.accounts, configuration = job.configuration,
    error_message = ERROR_MESSAGES[status] or json.null,
    start_time = started and util.iso_us(job.created + job.start_after) or json.null,
    finish_time = finished and util.iso_us(finished) or json.null,
    scheduled_time = util.iso_us(job.created),
    number_inputs = #job.inputs, row_count = rows, total_row_count = rows,
  }, JOB)
end

function CaptainData:launch_reply(wf_uid, wf, job)
  return http.json(200, json.object({
    workflow = json.object({
      uid = wf_uid, permalink = wf.permalink, name = wf.name, created_at = util.iso_us(self.created),
      project_id = math.tointeger(wf.project_id) or 1, linked_templates = wf.linked_templates or json.array(),
      template_uid = wf.template_uid,
    }, WORKFLOW),
    message = "Bot successfully scheduled.",
    job_uid = job.uid,
  }, LAUNCH))
end

function CaptainData:schedule(req, caps)
  local wf = self:cfg().workflows[caps[1]]
  if not wf then return cd_error(404, "Workflow " .. caps[1] .. " not found") end
  local body, res = self:validate(req, wf)
  if not body then return res end
  return self:launch_reply(caps[1], wf, self:new_job(caps[1], wf, body))
end

function CaptainData:job(uid)
  local job = self.jobs[uid]
  if not job then return nil, cd_error(404, "Job " .. uid .. " not found") end
  return job
end

function CaptainData:get_job(_, caps)
  local job, res = self:job(caps[1])
  if not job then return res end
  return http.json(200, job_view(job))
end

function CaptainData:results(req, caps)
  local job, res = self:job(caps[1])
  if not job then return res end
  local page = math.tointeger(tonumber(util.parse_form(req.query).page or "0")) or 0
  local size = math.max(1, math.tointeger(self:cfg().page_size) or 2)
  local available = rows_for(job, (status_at(job, util.now())))
  local rows = json.array()
  for i = page * size + 1, math.min(available, (page + 1) * size) do
    local input = job.inputs[i]
    local row = { uid = string.format("%s-%d", job.uid:sub(1, 8), i) }
    for k, v in pairs(input) do row[k] = v end
    rows[#rows + 1] = row
  end
  local more = (page + 1) * size < available
  return http.json(200, {
    results = rows,
    paging = {
      next = more and string.format("%s/v3/jobs/%s/results?page=%d", req.base_url, job.uid, page + 1) or json.null,
      have_next_page = more,
    },
  })
end

function CaptainData:inputs(_, caps)
  local job, res = self:job(caps[1])
  if not job then return res end
  return http.json(200, json.array(util.copy(job.inputs)))
end

function CaptainData:retry(req, caps)
  local job, res = self:job(caps[1])
  if not job then return res end
  local status = status_at(job, util.now())
  if not RETRYABLE[status] then
    return cd_error(400, "A run can be retried only when pending, paused, warning or shutdown (it is "
      .. status .. ")")
  end
  local wf = self:cfg().workflows[job.workflow_uid] or { name = job.workflow_name }
  local body, vres = self:validate(req, wf)
  if not body then return vres end
  return self:launch_reply(job.workflow_uid, wf, self:new_job(job.workflow_uid, wf, body, job))
end

function CaptainData:cancel(_, caps)
  local job, res = self:job(caps[1])
  if not job then return res end
  local status = status_at(job, util.now())
  if not CANCELLABLE[status] then
    return cd_error(400, "A run can be cancelled only when running, pending, paused, warning or shutdown (it is "
      .. status .. ")")
  end
  job.stopped_at = util.now()
  return http.json(200, job_view(job))
end

function CaptainData:delete_schedule(_, caps)
  if not self.schedules[caps[1]] then return cd_error(404, "No schedule named " .. caps[1]) end
  self.schedules[caps[1]] = nil
  return http.json(200, { message = "Schedule deleted." })
end

function CaptainData:workflow_jobs(req, caps)
  if not self:cfg().workflows[caps[1]] then return cd_error(404, "Workflow " .. caps[1] .. " not found") end
  local page = math.tointeger(tonumber(util.parse_form(req.query).page or "0")) or 0
  local list = json.array()
  -- Newest first, 100 per page.
  for i = #self.order, 1, -1 do
    local job = self.order[i]
    if job.workflow_uid == caps[1] then list[#list + 1] = job_view(job) end
  end
  return http.json(200, json.array(table.move(list, page * 100 + 1, (page + 1) * 100, 1, {})))
end

function CaptainData:workflows()
  local list = json.array()
  for _, uid in ipairs(util.sorted_keys(self:cfg().workflows)) do
    local wf = self:cfg().workflows[uid]
    local steps = json.array()
    for i, s in ipairs(wf.steps or {}) do steps[i] = { name = s.name, step_uid = s.step_uid, uid = s.step_uid } end
    list[#list + 1] = {
      uid = uid, name = wf.name, created_at = util.iso_us(self.created),
      project_id = math.tointeger(wf.project_id) or 1, template_uid = wf.template_uid, steps = steps,
    }
  end
  return http.json(200, list)
end

-- Integration accounts ----------------------------------------------------

function CaptainData:store_account(uid, integration, fields)
  local acct = self.accounts[uid]
  if not acct then
    acct = { uid = uid, integration = integration, setup_at = util.iso_us(util.now()) }
    self.accounts[uid] = acct
    self.account_order[#self.account_order + 1] = acct
  end
  for _, k in ipairs({ "name", "user_uid" }) do
    if fields[k] ~= nil then acct[k] = fields[k] end
  end
  -- Secrets are never echoed: keep only which ones were set.
  for _, k in ipairs({ "api_key", "username", "password", "cookies" }) do
    if fields[k] ~= nil and fields[k] ~= "" then acct["has_" .. k] = true end
  end
  return acct
end

local function account_view(acct)
  return {
    uid = acct.uid, name = acct.name or json.null, setup_at = acct.setup_at, cookies = {}, via_extension = false,
    is_shared = false, level = json.null, is_valid = true, application_permalink = acct.integration,
    application_name = acct.integration,
  }
end

function CaptainData:upsert_account(req, caps)
  local body, err = json.decode(req.body)
  if not json.is_object(body) or not json.is_object(body.account) then
    return bad_field("account", "Body must be {\"account\": {...}}" .. (err and (": " .. err) or ""))
  end
  local a = body.account
  local uid = a.uid
  if uid ~= nil and uid ~= json.null then
    if type(uid) ~= "string" then return bad_field("account.uid", "account.uid must be a string") end
    local acct = self.accounts[uid]
    if not acct then return cd_error(404, "Account " .. uid .. " not found") end
    if acct.integration ~= caps[1] then
      return bad_field("account.uid", "Account " .. uid .. " belongs to another integration")
    end
  else
    uid = util.uuid()
  end
  return http.json(200, account_view(self:store_account(uid, caps[1], a)))
end

function CaptainData:list_accounts(_, caps)
  local list = json.array()
  for _, acct in ipairs(self.account_order) do
    if acct.integration == caps[1] then list[#list + 1] = account_view(acct) end
  end
  return http.json(200, {
    integration = { uid = caps[1], title = caps[1] }, accounts = list,
    next_page_exist = false, number_total_acounts = #list, -- (sic), as documented
  })
end

function CaptainData:workspace()
  local ws = self:cfg().workspace
  local now = os.date("!*t", math.floor(util.now()))
  local month_start = os.time({ year = now.year, month = now.month, day = 1, hour = 0 })
  local next_month = os.time({ year = now.year, month = now.month + 1, day = 1, hour = 0 })
  return http.json(200, {
    name = ws.name, email = ws.email, plan_name = ws.plan_name, tasks_used = self.tasks_used,
    tasks_left = math.max(0, ws.tasks_max - self.tasks_used), tasks_max = ws.tasks_max,
    current_month_start = os.date("%Y-%m-%d", month_start), current_month_end = os.date("%Y-%m-%d", next_month - 1),
  })
end

-- Admin views -------------------------------------------------------------

function CaptainData:state()
  local jobs, accounts, schedules = json.array(), json.array(), json.array()
  for i, job in ipairs(self.order) do
    local v = job_view(job)
    v.inputs = job.inputs
    jobs[i] = v
  end
  for i, acct in ipairs(self.account_order) do
    accounts[i] = {
      uid = acct.uid, integration = acct.integration, name = acct.name, user_uid = acct.user_uid,
      has_api_key = acct.has_api_key or false, has_username = acct.has_username or false,
      has_password = acct.has_password or false, has_cookies = acct.has_cookies or false,
    }
  end
  for _, name in ipairs(util.sorted_keys(self.schedules)) do schedules[#schedules + 1] = self.schedules[name] end
  return { jobs = jobs, accounts = accounts, schedules = schedules, tasks_used = self.tasks_used }
end

function CaptainData:seeds()
  local workflows, accounts = json.array(), json.array()
  for _, uid in ipairs(util.sorted_keys(self:cfg().workflows)) do
    local wf = self:cfg().workflows[uid]
    workflows[#workflows + 1] = {
      uid = uid, name = wf.name, steps = wf.steps or json.array(),
      final_status = wf.final_status or self:cfg().final_status,
    }
  end
  for _, uid in ipairs(util.sorted_keys(self:cfg().accounts)) do
    local a = self:cfg().accounts[uid]
    accounts[#accounts + 1] = { uid = uid, integration = a.integration, name = a.name }
  end
  return { workflows = workflows, accounts = accounts }
end

return M
