--- Polling with backoff until a run is final: shared by every vendor.
-- @module kickoff.waiter
local Error = require("kickoff.error")
local core = require("kickoff.core")
local transport = require("kickoff.transport")
local v = require("kickoff.validate")

local M = {}

M.defaults = { timeout = 600, interval = 0.5, max_interval = 10, factor = 1.5 }

--- Poll `fetch(id)` until the run is final.
-- @param vendor name for errors
-- @param run a Run (or an id)
-- @param fetch function(id) -> Run or nil, err
-- @param opts timeout, interval, max_interval, factor, on_poll(run)
-- @return final Run, or nil, Error (kind "timeout" carries err.run)
function M.wait(vendor, run, fetch, opts)
  opts = opts or {}
  local timeout = opts.timeout or M.defaults.timeout
  local interval = opts.interval or M.defaults.interval
  local max_interval = opts.max_interval or M.defaults.max_interval
  local factor = opts.factor or M.defaults.factor
  local id = type(run) == "table" and run.id or run
  local started = core.monotime()
  local current = type(run) == "table" and run.is_final and run or nil
  while true do
    if current and current:is_final() then return current end
    local left = timeout - (core.monotime() - started)
    if current and left <= 0 then
      local err = Error.new {
        kind = "timeout", vendor = vendor, phase = "wait", attempts = 0,
        message = string.format("run %s still %s (%s) after waiting %g s", tostring(id),
          current.status, tostring(current.vendor_status), timeout),
      }
      err.run = current
      return nil, err
    end
    if current then
      transport.sleep(math.min(interval, math.max(left, 0)))
      interval = math.min(interval * factor, max_interval)
    end
    local err
    current, err = fetch(id)
    if not current then return nil, err end
    if opts.on_poll then opts.on_poll(current) end
  end
end

--- A client's `wait(run, opts)` method: checks the options and the run's
-- id (with `id_rule(field, id)`, which returns nothing or field, rule),
-- then polls `self:status(id)` until the run is final.
-- @param vendor name for errors
-- @param id_rule the vendor's rule for run ids
-- @treturn function
function M.method(vendor, id_rule)
  return function(self, run, opts)
    v.arg(2, "wait", opts, "table", true)
    local target, err = v.wait_target(vendor, run, opts, id_rule)
    if not target then return nil, err end
    return M.wait(vendor, target, function(id) return self:status(id) end, opts)
  end
end

return M
