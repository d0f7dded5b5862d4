--- Domo Workflows (Product API) emulator. Contract: vendor-apis.md §1.
--
-- Seeds (config `domo.models`, keyed by model UUID):
--
-- | modelId                              | versions | modelName     | ends      |
-- |--------------------------------------|----------|---------------|-----------|
-- | a8afdc89-9491-4ee4-b7c3-b9e9b86c0138 | 1.1.0    | AddTwoNumbers | COMPLETED |
-- | 3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f | 0.0.1    | FailingFlow   | FAILED    |
-- | 6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e | 1.0.0    | RestrictedFlow| 403       |
--
-- Token: credentials.domo_token in `X-DOMO-Developer-Token`.
-- Model fields: name, versions (array), final ("COMPLETED"|"FAILED"),
-- forbidden (bool: 403 on start), inputs (array: if set, `data` must have
-- exactly these keys), deploymentId.
--
-- Domo documents no error bodies (§1.5): every error uses the fixture
-- `domo.errors["<status>"] = { body = table|string, content_type = ... }`,
-- defaulting to {"status":N,"statusReason":"...","message":"..."}.
local http = require("kickoff.sandbox.http")
local json = require("kickoff.sandbox.json")
local util = require("kickoff.sandbox.util")

local M = { name = "domo" }

M.defaults = {
  user_id = "8811501",
  progress = { start = 0.2, complete = 0.6 },
  errors = {},
  models = {
    ["a8afdc89-9491-4ee4-b7c3-b9e9b86c0138"] = {
      name = "AddTwoNumbers", versions = json.array({ "1.1.0" }), final = "COMPLETED",
      deploymentId = "0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5",
    },
    ["3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f"] = {
      name = "FailingFlow", versions = json.array({ "0.0.1" }), final = "FAILED",
    },
    ["6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e"] = {
      name = "RestrictedFlow", versions = json.array({ "1.0.0" }), forbidden = true,
    },
  },
}

local INSTANCE = json.order({
  "id", "modelId", "modelName", "modelVersion", "createdBy", "createdOn", "updatedBy", "updatedOn",
  "status", "deploymentId", "bpmnProcessId", "bpmnProcessName", "isTestRun",
})
local ERROR = json.order({ "status", "statusReason", "message" })

local UUID = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"
local FINAL = { COMPLETED = true, FAILED = true, CANCELED = true }

local Domo = {}
Domo.__index = Domo

function M.new(env)
  local self = setmetatable({ env = env }, Domo)
  self.routes = {
    { "POST", "^/api/workflow/v1/instances/message$", Domo.start },
    { "GET", "^/api/workflow/v1/instances/([^/]+)$", Domo.get },
    { "POST", "^/api/workflow/v1/instances/([^/]+)/cancel$", Domo.cancel },
  }
  self:reset()
  return self
end

function Domo:cfg()
  return self.env.config.domo
end

function Domo:reset()
  self.instances, self.order = {}, {}
end

-- Error reply from the configurable fixture for this status.
function Domo:error(status, message)
  local fixture = util.lookup(self:cfg().errors, status) or {}
  if type(fixture.body) == "string" then
    return http.response(status, fixture.body, fixture.content_type or "text/plain")
  end
  local body = fixture.body
    or json.object({ status = status, statusReason = http.reason(status), message = message }, ERROR)
  return http.json(status, body)
end

function Domo:authorized(req)
  return req:header("x-domo-developer-token") == self.env.credentials.domo_token
end

-- Status of an instance at time t, and when it last changed. Progress times
-- are copied into the instance at creation, so later config changes only
-- affect new instances.
local function status_at(inst, t)
  if inst.canceled_at then return "CANCELED", inst.canceled_at end
  local elapsed = t - inst.created
  if elapsed < inst.start_after then return json.null, inst.created end
  if elapsed < inst.complete_after then return "IN_PROGRESS", inst.created + inst.start_after end
  return inst.final, inst.created + inst.complete_after
end

-- The documented instance object (start/get), plus cancel's extra fields.
local function view(inst, with_deployment)
  local status, updated = status_at(inst, util.now())
  local out = json.object({
    id = inst.id, modelId = inst.modelId, modelName = inst.modelName, modelVersion = inst.modelVersion,
    createdBy = inst.user, createdOn = util.iso_ms(inst.created),
    updatedBy = inst.user, updatedOn = util.iso_ms(updated), status = status,
  }, INSTANCE)
  if with_deployment then
    out.deploymentId, out.bpmnProcessId = inst.deploymentId, inst.bpmnProcessId
    out.bpmnProcessName, out.isTestRun = inst.bpmnProcessName, false
  end
  return out
end

local FIELDS = {
  { "messageName", "string" }, { "version", "string" }, { "modelId", "string" }, { "data", "object" },
}

function Domo:start(req)
  if not self:authorized(req) then
    return self:error(401, "Missing or invalid X-DOMO-Developer-Token")
  end
  local body, err = json.decode(req.body)
  if not json.is_object(body) then
    return self:error(400, "Request body must be a JSON object" .. (err and (": " .. err) or ""))
  end
  for _, f in ipairs(FIELDS) do
    local name, kind = f[1], f[2]
    local v = body[name]
    local ok = (kind == "object" and json.is_object(v)) or (kind == "string" and type(v) == "string" and v ~= "")
    if not ok then
      return self:error(400, string.format("Field '%s' is required and must be a %s", name,
        kind == "object" and "JSON object" or "non-empty string"))
    end
  end
  if not body.modelId:match(UUID) then
    return self:error(400, "Field 'modelId' must be a workflow model UUID")
  end
  local model = self:cfg().models[body.modelId]
  local has_version = false
  for _, v in ipairs(model and model.versions or {}) do
    if v == body.version then has_version = true end
  end
  if not has_version then
    return self:error(404, string.format("Workflow model %s version %s not found", body.modelId, body.version))
  end
  if model.forbidden then
    return self:error(403, "The token's user lacks permission to run this workflow")
  end
  local expected = "Start " .. model.name
  if body.messageName ~= expected then
    return self:error(400, string.format("Field 'messageName' must be '%s'", expected))
  end
  if model.inputs then
    local want = {}
    for _, k in ipairs(model.inputs) do
      want[k] = true
      if body.data[k] == nil then return self:error(400, "Field 'data' is missing start input '" .. k .. "'") end
    end
    for k in pairs(body.data) do
      if not want[k] then return self:error(400, "Field 'data' has unknown start input '" .. tostring(k) .. "'") end
    end
  end

  local cfg = self:cfg()
  local inst = {
    id = util.uuid(), modelId = body.modelId, modelName = model.name, modelVersion = body.version,
    user = tostring(cfg.user_id), created = util.now(), data = body.data,
    start_after = cfg.progress.start, complete_after = cfg.progress.complete,
    final = model.final == "FAILED" and "FAILED" or "COMPLETED",
    deploymentId = model.deploymentId or util.uuid(),
    bpmnProcessId = "Process_" .. body.modelId:gsub("%-", ""):sub(1, 12),
    bpmnProcessName = model.name,
  }
  self.instances[inst.id] = inst
  self.order[#self.order + 1] = inst
  return http.json(200, view(inst))
end

function Domo:get(req, caps)
  if not self:authorized(req) then
    return self:error(401, "Missing or invalid X-DOMO-Developer-Token")
  end
  local inst = self.instances[caps[1]]
  if not inst then return self:error(404, "Workflow instance " .. caps[1] .. " not found") end
  return http.json(200, view(inst))
end

function Domo:cancel(req, caps)
  if not self:authorized(req) then
    return self:error(401, "Missing or invalid X-DOMO-Developer-Token")
  end
  local inst = self.instances[caps[1]]
  if not inst then return self:error(404, "Workflow instance " .. caps[1] .. " not found") end
  -- Undocumented case (§1.7): cancelling an instance that already ended
  -- (COMPLETED, FAILED or CANCELED) returns it unchanged with 200, so a
  -- retried cancel is harmless and the caller learns the final status.
  local status = status_at(inst, util.now())
  if not FINAL[status] then inst.canceled_at = util.now() end
  return http.json(200, view(inst, true))
end

function Domo:state()
  local list = json.array()
  for i, inst in ipairs(self.order) do
    local v = view(inst, true)
    v.data = inst.data
    list[i] = v
  end
  return { instances = list }
end

function Domo:seeds()
  local models = json.array()
  for _, id in ipairs(util.sorted_keys(self:cfg().models)) do
    local m = self:cfg().models[id]
    models[#models + 1] = {
      modelId = id, modelName = m.name, versions = m.versions, messageName = "Start " .. m.name,
      final = m.forbidden and "403" or (m.final or "COMPLETED"),
    }
  end
  return { token_header = "X-DOMO-Developer-Token", models = models }
end

return M
