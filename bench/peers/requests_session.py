"""Python requests.Session: one pooled keep-alive connection, reply decoded.

    KICKOFF_BENCH_TOKEN=... /usr/bin/python3 requests_session.py BASE_URL COUNT WARMUP [CA_FILE]
"""
import os
import sys
import time

import requests

BODY = (b'{"data":{"parameter1":13,"parameter2":7},"messageName":"Start AddTwoNumbers",'
        b'"modelId":"a8afdc89-9491-4ee4-b7c3-b9e9b86c0138","version":"1.1.0"}')


START_PATH = "/api/workflow/v1/instances/message"


def main():
    url, count, warmup = sys.argv[1] + START_PATH, int(sys.argv[2]), int(sys.argv[3])
    verify = sys.argv[4] if len(sys.argv) > 4 else True
    session = requests.Session()
    session.headers.update({"Content-Type": "application/json",
                            "X-DOMO-Developer-Token": os.environ["KICKOFF_BENCH_TOKEN"]})

    def launch():
        reply = session.post(url, data=BODY, verify=verify, timeout=30)
        return reply.status_code == 200 and reply.json().get("id") is not None

    failed = sum(1 for _ in range(warmup) if not launch())
    start = time.perf_counter()
    ok = sum(1 for _ in range(count) if launch())
    print("elapsed=%.6f ok=%d" % (time.perf_counter() - start, ok))
    sys.exit(0 if failed == 0 and ok == count else 1)


main()
