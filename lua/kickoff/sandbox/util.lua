--- Small helpers shared by the sandbox modules: clock, ids, time formats,
-- URL decoding, table copies. Nothing vendor-specific lives here.
local cqueues = require("cqueues")

local M = {}

-- Wall clock with sub-second precision. Lua's os.time() has one-second
-- resolution, so anchor the monotonic clock to the best wall clock we can get
-- once, then derive: timestamps stay ordered even if the system clock steps.
local wall0
do
  local ok, core = pcall(require, "socket.core")
  wall0 = ok and core.gettime and core.gettime() or os.time()
end
local mono0 = cqueues.monotime()

--- Seconds since the epoch, as a float.
function M.now()
  return wall0 + (cqueues.monotime() - mono0)
end

local function split_time(t)
  local secs = math.floor(t)
  return secs, t - secs
end

--- "2023-11-15T15:28:57.479Z" (Domo).
function M.iso_ms(t)
  local secs, frac = split_time(t)
  return os.date("!%Y-%m-%dT%H:%M:%S", secs) .. string.format(".%03dZ", math.min(999, math.floor(frac * 1e3)))
end

--- "2024-10-26T22:35:35.803378" (Captain Data: microseconds, no zone).
function M.iso_us(t)
  local secs, frac = split_time(t)
  return os.date("!%Y-%m-%dT%H:%M:%S", secs) .. string.format(".%06d", math.min(999999, math.floor(frac * 1e6)))
end

--- "2024-10-26 22:35:35" (Zuora workflow timestamps).
function M.ymd_hms(t)
  return os.date("!%Y-%m-%d %H:%M:%S", math.floor(t))
end

--- RFC 7231 date for the Date header.
function M.http_date(t)
  return os.date("!%a, %d %b %Y %H:%M:%S GMT", math.floor(t))
end

--- Random UUIDv4 from math.random (seeded by the server, so runs repeat).
function M.uuid()
  local r = math.random
  return string.format("%08x-%04x-4%03x-%04x-%012x",
    r(0, 0xffffffff), r(0, 0xffff), r(0, 0xfff), r(0, 0x3fff) | 0x8000, r(0, 0xffffffffffff))
end

--- Random lowercase hex string of n characters.
function M.hex(n)
  local out = {}
  for i = 1, n do out[i] = string.format("%x", math.random(0, 15)) end
  return table.concat(out)
end

--- Percent-decoding; plus_space also maps "+" to " " (form encoding).
function M.url_decode(s, plus_space)
  if plus_space then s = s:gsub("+", " ") end
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

--- Parse "a=1&b=2" into a table (last value wins).
function M.parse_form(s)
  local out = {}
  for pair in (s or ""):gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    out[M.url_decode(k, true)] = M.url_decode(v, true)
  end
  return out
end

--- Deep copy of plain data (metatables are kept: they mark JSON arrays).
function M.copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = M.copy(x) end
  return setmetatable(out, getmetatable(v))
end

--- Deep merge src into dst: objects merge key by key, anything else
-- (scalars, arrays) replaces. Returns dst.
function M.merge(dst, src, is_array)
  for k, v in pairs(src) do
    if type(v) == "table" and type(dst[k]) == "table" and not is_array(v) and not is_array(dst[k]) then
      M.merge(dst[k], v, is_array)
    else
      dst[k] = M.copy(v)
    end
  end
  return dst
end

--- Look a key up in a map whose keys came from JSON (always strings).
function M.lookup(map, key)
  if map == nil or key == nil then return nil end
  return map[tostring(key)]
end

--- Keys of a map, sorted, for stable listings.
function M.sorted_keys(map)
  local keys = {}
  for k in pairs(map or {}) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

--- Standard base64 (RFC 4648 §4) with padding.
function M.base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = (a << 16) | ((b or 0) << 8) | (c or 0)
    local chars = {}
    for k = 1, 4 do
      local idx = (n >> (6 * (4 - k))) & 63
      chars[k] = B64:sub(idx + 1, idx + 1)
    end
    if not b then chars[3] = "=" end
    if not c then chars[4] = "=" end
    out[#out + 1] = table.concat(chars)
  end
  return table.concat(out)
end

-- Fields of /proc/<pid>/stat: pid and start time (clock ticks since boot).
-- The comm field may contain spaces, so parse after its closing ")".
local function proc_stat(pid)
  local f = io.open("/proc/" .. pid .. "/stat", "r")
  if not f then return nil end
  local line = f:read("l") or ""
  f:close()
  local id, rest = line:match("^(%d+) %(.*%) (.*)$")
  if not id then return nil end
  local fields = {}
  for x in rest:gmatch("%S+") do fields[#fields + 1] = x end
  -- rest starts at field 3 (state); starttime is field 22.
  return tonumber(id), fields[20], fields[1]
end

--- This process's id and start time (Linux /proc; nil elsewhere).
function M.getpid()
  local pid, start = proc_stat("self")
  return pid, start
end

-- Whether /proc can be read, found once (alive runs every second).
local has_proc
do
  local f = io.open("/proc/self/stat", "r")
  has_proc = f ~= nil
  if f then f:close() end
end

--- Is the process (pid, start time from getpid) still alive? Comparing the
-- start time guards against pid reuse. Without /proc, assume it is.
function M.alive(pid, start)
  if not has_proc then return true end
  local id, st, state = proc_stat(pid)
  -- A killed process stays a zombie ("Z") until its parent reaps it.
  return id ~= nil and state ~= "Z" and (start == nil or st == start)
end

return M
