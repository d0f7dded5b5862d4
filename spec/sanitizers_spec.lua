-- The C core and binding built with AddressSanitizer + UndefinedBehaviorSanitizer
-- (gcc), and the suite run against that build under an interpreter linked with
-- the ASan runtime, leak detection on (mk/sanitize.mk). Any sanitizer report
-- fails this spec and is printed in full.
local make = require("spec.support").make

-- The first sanitizer report in out, from its header to its SUMMARY line.
local function sanitizer_report(out)
  local start = out:find("==%d+==ERROR: %a+Sanitizer") or out:find("[^\n]*runtime error: ")
  if not start then return nil end
  local _, stop = out:find("SUMMARY: [^\n]*", start)
  return out:sub(start, math.min(stop or #out, start + 16000))
end

local function explain(ok, out)
  local report = sanitizer_report(out)
  if report then return "sanitizer report:\n" .. report end
  if not ok then return "failed:\n" .. out:sub(-6000) end
  return nil
end

describe("AddressSanitizer + UBSan", function()
  it("builds the core, the binding and the interpreter with -fsanitize=address,undefined", function()
    local ok, out = make("-j2 sanitize-build")
    assert.is_true(ok, out)
  end)

  it("reports a planted heap overflow, leak and signed overflow (canary)", function()
    local ok, out = make("sanitize-canary")
    assert.is_true(ok, out)
    assert.matches("overflow 16 reported: heap%-buffer%-overflow", out)
    assert.matches("leak 48 reported: detected memory leaks", out)
    assert.matches("signed_overflow 2147483647 reported: signed integer overflow", out)
  end)

  it("passes the suite against the sanitized build with no report and no leak", function()
    local ok, out = make("sanitize-test")
    local problem = explain(ok, out)
    assert.is_nil(problem, problem)
    local passed, failed, errors = out:match("(%d+) successes? / (%d+) failures? / (%d+) errors?")
    assert.is_truthy(passed, out:sub(-2000))
    assert.equal(0, tonumber(failed) + tonumber(errors), out:sub(-6000))
    assert.is_true(tonumber(passed) > 0)
  end)
end)
