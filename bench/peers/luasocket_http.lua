--- LuaSocket socket.http: what a Lua 5.4 script on Debian would use for
-- plain HTTP. It sends "Connection: close", so every launch opens a new
-- TCP connection; the reply is decoded with cjson.
require("common").run_ltn12(require("socket.http").request)
