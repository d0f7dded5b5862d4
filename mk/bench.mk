# `make bench` (not part of `make test`): kickoff against a raw libcurl floor,
# LuaSocket/LuaSec, Python requests and the curl command, plus concurrency,
# token and memory workloads; writes bench/RESULTS.md and bench/throughput.png.
# BENCH_ARGS is passed to bench/run.lua (e.g. BENCH_ARGS=--quick).

BENCH_FLOOR := $(BUILD)/bench/floor
BENCH_ARGS  ?=

.PHONY: bench bench-floor

bench:
	@sh tools/deps.sh bench
	@$(MAKE) --no-print-directory build bench-floor
	@LUA=$(LUA) BENCH_FLOOR=$(BENCH_FLOOR) sh bench/run.sh $(BENCH_ARGS)

bench-floor: $(BENCH_FLOOR)

$(BENCH_FLOOR): bench/floor.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=gnu11 $(WARNINGS) $(CURL_CFLAGS) -o $@ $< $(CURL_LIBS) $(LDFLAGS)
