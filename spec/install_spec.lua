-- Both install paths produce a working module: LuaRocks (builtin build,
-- offline) and `make install` with PREFIX and DESTDIR.
local function run(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end

local function works(lpath, cpath)
  return run(string.format(
    "cd /tmp && LUA_PATH='%s;;' LUA_CPATH='%s;;' lua5.4 -e " ..
    "'local k = require(\"kickoff\"); assert(package.searchpath(\"kickoff.core\", package.cpath):find(\"%s\", 1, true)); " ..
    "assert(k.domo{instance=\"acme\", token=\"t\"})'", lpath, cpath, cpath:match("^(.-)%?")))
end

describe("installation", function()
  local tmp = os.tmpname()
  os.remove(tmp)
  teardown(function() os.execute("rm -rf " .. tmp) end)

  it("luarocks make installs a working module", function()
    local tree = tmp .. "/rocks"
    local ok, out = run("luarocks --lua-version=5.4 make --deps-mode=none --tree=" .. tree .. " kickoff-scm-1.rockspec")
    assert.is_true(ok, out)
    ok, out = works(tree .. "/share/lua/5.4/?.lua;" .. tree .. "/share/lua/5.4/?/init.lua", tree .. "/lib/lua/5.4/?.so")
    assert.is_true(ok, out)
  end)

  it("make install honours PREFIX and DESTDIR", function()
    local dest = tmp .. "/dest"
    local ok, out = run("make -s install PREFIX=/opt/kickoff DESTDIR=" .. dest)
    assert.is_true(ok, out)
    local root = dest .. "/opt/kickoff"
    ok, out = works(root .. "/share/lua/5.4/?.lua;" .. root .. "/share/lua/5.4/?/init.lua", root .. "/lib/lua/5.4/?.so")
    assert.is_true(ok, out)
    assert.is_true(run("test -x " .. root .. "/bin/kickoff-sandbox"))
  end)
end)
