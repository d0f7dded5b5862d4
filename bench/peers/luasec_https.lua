--- LuaSec ssl.https: the HTTPS twin of socket.http, with the certificate
-- verified against the bench CA. A new connection and TLS handshake per
-- launch (LuaSocket's http sends "Connection: close").
local common = require("common")
local cjson = require("cjson.safe")
local https = require("ssl.https")
local ltn12 = require("ltn12")

local base, count, warmup, ca_file, token = common.args()
local headers = {
  ["content-type"] = "application/json",
  ["content-length"] = tostring(#common.BODY),
  ["x-domo-developer-token"] = token,
}

common.measure(count, warmup, function()
  local chunks = {}
  local ok, status = https.request {
    url = base .. common.START_PATH, method = "POST", headers = headers,
    source = ltn12.source.string(common.BODY), sink = ltn12.sink.table(chunks),
    cafile = ca_file, verify = "peer", protocol = "any",
  }
  if not ok then common.report(status) end
  local reply = ok and cjson.decode(table.concat(chunks))
  return status == 200 and type(reply) == "table" and reply.id ~= nil
end)
