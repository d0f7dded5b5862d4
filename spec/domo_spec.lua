-- Domo Workflows through the public API, against the sandbox over sockets.
local kickoff = require("kickoff")
local support = require("spec.support")

local MODEL = "a8afdc89-9491-4ee4-b7c3-b9e9b86c0138"
local FAILING = "3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f"

describe("kickoff.domo", function()
  local sb, domo

  setup(function()
    sb = support.sandbox()
    domo = assert(kickoff.domo { base_url = sb.urls.domo, token = sb.credentials.domo_token })
  end)
  teardown(function() sb:stop() end)
  before_each(function() sb:reset() end)

  local function start(extra)
    local p = { model_id = MODEL, version = "1.1.0", workflow = "AddTwoNumbers",
                data = { parameter1 = 13, parameter2 = 7 } }
    for k, v in pairs(extra or {}) do
      if v == false then p[k] = nil else p[k] = v end
    end
    return domo:start(p)
  end

  it("starts a workflow with the documented wire format", function()
    local run = assert(start())
    assert.equal("domo", run.vendor)
    assert.equal("queued", run.status)
    assert.is_nil(run.vendor_status) -- status null right after the start
    assert.is_string(run.id)
    local j = sb:journal("domo")
    assert.equal(1, #j)
    local req = j[1]
    assert.equal("POST", req.method)
    assert.equal("/api/workflow/v1/instances/message", req.path)
    assert.equal(sb.credentials.domo_token, req.headers["x-domo-developer-token"])
    assert.equal("application/json", req.headers["content-type"])
    assert.same({ messageName = "Start AddTwoNumbers", version = "1.1.0", modelId = MODEL,
                  data = { parameter1 = 13, parameter2 = 7 } }, req.json)
    -- integers travel as JSON integers, not 13.0
    assert.truthy(req.body:find('"parameter1":13[,}]'))
    -- the documented response fields and their types
    assert.equal(MODEL, run.raw.modelId)
    assert.equal("AddTwoNumbers", run.raw.modelName)
    assert.equal("1.1.0", run.raw.modelVersion)
    assert.is_string(run.raw.createdBy)
    assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ$", run.raw.createdOn)
  end)

  it("sends message as messageName when given instead of workflow", function()
    assert(start { workflow = false, message = "Start AddTwoNumbers" })
    assert.equal("Start AddTwoNumbers", sb:journal("domo")[1].json.messageName)
  end)

  it("sends an empty data object when data is omitted", function()
    local _, err = start { data = false }
    assert.is_nil(err)
    assert.equal('{}', sb:journal("domo")[1].body:match('"data":(%b{})'))
  end)

  it("reports status through its progression to COMPLETED with wait", function()
    local run = assert(start())
    local seen = {}
    local final = assert(domo:wait(run, { interval = 0.05, on_poll = function(r)
      seen[#seen + 1] = r.vendor_status or "null"
    end }))
    assert.equal("succeeded", final.status)
    assert.equal("COMPLETED", final.vendor_status)
    assert.equal(run.id, final.id)
    assert.truthy(table.concat(seen, ","):find("IN_PROGRESS", 1, true))
    for _, e in ipairs(sb:journal("domo")) do
      if e.method == "GET" then assert.equal("/api/workflow/v1/instances/" .. run.id, e.path) end
    end
  end)

  it("maps a failed workflow to status failed", function()
    local run = assert(domo:start { model_id = FAILING, version = "0.0.1", workflow = "FailingFlow", data = {} })
    local final = assert(domo:wait(run, { interval = 0.05 }))
    assert.equal("failed", final.status)
  end)

  it("returns a timeout error carrying the last run when wait runs out", function()
    local run = assert(start())
    local final, err = domo:wait(run, { timeout = 0.01, interval = 0.005 })
    assert.is_nil(final)
    assert.equal("timeout", err.kind)
    assert.equal(run.id, err.run.id)
  end)

  it("cancels an instance", function()
    local run = assert(start())
    local canceled = assert(domo:cancel(run))
    assert.equal("canceled", canceled.status)
    assert.equal("CANCELED", canceled.vendor_status)
    assert.is_boolean(canceled.raw.isTestRun)
    assert.is_string(canceled.raw.bpmnProcessId)
    local last = sb:journal("domo")[2]
    assert.equal("POST", last.method)
    assert.equal("/api/workflow/v1/instances/" .. run.id .. "/cancel", last.path)
    assert.equal("canceled", assert(domo:status(run.id)).status)
  end)

  it("turns 401 into an auth error without retrying", function()
    local bad = assert(kickoff.domo { base_url = sb.urls.domo, token = "wrong-token" })
    local run, err = bad:start { model_id = MODEL, version = "1.1.0", workflow = "AddTwoNumbers", data = {} }
    assert.is_nil(run)
    assert.equal("auth", err.kind)
    assert.equal(401, err.status)
    assert.equal("domo", err.vendor)
    assert.is_false(err.retryable)
    assert.equal(1, #sb:journal("domo"))
    assert.is_table(err.body)
  end)

  it("returns an http error with the vendor's message for an unknown model", function()
    local run, err = domo:start { model_id = "00000000-0000-4000-8000-000000000000",
                                  version = "1.1.0", workflow = "X", data = {} }
    assert.is_nil(run)
    assert.equal("http", err.kind)
    assert.equal(404, err.status)
  end)

  it("returns an http error for an unknown instance", function()
    local run, err = domo:status("00000000-0000-4000-8000-000000000000")
    assert.is_nil(run)
    assert.equal(404, err.status)
  end)

  describe("validation (nothing is sent)", function()
    local cases = {
      { "model_id missing", { model_id = false }, "model_id", "is required" },
      { "model_id not a UUID", { model_id = "abc" }, "model_id", "UUID" },
      { "model_id wrong type", { model_id = 42 }, "model_id", "must be a string" },
      { "version missing", { version = false }, "version", "is required" },
      { "version malformed", { version = "latest" }, "version", "version like" },
      { "workflow and message missing", { workflow = false }, "workflow", "is required" },
      { "workflow and message both", { message = "Start X" }, "workflow", "not both" },
      { "workflow empty", { workflow = "" }, "workflow", "must not be empty" },
      { "data not a table", { data = "x" }, "data", "must be a table" },
      { "data is a list", { data = { 1, 2 } }, "data", "JSON object" },
      { "data holds a function", { data = { f = print } }, "data.f", "JSON value" },
      { "data holds NaN", { data = { x = 0 / 0 } }, "data.x", "finite" },
      { "data holds infinity", { data = { x = math.huge } }, "data.x", "finite" },
      { "data nested bad value", { data = { a = { b = { coroutine.create(print) } } } }, "data.a.b[1]", "JSON value" },
      { "data with non-UTF-8 text", { data = { s = "\255\254" } }, "data.s", "UTF-8" },
      { "data mixing list and map", { data = { a = { 1, x = 2 } } }, "data.a", "mixes" },
      { "unknown field", { modelId = MODEL }, "modelId", "did you mean model_id" },
    }
    for _, case in ipairs(cases) do
      it(case[1], function()
        local p = { model_id = MODEL, version = "1.1.0", workflow = "AddTwoNumbers", data = {} }
        for k, v in pairs(case[2]) do
          if v == false then p[k] = nil else p[k] = v end
        end
        local run, err = domo:start(p)
        assert.is_nil(run)
        assert.equal("validation", err.kind)
        assert.equal(case[3], err.field)
        assert.truthy(err.rule:find(case[4], 1, true), err.rule)
        assert.truthy(tostring(err):find(case[3], 1, true))
        assert.equal(0, #sb:journal())
      end)
    end

    it("refuses data with a cycle", function()
      local cyclic = {}
      cyclic.self = cyclic
      local run, err = domo:start { model_id = MODEL, version = "1.1.0", workflow = "W", data = cyclic }
      assert.is_nil(run)
      assert.equal("validation", err.kind)
      assert.truthy(err.rule:find("cycle"))
      assert.equal(0, #sb:journal())
    end)

    it("raises for a wrong argument type", function()
      assert.has_error(function() domo:start("nope") end)
      assert.has_error(function() kickoff.domo("nope") end)
      assert.has_error(function() kickoff.domo { token = 1, instance = "x" } end)
    end)

    it("validates the instance name", function()
      local c, err = kickoff.domo { instance = "acme.domo.com/evil", token = "t" }
      assert.is_nil(c)
      assert.equal("instance", err.field)
    end)

    it("requires a token", function()
      local c, err = kickoff.domo { instance = "acme" }
      assert.is_nil(c)
      assert.equal("validation", err.kind)
      assert.equal("token", err.field)
    end)
  end)
end)
