"""Retention (--retention-days): the setting is validated and shown; a purge run at start keeps
recent mail and the persistent counters. What each purge removes and keeps, in bounded batches,
is covered by the store contract (tests/unit/store/retention_contract.cpp): days are too coarse
to wait for here."""

import re
import subprocess

import pytest

from harness import clean_env, simple_email


def run(binary, *args, env=None, cwd=None, timeout=10):
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout,
                          env=clean_env(env), cwd=cwd, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("args,env", [
    (["--retention-days", "-1"], {}),
    (["--retention-days", "abc"], {}),
    (["--retention-days", "36501"], {}),
    (["--retention-days", "1.5"], {}),
    ([], {"OUTBOX_RETENTION_DAYS": "forever"}),
])
def test_invalid_retention_days_exits_2_naming_it(outbox_binary, tmp_path, args, env):
    for cmd in (["serve"], ["config", "check"]):
        p = run(outbox_binary, *cmd, "--data-dir", str(tmp_path / "data"),
                "--listen", "127.0.0.1:0", *args, env=env, cwd=tmp_path)
        assert p.returncode == 2, f"{cmd + args} env={env}: rc={p.returncode}\n{p.stderr}"
        assert re.search(r"retention[-_]days", p.stderr, re.I), p.stderr


@pytest.mark.parametrize("args,env,shown", [
    ([], {}, "30"),
    (["--retention-days", "7"], {}, "7"),
    ([], {"OUTBOX_RETENTION_DAYS": "0"}, "0"),
])
def test_retention_days_is_accepted_and_shown(outbox_binary, tmp_path, args, env, shown):
    p = run(outbox_binary, "config", "check", *args, env=env, cwd=tmp_path)
    assert p.returncode == 0, p
    assert re.search(r"retention[-_]days\W+" + shown + r"\b", p.stdout), p.stdout


def test_retention_keeps_recent_mail_and_counters_across_purges(outbox):
    ob = outbox("--retention-days", "1")
    eid = ob.send(simple_email(subject="kept"))["id"]
    assert ob.wait_status(eid, "sent")["status"] == "sent"  # capture transport
    ob.restart()  # a purge runs at every start
    assert ob.status(eid) == "sent"
    assert ob.api("GET", f"/v1/emails/{eid}/raw").status == 200
    m = ob.metrics()
    assert m.value("outbox_emails_sent_total") == 1
    assert m.value("outbox_emails_enqueued_total") == 1
    for kind in ("emails", "callbacks", "tasks", "fires", "idempotency_keys", "one_time_codes"):
        assert m.value("outbox_purged_total", kind=kind) == 0
