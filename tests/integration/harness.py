"""Test harness for the outbox black-box tests.

Everything here drives real processes and real sockets: the built `outbox` binary, an
aiosmtpd recording SMTP server and a hand-written fault-injecting SMTP server. Nothing
sleeps for a fixed time; waits poll a condition until a deadline (`wait_for`).
"""

import asyncio
import datetime
import email
import email.policy
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.parse

from aiosmtpd.controller import Controller

ADMIN_KEY = "test-admin-key-0123456789abcdef"

# Environment variables the binary reads; scrubbed from the inherited environment so a
# developer's shell cannot change what a test sees.
_CONFIG_ENV_NAMES = {
    "smtp_server", "smtp_port", "smtp_user", "smtp_pass", "redis_uri",
    "ADMIN_API_KEY", "PORT", "SALT", "JWT_EXP_HRS", "MAX_UPLOAD_SIZE",
    "AWS_SES_SEND_LIMIT_PER_SEC", "AWS_SES_QUEUE_WAIT_TIME", "HTTP_HOST", "HTTP_PORT",
}


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("OUTBOX_") and k not in _CONFIG_ENV_NAMES}
    env.update(extra or {})
    return env


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=10.0, interval=0.02, message=None):
    """Polls `predicate` until it returns something truthy; returns that value.

    Raises AssertionError naming `message` (or the predicate) when `timeout` passes.
    """
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            what = message or getattr(predicate, "__name__", "condition")
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")
        time.sleep(interval)


def rfc3339(ts):
    """Unix seconds -> RFC 3339 UTC string with whole seconds."""
    return datetime.datetime.fromtimestamp(int(ts), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text):
    if text is None:
        return None
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# --------------------------------------------------------------------------- HTTP


class Response:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers  # dict with lower-case names
        self.raw = raw
        self.content_type = headers.get("content-type", "")
        self.body = None
        if "json" in self.content_type:
            try:
                self.body = json.loads(raw.decode("utf-8"))
            except ValueError:
                self.body = None
        else:
            try:
                self.body = raw.decode("utf-8")
            except UnicodeDecodeError:
                self.body = raw

    def __iter__(self):  # allows `status, headers, body = ob.api(...)`
        return iter((self.status, self.headers, self.body))

    def __repr__(self):
        shown = self.raw[:500]
        return f"<Response {self.status} {self.content_type!r} {shown!r}>"


def http_request(host, port, method, path, body=None, headers=None, timeout=15.0):
    """One request on a fresh connection; tolerates a server that answers before reading
    the whole body (e.g. 413) and then closes."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        try:
            conn.request(method, path, body=body, headers=headers or {})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may already have answered; read it below
        resp = conn.getresponse()
        raw = resp.read()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        return Response(resp.status, hdrs, raw)
    finally:
        conn.close()


class KeepAliveClient:
    """A persistent-connection client for bulk posting from one thread."""

    def __init__(self, host, port, admin_key=ADMIN_KEY, timeout=15.0):
        self.host, self.port, self.admin_key, self.timeout = host, port, admin_key, timeout
        self.conn = None

    def request(self, method, path, json_body=None, headers=None):
        hdrs = {"Authorization": f"Bearer {self.admin_key}"}
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=hdrs)
            resp = self.conn.getresponse()
            raw = resp.read()
        except Exception:
            self.close()
            raise
        r = Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, raw)
        if resp.will_close:
            self.close()
        return r

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# --------------------------------------------------------------------------- outbox


_LISTEN_RE = re.compile(r'"msg"\s*:\s*"listening"')
_ADMIN_USER_RE = re.compile(r"admin user (\S+), password \(shown once, store it now\): (\S+)")


class OutboxProcess:
    """One outbox data dir; can be started, stopped, killed and restarted."""

    def __init__(self, binary, data_dir, work_dir, args=(), env=None, admin_key=ADMIN_KEY,
                 listen="127.0.0.1:0"):
        self.binary = binary
        self.data_dir = str(data_dir)
        self.work_dir = str(work_dir)
        self.args = list(args)
        self.env = clean_env(env)
        self.admin_key = admin_key
        self.listen = listen
        self.proc = None
        self.port = None
        self.host = "127.0.0.1"
        self.starts = 0
        self.stdout_path = None
        self.stderr_path = None
        os.makedirs(self.work_dir, exist_ok=True)

    # -- lifecycle

    def command(self):
        cmd = [self.binary, "serve", "--listen", self.listen, "--data-dir", self.data_dir]
        if self.admin_key is not None:
            cmd += ["--admin-key", self.admin_key]
        return cmd + self.args

    def start(self, timeout=20.0):
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.starts += 1
        self.stdout_path = os.path.join(self.work_dir, f"stdout.{self.starts}.log")
        self.stderr_path = os.path.join(self.work_dir, f"stderr.{self.starts}.log")
        out = open(self.stdout_path, "wb")
        err = open(self.stderr_path, "wb")
        try:
            self.proc = subprocess.Popen(self.command(), stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, cwd=self.work_dir,
                                         env=self.env)
        finally:
            out.close()
            err.close()

        def listening():
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"outbox exited with {self.proc.returncode} during start-up\n"
                    f"command: {self.command()}\nstdout:\n{self.stdout()}\n"
                    f"stderr:\n{self.stderr()}")
            for line in self.stdout().splitlines():
                if _LISTEN_RE.search(line):
                    try:
                        rec = json.loads(line)
                    except ValueError:
                        continue
                    if rec.get("port"):
                        return rec
            return None

        try:
            rec = wait_for(listening, timeout, message="the 'listening' log line")
        except AssertionError:
            self.kill()
            raise
        self.port = int(rec["port"])
        self.host = rec.get("address") or "127.0.0.1"
        if self.host in ("0.0.0.0", "::", ""):
            self.host = "127.0.0.1"
        return self

    def restart(self, timeout=20.0):
        if self.running():
            self.stop()
        return self.start(timeout)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15.0):
        """SIGTERM and wait; returns (exit code, seconds taken). Kills on timeout."""
        if not self.running():
            return (self.proc.returncode if self.proc else None, 0.0)
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return (None, time.monotonic() - t0)
        return (rc, time.monotonic() - t0)

    def kill(self):
        if self.running():
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait()

    def stdout(self):
        return _read(self.stdout_path)

    def stderr(self):
        return _read(self.stderr_path)

    def all_stdout(self):
        return "".join(_read(os.path.join(self.work_dir, f"stdout.{i}.log"))
                       for i in range(1, self.starts + 1))

    # -- HTTP

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def api(self, method, path, json=None, headers=None, data=None, auth=True, timeout=15.0):
        """Sends a request; returns Response (iterable as status, headers, body)."""
        import json as _json
        hdrs = {}
        if auth and self.admin_key:
            hdrs["Authorization"] = f"Bearer {self.admin_key}"
        body = data
        if json is not None:
            body = _json.dumps(json).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        elif data is not None:
            hdrs.setdefault("Content-Type", "application/json")
            if isinstance(data, str):
                body = data.encode("utf-8")
        hdrs.update(headers or {})
        return http_request(self.host, self.port, method, path, body, hdrs, timeout)

    def admin_user(self):
        """(email, password) of the admin user that the first start printed."""
        m = _ADMIN_USER_RE.search(self.all_stdout())
        assert m, f"no admin user line in stdout:\n{self.all_stdout()}"
        return m.group(1), m.group(2)

    def login(self, email, password):
        """Signs in on /v1/auth/login; returns the answer's JSON (asserting 200)."""
        r = self.api("POST", "/v1/auth/login", json={"email": email, "password": password},
                     auth=False)
        assert r.status == 200, r
        return r.body

    def send(self, payload, headers=None, expect=202):
        r = self.api("POST", "/v1/emails", json=payload, headers=headers)
        if expect is not None:
            assert r.status == expect, f"POST /v1/emails {payload!r} -> {r!r}"
        return r.body

    def email(self, email_id):
        r = self.api("GET", f"/v1/emails/{email_id}")
        assert r.status == 200, f"GET /v1/emails/{email_id} -> {r!r}"
        return r.body

    def status(self, email_id):
        return self.email(email_id)["status"]

    def wait_status(self, email_id, wanted, timeout=15.0):
        wanted = {wanted} if isinstance(wanted, str) else set(wanted)
        seen = {}

        def reached():
            seen["email"] = self.email(email_id)
            return seen["email"]["status"] in wanted

        try:
            wait_for(reached, timeout, interval=0.05, message=f"email {email_id} to be {wanted}")
        except AssertionError as e:
            raise AssertionError(f"{e}; last GET: {json.dumps(seen.get('email'))}") from None
        return seen["email"]

    def list(self, **params):
        q = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        r = self.api("GET", "/v1/emails" + (f"?{q}" if q else ""))
        assert r.status == 200, f"GET /v1/emails?{q} -> {r!r}"
        return r.body

    def metrics(self):
        r = self.api("GET", "/metrics")
        assert r.status == 200, f"GET /metrics -> {r!r}"
        text = r.body if isinstance(r.body, str) else r.raw.decode()
        return parse_prometheus(text)


def _read(path):
    if not path or not os.path.exists(path):
        return ""
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


# --------------------------------------------------------------------------- metrics


_SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)')
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Metrics:
    def __init__(self, samples, text):
        self.samples = samples  # list of (name, {labels}, value)
        self.text = text

    def get(self, name, default=None, **labels):
        """Sum of samples named `name` whose labels include `labels`."""
        found = [v for n, l, v in self.samples
                 if n == name and all(l.get(k) == str(v2) for k, v2 in labels.items())]
        if not found:
            return default
        return sum(found)

    def has(self, name, **labels):
        return self.get(name, **labels) is not None

    def value(self, name, **labels):
        v = self.get(name, **labels)
        assert v is not None, f"metric {name}{labels or ''} missing from /metrics:\n{self.text}"
        return v


def parse_prometheus(text):
    samples = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE_RE.match(line)
        if not m:
            continue
        labels = dict(_LABEL_RE.findall(m.group(2) or ""))
        try:
            value = float(m.group(3))
        except ValueError:
            continue
        samples.append((m.group(1), labels, value))
    return Metrics(samples, text)


# --------------------------------------------------------------------------- SMTP: aiosmtpd


class Received:
    """One message as an SMTP server got it."""

    def __init__(self, mail_from, rcpt_tos, data, response, at):
        self.mail_from = mail_from
        self.rcpt_tos = list(rcpt_tos)
        self.data = data
        self.response = response
        self.at = at  # time.time() when DATA finished

    @property
    def message(self):
        return email.message_from_bytes(self.data, policy=email.policy.default)

    def header(self, name):
        return self.message.get(name)


class _RecordingHandler:
    def __init__(self, owner):
        self.owner = owner

    async def handle_DATA(self, server, session, envelope):
        owner = self.owner
        with owner.lock:
            index = owner.data_count
            owner.data_count += 1
        if owner.delay:
            await asyncio.sleep(owner.delay)
        response = owner.decide(envelope, index)
        rec = Received(envelope.mail_from, envelope.rcpt_tos, envelope.original_content
                       or envelope.content, response, time.time())
        with owner.lock:
            owner.attempts.append(rec)
            if response.startswith("2"):
                owner.messages.append(rec)
        return response


class RecordingSMTPServer:
    """aiosmtpd on a free port that records every DATA and answers per a policy.

    policy: None (always 250), a list of replies consumed one per DATA (250 once the list
    is exhausted), or a callable (envelope, index) -> reply.
    """

    def __init__(self, policy=None, delay=0.0):
        self.port = free_port()
        self.host = "127.0.0.1"
        self.policy = policy
        self.delay = delay
        self.lock = threading.Lock()
        self.messages = []   # accepted
        self.attempts = []   # every DATA, accepted or not
        self.data_count = 0
        self.controller = Controller(_RecordingHandler(self), hostname=self.host, port=self.port,
                                     ready_timeout=10.0, enable_SMTPUTF8=True)

    def decide(self, envelope, index):
        policy = self.policy
        if policy is None:
            return "250 OK"
        if callable(policy):
            return policy(envelope, index)
        with self.lock:
            if policy:
                return policy.pop(0)
        return "250 OK"

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        try:
            self.controller.stop()
        except Exception:
            pass

    def received(self):
        with self.lock:
            return list(self.messages)

    def count(self):
        with self.lock:
            return len(self.messages)

    def find(self, header, value):
        return [m for m in self.received() if m.header(header) == value]

    def smtp_args(self):
        return ["--smtp-host", self.host, "--smtp-port", str(self.port), "--smtp-tls", "none"]


# --------------------------------------------------------------------------- SMTP: faults


class FaultSMTPServer:
    """A small SMTP server written on asyncio streams, for faults aiosmtpd cannot make.

    - drop_in_data: the first N messages have their connection aborted in the middle of
      DATA (after the first content line arrives), so the client sees a reset.
    - reject_greetings: the first N connections are greeted with "554" and closed (a server
      refusing this client for now).
    - stop()/start() close and reopen the listening socket on the same port, also closing
      open sessions, to simulate a server that goes down and comes back.
    """

    def __init__(self, drop_in_data=0, port=None, reject_greetings=0):
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.drop_in_data = drop_in_data
        self.reject_greetings = reject_greetings
        self.lock = threading.Lock()
        self.messages = []
        self.data_commands = 0
        self.dropped = 0
        self.connections = 0
        self._server = None
        self._writers = set()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def _call(self, coro, timeout=10.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self):
        async def go():
            self._server = await asyncio.start_server(self._session, self.host, self.port,
                                                      reuse_address=True)
        self._call(go())
        return self

    def stop(self):
        async def go():
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()
                self._server = None
            for w in list(self._writers):
                w.transport.abort()
            self._writers.clear()
        self._call(go())

    def close(self):
        try:
            self.stop()
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)

    def count(self):
        with self.lock:
            return len(self.messages)

    def received(self):
        with self.lock:
            return list(self.messages)

    def smtp_args(self):
        return ["--smtp-host", self.host, "--smtp-port", str(self.port), "--smtp-tls", "none"]

    async def _session(self, reader, writer):
        self._writers.add(writer)
        with self.lock:
            self.connections += 1
            rejected = self.connections <= self.reject_greetings
        mail_from, rcpts = None, []

        async def reply(text):
            writer.write(text.encode() + b"\r\n")
            await writer.drain()

        try:
            if rejected:
                await reply("554 5.7.1 fault.test not accepting connections now")
                writer.close()
                return
            await reply("220 fault.test ESMTP ready")
            while True:
                line = await reader.readline()
                if not line:
                    return
                cmd = line.decode("utf-8", "replace").strip()
                verb = cmd.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    await reply("250-fault.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800")
                elif verb == "HELO":
                    await reply("250 fault.test")
                elif verb == "MAIL":
                    mail_from, rcpts = _smtp_arg(cmd), []
                    await reply("250 2.1.0 OK")
                elif verb == "RCPT":
                    rcpts.append(_smtp_arg(cmd))
                    await reply("250 2.1.5 OK")
                elif verb == "DATA":
                    with self.lock:
                        index = self.data_commands
                        self.data_commands += 1
                    await reply("354 End data with <CR><LF>.<CR><LF>")
                    if index < self.drop_in_data:
                        await reader.readline()  # some content has arrived
                        with self.lock:
                            self.dropped += 1
                        writer.transport.abort()
                        return
                    chunks = []
                    while True:
                        dl = await reader.readline()
                        if not dl:
                            return
                        if dl in (b".\r\n", b".\n"):
                            break
                        if dl.startswith(b"."):
                            dl = dl[1:]
                        chunks.append(dl)
                    with self.lock:
                        self.messages.append(Received(mail_from, rcpts, b"".join(chunks),
                                                      "250", time.time()))
                    await reply("250 2.0.0 queued")
                    mail_from, rcpts = None, []
                elif verb == "RSET":
                    mail_from, rcpts = None, []
                    await reply("250 2.0.0 OK")
                elif verb == "NOOP":
                    await reply("250 2.0.0 OK")
                elif verb == "QUIT":
                    await reply("221 2.0.0 bye")
                    return
                else:
                    await reply("502 5.5.2 command not implemented")
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._writers.discard(writer)
            try:
                writer.close()
            except Exception:
                pass


def _smtp_arg(cmd):
    m = re.search(r"<([^>]*)>", cmd)
    return m.group(1) if m else ""


# --------------------------------------------------------------------------- payloads


def simple_email(**overrides):
    payload = {
        "from": "sender@example.test",
        "to": ["rcpt@example.test"],
        "subject": "hello",
        "text": "hello world\n",
    }
    payload.update(overrides)
    return payload


# GoMail's README example for POST /task/, verbatim (trailing comma included: the seed's own
# JSON is not strict, and its clients send it that way).
GOMAIL_SEED_TASK = '''{
    "task": "User Login Verification",
    "type": "generateOtp",
    "retries": 3,
    "payload": {
       "userId":"example@gmail.com",
       "content_type": "weekly_newsletter",
        "length": 6,
        "frequency": "@weekly",
        "subject": "Your Weekly Engineering Update",
        "content": "<h1>Hello!</h1><p>Here is your weekly digest of backend updates.</p>",
    }
}
'''
