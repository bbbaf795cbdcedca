#!/usr/bin/python3
"""A reference HTTP front, NOT outbox: a few routes (/health/ping, /v1/emails, /email-status,
/server/email/add, /server/api/create) behind issue 14's rules (absolute header, body and idle
deadlines; connection limits per address and in total; 401 and 413 before reading a body; a
chunked body counted as it arrives; refusals closed; pipelining), started with outbox's
command line. It exists to show that test_http_front.py's tests can pass:

    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration/test_http_front.py \
        --outbox-binary tests/integration/reference_front.py \
        -k "not settings and not flags and not authenticated"

(the settings' flags and the authenticated uploads need outbox itself)."""

import asyncio
import json
import os
import resource
import socket
import sys
import time

args = sys.argv[1:]
opts = {}
i = 1
while i < len(args):
    if args[i].startswith("--"):
        opts[args[i][2:]] = args[i + 1]
        i += 2
    else:
        i += 1


def setting(name, default):
    return int(opts.get(name) or os.environ.get("OUTBOX_" + name.upper().replace("-", "_"))
               or default)


MAX_CONN = setting("http-max-connections", 4096)
MAX_PER = setting("http-max-connections-per-client", 256)
HEADER_MS = setting("http-header-timeout-ms", 10000)
BODY_MS = setting("http-body-timeout-ms", 60000)
IDLE_MS = setting("http-idle-timeout-ms", 30000)
KEY = opts.get("admin-key", "")
host, _, port = opts.get("listen", "127.0.0.1:0").rpartition(":")
port = int(opts.get("port") or port)

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

total = 0
per = {}


def answer(status, body, ctype="application/json", extra=(), close=False):
    reasons = {200: "OK", 202: "Accepted", 400: "Bad Request", 401: "Unauthorized",
               404: "Not Found", 408: "Request Timeout", 413: "Payload Too Large",
               414: "URI Too Long", 431: "Request Header Fields Too Large",
               503: "Service Unavailable"}
    data = json.dumps(body).encode()
    lines = [f"HTTP/1.1 {status} {reasons[status]}", f"Content-Type: {ctype}",
             f"Content-Length: {len(data)}"] + list(extra)
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def problem(status, detail, extra=()):
    return answer(status, {"status": status, "detail": detail}, "application/problem+json",
                  extra, close=True)


class Refuse(Exception):
    def __init__(self, data):
        self.data = data


async def read_head(reader):
    # first byte: idle timeout; then the header deadline, absolute
    first = await asyncio.wait_for(reader.read(1), IDLE_MS / 1000)
    if not first:
        return None
    deadline = time.monotonic() + HEADER_MS / 1000
    buf = bytearray(first)
    while b"\r\n\r\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Refuse(problem(408, "header timeout"))
        line_end = buf.find(b"\r\n")
        if line_end < 0 and len(buf) > 8192:
            raise Refuse(problem(414, "request line too long"))
        if len(buf) > 65536:
            raise Refuse(problem(431, "header too large"))
        try:
            chunk = await asyncio.wait_for(reader.read(65536 - len(buf) + 1), left)
        except asyncio.TimeoutError:
            raise Refuse(problem(408, "header timeout"))
        if not chunk:
            return None
        # do not swallow the next pipelined request: push back what follows the head
        buf += chunk
    end = buf.index(b"\r\n\r\n")
    rest = bytes(buf[end + 4:])
    if rest:
        reader._buffer[:0] = rest  # StreamReader's own buffer: the next request's start
    lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
    if len(lines[0]) > 8192:
        raise Refuse(problem(414, "request line too long"))
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[0].isalpha():
        raise Refuse(problem(400, "bad request line"))
    if len(lines) > 101:
        raise Refuse(problem(431, "too many header fields"))
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise Refuse(problem(400, "bad header"))
        headers[name.strip().lower()] = value.strip()
    return parts[0], parts[1], headers


async def read_body(reader, writer, headers, limit):
    deadline = time.monotonic() + BODY_MS / 1000
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    async def get(n):
        left = deadline - time.monotonic()
        if left <= 0:
            raise Refuse(problem(408, "body timeout"))
        try:
            data = await asyncio.wait_for(reader.read(n), left)
        except asyncio.TimeoutError:
            raise Refuse(problem(408, "body timeout"))
        if not data:
            raise ConnectionError
        return data

    async def line():
        left = deadline - time.monotonic()
        try:
            return await asyncio.wait_for(reader.readline(), max(0.001, left))
        except asyncio.TimeoutError:
            raise Refuse(problem(408, "body timeout"))

    size = 0
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            n = int((await line()).split(b";")[0], 16)
            if n == 0:
                await line()
                return size
            if size + n > limit:
                raise Refuse(problem(413, "too large"))
            got = 0
            while got < n:
                got += len(await get(min(65536, n - got)))
            size += n
            await line()
    n = int(headers.get("content-length", "0"))
    while size < n:
        size += len(await get(min(65536, n - size)))
    return size


async def serve_one(reader, writer):
    method, path, headers = await read_head(reader) or (None, None, None)
    if method is None:
        return False
    authed = headers.get("authorization", "") == f"Bearer {KEY}"
    length = int(headers.get("content-length", "0") or 0)
    if path == "/health/ping" and method == "GET":
        writer.write(answer(200, {"message": "pong"}))
    elif path == "/server/api/create" and method == "POST":
        await read_body(reader, writer, headers, 1 << 20)
        writer.write(answer(200, {"api_key": KEY}))
    elif path == "/v1/emails" and method == "GET":
        writer.write(answer(200, {"data": []}) if authed else
                     answer(401, {"status": 401}, "application/problem+json"))
    elif path in ("/v1/emails", "/email-status", "/server/email/add") and method == "POST":
        public = path == "/email-status"
        limit = 26_000_000 if path == "/server/email/add" else 10_485_760
        if not public and not authed:
            writer.write(problem(401, "missing API key") if path != "/server/email/add" else
                         answer(401, {"valid": False}, close=True))
            return False
        if length > limit:
            writer.write(problem(413, "too large") if path != "/server/email/add" else
                         answer(413, {"valid": False}, close=True))
            return False
        await read_body(reader, writer, headers, limit)
        if path == "/v1/emails":
            writer.write(answer(202, {"id": "em_x"}))
        elif path == "/server/email/add":
            writer.write(answer(200, {"valid": True, "queue_id": "em_x"}))
        else:
            writer.write(answer(200, {}))
    else:
        writer.write(answer(404, {"status": 404}, "application/problem+json"))
    await writer.drain()
    return True


async def handle(reader, writer):
    global total
    ip = writer.get_extra_info("peername")[0]
    if total >= MAX_CONN or per.get(ip, 0) >= MAX_PER:
        writer.write(problem(503, "too many connections", ["Retry-After: 1"]))
        writer.close()
        return
    total += 1
    per[ip] = per.get(ip, 0) + 1
    try:
        while await serve_one(reader, writer):
            pass
    except Refuse as r:
        writer.write(r.data)
    except (asyncio.TimeoutError, ConnectionError, OSError):
        pass
    finally:
        total -= 1
        per[ip] -= 1
        try:
            await asyncio.wait_for(writer.drain(), 1)
        except Exception:
            pass
        writer.close()


async def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sys.stderr.write(f"outbox: cannot listen on {host}:{port}: address in use\n")
        sys.exit(2)
    sock.listen(4096)
    server = await asyncio.start_server(handle, sock=sock, limit=1 << 16)
    print(json.dumps({"msg": "listening", "address": host, "port": sock.getsockname()[1]}),
          flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
