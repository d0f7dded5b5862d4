-- Start a Domo Campaign send to two addresses of its distribution list.
--
--   CAMPAIGNS_INSTANCE=acme.domo.com CAMPAIGNS_ACCESS_TOKEN=... CAMPAIGNS_TOKEN_OWNER_EMAIL=... \
--     lua5.4 examples/campaigns.lua [CAMPAIGN_ID]
--
-- As with the kickoff command, each CAMPAIGNS_ name falls back to its DOMO_
-- twin (DOMO_INSTANCE as a host, DOMO_ACCESS_TOKEN, DOMO_TOKEN_OWNER_EMAIL).
--
-- A start sends email, so it is never retried once it may have reached
-- Domo: an outcome_unknown error means "check before sending again".
local kickoff = require("kickoff")

local campaigns, err = kickoff.campaigns {
  instance = os.getenv("CAMPAIGNS_INSTANCE") or os.getenv("DOMO_INSTANCE") or "acme.domo.com",
  base_url = os.getenv("CAMPAIGNS_BASE_URL"),
  token = os.getenv("CAMPAIGNS_ACCESS_TOKEN") or os.getenv("DOMO_ACCESS_TOKEN"),
  owner_email = os.getenv("CAMPAIGNS_TOKEN_OWNER_EMAIL") or os.getenv("DOMO_TOKEN_OWNER_EMAIL"),
  ca_file = os.getenv("KICKOFF_CA_FILE"),
}
if not campaigns then error(tostring(err), 0) end

local campaign_id = math.tointeger(tonumber(arg and arg[1] or os.getenv("CAMPAIGN_ID") or "42"))
local run
run, err = campaigns:start(campaign_id, { emails = { "ada@example.com", "grace@example.com" } })
if not run then error(tostring(err), 0) end
print(string.format("campaign %d sent to %s", run.id, table.concat(run.recipients, ", ")))
return run
