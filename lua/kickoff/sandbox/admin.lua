--- Admin API (plain http on its own loopback port), for tests:
--
--   GET    /__admin/journal[?vendor=domo]   recorded vendor requests, oldest first
--   DELETE /__admin/journal                 clear the journal
--   POST   /__admin/reset                   journal, state, faults, config -> start values
--   GET    /__admin/config                  live config
--   POST   /__admin/config                  deep-merge a JSON object into the config
--   GET    /__admin/state                   seeds, runs/jobs/sent emails, fault counters
--   GET    /__admin/faults                  fault rules with their counters
--   POST   /__admin/faults                  add a fault rule -> {id = n}
--   DELETE /__admin/faults                  remove all fault rules
--   POST   /__admin/shutdown                reply, then exit the process
local http = require("kickoff.sandbox.http")
local json = require("kickoff.sandbox.json")
local router = require("kickoff.sandbox.router")
local util = require("kickoff.sandbox.util")

local M = {}

local function ok(value)
  return http.json(200, value == nil and { ok = true } or value)
end

local function bad(message)
  return http.json(400, { message = message })
end

local function json_object(req)
  if req.body == "" then return {} end
  local v, err = json.decode(req.body)
  if not json.is_object(v) then return nil, "body must be a JSON object" .. (err and ": " .. err or "") end
  return v
end

local routes = {
  { "GET", "^/__admin/journal$", function(server, req)
    local vendor = util.parse_form(req.query).vendor
    return ok(server:journal_list(vendor ~= "" and vendor or nil))
  end },
  { "DELETE", "^/__admin/journal$", function(server)
    server.journal = {}
    return ok()
  end },
  { "POST", "^/__admin/reset$", function(server)
    server:reset()
    return ok()
  end },
  { "GET", "^/__admin/config$", function(server)
    return ok(server.config)
  end },
  { "POST", "^/__admin/config$", function(server, req)
    local v, err = json_object(req)
    if not v then return bad(err) end
    server:configure(v)
    return ok(server.config)
  end },
  { "GET", "^/__admin/state$", function(server)
    return ok(server:state())
  end },
  { "GET", "^/__admin/faults$", function(server)
    return ok(json.array(server.faults:list()))
  end },
  { "POST", "^/__admin/faults$", function(server, req)
    local v, err = json_object(req)
    if not v then return bad(err) end
    local rule, rerr = server.faults:add(v)
    if not rule then return bad(rerr) end
    return ok({ id = rule.id, fault = rule.name, when = rule.when })
  end },
  { "DELETE", "^/__admin/faults$", function(server)
    server.faults:clear()
    return ok()
  end },
  { "POST", "^/__admin/shutdown$", function(server)
    local res = ok()
    res.close = true
    res.after_send = function() server:exit(0) end
    return res
  end },
}

--- Handle one admin request; returns a response.
function M.handle(server, req)
  local handler, caps, allow = router.match(routes, req.method, req.path)
  if handler then return handler(server, req, caps) end
  if caps == 405 then
    return http.json(405, { message = "method not allowed" }, { { "Allow", allow } })
  end
  return http.json(404, { message = "no admin route " .. req.method .. " " .. req.path })
end

return M
