--- Domo Campaigns (vendor-apis.md §3): start a campaign send, and the
-- DataSet-alert variant. The access token travels in the JSON body, so the
-- C core writes it there and treats the whole body as a secret. A start
-- sends email and is never retried once it may have reached the server.
-- @classmod kickoff.campaigns
local Error = require("kickoff.error")
local Run = require("kickoff.run")
local json = require("kickoff.json")
local transport = require("kickoff.transport")
local v = require("kickoff.validate")

local Campaigns = transport.client_class("kickoff.campaigns")

local VENDOR = "campaigns"

local call = transport.call

local EMAIL = "^[%w.!#$%%&'*+/=?^_`{|}~-]+@[%w-]+%.[%w.-]*%w$"

local function check_email(field, s)
  return v.string(field, s, { max = 254, pattern = EMAIL, pattern_rule = "must be an email address like ada@example.com" })
end

--- Create a Campaigns client.
-- @tparam table opts instance (e.g. "acme.domo.com"), token (a Domo access
-- token), owner_email (the token owner's email), optional base_url
-- @return client, or nil, Error
function Campaigns.new(opts)
  opts = transport.check_options("kickoff.campaigns", opts,
    { instance = "string", token = "string", owner_email = "string" })
  local field, rule = v.first(
    function() return v.string("instance", opts.instance, {
      pattern = "^[%w][%w%-]*%.[%w%.%-]*%w$", pattern_rule = "must be the Domo instance host, e.g. acme.domo.com" }) end,
    function() return check_email("owner_email", opts.owner_email) end,
    function() return v.client_options(opts) end)
  if field then return nil, Error.validation(VENDOR, field, rule) end
  local self = setmetatable({ vendor = VENDOR, instance = opts.instance, owner_email = opts.owner_email }, Campaigns)
  return transport.attach(self, { vendor = VENDOR, secret = opts.token }, opts)
end

--- The readable part of an error body (used by the request path).
-- No error body is documented: take a message from JSON or plain text.
-- @param body the decoded error body (a table, or the text)
-- @treturn ?string
function Campaigns.describe_error(body)
  if type(body) == "table" then return body.message or body.error end
  if type(body) == "string" and #body < 300 then return body end
end

local function check_emails(emails, required)
  if emails == nil and not required then return end
  local field, rule = v.list("emails", emails, { allow_empty = not required })
  if field then return field, rule end
  for i, e in v.items(emails) do
    field, rule = check_email("emails[" .. i .. "]", e)
    if field then return field, rule end
  end
end

-- Both starts send these fields; `extra` adds a verb's own.
local function send(self, path, campaign_id, opts, extra)
  local body = {
    campaignId = math.tointeger(campaign_id), domoAccessTokenOwnerEmailAddress = self.owner_email,
    emailAddresses = json.array(opts.emails and { table.unpack(opts.emails) } or {}),
    instance = self.instance,
  }
  for k, val in pairs(extra or {}) do body[k] = val end
  local text, err = transport.encode(self, body)
  if not text then return nil, err end
  local res
  res, err = call(self, {
    method = "POST", path = path, body = text, content_type = "application/json", body_secret = true,
  }, opts)
  if not res then return nil, err end
  local recipients = body.emailAddresses
  return Run.new {
    vendor = VENDOR, id = body.campaignId, vendor_status = "sent", raw = res.json,
    recipients = #recipients > 0 and recipients or "distribution list",
  }
end

local start_options = v.with_call_fields { emails = true }

--- Start a campaign send (POST /api/v1/campaigns/start). 200 with an empty
-- body is success. With no emails, the whole distribution list is sent to.
-- @param campaign_id integer (the campaign's SETTINGS tab)
-- @tparam[opt] table opts emails (list of addresses, each on the list), timeout, deadline
-- @return Run (status "succeeded"), or nil, Error
function Campaigns:start(campaign_id, opts)
  v.arg(2, "start", opts, "table", true)
  opts = opts or {}
  local field, rule = v.first(
    function() return v.integer("campaign_id", campaign_id, { min = 0 }) end,
    function() return v.known_keys(nil, opts, start_options) end,
    function() return check_emails(opts.emails, false) end,
    function() return v.policy(opts) end)
  if field then return nil, Error.validation(VENDOR, field, rule) end
  return send(self, "/api/v1/campaigns/start", campaign_id, opts)
end

local alert_options = v.with_call_fields { emails = true, is_test = true, fields = true }

-- fields: a list of {key=, value=} or a map key -> value (sorted by key).
local function alert_fields(fields)
  if fields == nil then return json.array() end
  if type(fields) ~= "table" then return nil, "fields", "must be a list of {key=, value=} or a map" end
  local out = {}
  if #fields > 0 then
    local bad, why = v.list("fields", fields)
    if bad then return nil, bad, why .. " (or a map of key -> value)" end
    for i, f in v.items(fields) do
      if type(f) ~= "table" then return nil, "fields[" .. i .. "]", "must be a {key=, value=} table" end
      local field, rule = v.string("fields[" .. i .. "].key", f.key)
      if field then return nil, field, rule end
      out[i] = { key = f.key, value = f.value == nil and "" or f.value }
    end
  else
    local keys = {}
    for k in pairs(fields) do
      if type(k) ~= "string" then return nil, "fields", "map keys must be strings" end
      keys[#keys + 1] = k
    end
    table.sort(keys)
    for i, k in ipairs(keys) do out[i] = { key = k, value = fields[k] } end
  end
  return json.array(out)
end

--- The DataSet-alert trigger (POST /api/v1/campaigns/bae/start).
-- @param campaign_id integer
-- @tparam table opts emails, is_test (sends to the Sender Address; needs at
-- least one email), fields ({key=, value=} list or map, rendered as
-- {{domo-alert-KEY}}), timeout, deadline
-- @return Run (status "succeeded"), or nil, Error
function Campaigns:start_alert(campaign_id, opts)
  v.arg(2, "start_alert", opts, "table")
  local fields, bad, why = alert_fields(opts.fields)
  local field, rule = v.first(
    function() return v.integer("campaign_id", campaign_id, { min = 0 }) end,
    function() return v.known_keys(nil, opts, alert_options) end,
    function() return v.boolean("is_test", opts.is_test, { optional = true }) end,
    function() return check_emails(opts.emails, opts.is_test == true) end,
    function() return bad, why end,
    function() return v.policy(opts) end)
  if field then return nil, Error.validation(VENDOR, field, rule) end
  return send(self, "/api/v1/campaigns/bae/start", campaign_id, opts,
    { isTest = opts.is_test == true, fields = fields })
end

function Campaigns:__tostring()
  return "kickoff.campaigns(" .. self.base_url .. " for " .. self.instance .. ")"
end

--- Release the client's connection state now rather than at garbage
-- collection (every client class has it, from transport.client_class).
-- @function Campaigns:close

return Campaigns
