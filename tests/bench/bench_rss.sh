#!/bin/sh
# Runs bench_rss.py; see README.md. Usage: bench_rss.sh [path/to/outbox]  (or OUTBOX_BINARY)
exec /usr/bin/python3 "$(dirname "$0")/bench_rss.py" "$@"
