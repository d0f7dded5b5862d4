--- CSV for any vendor: Captain Data inputs (kickoff.payload.csv_inputs)
-- and the command line's --batch rows.
-- @module kickoff.csv
local M = {}

-- Splits CSV text (RFC 4180: quoted fields, doubled quotes, CRLF) into rows.
function M.parse(text)
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

--- Records from CSV: the header row names the fields, each further row is
-- one record (a table of its non-empty cells); blank lines are skipped.
-- @tparam string source CSV text, or a path when is_file is true or the
-- text has no newline
-- @tparam[opt] boolean is_file
-- @return list of records, or nil and the reason (about the source)
function M.records(source, is_file)
  local text = source
  if is_file or not source:find("[\r\n]") then
    if source:find("%z") then return nil, "must be a file name without NUL bytes" end
    local f, err = io.open(source, "rb")
    if not f then return nil, "cannot read the CSV file: " .. tostring(err) end
    local rerr
    text, rerr = f:read("a")
    f:close()
    if not text then return nil, "cannot read the CSV file: " .. tostring(rerr) end
  end
  local rows, err = M.parse(text)
  if not rows then return nil, "is not valid CSV: " .. err end
  local header = table.remove(rows, 1)
  if not header then return nil, "has no header row" end
  local records = {}
  for r, row in ipairs(rows) do
    if not (#row == 1 and row[1] == "") then
      if #row > #header then
        return nil, string.format("row %d has %d cells but the header has %d", r + 1, #row, #header)
      end
      local record = {}
      for c, name in ipairs(header) do
        local value = row[c]
        if value and value ~= "" then record[name] = value end
      end
      records[#records + 1] = record
    end
  end
  return records
end

return M
