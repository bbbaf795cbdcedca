#!/usr/bin/python3
"""Enqueue throughput: wrk POST /v1/emails vs wrk GET /health/ping on the same server.

The ratio says how much a durable enqueue (durability=full, fsync with group commit)
costs compared to the cheapest request the HTTP layer can serve. Capture transport, so
accepted mail is rendered and stored locally while the benchmark runs.

Usage: bench_enqueue.py [path/to/outbox]   (or OUTBOX_BINARY)
Env:   BENCH_REPEATS (3), BENCH_DURATION (10s), BENCH_THREADS (2), BENCH_CONNECTIONS (64),
       BENCH_SEND_AT=future  queue for a far-future send_at so nothing drains meanwhile.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import benchlib  # noqa: E402


def main():
    binary = benchlib.binary_from_argv()
    benchlib.need("wrk")
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    duration = os.environ.get("BENCH_DURATION", "10s")
    threads = int(os.environ.get("BENCH_THREADS", "2"))
    conns = int(os.environ.get("BENCH_CONNECTIONS", "64"))
    extra = {}
    if os.environ.get("BENCH_SEND_AT") == "future":
        extra["send_at"] = "2099-01-01T00:00:00Z"

    print(f"bench_enqueue: {binary}\n  wrk -t{threads} -c{conns} -d{duration}, "
          f"{repeats} runs, durability=full, transport=capture"
          f"{', send_at far future' if extra else ''}")
    posts, pings, ratios = [], [], []
    for run in range(1, repeats + 1):
        ob = benchlib.Outbox(binary, "--durability", "full", "--transport", "capture")
        try:
            post_lua = benchlib.write_lua(ob.tmp, "post.lua", benchlib.WRK_POST_LUA % {
                "key": benchlib.ADMIN_KEY, "body": benchlib.email_body(**extra)})
            ping = benchlib.run_wrk(ob.url + "/health/ping", None, threads, conns, duration)
            post = benchlib.run_wrk(ob.url + "/v1/emails", post_lua, threads, conns, duration)
            enqueued = ob.metric("outbox_emails_enqueued_total")
        finally:
            ob.stop()
        ratio = post["rps"] / ping["rps"] if ping["rps"] else float("nan")
        posts.append(post["rps"])
        pings.append(ping["rps"])
        ratios.append(ratio)
        print(f"  run {run}: POST /v1/emails {post['rps']:9.0f} req/s (p50 {post['p50']}, "
              f"p99 {post['p99']}, non-2xx {post['non2xx']}, socket errors "
              f"{post['socket_errors']}, enqueued_total {enqueued})")
        print(f"         GET /health/ping {ping['rps']:9.0f} req/s (p50 {ping['p50']}, "
              f"p99 {ping['p99']}, non-2xx {ping['non2xx']})   ratio {ratio:.3f}")
        if post["non2xx"]:
            print(f"  WARNING: {post['non2xx']} POSTs were not 2xx; the figure is not all enqueues")

    print(f"SUMMARY bench_enqueue: POST /v1/emails median {benchlib.median(posts):.0f} req/s, "
          f"GET /health/ping median {benchlib.median(pings):.0f} req/s, "
          f"ratio median {benchlib.median(ratios):.3f} ({repeats} runs, {duration} each)")


if __name__ == "__main__":
    main()
