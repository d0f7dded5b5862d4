-- Shared helpers for specs: one sandbox per spec file, fake credentials,
-- and a collector that records every trace event and error text so specs
-- can scan them for secrets.
local sandbox = require("kickoff.sandbox")

local M = {}

--- Start a sandbox for the current spec file; stopped in teardown.
function M.sandbox(opts)
  local sb = assert(sandbox.start(opts or {}))
  return sb
end

--- Run a target of this repository's Makefile from a spec (outside the
-- make that may be running the suite). Returns whether it passed, and its
-- output.
function M.make(target)
  local p = assert(io.popen("env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -s "
    .. target .. " 2>&1"))
  local out = p:read("a")
  return p:close() == true, out
end

--- The requests a sandbox vendor received, optionally only those with
-- filter.method and a path equal to filter.path or matching filter.pattern.
function M.requests(sb, vendor, filter)
  filter = filter or {}
  local out = {}
  for _, e in ipairs(sb:journal(vendor)) do
    if (not filter.method or e.method == filter.method) and (not filter.path or e.path == filter.path)
        and (not filter.pattern or e.path:find(filter.pattern)) then
      out[#out + 1] = e
    end
  end
  return out
end

--- A trace function and the list it appends to.
function M.tracer()
  local events = {}
  return function(ev) events[#events + 1] = ev end, events
end

--- Every string an observer could see: trace texts and tostring of values.
function M.visible_text(events, ...)
  local parts = {}
  for _, ev in ipairs(events or {}) do parts[#parts + 1] = ev.type .. " " .. ev.text end
  for i = 1, select("#", ...) do parts[#parts + 1] = tostring((select(i, ...))) end
  return table.concat(parts, "\n")
end

--- Collect garbage until a weak reference clears (or give up).
function M.collected(weak)
  for _ = 1, 5 do
    collectgarbage("collect")
    if weak.value == nil then return true end
  end
  return false
end

-- Property testing ------------------------------------------------------

--- A seeded generator (the sandbox's splitmix64) with its own state, so a
-- run is replayed exactly from its seed whatever else calls math.random.
function M.rng(seed)
  local rng = require("kickoff.sandbox.faults").new_rng(seed)
  --- Uniform float in [0, 1).
  rng.float = rng.uniform
  --- Uniform integer in [lo, hi].
  function rng.int(lo, hi)
    return lo + math.tointeger((rng.next_u64() >> 1) % (hi - lo + 1))
  end
  function rng.chance(p)
    return rng.float() < p
  end
  function rng.pick(list)
    return list[rng.int(1, #list)]
  end
  return rng
end

--- The seed of a property run: KICKOFF_PROPERTY_SEED replays one.
function M.property_seed()
  local given = os.getenv("KICKOFF_PROPERTY_SEED")
  if given and given ~= "" then return assert(math.tointeger(tonumber(given)), "KICKOFF_PROPERTY_SEED must be an integer") end
  local f = io.open("/dev/urandom", "rb")
  local bytes = f and f:read(4) or ""
  if f then f:close() end
  local seed = os.time()
  for i = 1, #bytes do seed = seed * 256 + bytes:byte(i) end
  return seed & 0x7fffffff
end

-- Values scripts get wrong: edge numbers, broken text, odd tables.
local edge_numbers = {
  0, 1, -1, 42, math.maxinteger, math.mininteger, 2 ^ 53, 2 ^ 53 + 1, -2 ^ 53, 2 ^ 63, -2 ^ 63,
  0.0, -0.0, 0.5, 1.0, 1.5, -1.5, 1e308, -1e308, 5e-324, 2.2250738585072014e-308,
  0 / 0, math.huge, -math.huge, 9007199254740993, 1e15 + 0.3,
}

local edge_strings = {
  "", " ", "a", "0", "-1", "1.5", "1e5", "123", "true", "null", "nil", "NaN",
  "\255\254", "\xC0\xAF", "\xE2\x82", "\xED\xA0\x80", "\xF4\x90\x80\x80", "caf\xC3\xA9", "\u{1F680}",
  "a\0b", "\0", "line\nbreak", "x\r\nX-Injected: 1", "\t", "\127", "\27[31m",
  "controller", "action", "id", "user_email", "user_token", "format", "__index", "__proto__",
  "constructor", "toString", "_G", "../../__admin/reset", "/__admin/shutdown", "%00", "%2F..%2F",
  "https://evil.example/x", "http://10.0.0.1/", "http://127.0.0.1:1/", "file:///etc/passwd",
  "a8afdc89-9491-4ee4-b7c3-b9e9b86c0138", "00000000-0000-4000-8000-000000000000",
  "ada@example.com", "a@b", "@example.com", "x@y.z", "1.1.0", "Start X", "minute", "day",
  "%s%d%n", "'; DROP TABLE runs; --", "\"quoted\"", "a,b", "a:b", "a;b", "{}", "[]",
}

--- A random string: edge cases, printable text, raw bytes, or huge.
function M.random_string(rng)
  local r = rng.float()
  if r < 0.45 then return rng.pick(edge_strings) end
  if r < 0.7 then
    local out = {}
    for i = 1, rng.int(1, 40) do out[i] = string.char(rng.int(32, 126)) end
    return table.concat(out)
  end
  if r < 0.85 then
    local out = {}
    for i = 1, rng.int(1, 24) do out[i] = string.char(rng.int(0, 255)) end
    return table.concat(out)
  end
  if r < 0.97 then return string.rep(rng.pick({ "a", "\u{e9}", "x y", "\255" }), rng.int(256, 70000)) end
  return string.rep("z", 1024 * 1024 + rng.int(0, 7))
end

function M.random_number(rng)
  local r = rng.float()
  if r < 0.6 then return rng.pick(edge_numbers) end
  if r < 0.8 then return rng.int(-1000, 100000) end
  return (rng.float() - 0.5) * 10 ^ rng.int(-10, 30)
end

local function noop() end

local opaque_values = {
  noop, os.clock, coroutine.create(noop), io.stdout, -- os.clock: a C function that ignores its arguments
}

--- A random key: mostly strings (the given names first), sometimes not.
function M.random_key(rng, names)
  local r = rng.float()
  if names and #names > 0 and r < 0.6 then return rng.pick(names) end
  if r < 0.8 then return M.random_string(rng) end
  local k = rng.pick({ 1, 2, 3, 0, -1, 1.5, 2 ^ 53, math.maxinteger, true, false, noop, "k" })
  if rng.chance(0.1) then return {} end
  return k
end

local random_value

-- A table of the shape scripts get wrong: sparse, mixed, cyclic, deep, proxied.
local function random_table(rng, depth, names)
  local r = rng.float()
  local json = require("kickoff.json")
  if r < 0.05 then return {} end
  if r < 0.1 then return json.array({}) end
  if r < 0.2 then -- a list, maybe with holes
    local t = {}
    for i = 1, rng.int(1, 6) do
      if not rng.chance(0.15) then t[i] = random_value(rng, depth + 1) end
    end
    return t
  end
  if r < 0.25 then -- sparse keys
    return { [1] = "a", [3] = "c", [rng.int(5, 1000000)] = "far" }
  end
  if r < 0.3 then -- cycle
    local t = {}
    t[M.random_key(rng, names)] = t
    if rng.chance(0.5) then t.inner = { back = t } end
    return t
  end
  if r < 0.34 then -- deep nesting
    local t = {}
    local cur = t
    for _ = 1, rng.int(60, 200) do
      cur.x = {}
      cur = cur.x
    end
    return t
  end
  if r < 0.37 then -- big list
    local t = {}
    for i = 1, rng.int(1000, 20000) do t[i] = i end
    return t
  end
  local t = {}
  for _ = 1, rng.int(0, 6) do
    local k = M.random_key(rng, names)
    if k == k and k ~= nil then t[k] = random_value(rng, depth + 1) end
  end
  if rng.chance(0.3) then t[#t + 1] = random_value(rng, depth + 1) end -- mixed list and map
  if r < 0.45 then -- a proxy: empty itself, fields through __index/__pairs
    local backing = t
    return setmetatable({}, {
      __index = backing,
      __pairs = function() return next, backing, nil end,
    })
  end
  if r < 0.5 then -- __index that answers anything
    local v = random_value(rng, depth + 1)
    return setmetatable(t, { __index = function() return v end })
  end
  if r < 0.53 then
    return setmetatable(t, { __name = "Thing", __tostring = function() return "thing" end, __metatable = false })
  end
  return t
end

--- A random Lua value: nil, booleans, edge numbers, broken strings,
-- functions, coroutines, userdata, json.null, or an odd table.
-- @param names field names to prefer as keys in tables
function random_value(rng, depth, names)
  depth = depth or 0
  local r = rng.float()
  if r < 0.06 then return nil end
  if r < 0.12 then return rng.chance(0.5) end
  if r < 0.32 then return M.random_number(rng) end
  if r < 0.62 then return M.random_string(rng) end
  if r < 0.7 then
    if rng.chance(0.2) then return require("kickoff.json").null end
    return rng.pick(opaque_values)
  end
  if depth > 3 then return M.random_string(rng) end
  return random_table(rng, depth, names)
end
M.random_value = random_value

--- Describe a value briefly for failure messages (no huge strings).
function M.describe(v, depth)
  depth = depth or 0
  local t = type(v)
  if t == "string" then
    local shown = #v > 40 and (v:sub(1, 40) .. "...(" .. #v .. " bytes)") or v
    return string.format("%q", shown)
  end
  if t ~= "table" then return tostring(v) end
  if depth > 2 then return "{...}" end
  local parts, n = {}, 0
  for k, x in next, v do
    n = n + 1
    if n > 8 then
      parts[#parts + 1] = "..."
      break
    end
    parts[#parts + 1] = "[" .. M.describe(k, depth + 1) .. "]=" .. M.describe(x, depth + 1)
  end
  return (getmetatable(v) and "<mt>" or "") .. "{" .. table.concat(parts, ", ") .. "}"
end

-- Secret scanning ---------------------------------------------------------

--- A fresh, unguessable secret (hex from /dev/urandom after a label), so
-- that finding any 8 of its characters anywhere means it leaked.
function M.random_secret(label)
  local f = assert(io.open("/dev/urandom", "rb"))
  local bytes = f:read(20)
  f:close()
  return label .. "-" .. bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end)
end

--- The fragments a leak check looks for: each secret whole, its first 8
-- and its last 8 characters, labelled by the secret's name (never by its
-- text, so a failing check does not print the secret either).
-- @param secrets map of name -> secret
function M.secret_fragments(secrets)
  local out, seen = {}, {}
  for name, secret in pairs(secrets) do
    for label, frag in pairs { whole = secret, ["first 8"] = secret:sub(1, 8), ["last 8"] = secret:sub(-8) } do
      if not seen[frag] then
        seen[frag] = true
        out[#out + 1] = { text = frag, label = tostring(name) .. " (" .. label .. ")" }
      end
    end
  end
  return out
end

--- Every string reachable from a value: strings as they are, tables walked
-- (keys and values, each table once), anything else through tostring.
-- Appends { where = path, text = string } to `out`.
function M.strings_in(value, where, out, seen)
  out, seen = out or {}, seen or {}
  local t = type(value)
  if t == "string" then
    out[#out + 1] = { where = where, text = value }
  elseif t == "table" then
    if seen[value] then return out end
    seen[value] = true
    local mt = getmetatable(value)
    if type(mt) == "table" and rawget(mt, "__tostring") then
      out[#out + 1] = { where = "tostring(" .. where .. ")", text = tostring(value) }
    end
    for k, v in next, value do
      M.strings_in(k, where .. "[key]", out, seen)
      M.strings_in(v, where .. "." .. tostring(k), out, seen)
    end
  elseif value ~= nil then
    out[#out + 1] = { where = where, text = tostring(value) }
  end
  return out
end

--- Where any fragment of a secret shows: a list of "where: fragment".
-- @param items from strings_in
-- @param fragments from secret_fragments
function M.find_leaks(items, fragments)
  local leaks = {}
  for _, item in ipairs(items) do
    for _, frag in ipairs(fragments) do
      if item.text:find(frag.text, 1, true) then
        leaks[#leaks + 1] = item.where .. ": contains " .. frag.label
      end
    end
  end
  return leaks
end

return M
