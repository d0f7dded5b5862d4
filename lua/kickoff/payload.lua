--- Builders for Captain Data jobs: inputs from CSV, steps from a list, and
-- job templates reused across jobs. Pure Lua, no I/O except reading a file.
-- @module kickoff.payload
local Error = require("kickoff.error")
local json = require("kickoff.json")
local v = require("kickoff.validate")

local M = {}

-- Splits CSV text (RFC 4180: quoted fields, doubled quotes, CRLF) into rows.
local function parse_csv(text)
  local rows, row, field, i, n = {}, {}, {}, 1, #text
  local quoted = false
  while i <= n do
    local c = text:sub(i, i)
    if quoted then
      if c == '"' then
        if text:sub(i + 1, i + 1) == '"' then
          field[#field + 1] = '"'
          i = i + 1
        else
          quoted = false
        end
      else
        field[#field + 1] = c
      end
    elseif c == '"' then
      quoted = true
    elseif c == "," then
      row[#row + 1] = table.concat(field)
      field = {}
    elseif c == "\n" or c == "\r" then
      if c == "\r" and text:sub(i + 1, i + 1) == "\n" then i = i + 1 end
      row[#row + 1] = table.concat(field)
      rows[#rows + 1], row, field = row, {}, {}
    else
      field[#field + 1] = c
    end
    i = i + 1
  end
  if quoted then return nil, "unterminated quoted field" end
  if #field > 0 or #row > 0 then
    row[#row + 1] = table.concat(field)
    rows[#rows + 1] = row
  end
  return rows
end

local VENDOR = "captaindata"

local function invalid(field, rule)
  return nil, Error.validation(VENDOR, field, rule)
end

--- Inputs from CSV: the header row names the keys, each further row is one
-- input. Empty cells are left out. A column named `meta.X` goes to the
-- input's `meta` object (passed through by Captain Data).
-- @tparam string source CSV text, or a path when opts.file is true / the text has no newline
-- @tparam[opt] table opts file (boolean)
-- @return list of inputs, or nil and a validation Error (field "source")
function M.csv_inputs(source, opts)
  v.arg(1, "csv_inputs", source, "string")
  v.arg(2, "csv_inputs", opts, "table", true)
  opts = opts or {}
  local field, rule = v.first(
    function() return v.known_keys(nil, opts, { file = true }) end,
    function() return v.boolean("file", opts.file, { optional = true }) end)
  if field then return invalid(field, rule) end
  local text = source
  if opts.file or not source:find("[\r\n]") then
    if source:find("%z") then return invalid("source", "must be a file name without NUL bytes") end
    local f, err = io.open(source, "rb")
    if not f then return invalid("source", "cannot read the CSV file: " .. tostring(err)) end
    local rerr
    text, rerr = f:read("a")
    f:close()
    if not text then return invalid("source", "cannot read the CSV file: " .. tostring(rerr)) end
  end
  local rows, err = parse_csv(text)
  if not rows then return invalid("source", "is not valid CSV: " .. err) end
  local header = table.remove(rows, 1)
  if not header then return invalid("source", "has no header row") end
  local inputs = {}
  for r, row in ipairs(rows) do
    if not (#row == 1 and row[1] == "") then -- skip blank lines
      if #row > #header then
        return invalid("source", string.format("row %d has %d cells but the header has %d", r + 1, #row, #header))
      end
      local input = {}
      for c, name in ipairs(header) do
        local value = row[c]
        if value and value ~= "" then
          local meta_key = name:match("^meta%.(.+)$")
          if meta_key then
            input.meta = input.meta or {}
            input.meta[meta_key] = value
          else
            input[name] = value
          end
        end
      end
      inputs[#inputs + 1] = input
    end
  end
  return inputs
end

--- A step: `step(uid, { accounts = {...}, parameters = {...}, ... })`.
-- Shapes only: the step is validated when the job is launched.
-- @tparam string step_uid the step of the workflow (its uid)
-- @tparam[opt] table opts accounts, parameters, accounts_rotation_enabled, output_column
-- @return step table (accounts and parameters default to empty)
function M.step(step_uid, opts)
  v.arg(2, "step", opts, "table", true)
  local s = { step_uid = step_uid, accounts = {}, parameters = {} }
  for k, val in pairs(opts or {}) do s[k] = val end
  return s
end

--- Steps from a list of step uids, `{uid, account...}` lists or step tables.
-- @tparam table list the steps, in order
-- @return list of steps, or nil and a validation Error (field "steps[i]")
function M.steps(list)
  v.arg(1, "steps", list, "table")
  local field, rule = v.list("steps", list, { allow_empty = true })
  if field then return invalid(field, rule) end
  local out = {}
  for i, item in v.items(list) do
    if type(item) == "string" then
      out[i] = M.step(item)
    elseif type(item) ~= "table" then
      return invalid("steps[" .. i .. "]", "must be a step uid, a {uid, account...} list or a step table (got "
        .. type(item) .. ")")
    elseif item.step_uid ~= nil then
      out[i] = M.step(item.step_uid, item)
    else
      field, rule = v.list("steps[" .. i .. "]", item)
      if field then return invalid(field, rule .. " (or a step table with step_uid)") end
      out[i] = M.step(item[1], { accounts = { table.unpack(item, 2) } })
    end
  end
  return out
end

-- Copies a table and what it holds (shared and cyclic parts stay shared
-- and cyclic); only the JSON array/object marks of metatables are kept.
local function deep_copy(x, copies)
  if type(x) ~= "table" then return x end
  if copies[x] then return copies[x] end
  local out = {}
  copies[x] = out
  for k, val in pairs(x) do out[k] = deep_copy(val, copies) end
  if json.is_array(x) then return json.array(out) end
  if json.is_object(x) then return json.object(out) end
  return out
end

--- A job template: steps and options shared by many jobs.
-- `template:job(job_name, inputs, overrides)` returns a fresh job table
-- (steps are copied, so changing one job never changes another). Shapes
-- only: the job is validated when it is launched.
-- @tparam table base steps and job options (unstructure_meta, repeat_option, ...)
-- @return template (a copy of base with a `job` method)
function M.template(base)
  v.arg(1, "template", base, "table")
  local t = deep_copy(base, {})
  function t.job(self, job_name, inputs, overrides)
    if type(self) ~= "table" then
      error("calling 'job' on bad self (table expected, got " .. type(self) .. ")", 2)
    end
    v.arg(3, "job", overrides, "table", true)
    local job = deep_copy(self, {})
    job.job = nil
    job.job_name, job.inputs = job_name, inputs
    for k, val in pairs(overrides or {}) do job[k] = deep_copy(val, {}) end
    return job
  end
  return t
end

return M
