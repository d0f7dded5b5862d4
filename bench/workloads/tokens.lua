--- W4: Zuora runs at concurrency on a fresh client; how many OAuth token
-- requests reached the sandbox (its journal) and the client's own count.
--   lua5.4 bench/workloads/tokens.lua REPS COUNT CONCURRENCY
-- Prints per rep: rep=R elapsed=SECONDS ok=N runs_received=N token_requests=N client_token_requests=N
local common = require("common")
local kickoff = require("kickoff")

local reps, count, concurrency = math.tointeger(tonumber(arg[1])), math.tointeger(tonumber(arg[2])),
  math.tointeger(tonumber(arg[3]))
if not (reps and count and concurrency) then
  io.stderr:write("usage: tokens.lua REPS COUNT CONCURRENCY\n")
  os.exit(2)
end

local sb = assert(require("kickoff.sandbox").start { tls = false, seed = 1 })
local failed = false
for rep = 1, reps do
  sb:reset()
  local zuora = assert(kickoff.zuora { base_url = sb.urls.zuora,
    client_id = sb.credentials.zuora_client_id, client_secret = sb.credentials.zuora_client_secret })
  local tasks = {}
  for i = 1, count do
    tasks[i] = function() return zuora:run(396, { accountId = "A-" .. i }) end
  end
  local start = common.monotime()
  local results = kickoff.all(tasks, { concurrency = concurrency })
  local elapsed = common.monotime() - start
  local ok = common.count_ok(results)
  local tokens, runs = 0, 0
  for _, entry in ipairs(sb:journal("zuora")) do
    if entry.path == "/oauth/token" then tokens = tokens + 1 end
    if entry.path == "/workflows/396/run" then runs = runs + 1 end
  end
  io.write(string.format("rep=%d elapsed=%.6f ok=%d runs_received=%d token_requests=%d client_token_requests=%d\n",
    rep, elapsed, ok, runs, tokens, zuora:token_requests()))
  io.flush()
  zuora:close()
  if ok ~= count then failed = true end
end
sb:stop()
os.exit(failed and 1 or 0)
