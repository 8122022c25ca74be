#!/usr/bin/env bash
# The physical limit beside the engine: the disk's own write+fdatasync rate (fio, 4 KiB
# appends, the way RocksDB syncs its write-ahead log) and the engine's durable group
# commit at batch sizes 1, 64 and 1,024 (Google Benchmark), in the same run on the same
# file system (the temporary directory both use). Prints each batch size's events/s as a
# fraction of the ceiling "syncs per second × batch size".
# Usage: bench/fsync/run.sh [seconds of fio, default 10]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
bench=./build/release/bench/stockd_engine_bench
[ -x "$bench" ] || { echo "build first: make build"; exit 2; }
command -v fio >/dev/null || { echo "fio is missing: bash scripts/install-deps.sh"; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/stockd-fsync-XXXXXX")
trap 'rm -rf "$dir"' EXIT

fio --name=wal --directory="$dir" --rw=write --bs=4k --size=1g --fdatasync=1 --ioengine=sync \
  --runtime="$seconds" --time_based --output-format=json >"$dir/fio.json"
"$bench" --benchmark_filter='BM_EngineDurableBatch/' --benchmark_min_time=2 \
  --benchmark_format=json >"$dir/engine.json" 2>/dev/null

python3 - "$dir/fio.json" "$dir/engine.json" <<'PY'
import json, sys
fio = json.load(open(sys.argv[1]))["jobs"][0]
syncs = fio["write"]["iops"]
sync_ms = fio["sync"]["lat_ns"]["mean"] / 1e6 if "sync" in fio else float("nan")
print(f"disk: {syncs:,.0f} write+fdatasync per second (4 KiB appends, mean sync {sync_ms:.2f} ms)")
print(f"{'batch':>6} {'engine events/s':>16} {'calls/s':>9} {'ceiling = syncs/s x batch':>26} {'fraction':>9}")
for run in json.load(open(sys.argv[2]))["benchmarks"]:
    batch = int(run["name"].split("/")[1])
    events = run["items_per_second"]
    calls = events / batch
    ceiling = syncs * batch
    print(f"{batch:>6} {events:>16,.0f} {calls:>9,.0f} {ceiling:>26,.0f} {events / ceiling:>8.0%}")
PY
