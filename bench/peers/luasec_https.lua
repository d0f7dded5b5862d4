--- LuaSec ssl.https: the HTTPS twin of socket.http, with the certificate
-- verified against the bench CA. A new connection and TLS handshake per
-- launch (LuaSocket's http sends "Connection: close").
require("common").run_ltn12(require("ssl.https").request, function(ca_file)
  return { cafile = ca_file, verify = "peer", protocol = "any" }
end)
