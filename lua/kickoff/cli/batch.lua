--- `kickoff launch VENDOR --batch FILE.csv`: one launch per CSV row, run
-- concurrently with kickoff.map, with a progress bar on a terminal (plain
-- lines otherwise) and a summary.
--
-- The header row names the launch flags without their dashes (model_id or
-- model-id, workflow_id, email, step, ...); `param.KEY` is `-p KEY=cell` and
-- `json.KEY` is `-p KEY:=cell`. Flags given on the command line apply to
-- every row; a row's non-empty cell wins over them (for repeatable flags,
-- the cell's values, separated by `;` or spaces, replace them).
-- @module kickoff.cli.batch
local args = require("kickoff.cli.args")
local kickoff = require("kickoff")
local output = require("kickoff.cli.output")
local csv = require("kickoff.csv")

local M = {}

local BAR_WIDTH = 30

--- Column name -> how to apply a cell to a row's options (or raise).
local function column_rule(spec, column)
  local name = column:lower():gsub("-", "_")
  if spec.positional and name == spec.positional then
    return function(o, cell) o[spec.positional] = cell end
  end
  local key = column:match("^param%.(.+)$")
  if key then return function(o, cell) o.param[#o.param + 1] = key .. "=" .. cell end end
  key = column:match("^json%.(.+)$")
  if key then return function(o, cell) o.param[#o.param + 1] = key .. ":=" .. cell end end
  for _, opt in ipairs(spec.launch_options) do
    if opt.name == name and opt.name ~= "param" then
      if opt.kind == "list" then
        return function(o, cell)
          local list = {}
          for item in cell:gmatch("[^;%s]+") do list[#list + 1] = item end
          o[opt.name] = list
        end
      end
      return function(o, cell) args.store(opt, o, cell, "column " .. column) end
    end
  end
end

local function columns_help(spec)
  local names = {}
  if spec.positional then names[1] = spec.positional end
  for _, opt in ipairs(spec.launch_options) do
    names[#names + 1] = opt.name == "param" and "param.KEY, json.KEY" or opt.name
  end
  return table.concat(names, ", ")
end

local function copy_options(base)
  local o = {}
  for k, v in pairs(base) do
    o[k] = type(v) == "table" and { table.unpack(v) } or v
  end
  o.param = o.param or {}
  return o
end

--- Read the rows of a batch file into launch options.
-- @param spec the vendor's entry in kickoff.cli.vendors
-- @param path CSV file
-- @param base options from the command line
-- @return list of option tables; raises a usage error (nothing is sent)
function M.rows(spec, path, base)
  local records, err = csv.records(path, true)
  if not records then args.fail("--batch %s: %s", path, err) end
  if #records == 0 then args.fail("--batch %s: no rows", path) end
  local rules, rows = {}, {}
  for i, record in ipairs(records) do
    local o = copy_options(base)
    local columns = {}
    for column in pairs(record) do columns[#columns + 1] = column end
    table.sort(columns) -- param.* cells in a stable order
    for _, column in ipairs(columns) do
      local rule = rules[column] or column_rule(spec, column)
      if not rule then
        args.fail("--batch %s: unknown column '%s' (columns: %s)", path, column, columns_help(spec))
      end
      rules[column] = rule
      rule(o, record[column])
    end
    rows[i] = o
  end
  return rows
end

local function progress_bar(errout, done, total, ok, failed)
  local filled = math.floor(BAR_WIDTH * done / total)
  errout:write(string.format("\r[%s%s] %d/%d  ok %d  failed %d", string.rep("#", filled),
    string.rep(".", BAR_WIDTH - filled), done, total, ok, failed))
  if done == total then errout:write("\n") end
  errout:flush()
end

--- Whether a row's result counts as success, and the error to report.
local function judge(run, err, want_success)
  if not run then return false, err end
  if output.run_status(run, want_success) ~= output.OK then
    return false, string.format("%s run %s ended %s [%s]", run.vendor, tostring(run.id), run.status,
      tostring(run.vendor_status))
  end
  return true
end

--- Launch every row.
-- @tparam table b file, rows (from M.rows), launch (function(options) ->
-- run, err), concurrency, wait (rows must succeed), json, tty, out, errout
-- @return exit status
function M.run(b)
  local total, done_ok, done_failed = #b.rows, 0, 0
  local outcomes = {}
  local function record(index, run, err)
    local ok, why = judge(run, err, b.wait)
    outcomes[index] = { ok = ok, run = run, err = why }
    if ok then done_ok = done_ok + 1 else done_failed = done_failed + 1 end
    if b.tty then
      progress_bar(b.errout, done_ok + done_failed, total, done_ok, done_failed)
    elseif not b.json then
      b.out:write(string.format("row %d: %s\n", index,
        ok and output.run_line(run, "launched") or ("error: " .. output.one_line(tostring(why)))))
      b.out:flush()
    end
  end
  kickoff.map(b.rows, b.launch, {
    concurrency = b.concurrency,
    progress = function(_, _, index, run, err) record(index, run, err) end,
  })
  return M.summary(b, outcomes)
end

--- Print the summary and return the exit status: 3 when any launch's
-- outcome is unknown (check before re-running those rows), else 1 when any
-- row failed, else 0.
function M.summary(b, outcomes)
  local ok, failed, unknown = 0, 0, 0
  local rows_json, failures = {}, {}
  for i = 1, #b.rows do
    local r = outcomes[i]
    if r.ok then
      ok = ok + 1
      rows_json[i] = { row = i, ok = true, run = output.run_table(r.run) }
    else
      failed = failed + 1
      if output.exit_status(r.err) == output.UNKNOWN then unknown = unknown + 1 end
      rows_json[i] = { row = i, ok = false, error = output.error_table(r.err) }
      failures[#failures + 1] = string.format("  row %d: %s", i, output.one_line(tostring(r.err)))
    end
  end
  if b.json then
    b.out:write(output.encode({ batch = b.file, total = #b.rows, ok = ok, failed = failed,
      outcome_unknown = unknown, rows = rows_json }), "\n")
  else
    b.out:write(string.format("batch %s: %d rows, %d ok, %d failed (%d outcome unknown)\n", b.file, #b.rows,
      ok, failed, unknown))
    if #failures > 0 then b.out:write("failed rows:\n", table.concat(failures, "\n"), "\n") end
  end
  if unknown > 0 then return output.UNKNOWN end
  return failed > 0 and output.FAILED or output.OK
end

return M
