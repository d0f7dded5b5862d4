--- kickoff.Error: what every runtime failure returns as `nil, err`.
-- Fields: kind, vendor, status, message, retryable, attempts, request_id,
-- retry_after, body, phase, and for validation errors field and rule.
-- No secret is ever stored in an error.
-- @classmod kickoff.Error
local Error = {}
Error.__index = Error
Error.__name = "kickoff.Error"

--- The kinds of error (`err.kind`), as a set.
Error.kinds = {
  validation = true, auth = true, rate_limited = true, http = true,
  network = true, timeout = true, tls = true, outcome_unknown = true,
  protocol = true, canceled = true,
}

local hints = {
  auth = "check the credentials and that their user has the needed grant",
  rate_limited = "slow down (client option rate) or retry after retry_after seconds",
  tls = "pass ca_file/ca_path when the server uses a private CA",
  outcome_unknown = "check the run's status or list recent runs before launching again",
  timeout = "raise timeout/deadline, or check the network path",
}

-- Field -> check of its value; each returns a rule when the value is wrong.
local function optional(kind)
  return function(v)
    if v ~= nil and type(v) ~= kind then return "must be a " .. kind .. " (got " .. type(v) .. ")" end
  end
end
local function optional_integer(v)
  if v ~= nil and math.type(v) ~= "integer" then return "must be an integer (got " .. type(v) .. ")" end
end
local field_checks = {
  message = function(v)
    if type(v) ~= "string" then return "is required and must be a string (got " .. type(v) .. ")" end
  end,
  vendor = optional("string"), phase = optional("string"), field = optional("string"), rule = optional("string"),
  retryable = optional("boolean"), retry_after = optional("number"),
  status = optional_integer, attempts = optional_integer,
  request_id = function(v)
    if v ~= nil and type(v) ~= "string" and type(v) ~= "number" then
      return "must be a string (got " .. type(v) .. ")"
    end
  end,
}
local field_order = { "message", "vendor", "status", "attempts", "retry_after", "request_id", "phase",
                      "field", "rule", "retryable" }

local function kinds_list()
  local names = {}
  for k in pairs(Error.kinds) do names[#names + 1] = k end
  table.sort(names)
  return table.concat(names, ", ")
end

--- Build an error from fields (kind and message are required). The
-- fields are copied; other fields (body, headers, ...) are kept as given.
-- @static
-- @tparam table fields kind, message, and optionally vendor, status,
-- attempts, retry_after, request_id, phase, field, rule, retryable
-- @return Error, or nil and a validation Error naming the bad field
function Error.new(fields)
  if type(fields) ~= "table" then
    error("bad argument #1 to 'new' (table expected, got " .. type(fields) .. ")", 2)
  end
  local e = {}
  for k, v in pairs(fields) do e[k] = v end
  local bad, rule
  if type(e.kind) ~= "string" or not Error.kinds[e.kind] then
    bad, rule = "kind", "must be one of " .. kinds_list()
  else
    for _, name in ipairs(field_order) do
      rule = field_checks[name](e[name])
      if rule then
        bad = name
        break
      end
    end
  end
  if bad then return nil, Error.validation(nil, bad, rule) end
  e.retryable = e.retryable or false
  return setmetatable(e, Error)
end

--- A validation error naming the field and the rule it breaks.
-- @static
-- @tparam ?string vendor the vendor's name
-- @tparam ?string field the field at fault, e.g. "steps[2].step_uid"
-- @tparam string rule what the field must be
-- @return Error (kind "validation")
function Error.validation(vendor, field, rule)
  local args = { vendor, field, rule }
  for i = 1, 3 do
    local arg = args[i]
    if type(arg) ~= "string" and (arg ~= nil or i == 3) then
      error("bad argument #" .. i .. " to 'validation' (string expected, got " .. type(arg) .. ")", 2)
    end
  end
  return Error.new {
    kind = "validation", vendor = vendor, field = field, rule = rule,
    message = field and (field .. ": " .. rule) or rule,
    attempts = 0,
  }
end

--- Whether a value is a kickoff.Error.
-- @static
-- @param v any value
-- @treturn boolean
function Error.is(v)
  return getmetatable(v) == Error
end

--- One readable line: vendor, kind, HTTP status, message, attempts,
-- retry_after, request id and a hint; never a secret.
-- Reads fields defensively: a script may have changed them after new().
function Error:__tostring()
  local parts = { "kickoff" }
  if self.vendor then parts[#parts + 1] = "." .. tostring(self.vendor) end
  parts[#parts + 1] = ": " .. tostring(self.kind)
  if math.type(self.status) == "integer" and self.status > 0 then
    parts[#parts + 1] = " (HTTP " .. self.status .. ")"
  elseif self.phase and self.kind ~= "validation" then
    parts[#parts + 1] = " (" .. tostring(self.phase) .. ")"
  end
  parts[#parts + 1] = ": " .. tostring(self.message)
  if type(self.attempts) == "number" and self.attempts > 1 then
    parts[#parts + 1] = " after " .. tostring(self.attempts) .. " attempts"
  end
  if type(self.retry_after) == "number" then
    parts[#parts + 1] = string.format("; retry after %g s", self.retry_after)
  end
  if self.request_id then parts[#parts + 1] = " [request " .. tostring(self.request_id) .. "]" end
  local hint = hints[self.kind]
  if hint and not tostring(self.message):find(hint, 1, true) then
    parts[#parts + 1] = " (" .. hint .. ")"
  end
  return table.concat(parts)
end

return Error
