#!/usr/bin/env bash
# Durable reservations side by side, in one run on this machine, loopback only:
#   stockd over HTTP (201 only after the fsync'ed write), wrk with bench/baselines/reserve.lua
#   PostgreSQL 15 (synchronous_commit=on, fsync=on), pgbench with the canonical guarded
#     UPDATE and with SELECT ... FOR UPDATE + UPDATE, at several client counts (best kept)
#   Redis 7 with a Lua check-and-reserve script, appendonly yes + appendfsync always
#     (durable) and everysec, redis-benchmark
# over 10,000 SKUs x 10 locations chosen at random, and a hot variant (one position: a
# flash sale). Every server is started here on a non-default port in a temporary
# directory and stopped at the end. Prints the medians of REPEATS runs, their spread,
# and the ratios stockd / PostgreSQL and stockd / Redis.
# Availability reads side by side too: one SKU's sellable units over 10 locations
# (stockd GET /v1/availability, PostgreSQL SELECT sum over the SKU's rows, Redis a Lua
# script reading its 10 hashes).
# Usage: bench/baselines/run.sh [seconds per run, default 5] [repeats, default 3]
#                               [what: all (default) | reserve | ingest | reads]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-5}
repeats=${2:-3}
what=${3:-all}
wants() { [ "$what" = all ] || [ "$what" = "$1" ]; }
clients=64
pg_clients=(16 64)
bin=./build/release/src/stockd
[ -x "$bin" ] || { echo "build first: cmake --preset release && cmake --build build/release"; exit 2; }
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v redis-server >/dev/null || need+=(redis-server)
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql-15)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi
pgbin=/usr/lib/postgresql/15/bin

work=$(mktemp -d /tmp/stockd-baselines-XXXXXX)
chmod 777 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -f "$work/pg/postmaster.pid" ]; then run_pg "$pgbin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true; fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# PostgreSQL refuses to run as root: run it as the nobody-like postgres user if we are root.
run_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.0f", m}'; }
spread() { sort -n | awk 'NR==1{lo=$1} {hi=$1} END {printf "%.0f-%.0f", lo, hi}'; }

# --- stockd -------------------------------------------------------------------
export STOCKD_ADMIN_TOKEN="bench-$RANDOM$RANDOM"
$bin serve --data-dir "$work/stockd" --listen 127.0.0.1:0 --rate-limit-per-second 0 >"$work/stockd.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$work/stockd.log" && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.]*:[0-9]*' "$work/stockd.log" | head -1)
auth="Authorization: Bearer $STOCKD_ADMIN_TOKEN"
pool=""
for l in $(seq 0 9); do
  curl -sf -X PUT "$url/v1/locations/L$l" -H "$auth" -d '{"type":"warehouse"}' >/dev/null
  pool+="{\"id\":\"L$l\",\"priority\":$l}"; [ "$l" -lt 9 ] && pool+=','
done
curl -sf -X PUT "$url/v1/sources/wms" -H "$auth" -d '{"priority":100}' >/dev/null
curl -sf -X PUT "$url/v1/channels/web" -H "$auth" -d "{\"locations\":[$pool],\"reservation_ttl_seconds\":86400}" >/dev/null
for chunk in $(seq 0 9); do
  awk -v c="$chunk" 'BEGIN { for (s = c * 1000; s < (c + 1) * 1000; s++) for (l = 0; l < 10; l++)
    printf "{\"id\":\"seed-%d-%d\",\"source\":\"wms\",\"type\":\"receipt\",\"sku\":\"B-%d\",\"location\":\"L%d\",\"quantity\":1000000000,\"occurred_at\":\"2026-11-27T09:00:00Z\"}\n", s, l, s, l }' \
    >"$work/seed.ndjson"
  curl -sf -X POST "$url/v1/events" -H "$auth" -H 'Content-Type: application/x-ndjson' --data-binary @"$work/seed.ndjson" >/dev/null
done
stockd_run() {  # $1 = HOT (0|1) -> requests/s
  HOT=$1 wrk -t2 -c$clients -d"${seconds}s" -s bench/baselines/reserve.lua "$url" 2>/dev/null |
    awk '/Requests\/sec/ {printf "%.0f\n", $2}'
}

# --- PostgreSQL ---------------------------------------------------------------
pg_port=55432
cp bench/baselines/pg_*.sql "$work/" && chmod 644 "$work"/pg_*.sql
mkdir -p "$work/pg" && chown -R postgres "$work/pg" 2>/dev/null || true
run_pg "$pgbin/initdb" -D "$work/pg" -U bench -A trust >/dev/null
run_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/log" -w \
  -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c synchronous_commit=on -c fsync=on -c max_connections=200 -c shared_buffers=256MB" start >/dev/null
psql_run() { run_pg psql -q -h 127.0.0.1 -p $pg_port -U bench -d postgres "$@"; }
psql_run -c "CREATE TABLE events (source text, id text, sku int, location int, quantity bigint, received_at timestamptz DEFAULT now(), PRIMARY KEY (source, id));" \
         -c "CREATE TABLE positions (sku int, location int, on_hand bigint NOT NULL, reserved bigint NOT NULL, PRIMARY KEY (sku, location));" \
         -c "INSERT INTO positions SELECT s, l, 1000000000, 0 FROM generate_series(0, 9999) s, generate_series(0, 9) l;" \
         -c "VACUUM ANALYZE positions;"
pg_run() {  # $1 = script, $2 = clients, $3 = hot (0|1) -> transactions/s
  local skus=10000 locs=10
  [ "$3" = 1 ] && skus=1 locs=1
  run_pg "$pgbin/pgbench" -n -h 127.0.0.1 -p $pg_port -U bench -c "$2" -j 2 -T "$seconds" \
    -D skus=$skus -D locs=$locs -f "$work/$1.sql" postgres 2>/dev/null |
    awk '/^tps/ {printf "%.0f\n", $3}'
}

# --- Redis --------------------------------------------------------------------
redis_port=56379
lua_reserve='local v = redis.call("HMGET", KEYS[1], "on_hand", "reserved") if tonumber(v[1]) - tonumber(v[2]) >= tonumber(ARGV[1]) then return redis.call("HINCRBY", KEYS[1], "reserved", ARGV[1]) end return -1'
seed='for i = 0, 99999 do redis.call("HSET", string.format("pos:%012d", i), "on_hand", 1000000000, "reserved", 0) end redis.call("HSET", "pos:__rand_int__", "on_hand", 1000000000, "reserved", 0) return 1'
redis_run() {  # $1 = always|everysec, $2 = hot (0|1) -> requests/s
  local dir="$work/redis-$1-$2-$RANDOM$RANDOM"  # a fresh AOF each run
  mkdir -p "$dir"
  redis-server --port $redis_port --bind 127.0.0.1 --dir "$dir" --appendonly yes --appendfsync "$1" \
    --save '' --daemonize no >"$dir/log" 2>&1 &
  local pid=$!
  for _ in $(seq 50); do redis-cli -p $redis_port ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p $redis_port EVAL "$seed" 0 >/dev/null
  local range=(-r 100000)
  [ "$2" = 1 ] && range=()
  # -n sized to run about `seconds` at ~50k/s; redis-benchmark reports requests per second.
  redis-benchmark -p $redis_port -c $clients -n $((seconds * 40000)) "${range[@]}" -q \
    EVAL "$lua_reserve" 1 'pos:__rand_int__' 1 2>/dev/null | tr '\r' '\n' | awk '/requests per second/ {for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) v = $i} END {printf "%.0f\n", v}'
  kill $pid; wait $pid 2>/dev/null || true
}

# Event ingest: NDJSON batches of 1,000 facts (stockd) vs one transaction per 1,000 that
# inserts each event under its idempotency key and updates the positions (PostgreSQL).
stockd_ingest() {
  wrk -t2 -c16 -d"${seconds}s" -s bench/baselines/ingest.lua "$url" 2>/dev/null |
    awk '/Requests\/sec/ {printf "%.0f\n", $2 * 1000}'
}
pg_ingest() {  # best of 4 and 16 clients -> events/s
  local best=0 v
  for c in 4 16; do
    v=$(run_pg "$pgbin/pgbench" -n -h 127.0.0.1 -p $pg_port -U bench -c "$c" -j 2 -T "$seconds" \
      -f "$work/pg_ingest.sql" postgres 2>/dev/null | awk '/^tps/ {printf "%.0f\n", $3 * 1000}')
    [ "${v:-0}" -gt "$best" ] && best=$v
  done
  echo "$best"
}

# Availability reads: one SKU over its 10 locations.
stockd_reads() {
  wrk -t2 -c$clients -d"${seconds}s" -s bench/baselines/availability.lua "$url" 2>/dev/null |
    awk '/Requests\/sec/ {printf "%.0f\n", $2}'
}
pg_reads() {  # best of 16 and 64 clients -> reads/s
  local best=0 v
  for c in "${pg_clients[@]}"; do
    v=$(run_pg "$pgbin/pgbench" -n -h 127.0.0.1 -p $pg_port -U bench -c "$c" -j 2 -T "$seconds" \
      -D skus=10000 -f "$work/pg_availability.sql" postgres 2>/dev/null | awk '/^tps/ {printf "%.0f\n", $3}')
    [ "${v:-0}" -gt "$best" ] && best=$v
  done
  echo "$best"
}
lua_available='local total = 0 for l = 0, 9 do local v = redis.call("HMGET", KEYS[1] .. ":" .. l, "on_hand", "reserved") local a = tonumber(v[1]) - tonumber(v[2]) if a > 0 then total = total + a end end return total'
seed_reads='for s = 0, 9999 do for l = 0, 9 do redis.call("HSET", string.format("sku:%012d:%d", s, l), "on_hand", 1000000000, "reserved", 0) end end return 1'
redis_reads() {  # -> reads/s (no fsync involved: reads)
  local dir="$work/redis-reads-$RANDOM$RANDOM"
  mkdir -p "$dir"
  redis-server --port $redis_port --bind 127.0.0.1 --dir "$dir" --appendonly yes --appendfsync always \
    --save '' --daemonize no >"$dir/log" 2>&1 &
  local pid=$!
  for _ in $(seq 50); do redis-cli -p $redis_port ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p $redis_port EVAL "$seed_reads" 0 >/dev/null
  redis-benchmark -p $redis_port -c $clients -n $((seconds * 40000)) -r 10000 -q \
    EVAL "$lua_available" 1 'sku:__rand_int__' 2>/dev/null | tr '\r' '\n' | awk '/requests per second/ {for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) v = $i} END {printf "%.0f\n", v}'
  kill $pid; wait $pid 2>/dev/null || true
}

# --- the runs -----------------------------------------------------------------
declare -A results
wants reserve && for hot in 0 1; do
  for r in $(seq "$repeats"); do
    results[stockd,$hot]+="$(stockd_run $hot) "
    for script in pg_guarded pg_for_update; do
      best=0
      for c in "${pg_clients[@]}"; do
        v=$(pg_run $script "$c" $hot); [ "${v:-0}" -gt "$best" ] && best=$v
      done
      results[$script,$hot]+="$best "
    done
    for mode in always everysec; do results[redis_$mode,$hot]+="$(redis_run $mode $hot) "; done
  done
done

wants ingest && for r in $(seq "$repeats"); do
  results[ingest_stockd]+="$(stockd_ingest) "
  results[ingest_pg]+="$(pg_ingest) "
done
wants reads && for r in $(seq "$repeats"); do
  results[reads_stockd]+="$(stockd_reads) "
  results[reads_pg]+="$(pg_reads) "
  results[reads_redis]+="$(redis_reads) "
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else printf "n/a" }'; }
if wants reserve; then

echo "Durable reservations, $(nproc) cores shared by servers and load generators, ${seconds}s x $repeats runs (median, min-max)"
echo "stockd: HTTP, $clients connections; PostgreSQL: best of ${pg_clients[*]} clients; Redis: $clients clients"
printf '| %-44s | %-12s | %-12s | %-12s | %-12s |\n' "system" "random ops/s" "spread" "hot ops/s" "spread"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "--------------" "--------------" "--------------" "--------------"
declare -A med
for key in stockd pg_guarded pg_for_update redis_always redis_everysec; do
  for hot in 0 1; do med[$key,$hot]=$(tr ' ' '\n' <<<"${results[$key,$hot]}" | grep . | median); done
  label=$key
  case $key in
    stockd) label="stockd (HTTP, durable)";;
    pg_guarded) label="PostgreSQL guarded UPDATE";;
    pg_for_update) label="PostgreSQL SELECT FOR UPDATE + UPDATE";;
    redis_always) label="Redis Lua, appendfsync always (durable)";;
    redis_everysec) label="Redis Lua, appendfsync everysec (not durable)";;
  esac
  printf '| %-44s | %12s | %-12s | %12s | %-12s |\n' "$label" "${med[$key,0]}" \
    "$(tr ' ' '\n' <<<"${results[$key,0]}" | grep . | spread)" "${med[$key,1]}" \
    "$(tr ' ' '\n' <<<"${results[$key,1]}" | grep . | spread)"
done
echo
for base in pg_guarded pg_for_update redis_always redis_everysec; do
  echo "stockd / $base: random $(ratio "${med[stockd,0]}" "${med[$base,0]}"), hot $(ratio "${med[stockd,1]}" "${med[$base,1]}")"
done
fi

if wants ingest; then
echo
echo "Durable event ingest, batches of 1,000 (median events/s, min-max): stockd NDJSON over HTTP, 16 connections; PostgreSQL insert-with-idempotency-key + update per 1,000, best of 4 and 16 clients"
i_s=$(tr ' ' '\n' <<<"${results[ingest_stockd]}" | grep . | median)
i_p=$(tr ' ' '\n' <<<"${results[ingest_pg]}" | grep . | median)
echo "| stockd | $i_s | $(tr ' ' '\n' <<<"${results[ingest_stockd]}" | grep . | spread) |"
echo "| PostgreSQL | $i_p | $(tr ' ' '\n' <<<"${results[ingest_pg]}" | grep . | spread) |"
echo "stockd / PostgreSQL ingest: $(ratio "$i_s" "$i_p")"
fi
if wants reads; then
  echo
  echo "Availability reads of one SKU over 10 locations (median reads/s, min-max): stockd HTTP, $clients connections; PostgreSQL SELECT sum, best of ${pg_clients[*]} clients; Redis Lua over 10 hashes, $clients clients"
  declare -A rmed
  for key in reads_stockd reads_pg reads_redis; do
    rmed[$key]=$(tr ' ' '\n' <<<"${results[$key]}" | grep . | median)
    echo "| $key | ${rmed[$key]} | $(tr ' ' '\n' <<<"${results[$key]}" | grep . | spread) |"
  done
  echo "stockd / PostgreSQL reads: $(ratio "${rmed[reads_stockd]}" "${rmed[reads_pg]}"), stockd / Redis reads: $(ratio "${rmed[reads_stockd]}" "${rmed[reads_redis]}")"
fi
