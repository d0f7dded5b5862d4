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

return M
