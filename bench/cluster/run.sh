#!/usr/bin/env bash
# Cluster mode's functional scaling run (docs/SCALING.md): librdkafka's mock cluster
# (3 brokers in one helper process) and 1, 2 and 3 release stockd nodes on this machine,
# beside single-node stockd. One wrk per node (64 connections shared), loopback only.
# This machine has 2 cores for everything (brokers, nodes, load), so the figures show
# what the log costs and that work spreads, not how a real cluster scales.
# Usage: bench/cluster/run.sh [seconds per scenario, default 10]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
bin=./build/release/src/stockd
mock=./build/debug/tests/stockd_kafka_mock
[ -x "$bin" ] || { echo "build first: make build"; exit 2; }
[ -x "$mock" ] || cmake --build build/debug --target stockd_kafka_mock >/dev/null
command -v wrk >/dev/null || { echo "wrk is missing: bash scripts/install-deps.sh"; exit 2; }
partitions=6
work=$(mktemp -d /tmp/stockd-cluster-bench-XXXXXX)
export STOCKD_ADMIN_TOKEN="bench-$RANDOM$RANDOM"
auth="Authorization: Bearer $STOCKD_ADMIN_TOKEN"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

catalog='[[locations]]
id = "W1"
[[sources]]
id = "wms"
priority = 100
[[channels]]
id = "web"
locations = [{ id = "W1", priority = 1 }]'

# Starts a node (cluster mode when $2 is a bootstrap list); sets node_url.
start_node() {
  local name=$1 bootstrap=$2 id=$3
  printf '%s\n' "$catalog" >"$work/$name.toml"
  if [ -n "$bootstrap" ]; then
    printf '[cluster]\nbootstrap = "%s"\nnode_id = %s\npartitions = %s\nsession_timeout_ms = 6000\n' \
      "$bootstrap" "$id" "$partitions" >>"$work/$name.toml"
  fi
  $bin serve --data-dir "$work/$name" --listen 127.0.0.1:0 --config "$work/$name.toml" \
    --rate-limit-per-second 0 >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do grep -q "listening on" "$work/$name.log" && break; sleep 0.1; done
  node_url=$(grep -o 'http://[0-9.]*:[0-9]*' "$work/$name.log" | head -1)
}

seed() {
  local url=$1 body='{"events":['
  for i in $(seq 0 999); do
    body+="{\"id\":\"seed-$i\",\"source\":\"wms\",\"type\":\"receipt\",\"sku\":\"BENCH-$i\",\"location\":\"W1\",\"quantity\":1000000000,\"occurred_at\":\"2026-11-27T09:00:00Z\"}"
    [ "$i" -lt 999 ] && body+=','
  done
  printf '%s]}' "$body" >"$work/seed.json"
  curl -sf -X POST "$url/v1/events" -H "$auth" -H 'Content-Type: application/json' \
    --data-binary @"$work/seed.json" >/dev/null
}

# Waits until every partition has an owner in the cluster view of $1.
wait_owned() {
  for _ in $(seq 300); do
    local owned
    owned=$(curl -sf "$1/v1/cluster" -H "$auth" | grep -o '"owner":[0-9]' | wc -l || true)
    [ "$owned" -ge "$partitions" ] && return 0
    sleep 0.2
  done
  echo "partitions never all owned" >&2
  return 1
}

# Runs wrk against every URL at once (64 connections in all); prints the summed rate.
load() {
  local scenario=$1
  shift
  local n=$# i=0 files=()
  for url in "$@"; do
    i=$((i + 1))
    BENCH_ID_PREFIX="n$i-$RANDOM" wrk -t1 -c$((64 / n)) -d"${seconds}s" --latency \
      -s "bench/http/$scenario.lua" "$url" >"$work/wrk-$i.out" 2>&1 &
    files+=("$work/wrk-$i.out")
  done
  wait_for_wrk
  awk '/Requests\/sec/ {sum += $2} /^ +50%/ {p50 = p50 " " $2} /^ +99%/ {p99 = p99 " " $2}
       /Non-2xx/ {errors += $NF}
       END {printf "%10.0f req/s   p50%s   p99%s   non-2xx %d\n", sum, p50, p99, errors}' "${files[@]}"
}
wait_for_wrk() { while pgrep -f "wrk -t1 -c" >/dev/null; do sleep 0.2; done; }

echo "stockd cluster functional scaling, $(nproc) cores shared by brokers, nodes and wrk, ${seconds}s per scenario"
echo "== single node (no Kafka)"
start_node single "" 0
url=$node_url
seed "$url"
for scenario in events events_batch reservations; do printf '%-14s' "$scenario"; load "$scenario" "$url"; done
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

for nodes in 1 2 3; do
  "$mock" "stockd.commands:$partitions" stockd.replies:3 stockd.members:1 stockd.config:1 >"$work/mock-$nodes.out" 2>&1 < <(sleep 100000) &
  mock_pid=$!
  pids+=($mock_pid)
  for _ in $(seq 100); do grep -q bootstrap "$work/mock-$nodes.out" && break; sleep 0.1; done
  bootstrap=$(awk '/bootstrap/ {print $2}' "$work/mock-$nodes.out")
  urls=()
  for id in $(seq 0 $((nodes - 1))); do
    start_node "c$nodes-$id" "$bootstrap" "$id"
    urls+=("$node_url")
  done
  wait_owned "${urls[0]}"
  sleep 3  # the last joins' rebalances
  wait_owned "${urls[0]}"
  seed "${urls[0]}"
  echo "== $nodes cluster node(s), $partitions partitions"
  for scenario in events events_batch reservations; do printf '%-14s' "$scenario"; load "$scenario" "${urls[@]}"; done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
done
