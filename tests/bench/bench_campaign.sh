#!/bin/sh
# Runs bench_campaign.py; see README.md. Usage: bench_campaign.sh [path/to/outbox]  (or OUTBOX_BINARY)
exec /usr/bin/python3 "$(dirname "$0")/bench_campaign.py" "$@"
