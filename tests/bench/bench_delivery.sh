#!/bin/sh
# Runs bench_delivery.py; see README.md. Usage: bench_delivery.sh [path/to/outbox]  (or OUTBOX_BINARY)
exec /usr/bin/python3 "$(dirname "$0")/bench_delivery.py" "$@"
