--- kickoff: launch and track workflows on Domo Workflows, Zuora Workflow,
-- Domo Campaigns and Captain Data.
--
-- Conventions: a wrong argument type raises; every runtime failure returns
-- `nil, err` with err a `kickoff.Error`; timeouts are finite by default.
--
-- Options every client constructor takes besides its own (times in
-- seconds): `base_url`, `timeout` (per attempt, default 80),
-- `connect_timeout` (30), `deadline` (whole call with retries, 120),
-- `retries` (extra attempts, default 2), `backoff_base` (0.5),
-- `backoff_cap` (5), `retry_after_cap` (60), `retry_budget` (retry tokens,
-- 500), `rate` (attempts per second), `rate_burst` (1), `ca_file`,
-- `ca_path`, `proxy`, `user_agent`,
-- `trace` (function receiving redacted events) and `dry_run` (a function
-- handed each request instead of sending it).
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

--- A Domo Workflows client: `kickoff.domo.new(opts)`.
-- @function domo
-- @tparam table opts instance or base_url, token, and the client options
-- @return client, or nil, Error

--- A Zuora Workflow client: `kickoff.zuora.new(opts)`.
-- @function zuora
-- @tparam table opts env or base_url, client_id, client_secret, entity_ids,
-- org_ids, and the client options
-- @return client, or nil, Error

--- A Domo Campaigns client: `kickoff.campaigns.new(opts)`.
-- @function campaigns
-- @tparam table opts instance, token, owner_email, and the client options
-- @return client, or nil, Error

--- A Captain Data client: `kickoff.captaindata.new(opts)`.
-- @function captaindata
-- @tparam table opts api_key, project_id, and the client options
-- @return client, or nil, Error

--- The version of kickoff (the C core's).
-- @field _VERSION

--- The error class every failure returns: `kickoff.Error`.
-- @field Error

--- The run class every verb returns: `kickoff.Run`.
-- @field Run

--- The JSON module: `kickoff.json`.
-- @field json

for name, modname in pairs(vendors) do
  -- Create a client for the vendor (see the vendor's module).
  kickoff[name] = function(opts)
    return require(modname).new(opts)
  end
end

--- Captain Data job builders (csv_inputs, step, steps, template).
-- @return the `kickoff.payload` module
function kickoff.captaindata_builders()
  return require("kickoff.payload")
end

--- Mark a table as a JSON array (an empty Lua table is sent as {}):
-- `kickoff.json.array`.
-- @function array
-- @tparam[opt] table t the list (a new empty one when nil)
-- @return t

kickoff.array = kickoff.json.array

--- A new random UUIDv4 (kernel CSPRNG), for idempotency keys.
-- @function uuid
-- @treturn string

kickoff.uuid = core.uuid4

local scheduler = require("kickoff.scheduler")

--- Run functions concurrently over one connection pool: `kickoff.scheduler.all`.
-- @function all
-- @param tasks array of functions (called with no arguments)
-- @param[opt] opts concurrency (default 64), progress (function)
-- @return results: results[i] = table.pack(tasks[i]())

kickoff.all = scheduler.all

--- Call a function for every item of a list, concurrently: `kickoff.scheduler.map`.
-- @function map
-- @param list array
-- @param fn function(item, index)
-- @param[opt] opts as for `all`
-- @return results: results[i] = table.pack(fn(list[i], i))

kickoff.map = scheduler.map

--- A scheduler for a host application's own event loop: `kickoff.scheduler.new`.
-- @function scheduler
-- @return Scheduler

kickoff.scheduler = scheduler.new

--- Bound the shared connection pool. Bounds apply when a connection is
-- opened; idle ones stay.
-- @tparam table opts max_host_connections (default 64), max_connections
-- (default 128), max_connection_lifetime (seconds, default 3600)
function kickoff.configure(opts)
  if type(opts) ~= "table" then
    error(string.format("bad argument #1 to 'configure' (table expected, got %s)", type(opts)), 2)
  end
  require("kickoff.transport").engine():configure(opts)
end

return kickoff
