--- W6: Domo starts at concurrency over HTTPS to an nginx that offers
-- HTTP/2: every launch must succeed, and the pool should multiplex them
-- over one connection (nginx's stub_status counts accepted connections).
--   lua5.4 bench/workloads/http2.lua REPS COUNT CONCURRENCY
-- Environment: BENCH_H2_BASE, BENCH_CA_FILE, BENCH_STATUS_URL, KICKOFF_BENCH_TOKEN.
-- Prints per rep: rep=R elapsed=SECONDS ok=N connections=N (connections the
-- rep opened: 1 in the first, 0 after, when all is multiplexed on one)
local common = require("common")
local kickoff = require("kickoff")

local reps, count, concurrency = math.tointeger(tonumber(arg[1])), math.tointeger(tonumber(arg[2])),
  math.tointeger(tonumber(arg[3]))
local base, ca_file = os.getenv("BENCH_H2_BASE"), os.getenv("BENCH_CA_FILE")
local status_url, token = os.getenv("BENCH_STATUS_URL"), os.getenv("KICKOFF_BENCH_TOKEN")
if not (reps and count and concurrency and base and ca_file and status_url and token) then
  io.stderr:write("usage: BENCH_H2_BASE=... BENCH_CA_FILE=... BENCH_STATUS_URL=... KICKOFF_BENCH_TOKEN=... "
    .. "http2.lua REPS COUNT CONCURRENCY\n")
  os.exit(2)
end

-- nginx's count of accepted connections (the status request itself is one)
local function accepted()
  local p = assert(io.popen("curl -fsS " .. status_url))
  local text = p:read("a")
  p:close()
  return assert(math.tointeger(tonumber(text:match("\n%s*(%d+)%s+%d+%s+%d+"))), "no stub_status reply")
end

local failed = false
for rep = 1, reps do
  local domo = assert(kickoff.domo { base_url = base, token = token, ca_file = ca_file })
  local before = accepted()
  local list = {}
  for i = 1, count do list[i] = i end
  local start = common.monotime()
  local results = kickoff.map(list, function() return domo:start(common.PARAMS) end, { concurrency = concurrency })
  local elapsed = common.monotime() - start
  local connections = accepted() - before - 1
  local ok = common.count_ok(results)
  io.write(string.format("rep=%d elapsed=%.6f ok=%d connections=%d\n", rep, elapsed, ok, connections))
  io.flush()
  if ok ~= count then failed = true end
end
os.exit(failed and 1 or 0)
