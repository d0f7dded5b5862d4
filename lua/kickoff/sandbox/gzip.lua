--- gzip for the sandbox: inflate (RFC 1951) and gunzip (RFC 1952) for
-- request bodies sent with `Content-Encoding: gzip` (Zuora accepts them).
-- Pure Lua because Debian ships no zlib binding for Lua 5.4; request bodies
-- are small, so speed is not a concern (~7 MB/s).
local M = {}

local crc_table = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do
    if c & 1 == 1 then c = 0xEDB88320 ~ (c >> 1) else c = c >> 1 end
  end
  crc_table[i] = c
end

--- CRC-32 (the gzip/zlib polynomial) of a string.
function M.crc32(s)
  local c = 0xFFFFFFFF
  for i = 1, #s do
    c = crc_table[(c ~ s:byte(i)) & 0xFF] ~ (c >> 8)
  end
  return c ~ 0xFFFFFFFF
end

-- Bit reader over a string, least-significant bit first (RFC 1951 §3.1.1).
local function reader(s, pos)
  local self = { s = s, pos = pos, bitbuf = 0, bitcnt = 0 }
  function self.need(n)
    while self.bitcnt < n do
      local b = s:byte(self.pos)
      if not b then error("gzip: unexpected end of data", 0) end
      self.pos = self.pos + 1
      self.bitbuf = self.bitbuf | (b << self.bitcnt)
      self.bitcnt = self.bitcnt + 8
    end
  end
  function self.bits(n)
    if n == 0 then return 0 end
    self.need(n)
    local v = self.bitbuf & ((1 << n) - 1)
    self.bitbuf = self.bitbuf >> n
    self.bitcnt = self.bitcnt - n
    return v
  end
  function self.align()
    self.bitbuf, self.bitcnt = 0, 0
  end
  return self
end

-- Canonical Huffman decoding table: counts per length and symbols in order.
local function build(lengths, n)
  local count, symbols, offs = {}, {}, {}
  for len = 0, 15 do count[len] = 0 end
  for sym = 0, n - 1 do
    local len = lengths[sym] or 0
    count[len] = count[len] + 1
  end
  offs[1] = 0
  for len = 1, 14 do offs[len + 1] = offs[len] + count[len] end
  for sym = 0, n - 1 do
    local len = lengths[sym] or 0
    if len ~= 0 then
      symbols[offs[len]] = sym
      offs[len] = offs[len] + 1
    end
  end
  return { count = count, symbols = symbols }
end

local function decode_sym(br, h)
  local code, first, index = 0, 0, 0
  for len = 1, 15 do
    code = code | br.bits(1)
    local c = h.count[len]
    if code - c < first then return h.symbols[index + (code - first)] end
    index = index + c
    first = (first + c) << 1
    code = code << 1
  end
  error("gzip: bad Huffman code", 0)
end

local LEN_BASE = { [0] = 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
  35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 }
local LEN_EXTRA = { [0] = 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
  3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 }
local DIST_BASE = { [0] = 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
  257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577 }
local DIST_EXTRA = { [0] = 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
  7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 }
local CL_ORDER = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 }

local fixed_lit, fixed_dist
do
  local l = {}
  for i = 0, 143 do l[i] = 8 end
  for i = 144, 255 do l[i] = 9 end
  for i = 256, 279 do l[i] = 7 end
  for i = 280, 287 do l[i] = 8 end
  fixed_lit = build(l, 288)
  local d = {}
  for i = 0, 29 do d[i] = 5 end
  fixed_dist = build(d, 30)
end

local function dynamic_tables(br)
  local nlen, ndist, ncode = br.bits(5) + 257, br.bits(5) + 1, br.bits(4) + 4
  local cl = {}
  for i = 1, ncode do cl[CL_ORDER[i]] = br.bits(3) end
  local clh = build(cl, 19)
  local lengths, i = {}, 0
  while i < nlen + ndist do
    local sym = decode_sym(br, clh)
    if sym < 16 then
      lengths[i], i = sym, i + 1
    else
      local rep, val
      val = 0
      if sym == 16 then
        if i == 0 then error("gzip: repeat with no previous length", 0) end
        val, rep = lengths[i - 1], 3 + br.bits(2)
      elseif sym == 17 then
        rep = 3 + br.bits(3)
      else
        rep = 11 + br.bits(7)
      end
      for _ = 1, rep do lengths[i], i = val, i + 1 end
    end
  end
  local lit, dist = {}, {}
  for k = 0, nlen - 1 do lit[k] = lengths[k] end
  for k = 0, ndist - 1 do dist[k] = lengths[nlen + k] end
  return build(lit, nlen), build(dist, ndist)
end

--- Inflate raw DEFLATE data starting at byte pos (default 1).
-- Returns the data and the position after the last block; raises on error.
-- max_out bounds the output (a defence against decompression bombs).
function M.inflate(s, pos, max_out)
  max_out = max_out or 64 * 1024 * 1024
  local br = reader(s, pos or 1)
  local out, n = {}, 0 -- out holds single bytes (as strings) for back-references
  repeat
    local final, btype = br.bits(1), br.bits(2)
    if btype == 0 then
      br.align()
      local p = br.pos
      local len = (s:byte(p) or 0) | ((s:byte(p + 1) or 0) << 8)
      local nlen = (s:byte(p + 2) or 0) | ((s:byte(p + 3) or 0) << 8)
      if len ~= (~nlen & 0xFFFF) or p + 3 + len > #s then error("gzip: bad stored block", 0) end
      for k = p + 4, p + 3 + len do n = n + 1; out[n] = s:sub(k, k) end
      br.pos = p + 4 + len
    elseif btype == 1 or btype == 2 then
      local lit, dist = fixed_lit, fixed_dist
      if btype == 2 then lit, dist = dynamic_tables(br) end
      while true do
        local sym = decode_sym(br, lit)
        if sym < 256 then
          n = n + 1; out[n] = string.char(sym)
        elseif sym == 256 then
          break
        else
          sym = sym - 257
          if sym > 28 then error("gzip: bad length symbol", 0) end
          local len = LEN_BASE[sym] + br.bits(LEN_EXTRA[sym])
          local dsym = decode_sym(br, dist)
          if dsym > 29 then error("gzip: bad distance symbol", 0) end
          local d = DIST_BASE[dsym] + br.bits(DIST_EXTRA[dsym])
          if d > n then error("gzip: distance too far back", 0) end
          for _ = 1, len do n = n + 1; out[n] = out[n - d] end
        end
        if n > max_out then error("gzip: output too large", 0) end
      end
    else
      error("gzip: bad block type", 0)
    end
    if n > max_out then error("gzip: output too large", 0) end
  until final == 1
  return table.concat(out), br.pos
end

--- Decompress a gzip member (RFC 1952). Returns data, or nil and an error.
function M.gunzip(s, max_out)
  local ok, res = pcall(function()
    if #s < 18 or s:byte(1) ~= 0x1f or s:byte(2) ~= 0x8b or s:byte(3) ~= 8 then
      error("gzip: not a gzip stream", 0)
    end
    local flg, pos = s:byte(4), 11
    if flg & 4 ~= 0 then pos = pos + 2 + (s:byte(pos) | (s:byte(pos + 1) << 8)) end -- FEXTRA
    if flg & 8 ~= 0 then pos = (s:find("\0", pos, true) or #s) + 1 end -- FNAME
    if flg & 16 ~= 0 then pos = (s:find("\0", pos, true) or #s) + 1 end -- FCOMMENT
    if flg & 2 ~= 0 then pos = pos + 2 end -- FHCRC
    local data, after = M.inflate(s, pos, max_out)
    local crc, isize = string.unpack("<I4I4", s, after)
    if crc ~= M.crc32(data) or isize ~= #data & 0xFFFFFFFF then error("gzip: checksum mismatch", 0) end
    return data
  end)
  if ok then return res end
  return nil, res
end

return M
