--- W5: memory of a long-running launcher.
--   lua5.4 bench/workloads/memory.lua growth BASE_URL TOTAL CHECKPOINT...
--     Domo starts against the bench nginx with kickoff.all (concurrency 64)
--     in batches of 1,000; at each checkpoint (a launch count), after a full
--     garbage collection, prints
--       launches=N rss_kb=K lua_kb=K
--   lua5.4 bench/workloads/memory.lua inflight COUNT LATENCY
--     COUNT Domo starts at once against a sandbox that answers after
--     LATENCY seconds; prints the RSS before (client warm, one connection
--     open) and when the first reply arrives (every launch in flight):
--       inflight=N rss_before_kb=K rss_inflight_kb=K lua_before_kb=K lua_inflight_kb=K
local common = require("common")
local kickoff = require("kickoff")

local function rss_kb()
  local f = assert(io.open("/proc/self/status"))
  local text = f:read("a")
  f:close()
  return tonumber(text:match("VmRSS:%s*(%d+)"))
end

local function collect()
  collectgarbage("collect")
  collectgarbage("collect")
end

local function all_ok(results)
  return common.count_ok(results) == #results
end

local BATCH = 1000

local function growth(base, total, checkpoints)
  local domo = assert(kickoff.domo { base_url = base, token = os.getenv("KICKOFF_BENCH_TOKEN") })
  local params = common.PARAMS
  local tasks = {}
  for i = 1, BATCH do tasks[i] = function() return domo:start(params) end end
  local at = {}
  for _, n in ipairs(checkpoints) do at[n] = true end
  local done = 0
  while done < total do
    if not all_ok(kickoff.all(tasks, { concurrency = 64 })) then return false end
    done = done + BATCH
    if at[done] then
      collect()
      io.write(string.format("launches=%d rss_kb=%d lua_kb=%.0f\n", done, rss_kb(), collectgarbage("count")))
      io.flush()
    end
  end
  return true
end

local function inflight(count, latency)
  local sb = assert(require("kickoff.sandbox").start { tls = false, seed = 1 })
  local domo = assert(kickoff.domo { base_url = sb.urls.domo, token = sb.credentials.domo_token })
  local params = common.PARAMS
  assert(domo:start(params)) -- warm: engine, client, one pooled connection
  sb:fault { vendor = "domo", method = "POST", path = common.START_PATH, action = { latency = latency } }
  collect()
  local rss_before, lua_before = rss_kb(), collectgarbage("count")
  local rss_inflight, lua_inflight
  local tasks = {}
  for i = 1, count do tasks[i] = function() return domo:start(params) end end
  local results = kickoff.all(tasks, {
    concurrency = count,
    progress = function(done)
      if done == 1 then rss_inflight, lua_inflight = rss_kb(), collectgarbage("count") end
    end,
  })
  local ok = all_ok(results)
  sb:stop()
  io.write(string.format("inflight=%d rss_before_kb=%d rss_inflight_kb=%d lua_before_kb=%.0f lua_inflight_kb=%.0f\n",
    count, rss_before, rss_inflight, lua_before, lua_inflight))
  return ok
end

local mode = arg[1]
local ok
if mode == "growth" and arg[2] and tonumber(arg[3]) then
  local checkpoints = {}
  for i = 4, #arg do checkpoints[#checkpoints + 1] = math.tointeger(tonumber(arg[i])) end
  ok = growth(arg[2], math.tointeger(tonumber(arg[3])), checkpoints)
elseif mode == "inflight" and tonumber(arg[2]) and tonumber(arg[3]) then
  ok = inflight(math.tointeger(tonumber(arg[2])), tonumber(arg[3]))
else
  io.stderr:write("usage: memory.lua growth BASE_URL TOTAL CHECKPOINT... | inflight COUNT LATENCY\n")
  os.exit(2)
end
os.exit(ok and 0 or 1)
