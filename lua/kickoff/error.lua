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

--- Build an error from fields (kind and message are required).
-- @static
-- @tparam table fields kind, message, and optionally vendor, status,
-- attempts, retry_after, request_id, phase, field, rule, retryable
-- @return Error
function Error.new(fields)
  assert(Error.kinds[fields.kind], "unknown error kind")
  fields.retryable = fields.retryable or false
  return setmetatable(fields, Error)
end

--- A validation error naming the field and the rule it breaks.
-- @static
-- @tparam ?string vendor the vendor's name
-- @tparam ?string field the field at fault, e.g. "steps[2].step_uid"
-- @tparam string rule what the field must be
-- @return Error (kind "validation")
function Error.validation(vendor, field, rule)
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
function Error:__tostring()
  local parts = { "kickoff" }
  if self.vendor then parts[#parts + 1] = "." .. self.vendor end
  parts[#parts + 1] = ": " .. self.kind
  if self.status and self.status > 0 then
    parts[#parts + 1] = " (HTTP " .. self.status .. ")"
  elseif self.phase and self.kind ~= "validation" then
    parts[#parts + 1] = " (" .. self.phase .. ")"
  end
  parts[#parts + 1] = ": " .. tostring(self.message)
  if self.attempts and self.attempts > 1 then
    parts[#parts + 1] = " after " .. self.attempts .. " attempts"
  end
  if self.retry_after then
    parts[#parts + 1] = string.format("; retry after %g s", self.retry_after)
  end
  if self.request_id then parts[#parts + 1] = " [request " .. self.request_id .. "]" end
  local hint = hints[self.kind]
  if hint and not tostring(self.message):find(hint, 1, true) then
    parts[#parts + 1] = " (" .. hint .. ")"
  end
  return table.concat(parts)
end

return Error
