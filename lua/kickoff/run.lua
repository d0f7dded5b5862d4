--- Run objects: one launched workflow run, with a normalised status.
-- `status` is one of "queued", "running", "succeeded", "failed",
-- "canceled" (or "unknown" for a word no vendor documents); `vendor_status`
-- keeps the vendor's own word and `raw` the decoded response.
-- @classmod kickoff.Run
local Error = require("kickoff.error")

local Run = {}
Run.__index = Run
Run.__name = "kickoff.Run"

--- Vendor word -> normalised status, per vendor, in one place.
-- Domo documents null, IN_PROGRESS, CANCELED, COMPLETED; FAILED and TIMEOUT
-- are seen in community code only (vendor-apis.md §1.3) and accepted.
-- Zuora's Finished is refined by task counts (see zuora.lua).
-- Captain Data reports finished or completed for success (§4.4).
Run.status_map = {
  domo = {
    [""] = "queued", IN_PROGRESS = "running", COMPLETED = "succeeded",
    CANCELED = "canceled", CANCELLED = "canceled", FAILED = "failed", TIMEOUT = "failed",
  },
  zuora = {
    Queued = "queued", Processing = "running", Stopping = "running",
    Stopped = "canceled", Finished = "succeeded",
  },
  captaindata = {
    pending = "queued", running = "running", finished = "succeeded",
    completed = "succeeded", warning = "failed", shutdown = "failed",
    paused = "failed", stopped = "canceled",
  },
  campaigns = { sent = "succeeded" },
}

local final = { succeeded = true, failed = true, canceled = true }
local statuses = { queued = true, running = true, succeeded = true, failed = true, canceled = true, unknown = true }

--- Normalise a vendor word ("" stands for a null status).
-- @static
-- @tparam string vendor "domo", "zuora", "campaigns" or "captaindata"
-- @tparam ?string word the vendor's status word
-- @treturn string the normalised status, "unknown" for an undocumented word
function Run.normalise(vendor, word)
  local map = Run.status_map[vendor] or {}
  return map[word or ""] or "unknown"
end

--- Build a run. fields: vendor, id, vendor_status, raw, and optionally
-- status (one of the normalised words); the fields are copied.
-- @static
-- @tparam table fields the run's fields (others are kept as given)
-- @return Run, or nil and a validation Error naming the bad field
function Run.new(fields)
  if type(fields) ~= "table" then
    error("bad argument #1 to 'new' (table expected, got " .. type(fields) .. ")", 2)
  end
  local run = {}
  for k, v in pairs(fields) do run[k] = v end
  if run.vendor ~= nil and type(run.vendor) ~= "string" then
    return nil, Error.validation(nil, "vendor", "must be a vendor name (got " .. type(run.vendor) .. ")")
  end
  if run.status ~= nil and not statuses[run.status] then
    return nil, Error.validation(run.vendor, "status",
      "must be one of queued, running, succeeded, failed, canceled, unknown")
  end
  run.status = run.status or Run.normalise(run.vendor, run.vendor_status)
  return setmetatable(run, Run)
end

--- Whether a value is a Run (made by Run.new).
-- @static
-- @param v any value
-- @treturn boolean
function Run.is(v)
  return getmetatable(v) == Run
end

--- Whether the run reached a final status.
-- @treturn boolean true for succeeded, failed and canceled
function Run:is_final()
  return final[self.status] == true
end

--- `kickoff.Run(vendor id: status [vendor_status])`.
function Run:__tostring()
  return string.format("kickoff.Run(%s %s: %s%s)", self.vendor, tostring(self.id),
    self.status, self.vendor_status and (" [" .. tostring(self.vendor_status) .. "]") or "")
end

return Run
