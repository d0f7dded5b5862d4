#!/bin/sh
# The curl command once per launch (a new process and connection each time).
#   curl_cli.sh BASE_URL COUNT WARMUP HEADER_FILE [CA_FILE]
# HEADER_FILE holds the request headers (the token stays out of argv).
set -u
url=$1/api/workflow/v1/instances/message count=$2 warmup=$3 headers=$4 ca=${5:-}
body='{"data":{"parameter1":13,"parameter2":7},"messageName":"Start AddTwoNumbers","modelId":"a8afdc89-9491-4ee4-b7c3-b9e9b86c0138","version":"1.1.0"}'
set -- -fsS -o /dev/null --max-time 30 -H "@$headers" --data-binary "$body"
[ -n "$ca" ] && set -- "$@" --cacert "$ca"

i=0 failed=0
while [ "$i" -lt "$warmup" ]; do curl "$@" "$url" || failed=$((failed + 1)); i=$((i + 1)); done
start=$(date +%s%N)
i=0 ok=0
while [ "$i" -lt "$count" ]; do curl "$@" "$url" && ok=$((ok + 1)); i=$((i + 1)); done
end=$(date +%s%N)
awk -v s="$start" -v e="$end" -v ok="$ok" 'BEGIN { printf "elapsed=%.6f ok=%d\n", (e - s) / 1e9, ok }'
[ "$failed" -eq 0 ] && [ "$ok" -eq "$count" ]
