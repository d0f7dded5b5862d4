--- Zuora Workflow (v1 REST, OAuth 2.0 client credentials) emulator.
-- Contract: vendor-apis.md §2.
--
-- Seeds (config `zuora.workflows`, keyed by workflow definition id):
--
-- | id   | name                  | required params | callout | tasks | task errors |
-- |------|-----------------------|-----------------|---------|-------|-------------|
-- | 396  | Sync Account Payments | accountId       | yes     | 3     | 0           |
-- | 397  | Refresh Usage         | (none)          | yes     | 2     | 0           |
-- | 398  | Failing Tasks         | (none)          | yes     | 4     | 1           |
-- | 400  | Callout Disabled      | (none)          | no -> 400 on run            |
-- | 9001 | (a run of 396, Finished): POST /workflows/9001/run -> 409          |
--
-- New runs get ids from 9002 up. Client credentials: credentials.zuora_client_id
-- and credentials.zuora_client_secret. Workflow fields: name, required
-- (array), callout (bool), tasks (int), task_errors (int: Finished with
-- tasks.error > 0).
local http = require("kickoff.sandbox.http")
local json = require("kickoff.sandbox.json")
local util = require("kickoff.sandbox.util")

local M = { name = "zuora" }

M.defaults = {
  token_ttl = 3600,
  scope = "platform.write service.workflow.read service.workflow.write",
  revoke_tokens = false,          -- set true: every issued token is revoked (one-shot)
  idempotency_replay = "same",    -- "same": replay stored reply; "409": 409 with stored body
  idempotency_ttl = 86400,        -- seconds a key is kept
  progress = { processing = 0.2, finish = 0.6 }, -- Queued -> Processing -> Finished
  stop_delay = 0.2,               -- Stopping -> Stopped
  rate_limit = { limit = 50000, window = 60 }, -- per window, all /workflows requests
  workflows = {
    ["396"] = { name = "Sync Account Payments", required = json.array({ "accountId" }), callout = true, tasks = 3 },
    ["397"] = { name = "Refresh Usage", required = json.array(), callout = true, tasks = 2 },
    ["398"] = { name = "Failing Tasks", required = json.array(), callout = true, tasks = 4, task_errors = 1 },
    ["400"] = { name = "Callout Disabled", required = json.array(), callout = false, tasks = 1 },
  },
}

local SEEDED_RUN = 9001
local RESERVED = { controller = true, action = true, id = true, user_email = true, user_token = true, format = true }
local WWW_AUTHENTICATE = "Basic realm=Zuora API, ZSession realm=Zuora API, Bearer realm=Zuora API"

local INSTANCE = json.order({ "id", "name", "originalWorkflowId", "status", "type", "createdAt", "updatedAt" })
local GET_RESPONSE = json.order({
  "id", "name", "originalWorkflowId", "type", "status", "createdAt", "updatedAt", "finishedAt",
  "runTime", "cpuTime", "tasks",
})
local TASKS = json.order({ "error", "pending", "processing", "queued", "stopped", "success", "total" })
local TOKEN = json.order({ "access_token", "token_type", "expires_in", "scope", "jti" })

local Zuora = {}
Zuora.__index = Zuora

function M.new(env)
  local self = setmetatable({ env = env }, Zuora)
  self.routes = {
    { "POST", "^/oauth/token$", Zuora.token },
    { "POST", "^/workflows/([^/]+)/run$", Zuora.run },
    { "GET", "^/workflows/workflow_runs/([^/]+)$", Zuora.get_run },
    { "PUT", "^/workflows/workflow_runs/([^/]+)/stop$", Zuora.stop },
    { "GET", "^/workflows/([^/]+)$", Zuora.get_workflow },
  }
  self:reset()
  return self
end

function Zuora:cfg()
  return self.env.config.zuora
end

function Zuora:reset()
  self.tokens, self.idem, self.runs, self.order = {}, {}, {}, {}
  self.next_run, self.run_counts = SEEDED_RUN, {}
  self.window_start, self.window_count = util.now(), 0
  self.created = util.now()
  -- A finished run of 396, so that its id exists (409 on /run, GET works).
  local run = self:new_run(396, {}, "{}")
  run.created = run.created - 3600
end

function Zuora:configured()
  local cfg = self:cfg()
  -- A new limit starts a fresh window, so "limit = 2" means the next two pass.
  self.window_start, self.window_count = util.now(), 0
  if cfg.revoke_tokens then
    self.tokens = {}
    cfg.revoke_tokens = false
  end
end

-- Errors ------------------------------------------------------------------

local function errors(status, title, extra)
  local body = { errors = json.array({ { code = "invalid", status = status, title = title } }) }
  for k, v in pairs(extra or {}) do body[k] = v end
  return http.json(status, body)
end

local function unauthorized()
  return http.json(401, { message = "Authentication error" }, { { "WWW-Authenticate", WWW_AUTHENTICATE } })
end

-- OAuth -------------------------------------------------------------------

-- Errors use the RFC 6749 §5.2 shape: Zuora does not document its own.
local function oauth_error(status, code, description)
  return http.json(status, { error = code, error_description = description })
end

function Zuora:token(req)
  local ctype = (req:header("content-type") or ""):lower()
  if not ctype:find("application/x-www-form-urlencoded", 1, true) then
    return oauth_error(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
  end
  local form = util.parse_form(req.body)
  for _, k in ipairs({ "client_id", "client_secret", "grant_type" }) do
    if (form[k] or "") == "" then return oauth_error(400, "invalid_request", "Missing parameter " .. k) end
  end
  if form.grant_type ~= "client_credentials" then
    return oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
  end
  local creds = self.env.credentials
  if form.client_id ~= creds.zuora_client_id or form.client_secret ~= creds.zuora_client_secret then
    return oauth_error(401, "invalid_client", "Invalid client credentials")
  end
  local cfg = self:cfg()
  local ttl = math.tointeger(cfg.token_ttl) or 3600
  local token, jti = util.hex(32), util.uuid()
  self.tokens[token] = { expires = util.now() + ttl, jti = jti }
  return http.json(200, json.object({
    access_token = token, token_type = "bearer", expires_in = ttl, scope = cfg.scope, jti = jti,
  }, TOKEN))
end

function Zuora:authorized(req)
  local token = (req:header("authorization") or ""):match("^[Bb]earer%s+(%S+)$")
  local t = token and self.tokens[token]
  if not t then return false end
  if util.now() >= t.expires then
    self.tokens[token] = nil
    return false
  end
  return true
end

-- Cross-cutting: rate limit, idempotency, headers -------------------------

-- Fixed-window request counter; returns limit, remaining, reset seconds.
-- Token requests have their own (AUTH) quota, so they are not counted.
function Zuora:count_request(counted)
  local rl = self:cfg().rate_limit
  local now = util.now()
  if now - self.window_start >= rl.window then
    self.window_start, self.window_count = now, 0
  end
  if counted then self.window_count = self.window_count + 1 end
  local reset = math.max(1, math.ceil(self.window_start + rl.window - now))
  return rl.limit, rl.limit - self.window_count, reset
end

local function url_of(req)
  return req.path .. (req.query ~= "" and ("?" .. req.query) or "")
end

--- Runs before faults and latency: rate limit, auth, Idempotency-Key.
-- Returns an early response, or nil to go on.
function Zuora:admit(req)
  local limit, remaining, reset = self:count_request(req.path ~= "/oauth/token")
  req.rate = { limit = limit, remaining = math.max(0, remaining), reset = reset, window = self:cfg().rate_limit.window }
  if remaining < 0 then
    return http.json(429, { message = "Too many requests" }, { { "Retry-After", tostring(reset) } })
  end
  local key = req:header("idempotency-key")
  if not key or (req.method ~= "POST" and req.method ~= "PATCH") or req.path == "/oauth/token" then
    return nil
  end
  if not self:authorized(req) then return unauthorized() end
  if #key > 255 then return errors(400, "Idempotency-Key must be at most 255 characters") end
  local now, cfg = util.now(), self:cfg()
  local entry = self.idem[key]
  if entry and now - entry.created >= (cfg.idempotency_ttl or 86400) then entry = nil end
  if not entry then
    entry = { method = req.method, url = url_of(req), created = now, state = "inflight", owner = req }
    self.idem[key] = entry
    req.idem_key = key
    return nil
  end
  if entry.method ~= req.method or entry.url ~= url_of(req) then
    return errors(422, "The Idempotency-Key was already used with a different request method or URL")
  end
  if entry.state == "inflight" then
    return errors(409, "A request with the same Idempotency-Key is still being processed")
  end
  local res = { status = entry.status, body = entry.body, headers = util.copy(entry.headers) }
  if cfg.idempotency_replay == "409" then res.status = 409 end
  return res
end

--- After the handler (or a "before" fault, res = nil): store the reply
-- under the request's Idempotency-Key, or release the key.
function Zuora:settle(req, res)
  local key = req.idem_key
  if not key then return end
  local entry = self.idem[key]
  if not entry or entry.owner ~= req then return end
  if res == nil then
    self.idem[key] = nil -- nothing was done: the key may be used again
    return
  end
  entry.state, entry.owner = "done", nil
  entry.status, entry.body, entry.headers = res.status, res.body, util.copy(res.headers)
end

--- Headers on every Zuora reply, faults included.
function Zuora.decorate(_, req, res)
  if not http.get_header(res, "zuora-request-id") then http.set_header(res, "Zuora-Request-Id", util.uuid()) end
  local rate = req.rate
  if rate then
    http.set_header(res, "RateLimit-Limit", string.format("%d, %d;w=%d", rate.limit, rate.limit, rate.window))
    http.set_header(res, "RateLimit-Remaining", rate.remaining)
    http.set_header(res, "RateLimit-Reset", rate.reset)
  end
  local track = req:header("zuora-track-id")
  if track then http.set_header(res, "Zuora-Track-Id", track) end
end

-- Runs --------------------------------------------------------------------

function Zuora:new_run(workflow_id, params, raw)
  local wf = util.lookup(self:cfg().workflows, workflow_id) or {}
  local cfg = self:cfg()
  local n = (self.run_counts[workflow_id] or 0) + 1
  self.run_counts[workflow_id] = n
  local run = {
    id = self.next_run, workflow_id = workflow_id, name = string.format("%d-%05d", workflow_id, n),
    created = util.now(), params = params, raw = raw,
    processing_after = cfg.progress.processing, finish_after = cfg.progress.finish, stop_delay = cfg.stop_delay,
    total = math.tointeger(wf.tasks) or 3, task_errors = math.tointeger(wf.task_errors) or 0,
  }
  self.next_run = self.next_run + 1
  self.runs[run.id] = run
  self.order[#self.order + 1] = run
  return run
end

-- Progress without a stop; returns status and the time it was entered.
local function progress(run, t)
  local elapsed = t - run.created
  if elapsed < run.processing_after then return "Queued", run.created end
  if elapsed < run.finish_after then return "Processing", run.created + run.processing_after end
  return "Finished", run.created + run.finish_after
end

local function tasks_for(run, status)
  local total = run.total
  local t = { error = 0, pending = 0, processing = 0, queued = 0, stopped = 0, success = 0, total = total }
  if status == "Queued" then
    t.queued = total
  elseif status == "Processing" then
    t.success = total // 2
    t.processing = math.min(1, total - t.success)
    t.queued = total - t.success - t.processing
  elseif status == "Finished" then
    t.error = math.min(run.task_errors, total)
    t.success = total - t.error
  end
  return json.object(t, TASKS)
end

-- Status, timestamps and task counts of a run at time t.
local function snapshot(run, t)
  if run.stopped_at then
    local before = progress(run, run.stopped_at)
    local tasks = tasks_for(run, before)
    tasks.stopped = tasks.queued + tasks.processing + tasks.pending
    tasks.queued, tasks.processing, tasks.pending = 0, 0, 0
    local done = run.stopped_at + run.stop_delay
    if t < done then return "Stopping", run.stopped_at, nil, tasks end
    return "Stopped", done, done, tasks
  end
  local status, since = progress(run, t)
  return status, since, status == "Finished" and since or nil, tasks_for(run, status)
end

local function get_response(run)
  local now = util.now()
  local status, updated, finished, tasks = snapshot(run, now)
  local run_time = math.floor(((finished or now) - run.created) * 1000 + 0.5) / 1000
  return json.object({
    id = run.id, name = run.name, originalWorkflowId = tostring(run.workflow_id), type = "Workflow::Instance",
    status = status, createdAt = util.ymd_hms(run.created), updatedAt = util.ymd_hms(updated),
    finishedAt = finished and util.ymd_hms(finished) or json.null,
    runTime = run_time, cpuTime = string.format("%.3f", run_time / 10), tasks = tasks,
  }, GET_RESPONSE)
end

local function parse_id(s)
  return s:match("^%d+$") and math.tointeger(tonumber(s)) or nil
end

local function not_found()
  return errors(404, "The workflow for the given id does not exist")
end

function Zuora:run(req, caps)
  if not self:authorized(req) then return unauthorized() end
  local id = parse_id(caps[1])
  local wf = id and util.lookup(self:cfg().workflows, id)
  if not wf then
    if id and self.runs[id] then
      return errors(409, "The provided workflow_id references a workflow instance")
    end
    return not_found()
  end
  if wf.callout == false then return errors(400, "Callout not enabled for the workflow") end

  local text = req:text()
  if not text then return errors(400, "The request body could not be decoded (Content-Encoding)") end
  if text:match("^%s*$") then text = "{}" end
  local params, err = json.decode(text)
  if not json.is_object(params) then
    return errors(400, "The request body must be a JSON object" .. (err and (": " .. err) or ""))
  end
  for name in pairs(params) do
    if RESERVED[name] then return errors(400, "Parameter name '" .. name .. "' is reserved") end
  end
  for _, name in ipairs(wf.required or {}) do
    if params[name] == nil or params[name] == json.null then
      return errors(406, "The provided body is missing one or more required parameters: " .. name,
        { parameters = json.raw(text) })
    end
  end

  local run = self:new_run(id, params, text)
  return http.json(200, json.object({
    id = run.id, name = run.name, originalWorkflowId = id, status = "Queued", type = "Workflow::Instance",
    createdAt = util.ymd_hms(run.created), updatedAt = util.ymd_hms(run.created),
  }, INSTANCE))
end

function Zuora:get_run(req, caps)
  if not self:authorized(req) then return unauthorized() end
  local id = parse_id(caps[1])
  local run = id and self.runs[id]
  if not run then return not_found() end
  return http.json(200, get_response(run))
end

function Zuora:stop(req, caps)
  if not self:authorized(req) then return unauthorized() end
  local id = parse_id(caps[1])
  local run = id and self.runs[id]
  if not run then return not_found() end
  -- Stopping a run that already ended (Finished/Stopping/Stopped) is not
  -- documented; it returns the run unchanged, like a repeated PUT would.
  if not run.stopped_at and progress(run, util.now()) ~= "Finished" then run.stopped_at = util.now() end
  return http.json(200, get_response(run))
end

function Zuora:get_workflow(req, caps)
  if not self:authorized(req) then return unauthorized() end
  local id = parse_id(caps[1])
  if not id then return not_found() end
  if self.runs[id] then return http.json(200, get_response(self.runs[id])) end
  local wf = util.lookup(self:cfg().workflows, id)
  if not wf then return not_found() end
  -- A definition: no run status; counts are zero.
  return http.json(200, json.object({
    id = id, name = wf.name, originalWorkflowId = json.null, type = "Workflow::Setup", status = json.null,
    createdAt = util.ymd_hms(self.created), updatedAt = util.ymd_hms(self.created), finishedAt = json.null,
    runTime = 0.0, cpuTime = "0.000",
    tasks = json.object({ error = 0, pending = 0, processing = 0, queued = 0, stopped = 0, success = 0,
      total = 0 }, TASKS),
  }, GET_RESPONSE))
end

-- Admin views -------------------------------------------------------------

function Zuora:state()
  local runs = json.array()
  for i, run in ipairs(self.order) do
    local v = get_response(run)
    v.parameters = json.raw(run.raw)
    runs[i] = v
  end
  local active, now = 0, util.now()
  for _, t in pairs(self.tokens) do
    if t.expires > now then active = active + 1 end
  end
  local keys = 0
  for _ in pairs(self.idem) do keys = keys + 1 end
  return { runs = runs, active_tokens = active, idempotency_keys = keys }
end

function Zuora:seeds()
  local workflows = json.array()
  for _, id in ipairs(util.sorted_keys(self:cfg().workflows)) do
    local wf = self:cfg().workflows[id]
    workflows[#workflows + 1] = {
      id = math.tointeger(tonumber(id)) or id, name = wf.name, required = wf.required or json.array(),
      callout = wf.callout ~= false, tasks = wf.tasks, task_errors = wf.task_errors or 0,
    }
  end
  return { workflows = workflows, run_id = SEEDED_RUN, token_path = "/oauth/token" }
end

return M
