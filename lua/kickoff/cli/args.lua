--- Command-line parsing for `kickoff`: options described by tables, so help
-- text, CSV batch columns and parsing all come from one description.
--
-- An option: { name = "model_id", flags = { "--model-id" }, arg = "UUID",
-- kind = "value" | "list" | "switch" | "number" | "integer", help = "..." }.
-- Which options are valid can depend on the positionals read so far (the
-- verb, then the vendor), so `specs_for(positionals)` is asked again after
-- each one.
-- @module kickoff.cli.args
local M = {}

local Usage = { __name = "kickoff.cli.Usage" }
Usage.__index = Usage
Usage.__tostring = function(self) return self.message end

--- A usage error (exit status 2): raised by the parser, caught by cli.main.
function M.usage(fmt, ...)
  return setmetatable({ message = select("#", ...) > 0 and string.format(fmt, ...) or fmt }, Usage)
end

function M.is_usage(v)
  return getmetatable(v) == Usage
end

--- Raise a usage error.
function M.fail(fmt, ...)
  error(M.usage(fmt, ...), 0)
end

local function index_of(specs)
  local by_flag = {}
  for _, spec in ipairs(specs) do
    for _, flag in ipairs(spec.flags) do by_flag[flag] = spec end
  end
  return by_flag
end

--- Store one option value into opts, converting by kind.
-- @param spec the option
-- @param opts table receiving values (by spec.name)
-- @param value string (nil for a switch)
-- @param shown how to name the option in a message (the flag or CSV column)
function M.store(spec, opts, value, shown)
  local kind = spec.kind or "value"
  if kind == "switch" then
    opts[spec.name] = true
  elseif kind == "list" then
    local list = opts[spec.name] or {}
    list[#list + 1] = value
    opts[spec.name] = list
  elseif kind == "number" or kind == "integer" then
    local n = tonumber(value)
    if kind == "integer" then n = n and math.tointeger(n) end
    if not n or n < (spec.min or -math.huge) or n > (spec.max or math.huge) then
      local range = spec.max and string.format(" from %s to %s", spec.min, spec.max)
        or spec.min and (" >= " .. spec.min) or ""
      M.fail("%s needs %s%s, got '%s'", shown, kind == "integer" and "an integer" or "a number", range, value)
    end
    opts[spec.name] = n
  else
    opts[spec.name] = value
  end
end

--- Parse argv.
-- @param argv list of strings
-- @param specs_for function(positionals) -> list of option specs valid now
-- @param[opt] misplaced function(flag, positionals) -> message for an
-- option that is not valid here (e.g. a vendor option before the vendor)
-- @return opts (by name), positionals; raises a usage error
function M.parse(argv, specs_for, misplaced)
  local opts, positionals = {}, {}
  local by_flag = index_of(specs_for(positionals))
  local i, only_positionals = 1, false
  local function positional(a)
    positionals[#positionals + 1] = a
    by_flag = index_of(specs_for(positionals))
  end
  while i <= #argv do
    local a = argv[i]
    if only_positionals or a == "-" or not a:find("^%-") then
      positional(a)
    elseif a == "--" then
      only_positionals = true
    else
      local flag, inline = a:match("^(%-%-[^=]+)=(.*)$")
      flag = flag or a
      local spec = by_flag[flag]
      if not spec then
        M.fail("%s", misplaced and misplaced(flag, positionals) or ("unknown option " .. flag .. " (see --help)"))
      end
      if (spec.kind or "value") == "switch" then
        if inline then M.fail("%s takes no value", flag) end
        M.store(spec, opts, nil, flag)
      else
        local value = inline
        if not value then
          i = i + 1
          value = argv[i]
          if value == nil then M.fail("%s needs a value (%s)", flag, spec.arg or "VALUE") end
        end
        M.store(spec, opts, value, flag)
      end
    end
    i = i + 1
  end
  return opts, positionals
end

--- Help lines for a list of options, aligned.
function M.describe(specs)
  local rows, width = {}, 0
  for _, spec in ipairs(specs) do
    local left = table.concat(spec.flags, ", ") .. (spec.arg and (" " .. spec.arg) or "")
    rows[#rows + 1] = { left, spec.help or "" }
    width = math.max(width, #left)
  end
  local out = {}
  for _, r in ipairs(rows) do
    if #r[1] > 28 then
      out[#out + 1] = "  " .. r[1] .. "\n  " .. string.rep(" ", 30) .. r[2]
    else
      out[#out + 1] = string.format("  %-" .. math.min(width, 28) .. "s  %s", r[1], r[2])
    end
  end
  return table.concat(out, "\n")
end

return M
