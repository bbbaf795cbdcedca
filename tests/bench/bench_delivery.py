#!/usr/bin/python3
"""Delivery throughput: outbox draining N queued mails into Postfix's smtp-sink, next to
Postfix's own smtp-source pushing N messages into the same kind of sink with the same
number of parallel sessions (connections reused: smtp-source -d).

The mails are queued with a common send_at a few seconds ahead, so the queue is full
before delivery starts; the clock runs from send_at until smtp-sink has received N
messages (smtp-sink -M N exits then).

Usage: bench_delivery.py [path/to/outbox]   (or OUTBOX_BINARY)
Env:   BENCH_MESSAGES (20000), BENCH_SESSIONS (4), BENCH_REPEATS (3)
"""

import datetime
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import benchlib  # noqa: E402

SINK = "/usr/sbin/smtp-sink"
SOURCE = "/usr/sbin/smtp-source"


def start_sink(port, messages):
    proc = subprocess.Popen([SINK, "-u", "root" if os.geteuid() == 0 else os.environ["USER"],
                             "-M", str(messages), f"127.0.0.1:{port}", "256"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def accepting():
        if proc.poll() is not None:
            raise RuntimeError(f"smtp-sink exited: {proc.stderr.read().decode()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.recv(100)
                s.sendall(b"QUIT\r\n")
            return True
        except OSError:
            return False

    benchlib.wait_for(accepting, 10, what="smtp-sink to accept")
    return proc


def wait_sink(proc, timeout):
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False
    return True


def run_source(messages, sessions, size):
    port = benchlib.free_port()
    sink = start_sink(port, messages)
    t0 = time.monotonic()
    src = subprocess.Popen([SOURCE, "-d", "-s", str(sessions), "-m", str(messages), "-l",
                            str(size), "-f", "bench@example.test", "-t", "rcpt@example.test",
                            f"127.0.0.1:{port}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ok = wait_sink(sink, 600)
    elapsed = time.monotonic() - t0
    src.kill()  # it complains once the sink has gone; that is expected
    src.wait()
    if not ok:
        raise RuntimeError("smtp-sink did not receive all messages from smtp-source")
    return messages / elapsed, elapsed


def rfc3339(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def run_outbox(binary, messages, sessions, margin):
    """Returns (msgs/s, seconds, message size) or None when queueing outlasted send_at."""
    port = benchlib.free_port()
    sink = start_sink(port, messages)
    ob = benchlib.Outbox(binary, "--smtp-host", "127.0.0.1", "--smtp-port", str(port),
                         "--smtp-tls", "none", "--smtp-sessions", str(sessions),
                         "--send-rate", "0", "--durability", "full")
    try:
        send_at = int(time.time() + margin) + 1
        stamp = rfc3339(send_at)
        body = benchlib.email_body(send_at=stamp)
        t0 = time.time()
        ok, bad = benchlib.post_many(ob.port, lambda i: body, messages)
        queued_in = time.time() - t0
        if bad:
            raise RuntimeError(f"{bad} of {messages} POSTs failed")
        if time.time() >= send_at:
            print(f"    queueing took {queued_in:.1f}s, past send_at; retrying with more margin")
            sink.kill()
            sink.wait()
            return None
        print(f"    queued {ok} in {queued_in:.1f}s ({ok / queued_in:.0f}/s); waiting for send_at")
        done = wait_sink(sink, 600)
        finished = time.time()
        delivered = ob.metric("outbox_emails_sent_total")
        status, raw = ob.request("GET", "/v1/emails?limit=1")
        first = json.loads(raw)["data"][0]["id"]
        size = len(ob.request("GET", f"/v1/emails/{first}/raw")[1])
    finally:
        ob.stop()
        if sink.poll() is None:
            sink.kill()
            sink.wait()
    if not done:
        raise RuntimeError(f"smtp-sink got fewer than {messages} within 600 s "
                           f"(outbox_emails_sent_total {delivered})")
    elapsed = finished - send_at
    return messages / elapsed, elapsed, size


def main():
    binary = benchlib.binary_from_argv()
    for tool in (SINK, SOURCE):
        benchlib.need(tool)
    messages = int(os.environ.get("BENCH_MESSAGES", "20000"))
    sessions = int(os.environ.get("BENCH_SESSIONS", "4"))
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    print(f"bench_delivery: {binary}\n  {messages} messages, {sessions} SMTP sessions, "
          f"{repeats} runs, into smtp-sink")

    outbox_rates, source_rates, ratios = [], [], []
    margin = max(5.0, messages / 1500.0)
    size = 1024
    for run in range(1, repeats + 1):
        result = None
        while result is None:
            result = run_outbox(binary, messages, sessions, margin)
            if result is None:
                margin *= 2
        rate, secs, size = result
        src_rate, src_secs = run_source(messages, sessions, max(size - 300, 100))
        outbox_rates.append(rate)
        source_rates.append(src_rate)
        ratios.append(rate / src_rate)
        print(f"  run {run}: outbox {rate:8.0f} msgs/s ({secs:.2f}s, message {size} bytes)   "
              f"smtp-source {src_rate:8.0f} msgs/s ({src_secs:.2f}s)   ratio {rate / src_rate:.3f}")

    print(f"SUMMARY bench_delivery: outbox median {benchlib.median(outbox_rates):.0f} msgs/s, "
          f"smtp-source median {benchlib.median(source_rates):.0f} msgs/s, ratio median "
          f"{benchlib.median(ratios):.3f} ({messages} messages, {sessions} sessions, "
          f"{repeats} runs)")


if __name__ == "__main__":
    main()
