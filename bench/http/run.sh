#!/usr/bin/env bash
# HTTP load generator: starts a release stockd on a free port with a fresh data dir,
# seeds 1,000 SKUs, and runs wrk against events (single and batches of 100),
# reservations and availability reads. Loopback only; every run is bounded in time.
# Usage: bench/http/run.sh [seconds per scenario, default 10]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
bin=./build/release/src/stockd
[ -x "$bin" ] || { echo "build first: make build"; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: bash scripts/install-deps.sh"; exit 2; }

data=$(mktemp -d /tmp/stockd-bench-XXXXXX)
log=$data/server.log
export STOCKD_ADMIN_TOKEN="bench-$RANDOM$RANDOM"
$bin serve --data-dir "$data/db" --listen 127.0.0.1:0 --rate-limit-per-second 0 >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.]*:[0-9]*' "$log" | head -1)
auth="Authorization: Bearer $STOCKD_ADMIN_TOKEN"

curl -sf -X PUT "$url/v1/locations/W1" -H "$auth" -d '{"type":"warehouse"}' >/dev/null
curl -sf -X PUT "$url/v1/sources/wms" -H "$auth" -d '{"priority":100}' >/dev/null
curl -sf -X PUT "$url/v1/channels/web" -H "$auth" -d '{"locations":[{"id":"W1","priority":1}]}' >/dev/null
seed='{"events":['
for i in $(seq 0 999); do
  seed+="{\"id\":\"seed-$i\",\"source\":\"wms\",\"type\":\"receipt\",\"sku\":\"BENCH-$i\",\"location\":\"W1\",\"quantity\":1000000000,\"occurred_at\":\"2026-11-27T09:00:00Z\"}"
  [ "$i" -lt 999 ] && seed+=','
done
seed+=']}'
printf '%s' "$seed" >"$data/seed.json"
curl -sf -X POST "$url/v1/events" -H "$auth" -H 'Content-Type: application/json' \
  --data-binary @"$data/seed.json" >/dev/null

echo "stockd HTTP load, $(nproc) cores shared by server and wrk, ${seconds}s per scenario, 2 wrk threads, 64 connections"
for scenario in events events_batch reservations availability availability_batch; do
  echo "== $scenario"
  wrk -t2 -c64 -d"${seconds}s" --latency -s "bench/http/$scenario.lua" "$url" |
    grep -E 'Requests/sec|Latency|50%|99%|Non-2xx|Socket errors' || true
done
