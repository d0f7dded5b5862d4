-- The fault matrix: for every vendor, each scripted sandbox fault against the
-- launch and against a status read, with the outcome the retry rules
-- promise (ARCHITECTURE §3): the result or error kind, how many requests
-- the sandbox received, how many launches it acted on, and for Zuora the
-- idempotency keys it saw. Every row is enforced.
local kickoff = require("kickoff")
local support = require("spec.support")

local DOMO_MODEL = "a8afdc89-9491-4ee4-b7c3-b9e9b86c0138"
local CD_WORKFLOW = "4f2c8a1e-6b3d-4e5f-9a7b-1c2d3e4f5a6b"
local CD_STEP = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
local CD_ACCOUNT = "d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a"
local ZUORA_WORKFLOW = 397

-- Fast retries and a short per-attempt timeout keep the matrix quick.
local POLICY = { backoff_base = 0.01, backoff_cap = 0.05, timeout = 0.5 }

local function with_policy(opts)
  for k, v in pairs(POLICY) do opts[k] = v end
  return opts
end

-- How each vendor is driven and observed.
local vendors = {
  domo = {
    client = function(sb)
      return kickoff.domo(with_policy { base_url = sb.urls.domo, token = sb.credentials.domo_token })
    end,
    launch = function(c)
      return c:start { model_id = DOMO_MODEL, version = "1.1.0", workflow = "AddTwoNumbers",
        data = { parameter1 = 1, parameter2 = 2 } }
    end,
    launch_path = "/instances/message$",
    status = function(c, run) return c:status(run.id) end,
    acted = function(state) return #state.domo.instances end,
  },
  zuora = {
    idempotent_launch = true,
    client = function(sb)
      return kickoff.zuora(with_policy { base_url = sb.urls.zuora, client_id = sb.credentials.zuora_client_id,
        client_secret = sb.credentials.zuora_client_secret })
    end,
    launch = function(c) return c:run(ZUORA_WORKFLOW, { amount = 1 }) end,
    launch_path = "/workflows/%d+/run$",
    status = function(c, run) return c:status(run.id) end,
    acted = function(state) return #state.zuora.runs end,
  },
  campaigns = {
    client = function(sb)
      return kickoff.campaigns(with_policy { base_url = sb.urls.campaigns, instance = "acme.domo.com",
        token = sb.credentials.campaigns_token, owner_email = sb.credentials.campaigns_owner_email })
    end,
    launch = function(c) return c:start(42) end,
    launch_path = "/campaigns/start$",
    acted = function(state) return #state.campaigns.sent end,
  },
  captaindata = {
    client = function(sb)
      return kickoff.captaindata(with_policy { base_url = sb.urls.captaindata,
        api_key = sb.credentials.captaindata_api_key, project_id = sb.credentials.captaindata_project_id })
    end,
    launch = function(c)
      return c:launch(CD_WORKFLOW, { job_name = "matrix",
        inputs = { { linkedin_profile_url = "https://linkedin.com/in/ada" } },
        steps = { { step_uid = CD_STEP, accounts = { CD_ACCOUNT } } } })
    end,
    launch_path = "/schedule$",
    status = function(c, run) return c:status(run.id) end,
    acted = function(state) return #state.captaindata.jobs end,
  },
}

-- A launch without an idempotency key: retried only when provably not
-- acted on. Expected outcome per fault: { kind, requests, acted }.
local unkeyed_launch = {
  { "503 once", { status = 503 }, { kind = "http", requests = 1, acted = 0, retryable = false } },
  { "429 once with Retry-After 0", { status = 429, headers = { ["Retry-After"] = "0" } },
    { ok = true, requests = 2, acted = 1 } },
  { "reset before acting", { reset = true }, { kind = "outcome_unknown", requests = 1, acted = 0 } },
  { "reset after acting", { reset = true }, { kind = "outcome_unknown", requests = 1, acted = 1 }, "after" },
  { "empty reply after acting", { empty = true }, { kind = "outcome_unknown", requests = 1, acted = 1 }, "after" },
  { "truncated body", { truncate = true }, { kind = "outcome_unknown", requests = 1, acted = 1 } },
  { "stalled body", { stall = 2 }, { kind = "outcome_unknown", requests = 1, acted = 1 } },
  { "malformed JSON after acting", { malformed_json = true },
    { kind = "protocol", requests = 1, acted = 1, message = "launch most likely happened" }, "after" },
  { "429 with Retry-After beyond the 60 s cap", { status = 429, headers = { ["Retry-After"] = "120" } },
    { kind = "rate_limited", requests = 1, acted = 0, retry_after = 120 } },
  { "seeded random latency", { latency = { dist = "uniform", min = 0.01, max = 0.05 } },
    { ok = true, requests = 1, acted = 1 } },
  { "400", { status = 400, body = { message = "bad" } }, { kind = "http", requests = 1, acted = 0 } },
  { "401", { status = 401 }, { kind = "auth", requests = 1, acted = 0 } },
}

-- Zuora runs carry one Idempotency-Key on every attempt: retried freely,
-- acted on once.
local keyed_launch = {
  { "503 once", { status = 503 }, { ok = true, requests = 2, acted = 1 } },
  { "429 once with Retry-After 0", { status = 429, headers = { ["Retry-After"] = "0" } },
    { ok = true, requests = 2, acted = 1 } },
  { "reset before acting", { reset = true }, { ok = true, requests = 2, acted = 1 } },
  { "reset after acting", { reset = true }, { ok = true, requests = 2, acted = 1 }, "after" },
  { "empty reply after acting", { empty = true }, { ok = true, requests = 2, acted = 1 }, "after" },
  { "truncated body", { truncate = true }, { ok = true, requests = 2, acted = 1 } },
  { "stalled body", { stall = 2 }, { ok = true, requests = 2, acted = 1 } },
  { "malformed JSON", { malformed_json = true }, { kind = "protocol", requests = 1, acted = 0 } },
  { "503 twice, then success", { status = 503 }, { ok = true, requests = 3, acted = 1 }, nil, 2 },
  { "503 on every attempt", { status = 503 }, { kind = "http", requests = 3, acted = 0, retryable = true }, nil, 10 },
  { "429 with Retry-After beyond the 60 s cap", { status = 429, headers = { ["Retry-After"] = "120" } },
    { kind = "rate_limited", requests = 1, acted = 0, retry_after = 120 } },
  { "400", { status = 400, body = { message = "bad" } }, { kind = "http", requests = 1, acted = 0 } },
}

-- Status reads are GETs: retried on anything transient.
local status_read = {
  { "503 once", { status = 503 }, { ok = true, requests = 2 } },
  { "reset", { reset = true }, { ok = true, requests = 2 } },
  { "empty reply", { empty = true }, { ok = true, requests = 2 } },
  { "stalled body", { stall = 2 }, { ok = true, requests = 2 } },
  { "500 on every attempt", { status = 500 }, { kind = "http", requests = 3, retryable = true }, nil, 10 },
  { "malformed JSON", { malformed_json = true }, { kind = "protocol", requests = 1 } },
  { "404", { status = 404, body = {} }, { kind = "http", requests = 1 } },
}

local function count(sb, vendor, method, pattern)
  return #support.requests(sb, vendor, { method = method, pattern = pattern })
end

local function keys_seen(sb, vendor, pattern)
  local keys = {}
  for i, e in ipairs(support.requests(sb, vendor, { method = "POST", pattern = pattern })) do
    keys[i] = e.headers["idempotency-key"]
  end
  return keys
end

local function check_outcome(want, result, err)
  if want.ok then
    assert.truthy(result, "expected success, got " .. tostring(err))
  else
    assert.is_nil(result)
    assert.equal(want.kind, err.kind, tostring(err))
    if want.retryable ~= nil then assert.equal(want.retryable, err.retryable, tostring(err)) end
    if want.kind == "outcome_unknown" then
      assert.matches("may or may not have happened", err.message)
    end
    if want.message then assert.matches(want.message, err.message, 1, true) end
    if want.retry_after then assert.equal(want.retry_after, err.retry_after) end
  end
end

describe("fault matrix", function()
  local sb

  setup(function() sb = support.sandbox { seed = 7 } end)
  teardown(function() sb:stop() end)
  before_each(function() sb:reset() end)

  local function fault(vendor, method, path_pattern, action, when, times)
    sb:fault { vendor = vendor, method = method, path_pattern = path_pattern, times = times or 1,
      when = when, action = action }
  end

  for _, name in ipairs { "domo", "zuora", "campaigns", "captaindata" } do
    local v = vendors[name]
    local rows = v.idempotent_launch and keyed_launch or unkeyed_launch
    for _, row in ipairs(rows) do
      local label, action, want, when, times = row[1], row[2], row[3], row[4], row[5]
      it(name .. " launch, " .. label, function()
        local c = assert(v.client(sb))
        local seeded = v.acted(sb:state())
        fault(name, "POST", v.launch_path, action, when, times)
        local run, err = v.launch(c)
        check_outcome(want, run, err)
        assert.equal(want.requests, count(sb, name, "POST", v.launch_path), "requests received")
        assert.equal(want.acted, v.acted(sb:state()) - seeded, "launches acted on")
        if v.idempotent_launch then
          local keys = keys_seen(sb, name, v.launch_path)
          for _, key in ipairs(keys) do assert.equal(keys[1], key, "one key on every attempt") end
          if run then assert.equal(run.idempotency_key, keys[1]) end
        end
      end)
    end

    if v.status then
      for _, row in ipairs(status_read) do
        local label, action, want, when, times = row[1], row[2], row[3], row[4], row[5]
        it(name .. " status, " .. label, function()
          local c = assert(v.client(sb))
          local run = assert(v.launch(c))
          sb:clear_journal()
          fault(name, "GET", ".", action, when, times)
          local got, err = v.status(c, run)
          check_outcome(want, got, err)
          assert.equal(want.requests, count(sb, name, "GET", "."), "requests received")
        end)
      end
    end
  end

  describe("zuora tokens", function()
    local function client()
      return assert(vendors.zuora.client(sb))
    end

    local function launches(n, z)
      local list = {}
      for i = 1, n do list[i] = i end
      return kickoff.map(list, function() return z:run(ZUORA_WORKFLOW, { amount = 1 }) end, { concurrency = 8 })
    end

    it("a 401 storm after revocation costs one token refresh, not one per request", function()
      local z = client()
      local seeded = #sb:state().zuora.runs
      assert(z:run(ZUORA_WORKFLOW, {}))
      sb:configure { zuora = { revoke_tokens = true } }
      local results = launches(20, z)
      for i, r in ipairs(results) do assert.truthy(r[1], "run " .. i .. ": " .. tostring(r[2])) end
      assert.equal(2, count(sb, "zuora", "POST", "^/oauth/token$"))
      assert.equal(2, z:token_requests())
      -- every run was acted on once, whatever its attempts
      assert.equal(21, #sb:state().zuora.runs - seeded)
    end)

    it("token expiry mid-batch: refreshed ahead of time, no request refused", function()
      sb:configure { zuora = { token_ttl = 1 } }
      sb:fault { vendor = "zuora", path_pattern = "/run$", action = { latency = 0.1 } }
      local z = client()
      local results = launches(112, z) -- 14 rounds of 0.1 s: longer than the token lives
      for i, r in ipairs(results) do assert.truthy(r[1], "run " .. i .. ": " .. tostring(r[2])) end
      local refused = 0
      for _, e in ipairs(sb:journal("zuora")) do
        if e.status == 401 then refused = refused + 1 end
      end
      assert.equal(0, refused)
      assert.is_true(z:token_requests() >= 2, "the token was never refreshed")
      assert.equal(z:token_requests(), count(sb, "zuora", "POST", "^/oauth/token$"))
    end)

    it("a token endpoint that is down is an http error, retryable, and nothing is launched", function()
      sb:fault { vendor = "zuora", path_pattern = "^/oauth/token$", times = 10, action = { status = 503 } }
      local run, err = client():run(ZUORA_WORKFLOW, {})
      assert.is_nil(run)
      assert.equal("http", err.kind)
      assert.equal("token", err.phase)
      assert.is_true(err.retryable)
      assert.matches("was not sent", err.message)
      assert.equal(3, count(sb, "zuora", "POST", "^/oauth/token$"))
      assert.equal(0, count(sb, "zuora", "POST", "/run$"))
    end)

    it("rejected client credentials are an auth error, not retried", function()
      sb:fault { vendor = "zuora", path_pattern = "^/oauth/token$", times = 1, action = { status = 401 } }
      local _, err = client():run(ZUORA_WORKFLOW, {})
      assert.equal("auth", err.kind)
      assert.is_false(err.retryable)
      assert.equal(1, count(sb, "zuora", "POST", "^/oauth/token$"))
    end)

    it("concurrent first requests share one token request", function()
      local z = client()
      local results = launches(32, z)
      for _, r in ipairs(results) do assert.truthy(r[1]) end
      assert.equal(1, count(sb, "zuora", "POST", "^/oauth/token$"))
    end)
  end)
end)
