# kickoff: build, test, demo. Every path comes from a variable (pkg-config
# defaults), nothing links -llua, and `make deps` installs what is missing.

LUA_VERSION ?= 5.4
LUA         ?= lua$(LUA_VERSION)
PKG_CONFIG  ?= pkg-config
CC          ?= cc

LUA_PC      ?= lua$(LUA_VERSION)
LUA_INCDIR  ?= $(shell $(PKG_CONFIG) --variable=includedir $(LUA_PC) 2>/dev/null)/lua$(LUA_VERSION)
CURL_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null)
CURL_LIBS   ?= $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null || echo -lcurl)
DEP_LIBS    ?= $(CURL_LIBS) -ljansson -lz

CFLAGS      ?= -O2 -g
WARNINGS    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# the sanitized builds: mk/sanitize.mk (the suite) and mk/fuzz.mk (libFuzzer)
SANITIZE    := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
MODFLAGS    := -std=gnu11 -fPIC -fvisibility=hidden $(WARNINGS) -I$(LUA_INCDIR) $(CURL_CFLAGS)
LIBFLAG     ?= -shared

PREFIX      ?= /usr/local
LUA_LIBDIR  ?= $(PREFIX)/lib/lua/$(LUA_VERSION)
LUA_SHAREDIR?= $(PREFIX)/share/lua/$(LUA_VERSION)
BINDIR      ?= $(PREFIX)/bin

BUILD       ?= build
SRC         := $(wildcard src/*.c)
OBJ         := $(SRC:src/%.c=$(BUILD)/obj/%.o)
MODULE      := $(BUILD)/kickoff/core.so
LUA_FILES   := $(shell find lua -name '*.lua' | sort)

BUSTED      ?= busted --lua=$(LUA)

.PHONY: all build deps test demo lint install uninstall clean sandbox

all: build
build: $(MODULE)

$(BUILD)/obj/%.o: src/%.c $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(MODFLAGS) -c $< -o $@

$(MODULE): $(OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBFLAG) -o $@ $(OBJ) $(DEP_LIBS) $(LDFLAGS)

deps:
	@sh tools/deps.sh

test: deps
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory lint
	@sh tools/run-tests.sh

demo: deps
	@$(MAKE) --no-print-directory build
	@LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" LUA_CPATH="./$(BUILD)/?.so;;" $(LUA) examples/demo.lua

sandbox: build
	@LUA_PATH="./lua/?.lua;./lua/?/init.lua;;" LUA_CPATH="./$(BUILD)/?.so;;" $(LUA) bin/kickoff-sandbox

lint:
	luacheck --no-color -q lua spec examples bin bench
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --std=c11 --inline-suppr -I src $(SRC)
	clang-tidy --quiet $(SRC) -- -std=gnu11 -I$(LUA_INCDIR) $(CURL_CFLAGS) 2>/dev/null

install: build
	install -d $(DESTDIR)$(LUA_LIBDIR)/kickoff $(DESTDIR)$(LUA_SHAREDIR) $(DESTDIR)$(BINDIR)
	install -m 755 $(MODULE) $(DESTDIR)$(LUA_LIBDIR)/kickoff/core.so
	cd lua && for f in $$(find kickoff -name '*.lua'); do \
	  install -d $(DESTDIR)$(LUA_SHAREDIR)/$$(dirname $$f); \
	  install -m 644 $$f $(DESTDIR)$(LUA_SHAREDIR)/$$f; done
	install -m 755 bin/kickoff-sandbox $(DESTDIR)$(BINDIR)/kickoff-sandbox
	install -m 755 bin/kickoff $(DESTDIR)$(BINDIR)/kickoff

uninstall:
	rm -rf $(DESTDIR)$(LUA_LIBDIR)/kickoff $(DESTDIR)$(LUA_SHAREDIR)/kickoff
	rm -f $(DESTDIR)$(BINDIR)/kickoff-sandbox $(DESTDIR)$(BINDIR)/kickoff

clean:
	rm -rf $(BUILD) luacov.*

# Optional parts (fuzzing, sanitizers, benchmarks, docs) live in mk/, one file each.
-include $(sort $(wildcard mk/*.mk))
