/* A Lua C module with three planted bugs, built and loaded exactly like the
 * sanitized core (mk/sanitize.mk, `make sanitize-canary`). Each must be
 * reported; otherwise a sanitizer run of the suite could pass without
 * looking (runtime not preloaded, leak detection switched off, ...).
 * Not part of kickoff. */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

int luaopen_canary(lua_State *L);

/* writes one byte past a heap block: AddressSanitizer */
static int overflow(lua_State *L) {
  size_t n = (size_t)luaL_checkinteger(L, 1);
  char *p = malloc(n);
  if (!p) return 0;
  memset(p, 'x', n + 1);
  lua_pushinteger(L, p[n / 2]);
  free(p);
  return 1;
}

/* drops the only pointer to a heap block: LeakSanitizer at exit */
static int leak(lua_State *L) {
  size_t n = (size_t)luaL_checkinteger(L, 1);
  char *p = malloc(n);
  if (!p) return 0;
  memset(p, 'x', n);
  /* NOLINTNEXTLINE(clang-analyzer-unix.Malloc): the leak is the point */
  lua_pushinteger(L, p[n - 1]);
  return 1; /* cppcheck-suppress memleak */
}

/* signed int overflow for INT_MAX: UndefinedBehaviorSanitizer */
static int signed_overflow(lua_State *L) {
  int x = (int)luaL_checkinteger(L, 1);
  lua_pushinteger(L, x + 1);
  return 1;
}

int luaopen_canary(lua_State *L) {
  static const luaL_Reg fns[] = {{"overflow", overflow},
                                 {"leak", leak},
                                 {"signed_overflow", signed_overflow},
                                 {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
