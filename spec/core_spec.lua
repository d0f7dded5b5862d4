-- The C core through kickoff.core and the public API: TLS, request safety,
-- runtime failures as values, and userdata lifetimes.
local core = require("kickoff.core")
local kickoff = require("kickoff")
local support = require("spec.support")

local MODEL = "a8afdc89-9491-4ee4-b7c3-b9e9b86c0138"
local START = { model_id = MODEL, version = "1.1.0", workflow = "AddTwoNumbers", data = { a = 1 } }

describe("kickoff.core", function()
  describe("TLS", function()
    local sb
    setup(function() sb = support.sandbox { tls = true } end)
    teardown(function() sb:stop() end)

    it("serves https from the sandbox", function()
      assert.matches("^https://127%.0%.0%.1:%d+$", sb.url)
      assert.is_string(sb.ca_file)
    end)

    it("fails verification without the sandbox CA and sends nothing", function()
      sb:reset()
      local domo = assert(kickoff.domo { base_url = sb.urls.domo, token = sb.credentials.domo_token })
      local run, err = domo:start(START)
      assert.is_nil(run)
      assert.equal("tls", err.kind)
      assert.equal(1, err.attempts) -- never retried
      assert.truthy(tostring(err):find("ca_file", 1, true))
      assert.equal(0, #sb:journal("domo"))
    end)

    it("succeeds with ca_file", function()
      local domo = assert(kickoff.domo { base_url = sb.urls.domo, token = sb.credentials.domo_token,
                                         ca_file = sb.ca_file })
      local run = assert(domo:start(START))
      assert.equal("queued", run.status)
    end)

    it("reports an unreadable ca_file as a tls error", function()
      local domo = assert(kickoff.domo { base_url = sb.urls.domo, token = "t", ca_file = "/nonexistent.pem" })
      local _, err = domo:start(START)
      assert.equal("tls", err.kind)
    end)
  end)

  describe("request safety", function()
    local engine = core.engine()

    it("refuses plain http to a non-loopback host", function()
      local c, err = kickoff.domo { base_url = "http://example.com", token = "t" }
      assert.is_nil(c)
      assert.equal("validation", err.kind)
      assert.truthy(err.message:find("loopback"))
      local raw, msg = core.client(engine, { vendor = "domo", base_url = "http://10.0.0.1", secret = "t" })
      assert.is_nil(raw)
      assert.truthy(msg:find("only allowed for loopback"))
    end)

    it("allows http for loopback names and https anywhere", function()
      for _, url in ipairs { "http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1", "https://acme.domo.com" } do
        assert.truthy(core.client(engine, { vendor = "domo", base_url = url, secret = "t" }), url)
      end
    end)

    it("refuses other schemes and credentials in URLs", function()
      assert.is_nil(core.client(engine, { vendor = "domo", base_url = "ftp://x.example", secret = "t" }))
      assert.is_nil(core.client(engine, { vendor = "domo", base_url = "https://u:p@x.example", secret = "t" }))
    end)

    it("refuses CR/LF/NUL in header values, names, methods and paths", function()
      local c = assert(core.client(engine, { vendor = "domo", base_url = "http://127.0.0.1:1", secret = "t" }))
      local bad = {
        { headers = { ["X-A"] = "v\r\nX-Injected: 1" } },
        { headers = { ["X-A"] = "v\nX" } },
        { headers = { ["X-A"] = "v\0x" } },
        { headers = { ["X A"] = "v" } },
        { headers = { ["X-A\r\n"] = "v" } },
        { method = "GET\r\nX: y" },
        { path = "/a\r\nX: y" },
        { path = "/a b" },
      }
      for i, req in ipairs(bad) do
        local t, msg = c:submit(req)
        assert.is_nil(t, "case " .. i)
        assert.is_string(msg)
      end
    end)

    it("refuses a CR/LF in a client option header value", function()
      local c, err = kickoff.domo { base_url = "http://127.0.0.1:1", token = "t", user_agent = "x\r\nEvil: 1" }
      assert.is_nil(c)
      assert.equal("validation", err.kind)
    end)

    it("refuses a token with control characters without echoing it", function()
      local c, err = kickoff.domo { base_url = "http://127.0.0.1:1", token = "abc\r\nX-Evil: 1" }
      assert.is_nil(c)
      assert.is_nil(tostring(err):find("X-Evil", 1, true))
    end)

    it("returns network errors as values, saying nothing was sent", function()
      local domo = assert(kickoff.domo { base_url = "http://127.0.0.1:1", token = "t", retries = 1, backoff_base = 0.01 })
      local run, err = domo:start(START)
      assert.is_nil(run)
      assert.equal("network", err.kind)
      assert.equal("connect", err.phase)
      assert.equal(2, err.attempts) -- nothing was sent, so the launch was retried
      assert.truthy(err.message:find("nothing was sent"))
    end)

    it("times out with a finite per-attempt timeout", function()
      -- a listening socket that never answers: accept queue on loopback
      local socket = require("cqueues.socket")
      local srv = socket.listen("127.0.0.1", 0)
      srv:listen()
      local _, _, port = srv:localname()
      local domo = assert(kickoff.domo { base_url = "http://127.0.0.1:" .. port, token = "t", timeout = 0.2 })
      local run, err = domo:start(START)
      assert.is_nil(run)
      -- the request was sent and never answered: a launch must not be repeated
      assert.equal("outcome_unknown", err.kind)
      assert.equal(1, err.attempts)
      assert.truthy(err.message:find("may or may not"))
      local st, serr = domo:status("x", { timeout = 0.2, retries = 1 })
      assert.is_nil(st)
      assert.equal("timeout", serr.kind) -- a GET is retried, then times out
      assert.equal(2, serr.attempts)
      srv:close()
    end)
  end)

  describe("secrets", function()
    local sb
    setup(function() sb = support.sandbox() end)
    teardown(function() sb:stop() end)

    it("never shows the token in traces, errors or tostring", function()
      local trace, events = support.tracer()
      local token = sb.credentials.domo_token
      local domo = assert(kickoff.domo { base_url = sb.urls.domo, token = token, trace = trace })
      local run = assert(domo:start(START))
      local bad = assert(kickoff.domo { base_url = sb.urls.domo, token = "wrong-" .. token, trace = trace })
      local _, err = bad:start(START)
      local _, verr = bad:start { model_id = "x" }
      local closed = assert(kickoff.domo { base_url = "http://127.0.0.1:1", token = token, trace = trace })
      local _, nerr = closed:status("abc")
      assert.truthy(#events >= 6)
      local seen = support.visible_text(events, domo, bad, run, err, verr, nerr, domo.core, bad.core)
      assert.is_nil(seen:find(token, 1, true))
      assert.truthy(seen:find("X-DOMO-Developer-Token: [REDACTED]", 1, true))
      -- nothing on the Lua objects holds it either
      for _, obj in ipairs { domo, bad, closed } do
        for _, v in pairs(obj) do
          if type(v) == "string" then assert.is_nil(v:find(token, 1, true)) end
        end
      end
    end)

    it("keeps working when the trace function raises", function()
      local domo = assert(kickoff.domo { base_url = sb.urls.domo, token = sb.credentials.domo_token,
                                         trace = function() error("boom") end })
      assert(domo:start(START))
    end)
  end)

  describe("userdata lifetimes", function()
    local sb
    setup(function() sb = support.sandbox() end)
    teardown(function() sb:stop() end)

    local function weak(v) return setmetatable({ value = v }, { __mode = "v" }) end

    it("collects engines, clients and transfers", function()
      local we, wc, wt
      do
        local e = core.engine()
        local c = assert(core.client(e, { vendor = "domo", base_url = sb.urls.domo, secret = "t" }))
        local t = assert(c:submit { path = "/api/workflow/v1/instances/x", idempotent = true })
        while not t:done() do e:step(1) end
        we, wc, wt = weak(e), weak(c), weak(t)
      end
      assert.is_true(support.collected(wt))
      assert.is_true(support.collected(wc))
      assert.is_true(support.collected(we))
    end)

    it("keeps the engine alive while a client uses it", function()
      local c, we
      do
        local e = core.engine()
        we = weak(e)
        c = assert(core.client(e, { vendor = "domo", base_url = sb.urls.domo, secret = "t" }))
      end
      collectgarbage("collect")
      assert.is_not_nil(we.value)
      assert.matches("Client", tostring(c))
      c = nil -- luacheck: ignore 311
      assert.is_true(support.collected(we))
    end)

    it("collects an in-flight transfer, cancelling it", function()
      local e = core.engine()
      local c = assert(core.client(e, { vendor = "domo", base_url = sb.urls.domo, secret = "t" }))
      local wt = weak(assert(c:submit { path = "/api/workflow/v1/instances/x", idempotent = true }))
      assert.is_true(support.collected(wt))
      assert.equal(0, e:in_flight())
    end)

    it("closes every userdata twice without harm and refuses use after close", function()
      local e = core.engine()
      local c = assert(core.client(e, { vendor = "domo", base_url = sb.urls.domo, secret = "t" }))
      local t = assert(c:submit { path = "/", idempotent = true })
      for _, obj in ipairs { t, c, e } do
        obj:close()
        obj:close()
        assert.matches("closed", tostring(obj))
      end
      assert.has_error(function() t:done() end, "attempt to use a closed transfer")
      assert.has_error(function() c:submit {} end, "attempt to use a closed client")
      assert.has_error(function() e:step(0) end, "attempt to use a closed engine")
    end)

    it("supports to-be-closed variables", function()
      local we
      do
        local e <close> = core.engine()
        we = weak(e)
      end
      assert.matches("closed", tostring(we.value))
    end)

    it("closes a public client", function()
      local domo = assert(kickoff.domo { base_url = sb.urls.domo, token = "t" })
      domo:close()
      domo:close()
      assert.has_error(function() domo:status("x") end)
    end)
  end)

  it("raises for wrong argument types", function()
    local e = core.engine()
    assert.has_error(function() core.client(e, "x") end)
    assert.has_error(function() core.client(e, { vendor = "nope" }) end)
    assert.has_error(function() core.client(e, { vendor = "domo", timeout = "1" }) end)
    assert.has_error(function() core.client(e, { vendor = "domo", retries = 1.5 }) end)
    assert.has_error(function() e:step(-1) end)
  end)

  it("makes RFC 4122 version 4 UUIDs", function()
    local seen = {}
    for _ = 1, 100 do
      local u = core.uuid4()
      assert.matches("^%x%x%x%x%x%x%x%x%-%x%x%x%x%-4%x%x%x%-[89ab]%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$", u)
      assert.is_nil(seen[u])
      seen[u] = true
    end
  end)
end)
