"""Shared helpers for the outbox benchmarks: start the binary, run wrk, read /proc."""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ADMIN_KEY = "bench-admin-key-0123456789abcdef"
DEFAULT_BINARY = next((p for p in ("/work/main/build/src/app/outbox", "/work/main/build/outbox")
                       if os.path.isfile(p)), "/work/main/build/src/app/outbox")


def binary_from_argv():
    path = (sys.argv[1] if len(sys.argv) > 1 else None) or os.environ.get("OUTBOX_BINARY") \
        or DEFAULT_BINARY
    path = os.path.abspath(path)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        sys.exit(f"outbox binary not found: {path} (pass it as $1 or set OUTBOX_BINARY)")
    return path


def need(tool):
    if shutil.which(tool) is None and not os.path.exists(tool):
        sys.exit(f"{tool} is required (Debian: wrk / postfix)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(interval)


def median(values):
    return statistics.median(values) if values else float("nan")


def clean_env():
    return {k: v for k, v in os.environ.items()
            if not k.startswith("OUTBOX_") and k not in ("smtp_server", "smtp_port", "smtp_user",
                                                         "smtp_pass")}


class Outbox:
    def __init__(self, binary, *args, data_dir=None):
        self.binary = binary
        self.tmp = tempfile.mkdtemp(prefix="outbox-bench-")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.port = free_port()
        self.log = open(os.path.join(self.tmp, "stdout.log"), "wb")
        cmd = [binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir",
               self.data_dir, "--admin-key", ADMIN_KEY, "--log-level", "warn", *args]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.tmp, env=clean_env())
        wait_for(self._up, 20, what="outbox to answer /health/ready")

    def _up(self):
        if self.proc.poll() is not None:
            with open(self.log.name) as f:
                sys.exit(f"outbox exited with {self.proc.returncode}:\n{f.read()}")
        try:
            return self.request("GET", "/health/ready")[0] == 200
        except OSError:
            return False

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def request(self, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def metric(self, name, **labels):
        status, raw = self.request("GET", "/metrics")
        total = None
        for line in raw.decode().splitlines():
            if line.startswith(name) and not line.startswith("#"):
                m = re.match(r"^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)", line)
                if not m or m.group(1) != name:
                    continue
                got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
                if all(got.get(k) == v for k, v in labels.items()):
                    total = (total or 0) + float(m.group(3))
        return total

    def cpu_seconds(self):
        """User + system CPU time the server process (all its threads) has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def proc_status(self):
        out = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "VmRSS", "Threads"):
                    out[k] = int(v.split()[0])
        return out  # VmHWM/VmRSS in kB

    def reset_peak_rss(self):
        """Resets VmHWM (Linux: write 5 to clear_refs); returns False if not permitted."""
        try:
            with open(f"/proc/{self.proc.pid}/clear_refs", "w") as f:
                f.write("5")
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


WRK_POST_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"
wrk.body = [[%(body)s]]
"""

# Stops each thread after `quota` responses, so a fixed number of jobs gets queued.
WRK_POST_QUOTA_LUA = WRK_POST_LUA + """
local quota = %(quota)d
local done = 0
function response(status, headers, body)
  done = done + 1
  if done >= quota then wrk.thread:stop() end
end
"""

# Paces each wrk thread to a fixed request rate: delay() hands out send times `interval` ms apart
# (the first argument after `--`), whichever of the thread's connections is free takes the next
# one. A thread that falls behind catches up for at most one second's worth, then resets. The
# clock is CLOCK_MONOTONIC through LuaJIT's ffi (wrk's Lua has no millisecond clock of its own).
WRK_PACED_LUA = WRK_POST_LUA + """
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec* out);
]]
local now_buffer = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, now_buffer)
  return tonumber(now_buffer.tv_sec) * 1000 + tonumber(now_buffer.tv_nsec) / 1e6
end
local interval = 1
local next_at = nil
function init(args)
  interval = tonumber(args[1])
end
function delay()
  local now = now_ms()
  if next_at == nil or next_at < now - 1000 then next_at = now end
  local at = next_at
  next_at = next_at + interval
  if at <= now then return 0 end
  return at - now
end
"""

WRK_GET_LUA = """
wrk.headers["Authorization"] = "Bearer %(key)s"
"""


def filesystem_of(path):
    """The type of the file system holding `path` (ext4, tmpfs, ...), as findmnt names it."""
    p = subprocess.run(["findmnt", "-no", "FSTYPE", "-T", path], capture_output=True, text=True)
    return p.stdout.strip() or "?"


def email_body(**extra):
    body = {"from": "bench@example.test", "to": ["rcpt@example.test"],
            "subject": "benchmark message", "text": "Hello from the outbox benchmark.\n" * 8}
    body.update(extra)
    return json.dumps(body)


def write_lua(tmpdir, name, text):
    path = os.path.join(tmpdir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def run_wrk(url, lua=None, threads=2, connections=64, duration="10s", timeout="10s",
            lua_args=()):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}", f"--timeout={timeout}",
           "--latency"]
    if lua:
        cmd += ["-s", lua]
    cmd.append(url)
    if lua_args:
        cmd += ["--", *[str(a) for a in lua_args]]
    p = subprocess.run(cmd, capture_output=True, text=True)
    out = p.stdout + p.stderr
    if p.returncode != 0:
        raise RuntimeError(f"wrk failed ({p.returncode}):\n{out}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:\s+(.*)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p90 = re.search(r"^\s+90%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    latency_max = re.search(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", out, re.M)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "requests": int(total.group(1)) if total else 0,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "none",
        "p50": p50.group(1) if p50 else "?",
        "p90": p90.group(1) if p90 else "?",
        "p99": p99.group(1) if p99 else "?",
        "max": latency_max.group(1) if latency_max else "?",
        "raw": out,
    }


def post_many(port, bodies_fn, total, threads=8):
    """POSTs `total` emails with keep-alive from `threads` threads; returns (ok, failed)."""
    ok = [0] * threads
    bad = [0] * threads

    def worker(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"}
        for i in range(k, total, threads):
            body = bodies_fn(i).encode()
            for _ in range(3):
                try:
                    conn.request("POST", "/v1/emails", body=body, headers=headers)
                    r = conn.getresponse()
                    r.read()
                    if r.will_close:
                        conn.close()
                    break
                except (OSError, http.client.HTTPException):
                    conn.close()
                    r = None
            if r is not None and r.status == 202:
                ok[k] += 1
            else:
                bad[k] += 1
        conn.close()

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(ok), sum(bad)
