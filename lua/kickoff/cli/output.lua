--- What `kickoff` prints and which status it exits with: a human line by
-- default, one JSON object with --json, and errors as one line on stderr.
-- Exit statuses: 0 success, 1 run failed or error, 2 usage (nothing was
-- sent), 3 outcome unknown (the launch may or may not have happened).
-- @module kickoff.cli.output
local Error = require("kickoff.error")
local args = require("kickoff.cli.args")
local json = require("kickoff.json")

local M = {}

M.OK, M.FAILED, M.USAGE, M.UNKNOWN = 0, 1, 2, 3

--- A value as one single-quoted shell word.
function M.shell_quote(s)
  return "'" .. tostring(s):gsub("'", [['\'']]) .. "'"
end

-- The fields every Run has; the others are what a vendor's client added
-- (request_id, idempotency_key, recipients, ...), shown when they are text
-- or a list of it.
local COMMON = { vendor = true, id = true, status = true, vendor_status = true, raw = true }

local function extras(run)
  local names = {}
  for k, v in pairs(run) do
    -- a map (Zuora's rate_limit) is left out: it has no one-line form
    if not COMMON[k] and type(k) == "string" and (type(v) ~= "table" or #v > 0) then names[#names + 1] = k end
  end
  table.sort(names)
  return names
end

--- Exit status for an error value (kickoff.Error, usage error or other).
function M.exit_status(err)
  if args.is_usage(err) then return M.USAGE end
  if Error.is(err) then
    if err.kind == "validation" then return M.USAGE end
    if err.kind == "outcome_unknown" then return M.UNKNOWN end
  end
  return M.FAILED
end

--- Exit status for a run: failed (or, for wait, not succeeded) is 1.
function M.run_status(run, want_success)
  if run.status == "failed" then return M.FAILED end
  if want_success and run.status ~= "succeeded" then return M.FAILED end
  return M.OK
end

--- One line: newlines and runs of spaces folded.
function M.one_line(s)
  return (tostring(s):gsub("%s*[\r\n]+%s*", " "))
end

--- A plain table for a run (for --json).
function M.run_table(run)
  local t = {
    vendor = run.vendor, id = run.id, status = run.status, vendor_status = run.vendor_status,
    final = run:is_final(), raw = run.raw,
  }
  for _, k in ipairs(extras(run)) do
    local v = run[k]
    if type(v) == "table" then v = json.array({ table.unpack(v) }) end
    t[k] = v
  end
  return t
end

--- A plain table for an error (for --json): never the body or headers.
function M.error_table(err)
  if not Error.is(err) then
    return { kind = args.is_usage(err) and "usage" or "error", message = M.one_line(tostring(err)) }
  end
  return {
    kind = err.kind, vendor = err.vendor, status = err.status, message = M.one_line(err.message),
    retryable = err.retryable, attempts = err.attempts, request_id = err.request_id,
    retry_after = err.retry_after, field = err.field, rule = err.rule,
    idempotency_key = err.idempotency_key, text = M.one_line(tostring(err)),
  }
end

--- JSON text for a value, on one line.
function M.encode(value)
  local text, field, rule = json.encode(value)
  if not text then
    return json.encode({ error = { kind = "error", message = "cannot encode output: " .. tostring(field) .. " " .. tostring(rule) } })
  end
  return text
end

--- The human line for a run, e.g. "domo run 7c1e...: running [IN_PROGRESS]".
function M.run_line(run, verb_word)
  local parts = { string.format("%s%s run %s: %s", verb_word and (verb_word .. " ") or "", run.vendor,
    tostring(run.id), run.status) }
  if run.vendor_status ~= nil then parts[#parts + 1] = " [" .. tostring(run.vendor_status) .. "]" end
  for _, k in ipairs(extras(run)) do
    local v = run[k]
    if v ~= nil then
      if type(v) == "table" then v = table.concat(v, ", ") end
      parts[#parts + 1] = string.format("\n  %s: %s", k:gsub("_", " "), M.one_line(v))
    end
  end
  return table.concat(parts)
end

--- Print a run: human text or JSON.
function M.print_run(out, run, as_json, verb_word)
  if as_json then
    out:write(M.encode(M.run_table(run)), "\n")
  else
    out:write(M.run_line(run, verb_word), "\n")
  end
end

--- Report an error: one line on stderr (and a JSON object with --json).
-- @return the exit status
function M.report_error(out, errout, err, as_json, hint)
  local line = M.one_line(tostring(err))
  if hint then line = line .. " (" .. hint .. ")" end
  errout:write("kickoff: ", line, "\n")
  if as_json then out:write(M.encode({ error = M.error_table(err) }), "\n") end
  return M.exit_status(err)
end

return M
