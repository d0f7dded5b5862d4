--- The `make bench` driver (started by bench/run.sh, which provides nginx,
-- the CA and the token). Every measurement runs in its own child process;
-- repetitions are interleaved across clients so drift hits all of them alike.
-- Prints the tables and writes bench/RESULTS.md and bench/throughput.png.
--   lua5.4 bench/run.lua [--quick]     (--quick: fewer repetitions and launches)
local QUICK = arg[1] == "--quick"

local HTTP = assert(os.getenv("BENCH_HTTP_BASE"), "run bench/run.sh, not bench/run.lua")
local HTTPS = assert(os.getenv("BENCH_HTTPS_BASE"))
local CA = assert(os.getenv("BENCH_CA_FILE"))
local CURL_HEADERS = assert(os.getenv("BENCH_CURL_HEADERS"))
local FLOOR = assert(os.getenv("BENCH_FLOOR"))
local PIN = "taskset -c " .. assert(os.getenv("BENCH_CPU")) .. " " -- nginx's CPU (see run.sh)
local LUA = os.getenv("LUA") or "lua5.4"
local PYTHON = "/usr/bin/python3" -- Debian's, which has python3-requests

local REPS = QUICK and 2 or 5
local PLOT_REPS = QUICK and 1 or 3
local SEQ = QUICK and 1000 or 5000          -- W1/W2 launches per measurement
local CURL_CLI = QUICK and 50 or 250        -- the curl command: fewer, scaled
local LUASEC = QUICK and 20 or 100          -- LuaSec: fewer, scaled (see notes)
local W3_COUNT, W3_CONC, W3_LATENCY = 2000, 64, 0.05
local W4_COUNT, W4_CONC = 1000, 64
local W6_COUNT, W6_CONC = 1000, 64
local W5_TOTAL, W5_FIRST = QUICK and 20000 or 100000, 10000
local W5_INFLIGHT, W5_INFLIGHT_LATENCY = 1000, 0.25
local PLOT_LEVELS = { 1, 2, 4, 8, 16, 32, 64, 128 }
local PLOT_ROUNDS = QUICK and 5 or 20       -- sandbox series: launches = rounds x concurrency

local OUT = "bench/out"
local RESULTS = "bench/RESULTS.md"
local PLOT = "bench/throughput.png"

local function q(s)
  return "'" .. tostring(s):gsub("'", [['\'']]) .. "'"
end

local LUA_ENV = "env LUA_PATH='./bench/peers/?.lua;./lua/?.lua;./lua/?/init.lua;;' LUA_CPATH='./build/?.so;;' "

local function lua_cmd(script, ...)
  local parts = { LUA_ENV .. LUA, script }
  for _, a in ipairs({ ... }) do parts[#parts + 1] = q(a) end
  return table.concat(parts, " ")
end

local function cmd(...)
  local parts = {}
  for _, a in ipairs({ ... }) do parts[#parts + 1] = q(a) end
  return table.concat(parts, " ")
end

local function shell_output(command)
  local p = io.popen(command .. " 2>/dev/null")
  local text = p and p:read("a") or ""
  if p then p:close() end
  return (text:gsub("%s+$", ""))
end

--- Run a child; its stdout lines of key=value pairs become tables. A
-- failing child stops the bench: a figure from failed launches is no figure.
local function run(command)
  local p = assert(io.popen(command))
  local text = p:read("a")
  local ok = p:close()
  if not ok then
    io.stderr:write("bench: this measurement failed:\n  ", command, "\n", text, "\n")
    os.exit(1)
  end
  local rows = {}
  for line in text:gmatch("[^\n]+") do
    local row = {}
    for k, v in line:gmatch("([%w_]+)=(%S+)") do row[k] = tonumber(v) or v end
    if next(row) then rows[#rows + 1] = row end
  end
  return rows
end

local function median(list)
  local s = table.move(list, 1, #list, 1, {})
  table.sort(s)
  local n = #s
  if n % 2 == 1 then return s[(n + 1) // 2] end
  return (s[n // 2] + s[n // 2 + 1]) / 2
end

local function progress(fmt, ...)
  io.stderr:write(string.format(fmt, ...), "\n")
end

local function group(n)
  local s = string.format("%d", math.floor(n + 0.5))
  local out = s:reverse():gsub("(%d%d%d)", "%1,"):reverse()
  return (out:gsub("^,", ""))
end

---------------------------------------------------------------------------
-- W1 and W2: sequential starts, one client process per measurement.

local function sequential(title, clients)
  for _, c in ipairs(clients) do c.per_launch = {} end
  for rep = 1, REPS do
    for _, c in ipairs(clients) do
      local row = run(c.command)[1]
      assert(row and row.ok == c.count, c.name .. ": bad result line")
      c.per_launch[#c.per_launch + 1] = row.elapsed / c.count
      progress("%s rep %d/%d  %-26s %8.0f launches/s", title, rep, REPS, c.name, c.count / row.elapsed)
    end
  end
  local floor
  for _, c in ipairs(clients) do
    c.median = median(c.per_launch)
    c.rate = 1 / c.median
    c.min_rate = 1 / math.max(table.unpack(c.per_launch))
    c.max_rate = 1 / math.min(table.unpack(c.per_launch))
    if c.floor then floor = c end
  end
  for _, c in ipairs(clients) do c.vs_floor = c.median / floor.median end
  return clients, floor
end

local function peer(name, count, command, extra)
  local c = { name = name, count = count, command = PIN .. command }
  for k, v in pairs(extra or {}) do c[k] = v end
  return c
end

local function w1()
  return sequential("W1", {
    peer("raw libcurl (floor)", SEQ, cmd(FLOOR, HTTP, SEQ, 50), { floor = true }),
    peer("kickoff", SEQ, lua_cmd("bench/peers/kickoff_seq.lua", HTTP, SEQ, 50), { kickoff = true }),
    peer("LuaSocket socket.http", SEQ, lua_cmd("bench/peers/luasocket_http.lua", HTTP, SEQ, 50)),
    peer("Python requests.Session", SEQ, cmd(PYTHON, "bench/peers/requests_session.py", HTTP, SEQ, 50),
      { requests = true }),
    peer("curl command per launch", CURL_CLI, cmd("sh", "bench/peers/curl_cli.sh", HTTP, CURL_CLI, 5, CURL_HEADERS)),
  })
end

local function w2()
  return sequential("W2", {
    peer("raw libcurl (floor)", SEQ, cmd(FLOOR, HTTPS, SEQ, 50, CA), { floor = true }),
    peer("kickoff", SEQ, lua_cmd("bench/peers/kickoff_seq.lua", HTTPS, SEQ, 50, CA), { kickoff = true }),
    peer("LuaSec ssl.https", LUASEC, lua_cmd("bench/peers/luasec_https.lua", HTTPS, LUASEC, 3, CA), { luasec = true }),
    peer("Python requests.Session", SEQ, cmd(PYTHON, "bench/peers/requests_session.py", HTTPS, SEQ, 50, CA),
      { requests = true }),
  })
end

---------------------------------------------------------------------------
-- W3 to W5 and the plot: kickoff.all in child processes.

local function w3()
  local rows = run(lua_cmd("bench/workloads/concurrent.lua", "sandbox:" .. W3_LATENCY, REPS,
    W3_COUNT .. ":" .. W3_CONC))
  local times = {}
  for _, r in ipairs(rows) do
    times[#times + 1] = r.elapsed
    progress("W3 rep %d/%d  %d launches at concurrency %d: %.3f s", r.rep, REPS, r.count, r.concurrency, r.elapsed)
  end
  local ideal = W3_COUNT / W3_CONC * W3_LATENCY
  local m = median(times)
  return { median = m, min = math.min(table.unpack(times)), max = math.max(table.unpack(times)),
    ideal = ideal, ratio = m / ideal, reps = #times }
end

local function w4()
  local rows = run(lua_cmd("bench/workloads/tokens.lua", REPS, W4_COUNT, W4_CONC))
  local tokens, client_tokens, times = {}, {}, {}
  for _, r in ipairs(rows) do
    assert(r.runs_received == W4_COUNT, "W4: the sandbox did not receive every run")
    tokens[#tokens + 1] = r.token_requests
    client_tokens[#client_tokens + 1] = r.client_token_requests
    times[#times + 1] = r.elapsed
    progress("W4 rep %d/%d  %d Zuora runs: %d token request(s) in the journal", r.rep, REPS, W4_COUNT, r.token_requests)
  end
  return { min = math.min(table.unpack(tokens)), max = math.max(table.unpack(tokens)),
    client_max = math.max(table.unpack(client_tokens)), median_time = median(times), reps = #rows }
end

local function w6()
  local rows = run(lua_cmd("bench/workloads/http2.lua", REPS, W6_COUNT, W6_CONC))
  local connections, times = 0, {}
  for _, r in ipairs(rows) do
    assert(r.ok == W6_COUNT, "W6: a launch over HTTP/2 failed")
    connections = connections + r.connections
    times[#times + 1] = r.elapsed
    progress("W6 rep %d/%d  %d launches over HTTP/2: %d new connection(s)", r.rep, REPS, W6_COUNT, r.connections)
  end
  return { connections = connections, median_time = median(times), reps = #rows }
end

local function w5()
  local first, last, growth, lua_first, lua_last = {}, {}, {}, {}, {}
  for rep = 1, REPS do
    local rows = run(lua_cmd("bench/workloads/memory.lua", "growth", HTTP, W5_TOTAL, W5_FIRST, W5_TOTAL))
    local a, b = rows[1], rows[2]
    first[#first + 1], last[#last + 1] = a.rss_kb, b.rss_kb
    lua_first[#lua_first + 1], lua_last[#lua_last + 1] = a.lua_kb, b.lua_kb
    growth[#growth + 1] = b.rss_kb - a.rss_kb
    progress("W5 rep %d/%d  RSS %d kB after %s launches, %d kB after %s", rep, REPS, a.rss_kb, group(W5_FIRST),
      b.rss_kb, group(W5_TOTAL))
  end
  local per, lua_per = {}, {}
  for rep = 1, REPS do
    local r = run(lua_cmd("bench/workloads/memory.lua", "inflight", W5_INFLIGHT, W5_INFLIGHT_LATENCY))[1]
    per[#per + 1] = (r.rss_inflight_kb - r.rss_before_kb) / r.inflight
    lua_per[#lua_per + 1] = (r.lua_inflight_kb - r.lua_before_kb) / r.inflight
    progress("W5 rep %d/%d  %d launches in flight: +%d kB RSS", rep, REPS, r.inflight,
      r.rss_inflight_kb - r.rss_before_kb)
  end
  return { rss_first = median(first), rss_last = median(last), growth = median(growth),
    growth_max = math.max(table.unpack(growth)), lua_first = median(lua_first), lua_last = median(lua_last),
    per_inflight = median(per), lua_per_inflight = median(lua_per) }
end

local function plot_series()
  local specs_sandbox, specs_nginx = {}, {}
  for _, c in ipairs(PLOT_LEVELS) do
    specs_sandbox[#specs_sandbox + 1] = (PLOT_ROUNDS * c) .. ":" .. c
    specs_nginx[#specs_nginx + 1] = SEQ .. ":" .. c
  end
  local function rates(rows)
    local by = {}
    for _, r in ipairs(rows) do
      by[r.concurrency] = by[r.concurrency] or {}
      table.insert(by[r.concurrency], r.count / r.elapsed)
    end
    local out = {}
    for c, list in pairs(by) do out[c] = median(list) end
    return out
  end
  local sandbox = rates(run(lua_cmd("bench/workloads/concurrent.lua", "sandbox:" .. W3_LATENCY, PLOT_REPS,
    table.unpack(specs_sandbox))))
  local nginx = rates(run(lua_cmd("bench/workloads/concurrent.lua", HTTP, PLOT_REPS, table.unpack(specs_nginx))))
  local data = OUT .. "/throughput.dat"
  local f = assert(io.open(data, "w"))
  f:write("# concurrency sandbox_50ms ideal_50ms nginx\n")
  local points = {}
  for _, c in ipairs(PLOT_LEVELS) do
    f:write(string.format("%d %.1f %.1f %.1f\n", c, sandbox[c], c / W3_LATENCY, nginx[c]))
    points[#points + 1] = { c = c, sandbox = sandbox[c], ideal = c / W3_LATENCY, nginx = nginx[c] }
    progress("plot  concurrency %3d: %7.0f launches/s (sandbox, 50 ms), %7.0f (nginx)", c, sandbox[c], nginx[c])
  end
  f:close()
  local ok = os.execute(cmd("gnuplot", "-e", string.format("data='%s'; out='%s'", data, PLOT), "bench/plot.gp"))
  return points, ok
end

---------------------------------------------------------------------------
-- Report.

-- Share of all CPUs busy over `seconds` (from /proc/stat): other work on
-- the machine makes every figure noisier, so the report states it.
local function cpu_busy(seconds)
  local function sample()
    local f = assert(io.open("/proc/stat"))
    local line = f:read("l")
    f:close()
    local total, idle, i = 0, 0, 0
    for n in line:gmatch("%d+") do
      i = i + 1
      total = total + tonumber(n)
      if i == 4 or i == 5 then idle = idle + tonumber(n) end -- idle, iowait
    end
    return total, idle
  end
  local t0, i0 = sample()
  os.execute("sleep " .. seconds)
  local t1, i1 = sample()
  return t1 > t0 and 1 - (i1 - i0) / (t1 - t0) or 0
end

local function machine()
  local cpu = shell_output("grep -m1 'model name' /proc/cpuinfo"):gsub("^.-:%s*", "")
  local mem = tonumber(shell_output("grep -m1 MemTotal /proc/meminfo"):match("(%d+)")) or 0
  local requests_version = shell_output(PYTHON .. " -c 'import requests; print(requests.__version__)'")
  return {
    { "CPU", string.format("%s, %s cores", cpu, shell_output("nproc")) },
    { "Memory", string.format("%.1f GB", mem / 1024 / 1024) },
    { "OS", string.format("Debian %s, Linux %s", shell_output("cat /etc/debian_version"), shell_output("uname -r")) },
    { "Lua", shell_output(LUA .. " -v") },
    { "libcurl", shell_output("curl --version | head -1") },
    { "nginx", shell_output("nginx -v 2>&1 | cat") .. " (1 worker, access_log off, keepalive_requests 1000000)" },
    { "Peers", string.format("python3-requests %s (%s), lua-socket %s, lua-sec %s", requests_version,
      shell_output(PYTHON .. " --version"), shell_output("dpkg-query -W -f='${Version}' lua-socket"),
      shell_output("dpkg-query -W -f='${Version}' lua-sec")) },
    { "kickoff", string.format("git %s%s", shell_output("git rev-parse --short HEAD"),
      shell_output("git status --porcelain -- src lua | head -1") ~= "" and " + uncommitted changes in src/ or lua/" or "") },
  }
end

local function seq_table(lines, clients)
  lines[#lines + 1] = "| client | launches timed | median time for 5,000 | launches/s (median) | range over reps | time vs floor |"
  lines[#lines + 1] = "|---|---:|---:|---:|---:|---:|"
  for _, c in ipairs(clients) do
    local timed = group(c.count) .. (c.count < 5000 and " (scaled)" or "")
    lines[#lines + 1] = string.format("| %s | %s | %.2f s | %s | %s–%s | %.2fx |", c.name, timed,
      c.median * 5000, group(c.rate), group(c.min_rate), group(c.max_rate), c.vs_floor)
  end
end

local function find(clients, key)
  for _, c in ipairs(clients) do if c[key] then return c end end
end

local function verdict(ok)
  return ok and "met" or "**missed**"
end

local function report(r)
  local lines = {}
  local function add(s) lines[#lines + 1] = s or "" end
  add("# kickoff benchmark results")
  add()
  add(string.format("Written by `make bench%s` on %s. Every figure below comes from that one run.",
    QUICK and " BENCH_ARGS=--quick" or "", os.date("!%Y-%m-%d %H:%M UTC")))
  add("Where a target is missed, [PROFILE.md](PROFILE.md) says where the time goes.")
  add()
  add("## Machine")
  add()
  add("| | |")
  add("|---|---|")
  for _, m in ipairs(r.machine) do add(string.format("| %s | %s |", m[1], m[2])) end
  add(string.format("| Other load | %.0f%% of the CPUs busy in the second before the run; load average %s before, %s after |",
    r.busy * 100, r.load_before, r.load_after))
  add()

  local k1, f1, q1 = find(r.w1, "kickoff"), find(r.w1, "floor"), find(r.w1, "requests")
  local k2, f2, q2, s2 = find(r.w2, "kickoff"), find(r.w2, "floor"), find(r.w2, "requests"), find(r.w2, "luasec")
  add("## Targets")
  add()
  local targets_from = #lines + 1
  add("| target | measured | |")
  add("|---|---|---|")
  add(string.format("| W1 HTTP: kickoff within 1.2x of the raw libcurl floor | %.2fx | %s |", k1.vs_floor,
    verdict(k1.vs_floor <= 1.2)))
  add(string.format("| W1 HTTP: kickoff at least 10x faster than requests.Session | %.1fx | %s |",
    q1.median / k1.median, verdict(q1.median / k1.median >= 10)))
  add(string.format("| W2 HTTPS: kickoff within 1.2x of the raw libcurl floor | %.2fx | %s |", k2.vs_floor,
    verdict(k2.vs_floor <= 1.2)))
  add(string.format("| W2 HTTPS: kickoff at least 10x faster than requests.Session | %.1fx | %s |",
    q2.median / k2.median, verdict(q2.median / k2.median >= 10)))
  add(string.format("| W2 HTTPS: kickoff at least 20x faster than LuaSec | %.0fx | %s |",
    s2.median / k2.median, verdict(s2.median / k2.median >= 20)))
  add(string.format("| W3: %s launches at concurrency %d, %d ms latency, within 1.25x of ideal | %.2fx | %s |",
    group(W3_COUNT), W3_CONC, math.floor(W3_LATENCY * 1000 + 0.5), r.w3.ratio, verdict(r.w3.ratio <= 1.25)))
  add(string.format("| W4: exactly one token request for %s Zuora runs at concurrency %d | %s | %s |",
    group(W4_COUNT), W4_CONC, r.w4.min == r.w4.max and tostring(r.w4.max) or (r.w4.min .. "–" .. r.w4.max),
    verdict(r.w4.min == 1 and r.w4.max == 1)))
  add(string.format("| W5: RSS growth under 2 MB from %s to %s launches | %.2f MB | %s |", group(W5_FIRST),
    group(W5_TOTAL), r.w5.growth / 1024, verdict(r.w5.growth < 2048)))
  add(string.format("| W6 (added): %s launches at concurrency %d over HTTP/2, %d reps, all on one connection | %d | %s |",
    group(W6_COUNT), W6_CONC, r.w6.reps, r.w6.connections, verdict(r.w6.connections == 1)))
  add(string.format("| Context: the floor itself is %.1fx faster than requests.Session over HTTP, %.1fx over HTTPS | | |",
    q1.median / f1.median, q2.median / f2.median))
  local targets = table.concat(lines, "\n", targets_from, #lines)
  add()

  add(string.format("## W1: %s sequential Domo starts, HTTP/1.1 keep-alive, local nginx", group(SEQ)))
  add()
  seq_table(lines, r.w1)
  add()
  add(string.format("## W2: the same over HTTPS (TLS 1.3, ECDSA P-256 certificate from a private CA, verified)"))
  add()
  seq_table(lines, r.w2)
  add()
  add(string.format("## W3: %s launches at concurrency %d against the sandbox with %d ms injected latency",
    group(W3_COUNT), W3_CONC, math.floor(W3_LATENCY * 1000 + 0.5)))
  add()
  add("| ideal (launches / concurrency x latency) | median wall time | range over reps | ratio to ideal |")
  add("|---:|---:|---:|---:|")
  add(string.format("| %.3f s | %.3f s | %.3f–%.3f s | %.2fx |", r.w3.ideal, r.w3.median, r.w3.min, r.w3.max,
    r.w3.ratio))
  add()
  add(string.format("## W4: %s Zuora runs at concurrency %d on a fresh client (sandbox, no latency)",
    group(W4_COUNT), W4_CONC))
  add()
  add("| token requests in the sandbox journal (min–max over reps) | `zuora:token_requests()` (max) | median wall time |")
  add("|---:|---:|---:|")
  add(string.format("| %d–%d | %d | %.3f s |", r.w4.min, r.w4.max, r.w4.client_max, r.w4.median_time))
  add()
  add(string.format("## W6: HTTP/2 multiplexing (%s Domo starts at concurrency %d, nginx with `http2`, one process)",
    group(W6_COUNT), W6_CONC))
  add()
  add("Every launch must succeed (the bench stops otherwise); nginx's `stub_status` counts the connections"
    .. " kickoff opened: one for the first rep, none after, when every launch is multiplexed on it.")
  add()
  add("| connections opened over all reps | median wall time per rep |")
  add("|---:|---:|")
  add(string.format("| %d | %.3f s |", r.w6.connections, r.w6.median_time))
  add()
  add("## W5: memory")
  add()
  add(string.format("Domo starts against nginx with `kickoff.all` (concurrency 64, batches of 1,000, results"
    .. " dropped), RSS read from /proc/self/status after a full garbage collection; medians of %d processes.", REPS))
  add()
  add(string.format("| RSS after %s | RSS after %s | growth (max over reps) | Lua heap after %s / %s |",
    group(W5_FIRST), group(W5_TOTAL), group(W5_FIRST), group(W5_TOTAL)))
  add("|---:|---:|---:|---:|")
  add(string.format("| %.1f MB | %.1f MB | %.2f MB (%.2f MB) | %.0f kB / %.0f kB |", r.w5.rss_first / 1024,
    r.w5.rss_last / 1024, r.w5.growth / 1024, r.w5.growth_max / 1024, r.w5.lua_first, r.w5.lua_last))
  add()
  add(string.format("Per in-flight launch: %.1f kB of RSS (%.1f kB of it Lua heap): %s starts submitted at once"
    .. " to a sandbox answering after %d ms, RSS at the first reply minus RSS before (client warm), divided by %s;"
    .. " libcurl keeps at most 64 connections to the host, so the rest wait in its queue.",
    r.w5.per_inflight, r.w5.lua_per_inflight, group(W5_INFLIGHT), math.floor(W5_INFLIGHT_LATENCY * 1000 + 0.5), group(W5_INFLIGHT)))
  add()
  add("## Throughput against concurrency")
  add()
  add("![launches per second against concurrency](throughput.png)")
  add()
  add("| concurrency | sandbox, 50 ms latency | ideal at 50 ms | nginx, no latency |")
  add("|---:|---:|---:|---:|")
  for _, p in ipairs(r.points) do
    add(string.format("| %d | %s/s | %s/s | %s/s |", p.c, group(p.sandbox), group(p.ideal), group(p.nginx)))
  end
  add()
  add(string.format("Sandbox series: %d x concurrency launches per point (%d rounds of 50 ms); kickoff keeps at most 64 connections"
    .. " per host, so above concurrency 64 the extra launches queue and the rate stays near 64 / 50 ms = 1,280/s."
    .. " nginx series: %s launches per point, client not pinned (nginx on one CPU). Medians of %d.",
    PLOT_ROUNDS, PLOT_ROUNDS, group(SEQ), PLOT_REPS))
  add()
  add("## Method")
  add()
  add(string.format("- Each W1/W2 figure is the median of %d measurements; each measurement is a fresh process"
    .. " that makes 50 untimed launches (to open its connection), then times the rest. Repetitions are"
    .. " interleaved across clients.", REPS))
  add("- W1/W2 clients run on nginx's CPU (`taskset`), so a launch costs what client and server spend on it;"
    .. " on this VM a client on the other CPU adds about 45 µs of cross-CPU wake-up latency to every launch,"
    .. " for every client alike.")
  add("- Every launch is a `POST /api/workflow/v1/instances/message` with the same JSON body and token header;"
    .. " nginx checks the token and answers the documented start response (vendor-apis.md §1.3). A measurement"
    .. " counts only if every launch got 200 and an instance id (kickoff, LuaSocket, LuaSec and requests decode"
    .. " the JSON; the floor and the curl command check the status).")
  add("- The floor (`bench/floor.c`) is one reused libcurl easy handle in a `curl_easy_perform` loop: no retries,"
    .. " validation, JSON or Lua.")
  add(string.format("- The curl command runs once per launch (%s launches) and LuaSec makes %s launches per"
    .. " measurement; their times for 5,000 are scaled.", group(CURL_CLI), group(LUASEC)))
  add("- LuaSocket and LuaSec send `Connection: close`, so they open a connection (and LuaSec a TLS session)"
    .. " per launch. LuaSec writes each request in several small TLS records and does not set TCP_NODELAY,"
    .. " so each launch also waits for the server's delayed ACK (about 40 ms on Linux): that, not the"
    .. " handshake, dominates its time.")
  add("- W3, W4 and the plot's sandbox series run against `kickoff.sandbox` (a single-threaded Lua server on"
    .. " the same 2 cores); W3 and W4 check the sandbox journal for every launch.")
  add()
  add("Reproduce: `make bench` (about 3 minutes; installs nginx-light, python3-requests, gnuplot-nox,"
    .. " lua-socket, lua-sec and curl when missing).")
  return table.concat(lines, "\n") .. "\n", targets
end

local function print_summary(r)
  local function show(title, clients)
    print(title)
    print(string.format("  %-26s %10s %12s %10s", "client", "launches/s", "5,000 in", "vs floor"))
    for _, c in ipairs(clients) do
      print(string.format("  %-26s %10s %11.2fs %9.2fx", c.name, group(c.rate), c.median * 5000, c.vs_floor))
    end
  end
  show("W1 HTTP keep-alive, nginx (medians of " .. REPS .. ")", r.w1)
  show("W2 HTTPS, nginx", r.w2)
  print(string.format("W3 %d launches, concurrency %d, %d ms latency: %.3f s, ideal %.3f s, %.2fx", W3_COUNT, W3_CONC,
    math.floor(W3_LATENCY * 1000 + 0.5), r.w3.median, r.w3.ideal, r.w3.ratio))
  print(string.format("W4 %d Zuora runs, concurrency %d: %d-%d token request(s)", W4_COUNT, W4_CONC, r.w4.min, r.w4.max))
  print(string.format("W6 %d launches over HTTP/2, concurrency %d: %d connection(s) over %d reps", W6_COUNT, W6_CONC,
    r.w6.connections, r.w6.reps))
  print(string.format("W5 RSS %.1f MB after %s, %.1f MB after %s (growth %.2f MB); %.1f kB per in-flight launch",
    r.w5.rss_first / 1024, group(W5_FIRST), r.w5.rss_last / 1024, group(W5_TOTAL), r.w5.growth / 1024,
    r.w5.per_inflight))
end

os.execute("mkdir -p " .. OUT)
local started = os.time()
local r = {}
r.machine = machine()
r.busy = cpu_busy(1)
r.load_before = shell_output("cut -d' ' -f1-3 /proc/loadavg")
if r.busy > 0.1 then
  progress("bench: note: %.0f%% of the CPUs are busy with other work; figures will be noisier", r.busy * 100)
end
r.w1 = w1()
r.w2 = w2()
r.w3 = w3()
r.w4 = w4()
r.w5 = w5()
r.w6 = w6()
local plotted
r.points, plotted = plot_series()
if not plotted then
  io.stderr:write("bench: gnuplot failed\n")
  os.exit(1)
end
r.load_after = shell_output("cut -d' ' -f1-3 /proc/loadavg")
local text, targets = report(r)
local f = assert(io.open(RESULTS, "w"))
f:write(text)
f:close()
print_summary(r)
print(targets)
print(string.format("wrote %s and %s in %d s", RESULTS, PLOT, os.time() - started))
