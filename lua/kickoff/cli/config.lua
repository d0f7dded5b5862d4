--- Where `kickoff` finds credentials and hosts: command-line flags win over
-- environment variables, which win over the config file (KEY=value lines
-- with the environment variables' names). A config file that holds a
-- secret must not be readable by group or others (chmod 600), or it is
-- refused.
-- @module kickoff.cli.config
local args = require("kickoff.cli.args")

local M = {}

-- Per vendor: client option, its flag, and the variables that may hold it
-- (the first one set wins). Campaigns falls back to the Domo names because
-- its credentials are a Domo instance, access token and token owner.
M.settings = {
  domo = {
    { option = "instance", flag = "--instance", arg = "NAME", env = { "DOMO_INSTANCE" },
      help = "Domo instance sub-domain (acme for acme.domo.com)" },
    { option = "token", flag = "--token", arg = "TOKEN", env = { "DOMO_ACCESS_TOKEN" }, secret = true,
      help = "Domo developer token (prefer the environment)" },
    { option = "base_url", flag = "--base-url", arg = "URL", env = { "DOMO_BASE_URL" },
      help = "API base URL instead of the instance (e.g. the sandbox)" },
  },
  zuora = {
    { option = "env", flag = "--env", arg = "NAME", env = { "ZUORA_ENV" },
      help = "Zuora data centre, e.g. us-sandbox-cloud2" },
    { option = "client_id", flag = "--client-id", arg = "ID", env = { "ZUORA_CLIENT_ID" },
      help = "OAuth client id" },
    { option = "client_secret", flag = "--client-secret", arg = "SECRET", env = { "ZUORA_CLIENT_SECRET" },
      secret = true, help = "OAuth client secret (prefer the environment)" },
    { option = "base_url", flag = "--base-url", arg = "URL", env = { "ZUORA_BASE_URL" },
      help = "API base URL instead of the data centre" },
  },
  campaigns = {
    { option = "instance", flag = "--instance", arg = "HOST", env = { "CAMPAIGNS_INSTANCE", "DOMO_INSTANCE" },
      help = "Domo instance host, e.g. acme.domo.com" },
    { option = "token", flag = "--token", arg = "TOKEN", env = { "CAMPAIGNS_ACCESS_TOKEN", "DOMO_ACCESS_TOKEN" },
      secret = true, help = "Domo access token (prefer the environment)" },
    { option = "owner_email", flag = "--owner-email", arg = "ADDR",
      env = { "CAMPAIGNS_TOKEN_OWNER_EMAIL", "DOMO_TOKEN_OWNER_EMAIL" }, help = "email of the token's owner" },
    { option = "base_url", flag = "--base-url", arg = "URL", env = { "CAMPAIGNS_BASE_URL" },
      help = "API base URL (default: Domo's Campaigns service)" },
  },
  captaindata = {
    { option = "api_key", flag = "--api-key", arg = "KEY", env = { "CAPTAINDATA_API_KEY" }, secret = true,
      help = "Captain Data API key (prefer the environment)" },
    { option = "project_id", flag = "--project-id", arg = "UID", env = { "CAPTAINDATA_PROJECT_ID" },
      help = "workspace (project) uid" },
    { option = "base_url", flag = "--base-url", arg = "URL", env = { "CAPTAINDATA_BASE_URL" },
      help = "API base URL (default: Captain Data's)" },
  },
}

--- Settings every vendor shares.
M.common = {
  { option = "ca_file", flag = "--ca-file", arg = "FILE", env = { "KICKOFF_CA_FILE" },
    help = "CA certificates to trust (e.g. the TLS sandbox's)" },
}

M.vendors = { "domo", "zuora", "campaigns", "captaindata" }

local function each_setting(vendor)
  local list = {}
  for _, s in ipairs(M.settings[vendor] or {}) do list[#list + 1] = s end
  for _, s in ipairs(M.common) do list[#list + 1] = s end
  return list
end

--- Option specs (kickoff.cli.args) for a vendor's settings.
function M.option_specs(vendor)
  local specs = {}
  for _, s in ipairs(each_setting(vendor)) do
    specs[#specs + 1] = { name = s.option, flags = { s.flag }, arg = s.arg, help = s.help }
  end
  return specs
end

-- Every variable name a config file may set, and whether it is a secret.
local function known_names()
  local names = {}
  for _, vendor in ipairs(M.vendors) do
    for _, s in ipairs(each_setting(vendor)) do
      for _, name in ipairs(s.env) do names[name] = names[name] or s.secret or false end
    end
  end
  return names
end

local function default_path()
  local explicit = os.getenv("KICKOFF_CONFIG")
  if explicit and explicit ~= "" then return explicit, true end
  local base = os.getenv("XDG_CONFIG_HOME")
  if not base or base == "" then
    local home = os.getenv("HOME")
    if not home or home == "" then return nil end
    base = home .. "/.config"
  end
  return base .. "/kickoff/config", false
end

local function unquote(v)
  local q = v:sub(1, 1)
  if (q == "'" or q == '"') and #v >= 2 and v:sub(-1) == q then return v:sub(2, -2) end
  return v
end

-- Refuse a file holding secrets that group or others may read.
local function check_private(path, secret_name)
  local lfs = require("lfs")
  local perms = lfs.attributes(path, "permissions")
  if perms and perms:sub(4):find("r") then
    args.fail("config file %s holds a secret (%s) and is readable by group or others (%s): run chmod 600 %s",
      path, secret_name, perms, path)
  end
end

--- Read a config file: KEY=value lines, `#` comments, blank lines, an
-- optional `export ` prefix and optional quotes, so the lines
-- `kickoff sandbox` prints can be pasted in. Values are never echoed in
-- errors (they may be secrets).
-- @param path the file
-- @param explicit whether the user named it (a default file may be missing)
-- @return table name -> value; raises a usage error
function M.read_file(path, explicit)
  local f = io.open(path, "r")
  if not f then
    if explicit then args.fail("cannot read config file %s", path) end
    return {}
  end
  local names, values, secret = known_names(), {}, nil
  local n = 0
  for line in f:lines() do
    n = n + 1
    line = line:gsub("^%s+", ""):gsub("%s+$", "")
    if line ~= "" and not line:find("^#") then
      local key, value = line:gsub("^export%s+", ""):match("^([%w_]+)%s*=%s*(.*)$")
      if not key then
        f:close()
        args.fail("config file %s line %d: expected KEY=value", path, n)
      end
      if names[key] == nil then
        f:close()
        args.fail("config file %s line %d: unknown setting %s", path, n, key)
      end
      values[key] = unquote(value)
      if names[key] then secret = secret or key end
    end
  end
  f:close()
  if secret then check_private(path, secret) end
  return values
end

--- A settings source: flags, then the environment, then the config file.
-- @param flags parsed options (by option name); flags.config names a file
function M.new(flags)
  local self = {}
  local file_values
  local function from_file(name)
    if file_values == nil then
      local path, explicit = flags.config, true
      if not path then path, explicit = default_path() end
      file_values = path and M.read_file(path, explicit) or {}
    end
    return file_values[name]
  end
  local function lookup(name)
    local v = os.getenv(name)
    if v ~= nil and v ~= "" then return v end
    v = from_file(name)
    if v ~= nil and v ~= "" then return v end
  end

  --- Client options for a vendor (only the settings that are set).
  function self.client_options(vendor)
    local opts = {}
    for _, s in ipairs(each_setting(vendor)) do
      local v = flags[s.option]
      if v == nil then
        for _, name in ipairs(s.env) do
          v = lookup(name)
          if v ~= nil then break end
        end
      end
      opts[s.option] = v
    end
    return opts
  end
  return self
end

--- The setting behind a client option (for hints and curl variables).
function M.setting(vendor, option)
  for _, s in ipairs(each_setting(vendor)) do
    if s.option == option then return s end
  end
end

--- The vendor's one secret setting (token, API key or client secret).
function M.secret_setting(vendor)
  for _, s in ipairs(each_setting(vendor)) do
    if s.secret then return s end
  end
end

--- "set DOMO_ACCESS_TOKEN (or --token)" for a client option, or nil.
function M.hint(vendor, option)
  local s = M.setting(vendor, option)
  if not s then return nil end
  return string.format("set %s (environment or config file) or pass %s", table.concat(s.env, " or "), s.flag)
end

return M
