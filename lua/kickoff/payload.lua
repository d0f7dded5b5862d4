--- Builders for Captain Data jobs: inputs from CSV, steps from a list, and
-- job templates reused across jobs. Pure Lua, no I/O except reading a file.
-- @module kickoff.payload
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

--- Inputs from CSV: the header row names the keys, each further row is one
-- input. Empty cells are left out. A column named `meta.X` goes to the
-- input's `meta` object (passed through by Captain Data).
-- @tparam string source CSV text, or a path when opts.file is true / the text has no newline
-- @tparam[opt] table opts file (boolean)
-- @return list of inputs, or nil, message
function M.csv_inputs(source, opts)
  opts = opts or {}
  local text = source
  if opts.file or not source:find("[\r\n]") then
    local f, err = io.open(source, "rb")
    if not f then return nil, "cannot read CSV: " .. tostring(err) end
    text = f:read("a")
    f:close()
  end
  local rows, err = parse_csv(text)
  if not rows then return nil, "CSV: " .. err end
  local header = table.remove(rows, 1)
  if not header then return nil, "CSV: no header row" end
  local inputs = {}
  for r, row in ipairs(rows) do
    if not (#row == 1 and row[1] == "") then -- skip blank lines
      if #row > #header then
        return nil, string.format("CSV: row %d has %d cells but the header has %d", r + 1, #row, #header)
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
-- @tparam string step_uid the step of the workflow (its uid)
-- @tparam[opt] table opts accounts, parameters, accounts_rotation_enabled, output_column
-- @return step table (accounts and parameters default to empty)
function M.step(step_uid, opts)
  local s = { step_uid = step_uid, accounts = {}, parameters = {} }
  for k, val in pairs(opts or {}) do s[k] = val end
  return s
end

--- Steps from a list of `{uid, accounts...}` or step tables.
-- @tparam table list the steps, in order
-- @return list of steps
function M.steps(list)
  local out = {}
  for i, item in ipairs(list) do
    if type(item) == "string" then
      out[i] = M.step(item)
    elseif item.step_uid then
      out[i] = M.step(item.step_uid, item)
    else
      out[i] = M.step(item[1], { accounts = { table.unpack(item, 2) } })
    end
  end
  return out
end

local function deep_copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = deep_copy(x) end
  return setmetatable(out, getmetatable(v))
end

--- A job template: steps and options shared by many jobs.
-- `template:job(job_name, inputs, overrides)` returns a fresh job table
-- (steps are copied, so changing one job never changes another).
-- @tparam table base steps and job options (unstructure_meta, repeat_option, ...)
-- @return template (a copy of base with a `job` method)
function M.template(base)
  local t = deep_copy(base)
  function t.job(self, job_name, inputs, overrides)
    local job = deep_copy(self)
    job.job = nil
    job.job_name, job.inputs = job_name, inputs
    for k, val in pairs(overrides or {}) do job[k] = deep_copy(val) end
    return job
  end
  return t
end

return M
