-- Launch a Captain Data workflow on inputs from a CSV file, wait, and read
-- every result row (paged).
--
--   CAPTAINDATA_API_KEY=... CAPTAINDATA_PROJECT_ID=... \
--     lua5.4 examples/captaindata.lua WORKFLOW_UID STEP_UID ACCOUNT_UID [inputs.csv]
--
-- CAPTAINDATA_BASE_URL points at a sandbox.
local kickoff = require("kickoff")
local builders = kickoff.captaindata_builders()

local cd, err = kickoff.captaindata {
  base_url = os.getenv("CAPTAINDATA_BASE_URL"),
  api_key = os.getenv("CAPTAINDATA_API_KEY"),
  project_id = os.getenv("CAPTAINDATA_PROJECT_ID"),
  ca_file = os.getenv("KICKOFF_CA_FILE"),
}
if not cd then error(tostring(err), 0) end

local args = arg or {}
local workflow = args[1] or "4f2c8a1e-6b3d-4e5f-9a7b-1c2d3e4f5a6b"
local step = args[2] or "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
local account = args[3] or "d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a"
local inputs = assert(builders.csv_inputs(args[4] or
  "linkedin_profile_url,meta.crm_id\nhttps://www.linkedin.com/in/ada,101\nhttps://www.linkedin.com/in/grace,102\n"))

-- a template keeps the steps; each job gets its own name and inputs
local template = builders.template { steps = builders.steps { { step, account } } }
local job
job, err = cd:launch(workflow, template:job("kickoff example " .. os.date("!%Y-%m-%dT%H:%M:%SZ"), inputs))
if not job then error(tostring(err), 0) end
print("job " .. job.id .. ": " .. job.message)

job, err = cd:wait(job)
if not job then error(tostring(err), 0) end
local rows = 0
for row, rerr in cd:results(job.id) do
  if rerr then error(tostring(rerr), 0) end
  if row then rows = rows + 1 end
end
print(string.format("job %s: %s (%s), %d result rows", job.id, job.status, job.vendor_status, rows))
return job
