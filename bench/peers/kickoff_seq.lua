--- kickoff: sequential Domo starts on one client (one pooled connection).
local common = require("common")
local kickoff = require("kickoff")

local base, count, warmup, ca_file, token = common.args()
local domo = assert(kickoff.domo { base_url = base, token = token, ca_file = ca_file })
local params = common.PARAMS

common.measure(count, warmup, function()
  local run, err = domo:start(params)
  if not run then common.report(err) end
  return run ~= nil and run.id ~= nil
end)
