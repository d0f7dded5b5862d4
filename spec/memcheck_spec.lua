-- The C core under valgrind memcheck: no invalid access, nothing definitely lost.
describe("memcheck", function()
  it("runs the exercise script with zero errors and zero bytes definitely lost", function()
    local cmd = "LUA_PATH='./lua/?.lua;./lua/?/init.lua;;' LUA_CPATH='./build/?.so;;' "
      .. "valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 "
      .. "lua5.4 spec/memcheck/exercise.lua 2>&1"
    local p = assert(io.popen(cmd))
    local out = p:read("a")
    local ok = p:close()
    assert.is_true(ok, out)
    assert.matches("ERROR SUMMARY: 0 errors", out)
    assert.matches("definitely lost: 0 bytes", out)
  end)
end)
