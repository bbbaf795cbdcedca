"""STARTTLS, implicit TLS (SMTPS) and SMTP AUTH against a real aiosmtpd with a self-signed
certificate made by the openssl command."""

import ssl
import subprocess
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from harness import free_port, rfc3339, simple_email, wait_for

USER, PASSWORD = "mailer@example.test", "s3cret-pass"


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


class Recorder:
    """Records each message with whether its session was encrypted and who logged in."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            tls = server.transport.get_extra_info("ssl_object") is not None
            self.messages.append({"tls": tls,
                                  "helo": session.host_name,
                                  "login": getattr(session, "auth_data", None),
                                  "rcpt": list(envelope.rcpt_tos),
                                  "data": envelope.content})
        return "250 OK"

    def received(self):
        with self.lock:
            return list(self.messages)


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


@pytest.fixture
def tls_server(tls_context):
    controllers = []

    def make(implicit):
        recorder = Recorder()
        port = free_port()
        if implicit:
            # aiosmtpd's auth_require_tls only recognises STARTTLS; the whole session is
            # encrypted here anyway.
            controller = Controller(recorder, hostname="127.0.0.1", port=port,
                                    ssl_context=tls_context, authenticator=authenticator,
                                    auth_require_tls=False, ready_timeout=10.0)
        else:
            controller = Controller(recorder, hostname="127.0.0.1", port=port,
                                    tls_context=tls_context, require_starttls=True,
                                    authenticator=authenticator, auth_require_tls=True,
                                    ready_timeout=10.0)
        controller.start()
        controllers.append(controller)
        return recorder, port

    yield make
    for controller in controllers:
        controller.stop()


def smtp_args(port, tls, password=PASSWORD, verify="false"):
    return ["--smtp-host", "127.0.0.1", "--smtp-port", str(port), "--smtp-tls", tls,
            "--smtp-verify-tls", verify, "--smtp-user", USER, "--smtp-pass", password,
            "--retry-base-ms", "100", "--retry-max-ms", "200", "--smtp-timeout-ms", "5000"]


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
def test_delivers_encrypted_and_authenticated(outbox, tls_server, mode):
    recorder, port = tls_server(implicit=(mode == "implicit"))
    ob = outbox(*smtp_args(port, mode))
    eid = ob.send(simple_email(subject=f"over {mode}"))["id"]
    final = ob.wait_status(eid, {"sent", "failed"}, timeout=20)
    assert final["status"] == "sent", final
    got = recorder.received()
    assert len(got) == 1
    assert got[0]["tls"], "the session was not encrypted"
    assert got[0]["login"].login == USER.encode()
    assert b"Subject: over " + mode.encode() in got[0]["data"]


def test_auto_mode_upgrades_with_starttls_when_offered(outbox, tls_server):
    recorder, port = tls_server(implicit=False)
    ob = outbox(*smtp_args(port, "auto"))
    eid = ob.send(simple_email())["id"]
    assert ob.wait_status(eid, {"sent", "failed"}, timeout=20)["status"] == "sent"
    assert recorder.received()[0]["tls"]


def test_wrong_password_is_deferred_not_failed(outbox, tls_server):
    # A refused login is the operator's configuration, not the message: it must stay queued.
    recorder, port = tls_server(implicit=False)
    ob = outbox(*smtp_args(port, "starttls", password="wrong-password"))
    eid = ob.send(simple_email())["id"]
    e = ob.wait_status(eid, "deferred", timeout=20)
    assert "535" in (e["last_reply"] or ""), e
    assert recorder.received() == []


def test_untrusted_certificate_is_refused_when_verifying(outbox, tls_server):
    recorder, port = tls_server(implicit=True)
    ob = outbox(*smtp_args(port, "implicit", verify="true"))
    eid = ob.send(simple_email())["id"]
    e = ob.wait_status(eid, "deferred", timeout=20)
    assert "certificate" in (e["last_reply"] or "").lower(), e
    assert recorder.received() == []


def test_ehlo_uses_the_configured_name(outbox, tls_server):
    recorder, port = tls_server(implicit=False)
    ob = outbox(*smtp_args(port, "starttls"), "--smtp-helo-name", "mta1.example.test")
    eid = ob.send(simple_email())["id"]
    assert ob.wait_status(eid, {"sent", "failed"}, timeout=20)["status"] == "sent"
    assert recorder.received()[0]["helo"] == "mta1.example.test"


# Batches: several mails due at once go out as one libESMTP session (STARTTLS, AUTH, then the
# messages), not over curl. The implicit-TLS (SMTPS) case stays on curl, message by message.

def _batch(ob, count, ahead=3):
    send_at = rfc3339(int(time.time()) + ahead)
    return [ob.send(simple_email(subject=f"batch {i}", send_at=send_at))["id"]
            for i in range(count)]


def test_batch_over_starttls_with_auth(outbox, tls_server):
    recorder, port = tls_server(implicit=False)
    ob = outbox(*smtp_args(port, "starttls"), "--smtp-sessions", "1",
                "--smtp-helo-name", "mta2.example.test")
    ids = _batch(ob, 5)
    for eid in ids:
        assert ob.wait_status(eid, {"sent", "failed"}, timeout=20)["status"] == "sent"
    got = recorder.received()
    assert sorted(m["data"].split(b"Subject: ")[1].split(b"\r\n")[0] for m in got) == [
        f"batch {i}".encode() for i in range(5)]
    assert all(m["tls"] for m in got), "a message went unencrypted"
    assert all(m["login"].login == USER.encode() for m in got)
    assert all(m["helo"] == "mta2.example.test" for m in got)


def test_batch_with_wrong_password_is_deferred_not_failed(outbox, tls_server):
    recorder, port = tls_server(implicit=False)
    ob = outbox(*smtp_args(port, "starttls", password="wrong-password"), "--smtp-sessions", "1",
                "--retry-base-ms", "60000", "--retry-max-ms", "60000")
    ids = _batch(ob, 3)
    for eid in ids:
        e = ob.wait_status(eid, {"deferred", "failed", "sent"}, timeout=20)
        assert e["status"] == "deferred", e
        # The 535 is usually the reply shown, but not always: a fresh-Debian run saw "the
        # session ended before the server accepted the message" instead (a race in how the
        # libESMTP session's monitor sees the refused AUTH; not yet understood). The guarantee
        # is the status above and that nothing went out.
        assert "535" in (e["last_reply"] or "") or "session ended" in e["last_reply"], e
    assert recorder.received() == []


def test_batch_refuses_an_untrusted_certificate_when_verifying(outbox, tls_server):
    recorder, port = tls_server(implicit=False)
    ob = outbox(*smtp_args(port, "starttls", verify="true"), "--smtp-sessions", "1",
                "--retry-base-ms", "60000", "--retry-max-ms", "60000")
    ids = _batch(ob, 3)
    for eid in ids:
        e = ob.wait_status(eid, {"deferred", "failed", "sent"}, timeout=20)
        assert e["status"] == "deferred", e
        assert "certificate" in (e["last_reply"] or "").lower(), e
    assert recorder.received() == []
