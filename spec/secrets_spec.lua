-- Secrets and TLS across every vendor: the happy and the failing paths
-- (401, 5xx, 429 with Retry-After, reset, malformed JSON, timeout, TLS
-- failures) run with tracing on, and every trace event, error, tostring of
-- clients, runs and errors, the sandbox journal and the sandbox log are
-- scanned for the credentials used, whole and in part (first and last 8
-- characters). Also: TLS is verified by default, plain http leaves only for
-- loopback, redirects are not followed, credentials reach no other host.
--
-- The journal is what the vendor received, so each credential is expected
-- exactly once per request in its vendor's carrier (a header, the token
-- form, the Campaigns body field) and nowhere else.
local kickoff = require("kickoff")
local support = require("spec.support")

local MODEL = "a8afdc89-9491-4ee4-b7c3-b9e9b86c0138"
local CD_WORKFLOW = "4f2c8a1e-6b3d-4e5f-9a7b-1c2d3e4f5a6b"
local CD_STEP = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
local FAST = {
  domo = { progress = { start = 0.01, complete = 0.02 } },
  zuora = { progress = { processing = 0.01, finish = 0.02 }, stop_delay = 0.01 },
  captaindata = { progress = { start = 0.01, finish = 0.02 } },
}
-- quick failures: one retry, short backoff, short timeouts
local POLICY = { retries = 1, backoff_base = 0.01, backoff_cap = 0.02, timeout = 2, deadline = 6 }

local VENDORS = { "domo", "zuora", "campaigns", "captaindata" }
local LAUNCH_PATH = {
  domo = "^/api/workflow/v1/instances/message$", zuora = "^/workflows/%d+/run$",
  campaigns = "^/api/v1/campaigns/start$", captaindata = "^/v3/workflows/[^/]+/schedule$",
}

local function credentials(tag)
  return {
    domo_token = support.random_secret("dm" .. tag),
    zuora_client_id = "zuora-client-" .. tag,
    zuora_client_secret = support.random_secret("zs" .. tag),
    campaigns_token = support.random_secret("cp" .. tag),
    campaigns_owner_email = "owner@example.com",
    captaindata_api_key = support.random_secret("cd" .. tag),
    captaindata_project_id = "7d0b3c52-1f4e-4a8b-9c6d-2e5f8a1b3c4d",
  }
end

local SECRET_NAMES = { "domo_token", "zuora_client_secret", "campaigns_token", "captaindata_api_key" }

-- Client options for a vendor from a credentials table.
local function client_opts(vendor, base_url, creds, extra)
  local opts = ({
    domo = { token = creds.domo_token },
    zuora = { client_id = creds.zuora_client_id, client_secret = creds.zuora_client_secret },
    campaigns = { instance = "acme.domo.com", token = creds.campaigns_token, owner_email = creds.campaigns_owner_email },
    captaindata = { api_key = creds.captaindata_api_key, project_id = creds.captaindata_project_id },
  })[vendor]
  opts.base_url = base_url
  for k, v in pairs(POLICY) do opts[k] = v end
  for k, v in pairs(extra or {}) do opts[k] = v end
  return opts
end

local function job()
  return { job_name = "Secrets job", inputs = { { a = "1" } }, steps = { { step_uid = CD_STEP } } }
end

-- Per vendor: every verb once (happy), a launch and a read (failing paths).
local verbs = {
  domo = {
    happy = function(c)
      local run = assert(c:start { model_id = MODEL, version = "1.1.0", workflow = "AddTwoNumbers", data = { a = 1 } })
      local other = assert(c:start { model_id = MODEL, version = "1.1.0", workflow = "AddTwoNumbers" })
      return { run, assert(c:status(run.id)), assert(c:wait(run, { interval = 0.01 })), assert(c:cancel(other)) }
    end,
    launch = function(c) return c:start { model_id = MODEL, version = "1.1.0", workflow = "AddTwoNumbers" } end,
    read = function(c, ids) return c:status(ids.domo) end,
  },
  zuora = {
    happy = function(c)
      local run = assert(c:run(396, { accountId = "A-1" }, { track_id = "secrets" }))
      local other = assert(c:run(397))
      return { run, assert(c:status(run)), assert(c:wait(run, { interval = 0.01 })), assert(c:stop(other)),
               c:token_requests() }
    end,
    launch = function(c) return c:run(397) end,
    read = function(c) return c:status(9001) end,
  },
  campaigns = {
    happy = function(c)
      return { assert(c:start(42, { emails = { "ada@example.com" } })),
               assert(c:start_alert(42, { is_test = true, emails = { "ada@example.com" }, fields = { region = "EMEA" } })) }
    end,
    launch = function(c) return c:start(42) end,
    read = function(c) return c:start_alert(42, { fields = { region = "EMEA" } }) end,
  },
  captaindata = {
    happy = function(c)
      local run = assert(c:launch(CD_WORKFLOW, job()))
      local canceled = assert(c:cancel(assert(c:launch(CD_WORKFLOW, job()))))
      local final = assert(c:wait(run, { interval = 0.01 }))
      local rows = {}
      for row, err in c:results(run.id) do rows[#rows + 1] = assert(row, err) end
      local scheduled = job()
      scheduled.job_name, scheduled.repeat_option = "Secrets schedule", { type = "day", value = 1 }
      assert(c:launch(CD_WORKFLOW, scheduled))
      return { run, canceled, final, rows, assert(c:status(run)),
               assert(c:upsert_account("linkedin", { name = "Ada", cookies = { li_at = "cookie" } })),
               assert(c:delete_schedule("Secrets schedule")) }
    end,
    launch = function(c) return c:launch(CD_WORKFLOW, job()) end,
    read = function(c, ids) return c:status(ids.captaindata) end,
  },
}

-- Failing paths, each scripted as a sandbox fault on every route of the vendor.
local FAULTS = {
  { name = "5xx", action = { status = 503 }, kinds = { http = true } },
  { name = "429 with Retry-After", action = { status = 429, headers = { ["Retry-After"] = "0" } },
    kinds = { rate_limited = true } },
  { name = "reset", action = { reset = true }, kinds = { network = true, outcome_unknown = true } },
  { name = "malformed JSON", action = { malformed_json = true }, kinds = { protocol = true } },
  { name = "timeout", action = { stall = 3 }, kinds = { timeout = true, outcome_unknown = true },
    opts = { timeout = 0.3, retries = 0 } },
}

-- A journal entry with each credential taken out of the one place its
-- vendor carries it; returns the copy and the credentials it held there.
local function without_carrier(entry)
  local e = {}
  for k, v in pairs(entry) do e[k] = v end
  local headers = {}
  for k, v in pairs(entry.headers or {}) do headers[k] = v end
  e.headers = headers
  local held = {}
  local function take(value)
    held[#held + 1] = value
    return "<carrier>"
  end
  if e.vendor == "domo" and headers["x-domo-developer-token"] then
    headers["x-domo-developer-token"] = take(headers["x-domo-developer-token"])
  elseif e.vendor == "zuora" then
    if e.path == "/oauth/token" and e.body then
      e.body = e.body:gsub("client_secret=([^&]*)", function(s) return "client_secret=" .. take(s) end, 1)
    end
    if headers.authorization then
      headers.authorization = headers.authorization:gsub("^Bearer (%S+)$", function(s) return "Bearer " .. take(s) end)
    end
  elseif e.vendor == "campaigns" and e.body then
    e.body = e.body:gsub('"domoAccessToken":"([^"]*)"', function(s) return '"domoAccessToken":"' .. take(s) .. '"' end, 1)
    if type(e.json) == "table" then
      local j = {}
      for k, v in pairs(e.json) do j[k] = v end
      j.domoAccessToken = nil
      e.json = j
    end
  elseif e.vendor == "captaindata" and headers.authorization then
    headers.authorization = headers.authorization:gsub("^x%-api%-key (.*)$", function(s) return "x-api-key " .. take(s) end)
  end
  return e, held
end

describe("secrets and TLS across every vendor #secrets", function()
  local sb, other, tls_sb, tls_other
  local creds, wrong

  setup(function()
    creds, wrong = credentials("ok"), credentials("bad")
    sb = support.sandbox { credentials = creds, config = FAST }
    other = support.sandbox {} -- another host: redirect target
    tls_sb = support.sandbox { tls = true, credentials = creds, config = FAST }
    tls_other = support.sandbox { tls = true } -- its CA is the wrong one for tls_sb
  end)
  teardown(function()
    for _, s in ipairs { sb, other, tls_sb, tls_other } do s:stop() end
  end)

  -- Collects what an observer could see in one test, then scans it.
  local function observer()
    local trace, events = support.tracer()
    local items = {}
    local obs = { trace = trace }
    function obs.add(where, ...)
      for i = 1, select("#", ...) do
        local v = select(i, ...)
        support.strings_in(v, where .. "#" .. i, items)
        if v ~= nil then items[#items + 1] = { where = "tostring(" .. where .. "#" .. i .. ")", text = tostring(v) } end
      end
    end
    function obs.call(where, fn, ...)
      local results = table.pack(pcall(fn, ...))
      assert(results[1], results[2])
      obs.add(where, table.unpack(results, 2, results.n))
      return table.unpack(results, 2, results.n)
    end
    -- Journal entries of a sandbox: credentials only in their carrier.
    function obs.journal(sandbox, vendor)
      local bearer = {}
      for i, entry in ipairs(sandbox:journal(vendor)) do
        local rest, held = without_carrier(entry)
        for _, value in ipairs(held) do
          if vendor == "zuora" and #value == 32 then bearer[#bearer + 1] = value end -- an access token
        end
        support.strings_in(rest, "journal[" .. i .. "]", items)
      end
      return bearer
    end
    function obs.assert_clean(extra_secrets)
      for i, ev in ipairs(events) do
        support.strings_in(ev, "trace[" .. i .. "]", items)
      end
      local secrets = {}
      for _, name in ipairs(SECRET_NAMES) do
        secrets[name] = creds[name]
        secrets["wrong " .. name] = wrong[name]
      end
      for i, s in ipairs(extra_secrets or {}) do secrets["zuora access token " .. i] = s end
      local leaks = support.find_leaks(items, support.secret_fragments(secrets))
      assert.same({}, leaks)
      return #events
    end
    return obs
  end

  before_each(function()
    -- reset also restores each sandbox's start config (FAST)
    for _, s in ipairs { sb, other, tls_sb } do s:reset() end
  end)

  for _, vendor in ipairs(VENDORS) do
    describe(vendor, function()
      local function client(obs, base, extra, with)
        local opts = client_opts(vendor, base or sb.urls[vendor], with or creds, extra)
        opts.trace = obs.trace
        local c = assert(kickoff[vendor](opts))
        obs.add("client", c)
        return c
      end

      it("shows no secret on the happy path, with tracing on", function()
        local obs = observer()
        local c = client(obs)
        obs.call("happy", verbs[vendor].happy, c)
        local bearer = obs.journal(sb, vendor)
        assert.truthy(#sb:journal(vendor) > 0)
        assert.truthy(obs.assert_clean(bearer) > 0, "tracing produced no events")
      end)

      it("shows no secret when the credentials are refused (401)", function()
        local obs = observer()
        local c = client(obs, nil, nil, wrong)
        local value, err = obs.call("launch", verbs[vendor].launch, c, {})
        assert.is_nil(value)
        assert.equal("auth", err.kind)
        local bearer = obs.journal(sb, vendor)
        obs.assert_clean(bearer)
      end)

      for _, fault in ipairs(FAULTS) do
        it("shows no secret on a " .. fault.name, function()
          local obs = observer()
          local ids = {}
          -- runs to read back, made before the fault
          ids.domo = assert(kickoff.domo(client_opts("domo", sb.urls.domo, creds)):start {
            model_id = MODEL, version = "1.1.0", workflow = "AddTwoNumbers" }).id
          ids.captaindata = assert(kickoff.captaindata(client_opts("captaindata", sb.urls.captaindata, creds))
            :launch(CD_WORKFLOW, job())).id
          -- on the vendor's own routes (Zuora's token route has its own test)
          sb:fault { vendor = vendor, path_pattern = vendor == "zuora" and "^/workflows/" or nil, action = fault.action }
          local c = client(obs, nil, fault.opts)
          for _, verb in ipairs { "launch", "read" } do
            local value, err = obs.call(verb, verbs[vendor][verb], c, ids)
            assert.is_nil(value, verb)
            assert.truthy(kickoff.Error.is(err), verb)
            assert.truthy(fault.kinds[err.kind], verb .. ": " .. tostring(err))
          end
          sb:clear_faults()
          local bearer = obs.journal(sb, vendor)
          obs.assert_clean(bearer)
        end)
      end

      it("verifies TLS by default, fails with a wrong CA, works with the right one", function()
        local obs = observer()
        local plain = client(obs, tls_sb.urls[vendor])
        local value, err = obs.call("default CA", verbs[vendor].launch, plain, {})
        assert.is_nil(value)
        assert.equal("tls", err.kind)
        local wrong_ca = client(obs, tls_sb.urls[vendor], { ca_file = tls_other.ca_file })
        value, err = obs.call("wrong CA", verbs[vendor].launch, wrong_ca, {})
        assert.is_nil(value)
        assert.equal("tls", err.kind)
        assert.equal(0, #tls_sb:journal(vendor)) -- nothing was sent over an unverified connection
        -- a handshake the server breaks (tls_other never completes one, so
        -- no pooled connection skips the handshake)
        tls_other:fault { action = { tls_fail = true }, times = 1 }
        local broken = client(obs, tls_other.urls[vendor], { ca_file = tls_other.ca_file, retries = 0 })
        value, err = obs.call("handshake failure", verbs[vendor].launch, broken, {})
        assert.is_nil(value)
        assert.truthy(err.kind == "tls" or err.kind == "network", tostring(err))
        local right = client(obs, tls_sb.urls[vendor], { ca_file = tls_sb.ca_file })
        obs.call("right CA", verbs[vendor].happy, right)
        local bearer = obs.journal(tls_sb, vendor)
        obs.assert_clean(bearer)
      end)

      it("does not follow a redirect, so credentials never reach its target", function()
        local obs = observer()
        -- the first request of a fresh client (Zuora's token request), then the launch itself
        for _, route in ipairs { {}, { path_pattern = LAUNCH_PATH[vendor] } } do
          for _, status in ipairs { 302, 307 } do
            sb:reset()
            sb:fault { vendor = vendor, path_pattern = route.path_pattern, times = 1,
                       action = { status = status, headers = { Location = other.urls[vendor] .. "/stolen" } } }
            local c = client(obs)
            local value, err = obs.call("redirect " .. status, verbs[vendor].launch, c, {})
            assert.is_nil(value)
            assert.truthy(kickoff.Error.is(err))
            assert.equal(status, err.status, tostring(err))
            local redirected = 0
            for _, e in ipairs(sb:journal(vendor)) do
              if e.fault then redirected = redirected + 1 end
            end
            assert.equal(1, redirected) -- sent once, not followed, not retried
            obs.journal(sb, vendor)
          end
        end
        assert.same({}, other:journal())
        obs.assert_clean()
      end)

      if vendor == "zuora" then
        it("shows no secret when the token request fails", function()
          local obs = observer()
          for _, fault in ipairs(FAULTS) do
            sb:fault { vendor = "zuora", path = "/oauth/token", action = fault.action }
            local c = client(obs, nil, fault.opts)
            local value, err = obs.call("token " .. fault.name, verbs.zuora.launch, c, {})
            assert.is_nil(value, fault.name)
            assert.truthy(kickoff.Error.is(err), fault.name)
            sb:clear_faults()
          end
          local bearer = obs.journal(sb, vendor)
          obs.assert_clean(bearer)
        end)
      end

      it("refuses plain http to a host that is not loopback", function()
        local obs = observer()
        for _, url in ipairs { "http://example.com", "http://10.0.0.1:8080", "http://127.0.0.1.example.com",
                               "http://localhost.example.com/x" } do
          local c, err = kickoff[vendor](client_opts(vendor, url, creds))
          assert.is_nil(c, url)
          assert.equal("validation", err.kind)
          assert.equal("base_url", err.field)
          obs.add("refused", err)
        end
        obs.assert_clean()
      end)
    end)
  end

  it("keeps the sandbox log free of secrets", function()
    for _, s in ipairs { sb, other, tls_sb, tls_other } do
      local f = io.open(s._base .. ".log", "rb")
      local log = f and f:read("a") or ""
      if f then f:close() end
      local secrets = {}
      for _, name in ipairs(SECRET_NAMES) do secrets[name] = creds[name] end
      assert.same({}, support.find_leaks({ { where = "sandbox log", text = log } }, support.secret_fragments(secrets)))
    end
  end)
end)
