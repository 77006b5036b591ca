#!/usr/bin/env bash
# Benchmarks on loopback only, bounded in time. Writes BENCHMARKS.md.
#  1. Claim board (50 rows, signed in) with wrk vs pgbench running the same
#     board SELECT, side by side on the same PostgreSQL. Target: >= 70 %.
#  2. Streaming export of 100,000 claims: time, size and the server's peak
#     RSS growth (VmHWM - VmRSS before). Target: < 50 MB.
set -euo pipefail
cd "$(dirname "$0")/.."

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
DB=claimdesk_bench
ADMIN_URL="postgres://postgres@$PGHOST:$PGPORT/postgres"
URL="postgres://postgres@$PGHOST:$PGPORT/$DB"
PORT=${BENCH_PORT:-18080}
DURATION=${BENCH_SECONDS:-15}
CONNS=${BENCH_CONNECTIONS:-64}
CLAIMS=${BENCH_CLAIMS:-100000}
OUT=BENCHMARKS.md
BIN=target/release/claimdesk
psql_() { psql -h "$PGHOST" -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v pgbench >/dev/null || { echo "pgbench is needed (postgresql-contrib)"; exit 1; }

echo "== building release binary"
timeout 1800 cargo build --release --quiet

echo "== preparing $DB with $CLAIMS claims"
psql_ -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
timeout 300 "$BIN" --database-url "$URL" seed >/dev/null 2>&1
psql_ -d "$DB" <<SQL
INSERT INTO claims (id, story_id, source_id, quote, summary, status, created_at, updated_at)
SELECT gen_random_uuid(), st.id, so.id,
       'Benchmark claim ' || g || ': "quoted, with a comma" — دمشق',
       'Summary ' || g,
       (ARRAY['unverified','in_review','verified','false','disputed']::claim_status[])[1 + g % 5],
       now() - (g || ' seconds')::interval, now()
FROM generate_series(1, $CLAIMS) g,
     (SELECT id FROM stories LIMIT 1) st,
     (SELECT id FROM sources ORDER BY name LIMIT 1) so;
ANALYZE;
SQL
printf 'bench-password-123\n' | timeout 120 "$BIN" --database-url "$URL" user add \
  --email bench@example.org --name Bench --role editor --password-stdin >/dev/null 2>&1

echo "== starting the server"
"$BIN" --database-url "$URL" serve --bind "127.0.0.1:$PORT" --workers 2 >/tmp/claimdesk-bench.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
COOKIE=$(curl -s -o /dev/null -D - -d 'email=bench@example.org&password=bench-password-123' \
  "http://127.0.0.1:$PORT/login" | sed -n 's/^[Ss]et-[Cc]ookie: \(claimdesk_session=[^;]*\).*/\1/p')
[ -n "$COOKIE" ] || { echo "login failed"; exit 1; }
BOARD_BYTES=$(curl -s -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/" | wc -c)

echo "== board: wrk ${DURATION}s, $CONNS connections"
wrk -t2 -c"$CONNS" -d"${DURATION}s" -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/" | tee /tmp/claimdesk-wrk.txt
APP_RPS=$(awk '/Requests\/sec/ {print $2}' /tmp/claimdesk-wrk.txt)
APP_LAT=$(awk '/Latency/ {print $2; exit}' /tmp/claimdesk-wrk.txt)

echo "== pgbench: the board's SELECT, prepared, ${DURATION}s"
cat > /tmp/claimdesk-board.sql <<'SQL'
SELECT c.id, c.story_id, c.source_id, c.quote, c.is_paraphrase, c.summary, c.claimed_at, c.claimed_where,
       c.status, c.created_at, c.updated_at, c.version, c.review_url, s.id, s.name, s.source_type, t.id, t.title
FROM claims c JOIN sources s ON s.id = c.source_id JOIN stories t ON t.id = c.story_id
ORDER BY c.created_at DESC, c.id DESC LIMIT 51;
SQL
pgbench -h "$PGHOST" -p "$PGPORT" -U postgres -n -M prepared -c 16 -j 2 -T "$DURATION" \
  -f /tmp/claimdesk-board.sql "$DB" | tee /tmp/claimdesk-pgbench.txt
PG_TPS=$(awk '/^tps/ {print $3; exit}' /tmp/claimdesk-pgbench.txt)
RATIO=$(awk -v a="$APP_RPS" -v b="$PG_TPS" 'BEGIN {printf "%.0f", 100 * a / b}')

echo "== export: $CLAIMS claims"
kb() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$SERVER/status"; }
export_run() {
  local fmt=$1 before after t bytes
  # Reset the peak-RSS mark so each download is measured on its own.
  echo 5 > "/proc/$SERVER/clear_refs"
  before=$(kb VmRSS)
  t=$( { /usr/bin/time -f '%e' curl -s -H "Cookie: $COOKIE" -o /tmp/claimdesk-export.out \
        "http://127.0.0.1:$PORT/export?format=$fmt"; } 2>&1 )
  after=$(kb VmHWM)
  bytes=$(stat -c %s /tmp/claimdesk-export.out)
  echo "| $fmt | $t s | $((bytes / 1024 / 1024)) MB | $(( (after - before) / 1024 )) MB |"
}
EXPORT_ROWS=$(printf '%s\n%s\n%s\n' "$(export_run csv)" "$(export_run json)" "$(export_run ndjson)")
CSV_LINES=$(curl -s -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/export?format=csv" | python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(sys.stdin)) - 1)')

cat > "$OUT" <<MD
# Benchmarks

Run by \`bench/run.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB),
release build (fat LTO), PostgreSQL at $PGHOST:$PGPORT, everything on loopback.
Data: the seed story plus $CLAIMS generated claims.

## Claim board vs the database ceiling (target: ≥ 70 %)

Signed-in GET \`/\` (50 rows, $BOARD_BYTES bytes of HTML; the session lookup is part of each request),
wrk -t2 -c$CONNS for ${DURATION}s, server with 2 workers and one pool per worker, side by side with pgbench
running the board's own SELECT (prepared, 16 clients) for ${DURATION}s.

| measure | value |
|---|---|
| claimdesk board | $APP_RPS req/s (mean latency $APP_LAT) |
| pgbench, same SELECT | $PG_TPS tps |
| ratio | $RATIO % |

## Streaming export of $CLAIMS claims (target: peak RSS growth < 50 MB)

Growth = the server's VmHWM after the download minus its VmRSS before it.

| format | time | size | peak RSS growth |
|---|---|---|---|
$EXPORT_ROWS

The CSV export parsed back with Python's csv module: $CSV_LINES data rows.
MD
echo "== wrote $OUT"
cat "$OUT"
