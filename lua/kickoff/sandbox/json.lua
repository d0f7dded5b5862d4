--- JSON for the sandbox.
-- Decoding uses lua-cjson; the result is then walked once to turn integral
-- floats back into Lua integers (cjson 2.1.0 decodes every number as a float)
-- and to mark non-empty arrays, so a decoded value re-encodes as it came in.
-- Encoding is our own: cjson 2.1.0 writes 14 significant digits and cannot
-- tell an empty array from an empty object, and the sandbox must emit the
-- vendors' JSON types exactly (integers as integers, [] vs {}).
local cjson = require("cjson").new()
local quote = require("kickoff.json").quote -- the client's string escaping
-- kickoff's encoder sends up to 64 levels; admin replies (journal, state)
-- wrap such bodies in a few more
local MAX_DEPTH = 256
cjson.decode_max_depth(MAX_DEPTH)

local M = {}

--- The JSON null value (shared with cjson so decoded nulls compare equal).
M.null = cjson.null

local array_mt = { __name = "json.array" }

--- Mark t as a JSON array (an unmarked empty table encodes as {}).
function M.array(t)
  return setmetatable(t or {}, array_mt)
end

--- Is t a table marked as an array?
function M.is_array(t)
  return type(t) == "table" and getmetatable(t) == array_mt
end

--- Is t a table that is not an array (an object, possibly empty)?
function M.is_object(t)
  return type(t) == "table" and getmetatable(t) ~= array_mt
end

--- A metatable that makes objects encode their keys in the given order
-- (remaining keys follow, sorted): responses read like the vendor docs.
-- Usage: local INSTANCE = json.order{"id", "name"}; setmetatable(t, INSTANCE)
function M.order(keys)
  return { __name = "json.object", __order = keys }
end

--- Shorthand: t with key order `mt` from json.order().
function M.object(t, mt)
  return setmetatable(t, mt)
end

-- Pre-encoded JSON text, spliced verbatim (e.g. "the request body as sent").
local raw_mt = { __name = "json.raw" }

--- Wrap already-valid JSON text so encode() copies it unchanged.
function M.raw(text)
  return setmetatable({ text = text }, raw_mt)
end

local function is_sequence(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

local function fix(v)
  if type(v) == "number" then
    return math.tointeger(v) or v
  elseif type(v) == "table" then
    for k, x in pairs(v) do v[k] = fix(x) end
    if is_sequence(v) then setmetatable(v, array_mt) end
  end
  return v
end

--- Decode JSON text. Returns value, or nil and an error message.
function M.decode(text)
  local ok, v = pcall(cjson.decode, text)
  if not ok then return nil, (tostring(v):gsub("^.-: ", "")) end
  return fix(v)
end

local function encode_string(s)
  if not utf8.len(s) then
    -- Not UTF-8 (e.g. a gzip body in the journal): map bytes to U+0000..U+00FF
    -- so the output is still valid JSON; callers that need bytes use base64.
    s = s:gsub("[\128-\255]", function(c) return utf8.char(c:byte()) end)
  end
  return quote(s)
end

local function encode_number(n)
  if math.type(n) == "integer" then return string.format("%d", n) end
  if n ~= n or n == math.huge or n == -math.huge then return "null" end
  -- Shortest representation that reads back as the same double.
  local s
  for digits = 15, 17 do
    s = string.format("%." .. digits .. "g", n)
    if tonumber(s) == n then break end
  end
  if not s:find("[%.eEn]") then s = s .. ".0" end -- keep it a float on re-read
  return s
end

local encode_value

local function encode_table(t, out, depth)
  if depth > MAX_DEPTH then error("json: nesting too deep", 0) end
  local mt = getmetatable(t)
  if mt == raw_mt then
    out[#out + 1] = t.text
  elseif mt == array_mt or is_sequence(t) then
    out[#out + 1] = "["
    for i = 1, #t do
      if i > 1 then out[#out + 1] = "," end
      encode_value(t[i], out, depth + 1)
    end
    out[#out + 1] = "]"
  else
    local keys, first = {}, {}
    local order = mt and mt.__order
    for _, k in ipairs(order or {}) do
      if t[k] ~= nil then first[k] = true end
    end
    for k in pairs(t) do
      if type(k) ~= "string" and type(k) ~= "number" then
        error("json: cannot encode key of type " .. type(k), 0)
      end
      if not first[k] then keys[#keys + 1] = k end
    end
    -- Sorted keys make output stable, which keeps tests and diffs simple.
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    if order then
      local ordered = {}
      for _, k in ipairs(order) do
        if first[k] then ordered[#ordered + 1] = k end
      end
      table.move(keys, 1, #keys, #ordered + 1, ordered)
      keys = ordered
    end
    out[#out + 1] = "{"
    for i, k in ipairs(keys) do
      if i > 1 then out[#out + 1] = "," end
      out[#out + 1] = encode_string(tostring(k))
      out[#out + 1] = ":"
      encode_value(t[k], out, depth + 1)
    end
    out[#out + 1] = "}"
  end
end

function encode_value(v, out, depth)
  local tv = type(v)
  if v == nil or v == M.null then
    out[#out + 1] = "null"
  elseif tv == "boolean" then
    out[#out + 1] = v and "true" or "false"
  elseif tv == "number" then
    out[#out + 1] = encode_number(v)
  elseif tv == "string" then
    out[#out + 1] = encode_string(v)
  elseif tv == "table" then
    encode_table(v, out, depth)
  else
    error("json: cannot encode a " .. tv, 0)
  end
end

--- Encode a Lua value. Raises on values JSON cannot hold.
function M.encode(v)
  local out = {}
  encode_value(v, out, 0)
  return table.concat(out)
end

return M
