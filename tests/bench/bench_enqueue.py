#!/usr/bin/python3
"""Enqueue throughput: wrk POST /v1/emails vs wrk GET /health/ping on the same server, then the
latency of POST /v1/emails at half the peak rate.

Phase 1, peak: per run a fresh server (durability=full, capture transport), wrk -c32 on
/health/ping, then wrk -c32 POSTing one email per request. Prints req/s of each, their ratio (how
much a durable enqueue costs next to the cheapest request), and the server's CPU time per request
(user + system of all its threads, from /proc: a figure that does not depend on how busy the
rest of the machine is). Median of the runs.

Phase 2, paced: a fresh server, POSTs at half the median peak rate (each wrk thread hands out send
times at a fixed interval through Lua delay()), with wrk's latency percentiles. wrk measures from
sending a request to its answer; a request whose send time has passed is sent at once.

The data directory is under $TMPDIR (default /tmp); the file system type is printed, since on
tmpfs fsync costs nothing and the figures flatter.

Usage: bench_enqueue.py [path/to/outbox]   (or OUTBOX_BINARY)
Env:   BENCH_REPEATS (5), BENCH_DURATION (8s), BENCH_THREADS (2), BENCH_CONNECTIONS (32),
       BENCH_PACED_DURATION (15s), BENCH_SEND_AT: `future` (default) queues every email for
       2099, so the figure is the enqueue path alone; `now` makes them due at once, so the
       capture transport delivers them on the same two CPUs meanwhile (bench_delivery.sh measures
       delivery on its own).
"""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import benchlib  # noqa: E402


def measure(ob, url, lua, threads, conns, duration, lua_args=()):
    before = ob.cpu_seconds()
    result = benchlib.run_wrk(url, lua, threads, conns, duration, lua_args=lua_args)
    used = ob.cpu_seconds() - before
    result["cpu_us"] = used / result["requests"] * 1e6 if result["requests"] else float("nan")
    return result


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    binary = benchlib.binary_from_argv()
    benchlib.need("wrk")
    repeats = int(os.environ.get("BENCH_REPEATS", "5"))
    duration = os.environ.get("BENCH_DURATION", "8s")
    paced_duration = os.environ.get("BENCH_PACED_DURATION", "15s")
    threads = int(os.environ.get("BENCH_THREADS", "2"))
    conns = int(os.environ.get("BENCH_CONNECTIONS", "32"))
    extra = {}
    if os.environ.get("BENCH_SEND_AT", "future") == "future":
        extra["send_at"] = "2099-01-01T00:00:00Z"
    tmp = tempfile.gettempdir()

    print(f"bench_enqueue: {binary}\n  wrk -t{threads} -c{conns} -d{duration}, {repeats} runs, "
          f"durability=full, transport=capture"
          f"{', send_at far future' if extra else ', delivered meanwhile'}\n"
          f"  data dirs under {tmp} ({benchlib.filesystem_of(tmp)}); {os.cpu_count()} CPUs, "
          f"load average {load_average()}")
    body = benchlib.email_body(**extra)
    posts, pings, ratios, post_cpu, ping_cpu = [], [], [], [], []
    for run in range(1, repeats + 1):
        ob = benchlib.Outbox(binary, "--durability", "full", "--transport", "capture")
        try:
            post_lua = benchlib.write_lua(ob.tmp, "post.lua", benchlib.WRK_POST_LUA % {
                "key": benchlib.ADMIN_KEY, "body": body})
            ping = measure(ob, ob.url + "/health/ping", None, threads, conns, duration)
            post = measure(ob, ob.url + "/v1/emails", post_lua, threads, conns, duration)
            enqueued = ob.metric("outbox_emails_enqueued_total")
        finally:
            ob.stop()
        ratio = post["rps"] / ping["rps"] if ping["rps"] else float("nan")
        posts.append(post["rps"])
        pings.append(ping["rps"])
        ratios.append(ratio)
        post_cpu.append(post["cpu_us"])
        ping_cpu.append(ping["cpu_us"])
        print(f"  run {run}: POST /v1/emails {post['rps']:9.0f} req/s (p50 {post['p50']}, "
              f"p99 {post['p99']}, server CPU {post['cpu_us']:.0f} us/req, non-2xx "
              f"{post['non2xx']}, socket errors {post['socket_errors']}, enqueued_total "
              f"{enqueued})")
        print(f"         GET /health/ping {ping['rps']:9.0f} req/s (p50 {ping['p50']}, "
              f"p99 {ping['p99']}, server CPU {ping['cpu_us']:.0f} us/req, non-2xx "
              f"{ping['non2xx']})   ratio {ratio:.3f}")
        if post["non2xx"]:
            print(f"  WARNING: {post['non2xx']} POSTs were not 2xx; the figure is not all enqueues")

    peak = benchlib.median(posts)
    target = peak / 2
    # Each wrk thread sends every `interval` ms, so the threads together send `target` per second.
    interval_ms = threads * 1000.0 / target if target > 0 else 1000.0
    ob = benchlib.Outbox(binary, "--durability", "full", "--transport", "capture")
    try:
        paced_lua = benchlib.write_lua(ob.tmp, "paced.lua", benchlib.WRK_PACED_LUA % {
            "key": benchlib.ADMIN_KEY, "body": body})
        paced = measure(ob, ob.url + "/v1/emails", paced_lua, threads, conns, paced_duration,
                        lua_args=(f"{interval_ms:.4f}",))
    finally:
        ob.stop()
    print(f"  paced at half the peak: target {target:.0f} req/s, got {paced['rps']:.0f} req/s "
          f"over {paced_duration}: latency p50 {paced['p50']}, p90 {paced['p90']}, "
          f"p99 {paced['p99']}, max {paced['max']} (server CPU {paced['cpu_us']:.0f} us/req, "
          f"non-2xx {paced['non2xx']})")

    print(f"SUMMARY bench_enqueue: POST /v1/emails median {peak:.0f} req/s, "
          f"GET /health/ping median {benchlib.median(pings):.0f} req/s, "
          f"ratio median {benchlib.median(ratios):.3f} ({repeats} runs, {duration} each, "
          f"-c{conns}); server CPU per request median: POST {benchlib.median(post_cpu):.0f} us, "
          f"ping {benchlib.median(ping_cpu):.0f} us; at {target:.0f} req/s (half the peak): "
          f"p50 {paced['p50']}, p99 {paced['p99']}; load average at the end {load_average()}")


if __name__ == "__main__":
    main()
