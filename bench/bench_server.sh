#!/usr/bin/env bash
# bench/bench_server.sh — the server under load, against PostgreSQL 15 in the same run.
#
#   bench/bench_server.sh [NQDB_BINARY]      (default build-rel/nqdb, else build/nqdb)
#   BENCH_SECONDS=10 BENCH_CONNS="1 16 256" BENCH_ROWS=100000 bench/bench_server.sh
#
# What it measures, with wrk (Debian) on loopback, each line at 1, 16 and 256 connections:
#   health   GET /health
#   select   POST /api/v1/query {"query":"SELECT abalance FROM pgbench_accounts WHERE aid = ?",
#            "params":[random aid]} — a primary-key lookup through HTTP, JSON and the engine
#   insert   POST /api/v1/query with an INSERT of one row (durable: each is a commit)
# and prints requests/s and latency percentiles (p50, p90, p99) for each. The anchor is
# PostgreSQL 15's pgbench -S (the same primary-key SELECT over PostgreSQL's own protocol, same
# machine, same table size, same client counts, same run) and the ratio nqdb/PostgreSQL is
# printed for the select line. The two are not the same work — HTTP + JSON per request against
# PostgreSQL's binary wire protocol — so the ratio says what a client of each gets, no more.
# Also: start-up time (exec to listening), idle memory (RSS right after start, and the private
# anonymous part of it: most of the RSS is shared library code such as libcrypto) and peak
# memory (VmHWM after all runs) of the server.
#
# PostgreSQL runs as the `postgres` user in a temporary cluster on a free port (runuser);
# without PostgreSQL the anchor line says so and the nqdb figures are still printed.
set -euo pipefail
cd "$(dirname "$0")/.."

NQDB=${1:-}
if [ -z "$NQDB" ]; then
  for c in build-rel/nqdb build/nqdb; do [ -x "$c" ] && { NQDB=$c; break; }; done
fi
[ -x "${NQDB:-}" ] || { echo "bench_server: no nqdb binary (build first: make)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "bench_server: wrk not found (scripts/bootstrap)" >&2; exit 2; }
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-"1 16 256"}
ROWS=${BENCH_ROWS:-100000}
THREADS=2

WORK=$(mktemp -d /tmp/nqbench.XXXXXX)
SERVER_PID=
PG_BIN=/usr/lib/postgresql/15/bin
PG_DATA=$WORK/pg
cleanup() {
  [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  if [ -f "$PG_DATA/postmaster.pid" ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "bench_server: $(uname -m), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $SECS s per run; connections: $CONNS; $ROWS rows"
echo "bench_server: nqdb binary $NQDB"

# ---- nqdb: data, key, server -------------------------------------------------------------
DATA=$WORK/data
"$NQDB" init --data "$DATA" --output "$WORK/key.env" >/dev/null
KEY=$(sed -n 's/^NEUROQUANTUM_API_KEY=//p' "$WORK/key.env")
cat > "$WORK/bench.toml" <<EOF
[server]
host = "127.0.0.1"
[rate_limit]
enabled = false
[logging]
level = "warn"
EOF
PORT_FILE=$WORK/port
start_ns=$(date +%s%N)
"$NQDB" serve --config "$WORK/bench.toml" --data "$DATA" --port 0 --port-file "$PORT_FILE" 2>"$WORK/server.log" &
SERVER_PID=$!
while [ ! -s "$PORT_FILE" ]; do
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; exit 2; }
  sleep 0.001
done
startup_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
PORT=$(cat "$PORT_FILE")
idle_kb=$(awk '/VmRSS/ {print $2}' /proc/$SERVER_PID/status)
idle_anon_kb=$(awk '/RssAnon/ {print $2}' /proc/$SERVER_PID/status)
URL=http://127.0.0.1:$PORT

q() { curl -sf -H "X-API-Key: $KEY" -H 'Content-Type: application/json' -d "$1" "$URL/api/v1/query" >/dev/null; }
q '{"query":"CREATE TABLE pgbench_accounts (aid INTEGER PRIMARY KEY, bid INTEGER, abalance INTEGER, filler TEXT)"}'
q "{\"query\":\"WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < $ROWS) INSERT INTO pgbench_accounts SELECT x, 1, 0, '' FROM s\"}"
q '{"query":"CREATE TABLE bench_log (id INTEGER PRIMARY KEY, aid INTEGER, delta INTEGER)"}'

# query_lua FILE SEED SQL PARAMS: a wrk script that POSTs SQL to /api/v1/query with a random
# aid (1..ROWS) bound; PARAMS is the Lua expression of the params array's inside.
query_lua() {
  cat > "$1" <<EOF
math.randomseed($2)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = "$KEY"
request = function()
  local aid = math.random(1, $ROWS)
  return wrk.format(nil, "/api/v1/query", nil, '{"query":"$3","params":[' .. $4 .. ']}')
end
EOF
}
query_lua "$WORK/select.lua" 42 "SELECT abalance FROM pgbench_accounts WHERE aid = ?" "aid"
query_lua "$WORK/insert.lua" 7 "INSERT INTO bench_log (aid, delta) VALUES (?, ?)" "aid .. ', 5'"
cat > "$WORK/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read +
                 summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.1f %.3f %.3f %.3f %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    errors))
end
EOF
cat "$WORK/report.lua" >> "$WORK/select.lua"
cat "$WORK/report.lua" >> "$WORK/insert.lua"
cp "$WORK/report.lua" "$WORK/health.lua"

# run_wrk NAME CONNS SCRIPT PATH -> "rps p50 p90 p99 errors"
run_wrk() {
  local c=$1 script=$2 path=$3 t=$THREADS
  [ "$c" -lt "$t" ] && t=$c
  wrk -t "$t" -c "$c" -d "${SECS}s" --latency -s "$script" "$URL$path" 2>&1 | sed -n 's/^RESULT //p'
}

declare -A RPS
printf '\n%-8s %6s %12s %10s %10s %10s %8s\n' line conns "req/s" "p50 ms" "p90 ms" "p99 ms" errors
for line in health select insert; do
  for c in $CONNS; do
    case $line in
      health) r=$(run_wrk "$c" "$WORK/health.lua" /health) ;;
      select) r=$(run_wrk "$c" "$WORK/select.lua" /api/v1/query) ;;
      insert) r=$(run_wrk "$c" "$WORK/insert.lua" /api/v1/query) ;;
    esac
    read -r rps p50 p90 p99 errs <<<"$r"
    RPS[$line.$c]=$rps
    printf '%-8s %6s %12s %10s %10s %10s %8s\n' "$line" "$c" "$rps" "$p50" "$p90" "$p99" "$errs"
  done
done
peak_kb=$(awk '/VmHWM/ {print $2}' /proc/$SERVER_PID/status)
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=

printf '\nserver: start-up %d ms (exec to listening), idle RSS %.1f MiB (%.1f MiB of it private, the rest shared library code), peak RSS %.1f MiB\n' \
  "$startup_ms" "$(echo "$idle_kb/1024" | bc -l)" "$(echo "$idle_anon_kb/1024" | bc -l)" "$(echo "$peak_kb/1024" | bc -l)"

# ---- the anchor: PostgreSQL 15, pgbench -S -----------------------------------------------
if [ ! -x "$PG_BIN/pg_ctl" ] || ! id postgres >/dev/null 2>&1; then
  echo "anchor: PostgreSQL 15 not installed (scripts/bootstrap installs postgresql-15); no ratio"
  exit 0
fi
PGPORT=$(free_port)
mkdir -p "$PG_DATA" && chown postgres "$WORK" "$PG_DATA" && chmod 755 "$WORK"
runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA" -A trust >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/log" -w \
  -o "-p $PGPORT -k $PG_DATA -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
PGB=(runuser -u postgres -- "$PG_BIN/pgbench" -h 127.0.0.1 -p "$PGPORT")
scale=$(( (ROWS + 99999) / 100000 ))
"${PGB[@]}" -i -q -s "$scale" postgres >/dev/null 2>&1
echo
printf '%-8s %6s %12s %14s\n' anchor conns "tps" "nqdb/pg select"
for c in $CONNS; do
  t=$THREADS; [ "$c" -lt "$t" ] && t=$c
  tps=$("${PGB[@]}" -S -n -c "$c" -j "$t" -T "$SECS" postgres 2>/dev/null |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p' | tail -1)
  ratio=$(echo "${RPS[select.$c]:-0} / $tps" | bc -l)
  printf '%-8s %6s %12.1f %14.2f\n' pgbench "$c" "$tps" "$ratio"
done
echo "(pgbench scale $scale = $((scale * 100000)) accounts; nqdb table $ROWS rows)"
