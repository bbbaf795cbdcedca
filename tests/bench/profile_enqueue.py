#!/usr/bin/python3
"""Where the CPU time of POST /v1/emails goes: perf samples of the server, in µs per request.

Starts outbox (durability=full, capture transport, emails queued for 2099 so nothing is
delivered), runs wrk -c32 on GET /health/ping and then on POST /v1/emails while `perf record
--call-graph dwarf` samples the server, and sorts every sample into one bucket by the frames on
its stack (first matching rule wins, see RULES). Each bucket's share of the samples times the
server's CPU time per POST (user + system from /proc, perf's own overhead included) gives
µs per request. Needs Debian's linux-perf and wrk, and permission to profile (root, or
kernel.perf_event_paranoid <= 1).

Usage: profile_enqueue.py [path/to/outbox]   (or OUTBOX_BINARY)
       profile_enqueue.py --report perf.data CPU_US   (buckets of an earlier recording)
Env:   BENCH_DURATION (8s), BENCH_CONNECTIONS (32), PERF_DATA (perf.data path to keep)
"""

import collections
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import benchlib  # noqa: E402

# (bucket, frames any of which on the stack selects it). Writer rules apply to the thread named
# outbox-writer only, the others to every other thread.
RULES = [
    ("writer: COMMIT (WAL write + fdatasync)", ["sqlite3PagerCommitPhaseOne", "fdatasync"]),
    ("writer: BEGIN, SAVEPOINT/RELEASE, WAL checkpoints", ["GroupCommitter::Execute"]),
    ("writer: email INSERTs (jobs, emails, message, recipients, event, counter)",
     ["CreateEmailInTransaction", "InsertEmailInTransaction"]),
    ("writer: waking callers", ["set_value", "_M_store_notify_all", "GroupCommitter::Complete"]),
    ("writer: batch bookkeeping", ["GroupCommitter::Loop"]),
    ("handler: JSON parse of the body", ["ParseJsonBody", "ParseJsonObject"]),
    ("handler: decode JSON into request", ["DecodeSendEmail"]),
    ("handler: idempotency decode", ["DecodeIdempotency"]),
    ("handler: suppression lookups (reader txn)", ["FindSuppression"]),
    ("handler: id generation (random)", ["TimeOrderedId", "RandomHex"]),
    ("handler: MIME render", ["RenderMime"]),
    ("handler: validate/build message (addresses)", ["BuildMessage", "ParseSendableAddress"]),
    ("handler: store PrepareEmail (JSON columns)", ["PrepareEmail"]),
    ("handler: waiting for the group commit", ["GroupCommitter::Run"]),
    ("handler: encode 202 JSON", ["Context::Json"]),
    ("handler: rest of EmailService::Send/Prepare (copies, frees)",
     ["EmailService::Send", "EmailService::Prepare"]),
    ("handler: rest of PostEmail", ["PostEmail"]),
    ("front: auth (key hash, principal)", ["Authenticat", "ResolvePrincipal"]),
    ("front: admit, route, logging, metrics", ["RouteServer::"]),
    ("front: HTTP (Asio/Beast: read, parse, write, epoll)", ["http::(anonymous namespace)::",
                                                           "boost::"]),
]


def buckets(perf_data):
    """{bucket: share of samples in %} of a perf.data recorded with call graphs."""
    out = subprocess.run(["perf", "script", "-i", perf_data, "-F", "comm,ip,sym"],
                         capture_output=True, text=True).stdout
    counts = collections.Counter()
    total = 0
    for block in out.split("\n\n"):
        lines = block.strip("\n").split("\n")
        if not lines or not lines[0].strip():
            continue
        comm = lines[0].split()[0]
        stack = "\n".join(lines[1:])
        total += 1
        writer = comm == "outbox-writer"
        for name, frames in RULES:
            if name.startswith("writer") == writer and any(f in stack for f in frames):
                counts[name] += 1
                break
        else:
            counts["writer: idle, scheduler, other" if writer else f"other ({comm})"] += 1
    return {name: 100.0 * n / total for name, n in counts.items()} if total else {}


def report(shares, cpu_us):
    print("  | where | share of samples | µs per POST |")
    print("  | --- | ---: | ---: |")
    for name, share in sorted(shares.items(), key=lambda item: -item[1]):
        print(f"  | {name} | {share:.1f} % | {share * cpu_us / 100:.0f} |")
    print(f"  | total: server CPU per POST (perf running) | 100 % | {cpu_us:.0f} |")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--report":
        report(buckets(sys.argv[2]), float(sys.argv[3]))
        return
    binary = benchlib.binary_from_argv()
    benchlib.need("wrk")
    benchlib.need("perf")
    duration = os.environ.get("BENCH_DURATION", "8s")
    conns = int(os.environ.get("BENCH_CONNECTIONS", "32"))
    seconds = int(duration.rstrip("s"))
    ob = benchlib.Outbox(binary, "--durability", "full", "--transport", "capture")
    perf_data = os.environ.get("PERF_DATA") or os.path.join(ob.tmp, "perf.data")
    try:
        lua = benchlib.write_lua(ob.tmp, "post.lua", benchlib.WRK_POST_LUA % {
            "key": benchlib.ADMIN_KEY, "body": benchlib.email_body(send_at="2099-01-01T00:00:00Z")})
        before = ob.cpu_seconds()
        ping = benchlib.run_wrk(ob.url + "/health/ping", None, 2, conns, duration)
        ping_us = (ob.cpu_seconds() - before) / max(ping["requests"], 1) * 1e6
        # Starts a moment after wrk and stops before it, so every sample is under load.
        perf = subprocess.Popen(
            ["sh", "-c", f"sleep 1; exec perf record --call-graph dwarf,16384 -F 499 "
                         f"-p {ob.proc.pid} -o {perf_data} -- sleep {max(seconds - 2, 1)}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        before = ob.cpu_seconds()
        post = benchlib.run_wrk(ob.url + "/v1/emails", lua, 2, conns, duration)
        post_us = (ob.cpu_seconds() - before) / max(post["requests"], 1) * 1e6
        perf.wait()
        print(f"profile_enqueue: {binary}, wrk -t2 -c{conns} -d{duration}")
        print(f"  GET /health/ping {ping['rps']:.0f} req/s, server CPU {ping_us:.0f} µs/req")
        print(f"  POST /v1/emails  {post['rps']:.0f} req/s, server CPU {post_us:.0f} µs/req "
              f"(perf running), non-2xx {post['non2xx']}")
        report(buckets(perf_data), post_us)
        if os.environ.get("PERF_DATA"):
            print(f"  perf data kept in {perf_data}")
    finally:
        ob.stop()


if __name__ == "__main__":
    main()
