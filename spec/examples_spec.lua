-- The scripts in examples/ run unchanged against the sandbox (over TLS,
-- with its CA), as a user would run them against the vendors.
local support = require("spec.support")

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", [['\'']]) .. "'"
end

describe("examples", function()
  local sb

  setup(function() sb = support.sandbox { tls = true } end)
  teardown(function() sb:stop() end)
  before_each(function() sb:reset() end)

  local function run(script)
    local c = sb.credentials
    -- what `kickoff sandbox` tells a user to export
    local env = { LUA_PATH = "./lua/?.lua;./lua/?/init.lua;;", LUA_CPATH = "./build/?.so;;" }
    for _, kv in ipairs(require("kickoff.cli.sandbox").environment(sb)) do env[kv[1]] = kv[2] end
    local parts = {}
    for k, v in pairs(env) do parts[#parts + 1] = k .. "=" .. shell_quote(v) end
    local p = assert(io.popen(table.concat(parts, " ") .. " lua5.4 " .. script .. " 2>&1"))
    local out = p:read("a")
    local ok = p:close()
    for _, secret in ipairs { c.domo_token, c.zuora_client_secret, c.captaindata_api_key } do
      assert.is_nil(out:find(secret, 1, true), "a secret in the output of " .. script)
    end
    return ok, out
  end

  local function count(vendor, pattern)
    return #support.requests(sb, vendor, { method = "POST", pattern = pattern })
  end

  it("outcome_unknown.lua records an unknown Domo start instead of starting again", function()
    sb:fault { vendor = "domo", method = "POST", times = 1, when = "after", action = { reset = true } }
    sb:fault { vendor = "zuora", path_pattern = "/run$", times = 3, when = "after", action = { status = 503 } }
    local runs_before = #sb:state().zuora.runs
    local ok, out = run("examples/outcome_unknown.lua")
    assert.is_true(ok, out)
    assert.matches("domo: outcome unknown, not started again", out)
    assert.equal(1, count("domo", "/instances/message$"))
    -- zuora: three 503s (each after acting) spend the first call's attempts;
    -- the second call reuses the key and gets the run the first one created
    assert.matches("zuora: attempt 1 failed %(http%)", out)
    assert.matches("zuora: run %d+ %(key ", out)
    assert.equal(4, count("zuora", "/run$"))
    assert.equal(runs_before + 1, #sb:state().zuora.runs)
    local key
    for _, e in ipairs(sb:journal("zuora")) do
      if e.path:find("/run$") then
        key = key or e.headers["idempotency-key"]
        assert.equal(key, e.headers["idempotency-key"])
      end
    end
  end)

  it("batch.lua launches 25 jobs concurrently and sums them up", function()
    local ok, out = run("examples/batch.lua")
    assert.is_true(ok, out)
    assert.matches("succeeded +25", out)
    assert.equal(25, count("captaindata", "/schedule$"))
  end)

  it("cqueues_loop.lua runs launches inside a host cqueues loop", function()
    local ok, out = run("examples/cqueues_loop.lua")
    assert.is_true(ok, out)
    for i = 1, 5 do assert.matches("launch " .. i .. ": succeeded", out) end
    local ticks = tonumber(out:match("ran (%d+) times"))
    assert.is_true(ticks > 2, out)
  end)
end)

describe("examples/nightly_billing_spec.lua (a user's own spec)", function()
  it("passes with busted against the sandbox", function()
    -- from examples/, so this repository's .busted (which runs spec/) is not read
    -- (paths go through the environment: Debian's busted --lua re-runs itself
    -- through sh without quoting, which breaks --lpath values at ';')
    local p = assert(io.popen("cd examples && LUA_PATH='../lua/?.lua;../lua/?/init.lua;./?.lua;;' "
      .. "LUA_CPATH='../build/?.so;;' busted --lua=lua5.4 -o TAP nightly_billing_spec.lua 2>&1"))
    local out = p:read("a")
    local ok = p:close()
    assert.is_true(ok, out)
    assert.matches("\n1%.%.3\n", out)
    assert.is_nil(out:find("not ok", 1, true), out)
  end)
end)
