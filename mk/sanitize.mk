# The C core and binding built with AddressSanitizer + UndefinedBehaviorSanitizer,
# and the busted suite run against that build (spec/sanitizers_spec.lua runs
# these targets inside `make test`).
#
#   make sanitize-build    build $(BUILD)/asan/kickoff/core.so
#   make sanitize-canary   prove the setup reports a planted overflow, leak and UB
#   make sanitize-test     run the specs against the sanitized build
#                          (SAN_SPECS="spec/x_spec.lua ..." to pick files)
#
# lua5.4 is not instrumented, so busted runs under $(SAN_BUILD)/lua, a minimal
# interpreter (fuzz/asan_lua.c) linked with the ASan runtime: unlike
# LD_PRELOAD, that covers busted only, not every process a spec starts.
# Leak detection is on and needs no suppressions: busted closes its Lua state
# on exit, so every block still allocated then is unreachable and reported.
# The sanitizers stop at the first error (UBSan included).

SAN_CC      ?= gcc
SAN_BUILD   := $(BUILD)/asan
SAN_FLAGS   := $(SANITIZE)
SAN_OBJ     := $(SRC:src/%.c=$(SAN_BUILD)/obj/%.o)
SAN_MODULE  := $(SAN_BUILD)/kickoff/core.so
SAN_CANARY  := $(SAN_BUILD)/canary/canary.so
SAN_LUA     := $(SAN_BUILD)/lua
SAN_LUA_LIBS?= $(shell $(PKG_CONFIG) --libs $(LUA_PC) 2>/dev/null || echo -llua$(LUA_VERSION))
SAN_ENV     := ASAN_OPTIONS=detect_leaks=1:exitcode=23:strict_string_checks=1:detect_stack_use_after_return=1 \
               UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Left out: specs that run nested checks (memcheck, sanitizers, fuzz) and
# specs whose subject is another process using the plain build (install, demo,
# the installed CLI, the examples run as scripts, LDoc): they would add time
# and put nothing of the sanitized build to the test.
SAN_SKIP    := spec/memcheck_spec.lua spec/sanitizers_spec.lua spec/fuzz_spec.lua \
               spec/install_spec.lua spec/demo_spec.lua spec/cli_spec.lua \
               spec/examples_spec.lua spec/docs_spec.lua
SAN_SPECS   ?= $(filter-out $(SAN_SKIP),$(sort $(wildcard spec/*_spec.lua)))
SAN_HELPER  := $(SAN_BUILD)/helper.lua

.PHONY: sanitize-build sanitize-canary sanitize-test

sanitize-build: $(SAN_MODULE) $(SAN_LUA)

$(SAN_LUA): fuzz/asan_lua.c mk/sanitize.mk
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_FLAGS) -std=gnu11 $(WARNINGS) -I$(LUA_INCDIR) -o $@ $< $(SAN_LUA_LIBS)

$(SAN_BUILD)/obj/%.o: src/%.c $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_FLAGS) $(MODFLAGS) -c $< -o $@

# -z nodelete: lua_close() unloads C modules, and a leak report printed after
# that could not name our functions.
$(SAN_MODULE): $(SAN_OBJ) mk/sanitize.mk
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_FLAGS) $(LIBFLAG) -Wl,-z,nodelete -o $@ $(SAN_OBJ) $(DEP_LIBS) $(LDFLAGS)

$(SAN_CANARY): fuzz/canary.c mk/sanitize.mk
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_FLAGS) -std=gnu11 -fPIC $(WARNINGS) -I$(LUA_INCDIR) $(LIBFLAG) \
	  -Wl,-z,nodelete -o $@ $<

# Each planted bug must make the interpreter fail with the sanitizer's words.
sanitize-canary: $(SAN_CANARY) $(SAN_LUA)
	@printf '%s\n' 'local fn, n = ...' 'require("canary")[fn](tonumber(n))' > $(SAN_BUILD)/canary/probe.lua
	@for probe in 'overflow 16:heap-buffer-overflow' 'leak 48:detected memory leaks' \
	    'signed_overflow 2147483647:signed integer overflow'; do \
	  call=$${probe%%:*}; want=$${probe#*:}; log=$(SAN_BUILD)/canary/out.log; \
	  if $(SAN_ENV) LUA_CPATH='./$(SAN_BUILD)/canary/?.so' \
	      ./$(SAN_LUA) $(SAN_BUILD)/canary/probe.lua $$call >$$log 2>&1; then \
	    echo "sanitize-canary: $$call was not reported"; exit 1; fi; \
	  grep -q "$$want" $$log || { cat $$log; echo "sanitize-canary: $$call: no '$$want'"; exit 1; }; \
	  echo "sanitize-canary: $$call reported: $$want"; \
	done

# spec/helper.lua puts ./build first on package.cpath; this helper runs it and
# then puts the sanitized build in front.
$(SAN_HELPER): spec/helper.lua mk/sanitize.mk
	@mkdir -p $(dir $@)
	@printf '%s\n' 'dofile("spec/helper.lua")' \
	  'package.cpath = "./$(SAN_BUILD)/?.so;" .. package.cpath' \
	  'assert(package.searchpath("kickoff.core", package.cpath) == "./$(SAN_MODULE)")' > $@

sanitize-test: $(SAN_MODULE) $(SAN_LUA) $(SAN_HELPER)
	$(SAN_ENV) busted --lua=./$(SAN_LUA) -o utfTerminal --helper=$(SAN_HELPER) $(SAN_SPECS)
