#!/bin/sh
# `make bench`: sets up what the workloads talk to, runs bench/run.lua, and
# tears everything down again, also on Ctrl-C or failure.
#   - a private CA and a server certificate for 127.0.0.1 (ECDSA P-256)
#   - nginx on two free loopback ports (HTTP and HTTPS), unprivileged, with
#     its own prefix, config, pid and logs in a 0700 temp dir
#   - a random fake Domo token for this run, passed in the environment only
#   - nginx pinned to the last CPU; the sequential clients (W1, W2) run on
#     the same CPU, so a launch costs what the client and server spend on it
#     and not the VM's cross-CPU wake-up latency
# Run from the repository root after `make build` and the floor are built.
set -eu

FLOOR=${BENCH_FLOOR:-build/bench/floor}
LUA=${LUA:-lua5.4}
[ -x "$FLOOR" ] || { echo "bench: $FLOOR is missing (run make bench)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/kickoff-bench.XXXXXX)
NGINX_PID=""
cleanup() {
  if [ -n "$NGINX_PID" ]; then
    kill "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  "$LUA" -e 'local s = assert(require("socket").bind("127.0.0.1", 0))
             print((select(2, s:getsockname()))) s:close()'
}

# Certificates: a CA the clients trust, and a leaf for 127.0.0.1/localhost.
openssl_quiet() { openssl "$@" 2>/dev/null; }
openssl_quiet req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=kickoff bench CA" -keyout "$WORK/ca.key" -out "$WORK/ca.pem" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign"
openssl_quiet req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=127.0.0.1" -keyout "$WORK/server.key" -out "$WORK/server.csr"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
  >"$WORK/server.ext"
openssl_quiet x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
  -CAcreateserial -days 2 -extfile "$WORK/server.ext" -out "$WORK/server.pem"
rm -f "$WORK/ca.key" "$WORK/server.csr"

KICKOFF_BENCH_TOKEN="bench-$(openssl rand -hex 16)"
export KICKOFF_BENCH_TOKEN
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
H2_PORT=$(free_port)
sed -e "s|@PREFIX@|$WORK|g" -e "s|@HTTP_PORT@|$HTTP_PORT|g" -e "s|@HTTPS_PORT@|$HTTPS_PORT|g" \
  -e "s|@H2_PORT@|$H2_PORT|g" \
  -e "s|@TOKEN@|$KICKOFF_BENCH_TOKEN|g" bench/nginx.conf.in >"$WORK/nginx.conf"
printf 'Content-Type: application/json\nX-DOMO-Developer-Token: %s\n' "$KICKOFF_BENCH_TOKEN" \
  >"$WORK/curl-headers"

# nginx never runs as root: as root, drop to nobody for the whole process.
AS_USER=""
if [ "$(id -u)" -eq 0 ]; then
  chown -R nobody:nogroup "$WORK"
  AS_USER="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
fi
BENCH_CPU=$(($(nproc) - 1))
$AS_USER taskset -c "$BENCH_CPU" nginx -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/error.log" &
NGINX_PID=$!

# Ready when both listeners answer (bounded: 10 s).
tries=0
until curl -fsS -o /dev/null -H "@$WORK/curl-headers" --data '{}' \
        "http://127.0.0.1:$HTTP_PORT/api/workflow/v1/instances/message" 2>/dev/null &&
      curl -fsS -o /dev/null -H "@$WORK/curl-headers" --data '{}' --cacert "$WORK/ca.pem" \
        "https://127.0.0.1:$HTTPS_PORT/api/workflow/v1/instances/message" 2>/dev/null; do
  tries=$((tries + 1))
  if [ "$tries" -ge 100 ] || ! kill -0 "$NGINX_PID" 2>/dev/null; then
    echo "bench: nginx did not start:" >&2
    cat "$WORK/error.log" >&2 2>/dev/null || true
    exit 1
  fi
  sleep 0.1
done

BENCH_HTTP_BASE="http://127.0.0.1:$HTTP_PORT" BENCH_HTTPS_BASE="https://127.0.0.1:$HTTPS_PORT" \
BENCH_H2_BASE="https://127.0.0.1:$H2_PORT" BENCH_STATUS_URL="http://127.0.0.1:$HTTP_PORT/bench-status" \
BENCH_CA_FILE="$WORK/ca.pem" BENCH_CURL_HEADERS="$WORK/curl-headers" \
BENCH_FLOOR="$FLOOR" BENCH_CPU="$BENCH_CPU" \
  "$LUA" bench/run.lua "$@"
