-- Zuora Workflow against the sandbox: wire format, OAuth token cache,
-- documented errors, idempotency keys, status mapping.
local core = require("kickoff.core")
local kickoff = require("kickoff")
local support = require("spec.support")

describe("kickoff.zuora", function()
  local sb, creds

  local function client(extra)
    local opts = { base_url = sb.urls.zuora, client_id = creds.zuora_client_id,
                   client_secret = creds.zuora_client_secret }
    for k, v in pairs(extra or {}) do opts[k] = v end
    return assert(kickoff.zuora(opts))
  end

  local function journal(path)
    return support.requests(sb, "zuora", { path = path })
  end

  setup(function()
    sb = support.sandbox()
    creds = sb.credentials
  end)
  teardown(function() sb:stop() end)
  before_each(function() sb:reset() end)

  it("runs a workflow with the documented wire format", function()
    local z = client { entity_ids = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", org_ids = { "org-1", "org-2" } }
    local run = assert(z:run(396, { accountId = "A-1", amount = 12 }, { track_id = "track-1" }))
    assert.equal("integer", math.type(run.id))
    assert.equal("queued", run.status)
    assert.equal("Queued", run.vendor_status)
    assert.equal(396, run.raw.originalWorkflowId)
    assert.equal("Workflow::Instance", run.raw.type)
    assert.matches("^%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d$", run.raw.createdAt)
    assert.is_string(run.request_id)
    assert.equal("track-1", run.track_id)
    assert.is_table(run.rate_limit)
    assert.is_number(run.rate_limit.remaining)

    local token = journal("/oauth/token")
    assert.equal(1, #token)
    assert.equal("POST", token[1].method)
    assert.equal("application/x-www-form-urlencoded", token[1].headers["content-type"])
    assert.is_nil(token[1].headers["authorization"])
    local form = {}
    for k, v in token[1].body:gmatch("([^&=]+)=([^&]*)") do form[k] = v end
    assert.equal("client_credentials", form.grant_type)
    assert.equal(creds.zuora_client_id, form.client_id)

    local req = journal("/workflows/396/run")[1]
    assert.equal("POST", req.method)
    assert.matches("^Bearer .+", req.headers["authorization"])
    assert.equal("application/json", req.headers["content-type"])
    assert.equal(run.idempotency_key, req.headers["idempotency-key"])
    assert.matches("^%x+%-%x+%-4%x+%-[89ab]%x+%-%x+$", req.headers["idempotency-key"])
    assert.equal("track-1", req.headers["zuora-track-id"])
    assert.equal("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", req.headers["zuora-entity-ids"])
    assert.equal("org-1,org-2", req.headers["zuora-org-ids"])
    assert.same({ accountId = "A-1", amount = 12 }, req.json)
  end)

  it("uses the given idempotency key and replays the stored result for it", function()
    local z = client()
    local a = assert(z:run(396, { accountId = "A" }, { idempotency_key = "order-77" }))
    local b = assert(z:run(396, { accountId = "A" }, { idempotency_key = "order-77" }))
    assert.equal(a.id, b.id)
    assert.equal("order-77", journal("/workflows/396/run")[2].headers["idempotency-key"])
    -- the same key on another URL is refused by Zuora (422)
    local _, err = z:run(397, {}, { idempotency_key = "order-77" })
    assert.equal(422, err.status)
  end)

  it("sends a gzip body when asked", function()
    local z = client()
    assert(z:run(396, { accountId = "gz" }, { gzip = true }))
    local req = journal("/workflows/396/run")[1]
    assert.equal("gzip", req.headers["content-encoding"])
    assert.same({ accountId = "gz" }, req.json)
  end)

  it("caches the token: many runs, one token request", function()
    local z = client()
    for i = 1, 5 do assert(z:run(397, { n = i })) end
    assert(z:status(9001))
    assert.equal(1, #journal("/oauth/token"))
    assert.equal(1, z:token_requests())
  end)

  it("asks for one token for concurrent requests (single flight)", function()
    local e = core.engine()
    local c = assert(core.client(e, { vendor = "zuora", base_url = sb.urls.zuora,
      client_id = creds.zuora_client_id, secret = creds.zuora_client_secret }))
    local transfers = {}
    for i = 1, 16 do
      transfers[i] = assert(c:submit { method = "GET", path = "/workflows/workflow_runs/9001", idempotent = true })
    end
    local pending = #transfers
    while pending > 0 do
      e:step(1)
      pending = 0
      for _, t in ipairs(transfers) do if not t:done() then pending = pending + 1 end end
    end
    for _, t in ipairs(transfers) do assert.equal(200, t:result().status) end
    assert.equal(1, c:info().token_requests)
    assert.equal(1, #journal("/oauth/token"))
  end)

  it("refreshes an expired token ahead of time", function()
    sb:configure { zuora = { token_ttl = 1 } }
    local z = client()
    assert(z:run(397, {}))
    core.sleep(1.1)
    assert(z:run(397, {}))
    assert.equal(2, #journal("/oauth/token"))
    for _, e in ipairs(journal("/workflows/397/run")) do assert.equal(200, e.status or 200) end
  end)

  it("refreshes once on a 401 and succeeds", function()
    local z = client()
    assert(z:run(397, {}))
    sb:configure { zuora = { revoke_tokens = true } }
    local run = assert(z:run(397, {}))
    assert.equal("queued", run.status)
    assert.equal(2, #journal("/oauth/token"))
    local runs = journal("/workflows/397/run")
    assert.equal(3, #runs)
    -- the retry after the refresh carries the same idempotency key
    assert.equal(runs[2].headers["idempotency-key"], runs[3].headers["idempotency-key"])
    assert.are_not.equal(runs[2].headers["authorization"], runs[3].headers["authorization"])
  end)

  it("reports rejected client credentials as an auth error without the secret", function()
    local z = assert(kickoff.zuora { base_url = sb.urls.zuora, client_id = "nobody", client_secret = "s3cr3t-value" })
    local run, err = z:run(397, {})
    assert.is_nil(run)
    assert.equal("auth", err.kind)
    assert.truthy(tostring(err):find("client_id", 1, true))
    assert.is_nil(tostring(err):find("s3cr3t-value", 1, true))
    assert.equal(0, #journal("/workflows/397/run"))
  end)

  it("turns the documented 400, 406 and 409 bodies into clear errors", function()
    local z = client()
    local _, e400 = z:run(400, {})
    assert.equal(400, e400.status)
    assert.truthy(e400.message:find("Callout not enabled", 1, true))
    local _, e406 = z:run(396, { other = 1 })
    assert.equal(406, e406.status)
    assert.equal("http", e406.kind)
    assert.truthy(e406.message:find("accountId", 1, true))
    assert.same({ other = 1 }, e406.body.parameters)
    local _, e409 = z:run(9001, {})
    assert.equal(409, e409.status)
    assert.truthy(e409.message:find("workflow instance", 1, true))
    assert.is_string(e409.request_id)
    assert.is_string(e409.idempotency_key)
  end)

  it("maps run statuses and reads failures from task counts", function()
    local z = client()
    local ok = assert(z:wait(assert(z:run(397, {})), { interval = 0.05 }))
    assert.equal("succeeded", ok.status)
    assert.equal("Finished", ok.vendor_status)
    assert.equal("string", type(ok.raw.originalWorkflowId))
    assert.is_table(ok.raw.tasks)
    local bad = assert(z:wait(assert(z:run(398, {})), { interval = 0.05 }))
    assert.equal("failed", bad.status)
    assert.equal("Finished", bad.vendor_status)
    assert.truthy(bad.raw.tasks.error > 0)
  end)

  it("stops a run", function()
    local z = client()
    local run = assert(z:run(397, {}))
    local stopping = assert(z:stop(run))
    assert.truthy(stopping.vendor_status == "Stopping" or stopping.vendor_status == "Stopped")
    local last = journal("/workflows/workflow_runs/" .. run.id .. "/stop")[1]
    assert.equal("PUT", last.method)
    local final = assert(z:wait(run, { interval = 0.05 }))
    assert.equal("canceled", final.status)
  end)

  describe("validation (nothing is sent)", function()
    local cases = {
      { "workflow id not an integer", { "abc", {} }, "workflow_id" },
      { "reserved parameter", { 396, { controller = "x" } }, "params.controller" },
      { "reserved parameter user_token", { 396, { user_token = "x" } }, "params.user_token" },
      { "params a list", { 396, { 1, 2 } }, "params" },
      { "params with a function", { 396, { f = print } }, "params.f" },
      { "idempotency key too long", { 396, {}, { idempotency_key = string.rep("k", 256) } }, "idempotency_key" },
      { "track id too long", { 396, {}, { track_id = string.rep("t", 65) } }, "track_id" },
      { "track id with a colon", { 396, {}, { track_id = "a:b" } }, "track_id" },
      { "track id with a quote", { 396, {}, { track_id = "a'b" } }, "track_id" },
      { "track id not ASCII", { 396, {}, { track_id = "caf\195\169" } }, "track_id" },
      { "unknown option", { 396, {}, { idempotencyKey = "x" } }, "opts.idempotencyKey" },
    }
    for _, case in ipairs(cases) do
      it(case[1], function()
        local z = client()
        local run, err = z:run(table.unpack(case[2], 1, 3))
        assert.is_nil(run)
        assert.equal("validation", err.kind)
        assert.equal(case[3], err.field)
        assert.equal(0, #sb:journal())
      end)
    end

    it("checks constructor options", function()
      local z, err = kickoff.zuora { env = "mars", client_id = "a", client_secret = "b" }
      assert.is_nil(z)
      assert.equal("env", err.field)
      assert.truthy(err.rule:find("us-sandbox-cloud2", 1, true))
      z, err = kickoff.zuora { env = "eu-production", client_id = "a", client_secret = "b", entity_ids = "x" }
      assert.equal("entity_ids", err.field)
      assert.is_nil(z)
      z, err = kickoff.zuora { env = "eu-production", client_id = "a" }
      assert.equal("client_secret", err.field)
      assert.is_nil(z)
    end)

    it("knows the ten data-centre hosts", function()
      local n = 0
      for _, url in pairs(kickoff.zuora({ env = "us-sandbox-cloud2", client_id = "a", client_secret = "b" }).hosts) do
        assert.matches("^https://rest%.[%w%.]*zuora%.com$", url)
        n = n + 1
      end
      assert.equal(10, n)
      local z = assert(kickoff.zuora { env = "us-sandbox-cloud2", client_id = "a", client_secret = "b" })
      assert.equal("https://rest.apisandbox.zuora.com", z.base_url)
    end)
  end)
end)
