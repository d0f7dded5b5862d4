--- `--dry-run`: show the exact request a verb would send, with secrets
-- redacted, and the equivalent curl command, and send nothing. The client
-- option dry_run hands us the request table a verb built; the vendor's auth
-- scheme and header names come from the C vendor table (core.vendors()).
-- In the curl command a secret appears as a shell variable ("$NAME"), so
-- the command runs once the variable is exported and prints no secret.
-- @module kickoff.cli.dryrun
local Error = require("kickoff.error")
local config = require("kickoff.cli.config")
local output = require("kickoff.cli.output")
local transport = require("kickoff.transport")
local json = require("kickoff.json")

local M = {}

local REDACTED = "[REDACTED]"

--- A client option: record each request instead of sending it.
-- @param vendor name
-- @param sink list receiving the request tables
function M.hook(vendor, sink)
  return function(req)
    sink[#sink + 1] = req
    return Error.new { kind = "canceled", vendor = vendor, attempts = 0,
      message = "dry run: the request was not sent" }
  end
end

-- A value for the curl command: literal text, or a variable's value.
local function literal(s) return { text = s } end
local function variable(name) return { var = name } end

-- Joins parts (literal or variable) into one shell word.
local function shell_word(parts)
  local out, text = {}, {}
  local function flush()
    if #text > 0 then out[#out + 1] = output.shell_quote(table.concat(text)) end
    text = {}
  end
  for _, p in ipairs(parts) do
    if p.var then
      flush()
      out[#out + 1] = '"$' .. p.var .. '"'
    else
      text[#text + 1] = p.text
    end
  end
  flush()
  return #out > 0 and table.concat(out) or "''"
end

local function shown(parts)
  local out = {}
  for _, p in ipairs(parts) do out[#out + 1] = p.var and REDACTED or p.text end
  return table.concat(out)
end

-- The environment variable that holds a setting (the curl command's $NAME).
local function env_name(vendor, option)
  return config.setting(vendor, option).env[1]
end

--- Describe one request: method, url, headers (name, parts), body parts.
-- @param client the vendor client (base_url, vendor)
-- @param req the request table the verb built
-- @param user_agent the User-Agent the client sends
-- @param project_id the project header's value (not a secret), if any
function M.describe(client, req, user_agent, project_id)
  local vendor = client.vendor
  local v = transport.vendors[vendor]
  local headers = {}
  local function add(name, parts) headers[#headers + 1] = { name = name, parts = parts } end
  local names = {}
  for name in pairs(req.headers or {}) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do add(name, { literal(req.headers[name]) }) end
  if req.content_type then add("Content-Type", { literal(req.content_type) }) end
  if req.idempotency_key and v.idempotency_header then add(v.idempotency_header, { literal(req.idempotency_key) }) end
  if req.gzip and req.body then add("Content-Encoding", { literal("gzip") }) end
  local secret_var = env_name(vendor, config.secret_setting(vendor).option)
  local token_step
  if v.auth == "header" or v.auth == "apikey_project" then
    add(v.auth_header, { literal(v.auth_prefix or ""), variable(secret_var) })
    if v.project_header then add(v.project_header, { literal(project_id or "") }) end
  elseif v.auth == "oauth_client_credentials" then
    local token_var = vendor:upper() .. "_ACCESS_TOKEN"
    add(v.auth_header, { literal(v.auth_prefix or ""), variable(token_var) })
    token_step = {
      url = client.base_url .. v.token_path, variable = token_var,
      id_variable = env_name(vendor, "client_id"), secret_variable = secret_var,
    }
  end
  add("User-Agent", { literal(user_agent) })
  local body
  if req.body then
    body = { literal(req.body) }
    if v.auth == "body_field" then
      -- the core writes the secret as the body's first field
      local rest = req.body:match("^%s*{(.*)$") or ""
      local sep = rest:match("^%s*}") and "" or ","
      body = { literal('{"' .. v.body_secret_field .. '":"'), variable(secret_var),
        literal('"' .. sep .. rest) }
    end
  end
  return {
    method = req.method or "GET", url = req.url or (client.base_url .. (req.path or "")),
    headers = headers, body = body, gzip = req.gzip and req.body ~= nil, token = token_step,
  }
end

--- The request as text: request line, headers, blank line, body.
function M.request_text(d)
  local lines = { d.method .. " " .. d.url }
  for _, h in ipairs(d.headers) do lines[#lines + 1] = h.name .. ": " .. shown(h.parts) end
  if d.body then
    lines[#lines + 1] = ""
    lines[#lines + 1] = shown(d.body) .. (d.gzip and "\n(sent gzip-compressed)" or "")
  end
  return table.concat(lines, "\n")
end

--- The equivalent curl command(s), secrets as shell variables.
function M.curl(d)
  local lines = {}
  if d.token then
    lines[#lines + 1] = "# the OAuth token kickoff fetches first (once, then cached):"
    lines[#lines + 1] = string.format("%s=$(curl -sS -X POST %s -H 'Accept: application/json' \\\n"
      .. "  --data-urlencode \"client_id=$%s\" --data-urlencode \"client_secret=$%s\" \\\n"
      .. "  -d grant_type=client_credentials | sed -n 's/.*\"access_token\" *: *\"\\([^\"]*\\)\".*/\\1/p')",
      d.token.variable, output.shell_quote(d.token.url), d.token.id_variable, d.token.secret_variable)
  end
  local cmd = { "curl -sS -X " .. d.method .. " " .. output.shell_quote(d.url) }
  for _, h in ipairs(d.headers) do
    local parts = { literal(h.name .. ": ") }
    for _, p in ipairs(h.parts) do parts[#parts + 1] = p end
    cmd[#cmd + 1] = "-H " .. shell_word(parts)
  end
  cmd[#cmd + 1] = "-H 'Expect:'"
  if d.body then
    cmd[#cmd + 1] = "--data-binary " .. shell_word(d.body)
    if d.gzip then lines[#lines + 1] = "# kickoff sends this body gzip-compressed (Content-Encoding: gzip)" end
  end
  lines[#lines + 1] = table.concat(cmd, " \\\n  ")
  return table.concat(lines, "\n")
end

--- Variables the curl command reads (to tell the user what to export).
function M.variables(d)
  local seen, list = {}, {}
  local function note(name)
    if name and not seen[name] then
      seen[name] = true
      list[#list + 1] = name
    end
  end
  if d.token then
    note(d.token.id_variable)
    note(d.token.secret_variable)
  end
  for _, h in ipairs(d.headers) do
    for _, p in ipairs(h.parts) do if p.var and not (d.token and p.var == d.token.variable) then note(p.var) end end
  end
  for _, p in ipairs(d.body or {}) do note(p.var) end
  return list
end

--- A plain table for --json.
function M.as_table(d)
  local headers = {}
  for _, h in ipairs(d.headers) do headers[#headers + 1] = { name = h.name, value = shown(h.parts) } end
  return {
    method = d.method, url = d.url, headers = json.array(headers), body = d.body and shown(d.body) or nil,
    gzip = d.gzip or nil, token_url = d.token and d.token.url or nil, curl = M.curl(d),
  }
end

return M
