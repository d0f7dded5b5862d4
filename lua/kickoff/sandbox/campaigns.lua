--- Domo Campaigns emulator. Contract: vendor-apis.md §3.
--
-- Seeds (config `campaigns.campaigns`, keyed by campaignId):
--
-- | campaignId | name           | sender                 | distribution list                                  |
-- |------------|----------------|------------------------|----------------------------------------------------|
-- | 42         | Welcome Series | campaigns@example.com  | ada@example.com, grace@example.com, alan@example.com |
-- | 43         | Restricted     | campaigns@example.com  | ada@example.com  (forbidden: 403)                  |
--
-- Credentials travel in the body: credentials.campaigns_token and
-- credentials.campaigns_owner_email (owner compared case-insensitively).
-- Campaign fields: name, sender, list (array), forbidden (bool).
-- Errors are undocumented: `campaigns.error_format` = "json" (a Spring-style
-- {timestamp,status,error,message,path}) or "plain" (text/plain message).
local http = require("kickoff.sandbox.http")
local json = require("kickoff.sandbox.json")
local util = require("kickoff.sandbox.util")

local M = { name = "campaigns" }

M.defaults = {
  error_format = "json",
  campaigns = {
    ["42"] = {
      name = "Welcome Series", sender = "campaigns@example.com",
      list = json.array({ "ada@example.com", "grace@example.com", "alan@example.com" }),
    },
    ["43"] = {
      name = "Restricted", sender = "campaigns@example.com", list = json.array({ "ada@example.com" }),
      forbidden = true,
    },
  },
}

local ERROR = json.order({ "timestamp", "status", "error", "message", "path" })

local Campaigns = {}
Campaigns.__index = Campaigns

function M.new(env)
  local self = setmetatable({ env = env }, Campaigns)
  self.routes = {
    { "POST", "^/api/v1/campaigns/start$", Campaigns.start },
    { "POST", "^/api/v1/campaigns/bae/start$", Campaigns.bae_start },
  }
  self:reset()
  return self
end

function Campaigns:cfg()
  return self.env.config.campaigns
end

-- sent: one entry per accepted start (recipients, skipped addresses...);
-- emails: one entry per email delivered, for simple counting.
function Campaigns:reset()
  self.sent, self.emails = json.array(), json.array()
end

function Campaigns:error(req, status, message)
  if self:cfg().error_format == "plain" then
    return http.response(status, message, "text/plain")
  end
  return http.json(status, json.object({
    timestamp = util.iso_ms(util.now()), status = status, error = http.reason(status),
    message = message, path = req.path,
  }, ERROR))
end

local function string_array(v)
  if v == nil or v == json.null then return true end
  if type(v) ~= "table" or (next(v) ~= nil and not json.is_array(v)) then return false end
  for _, x in ipairs(v) do
    if type(x) ~= "string" then return false end
  end
  return true
end

-- Validate the body shared by both endpoints; returns body or nil, response.
function Campaigns:validate(req, bae)
  local body, err = json.decode(req.body)
  if not json.is_object(body) then
    return nil, self:error(req, 400, "Request body must be a JSON object" .. (err and (": " .. err) or ""))
  end
  if math.type(body.campaignId) ~= "integer" then
    return nil, self:error(req, 400, "campaignId is required and must be a number")
  end
  for _, k in ipairs({ "domoAccessToken", "domoAccessTokenOwnerEmailAddress", "instance" }) do
    if type(body[k]) ~= "string" or body[k] == "" then
      return nil, self:error(req, 400, k .. " is required and must be a string")
    end
  end
  if not string_array(body.emailAddresses) then
    return nil, self:error(req, 400, "emailAddresses must be an array of strings")
  end
  if bae then
    if body.isTest ~= nil and type(body.isTest) ~= "boolean" then
      return nil, self:error(req, 400, "isTest must be a boolean")
    end
    local fields = body.fields
    if fields ~= nil and fields ~= json.null then
      if type(fields) ~= "table" or (next(fields) ~= nil and not json.is_array(fields)) then
        return nil, self:error(req, 400, "fields must be an array of {key, value}")
      end
      for i, f in ipairs(fields) do
        if not json.is_object(f) or type(f.key) ~= "string" or f.value == nil then
          return nil, self:error(req, 400, string.format("fields[%d] must be an object with key and value", i - 1))
        end
      end
    end
  end
  return body
end

function Campaigns:launch(req, bae)
  local body, res = self:validate(req, bae)
  if not body then return res end
  local creds = self.env.credentials
  if body.domoAccessToken ~= creds.campaigns_token then
    return self:error(req, 401, "The Domo access token is not valid")
  end
  if body.domoAccessTokenOwnerEmailAddress:lower() ~= tostring(creds.campaigns_owner_email):lower() then
    return self:error(req, 401, "domoAccessTokenOwnerEmailAddress does not match the token's owner")
  end
  local campaign = util.lookup(self:cfg().campaigns, body.campaignId)
  if not campaign then return self:error(req, 404, "Campaign " .. body.campaignId .. " not found") end
  if campaign.forbidden then
    return self:error(req, 403, "The token's owner cannot access this campaign or its distribution list")
  end
  local emails = body.emailAddresses ~= json.null and body.emailAddresses or {}
  -- An empty list means the whole distribution list (§3.1).
  if bae and body.isTest and #emails == 0 then
    return self:error(req, 400, "isTest requires at least one entry in emailAddresses")
  end

  local now, endpoint = util.now(), bae and "bae/start" or "start"
  local on_list = {}
  for _, e in ipairs(campaign.list or {}) do on_list[e:lower()] = e end
  local recipients, skipped = json.array(), json.array()
  if bae and body.isTest then
    recipients[1] = campaign.sender -- a test send goes to the sender address only
  elseif #emails == 0 then
    for i, e in ipairs(campaign.list or {}) do recipients[i] = e end
  else
    for _, e in ipairs(emails) do
      local listed = on_list[e:lower()]
      -- Addresses not on the distribution list are dropped silently (§3.2).
      if listed then recipients[#recipients + 1] = listed else skipped[#skipped + 1] = e end
    end
  end
  local test = bae and body.isTest or false
  self.sent[#self.sent + 1] = {
    campaignId = body.campaignId, endpoint = endpoint, test = test, instance = body.instance,
    requested = body.emailAddresses ~= json.null and body.emailAddresses or json.array(),
    recipients = recipients, skipped = skipped, fields = body.fields, time = now,
  }
  for _, e in ipairs(recipients) do
    self.emails[#self.emails + 1] = { campaignId = body.campaignId, email = e, test = test, time = now }
  end
  return http.response(200, "") -- documented: 200 with a void body
end

function Campaigns:start(req)
  return self:launch(req, false)
end

function Campaigns:bae_start(req)
  return self:launch(req, true)
end

function Campaigns:state()
  return { sent = self.sent, emails = self.emails }
end

function Campaigns:seeds()
  local list = json.array()
  for _, id in ipairs(util.sorted_keys(self:cfg().campaigns)) do
    local c = self:cfg().campaigns[id]
    list[#list + 1] = {
      campaignId = math.tointeger(tonumber(id)) or id, name = c.name, sender = c.sender,
      list = c.list or json.array(), forbidden = c.forbidden or false,
    }
  end
  return { campaigns = list }
end

return M
