#!/bin/sh
# Runs bench_enqueue.py; see README.md. Usage: bench_enqueue.sh [path/to/outbox]  (or OUTBOX_BINARY)
exec /usr/bin/python3 "$(dirname "$0")/bench_enqueue.py" "$@"
