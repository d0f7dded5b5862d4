--- Builders for Captain Data jobs: inputs from CSV, steps from a list, and
-- job templates reused across jobs. Pure Lua, no I/O except reading a file.
-- @module kickoff.payload
local Error = require("kickoff.error")
local csv = require("kickoff.csv")
local json = require("kickoff.json")
local v = require("kickoff.validate")

local M = {}

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
  local records, reason = csv.records(source, opts.file)
  if not records then return invalid("source", reason) end
  local inputs = {}
  for i, record in ipairs(records) do
    local input = {}
    for name, value in pairs(record) do
      local meta_key = name:match("^meta%.(.+)$")
      if meta_key then
        input.meta = input.meta or {}
        input.meta[meta_key] = value
      else
        input[name] = value
      end
    end
    inputs[i] = input
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
