--- TLS material for the sandbox: a throw-away CA and a server certificate for
-- 127.0.0.1 / localhost, made fresh at every start so no key is ever stored
-- in the repository. Clients trust the sandbox through the CA PEM file only.
local bignum = require("openssl.bignum")
local pkey = require("openssl.pkey")
local rand = require("openssl.rand")
local x509 = require("openssl.x509")
local altname = require("openssl.x509.altname")
local extension = require("openssl.x509.extension")
local x509name = require("openssl.x509.name")
local ssl_context = require("openssl.ssl.context")

local M = {}

local function subject(cn)
  local n = x509name.new()
  n:add("O", "kickoff sandbox")
  n:add("CN", cn)
  return n
end

local function new_key()
  -- P-256 keys are generated in milliseconds, unlike RSA.
  return pkey.new({ type = "EC", curve = "prime256v1" })
end

local function base_cert(serial, cn, key, now)
  local crt = x509.new()
  crt:setVersion(3)
  crt:setSerial(bignum.new(serial))
  crt:setSubject(subject(cn))
  crt:setLifetime(now - 3600, now + 30 * 86400) -- tolerate a little clock skew
  crt:setPublicKey(key)
  return crt
end

--- Generate a CA and a server certificate signed by it.
-- Returns { ca_pem, context } where context is a server-side
-- openssl.ssl.context ready for cqueues' socket:starttls().
function M.generate()
  local now = os.time()
  -- Random serials (not from the seeded generator): clients that cache
  -- certificates must not confuse one run's certificate with another's.
  local serial = (string.unpack("<I4", rand.bytes(4)) & 0x3fffffff) + 1

  local ca_key = new_key()
  local ca = base_cert(serial, "kickoff sandbox CA", ca_key, now)
  ca:setIssuer(ca:getSubject())
  ca:addExtension(extension.new("basicConstraints", "critical,CA:TRUE,pathlen:0"))
  ca:addExtension(extension.new("keyUsage", "critical,keyCertSign,cRLSign"))
  ca:addExtension(extension.new("subjectKeyIdentifier", "hash", { subject = ca }))
  ca:sign(ca_key, "sha256")

  local key = new_key()
  local crt = base_cert(serial + 1, "127.0.0.1", key, now)
  crt:setIssuer(ca:getSubject())
  local alt = altname.new()
  alt:add("IP", "127.0.0.1")
  alt:add("DNS", "localhost")
  crt:setSubjectAlt(alt)
  crt:addExtension(extension.new("basicConstraints", "critical,CA:FALSE"))
  crt:addExtension(extension.new("keyUsage", "critical,digitalSignature,keyEncipherment"))
  crt:addExtension(extension.new("extendedKeyUsage", "serverAuth"))
  crt:addExtension(extension.new("subjectKeyIdentifier", "hash", { subject = crt }))
  crt:addExtension(extension.new("authorityKeyIdentifier", "keyid:always", { issuer = ca }))
  crt:sign(ca_key, "sha256")

  local ctx = ssl_context.new("TLS", true)
  ctx:setCertificate(crt)
  ctx:setPrivateKey(key)
  ctx:setOptions(ssl_context.OP_NO_SSLv2 | ssl_context.OP_NO_SSLv3 | ssl_context.OP_NO_TLSv1
    | ssl_context.OP_NO_TLSv1_1)
  return { ca_pem = ca:toPEM(), context = ctx }
end

-- A TLS "handshake_failure" fatal alert record (RFC 8446 §6): what a server
-- sends when it aborts the handshake.
M.HANDSHAKE_FAILURE_ALERT = "\21\3\3\0\2\2\40"

return M
