"""Batched delivery over one SMTP session (libESMTP): PIPELINING used when the server offers
it and not otherwise, refusals of some recipients and replies after DATA classified per
message, and a connection dropped mid-batch losing nothing.

The mails of each test are queued with one send_at a little ahead and a single SMTP session
(--smtp-sessions 1), so they are leased and sent as one batch. The server here is a small
threaded one on plain sockets: it records which commands arrived in each recv(), which is
how pipelining shows (RCPT TO and DATA in one read) without timing anything.
"""

import re
import socket
import threading
import time

from harness import free_port, rfc3339, simple_email, wait_for


class PipeServer:
    """SMTP server recording the commands of each read.

    pipelining: advertise PIPELINING in EHLO.
    rcpt_reply(address) -> reply for RCPT TO (default 250).
    data_reply(message_bytes) -> reply after the end of DATA (default 250).
    drop_after: the first session's connection is cut once this many messages were accepted,
        right after the next message's content arrived and before its reply.
    """

    def __init__(self, pipelining=True, rcpt_reply=None, data_reply=None, drop_after=None):
        self.host, self.port = "127.0.0.1", free_port()
        self.pipelining = pipelining
        self.rcpt_reply = rcpt_reply or (lambda addr: "250 2.1.5 Ok")
        self.data_reply = data_reply or (lambda data: "250 2.0.0 Ok: queued")
        self.drop_after = drop_after
        self.lock = threading.Lock()
        self.groups = []      # verbs of each read that held commands
        self.accepted = []    # (mail_from, rcpts, data) answered with 2xx
        self.sessions = 0
        self.dropped = 0
        self.sock = socket.create_server((self.host, self.port))
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def smtp_args(self):
        return ["--smtp-host", self.host, "--smtp-port", str(self.port), "--smtp-tls", "none"]

    def close(self):
        self.running = False
        self.thread.join(5)
        self.sock.close()

    def subjects(self):
        with self.lock:
            return sorted(re.search(rb"^Subject: (.*?)\r?$", d, re.M).group(1).decode()
                          for _, _, d in self.accepted)

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        with self.lock:
            self.sessions += 1
            first = self.sessions == 1
        accepted_here = 0
        buf = b""
        mail_from, rcpts, in_data, data = None, [], False, []
        conn.settimeout(10)

        def send(text):
            conn.sendall(text.encode() + b"\r\n")

        try:
            send("220 pipe.test ESMTP")
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
                verbs, out = [], []
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    line = line.rstrip(b"\r")
                    if in_data:
                        if line == b".":
                            in_data = False
                            message = b"\r\n".join(data) + b"\r\n"
                            if (first and self.drop_after is not None
                                    and accepted_here == self.drop_after):
                                with self.lock:
                                    self.dropped += 1
                                conn.shutdown(socket.SHUT_RDWR)
                                return
                            reply = self.data_reply(message)
                            if reply.startswith("2"):
                                accepted_here += 1
                                with self.lock:
                                    self.accepted.append((mail_from, list(rcpts), message))
                            out.append(reply)
                        else:
                            data.append(line[1:] if line.startswith(b".") else line)
                        continue
                    cmd = line.decode("utf-8", "replace")
                    verb = cmd.split(" ", 1)[0].upper()
                    verbs.append(verb)
                    if verb in ("EHLO", "HELO"):
                        ext = ["pipe.test", "8BITMIME", "SIZE 52428800"]
                        if self.pipelining:
                            ext.append("PIPELINING")
                        out.append("\r\n".join(f"250-{e}" for e in ext[:-1]) + f"\r\n250 {ext[-1]}")
                    elif verb == "MAIL":
                        mail_from, rcpts = _arg(cmd), []
                        out.append("250 2.1.0 Ok")
                    elif verb == "RCPT":
                        reply = self.rcpt_reply(_arg(cmd))
                        if reply.startswith("2"):
                            rcpts.append(_arg(cmd))
                        out.append(reply)
                    elif verb == "DATA":
                        if not rcpts:
                            out.append("554 5.5.1 Error: no valid recipients")
                        else:
                            in_data, data = True, []
                            out.append("354 End data with <CR><LF>.<CR><LF>")
                    elif verb == "RSET":
                        mail_from, rcpts = None, []
                        out.append("250 2.0.0 Ok")
                    elif verb == "QUIT":
                        send("221 2.0.0 Bye")
                        return
                    else:
                        out.append("502 5.5.2 Error: command not recognized")
                if verbs:
                    with self.lock:
                        self.groups.append(verbs)
                if out:
                    conn.sendall(("\r\n".join(out) + "\r\n").encode())
        except OSError:
            return
        finally:
            conn.close()


def _arg(cmd):
    m = re.search(r"<([^>]*)>", cmd)
    return m.group(1) if m else ""


def _server(request, **kwargs):
    srv = PipeServer(**kwargs)
    request.addfinalizer(srv.close)
    return srv


def _queue_batch(ob, payloads, ahead=3):
    """Queues the payloads due together `ahead` seconds from now; returns their ids."""
    send_at = rfc3339(int(time.time()) + ahead)
    return [ob.send(dict(p, send_at=send_at))["id"] for p in payloads]


def _args(srv, retry_base_ms=100):
    return [*srv.smtp_args(), "--smtp-sessions", "1", "--retry-base-ms", str(retry_base_ms),
            "--retry-max-ms", str(max(400, retry_base_ms)), "--smtp-timeout-ms", "5000"]


def test_pipelining_is_used_when_offered(outbox, request):
    srv = _server(request, pipelining=True)
    ob = outbox(*_args(srv))
    ids = _queue_batch(ob, [simple_email(subject=f"p{i}") for i in range(10)])
    for eid in ids:
        assert ob.wait_status(eid, {"sent", "failed"}, timeout=20)["status"] == "sent"
    assert srv.subjects() == sorted(f"p{i}" for i in range(10))
    # libESMTP sends the stored message as it is (it would add a missing Date or Message-ID).
    raw = ob.api("GET", f"/v1/emails/{ids[0]}/raw").raw
    sent = [d for _, _, d in srv.accepted if b"Subject: p0\r\n" in d]
    assert len(sent) == 1
    assert sent[0].rstrip(b"\r\n") == raw.replace(b"\r\n", b"\n").replace(
        b"\n", b"\r\n").rstrip(b"\r\n")
    # One session for the batch, and RCPT TO and DATA of each message in one read. (libESMTP
    # 1.1 sends MAIL FROM on its own even when pipelining: see the TODO in its protocol.c.)
    assert srv.sessions == 1, srv.sessions
    pipelined = [g for g in srv.groups if g == ["RCPT", "DATA"]]
    assert len(pipelined) == 10, srv.groups


def test_server_without_pipelining_gets_one_command_at_a_time(outbox, request):
    srv = _server(request, pipelining=False)
    ob = outbox(*_args(srv))
    ids = _queue_batch(ob, [simple_email(subject=f"n{i}") for i in range(6)])
    for eid in ids:
        assert ob.wait_status(eid, {"sent", "failed"}, timeout=20)["status"] == "sent"
    assert srv.subjects() == sorted(f"n{i}" for i in range(6))
    assert srv.sessions == 1
    assert all(len(g) == 1 for g in srv.groups), srv.groups


def test_refused_recipients_mid_pipeline_are_classified_per_message(outbox, request):
    def rcpt(addr):
        if addr.startswith("gone@"):
            return "550 5.1.1 <gone@example.test>: Recipient address rejected"
        if addr.startswith("busy@"):
            return "450 4.2.1 <busy@example.test>: mailbox busy"
        return "250 2.1.5 Ok"

    srv = _server(request, rcpt_reply=rcpt)
    ob = outbox(*_args(srv, retry_base_ms=60000))
    ids = _queue_batch(ob, [
        simple_email(subject="ok1"),
        simple_email(subject="gone", to=["gone@example.test"]),
        simple_email(subject="busy", to=["busy@example.test"]),
        # Several recipients, one refused: all or nothing, as before (no partial delivery).
        simple_email(subject="mixed", to=["rcpt@example.test", "gone@example.test"]),
        simple_email(subject="ok2"),
    ])
    final = {eid: ob.wait_status(eid, {"sent", "failed", "deferred"}, timeout=20) for eid in ids}
    ok1, gone, busy, mixed, ok2 = (final[eid] for eid in ids)
    assert ok1["status"] == "sent" and ok2["status"] == "sent"
    assert gone["status"] == "failed", gone
    assert gone["last_reply"].startswith("550 5.1.1"), gone
    assert gone["attempts"] == 1
    assert busy["status"] == "deferred", busy
    assert busy["last_reply"].startswith("450 4.2.1"), busy
    assert mixed["status"] == "failed", mixed
    assert "550" in mixed["last_reply"], mixed
    assert srv.subjects() == ["ok1", "ok2"]


def test_replies_after_data_are_classified_per_message(outbox, request):
    def after_data(message):
        if b"Subject: defer" in message:
            return "451 4.3.0 queue full, try later"
        if b"Subject: reject" in message:
            return "554 5.7.1 message refused by content policy"
        return "250 2.0.0 Ok: queued"

    srv = _server(request, data_reply=after_data)
    ob = outbox(*_args(srv, retry_base_ms=60000))
    ids = _queue_batch(ob, [simple_email(subject=s) for s in ("a", "defer", "b", "reject", "c")])
    final = [ob.wait_status(eid, {"sent", "failed", "deferred"}, timeout=20) for eid in ids]
    assert [f["status"] for f in final] == ["sent", "deferred", "sent", "failed", "sent"], final
    assert final[1]["last_reply"] == "451 4.3.0 queue full, try later"
    assert final[3]["last_reply"] == "554 5.7.1 message refused by content policy"
    assert srv.subjects() == ["a", "b", "c"]


def test_dropped_connection_mid_batch_loses_nothing(outbox, request):
    srv = _server(request, drop_after=3)
    ob = outbox(*_args(srv))
    ids = _queue_batch(ob, [simple_email(subject=f"d{i}") for i in range(8)])
    final = [ob.wait_status(eid, {"sent", "failed"}, timeout=30) for eid in ids]
    assert all(f["status"] == "sent" for f in final), final
    assert srv.dropped == 1
    # The three accepted before the drop went once; the one cut off and those after it were
    # retried in a later session and arrived once each.
    assert srv.subjects() == sorted(f"d{i}" for i in range(8))
    assert sorted(f["attempts"] for f in final).count(1) >= 3, final
    assert srv.sessions >= 2
    wait_for(lambda: ob.metrics().get("outbox_emails_sent_total", 0) == 8, 5,
             message="outbox_emails_sent_total to reach 8")
