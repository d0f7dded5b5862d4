-- Launch a Domo workflow, wait until it finishes, and print what happened.
--
--   DOMO_INSTANCE=acme DOMO_ACCESS_TOKEN=... lua5.4 examples/quickstart.lua
--
-- DOMO_BASE_URL replaces DOMO_INSTANCE to point at a sandbox. The model id,
-- version and workflow name below are Domo's "AddTwoNumbers" example; put
-- your own workflow's values (from its URL and its start shape) there.
local kickoff = require("kickoff")

local domo, err = kickoff.domo {
  instance = not os.getenv("DOMO_BASE_URL") and os.getenv("DOMO_INSTANCE") or nil,
  base_url = os.getenv("DOMO_BASE_URL"),
  token = os.getenv("DOMO_ACCESS_TOKEN"),
  ca_file = os.getenv("KICKOFF_CA_FILE"), -- only for a private CA (the sandbox)
}
if not domo then error(tostring(err), 0) end

local run
run, err = domo:start {
  model_id = os.getenv("DOMO_MODEL_ID") or "a8afdc89-9491-4ee4-b7c3-b9e9b86c0138",
  version = os.getenv("DOMO_MODEL_VERSION") or "1.1.0",
  workflow = os.getenv("DOMO_WORKFLOW") or "AddTwoNumbers",
  data = { parameter1 = 13, parameter2 = 7 },
}
if not run then
  -- outcome_unknown means the start may have happened: do not just retry
  error(tostring(err), 0)
end
print(string.format("started %s (status %s)", run.id, run.status))

run, err = domo:wait(run, { timeout = 600, on_poll = function(r)
  print(string.format("  %s: %s (%s)", r.id, r.status, tostring(r.vendor_status)))
end })
if not run then error(tostring(err), 0) end
print(string.format("finished %s: %s", run.id, run.status))
return run
