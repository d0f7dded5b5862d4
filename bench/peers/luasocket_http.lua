--- LuaSocket socket.http: what a Lua 5.4 script on Debian would use for
-- plain HTTP. It sends "Connection: close", so every launch opens a new
-- TCP connection; the reply is decoded with cjson.
local common = require("common")
local cjson = require("cjson.safe")
local http = require("socket.http")
local ltn12 = require("ltn12")

local base, count, warmup, _, token = common.args()
local headers = {
  ["content-type"] = "application/json",
  ["content-length"] = tostring(#common.BODY),
  ["x-domo-developer-token"] = token,
}

common.measure(count, warmup, function()
  local chunks = {}
  local ok, status = http.request {
    url = base .. common.START_PATH, method = "POST", headers = headers,
    source = ltn12.source.string(common.BODY), sink = ltn12.sink.table(chunks),
  }
  if not ok then common.report(status) end
  local reply = ok and cjson.decode(table.concat(chunks))
  return status == 200 and type(reply) == "table" and reply.id ~= nil
end)
