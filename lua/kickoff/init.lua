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

return kickoff
