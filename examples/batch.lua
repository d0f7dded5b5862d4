-- Launch many Captain Data jobs at once and report on each: plain
-- sequential code inside kickoff.map, run concurrently over one
-- connection pool, at most `concurrency` at a time and at most `rate`
-- requests per second (stay under the vendor's documented limit).
--
--   CAPTAINDATA_BASE_URL=... CAPTAINDATA_API_KEY=... CAPTAINDATA_PROJECT_ID=... \
--     lua5.4 examples/batch.lua
local kickoff = require("kickoff")

local cd = assert(kickoff.captaindata {
  base_url = os.getenv("CAPTAINDATA_BASE_URL"),
  api_key = os.getenv("CAPTAINDATA_API_KEY"),
  project_id = os.getenv("CAPTAINDATA_PROJECT_ID"),
  ca_file = os.getenv("KICKOFF_CA_FILE"),
  rate = 20, -- requests per second, client-side
})

local WORKFLOW = "4f2c8a1e-6b3d-4e5f-9a7b-1c2d3e4f5a6b"
local STEP = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
local profiles = {}
for i = 1, 25 do profiles[i] = "https://linkedin.com/in/person-" .. i end

local results = kickoff.map(profiles, function(url, i)
  local job, err = cd:launch(WORKFLOW, {
    job_name = "enrich-" .. i,
    inputs = { { linkedin_profile_url = url } },
    steps = { { step_uid = STEP, accounts = {} } },
  })
  if not job then return nil, err end
  return cd:wait(job, { interval = 0.2, timeout = 120 }) -- yields too
end, {
  concurrency = 10,
  progress = function(done, total) io.stderr:write(string.format("\r%d/%d", done, total)) end,
})
io.stderr:write("\n")

local counts = {}
for i, r in ipairs(results) do
  local status = r[1] and r[1].status or ("error: " .. r[2].kind)
  counts[status] = (counts[status] or 0) + 1
  if not r[1] then print(profiles[i], tostring(r[2])) end
end
for status, n in pairs(counts) do print(string.format("%-12s %d", status, n)) end
