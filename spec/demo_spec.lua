-- `make demo` end to end: all four vendors launch through the public API
-- against the sandbox, and no secret reaches the output.
local server = require("kickoff.sandbox.server")

describe("examples/demo.lua", function()
  it("launches on every vendor and prints no secret", function()
    local cmd = "LUA_PATH='./lua/?.lua;./lua/?/init.lua;;' LUA_CPATH='./build/?.so;;' "
      .. (os.getenv("KICKOFF_LUA") or "lua5.4") .. " examples/demo.lua 2>&1"
    local p = assert(io.popen(cmd))
    local out = p:read("a")
    local ok = p:close()
    assert.is_true(ok, out)
    for _, vendor in ipairs { "domo", "zuora", "campaigns", "captaindata" } do
      assert.matches("\n" .. vendor .. " +%S+ +succeeded", out)
    end
    local creds = server.DEFAULT_CREDENTIALS
    for _, key in ipairs { "domo_token", "zuora_client_secret", "campaigns_token", "captaindata_api_key" } do
      assert.is_nil(out:find(creds[key], 1, true), key)
    end
  end)
end)
