/* A minimal Lua 5.4 interpreter linked with the ASan + UBSan runtime, for
 * `make sanitize-test` (mk/sanitize.mk): `asan_lua script [args]` runs the
 * script with the usual `arg` table, like `lua5.4 script [args]`.
 *
 * Why not LD_PRELOAD=libasan.so lua5.4: the preload is inherited by every
 * process a spec starts (make, sh, the sandbox, ...), which then run under
 * ASan too. Linked in here, the runtime covers this process only, and
 * lua_close() at exit frees every Lua allocation, so LeakSanitizer reports
 * exactly the blocks the C core and binding lost. Not part of kickoff. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>

static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s script [args]\n", argv[0]);
    return 2;
  }
  lua_State *L = luaL_newstate();
  if (!L) return 1;
  luaL_openlibs(L);
  /* arg[-1] = interpreter, arg[0] = script, arg[1..] = its arguments */
  lua_createtable(L, argc - 2, 2);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - 1);
  }
  lua_setglobal(L, "arg");
  lua_pushcfunction(L, traceback);
  int status = luaL_loadfile(L, argv[1]); /* skips a #! line */
  if (status == LUA_OK) {
    luaL_checkstack(L, argc, "too many arguments");
    for (int i = 2; i < argc; i++) lua_pushstring(L, argv[i]);
    status = lua_pcall(L, argc - 2, 0, 1);
  }
  if (status != LUA_OK) fprintf(stderr, "%s: %s\n", argv[0], lua_tostring(L, -1));
  lua_close(L);
  return status == LUA_OK ? 0 : 1;
}
