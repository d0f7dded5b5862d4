--- Shared by the Lua peers of `make bench`: arguments, the Domo start
-- request every peer sends, a monotonic clock and the one output line.
--   lua5.4 bench/peers/<peer>.lua BASE_URL COUNT WARMUP [CA_FILE]
-- BASE_URL is scheme://host:port; the token comes from $KICKOFF_BENCH_TOKEN,
-- never from argv.
local system = require("system")

local M = {}

M.PARAMS = {
  model_id = "a8afdc89-9491-4ee4-b7c3-b9e9b86c0138", version = "1.1.0",
  workflow = "AddTwoNumbers", data = { parameter1 = 13, parameter2 = 7 },
}

-- The bytes kickoff sends for PARAMS (its encoder sorts keys).
M.BODY = '{"data":{"parameter1":13,"parameter2":7},"messageName":"Start AddTwoNumbers",'
  .. '"modelId":"a8afdc89-9491-4ee4-b7c3-b9e9b86c0138","version":"1.1.0"}'

-- Domo's start route (vendor-apis.md §1.3), for peers that take whole URLs.
M.START_PATH = "/api/workflow/v1/instances/message"

M.monotime = system.monotime

local reported = false
--- Report the first failure on stderr (one line, not one per launch).
function M.report(err)
  if reported then return end
  reported = true
  io.stderr:write(arg[0], ": ", tostring(err), "\n")
end

--- Base URL, count, warmup, ca_file (or nil), token from the command line and environment.
function M.args()
  local base, count, warmup = arg[1], tonumber(arg[2]), tonumber(arg[3])
  local token = os.getenv("KICKOFF_BENCH_TOKEN")
  if not (base and count and warmup and token and token ~= "") then
    io.stderr:write("usage: KICKOFF_BENCH_TOKEN=... lua5.4 ", arg[0], " BASE_URL COUNT WARMUP [CA_FILE]\n")
    os.exit(2)
  end
  return base, math.tointeger(count), math.tointeger(warmup), arg[4], token
end

--- Run launch() warmup times untimed, then count times timed; print the
-- result line and exit non-zero unless every launch succeeded.
function M.measure(count, warmup, launch)
  local failed = 0
  for _ = 1, warmup do
    if not launch() then failed = failed + 1 end
  end
  local ok = 0
  local start = M.monotime()
  for _ = 1, count do
    if launch() then ok = ok + 1 end
  end
  local elapsed = M.monotime() - start
  io.write(string.format("elapsed=%.6f ok=%d\n", elapsed, ok))
  os.exit(failed == 0 and ok == count and 0 or 1)
end

--- The peers on LuaSocket's request API (socket.http, ssl.https): time
-- Domo starts sent through `request`; `extra(ca_file)` adds request fields.
function M.run_ltn12(request, extra)
  local cjson = require("cjson.safe")
  local ltn12 = require("ltn12")
  local base, count, warmup, ca_file, token = M.args()
  local headers = {
    ["content-type"] = "application/json",
    ["content-length"] = tostring(#M.BODY),
    ["x-domo-developer-token"] = token,
  }
  M.measure(count, warmup, function()
    local chunks = {}
    local req = {
      url = base .. M.START_PATH, method = "POST", headers = headers,
      source = ltn12.source.string(M.BODY), sink = ltn12.sink.table(chunks),
    }
    for k, v in pairs(extra and extra(ca_file) or {}) do req[k] = v end
    local ok, status = request(req)
    if not ok then M.report(status) end
    local reply = ok and cjson.decode(table.concat(chunks))
    return status == 200 and type(reply) == "table" and reply.id ~= nil
  end)
end

--- How many results of kickoff.all/map are runs with an id; the first
-- failure is reported.
function M.count_ok(results)
  local ok = 0
  for _, r in ipairs(results) do
    if r[1] and r[1].id ~= nil then ok = ok + 1 else M.report(r[2]) end
  end
  return ok
end

return M
