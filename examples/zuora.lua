-- Run a Zuora workflow and wait for it.
--
--   ZUORA_ENV=us-sandbox-cloud2 ZUORA_CLIENT_ID=... ZUORA_CLIENT_SECRET=... \
--     lua5.4 examples/zuora.lua [WORKFLOW_ID]
--
-- ZUORA_BASE_URL replaces ZUORA_ENV to point at a sandbox.
local kickoff = require("kickoff")

local zuora, err = kickoff.zuora {
  env = os.getenv("ZUORA_ENV"),
  base_url = os.getenv("ZUORA_BASE_URL"),
  client_id = os.getenv("ZUORA_CLIENT_ID"),
  client_secret = os.getenv("ZUORA_CLIENT_SECRET"),
  ca_file = os.getenv("KICKOFF_CA_FILE"),
}
if not zuora then error(tostring(err), 0) end

local workflow_id = tonumber(arg and arg[1] or os.getenv("ZUORA_WORKFLOW_ID") or "396")
-- an idempotency key is made for you; keep it to retry the same run safely
local run
run, err = zuora:run(math.tointeger(workflow_id), { accountId = "8ad0823f8455bb4b01845a2b5dfc3eda" },
                     { track_id = "kickoff-example" })
if not run then error(tostring(err), 0) end
print(string.format("run %d queued (key %s, request %s)", run.id, run.idempotency_key, run.request_id))

run, err = zuora:wait(run)
if not run then error(tostring(err), 0) end
print(string.format("run %d: %s (%s, %d tasks)", run.id, run.status, run.vendor_status, run.raw.tasks.total))
return run
