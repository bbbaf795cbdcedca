"""Issue 14's HTTP front, attacked black-box as a client would: a second instance on a port in
use; floods of idle keep-alive, half-sent and slowloris connections held while a probe measures
new requests (p99 < 100 ms); absolute header, body and idle deadlines; connection limits per
client address and in total; bodies refused before they are read (413, 401, 100-continue,
chunked bodies counted as they arrive); the server's memory under 100 parallel 24 MB uploads;
malformed requests and pipelining.

Every attacker runs in this process (asyncio or raw sockets) and is bounded in count and time.
Many clients are modelled with distinct loopback source addresses (all of 127/8 is loopback on
Linux); the probe always comes from 127.0.0.1.

The front's settings are given as environment variables (OUTBOX_HTTP_MAX_CONNECTIONS, ...):
a binary that does not know them still starts, so the tests measure its behaviour instead of
failing at the command line; `test_front_settings_*` checks the flags themselves.
"""

import asyncio
import contextlib
import json
import math
import resource
import select
import selectors
import socket
import subprocess
import threading
import time

import pytest

from harness import simple_email, wait_for
from test_cli import config_check
from test_ses_email import form
from test_ses_tasks import create_key
from test_templates import SEED_HTML, add_template

P99_LIMIT = 0.100  # seconds: the bound on a new request's latency under attack
PROBES = 200  # per measurement, spread over PROBE_SPREAD seconds
PROBE_SPREAD = 4.0
PROBE_TIMEOUT = 2.0  # a probe not answered by then counts as failed (infinitely slow)
RSS_LIMIT_KB = 128 * 1024
HOOK = "http://127.0.0.1:9/hook"  # a key's callback URL; never answers, not under test
PING = b"GET /health/ping HTTP/1.1\r\nHost: outbox.test\r\n\r\n"
MB = 1_000_000

# The issue's defaults, and the settings' environment names.
DEFAULTS = {"http-max-connections": "4096", "http-max-connections-per-client": "256",
            "http-header-timeout-ms": "10000", "http-body-timeout-ms": "60000",
            "http-idle-timeout-ms": "30000"}


def front_env(**settings):
    """{"OUTBOX_HTTP_MAX_CONNECTIONS": "50", ...} from http_max_connections=50, ..."""
    return {"OUTBOX_" + name.upper(): str(value) for name, value in settings.items()}


def source(n):
    """The n-th attacking client address: 127.0.0.2 ... 127.0.0.250."""
    assert 2 <= n <= 250
    return f"127.0.0.{n}"


# ------------------------------------------------------------------------------- HTTP parsing


class Answer:
    def __init__(self, status, reason, headers, body):
        self.status, self.reason, self.headers, self.body = status, reason, headers, body

    @property
    def content_type(self):
        return self.headers.get("content-type", "")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return f"<Answer {self.status} {self.headers!r} {self.body[:300]!r}>"


def parse_one(buf, eof=False):
    """The first complete HTTP/1.1 response in `buf`: (Answer, bytes used), or None."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise AssertionError(f"not an HTTP response: {bytes(buf[:200])!r}")
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    pos = end + 4
    if 100 <= status < 200 or status in (204, 304):
        return Answer(status, parts[2] if len(parts) > 2 else "", headers, b""), pos
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = bytearray()
        while True:
            line_end = buf.find(b"\r\n", pos)
            if line_end < 0:
                return None
            size = int(bytes(buf[pos:line_end]).split(b";")[0], 16)
            pos = line_end + 2
            if size == 0:
                trailer_end = buf.find(b"\r\n\r\n", pos - 2)
                if trailer_end < 0:
                    return None
                pos = trailer_end + 4
                break
            if len(buf) < pos + size + 2:
                return None
            body += buf[pos:pos + size]
            pos += size + 2
        return Answer(status, parts[2] if len(parts) > 2 else "", headers, bytes(body)), pos
    if "content-length" in headers:
        n = int(headers["content-length"])
        if len(buf) < pos + n:
            return None
        return Answer(status, parts[2] if len(parts) > 2 else "", headers,
                      bytes(buf[pos:pos + n])), pos + n
    if not eof:
        return None
    return Answer(status, parts[2] if len(parts) > 2 else "", headers, bytes(buf[pos:])), len(buf)


def parse_all(buf, eof=True):
    answers = []
    buf = bytes(buf)
    while True:
        got = parse_one(buf, eof)
        if not got:
            return answers
        answers.append(got[0])
        buf = buf[got[1]:]


# ------------------------------------------------------------------------------- raw sockets


def raw_connect(ob, src="127.0.0.1", timeout=5.0, sndbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if sndbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect((ob.host, ob.port))
    return s


class Exchange:
    """What one connection saw: bytes received, how it ended, bytes sent, when."""

    def __init__(self):
        self.received = bytearray()
        self.ended = "open"  # "eof", "reset", "timeout" (still open at the deadline), "open"
        self.sent = 0
        self.answers = []
        self.t_first_answer = None  # seconds from the start
        self.t_end = None

    def answer(self):
        return self.answers[0] if self.answers else None

    def closed(self):
        return self.ended in ("eof", "reset")

    def __repr__(self):
        return (f"<Exchange ended={self.ended} sent={self.sent} answers={self.answers!r} "
                f"received={bytes(self.received[:300])!r}>")


def exchange(sock, data=b"", timeout=5.0, answers=None, stop_sending_on_answer=True):
    """Sends `data` (stopping early if the server answers or closes) while reading; returns
    once the server closed, `answers` complete answers arrived, or `timeout` passed."""
    ex = Exchange()
    sock.setblocking(False)
    view = memoryview(data)
    t0 = time.monotonic()
    with selectors.DefaultSelector() as sel:
        sel.register(sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if data else 0))
        sending = bool(data)
        while True:
            left = timeout - (time.monotonic() - t0)
            if left <= 0:
                ex.ended = "timeout"
                break
            for _, events in sel.select(left):
                if events & selectors.EVENT_READ:
                    try:
                        chunk = sock.recv(1 << 16)
                    except (ConnectionResetError, BrokenPipeError):
                        ex.ended = "reset"
                        chunk = None
                    except BlockingIOError:
                        continue
                    if chunk == b"":
                        ex.ended = "eof"
                    elif chunk:
                        ex.received += chunk
                if events & selectors.EVENT_WRITE and sending and ex.ended == "open":
                    try:
                        ex.sent += sock.send(view[ex.sent:ex.sent + (1 << 16)])
                    except BlockingIOError:
                        pass
                    except (ConnectionResetError, BrokenPipeError):
                        # The server closed; what it answered before may still be queued.
                        sending = False
                        sel.modify(sock, selectors.EVENT_READ)
            ex.answers = parse_all(ex.received, eof=ex.closed())
            if ex.answers and ex.t_first_answer is None:
                ex.t_first_answer = time.monotonic() - t0
            if ex.closed() or (answers is not None and len(ex.answers) >= answers):
                break
            if sending and (ex.sent >= len(view) or (stop_sending_on_answer and ex.answers)):
                sending = False
                sel.modify(sock, selectors.EVENT_READ)
    ex.t_end = time.monotonic() - t0
    return ex


def request_once(ob, data, src="127.0.0.1", timeout=5.0, answers=1):
    """One request on a new connection from `src`; answers=None waits for the close."""
    with contextlib.closing(raw_connect(ob, src)) as s:
        return exchange(s, data, timeout=timeout, answers=answers)


def ping_on(sock, timeout=5.0):
    """A keep-alive ping on an open socket; the Answer or None."""
    ex = exchange(sock, PING, timeout=timeout, answers=1)
    return ex.answer()


# ------------------------------------------------------------------------------- the probe


class ProbeStats:
    def __init__(self, latencies, statuses, errors):
        self.latencies = sorted(latencies)  # seconds; a failed probe is math.inf
        self.statuses = statuses
        self.errors = errors
        self.failed = sum(1 for x in latencies if x == math.inf)

    def pct(self, p):
        if not self.latencies:
            return math.inf
        return self.latencies[max(0, math.ceil(p / 100 * len(self.latencies)) - 1)]

    @property
    def p99(self):
        return self.pct(99)

    @property
    def max(self):
        return self.latencies[-1] if self.latencies else math.inf

    def __str__(self):
        def ms(x):
            return "timeout" if x == math.inf else f"{x * 1000:.1f} ms"
        return (f"{len(self.latencies)} probes: p50 {ms(self.pct(50))}, p99 {ms(self.p99)}, "
                f"max {ms(self.max)}, {self.failed} failed"
                + (f" (e.g. {self.errors[0]})" if self.errors else ""))


async def _ping(host, port):
    """New connection + GET /health/ping; the status once the whole answer is in."""
    reader, writer = await asyncio.open_connection(host, port, local_addr=("127.0.0.1", 0))
    try:
        writer.write(b"GET /health/ping HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
        buf = bytearray()
        while True:
            got = parse_one(buf)
            if got:
                return got[0].status
            data = await reader.read(1 << 16)
            if not data:
                got = parse_one(buf, eof=True)
                if got:
                    return got[0].status
                raise ConnectionError(f"closed after {bytes(buf[:100])!r}")
            buf += data
    finally:
        writer.close()


async def _probe_burst(host, port, count, spread, timeout):
    latencies, statuses, errors = [], [], []

    async def one():
        t0 = time.perf_counter()
        try:
            status = await asyncio.wait_for(_ping(host, port), timeout)
        except (asyncio.TimeoutError, OSError, ConnectionError, AssertionError) as e:
            latencies.append(math.inf)
            errors.append(type(e).__name__ + (f": {e}" if str(e) else ""))
            return
        elapsed = time.perf_counter() - t0
        statuses.append(status)
        if status != 200:
            latencies.append(math.inf)
            errors.append(f"status {status}")
        else:
            latencies.append(elapsed)

    start = time.perf_counter()
    tasks = []
    for i in range(count):
        delay = start + i * spread / count - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    return ProbeStats(latencies, statuses, errors)


def probe_burst(host, port, count=PROBES, spread=PROBE_SPREAD, timeout=PROBE_TIMEOUT):
    """`count` pings on new connections, started evenly over `spread` seconds (each measured
    from its connect to its complete answer), in their own event loop."""
    return asyncio.run(_probe_burst(host, port, count, spread, timeout))


def recovery_seconds(ob, within=15.0):
    """Seconds until 20 new pings in a row are all answered 200, each in under 100 ms."""
    t0 = time.monotonic()
    last = {}

    def recovered():
        last["stats"] = probe_burst(ob.host, ob.port, count=20, spread=0.2, timeout=1.0)
        return last["stats"].failed == 0 and last["stats"].max < P99_LIMIT

    try:
        wait_for(recovered, within, interval=0.1)
    except AssertionError:
        raise AssertionError(f"no recovery within {within} s after the attackers left; last "
                             f"burst: {last.get('stats')}") from None
    return time.monotonic() - t0


# ------------------------------------------------------------------------------- fd limits


@contextlib.contextmanager
def nofile_soft_limit(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def ensure_own_nofile(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        if hard < needed:
            pytest.fail(f"this test needs {needed} open files; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def server_nofile(ob):
    with open(f"/proc/{ob.proc.pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                return line.split()[3]
    return "?"


@pytest.fixture
def flood_target(outbox):
    """A fresh outbox started with the soft open-file limit systemd gives a service (1024):
    holding 1,450 connections is the server's own business (it raises its soft limit)."""
    with nofile_soft_limit(1024):
        ob = outbox()
    ensure_own_nofile(8192)
    return ob


# ------------------------------------------------------------------------------- the floods


class Conn:
    """One attacking asyncio connection."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.buf = bytearray()
        self.closed_by_server = False

    @classmethod
    async def open(cls, ob, src):
        reader, writer = await asyncio.open_connection(ob.host, ob.port, local_addr=(src, 0))
        return cls(reader, writer)

    async def answer(self):
        """The next complete answer, or None when the server closes first."""
        while True:
            got = parse_one(self.buf)
            if got:
                del self.buf[:got[1]]
                return got[0]
            try:
                data = await self.reader.read(1 << 16)
            except OSError:
                data = b""
            if not data:
                self.closed_by_server = True
                got = parse_one(self.buf, eof=True)
                return got[0] if got else None
            self.buf += data

    async def until_closed(self, timeout=None):
        """Reads (and drops) until the server closes; True if it did within `timeout`."""
        async def drain():
            while True:
                try:
                    data = await self.reader.read(1 << 16)
                except OSError:
                    data = b""
                if not data:
                    self.closed_by_server = True
                    return True
        if timeout is None:
            return await drain()
        try:
            return await asyncio.wait_for(drain(), timeout)
        except asyncio.TimeoutError:
            return False

    def close(self):
        self.writer.transport.abort()


class Flood:
    """Attacking connections held by one event loop: idle keep-alive ones (answered once),
    half-sent headers, and slowloris clients (one header byte a second). Half-sent and
    slowloris clients reconnect 0.2 s after the server closes them, as attackers would."""

    HALF = b"POST /v1/emails HTTP/1.1\r\nHost: x\r\nContent-Le"
    SLOW = b"GET /health/ping HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100_000

    def __init__(self, ob):
        self.ob = ob
        self.idle = []  # Conn
        self.idle_answered = 0
        self.half, self.slow = {}, {}  # index -> current Conn
        self.reconnects = {"half": 0, "slow": 0}
        self.connect_errors = []
        self.tasks = []

    async def _open(self, src):
        try:
            return await Conn.open(self.ob, src)
        except OSError as e:
            self.connect_errors.append(f"{src}: {e}")
            return None

    async def open_idle(self, n, sources, deadline):
        """n keep-alive connections, each answered once; waits at most `deadline` seconds for
        the answers (the ones still waiting stay open)."""
        sem = asyncio.Semaphore(200)

        async def one(i):
            async with sem:
                c = await self._open(sources[i % len(sources)])
            if c is None:
                return
            self.idle.append(c)
            c.writer.write(PING)
            a = await c.answer()
            if a is not None and a.status == 200:
                self.idle_answered += 1
                await c.until_closed()

        for i in range(n):
            self.tasks.append(asyncio.create_task(one(i)))
        t0 = time.monotonic()
        while self.idle_answered < n and time.monotonic() - t0 < deadline:
            await asyncio.sleep(0.05)
        return time.monotonic() - t0

    async def _attacker(self, kind, table, i, src, start_delay):
        await asyncio.sleep(start_delay)
        while True:
            c = await self._open(src)
            if c is None:
                await asyncio.sleep(0.2)
                continue
            table[i] = c
            if kind == "half":
                c.writer.write(self.HALF)
                await c.until_closed()
            else:
                for k in range(len(self.SLOW)):
                    c.writer.write(self.SLOW[k:k + 1])
                    if await c.until_closed(timeout=1.0):
                        break
            self.reconnects[kind] += 1
            await asyncio.sleep(0.2)

    async def open_half(self, n, sources):
        for i in range(n):
            self.tasks.append(asyncio.create_task(
                self._attacker("half", self.half, i, sources[i % len(sources)], 0)))

    async def open_slow(self, n, sources):
        for i in range(n):
            self.tasks.append(asyncio.create_task(
                self._attacker("slow", self.slow, i, sources[i % len(sources)], i / n)))

    def held(self):
        """(idle, half, slow) connections open right now (not closed by the server)."""
        return (sum(1 for c in self.idle if not c.closed_by_server),
                sum(1 for c in self.half.values() if not c.closed_by_server),
                sum(1 for c in self.slow.values() if not c.closed_by_server))

    async def stop(self):
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for c in list(self.idle) + list(self.half.values()) + list(self.slow.values()):
            c.close()
        await asyncio.sleep(0)


def run_flood(ob, report, name, idle=0, half=0, slow=0):
    """Holds the flood, measures PROBES new pings meanwhile, lets go, waits for recovery;
    asserts everything the issue asks and prints the figures."""
    idle_sources = [source(10 + k) for k in range(8)]  # 125 each at 1,000: under 256
    half_sources = [source(30 + k) for k in range(4)]  # 75 each at 300
    slow_sources = [source(40 + k) for k in range(2)]  # 75 each at 150

    async def main():
        flood = Flood(ob)
        t0 = time.monotonic()
        await flood.open_half(half, half_sources)
        await flood.open_slow(slow, slow_sources)
        setup = await flood.open_idle(idle, idle_sources, deadline=10.0) if idle else 0.0
        await asyncio.sleep(0.5)  # the half-sent and slow ones have connected and written
        stats = await asyncio.get_running_loop().run_in_executor(
            None, probe_burst, ob.host, ob.port)
        held = flood.held()
        held_for = time.monotonic() - t0
        await flood.stop()
        return flood, setup, stats, held, held_for

    flood, setup, stats, held, held_for = asyncio.run(main())
    assert ob.running(), f"outbox died during the flood:\n{ob.stderr()[-3000:]}"
    recovery = recovery_seconds(ob)
    report(f"[http front] flood {name} (idle {idle}, half-sent {half}, slowloris {slow}): "
           f"idle answered {flood.idle_answered}/{idle} in {setup:.1f} s; {stats}; held at the "
           f"end: idle {held[0]}/{idle}, half {held[1]}/{half}, slow {held[2]}/{slow} "
           f"(reconnects {flood.reconnects}); connect errors {len(flood.connect_errors)}; "
           f"held {held_for:.1f} s; recovered in {recovery:.2f} s; server soft nofile "
           f"{server_nofile(ob)}")
    problems = []
    if flood.idle_answered != idle:
        problems.append(f"only {flood.idle_answered} of {idle} idle keep-alive connections got "
                        f"their answer within 10 s")
    if not (stats.p99 < P99_LIMIT and stats.failed == 0):
        problems.append(f"new requests under the flood: {stats}")
    # The attack was real: the connections were still held while the probe ran.
    if not (held[0] >= 0.95 * idle and held[1] >= 0.95 * half and held[2] >= 0.95 * slow):
        problems.append(f"the server let go of attackers before the probe ended: held {held}")
    if flood.connect_errors:
        problems.append(f"connect errors: {flood.connect_errors[:5]}")
    assert not problems, f"flood {name}: " + "; ".join(problems)


@pytest.mark.slow
def test_flood_of_idle_keep_alive_connections(flood_target, report):
    run_flood(flood_target, report, "a", idle=1000)


@pytest.mark.slow
def test_flood_of_half_sent_headers(flood_target, report):
    run_flood(flood_target, report, "b", half=300)


@pytest.mark.slow
def test_flood_of_slowloris_clients(flood_target, report):
    run_flood(flood_target, report, "c", slow=150)


@pytest.mark.slow
def test_flood_all_three_at_once(flood_target, report):
    run_flood(flood_target, report, "d", idle=1000, half=300, slow=150)


# ------------------------------------------------------------------------------- port in use


def test_a_second_instance_on_a_port_in_use_exits_2_naming_it(outbox):
    first = outbox()
    second = outbox("--port", str(first.port), admin_key="another-admin-key-0123456789",
                    start=False)
    proc = subprocess_start(second)
    try:
        try:
            rc = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            rc = None
        # The first still answers, with its own database, on every new connection (a shared
        # port would send some of these to the second: 401 from the wrong database).
        statuses = [first.api("GET", "/v1/emails").status for _ in range(40)]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        err = proc.stderr.read().decode("utf-8", "replace")
        proc.stderr.close()
    assert rc == 2, (f"the second outbox on {first.host}:{first.port} did not exit 2 within 5 s "
                     f"(exit code {rc}); the first answered {statuses}; stderr:\n{err[-2000:]}")
    assert f"{first.host}:{first.port}" in err and "in use" in err.lower(), err
    assert statuses == [200] * 40, statuses


def test_a_port_held_by_another_program_exits_2_naming_it(outbox):
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen(8)
    port = holder.getsockname()[1]
    try:
        ob = outbox("--port", str(port), start=False)
        proc = subprocess_start(ob)
        try:
            rc = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = None
        proc.wait()
        err = proc.stderr.read().decode("utf-8", "replace")
        proc.stderr.close()
    finally:
        holder.close()
    assert rc == 2, (rc, err)
    assert f"127.0.0.1:{port}" in err and "in use" in err.lower(), err


def subprocess_start(ob):
    return subprocess.Popen(ob.command(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, cwd=ob.work_dir, env=ob.env)


# ------------------------------------------------------------------------------- deadlines


@pytest.fixture(scope="module")
def deadlines(module_outbox):
    return module_outbox(env=front_env(http_header_timeout_ms=2000, http_body_timeout_ms=2000,
                                       http_idle_timeout_ms=1500))


def trickle(sock, pieces, interval, cap):
    """Sends one of `pieces` every `interval` seconds until the server closes or `cap` seconds
    pass; returns (seconds from the first piece to the close or None, Exchange)."""
    ex = Exchange()
    sock.setblocking(False)
    t0 = time.monotonic()
    next_send, k = t0, 0
    while time.monotonic() - t0 < cap and not ex.closed():
        now = time.monotonic()
        if now >= next_send and k < len(pieces):
            try:
                ex.sent += sock.send(pieces[k])
            except (BlockingIOError, InterruptedError):
                pass
            except (ConnectionResetError, BrokenPipeError):
                ex.ended = "reset"
                ex.received += queued(sock)
                break
            k += 1
            next_send += interval
        r, _, _ = select.select([sock], [], [], max(0.0, min(next_send - time.monotonic(), 0.05)))
        if r:
            try:
                chunk = sock.recv(1 << 16)
            except ConnectionResetError:
                ex.ended = "reset"
                break
            except BlockingIOError:
                continue
            if not chunk:
                ex.ended = "eof"
            ex.received += chunk
    ex.t_end = time.monotonic() - t0
    ex.answers = parse_all(ex.received, eof=ex.closed())
    return (ex.t_end if ex.closed() else None), ex


def queued(sock):
    """What is still readable on a socket the server has reset (sent before the reset)."""
    data = bytearray()
    while True:
        try:
            chunk = sock.recv(1 << 16)
        except OSError:
            return bytes(data)
        if not chunk:
            return bytes(data)
        data += chunk


def test_header_deadline_is_absolute(deadlines, report):
    """One header byte every 200 ms, never finishing: closed ~2 s after the first byte."""
    head = b"POST /v1/emails HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
    with contextlib.closing(raw_connect(deadlines)) as s:
        t, ex = trickle(s, [head[i:i + 1] for i in range(len(head))], 0.2, cap=8.0)
    report(f"[http front] header trickle (deadline 2 s): closed after "
           f"{'never (8 s cap)' if t is None else f'{t:.2f} s'}, {ex.sent} bytes sent, "
           f"answers {[a.status for a in ex.answers]}")
    assert t is not None, f"still open after 8 s of one byte per 200 ms: {ex!r}"
    assert 1.5 <= t <= 4.0, f"closed after {t:.2f} s, not at the 2 s deadline: {ex!r}"
    assert all(a.status == 408 for a in ex.answers), ex


def test_body_deadline_is_absolute(deadlines, report):
    """Content-Length 1,000,000 and 100 bytes every 200 ms: closed ~2 s after the header."""
    head = (b"POST /v1/emails HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + deadlines.admin_key.encode() +
            b"\r\nContent-Length: 1000000\r\n\r\n")
    with contextlib.closing(raw_connect(deadlines)) as s:
        s.sendall(head)
        t, ex = trickle(s, [b"[" * 100] * 10_000, 0.2, cap=8.0)
    report(f"[http front] body trickle (deadline 2 s): closed after "
           f"{'never (8 s cap)' if t is None else f'{t:.2f} s'}, {ex.sent} body bytes sent, "
           f"answers {[a.status for a in ex.answers]}")
    assert t is not None, f"still open after 8 s of 100 bytes per 200 ms: {ex!r}"
    assert 1.5 <= t <= 4.0, f"closed after {t:.2f} s, not at the 2 s deadline: {ex!r}"
    assert all(a.status == 408 for a in ex.answers), ex


def test_idle_keep_alive_connection_is_closed_after_the_idle_timeout(deadlines, report):
    with contextlib.closing(raw_connect(deadlines)) as s:
        a = ping_on(s)
        assert a is not None and a.status == 200, a
        t0 = time.monotonic()
        ex = exchange(s, timeout=8.0)
        t = time.monotonic() - t0
    report(f"[http front] idle keep-alive (timeout 1.5 s): "
           f"{ex.ended} after {t:.2f} s")
    assert ex.closed(), f"an idle keep-alive connection still open after 8 s: {ex!r}"
    assert 1.0 <= t <= 3.5, f"closed after {t:.2f} s idle, not at 1.5 s"
    assert not ex.answers, ex


def test_a_header_sent_in_pieces_within_the_deadline_is_served(deadlines):
    """Not closed early: three pieces over ~1 s (under the 2 s deadline) get their answer."""
    with contextlib.closing(raw_connect(deadlines)) as s:
        for piece in (b"GET /health/ping HTTP/1.1\r\n", b"Host: x\r\n"):
            s.sendall(piece)
            time.sleep(0.5)  # the pace of the client under test, not a wait for the server
        ex = exchange(s, b"\r\n", timeout=5.0, answers=1)
    assert ex.answer() is not None and ex.answer().status == 200, ex


# ------------------------------------------------------------------------------- limits


def assert_refused(ex, what):
    """Over a limit: 503 problem+json with Retry-After, then closed; or simply closed."""
    if ex.answers:
        a = ex.answers[0]
        assert a.status == 503, f"{what}: answered {a!r} instead of being refused"
        assert a.content_type.startswith("application/problem+json"), a
        assert a.headers.get("retry-after", "").isdigit(), a
    assert ex.closed(), f"{what}: neither refused nor closed within the deadline: {ex!r}"


def open_served(ob, src, n):
    """n keep-alive connections from `src`, each answered once (so the server holds them)."""
    socks = []
    for _ in range(n):
        s = raw_connect(ob, src)
        socks.append(s)
        a = ping_on(s)
        assert a is not None and a.status == 200, (
            f"connection {len(socks)} from {src}: {a!r}")
    return socks


def test_connections_per_client_address_are_limited(outbox, report):
    ob = outbox(env=front_env(http_max_connections_per_client=20))
    held = open_served(ob, source(2), 20)
    try:
        over = request_once(ob, PING, src=source(2), timeout=3.0, answers=None)
        t0 = time.monotonic()
        other = request_once(ob, PING, src=source(3), timeout=3.0)
        other_t = time.monotonic() - t0
        report(f"[http front] per-client limit 20: the 21st from {source(2)}: {over.ended}, "
               f"answers {[a.status for a in over.answers]}; {source(3)} answered "
               f"{[a.status for a in other.answers]} in {other_t * 1000:.0f} ms")
        assert_refused(over, f"the 21st connection from {source(2)}")
        assert other.answer() is not None and other.answer().status == 200, other
        assert other_t < 0.5, f"another address waited {other_t:.2f} s"
        for s in held[:5]:
            s.close()
        del held[:5]
        wait_for(lambda: (request_once(ob, PING, src=source(2), timeout=1.0).answer() or
                          Answer(0, "", {}, b"")).status == 200,
                 3.0, interval=0.05, message=f"{source(2)} served again after closing 5")
    finally:
        for s in held:
            s.close()


def test_connections_in_total_are_limited(outbox, report):
    ob = outbox(env=front_env(http_max_connections=50))
    held = []
    try:
        for k in range(5):
            held += open_served(ob, source(10 + k), 10)
        over = request_once(ob, PING, src=source(20), timeout=3.0, answers=None)
        report(f"[http front] total limit 50: the 51st: {over.ended}, answers "
               f"{[a.status for a in over.answers]}")
        assert_refused(over, "the 51st connection")
        for s in held[:10]:
            s.close()
        del held[:10]
        wait_for(lambda: (request_once(ob, PING, src=source(20), timeout=1.0).answer() or
                          Answer(0, "", {}, b"")).status == 200,
                 3.0, interval=0.05, message="served again after closing 10")
    finally:
        for s in held:
            s.close()


# ------------------------------------------------------------------------------- settings


def test_front_settings_flags_defaults_and_env(outbox_binary, tmp_path):
    p, cfg = config_check(outbox_binary, cwd=tmp_path)
    assert p.returncode == 0, p
    for name, value in DEFAULTS.items():
        assert cfg.get(name.replace("-", "_")) == value, (name, p.stdout)
    flags = {"http-max-connections": "50", "http-max-connections-per-client": "20",
             "http-header-timeout-ms": "2000", "http-body-timeout-ms": "3000",
             "http-idle-timeout-ms": "1500"}
    args = [x for name, value in flags.items() for x in (f"--{name}", value)]
    p, cfg = config_check(outbox_binary, *args, cwd=tmp_path)
    assert p.returncode == 0, p
    for name, value in flags.items():
        assert cfg.get(name.replace("-", "_")) == value, (name, p.stdout)
    env = {"OUTBOX_" + name.upper().replace("-", "_"): value for name, value in flags.items()}
    p, cfg = config_check(outbox_binary, env=env, cwd=tmp_path)
    assert p.returncode == 0, p
    for name, value in flags.items():
        assert cfg.get(name.replace("-", "_")) == value, (name, env, p.stdout)


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_front_settings_bad_values_exit_2_naming_the_flag(outbox_binary, tmp_path, name):
    for bad in ("0", "-5", "abc"):
        p, _ = config_check(outbox_binary, f"--{name}", bad, cwd=tmp_path)
        assert p.returncode == 2, (name, bad, p)
        assert f"--{name}" in p.stderr, (name, bad, p.stderr)
        assert "unknown" not in p.stderr.lower(), (name, bad, p.stderr)  # known, value refused


def test_serve_takes_the_front_flags(outbox):
    ob = outbox("--http-max-connections", "50", "--http-max-connections-per-client", "20",
                "--http-header-timeout-ms", "2000", "--http-body-timeout-ms", "3000",
                "--http-idle-timeout-ms", "1500")
    assert ob.api("GET", "/health/ping", auth=False).status == 200


# ------------------------------------------------------------------------------- bodies


@pytest.fixture(scope="module")
def bodies(module_outbox):
    ob = module_outbox()
    return ob, create_key(ob, "uploads", HOOK)


def head(method, path, length=None, key=None, content_type="application/json", extra=()):
    lines = [f"{method} {path} HTTP/1.1", "Host: outbox.test", f"Content-Type: {content_type}"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if key:
        lines.append(f"Authorization: Bearer {key}")
    lines += list(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def headers_only(ob, data, timeout=3.0):
    """Sends a request's header and no body; the Exchange after one answer or `timeout`."""
    with contextlib.closing(raw_connect(ob)) as s:
        return exchange(s, data, timeout=timeout, answers=1)


def assert_answered_before_the_body(ex, status, what):
    assert ex.answer() is not None, (
        f"{what}: no answer within 3 s of the header (the server waits for the body): {ex!r}")
    assert ex.answer().status == status, f"{what}: {ex.answer()!r}"


def test_content_length_over_the_limit_is_413_before_the_body(bodies, report):
    ob, key = bodies
    cases = [
        ("POST /v1/emails 20 MB", head("POST", "/v1/emails", 20 * MB, ob.admin_key)),
        ("POST /email-status 20 MB (public)",
         head("POST", "/email-status", 20 * MB, content_type="text/plain")),
        ("POST /server/email/add 30 MB", head("POST", "/server/email/add", 30 * MB, key,
                                              "multipart/form-data; boundary=b")),
    ]
    seen = []
    for what, data in cases:
        ex = headers_only(ob, data)
        seen.append((what, ex.answer().status if ex.answer() else f"none ({ex.ended})"))
        assert_answered_before_the_body(ex, 413, what)
        if "/v1/" in what or "status" in what:
            assert ex.answer().content_type.startswith("application/problem+json"), ex
        else:
            assert ex.answer().json().get("valid") is False, ex
    report(f"[http front] 413 before the body: {seen}")


def test_credentials_are_checked_before_a_large_body(bodies, report):
    ob, _ = bodies
    cases = [
        ("POST /v1/emails 5 MB, no key", head("POST", "/v1/emails", 5 * MB)),
        ("POST /v1/emails 5 MB, bad key", head("POST", "/v1/emails", 5 * MB,
                                               "obx_not-a-key-at-all-0000000000")),
        ("POST /server/email/add 24 MB, no key",
         head("POST", "/server/email/add", 24 * MB, content_type="multipart/form-data; "
                                                                 "boundary=b")),
    ]
    seen = []
    for what, data in cases:
        ex = headers_only(ob, data)
        seen.append((what, ex.answer().status if ex.answer() else f"none ({ex.ended})"))
        assert_answered_before_the_body(ex, 401, what)
    report(f"[http front] 401 before the body: {seen}")


def test_a_chunked_body_is_counted_as_it_arrives(bodies, report):
    """40 MB planned in 64 KB chunks to a 10 MB route: 413 (or closed) once past 10 MB."""
    ob, _ = bodies
    limit = 10_485_760
    chunk = b"%x\r\n" % 65536 + b" " * 65536 + b"\r\n"
    data = head("POST", "/v1/emails", None, ob.admin_key,
                extra=["Transfer-Encoding: chunked"]) + chunk * 640
    with contextlib.closing(raw_connect(ob, sndbuf=128 * 1024)) as s:
        ex = exchange(s, data, timeout=15.0, answers=1)
    body_sent = ex.sent - (len(data) - len(chunk) * 640)
    report(f"[http front] chunked over the limit: {ex.ended}, answers "
           f"{[a.status for a in ex.answers]}, {body_sent / MB:.1f} MB of 42 sent")
    assert ex.answers or ex.closed(), f"neither answered nor closed: {ex!r}"
    if ex.answers:
        assert ex.answer().status == 413, ex
    assert limit - MB <= body_sent <= limit + 8 * MB, (
        f"refused after {body_sent / MB:.1f} MB, not once past the 10.5 MB limit")


def test_expect_100_continue(bodies):
    ob, _ = bodies
    body = json.dumps(simple_email()).encode()
    with contextlib.closing(raw_connect(ob)) as s:
        ex = exchange(s, head("POST", "/v1/emails", len(body), ob.admin_key,
                              extra=["Expect: 100-continue"]), timeout=3.0, answers=1)
        assert ex.answer() is not None, f"no 100 Continue within 3 s: {ex!r}"
        assert ex.answer().status == 100 and len(ex.answers) == 1, ex
        final = exchange(s, body, timeout=5.0, answers=1)
    assert final.answer() is not None and final.answer().status == 202, final


def test_expect_100_continue_without_a_key_is_401_without_100(bodies):
    ob, _ = bodies
    ex = headers_only(ob, head("POST", "/v1/emails", 5 * MB, extra=["Expect: 100-continue"]))
    assert_answered_before_the_body(ex, 401, "Expect: 100-continue without a key")


# ------------------------------------------------------------------------------- memory


class RssWatch:
    """Polls /proc/PID/status every 10 ms: the largest VmRSS seen, and VmHWM."""

    def __init__(self, pid, abort_above_kb):
        self.pid, self.abort_above_kb = pid, abort_above_kb
        self.peak_kb = 0
        self.over = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def read(self):
        values = {}
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    values[line.split(":")[0]] = int(line.split()[1])
        return values.get("VmRSS", 0), values.get("VmHWM", 0)

    def _run(self):
        while not self._stop.is_set():
            try:
                rss, _ = self.read()
            except OSError:
                return
            self.peak_kb = max(self.peak_kb, rss)
            if rss > self.abort_above_kb:
                self.over.set()
            time.sleep(0.01)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


_FILLER = []


def filler():
    """One shared 24 MB buffer for every upload's bytes."""
    if not _FILLER:
        _FILLER.append(memoryview(b"x" * (24 * MB)))
    return _FILLER[0]


class Upload:
    """One upload's socket and what it saw."""

    def __init__(self, sock, pieces):
        self.sock = sock
        self.pieces = [memoryview(p) for p in pieces]
        self.piece, self.offset = 0, 0
        self.sent = 0  # bytes after the header
        self.head_len = len(self.pieces[0])
        self.received = bytearray()
        self.answer = None
        self.ended = None  # "answered", "closed" (without an answer), "stopped", "deadline"
        self.error = None  # the first socket error seen
        self.sending = True


def run_uploads(ob, make, count, deadline, watch):
    """`count` parallel uploads (make(i) -> (source, header, pieces)) from one selector loop,
    256 KB per send. An upload stops sending once its answer arrives or the server closes;
    after a failed send it still reads what the server answered before closing. All are cut
    when the server's RSS passes the watch's line (nothing more for it to read)."""
    sel = selectors.DefaultSelector()
    ups = []
    for i in range(count):
        src, head_bytes, pieces = make(i)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.setblocking(False)
        s.connect_ex((ob.host, ob.port))
        up = Upload(s, [head_bytes] + list(pieces))
        ups.append(up)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, up)

    def finish(up, how):
        up.ended = how
        sel.unregister(up.sock)
        up.sock.close()

    t0 = time.monotonic()
    active = len(ups)
    while active:
        if watch.over.is_set() or time.monotonic() - t0 > deadline:
            for up in ups:
                if up.ended is None:
                    finish(up, "stopped" if watch.over.is_set() else "deadline")
            break
        for key, events in sel.select(0.05):
            up = key.data
            if up.ended is not None:
                continue
            if events & selectors.EVENT_READ:
                try:
                    chunk = up.sock.recv(1 << 16)
                except BlockingIOError:
                    chunk = None
                except OSError as e:
                    up.error = up.error or f"recv: {e}"
                    chunk = b""
                if chunk:
                    up.received += chunk
                got = parse_one(up.received, eof=chunk == b"")
                if got:
                    up.answer = got[0]
                    finish(up, "answered")
                    active -= 1
                    continue
                if chunk == b"":
                    finish(up, "closed")
                    active -= 1
                    continue
            if events & selectors.EVENT_WRITE and up.sending:
                view = up.pieces[up.piece]
                try:
                    n = up.sock.send(view[up.offset:up.offset + (1 << 18)])
                except BlockingIOError:
                    n = 0
                except OSError as e:
                    up.error = up.error or f"send: {e}"
                    n = None
                if n is None:  # the server closed: read what it said
                    up.sending = False
                    sel.modify(up.sock, selectors.EVENT_READ, up)
                    continue
                up.offset += n
                if up.piece > 0:
                    up.sent += n
                if up.offset >= len(view):
                    up.piece, up.offset = up.piece + 1, 0
                    if up.piece == len(up.pieces):
                        up.sending = False
                        sel.modify(up.sock, selectors.EVENT_READ, up)
    sel.close()
    return ups


def memory_check(ob, report, what, make, expected, count=100, check_return=True,
                 limit_kb=RSS_LIMIT_KB):
    """Runs the uploads with the server's RSS watched; asserts the peak (under limit_kb),
    every answer, and (check_return) that RSS comes back within 32 MB of its start in 10 s."""
    ensure_own_nofile(4096)
    start_rss, _ = RssWatch(ob.proc.pid, 0).read()
    t0 = time.monotonic()
    with RssWatch(ob.proc.pid, abort_above_kb=4 * RSS_LIMIT_KB) as watch:
        ups = run_uploads(ob, make, count, deadline=60.0, watch=watch)
        hwm = watch.read()[1]
    took = time.monotonic() - t0
    after = {}

    def back():
        after["rss"] = RssWatch(ob.proc.pid, 0).read()[0]
        return after["rss"] <= start_rss + 32 * 1024

    returned = True
    try:
        wait_for(back, 10.0, interval=0.1)
    except AssertionError:
        returned = False
    statuses = {}
    for u in ups:
        key = u.answer.status if u.answer else u.ended
        statuses[key] = statuses.get(key, 0) + 1
    sent = sorted(u.sent for u in ups)
    errors = {}
    for u in ups:
        if u.error:
            errors[u.error] = errors.get(u.error, 0) + 1
    report(f"[http front] {count} parallel 24 MB uploads, {what}: start RSS "
           f"{start_rss / 1024:.0f} MB, peak RSS {watch.peak_kb / 1024:.0f} MB (VmHWM "
           f"{hwm / 1024:.0f} MB){', STOPPED at 512 MB' if watch.over.is_set() else ''}; "
           f"after {after['rss'] / 1024:.0f} MB; answers {statuses}; body bytes sent median "
           f"{sent[len(sent) // 2] / MB:.1f} MB, max {sent[-1] / MB:.1f} MB; socket errors "
           f"{errors or 'none'}; {took:.1f} s")
    assert ob.running(), ob.stderr()[-2000:]
    assert hwm < limit_kb and not watch.over.is_set(), (
        f"peak RSS {max(hwm, watch.peak_kb) / 1024:.0f} MB >= {limit_kb // 1024} MB")
    assert returned or not check_return, (
        f"RSS {after['rss'] / 1024:.0f} MB 10 s after the uploads, started at "
        f"{start_rss / 1024:.0f} MB")
    for u in ups:
        assert u.answer is not None and u.answer.status in expected, (
            f"an upload ended {u.ended} with {u.answer!r} after {u.sent} bytes")
    return ups


@pytest.fixture
def memory_target(outbox):
    with nofile_soft_limit(1024):
        return outbox()


def multipart_head(path, length, key=None):
    return head("POST", path, length, key, "multipart/form-data; boundary=outbox-boundary")


def multipart_pieces(size):
    """A form with one file of `size` bytes (from the shared filler): (prefix, file, suffix)."""
    prefix = b"".join(
        b'--outbox-boundary\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (name.encode(), value) for name, _, value, _ in form(subject="big"))
    prefix += (b'--outbox-boundary\r\nContent-Disposition: form-data; name="files"; '
               b'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n')
    suffix = b"\r\n--outbox-boundary--\r\n"
    return prefix, filler()[:size], suffix


@pytest.mark.slow
def test_parallel_uploads_without_credentials_keep_memory_bounded(memory_target, report):
    ob = memory_target
    prefix, _, suffix = multipart_pieces(0)
    size = 24 * MB - len(prefix) - len(suffix)

    def make(i):
        pieces = multipart_pieces(size)
        return source(100 + i % 50), multipart_head("/server/email/add", 24 * MB), pieces

    memory_check(ob, report, "POST /server/email/add without credentials", make, {401})


@pytest.mark.slow
def test_parallel_uploads_to_a_public_route_keep_memory_bounded(memory_target, report):
    ob = memory_target

    def make(i):
        return (source(100 + i % 50),
                head("POST", "/email-status", 24 * MB, content_type="text/plain"), [filler()])

    memory_check(ob, report, "POST /email-status (public, 10 MB limit)", make, {413})


@pytest.mark.slow
def test_parallel_authenticated_uploads_keep_memory_bounded(memory_target, report):
    """20 valid 24 MB sends with a valid key: each queued (200) or shed (503 with
    Retry-After), at least one queued, and the server's RSS under 192 MB throughout."""
    ob = memory_target
    key = create_key(ob, "big", HOOK)
    assert add_template(ob, "welcome-email.html", SEED_HTML).status == 200
    prefix, _, suffix = multipart_pieces(0)
    size = 24 * MB - len(prefix) - len(suffix)

    def make(i):
        return (source(100 + i), multipart_head("/server/email/add", 24 * MB, key),
                multipart_pieces(size))

    # The mails are delivered (to the capture transport) after their answers, so RSS is not
    # required to come back here. The 128 MB is for the uploads the front refuses (the
    # 100-upload tests above). An accepted 24 MB upload is held while its parts, its 32 MB MIME
    # message and the stored row are made (about 60 MB at its peak; the front admits one such
    # body at a time, --http-body-memory-mb), and delivery loads the previous one (32 MB)
    # meanwhile: the start, one upload handled and one delivered, about 140 MB; measured peaks
    # were 143-157 MB on the 2-vCPU VM, so the bound is 192 MB, with room for the allocator.
    # Before the front's memory budget, 20 such uploads took over 512 MB.
    ups = memory_check(ob, report, "POST /server/email/add with a valid key", make, {200, 503},
                       count=20, check_return=False, limit_kb=192 * 1024)
    assert any(u.answer.status == 200 for u in ups), "every upload was shed"
    for u in ups:
        if u.answer.status == 200:
            assert u.answer.json().get("valid") is True, u.answer
        else:
            assert u.answer.headers.get("retry-after", "").isdigit(), u.answer


# ------------------------------------------------------------------------------- malformed


@pytest.fixture(scope="module")
def plain(module_outbox):
    return module_outbox()


MALFORMED = [
    pytest.param("a 100 KB header line",
                 b"GET /health/ping HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 +
                 b"\r\n\r\n", (400, 431), id="header-line-100KB"),
    pytest.param("10,000 header fields",
                 b"GET /health/ping HTTP/1.1\r\nHost: x\r\n" +
                 b"".join(b"X-F%d: v\r\n" % i for i in range(10_000)) + b"\r\n",
                 (400, 431), id="header-fields-10000"),
    pytest.param("a 1 MB URI", b"GET /" + b"a" * MB + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                 (400, 414), id="uri-1MB"),
    pytest.param("garbage bytes",
                 b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\xff\xfe garbage\r\n\r\n",
                 (400,), id="garbage"),
]


@pytest.mark.parametrize("what,data,statuses", MALFORMED)
def test_malformed_request_is_refused_and_closed(plain, what, data, statuses):
    with contextlib.closing(raw_connect(plain)) as s:
        ex = exchange(s, data, timeout=5.0)
    assert ex.answer() is not None, f"{what}: no answer: {ex!r}"
    assert ex.answer().status in statuses, f"{what}: {ex.answer()!r}"
    if ex.answer().content_type.startswith("application/problem+json"):
        assert ex.answer().json().get("status") == ex.answer().status, (
            f"{what}: the problem's status is not the answer's: {ex.answer()!r}")
    assert ex.closed(), f"{what}: the connection stayed open 5 s after the refusal: {ex!r}"
    assert len(ex.answers) == 1, ex
    assert plain.api("GET", "/health/ping", auth=False).status == 200


def test_pipelined_requests_are_answered_in_order(plain):
    data = (b"GET /health/ping HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /no-such-route HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /v1/emails HTTP/1.1\r\nHost: x\r\n\r\n")
    with contextlib.closing(raw_connect(plain)) as s:
        ex = exchange(s, data, timeout=5.0, answers=3)
    assert [a.status for a in ex.answers] == [200, 404, 401], ex
