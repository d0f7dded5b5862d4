/***
The binding `kickoff.core`: converts Lua tables to C requests and results
back to tables, and owns the userdata lifetimes. It holds no policy.

Rules kept here: each userdata is created (with its metatable) before the C
object it boxes; one idempotent cleanup serves `close`, `__gc` and `__close`;
requests are copied into C, so libcurl never points at Lua memory; no Lua
code ever runs inside libcurl (trace events are queued and returned by
`engine:events()` after a step).
@module kickoff.core
*/
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "kickoff.h"
#include "lua_json.h"

#if defined(__GNUC__)
#define KO_EXPORT __attribute__((visibility("default")))
#else
#define KO_EXPORT
#endif

#define ENGINE_MT "kickoff.core.Engine"
#define CLIENT_MT "kickoff.core.Client"
#define TRANSFER_MT "kickoff.core.Transfer"

typedef struct {
  ko_engine *engine;
} engine_box;
typedef struct {
  ko_client *client;
} client_box;
typedef struct {
  ko_transfer *transfer;
} transfer_box;

/* ---- helpers ------------------------------------------------------------- */

static void *check_open(lua_State *L, int idx, const char *mt, const char *what) {
  void **box = luaL_checkudata(L, idx, mt);
  if (!*box) luaL_error(L, "attempt to use a closed %s", what);
  return *box;
}

/* Optional string field; raises on a wrong type, naming the field. */
static const char *opt_string(lua_State *L, int t, const char *key) {
  int type = lua_getfield(L, t, key);
  const char *s = NULL;
  if (type == LUA_TSTRING)
    s = lua_tostring(L, -1);
  else if (type != LUA_TNIL)
    luaL_error(L, "bad option '%s' (string expected, got %s)", key,
               luaL_typename(L, -1));
  lua_pop(L, 1); /* the string stays alive: the table still holds it */
  return s;
}

/* Optional string that may contain NULs (bodies). */
static const char *opt_lstring(lua_State *L, int t, const char *key,
                               size_t *len) {
  int type = lua_getfield(L, t, key);
  const char *s = NULL;
  *len = 0;
  if (type == LUA_TSTRING)
    s = lua_tolstring(L, -1, len);
  else if (type != LUA_TNIL)
    luaL_error(L, "bad option '%s' (string expected, got %s)", key,
               luaL_typename(L, -1));
  lua_pop(L, 1);
  return s;
}

static int opt_bool(lua_State *L, int t, const char *key) {
  int type = lua_getfield(L, t, key);
  if (type != LUA_TNIL && type != LUA_TBOOLEAN)
    luaL_error(L, "bad option '%s' (boolean expected, got %s)", key,
               luaL_typename(L, -1));
  int v = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

/* Optional number in [min, max]; `absent` when missing. */
static lua_Number opt_number(lua_State *L, int t, const char *key,
                             lua_Number min, lua_Number max, lua_Number absent) {
  int type = lua_getfield(L, t, key);
  lua_Number n = absent;
  if (type == LUA_TNUMBER) {
    n = lua_tonumber(L, -1);
    if (!(n >= min && n <= max)) {
      char range[64]; /* lua_pushfstring has no %g */
      snprintf(range, sizeof range, "%g..%g", (double)min, (double)max);
      luaL_error(L, "bad option '%s' (number in %s expected)", key, range);
    }
  } else if (type != LUA_TNIL) {
    luaL_error(L, "bad option '%s' (number expected, got %s)", key,
               luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  return n;
}

/* Seconds (Lua number) to milliseconds; 0 when absent. */
static long opt_ms(lua_State *L, int t, const char *key) {
  int type = lua_getfield(L, t, key);
  long ms = 0;
  if (type == LUA_TNUMBER) {
    lua_Number n = lua_tonumber(L, -1);
    if (!(n > 0) || n > 86400.0 * 30)
      luaL_error(L, "bad option '%s' (seconds must be > 0 and finite)", key);
    ms = (long)ceil(n * 1000.0);
  } else if (type != LUA_TNIL) {
    luaL_error(L, "bad option '%s' (number expected, got %s)", key,
               luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  return ms;
}

/* "retries" = extra attempts; stored as max_attempts (0 = inherit). */
static int opt_attempts(lua_State *L, int t) {
  int type = lua_getfield(L, t, "retries");
  int attempts = 0;
  if (type == LUA_TNUMBER) {
    lua_Integer n = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : -1;
    if (n < 0 || n > 100)
      luaL_error(L, "bad option 'retries' (integer 0..100 expected)");
    attempts = (int)n + 1;
  } else if (type != LUA_TNIL) {
    luaL_error(L, "bad option 'retries' (number expected, got %s)",
               luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  return attempts;
}

static void read_policy(lua_State *L, int t, ko_policy *p) {
  p->timeout_ms = opt_ms(L, t, "timeout");
  p->connect_timeout_ms = opt_ms(L, t, "connect_timeout");
  p->deadline_ms = opt_ms(L, t, "deadline");
  p->max_attempts = opt_attempts(L, t);
  p->backoff_base_ms = opt_ms(L, t, "backoff_base");
  p->backoff_cap_ms = opt_ms(L, t, "backoff_cap");
  p->retry_after_cap_ms = opt_ms(L, t, "retry_after_cap");
}

static void push_fail(lua_State *L, const char *message) {
  luaL_pushfail(L);
  lua_pushstring(L, message);
}

/* ---- engine -------------------------------------------------------------- */

/***
Bound the connection pool.
@function Engine:configure
@tparam table opts max_host_connections (per host, default 64),
  max_connections (in all, default 128), max_connection_lifetime (seconds
  a connection is reused for, default 3600)
*/
static int engine_configure(lua_State *L) {
  ko_engine *e = check_open(L, 1, ENGINE_MT, "engine");
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Number host = opt_number(L, 2, "max_host_connections", 1, 10000, 0);
  lua_Number total = opt_number(L, 2, "max_connections", 1, 10000, 0);
  lua_Number life = opt_number(L, 2, "max_connection_lifetime", 1, 86400, 0);
  ko_engine_set_limits(e, (long)host, (long)total, (long)life);
  return 0;
}

/***
Create an engine: one connection pool shared by the clients made on it.
@function engine
@tparam[opt] table opts as for `Engine:configure`
@treturn Engine
*/
static int l_engine(lua_State *L) {
  int has_opts = !lua_isnoneornil(L, 1);
  if (has_opts) luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  engine_box *box = lua_newuserdatauv(L, sizeof *box, 0);
  box->engine = NULL;
  luaL_setmetatable(L, ENGINE_MT);
  char err[256];
  box->engine = ko_engine_new(err, sizeof err);
  if (!box->engine) return luaL_error(L, "kickoff: %s", err);
  if (has_opts) {
    lua_pushcfunction(L, engine_configure);
    lua_pushvalue(L, -2);
    lua_pushvalue(L, 1);
    lua_call(L, 2, 0);
  }
  return 1;
}

/***
Release the engine now rather than at garbage collection (also `__gc` and
`__close`). Idempotent; the pool is freed once its clients are gone too.
@function Engine:close
*/
static int engine_close(lua_State *L) {
  engine_box *box = luaL_checkudata(L, 1, ENGINE_MT);
  if (box->engine) {
    ko_engine *e = box->engine;
    box->engine = NULL;
    ko_engine_release(e); /* freed once its clients are gone too */
  }
  return 0;
}

/***
Make progress: wait up to `timeout` seconds for network activity or a due
retry, then run what is ready.
@function Engine:step
@tparam[opt=0] number timeout seconds
@treturn integer transfers completed
*/
static int engine_step(lua_State *L) {
  ko_engine *e = check_open(L, 1, ENGINE_MT, "engine");
  lua_Number timeout = luaL_optnumber(L, 2, 0);
  luaL_argcheck(L, timeout >= 0 && timeout <= 3600, 2, "0..3600 seconds");
  int n = ko_engine_step(e, (int)(timeout * 1000.0));
  if (n < 0) {
    push_fail(L, "kickoff: libcurl poll failed");
    return 2;
  }
  lua_pushinteger(L, n);
  return 1;
}

/***
Seconds until the engine needs a step, or nil when nothing is pending
(for host event loops).
@function Engine:timeout
*/
static int engine_timeout(lua_State *L) {
  ko_engine *e = check_open(L, 1, ENGINE_MT, "engine");
  long ms = ko_engine_timeout(e);
  if (ms < 0)
    lua_pushnil(L);
  else
    lua_pushnumber(L, (lua_Number)ms / 1000.0);
  return 1;
}

/***
Ids of the transfers that completed during the last `step`.
@function Engine:completed
@treturn {integer,...}
*/
static int engine_completed(lua_State *L) {
  ko_engine *e = check_open(L, 1, ENGINE_MT, "engine");
  size_t n = 0;
  const uint64_t *ids = ko_engine_completed(e, &n);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushinteger(L, (lua_Integer)ids[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/***
The sockets a host event loop should watch before the next `step(0)`.
@function Engine:fds
@treturn {{fd=integer,read=boolean,write=boolean},...}
*/
static int engine_fds(lua_State *L) {
  ko_engine *e = check_open(L, 1, ENGINE_MT, "engine");
  int n = ko_engine_sockets(e, NULL, NULL, 0);
  /* scratch space owned by Lua, so an error below cannot leak it */
  int *fds = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * 2 * sizeof(int), 0);
  int *events = fds + (n > 0 ? n : 1);
  n = ko_engine_sockets(e, fds, events, n);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, fds[i]);
    lua_setfield(L, -2, "fd");
    lua_pushboolean(L, events[i] & 1);
    lua_setfield(L, -2, "read");
    lua_pushboolean(L, events[i] & 2);
    lua_setfield(L, -2, "write");
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/***
Transfers submitted and not yet completed.
@function Engine:in_flight
@treturn integer
*/
static int engine_in_flight(lua_State *L) {
  ko_engine *e = check_open(L, 1, ENGINE_MT, "engine");
  lua_pushinteger(L, (lua_Integer)ko_engine_in_flight(e));
  return 1;
}

/***
Trace events queued since the last call (already redacted), or nil.
@function Engine:events
@treturn {{client=integer,transfer=integer,type=string,text=string},...}
*/
static int engine_events(lua_State *L) {
  ko_engine *e = check_open(L, 1, ENGINE_MT, "engine");
  ko_event *list = ko_engine_take_events(e);
  if (!list) return 0;
  /* build the table from a copy so an allocation error cannot leak */
  int n = 0;
  for (ko_event *ev = list; ev; ev = ev->next) n++;
  lua_createtable(L, n, 0);
  int i = 0;
  for (ko_event *ev = list; ev; ev = ev->next) {
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, (lua_Integer)ev->client_id);
    lua_setfield(L, -2, "client");
    lua_pushinteger(L, (lua_Integer)ev->transfer_id);
    lua_setfield(L, -2, "transfer");
    lua_pushstring(L, ev->type);
    lua_setfield(L, -2, "type");
    lua_pushstring(L, ev->text);
    lua_setfield(L, -2, "text");
    lua_rawseti(L, -2, ++i);
  }
  ko_events_free(list);
  return 1;
}

static int engine_tostring(lua_State *L) {
  engine_box *box = luaL_checkudata(L, 1, ENGINE_MT);
  if (box->engine)
    lua_pushfstring(L, "kickoff.core.Engine (%d in flight)",
                    (int)ko_engine_in_flight(box->engine));
  else
    lua_pushliteral(L, "kickoff.core.Engine (closed)");
  return 1;
}

/* ---- client -------------------------------------------------------------- */

/***
Create a client for one vendor account. Secrets given here stay in C: no
method returns them, and they are wiped when the client is freed.
@function client
@tparam Engine engine the pool the client's requests go through
@tparam table opts vendor, base_url, secret, client_id, project_id, ca_file,
  ca_path, proxy, user_agent, trace, timeout, connect_timeout, deadline,
  retries, backoff_base, backoff_cap, retry_after_cap, retry_budget (retry
  tokens, default 500; 0 turns retries off), rate (attempts per second),
  rate_burst (attempts at once, default 1)
@treturn[1] Client
@return[2] nil, message
*/
static int l_client(lua_State *L) {
  check_open(L, 1, ENGINE_MT, "engine");
  luaL_checktype(L, 2, LUA_TTABLE);
  client_box *box = lua_newuserdatauv(L, sizeof *box, 1);
  box->client = NULL;
  luaL_setmetatable(L, CLIENT_MT);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1); /* the client keeps its engine alive */

  ko_client_opts o;
  memset(&o, 0, sizeof o);
  const char *vendor = opt_string(L, 2, "vendor");
  if (!vendor) return luaL_error(L, "bad option 'vendor' (string expected)");
  o.vendor = ko_vendor_find(vendor);
  if (!o.vendor) return luaL_error(L, "bad option 'vendor' (unknown: %s)", vendor);
  o.base_url = opt_string(L, 2, "base_url");
  o.secret = opt_string(L, 2, "secret");
  o.client_id = opt_string(L, 2, "client_id");
  o.project_id = opt_string(L, 2, "project_id");
  o.ca_file = opt_string(L, 2, "ca_file");
  o.ca_path = opt_string(L, 2, "ca_path");
  o.proxy = opt_string(L, 2, "proxy");
  o.user_agent = opt_string(L, 2, "user_agent");
  o.trace = opt_bool(L, 2, "trace");
  o.retry_budget = (int)opt_number(L, 2, "retry_budget", 0, 1e6, -1);
  o.rate = opt_number(L, 2, "rate", 1e-3, 1e6, 0);
  o.rate_burst = opt_number(L, 2, "rate_burst", 1, 1e6, 1);
  ko_policy defaults, given;
  ko_policy_defaults(&defaults);
  read_policy(L, 2, &given);
  o.policy = defaults;
  if (given.timeout_ms) o.policy.timeout_ms = given.timeout_ms;
  if (given.connect_timeout_ms) o.policy.connect_timeout_ms = given.connect_timeout_ms;
  if (given.deadline_ms) o.policy.deadline_ms = given.deadline_ms;
  if (given.max_attempts) o.policy.max_attempts = given.max_attempts;
  if (given.backoff_base_ms) o.policy.backoff_base_ms = given.backoff_base_ms;
  if (given.backoff_cap_ms) o.policy.backoff_cap_ms = given.backoff_cap_ms;
  if (given.retry_after_cap_ms) o.policy.retry_after_cap_ms = given.retry_after_cap_ms;

  engine_box *ebox = lua_touserdata(L, 1);
  char err[512];
  box->client = ko_client_new(ebox->engine, &o, err, sizeof err);
  if (!box->client) {
    push_fail(L, err);
    return 2;
  }
  return 1;
}

/***
Release the client now rather than at garbage collection (also `__gc` and
`__close`): its secrets are wiped. Idempotent.
@function Client:close
*/
static int client_close(lua_State *L) {
  client_box *box = luaL_checkudata(L, 1, CLIENT_MT);
  if (box->client) {
    ko_client *c = box->client;
    box->client = NULL;
    ko_client_release(c);
  }
  return 0;
}

static void read_headers(lua_State *L, int t, ko_header **out, size_t *n) {
  *out = NULL;
  *n = 0;
  int type = lua_getfield(L, t, "headers");
  if (type == LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  if (type != LUA_TTABLE)
    luaL_error(L, "bad option 'headers' (table expected, got %s)",
               luaL_typename(L, -1));
  int ht = lua_gettop(L);
  size_t count = 0;
  lua_pushnil(L);
  while (lua_next(L, ht)) {
    count++;
    lua_pop(L, 1);
  }
  /* scratch array as userdata: collected even if a check below raises */
  ko_header *hs = lua_newuserdatauv(L, (count ? count : 1) * sizeof *hs, 0);
  size_t i = 0;
  lua_pushnil(L);
  while (lua_next(L, ht)) {
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "bad option 'headers' (string names and values expected)");
    hs[i].name = lua_tostring(L, -2);
    hs[i].value = lua_tostring(L, -1);
    if (strlen(hs[i].value) != lua_rawlen(L, -1)) hs[i].value = "\n"; /* NUL: refused by the core */
    i++;
    lua_pop(L, 1);
  }
  /* leave headers table and scratch on the stack until submit returns */
  *out = hs;
  *n = i;
}

/***
Queue a request. Returns at once; drive it with `Engine:step`.
@function Client:submit
@tparam table req method, path | url, headers, body, content_type, idempotent,
  idempotency_key, gzip, body_secret, and per-call policy options
@treturn[1] Transfer
@return[2] nil, message (the request was refused before anything was sent)
*/
static int client_submit(lua_State *L) {
  ko_client *c = check_open(L, 1, CLIENT_MT, "client");
  luaL_checktype(L, 2, LUA_TTABLE);
  ko_request req;
  memset(&req, 0, sizeof req);
  req.method = opt_string(L, 2, "method");
  if (!req.method) req.method = "GET";
  req.path = opt_string(L, 2, "path");
  req.url = opt_string(L, 2, "url");
  req.body = opt_lstring(L, 2, "body", &req.body_len);
  req.content_type = opt_string(L, 2, "content_type");
  req.idempotent = opt_bool(L, 2, "idempotent");
  req.idempotency_key = opt_string(L, 2, "idempotency_key");
  req.gzip = opt_bool(L, 2, "gzip");
  req.body_secret = opt_bool(L, 2, "body_secret");
  read_policy(L, 2, &req.policy);
  read_headers(L, 2, (ko_header **)&req.headers, &req.nheaders);

  transfer_box *box = lua_newuserdatauv(L, sizeof *box, 1);
  box->transfer = NULL;
  luaL_setmetatable(L, TRANSFER_MT);
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1); /* the transfer keeps its client alive */
  char err[512];
  box->transfer = ko_submit(c, &req, err, sizeof err);
  if (!box->transfer) {
    push_fail(L, err);
    return 2;
  }
  return 1;
}

/***
What the client is, without its secrets.
@function Client:info
@treturn table id, vendor, base_url, token_requests (OAuth tokens fetched)
*/
static int client_info(lua_State *L) {
  ko_client *c = check_open(L, 1, CLIENT_MT, "client");
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, (lua_Integer)ko_client_id(c));
  lua_setfield(L, -2, "id");
  lua_pushstring(L, ko_client_vendor(c)->name);
  lua_setfield(L, -2, "vendor");
  lua_pushstring(L, ko_client_base_url(c));
  lua_setfield(L, -2, "base_url");
  lua_pushinteger(L, (lua_Integer)ko_client_token_requests(c));
  lua_setfield(L, -2, "token_requests");
  return 1;
}

static int client_tostring(lua_State *L) {
  client_box *box = luaL_checkudata(L, 1, CLIENT_MT);
  if (box->client)
    lua_pushfstring(L, "kickoff.core.Client (%s %s)",
                    ko_client_vendor(box->client)->name,
                    ko_client_base_url(box->client));
  else
    lua_pushliteral(L, "kickoff.core.Client (closed)");
  return 1;
}

/* ---- transfer ------------------------------------------------------------ */

/***
Release the transfer (also `__gc` and `__close`); one still in flight is
cancelled. Idempotent.
@function Transfer:close
*/
static int transfer_close(lua_State *L) {
  transfer_box *box = luaL_checkudata(L, 1, TRANSFER_MT);
  if (box->transfer) {
    ko_transfer *t = box->transfer;
    box->transfer = NULL;
    ko_transfer_free(t); /* cancels it if still in flight */
  }
  return 0;
}

/***
Whether the transfer has completed (its `result` is ready).
@function Transfer:done
@treturn boolean
*/
static int transfer_done(lua_State *L) {
  ko_transfer *t = check_open(L, 1, TRANSFER_MT, "transfer");
  lua_pushboolean(L, ko_transfer_done(t));
  return 1;
}

/***
The transfer's id, as listed by `Engine:completed`.
@function Transfer:id
@treturn integer
*/
static int transfer_id(lua_State *L) {
  ko_transfer *t = check_open(L, 1, TRANSFER_MT, "transfer");
  lua_pushinteger(L, (lua_Integer)ko_transfer_id(t));
  return 1;
}

static void push_headers(lua_State *L, const ko_result *r) {
  lua_createtable(L, 0, (int)r->nheaders);
  luaL_Buffer b;
  for (size_t i = 0; i < r->nheaders; i++) {
    /* lower-cased names; repeated headers joined with ", " (RFC 9110) */
    luaL_buffinit(L, &b);
    for (const char *p = r->headers[i].name; *p; p++)
      luaL_addchar(&b, (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p));
    luaL_pushresult(&b);
    lua_pushvalue(L, -1);
    if (lua_rawget(L, -3) == LUA_TSTRING) {
      lua_pushliteral(L, ", ");
      lua_pushstring(L, r->headers[i].value);
      lua_concat(L, 3);
    } else {
      lua_pop(L, 1);
      lua_pushstring(L, r->headers[i].value);
    }
    lua_rawset(L, -3);
  }
}

/***
The outcome once `done()`: a table with status, headers (lower-case names),
body, attempts, elapsed, kind ("ok" or an error kind), phase, message,
curl_code, retryable, retry_after (seconds). nil while in flight.
@function Transfer:result
@tparam[opt=true] boolean with_headers false leaves out `headers` (cheaper
  when the caller does not read them; `Transfer:headers` has them)
*/
static int transfer_result(lua_State *L) {
  ko_transfer *t = check_open(L, 1, TRANSFER_MT, "transfer");
  int with_headers = lua_isnoneornil(L, 2) || lua_toboolean(L, 2);
  const ko_result *r = ko_transfer_result(t);
  if (!r) return 0;
  lua_createtable(L, 0, 12);
  lua_pushinteger(L, r->status);
  lua_setfield(L, -2, "status");
  lua_pushlstring(L, r->body ? r->body : "", r->body_len);
  lua_setfield(L, -2, "body");
  if (with_headers) {
    push_headers(L, r);
    lua_setfield(L, -2, "headers");
  }
  lua_pushinteger(L, r->attempts);
  lua_setfield(L, -2, "attempts");
  lua_pushnumber(L, r->elapsed);
  lua_setfield(L, -2, "elapsed");
  lua_pushstring(L, ko_error_kind_name(r->kind));
  lua_setfield(L, -2, "kind");
  if (r->kind != KO_OK) {
    lua_pushstring(L, r->phase ? r->phase : "unknown");
    lua_setfield(L, -2, "phase");
    lua_pushstring(L, r->message);
    lua_setfield(L, -2, "message");
    lua_pushinteger(L, r->curl_code);
    lua_setfield(L, -2, "curl_code");
    lua_pushboolean(L, r->retryable);
    lua_setfield(L, -2, "retryable");
  }
  if (r->retry_after_ms >= 0) {
    lua_pushnumber(L, (lua_Number)r->retry_after_ms / 1000.0);
    lua_setfield(L, -2, "retry_after");
  }
  return 1;
}

/***
The last response's headers (lower-case names), or nil while in flight.
@function Transfer:headers
@treturn table
*/
static int transfer_headers(lua_State *L) {
  ko_transfer *t = check_open(L, 1, TRANSFER_MT, "transfer");
  const ko_result *r = ko_transfer_result(t);
  if (!r) return 0;
  push_headers(L, r);
  return 1;
}

/* ---- module functions ---------------------------------------------------- */

static void set_opt_string(lua_State *L, const char *key, const char *value) {
  if (!value) return;
  lua_pushstring(L, value);
  lua_setfield(L, -2, key);
}

/***
Vendor descriptors: name, auth (scheme), auth_header, auth_prefix,
project_header, body_secret_field, token_path, idempotency_header,
gzip_requests, default_base_url, request_id_header and named hosts. Names
only, never a secret: enough to show a request without sending it.
@function vendors
*/
static int l_vendors(lua_State *L) {
  static const char *const schemes[] = {"none", "header", "apikey_project",
                                        "body_field", "oauth_client_credentials"};
  lua_newtable(L);
  const ko_vendor *v;
  for (size_t i = 0; (v = ko_vendor_at(i)); i++) {
    lua_createtable(L, 0, 12);
    set_opt_string(L, "name", v->name);
    set_opt_string(L, "auth", schemes[v->auth]);
    set_opt_string(L, "auth_header", v->auth_header);
    set_opt_string(L, "auth_prefix", v->auth_prefix);
    set_opt_string(L, "project_header", v->project_header);
    set_opt_string(L, "body_secret_field", v->body_secret_field);
    set_opt_string(L, "token_path", v->token_path);
    set_opt_string(L, "idempotency_header", v->idempotency_header);
    lua_pushboolean(L, v->gzip_requests);
    lua_setfield(L, -2, "gzip_requests");
    set_opt_string(L, "default_base_url", v->default_base_url);
    set_opt_string(L, "request_id_header", v->request_id_header);
    lua_newtable(L);
    for (const ko_named_host *h = v->hosts; h && h->name; h++) {
      lua_pushstring(L, h->url);
      lua_setfield(L, -2, h->name);
    }
    lua_setfield(L, -2, "hosts");
    lua_setfield(L, -2, v->name);
  }
  return 1;
}

/***
A random UUIDv4 (kernel CSPRNG), for idempotency keys.
@function uuid4
*/
static int l_uuid4(lua_State *L) {
  char out[37];
  if (ko_uuid4(out) != 0) return luaL_error(L, "kickoff: getrandom failed");
  lua_pushstring(L, out);
  return 1;
}

/***
Monotonic clock in seconds.
@function monotime
*/
static int l_monotime(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

/***
Sleep without a busy loop.
@function sleep
@tparam number seconds how long (0..86400)
*/
static int l_sleep(lua_State *L) {
  lua_Number s = luaL_checknumber(L, 1);
  luaL_argcheck(L, s >= 0 && s <= 86400, 1, "0..86400 seconds");
  struct timespec ts;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (lua_Number)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &ts) != 0) {
  }
  return 0;
}

static const luaL_Reg engine_methods[] = {
    {"step", engine_step},       {"timeout", engine_timeout},
    {"in_flight", engine_in_flight}, {"events", engine_events},
    {"completed", engine_completed}, {"fds", engine_fds},
    {"configure", engine_configure}, {"close", engine_close},
    {NULL, NULL}};
static const luaL_Reg client_methods[] = {{"submit", client_submit},
                                          {"info", client_info},
                                          {"close", client_close},
                                          {NULL, NULL}};
static const luaL_Reg transfer_methods[] = {{"done", transfer_done},
                                            {"result", transfer_result},
                                            {"headers", transfer_headers},
                                            {"id", transfer_id},
                                            {"close", transfer_close},
                                            {NULL, NULL}};

static void new_class(lua_State *L, const char *name, const luaL_Reg *methods,
                      lua_CFunction cleanup, lua_CFunction tostring) {
  luaL_newmetatable(L, name);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, cleanup);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, cleanup);
  lua_setfield(L, -2, "__close");
  if (tostring) {
    lua_pushcfunction(L, tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pushliteral(L, "kickoff.core"); /* hide the metatable */
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
}

static int transfer_tostring(lua_State *L) {
  transfer_box *box = luaL_checkudata(L, 1, TRANSFER_MT);
  lua_pushfstring(L, "kickoff.core.Transfer (%s)",
                  !box->transfer                   ? "closed"
                  : ko_transfer_done(box->transfer) ? "done"
                                                    : "in flight");
  return 1;
}

KO_EXPORT int luaopen_kickoff_core(lua_State *L);
KO_EXPORT int luaopen_kickoff_core(lua_State *L) {
  static int curl_ready = 0;
  if (!curl_ready) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      return luaL_error(L, "kickoff: curl_global_init failed");
    curl_ready = 1;
  }
  new_class(L, ENGINE_MT, engine_methods, engine_close, engine_tostring);
  new_class(L, CLIENT_MT, client_methods, client_close, client_tostring);
  new_class(L, TRANSFER_MT, transfer_methods, transfer_close, transfer_tostring);
  static const luaL_Reg funcs[] = {
      {"engine", l_engine}, {"client", l_client},     {"vendors", l_vendors},
      {"uuid4", l_uuid4},   {"monotime", l_monotime}, {"sleep", l_sleep},
      {NULL, NULL}};
  luaL_newlib(L, funcs);
  /***
  The JSON text of a plain value, or nil when the Lua encoder must decide
  (kickoff.json.encode calls this first; the code is in lua_json.c).
  @function json_encode_fast
  @param value any value
  @treturn[1] string
  @return[2] nil
  */
  ko_lua_json_open(L);
  lua_pushliteral(L, KO_VERSION);
  lua_setfield(L, -2, "version");
  lua_pushstring(L, curl_version_info(CURLVERSION_NOW)->version);
  lua_setfield(L, -2, "curl_version");
  return 1;
}
