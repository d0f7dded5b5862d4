--- JSON for kickoff: a validating encoder and a typed decoder.
-- The encoder checks while it writes, so a bad value is reported with the
-- path of the field and the rule it breaks, and nothing is sent. Integers
-- stay integers both ways (Debian's lua-cjson 2.1 decodes every number as a
-- float and writes only 14 significant digits, so it is used for decoding
-- alone, with a pass that restores integers).
-- @module kickoff.json
local cjson = require("cjson").new()

cjson.decode_invalid_numbers(false)

local M = {}

local ARRAY = setmetatable({}, { __name = "kickoff.json.array" })
local OBJECT = setmetatable({}, { __name = "kickoff.json.object" })
--- The JSON null: encodes as null; decoded array items that are null.
M.null = cjson.null

-- The marker of a table (ARRAY, OBJECT or nil); any metatable is read safely.
local function marker(t)
  local mt = getmetatable(t)
  return type(mt) == "table" and rawget(mt, "__jsontype") or nil
end

local function mark(name, t, kind)
  if t == nil then t = {} end
  if type(t) ~= "table" then
    error("bad argument #1 to '" .. name .. "' (table expected, got " .. type(t) .. ")", 3)
  end
  local mt = getmetatable(t)
  if mt ~= nil and not (type(mt) == "table" and rawget(mt, "__jsontype")) then
    error("bad argument #1 to '" .. name .. "' (table without a metatable expected)", 3)
  end
  return setmetatable(t, { __jsontype = kind })
end

--- Mark a table as a JSON array (needed for empty arrays).
-- @tparam[opt] table t a table without a metatable (a new one when nil)
-- @return t
function M.array(t)
  return mark("array", t, ARRAY)
end

--- Whether a table was marked with json.array.
-- @param t any value
-- @treturn boolean
function M.is_array(t)
  return marker(t) == ARRAY
end

--- Whether a table was marked with json.object.
-- @param t any value
-- @treturn boolean
function M.is_object(t)
  return marker(t) == OBJECT
end

--- Mark a table as a JSON object (an empty table already is one).
-- @tparam[opt] table t a table without a metatable (a new one when nil)
-- @return t
function M.object(t)
  return mark("object", t, OBJECT)
end

local escapes = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}
local function escape_char(c)
  return escapes[c] or string.format("\\u%04x", c:byte())
end

local function fail(path, rule)
  error({ kickoff_json = true, field = path, rule = rule }, 0)
end

local MAX_KEY_SHOWN = 40

-- A key as it appears in a field path: names as they are, anything else
-- (empty, dots, spaces, bytes, huge) quoted, escaped and cut short.
local function key_text(key)
  if type(key) ~= "string" then return "[" .. tostring(key) .. "]" end
  if key:find("^[%a_][%w_%-]*$") and #key <= MAX_KEY_SHOWN then return nil end
  local shown = key:sub(1, MAX_KEY_SHOWN):gsub('[^\32-\126]', function(c) return "\\" .. c:byte() end)
    :gsub('"', '\\"')
  return '["' .. shown .. (#key > MAX_KEY_SHOWN and '..."]' or '"]')
end

--- Join a field path and a key: "data" + "x" -> "data.x", + 2 -> "data[2]",
-- + "a b" -> 'data["a b"]'.
-- @tparam string path the path so far ("" at the top)
-- @param key a string key or an integer index
-- @treturn string
function M.path(path, key)
  if math.type(key) == "integer" then return path .. "[" .. key .. "]" end
  local quoted = key_text(key)
  if quoted then return path .. quoted end
  if path == "" then return key end
  return path .. "." .. key
end
local join = M.path

--- Quote and escape a string as a JSON string literal (no UTF-8 check).
-- @tparam string s the text to quote
-- @treturn string
function M.quote(s)
  return '"' .. s:gsub('[%c"\\]', escape_char) .. '"'
end

-- The encoder keeps the keys leading to the value being written on a
-- stack and builds the field path only when it reports an error.
local function path_of(base, stack, depth)
  local path = base
  for i = 1, depth do path = join(path, stack[i]) end
  return path
end

local function fail_at(st, rule)
  fail(path_of(st.base, st.stack, st.depth), rule)
end

local function encode_string(s, st, out, n, is_key)
  -- most strings need no escape and are plain ASCII: no gsub, no UTF-8 walk
  if not s:find('[%c"\\\128-\255]') then
    out[n] = '"' .. s .. '"'
    return
  end
  if not utf8.len(s) then fail_at(st, "must be valid UTF-8 text") end
  -- parsers such as jansson (the core checks Campaigns bodies with it) refuse them
  if is_key and s:find("%z") then fail_at(st, "keys must not contain NUL characters") end
  out[n] = M.quote(s)
end

local function number_text(v, st)
  if math.type(v) == "integer" then return string.format("%d", v) end
  if v ~= v or v == math.huge or v == -math.huge then
    fail_at(st, "must be a finite number (JSON has no NaN or infinity)")
  end
  -- shortest text that reads back as the same double
  for digits = 15, 17 do
    local text = string.format("%." .. digits .. "g", v)
    if tonumber(text) == v then return text end
  end
end

-- Classifies a table: "array" with its length, or "object" with its keys
-- sorted (stable output: dry runs and journals compare equal).
local function shape(t, st)
  local marked = marker(t)
  local n, keys, count, has_string = rawlen(t), {}, 0, false
  for k in pairs(t) do
    count = count + 1
    local kt = type(k)
    if kt == "string" then
      has_string = true
      keys[#keys + 1] = k
    elseif kt ~= "number" or math.type(k) ~= "integer" or k < 1 or k > n then
      fail_at(st, "keys must be strings (object) or 1..n integers (array); got key " .. tostring(k))
    end
  end
  if has_string and n > 0 then fail_at(st, "mixes array items and object fields") end
  if marked == ARRAY then
    if has_string then fail_at(st, "marked as an array but has string keys") end
    return "array", n
  end
  if marked == OBJECT and count > 0 and not has_string then fail_at(st, "marked as an object but has list items") end
  if marked == OBJECT or count == 0 or has_string then
    table.sort(keys)
    return "object", keys
  end
  if count ~= n then fail_at(st, "array has holes (nil items)") end
  return "array", n
end

-- Appends v's text to out from index n; returns the next free index.
local function encode_value(v, st, out, n)
  local t = type(v)
  if t == "string" then
    encode_string(v, st, out, n)
    return n + 1
  elseif t == "number" then
    out[n] = number_text(v, st)
    return n + 1
  elseif t == "boolean" then
    out[n] = v and "true" or "false"
    return n + 1
  elseif v == M.null then
    out[n] = "null"
    return n + 1
  elseif t ~= "table" then
    fail_at(st, "must be a JSON value (string, number, boolean, table); got " .. t)
  end
  local seen, stack = st.seen, st.stack
  if seen[v] then fail_at(st, "contains a cycle") end
  local depth = st.depth + 1
  if depth > 65 then fail_at(st, "nests deeper than 64 levels") end
  seen[v] = true
  local kind, keys = shape(v, st)
  st.depth = depth
  if kind == "array" then
    out[n] = "["
    n = n + 1
    for i = 1, keys do
      if i > 1 then
        out[n] = ","
        n = n + 1
      end
      stack[depth] = i
      n = encode_value(v[i], st, out, n)
    end
    out[n] = "]"
  else
    out[n] = "{"
    n = n + 1
    for i, k in ipairs(keys) do
      stack[depth] = k
      if i > 1 then
        out[n] = ","
        n = n + 1
      end
      encode_string(k, st, out, n, true)
      out[n + 1] = ":"
      n = encode_value(v[k], st, out, n + 2)
    end
    out[n] = "}"
  end
  st.depth = depth - 1
  seen[v] = nil
  return n + 1
end

-- The C fast path (kickoff.core.json_encode_fast) writes plain tables of
-- ASCII text exactly as encode_lua does, and returns nil for anything it
-- leaves to it. It is loaded on the first encode, not with this module:
-- the sandbox uses json.quote in a process that must not load the C core
-- (under the sanitizers that core needs an instrumented interpreter).
local encode_fast
encode_fast = function(value)
  local has_core, core = pcall(require, "kickoff.core")
  encode_fast = has_core and core.json_encode_fast or function() return nil end
  return encode_fast(value)
end

--- Encode a value. Keys are written sorted, so equal tables encode equal.
-- @param value a string, number, boolean, json.null or table of them
-- @tparam[opt] string path field name used in error reports
-- @return JSON text, or nil, field, rule
function M.encode(value, path)
  if path ~= nil and type(path) ~= "string" then
    error("bad argument #2 to 'encode' (string expected, got " .. type(path) .. ")", 2)
  end
  local text = encode_fast(value)
  if text then return text end
  return M.encode_lua(value, path)
end

--- The Lua encoder alone: what `encode` falls back to, and the reference
-- the C fast path is checked against (spec/json_spec.lua).
-- @param value as for `encode`
-- @tparam[opt] string path as for `encode`
-- @return JSON text, or nil, field, rule
function M.encode_lua(value, path)
  local out = {}
  local st = { base = path or "", stack = {}, depth = 0, seen = {} }
  local ok, err = pcall(encode_value, value, st, out, 1)
  if ok then return table.concat(out) end
  if type(err) == "table" and err.kickoff_json then
    local field = err.field ~= "" and err.field or (path ~= nil and path ~= "" and path) or "value"
    return nil, field, err.rule
  end
  error(err, 0)
end

local INT_LIMIT = 2 ^ 53

local function restore(v)
  if type(v) == "number" then
    if v == math.floor(v) and v > -INT_LIMIT and v < INT_LIMIT then
      return math.tointeger(v)
    end
    return v
  end
  if type(v) ~= "table" then return v end
  local n = #v
  if n > 0 then
    for i = 1, n do v[i] = restore(v[i]) end
  else
    for k, x in pairs(v) do
      if x == cjson.null then v[k] = nil else v[k] = restore(x) end
    end
  end
  return v
end

--- Decode JSON text. Integral numbers come back as Lua integers; null
-- fields of objects are absent, null items of arrays are `json.null`.
-- @tparam string text JSON text
-- @return value, or nil, message
function M.decode(text)
  local ok, v = pcall(cjson.decode, text)
  if not ok then return nil, tostring(v) end
  return restore(v)
end

return M
