"""Send-rate limits, black-box: --domain-rate paces each recipient domain on its own (mail to
other domains is not held up), and the SES seed's AWS_SES_SEND_LIMIT_PER_SEC caps the whole
transport."""

import time

from harness import simple_email, wait_for


def arrivals(srv, domain):
    return sorted(m.at for m in srv.received() if m.rcpt_tos[0].endswith("@" + domain))


def test_domain_rate_paces_one_domain_without_holding_up_others(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args(), "--domain-rate", "4")
    t0 = time.time()
    for i in range(6):
        ob.send(simple_email(to=[f"u{i}@slow.test"]))
    ob.send(simple_email(to=["x@fast.test"]))
    wait_for(lambda: srv.count() == 7, timeout=15, message="all seven delivered")
    slow = arrivals(srv, "slow.test")
    # 4 per second with no burst: six messages span at least 5 intervals of 0.25 s.
    assert slow[-1] - slow[0] >= 1.1, slow
    assert arrivals(srv, "fast.test")[0] - t0 < 1.0
    # Deferral does not spend attempts (outbox records "sent" just after the server has it).
    wait_for(lambda: all(e["status"] == "sent" for e in ob.list()["data"]), timeout=10)
    for email in ob.list()["data"]:
        assert (email["status"], email["attempts"]) == ("sent", 1), email


def test_ses_send_limit_alias_caps_the_transport(outbox, smtp_server):
    srv = smtp_server()
    ob = outbox(*srv.smtp_args(), env={"AWS_SES_SEND_LIMIT_PER_SEC": "5"})
    for i in range(11):
        ob.send(simple_email(to=[f"u{i}@d{i}.test"]))
    wait_for(lambda: srv.count() == 11, timeout=15)
    times = sorted(m.at for m in srv.received())
    # A bucket of 5 refilled at 5 per second: 5 at once, the other 6 over about 1.2 s.
    assert times[-1] - times[0] >= 0.9, times
