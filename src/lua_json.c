/* The fast path of kickoff.json.encode: plain tables of ASCII strings,
 * numbers and booleans are written here, byte for byte as the Lua encoder
 * writes them (keys sorted, the same escapes and number texts). Anything
 * else (a metatable, json.null, non-ASCII text, NaN, cycles, depth, mixed
 * or holed tables) returns nil, and the Lua encoder takes over: it is the
 * one that names the field and the rule when a value is refused. */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_json.h"

#define JSON_BUF_MT "kickoff.core.jsonbuf"
#define MAX_DEPTH 64

/* Output buffer boxed in a userdata, so a Lua error cannot leak it. */
typedef struct {
  char *data;
  size_t len, cap;
} json_buf;

static int buf_gc(lua_State *L) {
  json_buf *b = lua_touserdata(L, 1);
  free(b->data);
  b->data = NULL;
  return 0;
}

static int put(json_buf *b, const char *s, size_t n) {
  if (b->cap - b->len < n) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) cap *= 2;
    char *grown = realloc(b->data, cap);
    if (!grown) return -1;
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  return 0;
}

/* As kickoff.json.quote: escapes for %c, '"' and '\'; non-ASCII bails. */
static int put_string(json_buf *b, const char *s, size_t n) {
  if (put(b, "\"", 1)) return -1;
  size_t run = 0; /* bytes copied as they are, flushed in one put */
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *esc = NULL;
    char uni[8];
    if (c >= 0x80) return -1;
    if (c == '"')
      esc = "\\\"";
    else if (c == '\\')
      esc = "\\\\";
    else if (c == '\b')
      esc = "\\b";
    else if (c == '\f')
      esc = "\\f";
    else if (c == '\n')
      esc = "\\n";
    else if (c == '\r')
      esc = "\\r";
    else if (c == '\t')
      esc = "\\t";
    else if (c < 0x20 || c == 0x7f) {
      snprintf(uni, sizeof uni, "\\u%04x", c);
      esc = uni;
    }
    if (!esc) {
      run++;
      continue;
    }
    if (put(b, s + i - run, run) || put(b, esc, strlen(esc))) return -1;
    run = 0;
  }
  if (put(b, s + n - run, run)) return -1;
  return put(b, "\"", 1);
}

static int put_number(lua_State *L, int idx, json_buf *b) {
  char text[64];
  if (lua_isinteger(L, idx)) {
    snprintf(text, sizeof text, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, idx));
    return put(b, text, strlen(text));
  }
  double d = (double)lua_tonumber(L, idx);
  if (!isfinite(d)) return -1;
  /* the shortest of 15..17 digits that reads back as the same double */
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(text, sizeof text, "%.*g", digits, d);
    if (strtod(text, NULL) == d) return put(b, text, strlen(text));
  }
  return -1;
}

typedef struct {
  const char *s;
  size_t n;
} key_text;

static int key_order(const void *a, const void *b) {
  return strcmp(((const key_text *)a)->s, ((const key_text *)b)->s);
}

static int put_value(lua_State *L, int idx, json_buf *b, int depth);

/* Object: string keys only (no NUL inside, for strcmp), sorted. */
static int put_object(lua_State *L, int idx, json_buf *b, int depth,
                      size_t count) {
  key_text *keys = malloc(count * sizeof *keys);
  if (!keys) return -1;
  size_t n = 0;
  int rc = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len); /* a string: shape said so */
    if (n == count || strlen(s) != len) {
      lua_pop(L, 1);
      rc = -1;
      break;
    }
    keys[n].s = s; /* alive: the table holds its keys */
    keys[n++].n = len;
  }
  if (rc == 0) qsort(keys, n, sizeof *keys, key_order);
  rc = rc || put(b, "{", 1);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    if (i > 0) rc = put(b, ",", 1);
    rc = rc || put_string(b, keys[i].s, keys[i].n) || put(b, ":", 1);
    if (rc) break;
    lua_pushlstring(L, keys[i].s, keys[i].n);
    lua_rawget(L, idx);
    rc = put_value(L, lua_gettop(L), b, depth + 1);
    lua_pop(L, 1);
  }
  free(keys);
  return rc || put(b, "}", 1);
}

static int put_table(lua_State *L, int idx, json_buf *b, int depth) {
  if (depth > MAX_DEPTH || !lua_checkstack(L, 4)) return -1;
  if (lua_getmetatable(L, idx)) { /* marks, proxies: the Lua encoder */
    lua_pop(L, 1);
    return -1;
  }
  lua_Integer len = (lua_Integer)lua_rawlen(L, idx);
  size_t count = 0, strings = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    count++;
    if (lua_type(L, -1) == LUA_TSTRING) {
      strings++;
    } else if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
               lua_tointeger(L, -1) > len) {
      lua_pop(L, 1);
      return -1;
    }
  }
  if (count == 0) return put(b, "{}", 2);
  if (strings == count) return put_object(L, idx, b, depth, count);
  if (strings > 0 || count != (size_t)len) return -1;
  if (put(b, "[", 1)) return -1;
  for (lua_Integer i = 1; i <= len; i++) {
    if (i > 1 && put(b, ",", 1)) return -1;
    lua_rawgeti(L, idx, i);
    int rc = put_value(L, lua_gettop(L), b, depth + 1);
    lua_pop(L, 1);
    if (rc) return -1;
  }
  return put(b, "]", 1);
}

static int put_value(lua_State *L, int idx, json_buf *b, int depth) {
  switch (lua_type(L, idx)) {
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    return put_string(b, s, n);
  }
  case LUA_TNUMBER:
    return put_number(L, idx, b);
  case LUA_TBOOLEAN:
    return lua_toboolean(L, idx) ? put(b, "true", 4) : put(b, "false", 5);
  case LUA_TTABLE:
    return put_table(L, idx, b, depth);
  default: /* json.null, functions, ...: the Lua encoder decides */
    return -1;
  }
}

/* core.json_encode_fast (documented in lua_kickoff.c, where the module's
 * reference lives) */
static int l_json_encode_fast(lua_State *L) {
  lua_settop(L, 1);
  json_buf *b = lua_newuserdatauv(L, sizeof *b, 0);
  memset(b, 0, sizeof *b);
  luaL_setmetatable(L, JSON_BUF_MT);
  if (put_value(L, 1, b, 0) != 0) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushlstring(L, b->data ? b->data : "", b->len);
  return 1;
}

void ko_lua_json_open(lua_State *L) {
  luaL_newmetatable(L, JSON_BUF_MT);
  lua_pushcfunction(L, buf_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_json_encode_fast);
  lua_setfield(L, -2, "json_encode_fast");
}
