--- Concurrent Domo starts with kickoff.all (W3 and the throughput plot).
--   lua5.4 bench/workloads/concurrent.lua TARGET REPS COUNT:CONCURRENCY...
-- TARGET is "sandbox:LATENCY" (a kickoff sandbox whose Domo start route
-- answers after LATENCY seconds; every launch is checked in its journal) or
-- the base URL of the bench nginx (token from $KICKOFF_BENCH_TOKEN).
-- Prints one line per measurement:
--   count=N concurrency=C rep=R elapsed=SECONDS ok=N received=N
-- and exits non-zero unless every launch succeeded.
local common = require("common")
local kickoff = require("kickoff")

local target, reps = arg[1], math.tointeger(tonumber(arg[2]))
local specs = {}
for i = 3, #arg do
  local count, concurrency = arg[i]:match("^(%d+):(%d+)$")
  specs[#specs + 1] = { count = math.tointeger(tonumber(count)), concurrency = math.tointeger(tonumber(concurrency)) }
end
if not (target and reps and #specs > 0) then
  io.stderr:write("usage: concurrent.lua sandbox:LATENCY|BASE_URL REPS COUNT:CONCURRENCY...\n")
  os.exit(2)
end

local latency = tonumber(target:match("^sandbox:(.+)$"))
local sb, domo
if latency then
  sb = assert(require("kickoff.sandbox").start { tls = false, seed = 1 })
  domo = assert(kickoff.domo { base_url = sb.urls.domo, token = sb.credentials.domo_token })
else
  domo = assert(kickoff.domo { base_url = target, token = os.getenv("KICKOFF_BENCH_TOKEN") })
end

-- The sandbox state starts empty for every measurement: no journal, and
-- only the latency rule on Domo's start route.
local function fresh_sandbox()
  sb:reset()
  sb:fault { vendor = "domo", method = "POST", path = common.START_PATH, action = { latency = latency } }
end

local params = common.PARAMS
local function launch()
  return domo:start(params)
end

local failed = false
for rep = 1, reps do
  for _, spec in ipairs(specs) do
    if sb then fresh_sandbox() end
    local tasks = {}
    for i = 1, spec.count do tasks[i] = launch end
    local start = common.monotime()
    local results = kickoff.all(tasks, { concurrency = spec.concurrency })
    local elapsed = common.monotime() - start
    local ok = common.count_ok(results)
    local received = sb and #sb:journal("domo") or ok
    io.write(string.format("count=%d concurrency=%d rep=%d elapsed=%.6f ok=%d received=%d\n",
      spec.count, spec.concurrency, rep, elapsed, ok, received))
    io.flush()
    if ok ~= spec.count or received ~= spec.count then failed = true end
  end
end
if sb then sb:stop() end
os.exit(failed and 1 or 0)
