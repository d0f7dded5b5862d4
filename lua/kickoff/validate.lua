--- Validation helpers: each check returns nothing when the value is fine,
-- or (field, rule) naming the field and the rule it breaks.
-- @module kickoff.validate
local Error = require("kickoff.error")
local Run = require("kickoff.run")
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

local uuid_rule = "must be a UUID like a8afdc89-9491-4ee4-b7c3-b9e9b86c0138"
local uuid_opts = { pattern = uuid_pattern, pattern_rule = uuid_rule }

function M.uuid(field, v)
  return M.string(field, v, uuid_opts)
end

function M.integer(field, v, opts)
  opts = opts or {}
  if v == nil then
    if opts.optional then return end
    return field, "is required"
  end
  if math.type(v) ~= "integer" then
    -- an integral float (4.0) is accepted as the integer it holds
    if type(v) ~= "number" or v ~= math.floor(v) or v <= -2^53 or v >= 2^53 then
      return field, "must be an integer (got " .. (type(v) == "number" and tostring(v) or type(v)) .. ")"
    end
    v = math.tointeger(v)
  end
  if opts.min and v < opts.min then return field, "must be >= " .. opts.min end
  if opts.max and v > opts.max then return field, "must be <= " .. opts.max end
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

--- Like ipairs, for a list M.list accepted: bounded by its length, since
-- a table whose __index answers every index would make ipairs endless.
function M.items(t)
  local n, i = #t, 0
  return function()
    i = i + 1
    if i <= n then return i, t[i] end
  end
end

--- Refuse keys a verb does not know (catches typos like modelId for model_id).
function M.known_keys(field, t, allowed)
  for k in pairs(t) do
    if not allowed[k] then
      local hint = type(k) == "string" and allowed[k:gsub("(%l)(%u)", "%1_%2"):lower()]
        and (" (did you mean " .. k:gsub("(%l)(%u)", "%1_%2"):lower() .. "?)") or ""
      return json.path(field or "", k), "is not a known field" .. hint
    end
  end
end

--- Seconds options as the C core takes them, and retries.
M.seconds_options = { "timeout", "connect_timeout", "deadline", "backoff_base", "backoff_cap", "retry_after_cap" }
M.MAX_SECONDS = 86400 * 30

--- A number of seconds: finite, > 0 and at most 30 days.
function M.seconds(field, v, opts)
  if v == nil then
    if opts and opts.optional then return end
    return field, "is required"
  end
  if type(v) ~= "number" then return field, "must be a number of seconds (got " .. type(v) .. ")" end
  if v ~= v or v <= 0 or v > M.MAX_SECONDS then
    return field, "must be a number of seconds > 0 and at most " .. M.MAX_SECONDS .. " (got " .. tostring(v) .. ")"
  end
end

local all_policy = { "retries" }
for _, name in ipairs(M.seconds_options) do all_policy[#all_policy + 1] = name end

--- The retry-policy options every verb takes per call (transport.call
-- hands them to the core): the seconds options and retries.
M.per_call_policy = all_policy

--- The per-call policy names as a set, for `known_keys`.
M.call_fields = {}
for _, name in ipairs(all_policy) do M.call_fields[name] = true end

--- A verb's own option names plus the per-call policy names, as a set.
-- @tparam table own set of the verb's own names
-- @treturn table
function M.with_call_fields(own)
  local set = {}
  for name in pairs(M.call_fields) do set[name] = true end
  for name, yes in pairs(own) do set[name] = yes end
  return set
end

--- Policy values in a table of options: seconds options (finite, > 0)
-- and retries (an integer 0..100).
-- @param opts the table
function M.policy(opts)
  for _, name in ipairs(all_policy) do
    local val = opts[name]
    if name == "retries" then
      if val ~= nil and (math.type(val) ~= "integer" or val < 0 or val > 100) then
        return "retries", "must be an integer from 0 to 100 (got " .. tostring(val) .. ")"
      end
    elseif val ~= nil then
      local field, rule = M.seconds(name, val)
      if field then return field, rule end
    end
  end
end

--- Text the C core receives as a C string: a NUL would cut it short
-- silently. The value is never echoed (it may be a secret).
function M.no_nul(field, v)
  if type(v) == "string" and v:find("%z") then return field, "must not contain NUL bytes" end
end

--- A client's options after the transport checked their names and types:
-- policy values, and no NUL in text the C core receives.
local client_ranges = { retry_budget = { 0, 1e6 }, rate = { 1e-3, 1e6 }, rate_burst = { 1, 1e6 } }

function M.client_options(opts)
  local field, rule = M.policy(opts)
  if field then return field, rule end
  for name, range in pairs(client_ranges) do
    local n = opts[name]
    if n ~= nil and not (type(n) == "number" and n >= range[1] and n <= range[2]) then
      return name, string.format("must be a number from %g to %g (got %s)", range[1], range[2], tostring(n))
    end
  end
  for k, val in pairs(opts) do
    field, rule = M.no_nul(k, val)
    if field then return field, rule end
  end
end

local wait_fields = { timeout = true, interval = true, max_interval = true, factor = true, on_poll = true }

--- Options of wait(): timeout, interval, max_interval (seconds), factor
-- (>= 1), on_poll (function).
function M.wait_options(opts)
  return M.first(
    function() return M.known_keys(nil, opts, wait_fields) end,
    function() return M.seconds("timeout", opts.timeout, { optional = true }) end,
    function() return M.seconds("interval", opts.interval, { optional = true }) end,
    function() return M.seconds("max_interval", opts.max_interval, { optional = true }) end,
    function()
      local f = opts.factor
      if f ~= nil and (type(f) ~= "number" or not (f >= 1 and f <= 100)) then
        return "factor", "must be a number from 1 to 100 (got " .. tostring(f) .. ")"
      end
    end,
    function()
      if opts.on_poll ~= nil and type(opts.on_poll) ~= "function" then
        return "on_poll", "must be a function (got " .. type(opts.on_poll) .. ")"
      end
    end)
end

--- What wait() polls, and its options checked. A Run is polled as given;
-- for anything else its id (a table's id field, or the value itself) is
-- checked with `check(field, id)` -> field, rule.
-- @return the Run or id to poll, or nil and a validation Error
function M.wait_target(vendor, run, opts, check)
  local field, rule = M.wait_options(opts or {})
  if not field then
    if type(run) == "table" then
      field, rule = check("run.id", run.id)
    else
      field, rule = check("run", run)
    end
  end
  if field then return nil, Error.validation(vendor, field, rule) end
  if Run.is(run) then return run end
  return type(run) == "table" and run.id or run
end

--- Per-call options of a verb: known names, and policy values.
-- @param[opt] opts the verb's options table
-- @param[opt] allowed set of names the verb accepts (default: call_fields)
function M.call_options(opts, allowed)
  opts = opts or {}
  return M.first(
    function() return M.known_keys(nil, opts, allowed or M.call_fields) end,
    function() return M.policy(opts) end)
end

--- Raise a luaL_argerror-style error at the caller of a verb when an
-- argument has the wrong type (a programming error, not bad data).
-- @param n argument number (self not counted)
-- @param verb the verb's name as the caller wrote it
-- @param value the argument
-- @param want the Lua type expected
-- @param optional nil is accepted
function M.arg(n, verb, value, want, optional)
  if type(value) == want or (value == nil and optional) then return end
  error(string.format("bad argument #%d to '%s' (%s expected, got %s)", n, verb, want, type(value)), 3)
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
