-- A user's automation script, written to be testable: run the Zuora
-- billing workflow for each account, then email the Campaigns "done"
-- campaign once, and report what happened. examples/nightly_billing_spec.lua
-- tests it against the kickoff sandbox.
--
--   lua5.4 examples/nightly_billing.lua A-1 A-2 ...   (credentials from the environment)
local kickoff = require("kickoff")

local M = {}

--- Run billing for every account; returns a summary table.
-- @param clients { zuora = kickoff.zuora client, campaigns = kickoff.campaigns client }
-- @param accounts list of account numbers
-- @param opts workflow_id, campaign_id, concurrency
function M.run(clients, accounts, opts)
  local results = kickoff.map(accounts, function(account)
    local run, err = clients.zuora:run(opts.workflow_id, { accountNumber = account })
    if not run then return nil, err end
    return clients.zuora:wait(run, { interval = opts.interval or 1, timeout = opts.timeout or 600 })
  end, { concurrency = opts.concurrency or 8 })

  local summary = { succeeded = {}, failed = {}, errors = {} }
  for i, r in ipairs(results) do
    local run, err = r[1], r[2]
    if run and run.status == "succeeded" then
      summary.succeeded[#summary.succeeded + 1] = accounts[i]
    elseif run then
      summary.failed[#summary.failed + 1] = accounts[i]
    else
      summary.errors[#summary.errors + 1] = { account = accounts[i], kind = err.kind, message = tostring(err) }
    end
  end
  -- one email, and only when every account went through
  if #summary.failed == 0 and #summary.errors == 0 then
    local sent, err = clients.campaigns:start(opts.campaign_id)
    summary.emailed = sent ~= nil
    summary.email_error = err and tostring(err)
  end
  return summary
end

if arg and arg[0] and arg[0]:find("nightly_billing%.lua$") then
  local ca_file = os.getenv("KICKOFF_CA_FILE")
  local clients = {
    zuora = assert(kickoff.zuora { env = os.getenv("ZUORA_ENV"), base_url = os.getenv("ZUORA_BASE_URL"),
      client_id = os.getenv("ZUORA_CLIENT_ID"), client_secret = os.getenv("ZUORA_CLIENT_SECRET"), ca_file = ca_file }),
    campaigns = assert(kickoff.campaigns {
      instance = os.getenv("CAMPAIGNS_INSTANCE") or os.getenv("DOMO_INSTANCE"),
      base_url = os.getenv("CAMPAIGNS_BASE_URL"),
      token = os.getenv("CAMPAIGNS_ACCESS_TOKEN") or os.getenv("DOMO_ACCESS_TOKEN"),
      owner_email = os.getenv("CAMPAIGNS_TOKEN_OWNER_EMAIL") or os.getenv("DOMO_TOKEN_OWNER_EMAIL"),
      ca_file = ca_file }),
  }
  local summary = M.run(clients, { table.unpack(arg) }, { workflow_id = 397, campaign_id = 42 })
  print(string.format("%d succeeded, %d failed, %d errors, emailed: %s", #summary.succeeded,
    #summary.failed, #summary.errors, tostring(summary.emailed)))
end

return M
