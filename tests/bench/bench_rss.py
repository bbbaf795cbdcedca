#!/usr/bin/python3
"""Memory with a big queue: queue BENCH_RSS_JOBS (1,000,000) mails whose send_at lies far in
the future (so nothing drains), then read the process's resident memory:

  - VmRSS / VmHWM right after start (empty store),
  - VmHWM while queueing (wrk POST, keep-alive, bounded by a quota and a time limit),
  - VmRSS idle afterwards,
  - VmHWM while the list endpoint (plain, status filter, recipient filter) and /metrics are
    hammered with wrk.

VmHWM is reset between phases (write 5 to /proc/PID/clear_refs) so each figure is that
phase's peak.

Usage: bench_rss.py [path/to/outbox]   (or OUTBOX_BINARY)
Env:   BENCH_RSS_JOBS (1000000), BENCH_RSS_MAX_SECONDS (900, queueing time limit),
       BENCH_RSS_DURABILITY (full), BENCH_RSS_READ_SECONDS (10, per read phase)
"""

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import benchlib  # noqa: E402

# 32 connections, not 64: outbox's default 64 HTTP threads are each held by an open
# keep-alive connection, so with 64 of them the /metrics polling here would wait for the
# 30 s keep-alive timeout.
THREADS, CONNECTIONS = 2, 32


def mb(kb):
    return f"{kb / 1024:.1f} MB"


def queue_jobs(ob, jobs, max_seconds):
    lua = benchlib.write_lua(ob.tmp, "quota.lua", benchlib.WRK_POST_QUOTA_LUA % {
        "key": benchlib.ADMIN_KEY, "quota": -(-jobs // THREADS),
        "body": benchlib.email_body(send_at="2099-01-01T00:00:00Z")})
    cmd = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{max_seconds}s", "--timeout=30s",
           "-s", lua, ob.url + "/v1/emails"]
    t0 = time.monotonic()
    wrk = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak_rss, last_print, enqueued = 0, t0, 0
    while wrk.poll() is None:
        enqueued = ob.metric("outbox_emails_enqueued_total") or 0
        peak_rss = max(peak_rss, ob.proc_status()["VmRSS"])
        if enqueued >= jobs:
            wrk.send_signal(signal.SIGINT)  # wrk prints its figures and exits
            break
        if time.monotonic() - last_print > float(os.environ.get("BENCH_RSS_PROGRESS_SECONDS", "10")):
            last_print = time.monotonic()
            print(f"    {enqueued:.0f} queued after {last_print - t0:.0f}s "
                  f"(RSS {mb(ob.proc_status()['VmRSS'])})", flush=True)
        time.sleep(0.5)
    out, _ = wrk.communicate(timeout=60)
    elapsed = time.monotonic() - t0
    enqueued = ob.metric("outbox_emails_enqueued_total") or 0
    return enqueued, elapsed, out


def main():
    binary = benchlib.binary_from_argv()
    benchlib.need("wrk")
    jobs = int(os.environ.get("BENCH_RSS_JOBS", "1000000"))
    max_seconds = int(os.environ.get("BENCH_RSS_MAX_SECONDS", "900"))
    durability = os.environ.get("BENCH_RSS_DURABILITY", "full")
    read_seconds = os.environ.get("BENCH_RSS_READ_SECONDS", "10")
    print(f"bench_rss: {binary}\n  {jobs} jobs (send_at 2099), durability={durability}, "
          f"capture transport, wrk -t{THREADS} -c{CONNECTIONS}")

    ob = benchlib.Outbox(binary, "--durability", durability, "--transport", "capture")
    results = {}
    try:
        st = ob.proc_status()
        results["start"] = st
        print(f"  after start:      VmRSS {mb(st['VmRSS'])}, VmHWM {mb(st['VmHWM'])}, "
              f"threads {st['Threads']}")

        can_reset = ob.reset_peak_rss()
        enqueued, secs, out = queue_jobs(ob, jobs, max_seconds)
        st = ob.proc_status()
        results["queue_hwm"] = st["VmHWM"]
        print(f"  queued {enqueued:.0f} in {secs:.0f}s ({enqueued / secs:.0f}/s)"
              f"{'' if enqueued >= jobs else '  (TIME LIMIT HIT: fewer than asked)'}")
        print(f"  while queueing:   VmHWM {mb(st['VmHWM'])}")

        # Idle: let background work (checkpoints, scheduler scans) run for a few seconds.
        ob.reset_peak_rss()
        idle_until = time.monotonic() + 5
        while time.monotonic() < idle_until:
            time.sleep(0.5)
        st = ob.proc_status()
        results["idle"] = st
        print(f"  idle (5 s):       VmRSS {mb(st['VmRSS'])}, VmHWM {mb(st['VmHWM'])}")

        lua = benchlib.write_lua(ob.tmp, "get.lua", benchlib.WRK_GET_LUA % {
            "key": benchlib.ADMIN_KEY})
        for name, path in (("list", "/v1/emails?limit=100"),
                           ("list status", "/v1/emails?status=queued&limit=100"),
                           ("list recipient", "/v1/emails?recipient=nobody%40example.test"
                                              "&limit=100"),
                           ("metrics", "/metrics")):
            ob.reset_peak_rss()
            r = benchlib.run_wrk(ob.url + path, lua, THREADS, 16, f"{read_seconds}s",
                                 timeout="30s")
            st = ob.proc_status()
            results[name] = st["VmHWM"]
            print(f"  while {name:15s} VmHWM {mb(st['VmHWM'])}  ({r['rps']:.0f} req/s, "
                  f"p50 {r['p50']}, p99 {r['p99']}, non-2xx {r['non2xx']})")

        db = os.path.join(ob.data_dir, "outbox.db")
        size = sum(os.path.getsize(p) for p in (db, db + "-wal") if os.path.exists(p))
        print(f"  database on disk: {size / 2 ** 20:.0f} MB")
        if not can_reset:
            print("  note: VmHWM could not be reset between phases; figures are cumulative peaks")
    finally:
        ob.stop()

    print(f"SUMMARY bench_rss: {enqueued:.0f} jobs; RSS at start {mb(results['start']['VmRSS'])}, "
          f"peak while queueing {mb(results['queue_hwm'])}, idle {mb(results['idle']['VmRSS'])}, "
          f"peak while listing {mb(max(results['list'], results['list status'], results['list recipient']))}, "
          f"peak while /metrics {mb(results['metrics'])}")


if __name__ == "__main__":
    main()
