--- What `kickoff launch|status|wait|cancel` does per vendor: the launch
-- options and how they become a call on the public vendor client. No
-- vendor rule is checked here: the clients validate and build every request.
-- @module kickoff.cli.vendors
local args = require("kickoff.cli.args")
local json = require("kickoff.json")
local payload = require("kickoff.payload")

local M = {}

local PARAM_HELP = "KEY=VALUE sends a string, KEY:=JSON any JSON value (repeatable)"

-- "KEY=VALUE" -> KEY, "VALUE"; "KEY:=JSON" -> KEY, decoded value.
local function split_param(text, shown)
  local key, value = text:match("^([^=]-):=(.*)$")
  if key and key ~= "" then
    local decoded, err = json.decode(value)
    if decoded == nil then args.fail("%s %s: not valid JSON (%s)", shown, key, tostring(err or "null")) end
    return key, decoded
  end
  key, value = text:match("^([^=]+)=(.*)$")
  if not key then args.fail("%s needs KEY=VALUE or KEY:=JSON, got '%s'", shown, text) end
  return key, value
end

local function params_table(list, base)
  local t = base or {}
  for _, p in ipairs(list or {}) do
    local key, value = split_param(p, "-p")
    t[key] = value
  end
  return t
end

local function json_object(text, shown)
  local v, err = json.decode(text)
  if type(v) ~= "table" or (#v > 0) then
    args.fail("%s must be a JSON object%s", shown, err and (" (" .. err .. ")") or "")
  end
  return v
end

-- Numeric text becomes an integer (ids that JSON carries as numbers).
local function integer_or_text(s)
  return math.tointeger(tonumber(s)) or s
end

M.domo = {
  title = "Domo Workflows",
  launch_options = {
    { name = "model_id", flags = { "--model-id" }, arg = "UUID", help = "workflow model id" },
    { name = "version", flags = { "--version" }, arg = "V", help = "model version, e.g. 1.1.0" },
    { name = "workflow", flags = { "--workflow" }, arg = "NAME", help = 'sends the message "Start NAME"' },
    { name = "message", flags = { "--message" }, arg = "TEXT", help = "start message as is (instead of --workflow)" },
    { name = "data", flags = { "--data" }, arg = "JSON", help = "start inputs as a JSON object" },
    { name = "param", flags = { "-p", "--param" }, arg = "KEY=VALUE", kind = "list", help = "one start input: " .. PARAM_HELP },
  },
  examples = {
    "kickoff launch domo --model-id a8afdc89-9491-4ee4-b7c3-b9e9b86c0138 --version 1.1.0 \\\n"
      .. "    --workflow AddTwoNumbers -p parameter1:=13 -p parameter2:=7 --wait",
    "kickoff launch domo --version 1.1.0 --workflow AddTwoNumbers --batch runs.csv   # columns model_id,param.x",
  },
}

function M.domo.launch(client, o)
  local data = o.data and json_object(o.data, "--data") or nil
  if o.param then data = params_table(o.param, data) end
  return client:start { model_id = o.model_id, version = o.version, workflow = o.workflow,
    message = o.message, data = data }
end

M.zuora = {
  title = "Zuora Workflow",
  positional = "workflow_id",
  positional_arg = "WORKFLOW_ID",
  launch_options = {
    { name = "param", flags = { "-p", "--param" }, arg = "KEY=VALUE", kind = "list", help = "one run parameter: " .. PARAM_HELP },
    { name = "idempotency_key", flags = { "--idempotency-key" }, arg = "KEY",
      help = "reuse a key to retry a launch safely (default: a new UUID)" },
    { name = "track_id", flags = { "--track-id" }, arg = "T", help = "Zuora-Track-Id for your logs" },
  },
  examples = {
    "kickoff launch zuora 396 -p accountId=8a8a8a8a --track-id nightly-7",
    "kickoff launch zuora 396 --batch accounts.csv --concurrency 8   # column param.accountId",
  },
}

function M.zuora.launch(client, o)
  return client:run(o.workflow_id, params_table(o.param),
    { idempotency_key = o.idempotency_key, track_id = o.track_id })
end

M.zuora.cancel = function(client, id) return client:stop(id) end

M.campaigns = {
  title = "Domo Campaigns",
  positional = "campaign_id",
  positional_arg = "CAMPAIGN_ID",
  launch_options = {
    { name = "email", flags = { "--email" }, arg = "ADDR", kind = "list",
      help = "send to this address of the list only (repeatable; none: the whole list)" },
  },
  -- a send is final when start returns: there is nothing to poll or cancel
  no_status = "a Campaigns send has no status to read or cancel: it is final when `launch` returns",
  examples = {
    "kickoff launch campaigns 42 --email ada@example.com --email grace@example.com",
  },
}

function M.campaigns.launch(client, o)
  return client:start(integer_or_text(o.campaign_id), { emails = o.email })
end

-- "UID[:ACCOUNT,...]" -> step table (parameters filled from --param).
local function parse_steps(list)
  local items = {}
  for _, text in ipairs(list or {}) do
    local uid, accounts = text:match("^([^:]+):(.*)$")
    local item = { uid or text }
    for account in (accounts or ""):gmatch("[^,%s]+") do item[#item + 1] = account end
    items[#items + 1] = item
  end
  return payload.steps(items)
end

local function read_inputs(path)
  if path:find("%.[Cc][Ss][Vv]$") then
    local inputs, err = payload.csv_inputs(path, { file = true })
    if not inputs then args.fail("--inputs %s: %s", path, err) end
    return inputs
  elseif path:find("%.[Jj][Ss][Oo][Nn]$") then
    local f, err = io.open(path, "r")
    if not f then args.fail("--inputs: %s", err) end
    local inputs, jerr = json.decode(f:read("a"))
    f:close()
    if type(inputs) ~= "table" then args.fail("--inputs %s: not valid JSON (%s)", path, tostring(jerr)) end
    return inputs
  end
  args.fail("--inputs needs a .csv or .json file, got %s", path)
end

M.captaindata = {
  title = "Captain Data",
  positional = "workflow_uid",
  positional_arg = "WORKFLOW_UID",
  launch_options = {
    { name = "job_name", flags = { "--job-name" }, arg = "NAME", help = "name of the job" },
    { name = "inputs", flags = { "--inputs" }, arg = "FILE", help = ".csv (header row names the keys) or .json list" },
    { name = "step", flags = { "--step" }, arg = "UID[:ACCOUNT,...]", kind = "list",
      help = "a step and the accounts it may use (repeatable, in order)" },
    { name = "param", flags = { "-p", "--param" }, arg = "STEP.KEY=VALUE", kind = "list",
      help = "a step parameter; STEP is a step uid or its position (1, 2, ...); KEY:=JSON for JSON" },
  },
  examples = {
    "kickoff launch captaindata 4f2c8a1e-6b3d-4e5f-9a7b-1c2d3e4f5a6b --job-name 'Profiles' \\\n"
      .. "    --inputs people.csv --step 9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b:d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a",
  },
}

function M.captaindata.launch(client, o)
  local steps = parse_steps(o.step)
  for _, p in ipairs(o.param or {}) do
    local step, rest = p:match("^([^.=]+)%.(.+)$")
    if not step then args.fail("--param needs STEP.KEY=VALUE, got '%s'", p) end
    local key, value = split_param(rest, "--param " .. step)
    local target = steps[math.tointeger(tonumber(step)) or 0]
    for _, s in ipairs(steps) do
      if s.step_uid == step then target = s end
    end
    if not target then args.fail("--param names step %s, which no --step gives", step) end
    target.parameters[key] = value
  end
  return client:launch(o.workflow_uid, {
    job_name = o.job_name, inputs = o.inputs and read_inputs(o.inputs) or nil, steps = steps,
  })
end

--- The vendor's verb: status, wait, cancel default to the client's methods.
function M.verb(vendor, verb)
  local v = M[vendor]
  if v[verb] then return v[verb] end
  return function(client, id, opts) return client[verb](client, id, opts) end
end

return M
