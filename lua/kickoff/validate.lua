--- Validation helpers: each check returns nothing when the value is fine,
-- or (field, rule) naming the field and the rule it breaks.
-- @module kickoff.validate
local json = require("kickoff.json")

local M = {}

function M.string(field, v, opts)
  opts = opts or {}
  if v == nil then
    if opts.optional then return end
    return field, "is required"
  end
  if type(v) ~= "string" then return field, "must be a string (got " .. type(v) .. ")" end
  if v == "" then return field, "must not be empty" end
  if opts.max and #v > opts.max then
    return field, "must be at most " .. opts.max .. " characters (got " .. #v .. ")"
  end
  if not utf8.len(v) then return field, "must be valid UTF-8 text" end
  if v:find("[%z\1-\31\127]") then return field, "must not contain control characters" end
  if opts.pattern and not v:find(opts.pattern) then return field, opts.pattern_rule end
end

local uuid_pattern = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"

function M.uuid(field, v, opts)
  opts = opts or {}
  return M.string(field, v, { optional = opts.optional, pattern = uuid_pattern,
    pattern_rule = "must be a UUID like a8afdc89-9491-4ee4-b7c3-b9e9b86c0138" })
end

function M.integer(field, v, opts)
  opts = opts or {}
  if v == nil then
    if opts.optional then return end
    return field, "is required"
  end
  if math.type(v) ~= "integer" then
    if type(v) == "number" and v == math.floor(v) and v > -2^53 and v < 2^53 then
      return
    end
    return field, "must be an integer (got " .. type(v) .. ")"
  end
  if opts.min and v < opts.min then return field, "must be >= " .. opts.min end
end

function M.boolean(field, v, opts)
  if v == nil and opts and opts.optional then return end
  if type(v) ~= "boolean" then return field, "must be a boolean (got " .. type(v) .. ")" end
end

--- A table of fields (empty allowed). Only the shape is checked here: the
-- values are checked once, by the encoder, when the body is written.
function M.object(field, v, opts)
  if v == nil then
    if opts and opts.optional then return end
    return field, "is required"
  end
  if type(v) ~= "table" then return field, "must be a table of fields (got " .. type(v) .. ")" end
  if #v > 0 or json.is_array(v) then
    return field, "must be a JSON object (string keys), not a list"
  end
end

--- A non-empty list (table with 1..n).
function M.list(field, v, opts)
  opts = opts or {}
  if v == nil then
    if opts.optional then return end
    return field, "is required"
  end
  if type(v) ~= "table" then return field, "must be a list (got " .. type(v) .. ")" end
  local n = 0
  for k in pairs(v) do
    if math.type(k) ~= "integer" or k < 1 then return field, "must be a list (1..n), not a map" end
    n = n + 1
  end
  if n ~= #v then return field, "must be a list without holes" end
  if n == 0 and not opts.allow_empty then return field, "must not be empty" end
end

--- Refuse keys a verb does not know (catches typos like modelId for model_id).
function M.known_keys(field, t, allowed)
  for k in pairs(t) do
    if not allowed[k] then
      local hint = type(k) == "string" and allowed[k:gsub("(%l)(%u)", "%1_%2"):lower()]
        and (" (did you mean " .. k:gsub("(%l)(%u)", "%1_%2"):lower() .. "?)") or ""
      return (field and field .. "." or "") .. tostring(k), "is not a known field" .. hint
    end
  end
end

--- Runs checks in order; returns the first (field, rule) found.
function M.first(...)
  for _, check in ipairs({ ... }) do
    local field, rule = check()
    if field then return field, rule end
  end
end

--- Percent-encode an id for a URL path segment.
function M.path_segment(v)
  return (tostring(v):gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

return M
