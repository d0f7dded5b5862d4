#!/bin/sh
# Installs the Debian packages kickoff needs to build, test and demo, and
# nothing when they are all present. Uses sudo when not root.
set -eu

PACKAGES="
gcc make pkg-config ca-certificates openssl
lua5.4 liblua5.4-dev libcurl4-openssl-dev libjansson-dev zlib1g-dev
lua-cjson lua-busted lua-cqueues lua-luaossl
lua-check cppcheck clang-tidy luarocks valgrind
"

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
