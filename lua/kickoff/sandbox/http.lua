--- HTTP/1.1 server side for the sandbox: read one request from a cqueues
-- socket, write one response. Connection management (keep-alive loop,
-- faults, routing) is the caller's business.
--
-- Requests are read strictly one at a time, so pipelined requests simply
-- wait in the socket buffer until the previous response has been written.
local json = require("kickoff.sandbox.json")
local util = require("kickoff.sandbox.util")

local M = {}

M.limits = {
  line = 8192,               -- request line or one header line
  header_bytes = 64 * 1024,  -- whole header block
  headers = 100,             -- number of header fields
  body = 8 * 1024 * 1024,    -- decoded request body
}

local REASONS = {
  [100] = "Continue", [200] = "OK", [201] = "Created", [202] = "Accepted", [204] = "No Content",
  [400] = "Bad Request", [401] = "Unauthorized", [403] = "Forbidden", [404] = "Not Found",
  [405] = "Method Not Allowed", [406] = "Not Acceptable", [408] = "Request Timeout",
  [409] = "Conflict", [411] = "Length Required", [413] = "Content Too Large",
  [415] = "Unsupported Media Type", [422] = "Unprocessable Content", [429] = "Too Many Requests",
  [431] = "Request Header Fields Too Large", [500] = "Internal Server Error",
  [501] = "Not Implemented", [502] = "Bad Gateway", [503] = "Service Unavailable",
  [504] = "Gateway Timeout",
}

function M.reason(status)
  return REASONS[status] or "Status " .. tostring(status)
end

-- A protocol error: the caller answers with `status` and closes.
local function fail(status, message)
  return nil, status, message
end

-- Read one line without its CR LF. Returns line, or nil and an error.
local function read_line(sock, limits)
  local line, err = sock:read("*l")
  if not line then return nil, err or "closed" end
  -- cqueues splits lines longer than maxline silently; catch that here.
  if #line >= limits.line then return nil, "too long" end
  if line:sub(-1) == "\r" then line = line:sub(1, -2) end
  return line
end

-- Request object methods.
local Request = {}
Request.__index = Request

--- Header value by case-insensitive name (repeated fields joined with ", ").
function Request:header(name)
  return self.hmap[name:lower()]
end

--- Lowercased name -> value map (for the journal).
function Request:header_map()
  return self.hmap
end

local function read_chunked(sock, limits)
  local parts, size = {}, 0
  while true do
    local line, err = read_line(sock, limits)
    if not line then return nil, err end
    local n = tonumber(line:match("^%s*(%x+)"), 16)
    if not n then return nil, "bad chunk size" end
    if n == 0 then break end
    size = size + n
    if size > limits.body then return nil, "too large" end
    local data = sock:read(n)
    if not data or #data ~= n then return nil, "closed" end
    parts[#parts + 1] = data
    local crlf = read_line(sock, limits)
    if crlf ~= "" then return nil, "bad chunk terminator" end
  end
  -- Trailer fields, ignored, up to the empty line.
  for _ = 1, limits.headers do
    local line, err = read_line(sock, limits)
    if not line then return nil, err end
    if line == "" then return table.concat(parts) end
  end
  return nil, "too many trailers"
end

--- Read one request. Returns a request, or nil plus either nothing (the peer
-- closed or went idle: just close) or an HTTP status and message to answer
-- with before closing.
function M.read_request(sock, limits)
  limits = limits or M.limits
  local line, err
  -- RFC 9112 §2.2: ignore empty lines before the request line.
  for _ = 1, 4 do
    line, err = read_line(sock, limits)
    if line ~= "" then break end
  end
  if not line then
    if err == "too long" then return fail(400, "request line too long") end
    return nil
  end
  local method, target, version = line:match("^(%u+) (%S+) HTTP/(%d%.%d)$")
  if not method then return fail(400, "malformed request line") end
  if version ~= "1.1" and version ~= "1.0" then return fail(400, "unsupported HTTP version") end

  local headers, hmap, total = {}, {}, #line
  while true do
    local h, herr = read_line(sock, limits)
    if not h then
      if herr == "too long" then return fail(400, "header line too long") end
      return nil
    end
    if h == "" then break end
    total = total + #h
    if total > limits.header_bytes or #headers >= limits.headers then
      return fail(400, "header section too large")
    end
    local name, value = h:match("^([!#$%%&'*+%-.^_`|~%w]+):[ \t]*(.-)[ \t]*$")
    if not name then return fail(400, "malformed header field") end
    headers[#headers + 1] = { name, value }
    local key = name:lower()
    hmap[key] = hmap[key] and (hmap[key] .. ", " .. value) or value
  end

  -- Absolute-form targets (proxies) carry scheme and authority: drop them.
  local path_query = target:match("^https?://[^/]*(/.*)$") or target
  local path, query = path_query:match("^([^?]*)%??(.*)$")
  local req = setmetatable({
    method = method, target = target, version = version,
    path = path, query = query, headers = headers, hmap = hmap, body = "",
  }, Request)

  local conn = (hmap["connection"] or ""):lower()
  if version == "1.1" then
    req.keep_alive = not conn:find("close", 1, true)
  else
    req.keep_alive = conn:find("keep-alive", 1, true) ~= nil
  end

  local te, cl = hmap["transfer-encoding"], hmap["content-length"]
  local expect = (hmap["expect"] or ""):lower() == "100-continue"
  local function continue()
    if expect and version == "1.1" then
      sock:write("HTTP/1.1 100 Continue\r\n\r\n")
      sock:flush()
    end
  end
  if te then
    if te:lower() ~= "chunked" then return fail(501, "unsupported transfer-encoding") end
    -- RFC 9112 §6.3: with both, Transfer-Encoding wins and the connection
    -- must close afterwards (request smuggling defence).
    if cl then req.keep_alive = false end
    continue()
    local body, berr = read_chunked(sock, limits)
    if not body then
      if berr == "too large" then return fail(413, "request body too large") end
      if berr == "closed" or berr == "ETIMEDOUT" then return nil end
      return fail(400, "malformed chunked body")
    end
    req.body = body
  elseif cl then
    if not cl:match("^%d+$") then return fail(400, "invalid content-length") end
    local n = tonumber(cl)
    if n > limits.body then return fail(413, "request body too large") end
    if n > 0 then
      continue()
      local body = sock:read(n)
      if not body or #body ~= n then return nil end
      req.body = body
    end
  end
  return req
end

--- Response constructors. Headers are a list of {name, value} pairs so that
-- order and spelling are kept as written.
function M.response(status, body, content_type, headers)
  local res = { status = status, body = body or "", headers = headers or {} }
  if content_type then table.insert(res.headers, 1, { "Content-Type", content_type }) end
  return res
end

--- A JSON response; value is encoded with the sandbox encoder.
function M.json(status, value, headers)
  return M.response(status, json.encode(value), "application/json", headers)
end

--- Get a response header by case-insensitive name.
function M.get_header(res, name)
  name = name:lower()
  for _, h in ipairs(res.headers) do
    if h[1]:lower() == name then return h[2] end
  end
end

--- Set (replace) a response header.
function M.set_header(res, name, value)
  local lname = name:lower()
  for i = #res.headers, 1, -1 do
    if res.headers[i][1]:lower() == lname then table.remove(res.headers, i) end
  end
  if value ~= nil then res.headers[#res.headers + 1] = { name, tostring(value) } end
end

--- Serialize and write a response. res = { status, headers = { {name, value}
-- ... } or { name = value }, body = string }. Adds Content-Length, Date and
-- Connection. Returns true, or nil and an error.
function M.write_response(sock, res, keep_alive)
  local parts = { string.format("HTTP/1.1 %d %s\r\n", res.status, M.reason(res.status)) }
  local body = res.body or ""
  local seen = {}
  local function add(name, value)
    seen[name:lower()] = true
    parts[#parts + 1] = name .. ": " .. tostring(value) .. "\r\n"
  end
  for k, v in pairs(res.headers or {}) do
    if type(k) == "number" then add(v[1], v[2]) else add(k, v) end
  end
  if not seen["content-length"] then add("Content-Length", #body) end
  if not seen["date"] then add("Date", util.http_date(util.now())) end
  add("Connection", keep_alive and "keep-alive" or "close")
  parts[#parts + 1] = "\r\n"
  parts[#parts + 1] = res.head_only and "" or body
  local ok, err = sock:write(table.concat(parts))
  if not ok then return nil, err end
  return sock:flush()
end

--- Build the raw bytes of a response head (status line + headers, with the
-- blank line), for faults that write part of a response by hand.
function M.head_bytes(res, content_length)
  local parts = { string.format("HTTP/1.1 %d %s\r\n", res.status, M.reason(res.status)) }
  for k, v in pairs(res.headers or {}) do
    local name, value = k, v
    if type(k) == "number" then name, value = v[1], v[2] end
    if name:lower() ~= "content-length" then parts[#parts + 1] = name .. ": " .. tostring(value) .. "\r\n" end
  end
  parts[#parts + 1] = "Content-Length: " .. content_length .. "\r\n"
  parts[#parts + 1] = "Date: " .. util.http_date(util.now()) .. "\r\nConnection: close\r\n\r\n"
  return table.concat(parts)
end

return M
