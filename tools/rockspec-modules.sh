#!/bin/sh
# Prints the Lua module entries of the rockspec from lua/, indented as in
# kickoff-scm-1.rockspec (run after adding a module and paste them in).
cd "$(dirname "$0")/../lua" || exit 1
find kickoff -name '*.lua' | sort | while read -r f; do
  mod=$(echo "$f" | sed -e 's/\.lua$//' -e 's#/init$##' -e 's#/#.#g')
  printf '    ["%s"] = "lua/%s",\n' "$mod" "$f"
done
