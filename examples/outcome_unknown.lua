-- What to do when a launch may or may not have happened.
--
--   DOMO_BASE_URL=... DOMO_ACCESS_TOKEN=... ZUORA_BASE_URL=... \
--   ZUORA_CLIENT_ID=... ZUORA_CLIENT_SECRET=... lua5.4 examples/outcome_unknown.lua
--
-- kickoff never launches twice on its own. A Domo start that was sent but
-- got no answer (connection reset, timeout, a 5xx) comes back as an error
-- of kind "outcome_unknown": the run may exist. Starting again could run
-- the workflow twice, so this script records the launch for a person (or a
-- later reconciliation job) instead. A Zuora run carries an idempotency
-- key: calling run again with the same key is safe, and Zuora answers with
-- the run the first call created.
local kickoff = require("kickoff")

local ca_file = os.getenv("KICKOFF_CA_FILE") -- only for a private CA (the sandbox)
local domo = assert(kickoff.domo {
  base_url = os.getenv("DOMO_BASE_URL"), instance = os.getenv("DOMO_INSTANCE"),
  token = os.getenv("DOMO_ACCESS_TOKEN"), ca_file = ca_file,
})

local params = {
  model_id = "a8afdc89-9491-4ee4-b7c3-b9e9b86c0138", version = "1.1.0",
  workflow = "AddTwoNumbers", data = { parameter1 = 1, parameter2 = 2 },
}
local run, err = domo:start(params)
if run then
  print("domo: started " .. run.id)
elseif err.kind == "outcome_unknown" then
  -- do NOT start again: write down what was sent, and when, for a check
  print(string.format("domo: outcome unknown, not started again; recorded for reconciliation at %s: %s",
    os.date("!%Y-%m-%dT%H:%M:%SZ"), err.message))
elseif err.retryable then
  print("domo: failed and safe to try later: " .. tostring(err))
else
  print("domo: failed: " .. tostring(err))
end

local zuora = assert(kickoff.zuora {
  base_url = os.getenv("ZUORA_BASE_URL"), env = os.getenv("ZUORA_ENV"),
  client_id = os.getenv("ZUORA_CLIENT_ID"), client_secret = os.getenv("ZUORA_CLIENT_SECRET"),
  ca_file = ca_file,
})
-- Make the key yourself and keep it (in a job table, a file) before the
-- call, so even a crash of this script can be followed by a safe retry.
local key = kickoff.uuid()
local zrun
for attempt = 1, 3 do
  zrun, err = zuora:run(397, { amount = 1 }, { idempotency_key = key })
  if zrun or err.kind == "validation" or err.kind == "auth" then break end
  print(string.format("zuora: attempt %d failed (%s); the same key makes another try safe", attempt, err.kind))
end
if zrun then
  print(string.format("zuora: run %d (key %s)", zrun.id, zrun.idempotency_key))
else
  print("zuora: failed: " .. tostring(err))
end
