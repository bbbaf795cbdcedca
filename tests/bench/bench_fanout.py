#!/usr/bin/python3
"""Newsletter fan-out: how long one fire takes to enqueue one email per subscriber.

Setup (not timed): `outbox migrate` creates the schema, then BENCH_FANOUT_SUBSCRIBERS (100,000)
subscriptions of one list are written straight into the database with Python's sqlite3 (as
100k POSTs would take far longer than the thing measured). Then outbox starts and
`POST /v1/subscriptions/news/run` fires the list: the request returns once every email is
committed (durability=full, capture transport, send_at now; delivery runs meanwhile, as in
production). Reported: the request's wall time and emails/s; the queue depth is checked
against the subscriber count. Median of BENCH_REPEATS (3) runs, fresh data dir each.

Usage: bench_fanout.py [path/to/outbox]   (or OUTBOX_BINARY)
"""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import benchlib  # noqa: E402

HTML = "<h1>This week</h1>" + "<p>News paragraph with some words in it.</p>" * 40


def seed(data_dir, subscribers, binary):
    subprocess.run([binary, "migrate", "--data-dir", data_dir], check=True,
                   stdout=subprocess.DEVNULL, env=benchlib.clean_env())
    db = sqlite3.connect(os.path.join(data_dir, "outbox.db"))
    now = int(time.time() * 1000)
    with db:
        db.execute("INSERT INTO content_types VALUES ('news', 'This week', ?, ?, ?)",
                   (HTML, now, now))
        db.executemany(
            "INSERT INTO subscriptions (content_type, user_id, frequency, timezone, "
            "unsubscribe_token, created_at) VALUES ('news', ?, '@weekly', '', ?, ?)",
            ((f"user{i:07d}@example.test", os.urandom(16).hex(), now) for i in range(subscribers)))
        db.execute("INSERT INTO schedules (content_type, frequency, timezone, created_at) "
                   "VALUES ('news', '@weekly', '', ?)", (now,))
    db.close()


def one_run(binary, subscribers):
    data_dir = os.path.join(tempfile.mkdtemp(prefix="outbox-bench-fanout-"), "data")
    seed(data_dir, subscribers, binary)
    ob = benchlib.Outbox(binary, "--default-from", "news@example.test", "--transport", "capture",
                         data_dir=data_dir)
    try:
        t0 = time.monotonic()
        status, raw = ob.request("POST", "/v1/subscriptions/news/run")
        elapsed = time.monotonic() - t0
        body = json.loads(raw)
        if status != 200 or body.get("enqueued") != subscribers:
            sys.exit(f"run failed: {status} {raw[:300]!r}")
        total = ob.metric("outbox_emails_enqueued_total")
        if total != subscribers:
            sys.exit(f"enqueued_total is {total}, expected {subscribers}")
        return elapsed
    finally:
        ob.stop()


def main():
    binary = benchlib.binary_from_argv()
    subscribers = int(os.environ.get("BENCH_FANOUT_SUBSCRIBERS", "100000"))
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    times = []
    for i in range(repeats):
        elapsed = one_run(binary, subscribers)
        times.append(elapsed)
        print(f"  run {i + 1}: {subscribers} emails in {elapsed:.2f}s "
              f"({subscribers / elapsed:,.0f}/s)", flush=True)
    best = benchlib.median(times)
    print(f"SUMMARY fanout subscribers={subscribers} median_s={best:.2f} "
          f"emails_per_s={subscribers / best:,.0f} target_s=2.0")


if __name__ == "__main__":
    main()
