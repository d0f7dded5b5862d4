-- libFuzzer targets for every C function that reads untrusted input
-- (fuzz/fuzz_*.c, mk/fuzz.mk), built with clang and ASan + UBSan. Each runs
-- for a few seconds (FUZZ_SMOKE_SECONDS) over its seed corpus, which keeps the
-- inputs that once found a bug; a crash, leak, hang or failed property fails
-- the spec and its report is printed. `make fuzz` is the long run.
local SECONDS = math.tointeger(tonumber(os.getenv("FUZZ_SMOKE_SECONDS"))) or 4
local make = require("spec.support").make

-- One target per parser of untrusted input; files found in fuzz/ are added.
local TARGETS = {
  "fuzz_body_token", "fuzz_check_header", "fuzz_check_url", "fuzz_gzip",
  "fuzz_request", "fuzz_response", "fuzz_retry_after", "fuzz_token_response",
}

local function lines(cmd)
  local found = {}
  local p = assert(io.popen(cmd))
  for line in p:lines() do found[#found + 1] = line end
  p:close()
  return found
end

-- From the first sign of trouble to the end: the report and the saved input.
local function crash_report(out)
  local start = out:find("[^\n]*property failed")
    or out:find("==%d+==") or out:find("[^\n]*runtime error: ")
  return start and out:sub(start, start + 12000) or out:sub(-6000)
end

local targets = {}
for _, t in ipairs(TARGETS) do targets[t] = true end
for _, path in ipairs(lines("ls fuzz/fuzz_*.c 2>/dev/null")) do
  local t = path:match("^fuzz/(fuzz_[%w_]+)%.c$")
  if t and not targets[t] then
    targets[t] = true
    TARGETS[#TARGETS + 1] = t
  end
end

describe("fuzzing", function()
  it("builds every target with clang -fsanitize=fuzzer,address,undefined", function()
    local ok, out = make("-j2 fuzz-build")
    assert.is_true(ok, out)
  end)

  for _, t in ipairs(TARGETS) do
    it(t .. " runs " .. SECONDS .. " s over its seed corpus without a crash, leak or failed property", function()
      local seeds = #lines("ls fuzz/corpus/" .. t .. " 2>/dev/null")
      assert.is_true(seeds > 0, "no seed corpus in fuzz/corpus/" .. t)
      local ok, out = make("fuzz-smoke FUZZ_TARGETS=" .. t .. " FUZZ_SMOKE_SECONDS=" .. SECONDS)
      assert.is_true(ok, crash_report(out))
      assert.matches("Done %d+ runs", out)
      local loaded = tonumber(out:match("INFO: seed corpus: files: (%d+)"))
      assert.is_true(loaded ~= nil and loaded >= seeds,
        "the seed corpus was not replayed (" .. tostring(loaded) .. " of " .. seeds .. " files)")
    end)
  end
end)
