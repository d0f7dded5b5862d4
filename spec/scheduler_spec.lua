-- Concurrency: kickoff.all/map run verbs at once over one pool; the host-loop
-- scheduler never blocks; rate limits, retry budgets and pool bounds hold.
local kickoff = require("kickoff")
local core = require("kickoff.core")
local support = require("spec.support")
local transport = require("kickoff.transport")

local MODEL = "a8afdc89-9491-4ee4-b7c3-b9e9b86c0138"
local LATENCY = 0.1

describe("concurrency", function()
  local sb, domo

  setup(function()
    sb = support.sandbox()
    domo = assert(kickoff.domo { base_url = sb.urls.domo, token = sb.credentials.domo_token })
  end)
  teardown(function() sb:stop() end)
  before_each(function()
    sb:clear_faults()
    sb:clear_journal()
  end)

  local function start(n)
    return domo:start { model_id = MODEL, version = "1.1.0", workflow = "AddTwoNumbers",
      data = { parameter1 = n, parameter2 = 1 } }
  end

  local function slow_domo()
    sb:fault { vendor = "domo", action = { latency = LATENCY } }
  end

  local function timed(fn)
    local t0 = core.monotime()
    local a, b = fn()
    return core.monotime() - t0, a, b
  end

  local function launches()
    return #support.requests(sb, "domo", { method = "POST" })
  end

  describe("kickoff.map", function()
    it("runs 40 launches at concurrency 20 in two rounds of latency", function()
      slow_domo()
      local list = {}
      for i = 1, 40 do list[i] = i end
      local progress = {}
      local elapsed, results = timed(function()
        return kickoff.map(list, start, {
          concurrency = 20,
          progress = function(done, total, index, run) progress[#progress + 1] = { done, total, index, run } end,
        })
      end)
      assert.equal(40, #results)
      for i, r in ipairs(results) do
        assert.truthy(r[1], tostring(r[2]))
        assert.is_string(r[1].id, "result " .. i)
      end
      assert.equal(40, launches())
      -- sequentially this would take 40 x latency; two rounds is the ideal
      assert.is_true(elapsed >= 2 * LATENCY, "faster than the latency allows: " .. elapsed)
      assert.is_true(elapsed < 6 * LATENCY, "did not overlap: " .. elapsed)
      assert.equal(40, #progress)
      for i, p in ipairs(progress) do
        assert.equal(i, p[1])
        assert.equal(40, p[2])
        assert.equal(results[p[3]][1], p[4])
      end
    end)

    it("respects the concurrency limit", function()
      slow_domo()
      local list = { 1, 2, 3, 4, 5, 6 }
      local elapsed = timed(function() return kickoff.map(list, start, { concurrency = 2 }) end)
      assert.is_true(elapsed >= 3 * LATENCY, "more than 2 at once: " .. elapsed)
    end)

    it("returns nil, err results for failures and keeps the others", function()
      local results = kickoff.map({ MODEL, "not-a-uuid", MODEL }, function(model)
        return domo:start { model_id = model, version = "1.1.0", workflow = "AddTwoNumbers", data = {} }
      end)
      assert.truthy(results[1][1])
      assert.is_nil(results[2][1])
      assert.equal("validation", results[2][2].kind)
      assert.equal("model_id", results[2][2].field)
      assert.truthy(results[3][1])
    end)

    it("catches a task that raises without stopping the rest", function()
      local results = kickoff.all {
        function() return start(1) end,
        function() error("boom in a task") end,
        function() return start(2) end,
      }
      assert.truthy(results[1][1])
      assert.is_nil(results[2][1])
      assert.matches("boom in a task", results[2][2])
      assert.matches("traceback", results[2][2])
      assert.truthy(results[3][1])
    end)

    it("refuses wrong argument types", function()
      assert.has_error(function() kickoff.all(42) end, "bad argument #1 to 'all' (table expected, got number)")
      assert.has_error(function() kickoff.all { 1 } end,
        "bad argument #1 to 'all' (tasks[1] is a number, function expected)")
      assert.has_error(function() kickoff.map({}, nil) end, "bad argument #2 to 'map' (function expected, got nil)")
      assert.has_error(function() kickoff.map({}, print, { concurrency = 0 }) end,
        "map: bad option 'concurrency' (integer >= 1 expected)")
      assert.same({}, kickoff.all {})
    end)
  end)

  describe("wait inside tasks", function()
    it("polls many runs at once instead of one after the other", function()
      local runs = {}
      for i = 1, 8 do runs[i] = assert(start(i)) end
      local elapsed, results = timed(function()
        return kickoff.map(runs, function(run) return domo:wait(run, { interval = 0.1, timeout = 30 }) end)
      end)
      local one = timed(function() return assert(domo:wait(assert(start(9)), { interval = 0.1, timeout = 30 })) end)
      for _, r in ipairs(results) do assert.equal("succeeded", r[1].status) end
      -- eight overlapping waits cost about as much as one
      assert.is_true(elapsed < 3 * one + 0.3, ("8 waits %.2f s, one %.2f s"):format(elapsed, one))
    end)

    it("nests: kickoff.all inside a task joins the running scheduler", function()
      slow_domo()
      local elapsed, results = timed(function()
        return kickoff.all {
          function() return kickoff.map({ 1, 2, 3 }, start) end,
          function() return kickoff.map({ 4, 5, 6 }, start) end,
        }
      end)
      assert.equal(3, #results[1][1])
      assert.truthy(results[2][1][3][1])
      assert.is_true(elapsed < 3 * LATENCY, "nested groups ran one after the other: " .. elapsed)
    end)

    it("still blocks outside a scheduler", function()
      assert.truthy(start(1))
      assert.equal(0, transport.engine():in_flight())
    end)
  end)

  describe("host event loop", function()
    it("never blocks in step(0) and exposes fds and a timeout", function()
      slow_domo()
      local s = kickoff.scheduler()
      local tasks = {}
      for i = 1, 5 do tasks[i] = s:spawn(start, i) end
      local saw_fds, longest = false, 0
      while s:pending() > 0 do
        local t0 = core.monotime()
        s:step(0)
        longest = math.max(longest, core.monotime() - t0)
        if #s:fds() > 0 then saw_fds = true end
        local wait = s:timeout()
        assert.truthy(wait == nil or wait >= 0)
        core.sleep(math.min(wait or 0.01, 0.01))
      end
      assert.is_true(saw_fds)
      assert.is_true(longest < LATENCY / 2, "step(0) blocked for " .. longest)
      for _, task in ipairs(tasks) do assert.is_string(task.results[1].id) end
    end)
    -- a cqueues host loop: examples/cqueues_loop.lua, run by spec/examples_spec.lua
  end)

  describe("limits", function()
    it("spaces launches to the client's rate", function()
      local limited = assert(kickoff.domo { base_url = sb.urls.domo, token = sb.credentials.domo_token, rate = 20 })
      local elapsed = timed(function()
        return kickoff.map({ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, function(i)
          return limited:start { model_id = MODEL, version = "1.1.0", workflow = "AddTwoNumbers",
            data = { parameter1 = i, parameter2 = 1 } }
        end)
      end)
      -- a burst of 1, then one every 50 ms: nine gaps
      assert.is_true(elapsed >= 9 * 0.05 - 0.01, "rate not enforced: " .. elapsed)
      assert.equal(10, launches())
    end)

    it("stops retrying when the retry budget is spent", function()
      local fragile = assert(kickoff.domo { base_url = sb.urls.domo, token = sb.credentials.domo_token,
        retry_budget = 10, backoff_base = 0.01 })
      local run = assert(start(1))
      sb:fault { vendor = "domo", method = "GET", action = { status = 503 } }
      local _, first = fragile:status(run.id)
      assert.equal(3, first.attempts) -- two retries cost the whole budget
      local _, second = fragile:status(run.id)
      assert.equal(1, second.attempts)
      assert.matches("retry budget", second.message)
      sb:clear_faults()
      -- successes refill it, one token each: two more retries need 10
      for _ = 1, 10 do assert(fragile:status(run.id)) end
      sb:fault { vendor = "domo", method = "GET", action = { status = 503 } }
      local _, third = fragile:status(run.id)
      assert.equal(3, third.attempts)
    end)

    it("bounds connections per host on a fresh engine", function()
      -- libcurl applies the bound when it opens a connection, so use an
      -- engine without idle connections to the sandbox
      local engine = core.engine { max_host_connections = 2 }
      local client = assert(core.client(engine, { vendor = "domo", base_url = sb.urls.domo,
        secret = sb.credentials.domo_token }))
      slow_domo()
      local transfers = {}
      local elapsed = timed(function()
        for i = 1, 6 do
          transfers[i] = assert(client:submit { path = "/api/workflow/v1/instances/x", idempotent = true })
        end
        local done = 0
        while done < 6 do done = done + engine:step(1) end
      end)
      for _, t in ipairs(transfers) do assert.equal(404, t:result().status) end
      assert.is_true(elapsed >= 3 * LATENCY, "more than 2 connections: " .. elapsed)
      assert.has_error(function() engine:configure { max_host_connections = 0 } end,
        "bad option 'max_host_connections' (number in 1..10000 expected)")
      kickoff.configure { max_connections = 128 } -- the shared engine takes the same options
    end)
  end)
end)
