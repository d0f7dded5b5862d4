local json = require("kickoff.json")

describe("kickoff.json", function()
  it("keeps integers as integers in both directions", function()
    local t = json.decode('{"id":400,"big":9007199254740991,"f":1.5,"neg":-3}')
    assert.equal("integer", math.type(t.id))
    assert.equal("400", tostring(t.id))
    assert.equal(9007199254740991, t.big)
    assert.equal("float", math.type(t.f))
    assert.equal(-3, t.neg)
    assert.equal('{"a":400,"b":0.1,"c":1e+300}', json.encode({ a = 400, b = 0.1, c = 1e300 }))
  end)

  it("drops null fields of objects and keeps null items of arrays", function()
    local t = json.decode('{"status":null,"list":[1,null,3]}')
    assert.is_nil(t.status)
    assert.equal(json.null, t.list[2])
    assert.equal('[1,null,3]', json.encode(t.list))
  end)

  it("writes empty tables as objects unless marked as arrays", function()
    assert.equal("{}", json.encode({}))
    assert.equal("[]", json.encode(json.array {}))
    assert.equal('{"a":[]}', json.encode({ a = json.array() }))
  end)

  it("escapes strings and refuses invalid UTF-8", function()
    assert.equal('"a\\"b\\\\c\\n\\u0001"', json.encode('a"b\\c\n\1'))
    local text, field, rule = json.encode({ s = "\200" }, "data")
    assert.is_nil(text)
    assert.equal("data.s", field)
    assert.truthy(rule:find("UTF-8", 1, true))
  end)

  it("reports decode errors instead of raising", function()
    local v, err = json.decode("{nope")
    assert.is_nil(v)
    assert.is_string(err)
  end)

  describe("the C fast path", function()
    local core = require("kickoff.core")

    -- A seeded generator of plain values: what scripts send.
    local seed = tonumber(os.getenv("KICKOFF_PROPERTY_SEED")) or os.time()
    local rng = math.random
    math.randomseed(seed)
    local texts = { "", "a", "Start AddTwoNumbers", 'q"b\\s', "\n\t\r\b\f", "\0\1\31\127", "caf\195\169", "/</" }
    local numbers = { 0, -0.0, 1, -1, 0.1, 1e300, -2.5e-308, 2^53, 2^63, math.maxinteger, math.mininteger, 1 / 3, 123456789.125 }
    local function value(depth)
      local r = rng(10)
      if r <= 3 then return texts[rng(#texts)] .. (rng(2) == 1 and tostring(rng(1000)) or "") end
      if r <= 5 then return numbers[rng(#numbers)] end
      if r == 6 then return rng(2) == 1 end
      if depth > 4 then return rng(-1000, 1000) end
      local t, n = {}, rng(0, 5)
      if rng(2) == 1 then
        for i = 1, n do t[i] = value(depth + 1) end
      else
        for _ = 1, n do t[texts[rng(#texts)] .. rng(50)] = value(depth + 1) end
      end
      return t
    end

    it("writes exactly what the Lua encoder writes (seed " .. seed .. ")", function()
      local fast_hits = 0
      for i = 1, 3000 do
        local v = value(0)
        local fast = core.json_encode_fast(v)
        local slow = json.encode_lua(v)
        if fast then
          fast_hits = fast_hits + 1
          assert.equal(slow, fast, "case " .. i .. " (replay: KICKOFF_PROPERTY_SEED=" .. seed .. ")")
        end
      end
      assert.is_true(fast_hits > 1000, "the fast path took only " .. fast_hits .. " of 3000 cases")
    end)

    it("leaves to the Lua encoder what it must judge or mark", function()
      local cycle = {}
      cycle.self = cycle
      local deep = {}
      local at = deep
      for _ = 1, 70 do at.x = {}; at = at.x end
      for _, v in ipairs { json.array {}, { json.null }, { x = 0 / 0 }, { 1, nil, 3 }, { 1, a = 2 }, cycle, deep,
                           { s = "caf\195\169" }, { [1.5] = true }, { ["a\0b"] = 1 }, print } do
        assert.is_nil(core.json_encode_fast(v))
      end
      assert.equal("[]", json.encode(json.array {}))
      local _, field = json.encode({ a = { b = { 1, 0 / 0 } } }, "data")
      assert.equal("data.a.b[2]", field)
    end)
  end)
end)

