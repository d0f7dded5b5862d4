/* The JSON encoder's C fast path (lua_json.c), part of kickoff.core. */
#ifndef KICKOFF_LUA_JSON_H
#define KICKOFF_LUA_JSON_H

#include <lua.h>

/* Adds json_encode_fast to the module table at the top of the stack. */
void ko_lua_json_open(lua_State *L);

#endif
