#!/bin/sh
# Runs bench_fanout.py; see README.md. Usage: bench_fanout.sh [path/to/outbox]  (or OUTBOX_BINARY)
exec /usr/bin/python3 "$(dirname "$0")/bench_fanout.py" "$@"
