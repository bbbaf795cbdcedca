"""kill -9 while delivering: nothing accepted is lost, duplicates stay within the in-flight
bound (at-least-once delivery with leases)."""

import collections
import http.client
import re
import threading
import time

import pytest

from harness import KeepAliveClient, free_port, simple_email, wait_for

TOTAL = 3000
POSTERS = 8
SESSIONS = 4
LEASE_BATCH_BOUND = 32          # jobs one session may hold leased at once (WorkerOptions::lease_batch)
KILL_FRACTIONS = (0.2, 0.45, 0.7)
ID_RE = re.compile(rb"^X-Test-Id: *(\S+)", re.M | re.I)


class Tally:
    """Counts deliveries per X-Test-Id incrementally from the recording server."""

    def __init__(self, server):
        self.server = server
        self.seen = 0
        self.counts = collections.Counter()

    def update(self):
        got = self.server.received()
        for rec in got[self.seen:]:
            m = ID_RE.search(rec.data)
            self.counts[m.group(1).decode() if m else "?"] += 1
        self.seen = len(got)
        return self

    def unique(self):
        return len(self.update().counts)

    def total(self):
        return sum(self.update().counts.values())


def post_all(port, total, errors, accepted):
    """POSTs mails 0..total-1 from POSTERS threads with keep-alive; survives restarts by
    retrying with the same Idempotency-Key."""

    def worker(indices):
        client = KeepAliveClient("127.0.0.1", port)
        try:
            post_each(client, indices)
        except Exception as e:  # a dead thread must show up as a failure, not a gap
            errors.append(("thread", type(e).__name__, str(e)))
        finally:
            client.close()

    def post_each(client, indices):
        for i in indices:
            payload = simple_email(subject=f"crash {i}", headers={"X-Test-Id": f"t{i}"},
                                   to=[f"user{i % 50}@example.test"])
            key = {"Idempotency-Key": f"crash-{i}"}
            deadline = time.monotonic() + 120
            while True:
                try:
                    r = client.request("POST", "/v1/emails", payload, key)
                except (OSError, http.client.HTTPException):
                    r = None  # killed mid-request; the retry carries the same key
                if r is not None and r.status == 202:
                    accepted[i] = r.body["id"]
                    break
                if r is not None and r.status < 500 and r.status != 429:
                    errors.append((i, r.status, r.raw[:300]))
                    break
                if time.monotonic() > deadline:
                    errors.append((i, "gave up", repr(r)))
                    break
                time.sleep(0.02)  # outbox is restarting; try again shortly

    threads = [threading.Thread(target=worker, args=(range(k, total, POSTERS),), daemon=True)
               for k in range(POSTERS)]
    for t in threads:
        t.start()
    return threads


@pytest.mark.slow
def test_kill_9_during_delivery_loses_nothing(outbox, smtp_server):
    srv = smtp_server()
    port = free_port()
    ob = outbox(*srv.smtp_args(), "--smtp-sessions", str(SESSIONS),
                "--retry-base-ms", "200", "--retry-max-ms", "1000",
                listen=f"127.0.0.1:{port}")
    tally = Tally(srv)
    accepted, errors = {}, []
    t0 = time.monotonic()
    posters = post_all(port, TOTAL, errors, accepted)

    kills = []
    for frac in KILL_FRACTIONS:
        wait_for(lambda: tally.unique() >= frac * TOTAL, 120, interval=0.01,
                 message=f"{int(frac * 100)}% delivered (have {tally.unique()}, "
                         f"accepted {len(accepted)}, errors {errors[:3]})")
        ob.kill()
        delivered_at_kill = tally.unique()
        kills.append({"fraction": frac, "delivered": delivered_at_kill,
                      "received": tally.total(), "accepted": len(accepted),
                      "at": round(time.monotonic() - t0, 2)})
        assert delivered_at_kill < TOTAL, "kill came after everything was delivered"
        ob.start()

    for t in posters:
        t.join(180)
    assert not errors, f"{len(errors)} POSTs failed, first: {errors[:5]}"
    assert len(accepted) == TOTAL
    assert len(set(accepted.values())) == TOTAL, "one id per Idempotency-Key"

    try:
        wait_for(lambda: tally.unique() >= TOTAL, 45, interval=0.05,
                 message="every accepted mail delivered after the last restart")
    except AssertionError:
        missing = sorted(set(f"t{i}" for i in range(TOTAL)) - set(tally.counts))
        sample = [int(m[1:]) for m in missing[:5]]
        statuses = {i: ob.email(accepted[i]) for i in sample if i in accepted}
        raise AssertionError(
            f"{len(missing)} of {TOTAL} accepted mails never arrived; kills: {kills}; "
            f"sample statuses: { {i: (e['status'], e['attempts'], e['last_reply']) for i, e in statuses.items()} }")

    elapsed = time.monotonic() - t0
    duplicates = tally.total() - tally.unique()
    dup_ids = sum(1 for c in tally.counts.values() if c > 1)
    bound = len(kills) * SESSIONS * LEASE_BATCH_BOUND
    print(f"\ncrash test: {TOTAL} accepted, {tally.total()} received, {tally.unique()} unique, "
          f"{duplicates} duplicates over {dup_ids} ids (bound {bound}), {elapsed:.1f}s; "
          f"kills: {kills}")
    assert set(tally.counts) == {f"t{i}" for i in range(TOTAL)}, "unexpected ids received"
    assert duplicates <= bound, f"{duplicates} duplicates > bound {bound}; kills: {kills}"

    # The API agrees: nothing is left queued, sending or deferred, and samples say sent.
    for status in ("queued", "sending", "deferred", "failed"):
        wait_for(lambda: ob.list(status=status, limit=10)["data"] == [], 10,
                 message=f"no email left {status}")
    for i in range(0, TOTAL, TOTAL // 20):
        assert ob.email(accepted[i])["status"] == "sent"

    m = ob.metrics()
    assert m.value("outbox_jobs", state="queued") == 0
    assert m.value("outbox_jobs", state="leased") == 0
