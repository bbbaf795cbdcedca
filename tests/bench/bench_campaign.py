#!/usr/bin/python3
"""Campaign fan-out and delivery: one approved campaign to BENCH_CAMPAIGN_CUSTOMERS (100,000)
customers, delivered over SMTP into Postfix's smtp-sink, next to the newsletter fan-out of
bench_fanout.py for the same number of recipients.

Setup (timed separately, not part of the figures): the customers arrive through
`POST /v1/customers/import` as one CSV body, as an admin would import them; the campaign is
created and submitted. Then the clock starts at `POST /v1/campaigns/{id}/approve`:

- fan-out: until the campaign's progress.total reaches N (every recipient has its email
  committed; the fan-out runs in the background, batch by batch, while delivery already runs);
- delivery: until smtp-sink has received N messages (its `-c` counter, read as it runs; the
  sink stays up, as `-M N` would drop the connection before answering the last message);
- sent: until the campaign's status is `sent` (every outcome recorded; it must say N sent).

The newsletter figure is bench_fanout's measurement (one `POST /v1/subscriptions/news/run` to N
subscribers with the capture transport, returning once every email is committed), run in the
same process on the same machine. Both fan-outs commit one email per recipient with
durability=full; the campaign's also writes its recipient ledger (token, outcome) and paces,
and shares the machine with SMTP delivery while it runs.

Usage: bench_campaign.py [path/to/outbox]   (or OUTBOX_BINARY)
Env:   BENCH_CAMPAIGN_CUSTOMERS (100000), BENCH_SESSIONS (4), BENCH_REPEATS (1),
       BENCH_CAMPAIGN_NEWSLETTER (1; 0 skips the newsletter comparison)
"""

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_delivery  # noqa: E402
import bench_fanout  # noqa: E402
import benchlib  # noqa: E402

SENDER = "news@example.test"


class CountingSink:
    """smtp-sink -c on a free port: its running counters ("sess=.. quit=.. mesg=N", one per
    '.' received) are read in a thread, which notes when the count first reaches `wanted`."""

    def __init__(self, wanted):
        self.port = benchlib.free_port()
        self.wanted = wanted
        self.count = 0
        self.reached_at = None
        self.reached = threading.Event()
        user = "root" if os.geteuid() == 0 else os.environ["USER"]
        self.proc = subprocess.Popen([bench_delivery.SINK, "-c", "-u", user,
                                      f"127.0.0.1:{self.port}", "256"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._read, daemon=True).start()
        benchlib.wait_for(self._accepting, 10, what="smtp-sink to accept")

    def _accepting(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"smtp-sink exited with {self.proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.recv(100)
                s.sendall(b"QUIT\r\n")
            return True
        except OSError:
            return False

    def _read(self):
        pending = b""
        while True:
            chunk = self.proc.stdout.read1(4096)
            if not chunk:
                return
            pending += chunk
            *records, pending = re.split(rb"[\r\n]", pending)
            for record in records:
                match = re.search(rb"mesg=(\d+)", record)
                if match:
                    self.count = int(match.group(1))
                    if self.count >= self.wanted and self.reached_at is None:
                        self.reached_at = time.monotonic()
                        self.reached.set()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


def post_csv(ob, text):
    conn = http.client.HTTPConnection("127.0.0.1", ob.port, timeout=300)
    try:
        conn.request("POST", "/v1/customers/import", body=text.encode(),
                     headers={"Authorization": f"Bearer {benchlib.ADMIN_KEY}",
                              "Content-Type": "text/csv"})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def get_json(ob, path):
    status, raw = ob.request("GET", path)
    if status != 200:
        sys.exit(f"GET {path} -> {status} {raw[:300]!r}")
    return json.loads(raw)


def post_json(ob, path, body, expect):
    status, raw = ob.request("POST", path, body)
    if status != expect:
        sys.exit(f"POST {path} -> {status} {raw[:300]!r}")
    return json.loads(raw)


def import_customers(ob, customers):
    csv = "email,name\n" + "".join(f"c{i:07d}@example.test,Customer {i}\n"
                                   for i in range(customers))
    t0 = time.monotonic()
    status, raw = post_csv(ob, csv)
    if status != 202:
        sys.exit(f"import refused: {status} {raw[:300]!r}")
    import_id = json.loads(raw)["id"]

    def finished():
        report = get_json(ob, f"/v1/customers/import/{import_id}")
        return report if report["status"] != "running" else None

    report = benchlib.wait_for(finished, 1800, interval=0.2, what="the customer import")
    if report["status"] != "done" or report["created"] != customers:
        sys.exit(f"import did not create {customers} customers: {report}")
    return time.monotonic() - t0


def one_run(binary, customers, sessions):
    sink = CountingSink(customers)
    ob = benchlib.Outbox(binary, "--smtp-host", "127.0.0.1", "--smtp-port", str(sink.port),
                         "--smtp-tls", "none", "--smtp-sessions", str(sessions),
                         "--send-rate", "0", "--default-from", SENDER)
    try:
        import_s = import_customers(ob, customers)
        campaign = post_json(ob, "/v1/campaigns",
                             {"name": "bench", "subject": "This week", "html": bench_fanout.HTML,
                              "audience": "customers"}, 201)
        path = f"/v1/campaigns/{campaign['id']}"
        post_json(ob, path + "/submit", {}, 200)

        t0 = time.monotonic()
        post_json(ob, path + "/approve", {}, 200)

        def fanned_out():
            progress = get_json(ob, path)["progress"]
            return progress["total"] >= customers

        benchlib.wait_for(fanned_out, 1800, interval=0.02, what="the fan-out")
        fanout_s = time.monotonic() - t0
        if not sink.reached.wait(3600):
            sys.exit(f"smtp-sink got {sink.count} of {customers} messages: "
                     f"{get_json(ob, path)['progress']}")
        delivery_s = sink.reached_at - t0
        benchlib.wait_for(lambda: get_json(ob, path)["status"] == "sent", 600, interval=0.05,
                          what="the campaign to be sent")
        sent_s = time.monotonic() - t0
        final = get_json(ob, path)["progress"]
        if (final["total"], final["sent"]) != (customers, customers):
            sys.exit(f"progress is {final}, expected {customers} sent")
        if sink.count != customers:
            sys.exit(f"smtp-sink received {sink.count} messages, expected {customers}")
        first = get_json(ob, "/v1/emails?limit=1")["data"][0]["id"]
        size = len(ob.request("GET", f"/v1/emails/{first}/raw")[1])
    finally:
        ob.stop()
        sink.stop()
    return {"import_s": import_s, "fanout_s": fanout_s, "delivery_s": delivery_s,
            "sent_s": sent_s, "size": size}


def main():
    binary = benchlib.binary_from_argv()
    benchlib.need(bench_delivery.SINK)
    customers = int(os.environ.get("BENCH_CAMPAIGN_CUSTOMERS", "100000"))
    sessions = int(os.environ.get("BENCH_SESSIONS", "4"))
    repeats = int(os.environ.get("BENCH_REPEATS", "1"))
    newsletter = os.environ.get("BENCH_CAMPAIGN_NEWSLETTER", "1") != "0"
    print(f"bench_campaign: {binary}\n  {customers} customers, {sessions} SMTP sessions into "
          f"smtp-sink, {repeats} run(s)", flush=True)

    runs, newsletter_times = [], []
    for i in range(1, repeats + 1):
        run = one_run(binary, customers, sessions)
        runs.append(run)
        print(f"  run {i}: import {run['import_s']:.1f}s (not timed below); from approve: "
              f"fan-out {run['fanout_s']:.2f}s ({customers / run['fanout_s']:,.0f} emails/s), "
              f"delivered {run['delivery_s']:.2f}s ({customers / run['delivery_s']:,.0f} msgs/s, "
              f"message {run['size']} bytes), sent {run['sent_s']:.2f}s", flush=True)
        if newsletter:
            elapsed = bench_fanout.one_run(binary, customers)
            newsletter_times.append(elapsed)
            print(f"         newsletter fan-out to {customers}: {elapsed:.2f}s "
                  f"({customers / elapsed:,.0f} emails/s)", flush=True)

    fanout = benchlib.median([r["fanout_s"] for r in runs])
    delivery = benchlib.median([r["delivery_s"] for r in runs])
    sent = benchlib.median([r["sent_s"] for r in runs])
    summary = (f"SUMMARY campaign customers={customers} fanout_s={fanout:.2f} "
               f"fanout_emails_per_s={customers / fanout:,.0f} delivery_s={delivery:.2f} "
               f"delivery_msgs_per_s={customers / delivery:,.0f} sent_s={sent:.2f}")
    if newsletter_times:
        news = benchlib.median(newsletter_times)
        summary += (f" newsletter_fanout_s={news:.2f} "
                    f"newsletter_emails_per_s={customers / news:,.0f} "
                    f"fanout_ratio={fanout / news:.2f}")
    print(summary)


if __name__ == "__main__":
    main()
