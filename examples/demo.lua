-- `make demo`: start the sandbox, run the example scripts against it through
-- the public API, print a summary table, stop the sandbox.
local sandbox = require("kickoff.sandbox")
local core = require("kickoff.core")

local sb = assert(sandbox.start { tls = true })
print("sandbox listening at " .. sb.url .. " (TLS, private CA " .. sb.ca_file .. ")")

-- the examples read their settings from the environment; point them at the
-- sandbox by answering os.getenv from this table first
local c = sb.credentials
local env = {
  KICKOFF_CA_FILE = sb.ca_file,
  DOMO_BASE_URL = sb.urls.domo, DOMO_ACCESS_TOKEN = c.domo_token,
  ZUORA_BASE_URL = sb.urls.zuora, ZUORA_CLIENT_ID = c.zuora_client_id, ZUORA_CLIENT_SECRET = c.zuora_client_secret,
  CAMPAIGNS_BASE_URL = sb.urls.campaigns, DOMO_INSTANCE = "acme.domo.com",
  DOMO_TOKEN_OWNER_EMAIL = c.campaigns_owner_email,
  CAPTAINDATA_BASE_URL = sb.urls.captaindata, CAPTAINDATA_API_KEY = c.captaindata_api_key,
  CAPTAINDATA_PROJECT_ID = c.captaindata_project_id,
}
local per_script = { ["examples/campaigns.lua"] = { DOMO_ACCESS_TOKEN = c.campaigns_token } }
local real_getenv = os.getenv
os.getenv = function(name) -- luacheck: ignore 122
  if env[name] ~= nil then return env[name] end
  return real_getenv(name)
end

local examples = {
  { vendor = "domo", script = "examples/quickstart.lua" },
  { vendor = "zuora", script = "examples/zuora.lua" },
  { vendor = "campaigns", script = "examples/campaigns.lua" },
  { vendor = "captaindata", script = "examples/captaindata.lua" },
}

local rows, failed = {}, 0
for _, ex in ipairs(examples) do
  print(("\n== %s (%s)"):format(ex.vendor, ex.script))
  local saved = {}
  for k, v in pairs(per_script[ex.script] or {}) do saved[k], env[k] = env[k], v end
  local started = core.monotime()
  -- each example sees no command-line arguments, as when run by hand
  local saved_arg = arg
  arg = {} -- luacheck: ignore 121
  local ok, run = pcall(dofile, ex.script)
  arg = saved_arg -- luacheck: ignore 121
  for k, v in pairs(saved) do env[k] = v end
  local elapsed = core.monotime() - started
  if not ok then failed = failed + 1 end
  rows[#rows + 1] = {
    ex.vendor, ok and tostring(run.id) or "-", ok and (run.status .. " (" .. tostring(run.vendor_status) .. ")") or ("error: " .. tostring(run)),
    string.format("%.2f s", elapsed),
  }
end
os.getenv = real_getenv -- luacheck: ignore 122
sb:stop()

print("\nvendor        id                                     final status                time")
print(string.rep("-", 92))
for _, r in ipairs(rows) do
  print(string.format("%-13s %-38s %-27s %s", r[1], r[2], r[3], r[4]))
end
print(failed == 0 and "\nall launches succeeded; sandbox stopped" or ("\n" .. failed .. " example(s) failed"))
os.exit(failed == 0 and 0 or 1)
