#!/bin/sh
# Prints the Lua module entries of the rockspec from lua/ (run after adding
# a module; tools/check-rockspec.sh fails when the rockspec is out of date).
cd "$(dirname "$0")/../lua" || exit 1
find kickoff -name '*.lua' | sort | while read -r f; do
  mod=$(echo "$f" | sed -e 's/\.lua$//' -e 's#/init$##' -e 's#/#.#g')
  printf '      ["%s"] = "lua/%s",\n' "$mod" "$f"
done
