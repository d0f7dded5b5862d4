--- kickoff: launch and track workflows on Domo Workflows, Zuora Workflow,
-- Domo Campaigns and Captain Data.
--
-- Conventions: a wrong argument type raises; every runtime failure returns
-- `nil, err` with err a `kickoff.Error`; timeouts are finite by default.
-- @module kickoff
local core = require("kickoff.core")

local kickoff = {
  _VERSION = core.version,
  Error = require("kickoff.error"),
  Run = require("kickoff.run"),
  json = require("kickoff.json"),
}

local vendors = {
  domo = "kickoff.domo",
  zuora = "kickoff.zuora",
  campaigns = "kickoff.campaigns",
  captaindata = "kickoff.captaindata",
}

for name, modname in pairs(vendors) do
  --- Create a client for the vendor (see the vendor's module).
  kickoff[name] = function(opts)
    return require(modname).new(opts)
  end
end

--- Captain Data job builders (csv_inputs, step, steps, template).
function kickoff.captaindata_builders()
  return require("kickoff.payload")
end

--- Mark a table as a JSON array (an empty Lua table is sent as {}).
kickoff.array = kickoff.json.array

--- A new random UUIDv4.
kickoff.uuid = core.uuid4

local scheduler = require("kickoff.scheduler")

--- Run functions concurrently over one connection pool (see kickoff.scheduler).
kickoff.all = scheduler.all

--- Call a function for every item of a list, concurrently (see kickoff.scheduler).
kickoff.map = scheduler.map

--- A scheduler for a host application's own event loop (see kickoff.scheduler).
kickoff.scheduler = scheduler.new

--- Bound the shared connection pool: max_host_connections (default 64),
-- max_connections (default 128), max_connection_lifetime (seconds, default
-- 3600). Bounds apply when a connection is opened; idle ones stay.
function kickoff.configure(opts)
  if type(opts) ~= "table" then
    error(string.format("bad argument #1 to 'configure' (table expected, got %s)", type(opts)), 2)
  end
  require("kickoff.transport").engine():configure(opts)
end

return kickoff
