# libFuzzer targets (clang) for the C functions that read untrusted input.
# Each fuzz/fuzz_<name>.c links the core's objects (not core.so; the Lua
# binding is left out) built with ASan + UBSan into $(FUZZ_BUILD)/fuzz_<name>.
# Seeds live in fuzz/corpus/fuzz_<name>/ and are only read; inputs a run finds
# go to $(FUZZ_BUILD)/work/fuzz_<name>/, crashes to $(FUZZ_BUILD)/crash-*.
#
#   make fuzz-build                    build every target
#   make fuzz FUZZ_SECONDS=600         long run, per target (default 300 s)
#   make fuzz FUZZ_TARGETS=fuzz_gzip   only some targets
#   make fuzz-smoke                    the bounded run `make test` does
#                                      (spec/fuzz_spec.lua), FUZZ_SMOKE_SECONDS each
#   make fuzz-merge                    fold new inputs into the seed corpora (minimized)

FUZZ_CC        ?= clang
FUZZ_BUILD     := $(BUILD)/fuzz
FUZZ_CFLAGS    := $(SANITIZE)
FUZZ_SRC       := $(filter-out src/lua_%.c,$(SRC))
FUZZ_OBJ       := $(FUZZ_SRC:src/%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_ALL       := $(sort $(basename $(notdir $(wildcard fuzz/fuzz_*.c))))
FUZZ_TARGETS   ?= $(FUZZ_ALL)
FUZZ_BINS      := $(FUZZ_ALL:%=$(FUZZ_BUILD)/%)
FUZZ_SECONDS   ?= 300
FUZZ_SMOKE_SECONDS ?= 4
# -runs bounds the count as -max_total_time bounds the time; -timeout and
# -rss_limit_mb turn a hang or a blow-up into a reported failure.
FUZZ_RUN_FLAGS := -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1

.PHONY: fuzz fuzz-build fuzz-smoke fuzz-merge

fuzz-build: $(FUZZ_BINS)

$(FUZZ_BUILD)/obj/%.o: src/%.c $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(MODFLAGS) -c $< -o $@

$(FUZZ_BINS): $(FUZZ_BUILD)/%: fuzz/%.c fuzz/fuzz.h $(FUZZ_OBJ) $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -std=gnu11 $(WARNINGS) -Isrc \
	  -I$(LUA_INCDIR) $(CURL_CFLAGS) -o $@ $< $(FUZZ_OBJ) $(DEP_LIBS) $(LDFLAGS)

fuzz: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/work/$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_BUILD)/$$t $(FUZZ_RUN_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
	    -artifact_prefix=$(FUZZ_BUILD)/crash-$$t- \
	    $(FUZZ_BUILD)/work/$$t fuzz/corpus/$$t || exit 1; \
	done

fuzz-smoke: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/work/$$t; \
	  echo "fuzz: $$t for $(FUZZ_SMOKE_SECONDS) s"; \
	  $(FUZZ_BUILD)/$$t $(FUZZ_RUN_FLAGS) -max_total_time=$(FUZZ_SMOKE_SECONDS) -runs=5000000 \
	    -artifact_prefix=$(FUZZ_BUILD)/crash-$$t- \
	    $(FUZZ_BUILD)/work/$$t fuzz/corpus/$$t || exit 1; \
	done

fuzz-merge: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)
	@for t in $(FUZZ_TARGETS); do \
	  $(FUZZ_BUILD)/$$t -merge=1 -max_len=4096 fuzz/corpus/$$t $(FUZZ_BUILD)/work/$$t || exit 1; \
	done
