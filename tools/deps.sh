#!/bin/sh
# Installs the Debian packages kickoff needs to build, test and demo, and
# nothing when they are all present. Uses sudo when not root.
#   tools/deps.sh          build, test (with sanitizers, fuzzing and the docs check) and demo
#   tools/deps.sh bench    also the peers `make bench` compares against
set -eu

PACKAGES="
gcc make pkg-config ca-certificates openssl
lua5.4 liblua5.4-dev libcurl4-openssl-dev libjansson-dev zlib1g-dev
lua-cjson lua-busted lua-cqueues lua-luaossl lua-filesystem curl
lua-check cppcheck clang-tidy luarocks valgrind
clang libclang-rt-14-dev
lua-ldoc lua-discount lua5.1
"
for group in "$@"; do
  case "$group" in
    bench) PACKAGES="$PACKAGES nginx-light python3-requests gnuplot-nox lua-socket lua-sec lua-system" ;;
    *) echo "kickoff: unknown package group '$group'" >&2; exit 2 ;;
  esac
done

missing=""
for p in $PACKAGES; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
  esac
done

if [ -z "$missing" ]; then
  exit 0
fi

echo "kickoff: installing Debian packages:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "kickoff: need root or sudo to install:$missing" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
