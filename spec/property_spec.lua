-- Property: every public verb, fed thousands of random inputs, either
-- succeeds (a real answer from the sandbox), returns a validation error
-- naming the field and its rule, or raises a clean argument error that
-- points at the caller. Never a raw Lua error from inside kickoff.
--
-- Inputs are mutations of a valid call (so some calls reach the sandbox)
-- and wholly random arguments. The seed is printed with every failure;
-- KICKOFF_PROPERTY_SEED=<seed> replays a run.
local kickoff = require("kickoff")
local json = require("kickoff.json")
local support = require("spec.support")

local SEED = support.property_seed()
-- Seconds for the whole file (the suite keeps it under 30 s) and cases per
-- verb; KICKOFF_PROPERTY_SECONDS and KICKOFF_PROPERTY_CASES raise them for a soak.
local BUDGET = tonumber(os.getenv("KICKOFF_PROPERTY_SECONDS")) or 20
local MIN_CASES = 300    -- each verb gets at least this many cases, however slow the machine
local MAX_CASES = math.tointeger(tonumber(os.getenv("KICKOFF_PROPERTY_CASES"))) or 3000
local CASE_SECONDS = 5   -- one call may take this long
local CASE_KB = 2 * 1024 * 1024 -- and the Lua heap may grow to this

local MODEL = "a8afdc89-9491-4ee4-b7c3-b9e9b86c0138"
local CD_WORKFLOW = "4f2c8a1e-6b3d-4e5f-9a7b-1c2d3e4f5a6b"
local CD_STEP = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
local CD_ACCOUNT = "d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a"
local CD_WARN_WORKFLOW = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" -- its jobs end in "warning": retryable
local CD_WARN_STEP = "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f"

-- Vendors finish runs at once, so wait() returns quickly.
local FAST = {
  domo = { progress = { start = 0.001, complete = 0.002 } },
  zuora = { progress = { processing = 0.001, finish = 0.002 }, stop_delay = 0.001 },
  captaindata = { progress = { start = 0.001, finish = 0.002 } },
}

-- A raised error is acceptable only when it is an argument error written
-- by kickoff and positioned at the caller: this file.
local CALLER = "[^:]*property_spec%.lua:%d+: "
local CLEAN_RAISES = {
  "^" .. CALLER .. "bad argument #%d+ to '[%w_%.]+' %(.+%)$",
  "^" .. CALLER .. "kickoff%.[%w_]+: bad option '[%w_]+' %(.+%)$",
  "^" .. CALLER .. "kickoff%.[%w_]+: unknown option '.*'$",
}

-- Kinds that mean "the sandbox answered": anything else after validation
-- passed means kickoff sent something the wire could not carry; unless the
-- case itself asked for a deadline or timeout under a second.
local ANSWERED = { http = true, auth = true }
local OUT_OF_TIME = { timeout = true, outcome_unknown = true }

local function asked_for_short_time(case)
  for i = 1, case.n do
    local arg = case.args[i]
    if type(arg) == "table" then
      for _, name in ipairs { "timeout", "deadline", "connect_timeout" } do
        local ok, val = pcall(function() return arg[name] end)
        if ok and type(val) == "number" and val < 1 then return true end
      end
    end
  end
  return false
end

local function is_clean_raise(msg)
  if type(msg) ~= "string" then return false end
  for _, pattern in ipairs(CLEAN_RAISES) do
    if msg:find(pattern) then return true end
  end
  return false
end

-- Does `field` name `root` (exactly, or a path below it)?
local function names(field, root)
  return field == root or field:sub(1, #root + 1) == root .. "." or field:sub(1, #root + 1) == root .. "["
end

-- Top-level names a validation error may point at for a given case: the
-- mutated argument or field, its declared relatives, and keys the inputs
-- really have (an unknown field is named as given).
local function allowed_roots(verb, case)
  local roots = {}
  for _, r in ipairs(case.roots) do
    roots[#roots + 1] = r
    for _, rel in ipairs(verb.related and verb.related[r] or {}) do roots[#roots + 1] = rel end
  end
  return roots
end

local function field_is_named(verb, case, field)
  if verb.field_ok then return verb.field_ok(case, field) end
  for _, root in ipairs(allowed_roots(verb, case)) do
    if root == "*" or names(field, root) then return true end
  end
  return false
end

local function fail(verb, case, why, detail)
  local args = {}
  for i = 1, case.n do args[i] = support.describe(case.args[i]) end
  error(string.format("%s: %s\n  seed: %d (replay: KICKOFF_PROPERTY_SEED=%d)\n  case %d, mutation %s\n  args: %s\n  %s",
    verb.name, why, SEED, SEED, case.index, case.mutation, table.concat(args, ", "), tostring(detail)), 0)
end

-- Classify one outcome, failing on anything unacceptable.
local function judge(verb, case, ok, a, b)
  if not ok then
    if not is_clean_raise(a) then fail(verb, case, "raised an error that is not a clean argument error", a) end
    return "raised"
  end
  if a == nil or a == false then
    if not kickoff.Error.is(b) then fail(verb, case, "returned a failure that is not a kickoff.Error", b) end
    local ok_text, text = pcall(tostring, b)
    if not ok_text then fail(verb, case, "tostring(err) raised", text) end
    if b.kind == "validation" then
      if type(b.field) ~= "string" or b.field == "" then fail(verb, case, "validation error without a field", text) end
      if type(b.rule) ~= "string" or b.rule == "" then fail(verb, case, "validation error without a rule", text) end
      if not text:find(b.field, 1, true) then fail(verb, case, "tostring(err) does not name the field", text) end
      if not field_is_named(verb, case, b.field) then
        fail(verb, case, "validation error names a field the input does not explain", text)
      end
      return "validation"
    end
    if OUT_OF_TIME[b.kind] and asked_for_short_time(case) then return "answered" end
    if not ANSWERED[b.kind] or math.type(b.status) ~= "integer" or b.status >= 500 then
      fail(verb, case, "passed validation but the sandbox did not answer normally", text)
    end
    return "answered"
  end
  if verb.check then
    local why = verb.check(a, b)
    if why then fail(verb, case, "bad success value: " .. why, support.describe(a)) end
  end
  return "success"
end

-- Case generation ---------------------------------------------------------

-- Mutate one path of a valid argument list. Returns the roots a
-- validation error may name and a description of the mutation.
local function mutate(rng, verb, args)
  local r = rng.float()
  local pos = rng.int(1, #verb.args)
  local spec = verb.args[pos]
  if r < 0.25 or type(args[pos]) ~= "table" or not spec.fields then
    -- the whole argument: random value (wrong types raise, content validates)
    args[pos] = support.random_value(rng, 0, spec.fields and spec.fields.names)
    local roots = { spec.name }
    local value = args[pos]
    if type(value) == "table" then
      for _, f in ipairs(spec.fields and spec.fields.names or {}) do roots[#roots + 1] = json.path("", f) end
      for k in pairs(value) do roots[#roots + 1] = json.path(spec.prefix or "", k) end
      local mt = getmetatable(value)
      -- a table whose __index answers every name has every field
      if type(mt) == "table" and type(rawget(mt, "__index")) == "function" then roots[#roots + 1] = "*" end
    end
    return roots, "arg " .. pos .. " replaced"
  end
  local t = args[pos]
  local nested = spec.fields.nested
  if nested and r < 0.55 then
    -- a nested path (e.g. data.x, steps[1].accounts[1]) of a known field
    local path = rng.pick(nested)
    local holder = t
    for i = 1, #path - 1 do
      if type(holder[path[i]]) ~= "table" then holder[path[i]] = {} end
      holder = holder[path[i]]
    end
    local last = path[#path]
    if last == "*" then last = support.random_key(rng) end
    if last ~= last or last == nil then last = "k" end
    holder[last] = support.random_value(rng, 1)
    local root = json.path(spec.prefix or "", path[1])
    return { root, spec.prefix or root }, "nested " .. tostring(path[1])
  end
  local key
  if rng.chance(0.8) then key = rng.pick(spec.fields.names) else key = support.random_key(rng) end
  if key ~= key or key == nil then key = "k" end
  if type(key) == "number" then key = math.tointeger(key) or key end -- as the table stores it
  if rng.chance(0.15) then t[key] = nil else t[key] = support.random_value(rng, 1, spec.fields.names) end
  local roots = { json.path("", key) }
  if spec.list then roots[#roots + 1] = spec.name end -- a stray key makes the list a map
  if spec.prefix then
    roots[#roots + 1] = json.path(spec.prefix, key)
    roots[#roots + 1] = spec.prefix
  end
  return roots, "field " .. support.describe(key)
end

local function make_case(rng, verb, index)
  local args = verb.valid()
  local roots, mutation = {}, "none"
  if rng.chance(0.9) then
    roots, mutation = mutate(rng, verb, args)
    if rng.chance(0.2) then -- a second mutation: either may be reported
      local more, m2 = mutate(rng, verb, args)
      for _, root in ipairs(more) do roots[#roots + 1] = root end
      mutation = mutation .. " + " .. m2
    end
  end
  return { args = args, n = #verb.args, roots = roots, mutation = mutation, index = index }
end

-- Verbs -------------------------------------------------------------------

-- Requests per accepted call: "one" (exactly one per attempt), "some"
-- (polls, pages, read-backs: at least one); verbs not listed send nothing.
local SENDS = {
  ["domo:start"] = "one", ["domo:status"] = "one", ["domo:cancel"] = "one", ["domo:wait"] = "some",
  ["zuora:run"] = "one", ["zuora:status"] = "one", ["zuora:stop"] = "some", ["zuora:wait"] = "some",
  ["campaigns:start"] = "one", ["campaigns:start_alert"] = "one",
  ["captaindata:launch"] = "one", ["captaindata:retry"] = "one", ["captaindata:status"] = "one",
  ["captaindata:cancel"] = "some", ["captaindata:results_page"] = "one", ["captaindata:results"] = "some",
  ["captaindata:delete_schedule"] = "one", ["captaindata:upsert_account"] = "one", ["captaindata:wait"] = "some",
}

local function run_check(value)
  if getmetatable(value) ~= kickoff.Run then return "not a kickoff.Run" end
  local ok, text = pcall(tostring, value)
  if not ok then return "tostring(run) raised: " .. tostring(text) end
  if type(value.is_final(value)) ~= "boolean" then return "is_final is not a boolean" end
end

local function table_check(value)
  if type(value) ~= "table" then return "not a table" end
end

local policy_fields = { "timeout", "deadline", "retries" }

-- Field lists per argument: names (keys to mutate), nested paths.
local function fields(list, nested)
  return { names = list, nested = nested }
end

local function with_policy(list)
  local out = { table.unpack(list) }
  for _, f in ipairs(policy_fields) do out[#out + 1] = f end
  return out
end

local call_opts = { name = "opts", fields = fields(policy_fields) }
local wait_opts = { name = "opts", fields = fields({ "timeout", "interval", "max_interval", "factor", "on_poll" }) }

local function client_verbs(sb, state)
  local creds = sb.credentials
  local domo = assert(kickoff.domo { base_url = sb.urls.domo, token = creds.domo_token })
  local zuora = assert(kickoff.zuora { base_url = sb.urls.zuora, client_id = creds.zuora_client_id,
                                       client_secret = creds.zuora_client_secret })
  local campaigns = assert(kickoff.campaigns { base_url = sb.urls.campaigns, instance = "acme.domo.com",
                                               token = creds.campaigns_token, owner_email = creds.campaigns_owner_email })
  local cd = assert(kickoff.captaindata { base_url = sb.urls.captaindata, api_key = creds.captaindata_api_key,
                                          project_id = creds.captaindata_project_id })
  local B = kickoff.captaindata_builders()
  state.zuora_client = zuora -- its token requests are not the verbs' requests

  local function job()
    return {
      job_name = "Property job",
      inputs = { { linkedin_profile_url = "https://linkedin.com/in/ada", meta = { crm_id = 7 } } },
      steps = { { step_uid = CD_STEP, accounts = { CD_ACCOUNT }, parameters = {} } },
    }
  end
  local job_fields = fields(
    { "job_name", "inputs", "steps", "unstructure_meta", "repeat_option", "timeout", "deadline" },
    { { "inputs", 1, "*" }, { "inputs", 1, "meta", "*" }, { "inputs", 2 }, { "steps", 1, "step_uid" },
      { "steps", 1, "accounts", 1 }, { "steps", 1, "parameters", "*" }, { "steps", 1, "*" }, { "steps", 2 },
      { "repeat_option", "type" }, { "repeat_option", "value" }, { "repeat_option", "*" } })

  local opts_names = { "base_url", "timeout", "connect_timeout", "deadline", "retries", "ca_file", "ca_path",
                       "proxy", "user_agent", "trace", "backoff_base", "backoff_cap", "retry_after_cap" }
  local function ctor_opts(own)
    local out = { table.unpack(opts_names) }
    for _, n in ipairs(own) do out[#out + 1] = n end
    return { name = "opts", fields = fields(out) }
  end
  -- Constructors get loopback URLs only: a valid random client must not
  -- be able to reach the network.
  local function ctor_check(client)
    if type(client) ~= "table" or not client.core then return "not a client" end
    local ok, text = pcall(tostring, client)
    client:close()
    if not ok then return "tostring(client) raised: " .. tostring(text) end
  end

  return {
    { name = "kickoff.domo", args = { ctor_opts { "instance", "token" } }, check = ctor_check,
      related = { base_url = { "instance" } },
      valid = function() return { { base_url = sb.urls.domo, token = "t" } } end,
      call = function(a) local r, e = kickoff.domo(a[1]); return r, e end },
    { name = "kickoff.zuora",
      args = { ctor_opts { "env", "client_id", "client_secret", "entity_ids", "org_ids" } },
      check = ctor_check, related = { base_url = { "env" } },
      valid = function() return { { base_url = sb.urls.zuora, client_id = "i", client_secret = "s",
                                    org_ids = { "o-1" } } } end,
      call = function(a) local r, e = kickoff.zuora(a[1]); return r, e end },
    { name = "kickoff.campaigns", args = { ctor_opts { "instance", "token", "owner_email" } }, check = ctor_check,
      valid = function() return { { base_url = sb.urls.campaigns, instance = "acme.domo.com", token = "t",
                                    owner_email = "o@example.com" } } end,
      call = function(a) local r, e = kickoff.campaigns(a[1]); return r, e end },
    { name = "kickoff.captaindata", args = { ctor_opts { "api_key", "project_id" } }, check = ctor_check,
      valid = function() return { { base_url = sb.urls.captaindata, api_key = "k", project_id = "p" } } end,
      call = function(a) local r, e = kickoff.captaindata(a[1]); return r, e end },

    { name = "domo:start", check = run_check,
      args = { { name = "p", fields = fields(with_policy { "model_id", "version", "workflow", "message", "data" },
                                              { { "data", "*" }, { "data", "parameter1" }, { "data", "*", "*" } }) } },
      related = { message = { "workflow" }, workflow = { "workflow" } },
      valid = function()
        return { { model_id = MODEL, version = "1.1.0", workflow = "AddTwoNumbers",
                   data = { parameter1 = 13, parameter2 = 7 } } }
      end,
      call = function(a) local r, e = domo:start(a[1]); return r, e end },
    { name = "domo:status", check = run_check, args = { { name = "id" }, call_opts },
      valid = function() return { state.domo_id, {} } end,
      call = function(a) local r, e = domo:status(a[1], a[2]); return r, e end },
    { name = "domo:cancel", check = run_check, args = { { name = "id" }, call_opts },
      valid = function() return { state.domo_id, { retries = 0 } } end,
      call = function(a) local r, e = domo:cancel(a[1], a[2]); return r, e end },
    { name = "domo:wait", check = run_check, args = { { name = "run" }, wait_opts },
      valid = function() return { state.domo_id, { interval = 0.001 } } end,
      call = function(a) local r, e = domo:wait(a[1], a[2]); return r, e end },

    { name = "zuora:run", check = run_check,
      args = { { name = "workflow_id" },
               { name = "params", prefix = "params", fields = fields({ "accountId", "amount" }, { { "accountId" }, { "*" } }) },
               { name = "opts", prefix = "opts", fields = fields(with_policy { "idempotency_key", "track_id", "gzip" }) } },
      valid = function() return { 397, { accountId = "A-1", amount = 12 }, { track_id = "t-1", gzip = false } } end,
      call = function(a) local r, e = zuora:run(a[1], a[2], a[3]); return r, e end },
    { name = "zuora:status", check = run_check, args = { { name = "run_id" }, call_opts },
      valid = function() return { state.zuora_id, {} } end,
      call = function(a) local r, e = zuora:status(a[1], a[2]); return r, e end },
    { name = "zuora:stop", check = run_check, args = { { name = "run_id" }, call_opts },
      valid = function() return { state.zuora_id, {} } end,
      call = function(a) local r, e = zuora:stop(a[1], a[2]); return r, e end },
    { name = "zuora:wait", check = run_check, args = { { name = "run" }, wait_opts },
      valid = function() return { state.zuora_id, { interval = 0.001 } } end,
      call = function(a) local r, e = zuora:wait(a[1], a[2]); return r, e end },

    { name = "campaigns:start", check = run_check,
      args = { { name = "campaign_id" },
               { name = "opts", fields = fields({ "emails", "timeout", "deadline" }, { { "emails", 1 }, { "emails", 2 } }) } },
      valid = function() return { 42, { emails = { "ada@example.com" } } } end,
      call = function(a) local r, e = campaigns:start(a[1], a[2]); return r, e end },
    { name = "campaigns:start_alert", check = run_check,
      args = { { name = "campaign_id" },
               { name = "opts", fields = fields({ "emails", "is_test", "fields", "timeout", "deadline" },
                                                { { "emails", 1 }, { "fields", "*" }, { "fields", 1, "key" },
                                                  { "fields", 1, "value" } }) } },
      related = { is_test = { "emails" } },
      valid = function() return { 42, { is_test = true, emails = { "ada@example.com" }, fields = { region = "EMEA" } } } end,
      call = function(a) local r, e = campaigns:start_alert(a[1], a[2]); return r, e end },

    { name = "captaindata:launch", check = run_check,
      args = { { name = "workflow_uid" }, { name = "job", fields = job_fields } },
      valid = function() return { CD_WORKFLOW, job() } end,
      call = function(a) local r, e = cd:launch(a[1], a[2]); return r, e end },
    { name = "captaindata:retry", check = run_check,
      args = { { name = "job_uid" }, { name = "job", fields = job_fields } },
      valid = function()
        local j = job()
        j.steps[1].step_uid = CD_WARN_STEP
        return { state.cd_warning_job, j }
      end,
      call = function(a) local r, e = cd:retry(a[1], a[2]); return r, e end },
    { name = "captaindata:status", check = run_check, args = { { name = "job_uid" }, call_opts },
      valid = function() return { state.cd_job, {} } end,
      call = function(a) local r, e = cd:status(a[1], a[2]); return r, e end },
    { name = "captaindata:cancel", check = run_check, args = { { name = "job_uid" }, call_opts },
      valid = function() return { state.cd_job, {} } end,
      call = function(a) local r, e = cd:cancel(a[1], a[2]); return r, e end },
    { name = "captaindata:results_page", check = table_check, args = { { name = "job_uid" }, call_opts },
      related = { job_uid = { "url", "job_uid_or_url" } },
      valid = function() return { state.cd_job, {} } end,
      call = function(a) local r, e = cd:results_page(a[1], a[2]); return r, e end },
    { name = "captaindata:results", args = { { name = "job_uid" }, call_opts },
      related = { job_uid = { "url", "job_uid_or_url" } },
      valid = function() return { state.cd_job, {} } end,
      call = function(a)
        local iter = cd:results(a[1], a[2]) -- luacheck: ignore 321
        local rows = 0
        for row, err in iter do
          if row == false then return false, err end
          rows = rows + 1
          if rows > 100 then break end
        end
        return rows
      end },
    { name = "captaindata:delete_schedule", args = { { name = "job_name" }, call_opts },
      valid = function() return { "Property job", {} } end,
      call = function(a) local r, e = cd:delete_schedule(a[1], a[2]); return r, e end },
    { name = "captaindata:upsert_account", check = table_check,
      args = { { name = "integration" },
               { name = "account", prefix = "account", fields = fields({ "uid", "name", "cookies" }, { { "cookies", "*" } }) },
               call_opts },
      valid = function() return { "linkedin", { name = "Ada", cookies = { li_at = "c" } }, {} } end,
      call = function(a) local r, e = cd:upsert_account(a[1], a[2], a[3]); return r, e end },
    { name = "captaindata:wait", check = run_check, args = { { name = "job" }, wait_opts },
      related = { job = { "run", "job_uid" } },
      valid = function() return { state.cd_job, { interval = 0.001 } } end,
      call = function(a) local r, e = cd:wait(a[1], a[2]); return r, e end },

    { name = "builders.csv_inputs", check = table_check,
      args = { { name = "source" }, { name = "opts", fields = fields({ "file" }) } },
      related = { file = { "source" } },
      valid = function() return { "name,meta.id\nAda,1\n", {} } end,
      call = function(a) local r, e = B.csv_inputs(a[1], a[2]); return r, e end },
    { name = "builders.step", check = table_check,
      args = { { name = "step_uid" }, { name = "opts", fields = fields({ "accounts", "parameters", "output_column" }) } },
      valid = function() return { CD_STEP, { accounts = { CD_ACCOUNT } } } end,
      call = function(a) local r, e = B.step(a[1], a[2]); return r, e end },
    { name = "builders.steps", check = table_check,
      args = { { name = "steps", list = true, fields = fields({ 1, 2 }, { { 1, 1 }, { 1, 2 }, { 2, "step_uid" } }) } },
      related = { ["[1]"] = { "steps" }, ["[2]"] = { "steps" } },
      valid = function() return { { { CD_STEP, CD_ACCOUNT }, { step_uid = CD_STEP } } } end,
      call = function(a) local r, e = B.steps(a[1]); return r, e end },
    { name = "builders.template", check = table_check,
      args = { { name = "base", fields = fields({ "steps", "repeat_option", "job" }) },
               { name = "job_name" }, { name = "inputs" }, { name = "overrides", fields = fields({ "steps" }) } },
      valid = function() return { { steps = B.steps { { CD_STEP, CD_ACCOUNT } } }, "n", { { a = "1" } }, {} } end,
      call = function(a)
        local template = B.template(a[1])
        local made = template:job(a[2], a[3], a[4])
        return made
      end },

    { name = "kickoff.json.encode", args = { { name = "value", fields = fields({ "a", 1 }, { { "a", "*" } }) }, { name = "path" } },
      valid = function() return { { a = { 1, 2 } }, "body" } end,
      -- errors are named under the path given (or from the top)
      field_ok = function(case, field)
        local path = case.args[2]
        return type(path) ~= "string" or path == "" or names(field, path)
      end,
      call = function(a)
        local text, field, rule = json.encode(a[1], a[2])
        if text then return text end
        -- the encoder's own contract: nil, field, rule
        if type(field) ~= "string" or type(rule) ~= "string" then error("json.encode: failure without field and rule", 0) end
        return nil, kickoff.Error.validation("json", field, rule)
      end },
    { name = "kickoff.Run.new", check = run_check,
      args = { { name = "fields", fields = fields({ "vendor", "id", "status", "vendor_status", "raw" }) } },
      valid = function() return { { vendor = "domo", id = "x", vendor_status = "IN_PROGRESS" } } end,
      call = function(a) local r, e = kickoff.Run.new(a[1]); return r, e end },
    { name = "kickoff.Error.new",
      args = { { name = "fields", fields = fields({ "kind", "message", "vendor", "status", "attempts", "retry_after",
                                                     "request_id", "phase", "field", "rule", "retryable" }) } },
      valid = function() return { { kind = "http", message = "m", status = 404, attempts = 1 } } end,
      check = function(err)
        if not kickoff.Error.is(err) then return "not a kickoff.Error" end
        local ok, text = pcall(tostring, err)
        if not ok then return "tostring(err) raised: " .. tostring(text) end
      end,
      call = function(a) local r, e = kickoff.Error.new(a[1]); return r, e end },
    { name = "kickoff.Error.validation",
      args = { { name = "vendor" }, { name = "field" }, { name = "rule" } },
      valid = function() return { "domo", "x", "is required" } end,
      check = function(err)
        local ok, text = pcall(tostring, err)
        if not ok then return "tostring(err) raised: " .. tostring(text) end
      end,
      call = function(a) local r, e = kickoff.Error.validation(a[1], a[2], a[3]); return r, e end },
  }
end

-- Requests the sandbox has received; a sandbox failure shows its log.
local function journal_size(sb)
  local ok, st = pcall(sb.state, sb)
  if ok and type(st) == "table" and math.type(st.journal_size) == "integer" then return st.journal_size end
  local f = io.open(sb._base .. ".log", "rb")
  local log = f and f:read("a") or ""
  if f then f:close() end
  error(string.format("sandbox state failed (seed %d): %s\n  sandbox log: %s", SEED,
    tostring(ok and st or select(2, pcall(sb.state, sb))):sub(1, 300), log:sub(-2000)), 0)
end

describe("property: random input to every public verb #property", function()
  local sb
  local state = {}
  local verbs

  setup(function()
    sb = support.sandbox { config = FAST }
    verbs = client_verbs(sb, state)
  end)
  teardown(function() sb:stop() end)

  before_each(function()
    sb:reset() -- back to the start config (FAST)
  end)

  -- Each verb is its own test so a failure names it; all share one budget.
  local wall_start
  local verb_names = {
    "kickoff.domo", "kickoff.zuora", "kickoff.campaigns", "kickoff.captaindata",
    "domo:start", "domo:status", "domo:cancel", "domo:wait",
    "zuora:run", "zuora:status", "zuora:stop", "zuora:wait",
    "campaigns:start", "campaigns:start_alert",
    "captaindata:launch", "captaindata:retry", "captaindata:status", "captaindata:cancel",
    "captaindata:results_page", "captaindata:results", "captaindata:delete_schedule",
    "captaindata:upsert_account", "captaindata:wait",
    "builders.csv_inputs", "builders.step", "builders.steps", "builders.template",
    "kickoff.json.encode", "kickoff.Run.new", "kickoff.Error.new", "kickoff.Error.validation",
  }

  for index, name in ipairs(verb_names) do
    it(name .. " (seed " .. SEED .. ")", function()
      wall_start = wall_start or require("kickoff.core").monotime()
      local verb
      for _, v in ipairs(verbs) do if v.name == name then verb = v end end
      assert(verb, "no verb " .. name)
      -- fresh targets for the verbs that need an existing run
      local creds = sb.credentials
      state.domo_id = assert(kickoff.domo { base_url = sb.urls.domo, token = creds.domo_token }:start {
        model_id = MODEL, version = "1.1.0", workflow = "AddTwoNumbers", data = {} }).id
      state.zuora_id = assert(kickoff.zuora { base_url = sb.urls.zuora, client_id = creds.zuora_client_id,
        client_secret = creds.zuora_client_secret }:run(397)).id
      state.cd_job = assert(kickoff.captaindata { base_url = sb.urls.captaindata, api_key = creds.captaindata_api_key,
        project_id = creds.captaindata_project_id }:launch(CD_WORKFLOW, {
          job_name = "Property job", inputs = { { a = "1" } }, steps = { { step_uid = CD_STEP } } })).id
      local cd = kickoff.captaindata { base_url = sb.urls.captaindata, api_key = creds.captaindata_api_key,
        project_id = creds.captaindata_project_id }
      state.cd_warning_job = assert(cd:wait(assert(cd:launch(CD_WARN_WORKFLOW, {
        job_name = "Property job", inputs = { { a = "1" } }, steps = { { step_uid = CD_WARN_STEP } } })),
        { interval = 0.001 })).id

      -- reset() revoked the shared Zuora client's token: renew it now, not in a counted call
      assert(state.zuora_client:status(state.zuora_id))

      local core = require("kickoff.core")
      local rng = support.rng(SEED * 1000 + index)
      local left = #verb_names - index + 1
      local remaining = BUDGET - (core.monotime() - wall_start)
      local until_time = core.monotime() + math.max(remaining / left, 0.2)
      local counts = { success = 0, validation = 0, raised = 0, answered = 0 }
      -- requests the outcomes account for: at least `least`, at most least + slack
      local least, slack = 0, 0
      local journal_before, tokens_before = journal_size(sb), state.zuora_client:token_requests()
      local n = 0
      while n < MAX_CASES and (n < MIN_CASES or core.monotime() < until_time) do
        n = n + 1
        local case = make_case(rng, verb, n)
        -- an endless loop or runaway memory inside a verb fails the case
        local case_start = core.monotime()
        debug.sethook(function()
          if core.monotime() - case_start > CASE_SECONDS or collectgarbage("count") > CASE_KB then
            debug.sethook()
            error("property case exceeded " .. CASE_SECONDS .. " s or " .. CASE_KB .. " KB", 2)
          end
        end, "", 100000)
        local ok, a, b = pcall(verb.call, case.args)
        debug.sethook()
        local outcome = judge(verb, case, ok, a, b)
        counts[outcome] = counts[outcome] + 1
        if outcome == "success" then
          least = least + 1
          -- a call that asked for a sub-second timeout may have timed out
          -- after sending and then succeeded on a retry (at most 100 retries)
          if asked_for_short_time(case) then slack = slack + 100 end
        elseif outcome == "answered" then
          local attempts = math.tointeger(b.attempts) or 0
          -- out of time: anything from nothing to every attempt reached the sandbox
          if OUT_OF_TIME[b.kind] then slack = slack + attempts else least = least + attempts end
        end
      end
      -- validation happens before anything is sent: the sandbox saw only
      -- the requests of accepted calls
      local sent = journal_size(sb) - journal_before - (state.zuora_client:token_requests() - tokens_before)
      local sends = SENDS[name] or "none"
      local why = string.format("%s: the sandbox saw %d requests; accepted calls account for %d..%d (seed %d)",
        name, sent, least, least + slack, SEED)
      if sends == "none" then
        assert.equal(0, sent, why)
      elseif sends == "one" then
        assert.truthy(sent >= least and sent <= least + slack, why)
      else
        assert.truthy(sent >= least, why)
      end
      -- the inputs did explore: invalid ones were refused, some were accepted
      assert.truthy(counts.validation + counts.raised > 0, name .. ": nothing was refused")
      assert.truthy(counts.success + counts.answered > 0, name .. ": nothing was accepted (seed " .. SEED .. ")")
      print(string.format("  %-28s %5d cases: %d ok, %d answered, %d validation, %d raised", name, n,
        counts.success, counts.answered, counts.validation, counts.raised))
    end)
  end
end)
