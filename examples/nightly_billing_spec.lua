-- How to test your own automation script offline: start the kickoff
-- sandbox once per file, point the clients at it, script the vendors'
-- behaviour, and check what they received.
--
--   busted --lua=lua5.4 examples/nightly_billing_spec.lua
local kickoff = require("kickoff")
local sandbox = require("kickoff.sandbox")
local nightly = require("nightly_billing")

describe("nightly billing", function()
  local sb, clients

  setup(function()
    sb = assert(sandbox.start {}) -- the one-liner: all four vendors on 127.0.0.1
    local c = sb.credentials
    clients = {
      zuora = assert(kickoff.zuora { base_url = sb.urls.zuora, client_id = c.zuora_client_id,
        client_secret = c.zuora_client_secret }),
      campaigns = assert(kickoff.campaigns { base_url = sb.urls.campaigns, instance = "acme.domo.com",
        token = c.campaigns_token, owner_email = c.campaigns_owner_email }),
    }
  end)
  teardown(function() sb:stop() end)
  before_each(function() sb:reset() end)

  local opts = { workflow_id = 397, campaign_id = 42, interval = 0.05 }

  local function posts(vendor, pattern)
    local n = 0
    for _, e in ipairs(sb:journal(vendor)) do
      if e.method == "POST" and e.path:find(pattern) then n = n + 1 end
    end
    return n
  end

  it("bills every account and sends one email", function()
    local summary = nightly.run(clients, { "A-1", "A-2", "A-3" }, opts)
    assert.same({ "A-1", "A-2", "A-3" }, summary.succeeded)
    assert.is_true(summary.emailed)
    assert.equal(3, posts("zuora", "/workflows/397/run$"))
    assert.equal(1, posts("campaigns", "/campaigns/start$"))
  end)

  it("sends no email when Zuora keeps failing, and says why", function()
    sb:fault { vendor = "zuora", path_pattern = "/run$", action = { status = 503 } }
    local summary = nightly.run(clients, { "A-1" }, opts)
    assert.equal(1, #summary.errors)
    assert.equal("http", summary.errors[1].kind)
    assert.is_nil(summary.emailed)
    assert.equal(0, posts("campaigns", "/campaigns/start$"))
  end)

  it("survives a transient Zuora outage without billing twice", function()
    sb:fault { vendor = "zuora", path_pattern = "/run$", times = 2, when = "after", action = { status = 503 } }
    local runs_before = #sb:state().zuora.runs
    local summary = nightly.run(clients, { "A-1" }, opts)
    assert.same({ "A-1" }, summary.succeeded)
    local keys = {}
    for _, e in ipairs(sb:journal("zuora")) do
      if e.path:find("/run$") then keys[#keys + 1] = e.headers["idempotency-key"] end
    end
    -- two 503s, then (sb:reset() revoked the cached token) a 401 and a refresh
    assert.equal(4, #keys)
    for _, key in ipairs(keys) do assert.equal(keys[1], key) end -- one key on every attempt
    assert.equal(runs_before + 1, #sb:state().zuora.runs) -- so Zuora made one run
  end)
end)
