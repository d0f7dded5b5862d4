-- Domo Campaigns against the sandbox: the token travels in the body, so
-- the body is a secret; a start is never repeated once it may have been sent.
local kickoff = require("kickoff")
local support = require("spec.support")

describe("kickoff.campaigns", function()
  local sb, creds, trace, events

  local function client(extra)
    local opts = { base_url = sb.urls.campaigns, instance = "acme.domo.com", token = creds.campaigns_token,
                   owner_email = creds.campaigns_owner_email, trace = trace }
    for k, v in pairs(extra or {}) do opts[k] = v end
    return assert(kickoff.campaigns(opts))
  end

  setup(function()
    sb = support.sandbox()
    creds = sb.credentials
  end)
  teardown(function() sb:stop() end)
  before_each(function()
    sb:reset()
    trace, events = support.tracer()
  end)

  it("starts a campaign with the documented body and treats 200 + empty body as success", function()
    local c = client()
    local run = assert(c:start(42, { emails = { "ada@example.com", "grace@example.com" } }))
    assert.equal("succeeded", run.status)
    assert.equal(42, run.id)
    local req = sb:journal("campaigns")[1]
    assert.equal("POST", req.method)
    assert.equal("/api/v1/campaigns/start", req.path)
    assert.equal("application/json", req.headers["content-type"])
    assert.same({
      campaignId = 42, domoAccessToken = creds.campaigns_token,
      domoAccessTokenOwnerEmailAddress = creds.campaigns_owner_email,
      emailAddresses = { "ada@example.com", "grace@example.com" }, instance = "acme.domo.com",
    }, req.json)
    assert.equal("integer", math.type(req.json.campaignId))
    assert.same({ "ada@example.com", "grace@example.com" }, sb:state().campaigns.sent[1].recipients)
  end)

  it("sends an empty address list as [] (the whole distribution list)", function()
    assert(client():start(42))
    assert.truthy(sb:journal("campaigns")[1].body:find('"emailAddresses":[]', 1, true))
  end)

  it("starts the alert variant with isTest and fields", function()
    local c = client()
    assert(c:start_alert(42, { is_test = true, emails = { "ada@example.com" },
                               fields = { { key = "region", value = "EMEA" }, { key = "count", value = 3 } } }))
    local req = sb:journal("campaigns")[1]
    assert.equal("/api/v1/campaigns/bae/start", req.path)
    assert.is_true(req.json.isTest)
    assert.same({ { key = "region", value = "EMEA" }, { key = "count", value = 3 } }, req.json.fields)
    assert(c:start_alert(42, { fields = { b = "2", a = "1" } }))
    assert.same({ { key = "a", value = "1" }, { key = "b", value = "2" } }, sb:journal("campaigns")[2].json.fields)
  end)

  it("never shows the token: traces redact the whole body", function()
    local c = client()
    assert(c:start(42, { emails = { "ada@example.com" } }))
    local bad = client { token = "not-" .. creds.campaigns_token }
    local _, err = bad:start(42)
    assert.equal("auth", err.kind)
    local seen = support.visible_text(events, c, bad, err)
    assert.truthy(seen:find("[REDACTED", 1, true))
    assert.is_nil(seen:find(creds.campaigns_token, 1, true))
  end)

  it("does not retry a start that got a 5xx: the email may have gone", function()
    sb:fault { vendor = "campaigns", path = "/api/v1/campaigns/start", times = 1, action = { status = 503 } }
    local run, err = client():start(42)
    assert.is_nil(run)
    assert.equal("http", err.kind)
    assert.equal(503, err.status)
    assert.is_false(err.retryable)
    assert.truthy(err.message:find("may or may not", 1, true))
    assert.equal(1, #sb:journal("campaigns"))
  end)

  it("reports a reset after sending as outcome_unknown, sent once, even on a reused connection", function()
    -- a first start leaves a keep-alive connection in the pool; libcurl would
    -- silently resend the next POST on a fresh connection if that one dies
    local c = client()
    assert(c:start(42, { emails = { "ada@example.com" } }))
    sb:fault { vendor = "campaigns", path = "/api/v1/campaigns/start", times = 1, when = "after", action = { reset = true } }
    local run, err = c:start(42)
    assert.is_nil(run)
    assert.equal("outcome_unknown", err.kind)
    assert.truthy(err.message:find("may or may not", 1, true))
    assert.equal(2, #sb:journal("campaigns"))
    local sent = sb:state().campaigns.sent
    assert.equal(2, #sent) -- the faulted start was acted on exactly once
    assert.equal(3, #sent[2].recipients)
  end)

  it("reports unknown campaigns and permission errors", function()
    local _, err = client():start(99)
    assert.equal(404, err.status)
    local _, ferr = client():start(43)
    assert.equal("auth", ferr.kind)
    assert.equal(403, ferr.status)
  end)

  describe("validation (nothing is sent)", function()
    local cases = {
      { "campaign id not an integer", function(c) return c:start("x") end, "campaign_id" },
      { "campaign id fractional", function(c) return c:start(4.5) end, "campaign_id" },
      { "emails not a list", function(c) return c:start(42, { emails = "ada@example.com" }) end, "emails" },
      { "bad email", function(c) return c:start(42, { emails = { "ada@example.com", "nope" } }) end, "emails[2]" },
      { "email with spaces", function(c) return c:start(42, { emails = { "a b@example.com" } }) end, "emails[1]" },
      { "unknown option", function(c) return c:start(42, { email = {} }) end, "email" },
      { "isTest without emails", function(c) return c:start_alert(42, { is_test = true }) end, "emails" },
      { "fields with a bad key", function(c) return c:start_alert(42, { fields = { { value = 1 } } }) end, "fields[1].key" },
    }
    for _, case in ipairs(cases) do
      it(case[1], function()
        local run, err = case[2](client())
        assert.is_nil(run)
        assert.equal("validation", err.kind)
        assert.equal(case[3], err.field)
        assert.equal(0, #sb:journal())
      end)
    end

    it("checks the constructor", function()
      local c, err = kickoff.campaigns { instance = "acme", token = "t", owner_email = "o@example.com" }
      assert.is_nil(c)
      assert.equal("instance", err.field)
      c, err = kickoff.campaigns { instance = "acme.domo.com", token = "t", owner_email = "owner" }
      assert.equal("owner_email", err.field)
      assert.is_nil(c)
      c, err = kickoff.campaigns { instance = "acme.domo.com", owner_email = "o@example.com" }
      assert.equal("token", err.field)
      assert.is_nil(c)
    end)
  end)
end)
