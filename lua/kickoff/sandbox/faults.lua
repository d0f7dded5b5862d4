--- Scripted faults: rules added through the admin API decide, per request,
-- whether to delay it and whether to break its reply. Matching is
-- synchronous (no yield), so concurrent requests consume rule counts
-- atomically and "fail N times, then succeed" is exact.
--
-- Rule: { vendor, method, path | path_pattern, times, after, probability,
--         when = "before"|"after", action = {...} }
-- Action: one terminal key of
--   status = N [, body = string|table, headers = {...}]
--   reset = true | empty = true | truncate = true | malformed_json = true
--   stall = seconds | tls_fail = true
-- plus, optionally, latency = seconds | {dist="uniform", min, max}
--   | {dist="lognormal", median, sigma} | {dist="fixed", value}.
-- A latency-only rule delays the request, then it is handled normally; such
-- rules stack with the first terminal rule that matches.
--
-- `when`: "before" (default) breaks the reply without acting on the request;
-- "after" acts on it (e.g. creates the run) and then breaks the reply, which
-- is how tests model "outcome unknown". truncate and stall default to
-- "after": by definition they cut a real reply short.
local M = {}

local TERMINALS = { "status", "reset", "empty", "truncate", "malformed_json", "stall", "tls_fail" }
local DEFAULT_WHEN = { truncate = "after", stall = "after" }

-- splitmix64: a small, well-distributed generator with its own state, so
-- fault randomness is reproducible from the seed whatever else runs.
local function new_rng(seed)
  local state = math.tointeger(seed) or 0
  local rng = {}
  function rng.next_u64()
    state = state + 0x9E3779B97F4A7C15
    local z = state
    z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ~ (z >> 27)) * 0x94D049BB133111EB
    return z ~ (z >> 31)
  end
  --- Uniform float in [0, 1).
  function rng.uniform()
    return (rng.next_u64() >> 11) * (1.0 / 9007199254740992.0)
  end
  --- Standard normal (Box-Muller).
  function rng.normal()
    local u1 = rng.uniform()
    while u1 <= 0 do u1 = rng.uniform() end
    return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * rng.uniform())
  end
  return rng
end

local function is_num(v, min)
  return type(v) == "number" and v == v and v >= (min or 0) and v < math.huge
end

local function check_latency(l)
  if is_num(l) then return true end
  if type(l) ~= "table" then return nil, "latency must be seconds or a distribution table" end
  local dist = l.dist or "fixed"
  if dist == "fixed" then
    if is_num(l.value) then return true end
    return nil, "latency.value must be a number of seconds"
  elseif dist == "uniform" then
    if is_num(l.min) and is_num(l.max) and l.max >= l.min then return true end
    return nil, "uniform latency needs min <= max (seconds)"
  elseif dist == "lognormal" then
    if is_num(l.median) and is_num(l.sigma) then return true end
    return nil, "lognormal latency needs median and sigma"
  end
  return nil, "unknown latency dist " .. tostring(dist)
end

local function check_action(a)
  if type(a) ~= "table" then return nil, "action must be an object" end
  local terminal
  for _, name in ipairs(TERMINALS) do
    if a[name] ~= nil and a[name] ~= false then
      if terminal then return nil, "action has both " .. terminal .. " and " .. name end
      terminal = name
    end
  end
  if a.latency ~= nil then
    local ok, err = check_latency(a.latency)
    if not ok then return nil, err end
  elseif not terminal then
    return nil, "action needs one of latency, " .. table.concat(TERMINALS, ", ")
  end
  if terminal == "status" then
    if math.type(a.status) ~= "integer" or a.status < 100 or a.status > 599 then
      return nil, "status must be an integer HTTP status"
    end
    if a.body ~= nil and type(a.body) ~= "string" and type(a.body) ~= "table" then
      return nil, "body must be a string or a JSON value"
    end
    if a.headers ~= nil and type(a.headers) ~= "table" then return nil, "headers must be an object" end
  elseif terminal == "stall" and not is_num(a.stall) then
    return nil, "stall must be a number of seconds"
  end
  return terminal or "latency"
end

local Faults = {}
Faults.__index = Faults

--- New fault table with a seeded generator.
function M.new(seed)
  return setmetatable({ rules = {}, next_id = 1, rng = new_rng(seed) }, Faults)
end

--- Restart the generator (reset() makes runs repeatable).
function Faults:reseed(seed)
  self.rng = new_rng(seed)
end

--- Validate and add a rule. Returns the stored rule, or nil and an error.
function Faults:add(spec)
  if type(spec) ~= "table" then return nil, "fault rule must be an object" end
  local name, err = check_action(spec.action)
  if not name then return nil, err end
  for _, k in ipairs({ "vendor", "method", "path", "path_pattern" }) do
    if spec[k] ~= nil and type(spec[k]) ~= "string" then return nil, k .. " must be a string" end
  end
  if spec.path_pattern and not pcall(string.find, "", spec.path_pattern) then
    return nil, "path_pattern is not a valid Lua pattern"
  end
  for _, k in ipairs({ "times", "after" }) do
    if spec[k] ~= nil and (math.type(spec[k]) ~= "integer" or spec[k] < 0) then
      return nil, k .. " must be a non-negative integer"
    end
  end
  if spec.probability ~= nil and not (is_num(spec.probability) and spec.probability <= 1) then
    return nil, "probability must be between 0 and 1"
  end
  local when = spec.when or DEFAULT_WHEN[name] or "before"
  if when ~= "before" and when ~= "after" then return nil, 'when must be "before" or "after"' end
  local rule = {
    id = self.next_id, vendor = spec.vendor, method = spec.method and spec.method:upper(),
    path = spec.path, path_pattern = spec.path_pattern, times = spec.times, after = spec.after or 0,
    probability = spec.probability, when = when, action = spec.action, name = name,
    seen = 0, applied = 0,
  }
  self.next_id = self.next_id + 1
  self.rules[#self.rules + 1] = rule
  return rule
end

function Faults:clear()
  self.rules = {}
end

local function exhausted(rule)
  return rule.times ~= nil and rule.applied >= rule.times
end

local function matches(rule, vendor, method, path)
  if rule.vendor and rule.vendor ~= vendor then return false end
  if rule.method and rule.method ~= method then return false end
  if rule.path and rule.path ~= path then return false end
  if rule.path_pattern and not path:find(rule.path_pattern) then return false end
  return true
end

-- Count a match; true when the rule fires this time.
function Faults:fire(rule)
  rule.seen = rule.seen + 1
  if rule.seen <= rule.after then return false end
  if rule.probability and self.rng.uniform() >= rule.probability then return false end
  rule.applied = rule.applied + 1
  return true
end

--- Draw one latency value (seconds) from a latency spec.
function Faults:latency(l)
  if type(l) == "number" then return l end
  local dist = l.dist or "fixed"
  if dist == "fixed" then return l.value end
  if dist == "uniform" then return l.min + (l.max - l.min) * self.rng.uniform() end
  return l.median * math.exp(l.sigma * self.rng.normal()) -- lognormal
end

--- Decide what happens to a vendor request. Returns nil (nothing), or a plan
-- { latency = seconds|nil, name = terminal name|nil, action, when, rule }.
function Faults:match(vendor, method, path)
  local plan
  for _, rule in ipairs(self.rules) do
    if rule.name ~= "tls_fail" and not exhausted(rule) and matches(rule, vendor, method, path) then
      local terminal = rule.name ~= "latency"
      -- Once a terminal rule is chosen, later terminal rules are not even
      -- counted: their "fail N times" budget stays untouched.
      if not (terminal and plan and plan.name) and self:fire(rule) then
        plan = plan or {}
        if rule.action.latency then
          plan.latency = (plan.latency or 0) + self:latency(rule.action.latency)
        end
        if terminal then
          plan.name, plan.action, plan.when = rule.name, rule.action, rule.when
        end
      end
    end
  end
  return plan
end

--- Decide whether a new TLS connection fails its handshake. The request is
-- not known yet, so only tls_fail rules count and their route fields are
-- ignored.
function Faults:match_tls()
  for _, rule in ipairs(self.rules) do
    if rule.name == "tls_fail" and not exhausted(rule) and self:fire(rule) then
      return { name = "tls_fail" }
    end
  end
end

--- Rules as plain data, for the admin API.
function Faults:list()
  local out = {}
  for i, r in ipairs(self.rules) do
    out[i] = {
      id = r.id, vendor = r.vendor, method = r.method, path = r.path, path_pattern = r.path_pattern,
      times = r.times, after = r.after, probability = r.probability, when = r.when,
      action = r.action, fault = r.name, seen = r.seen, applied = r.applied, exhausted = exhausted(r),
    }
  end
  return out
end

--- The seeded generator the faults use (splitmix64: next_u64, uniform,
-- normal), also what specs build their own replayable randomness on.
M.new_rng = new_rng

return M
