#!/usr/bin/env bash
# Benchmarks on loopback only, bounded in time. Writes BENCHMARKS.md.
#  1. Claim board (50 rows, signed in) with wrk vs pgbench running the same
#     board SELECT, side by side on the same PostgreSQL. Target: >= 70 %.
#  2. Streaming export of 100,000 claims: time, size and the server's peak
#     RSS growth (VmHWM - VmRSS before). Target: < 50 MB.
#  3. CSV import preview of 200,000 rows (the desk's own export plus new
#     rows): upload-to-preview time and peak RSS growth. Target: < 10 s and
#     < 200 MB. Then 16 uploads at once by one user, and 16 clients that
#     leave after 1 s. BENCH_ONLY=import runs only this part (printed, and
#     written to /tmp/claimdesk-bench-import.md, not to BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
DB=${BENCH_DB:-claimdesk_bench}
ADMIN_URL="postgres://postgres@$PGHOST:$PGPORT/postgres"
URL="postgres://postgres@$PGHOST:$PGPORT/$DB"
PORT=${BENCH_PORT:-18080}
DURATION=${BENCH_SECONDS:-15}
CONNS=${BENCH_CONNECTIONS:-64}
CLAIMS=${BENCH_CLAIMS:-100000}
OUT=BENCHMARKS.md
BIN=${CARGO_TARGET_DIR:-target}/release/claimdesk
IMPORT_ROWS=${BENCH_IMPORT_ROWS:-200000}
ONLY=${BENCH_ONLY:-}
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
# The sign-in form's pre-session CSRF token: its cookie and its field.
LOGIN_PAGE=$(curl -s -D - "http://127.0.0.1:$PORT/login")
LOGIN_COOKIE=$(printf '%s\n' "$LOGIN_PAGE" | sed -n 's/^[Ss]et-[Cc]ookie: \(claimdesk_login_csrf=[^;]*\).*/\1/p')
LOGIN_TOKEN=$(printf '%s\n' "$LOGIN_PAGE" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
COOKIE=$(curl -s -o /dev/null -D - -H "Cookie: $LOGIN_COOKIE" \
  -d "csrf_token=$LOGIN_TOKEN&email=bench@example.org&password=bench-password-123" \
  "http://127.0.0.1:$PORT/login" | sed -n 's/^[Ss]et-[Cc]ookie: \(claimdesk_session=[^;]*\).*/\1/p')
[ -n "$COOKIE" ] || { echo "login failed"; exit 1; }
BOARD_BYTES=$(curl -s -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/" | wc -c)
kb() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$SERVER/status"; }

# ---------------------------------------------------------------- import
import_bench() {
  local base="http://127.0.0.1:$PORT" csv=/tmp/claimdesk-import.csv csrf before after t code loc
  echo "== import preview: $IMPORT_ROWS rows"
  csrf=$(curl -s -H "Cookie: $COOKIE" "$base/import" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -1)
  # The desk's own export (every row already recorded), then new rows made
  # from its first row, up to IMPORT_ROWS: matching sees both kinds.
  timeout 120 curl -s -H "Cookie: $COOKIE" "$base/export?format=csv" -o "$csv"
  timeout 120 python3 - "$csv" "$IMPORT_ROWS" <<'PY'
import csv, sys
path, total = sys.argv[1], int(sys.argv[2])
with open(path, newline='', encoding='utf-8') as f:
    rows = list(csv.reader(f))
header, first, have = rows[0], rows[1], len(rows) - 1
q, st, why = header.index('quote'), header.index('status'), header.index('status_reason')
with open(path, 'a', newline='', encoding='utf-8') as f:
    w = csv.writer(f)
    for i in range(max(0, total - have)):
        row = list(first)
        row[q], row[st], row[why] = f'Import bench new claim {i}, "quoted"', '', ''
        w.writerow(row)
PY
  local bytes; bytes=$(stat -c %s "$csv")
  upload() {
    timeout 120 curl -s -o /dev/null -w '%{http_code} %{redirect_url}\n' --max-time "${1:-100}" \
      -H "Cookie: $COOKIE" -H "X-CSRF-Token: $csrf" \
      -F "csrf_token=$csrf" -F "file=@$csv;type=text/csv" "$base/import" || true
  }
  echo 5 > "/proc/$SERVER/clear_refs"
  before=$(kb VmRSS)
  local t0 t1
  t0=$(date +%s.%N)
  upload 100 > /tmp/claimdesk-import.status
  t1=$(date +%s.%N)
  after=$(kb VmHWM)
  t=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
  code=$(cut -d' ' -f1 /tmp/claimdesk-import.status)
  loc=$(cut -d' ' -f2 /tmp/claimdesk-import.status)
  local page counts pt
  pt=$(curl -s -o /tmp/claimdesk-preview.html -w '%{time_total}' -H "Cookie: $COOKIE" "$loc?invalid=1&create=500")
  counts=$(grep -o 'id="count-[a-z]*">[0-9]*' /tmp/claimdesk-preview.html | sed 's/.*">//' | paste -sd/ -)
  IMPORT_ROW="| $IMPORT_ROWS rows, $((bytes / 1024 / 1024)) MB | $code | $t s | $(( (after - before) / 1024 )) MB | $counts | $pt s |"
  echo "$IMPORT_ROW"

  # 16 uploads at once by the same user: one runs, the others get 429 before
  # their bodies are read.
  local codes
  codes=$(for _ in $(seq 1 16); do upload 100 & done; wait)
  IMPORT_BURST=$(printf '%s\n' "$codes" | awk '{print $1}' | sort | uniq -c | awk '{printf "%s × %s, ", $1, $2}' | sed 's/, $//')
  echo "16 at once: $IMPORT_BURST"

  # One user's clients that each leave after 1 s: 3 s later no database
  # connection is still working for them.
  local pids=()
  for _ in $(seq 1 4); do upload 1 >/dev/null & pids+=($!); sleep 1.2; done
  wait "${pids[@]}"
  sleep 3
  IMPORT_LEFT=$(psql_ -d "$DB" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$DB' AND state = 'active' AND pid <> pg_backend_pid()")
  IMPORT_STORED=$(psql_ -d "$DB" -c "SELECT count(*) FROM imports")
  echo "after clients left: $IMPORT_LEFT active queries, $IMPORT_STORED imports stored"
  IMPORT_MD=$(cat <<MD
## CSV import preview (target: $IMPORT_ROWS rows in < 10 s, peak RSS growth < 200 MB)

The file is the desk's own CSV export ($CLAIMS generated claims, all already recorded) plus new
rows up to $IMPORT_ROWS, uploaded signed in through \`POST /import\` (multipart, CRLF). The
upload parses and matches the file once, in batches of 1,000 rows (one set-based query per
batch), and stores the preview; the time runs from the first byte sent to the redirect.
Growth = the server's VmHWM after the upload minus its VmRSS before it.

| file | status | upload → preview stored | peak RSS growth | create/duplicates/invalid | preview page 500 |
|---|---|---|---|---|---|
$IMPORT_ROW

16 uploads of that file at once by the same user: $IMPORT_BURST (one import per user at a time;
the refused ones are answered before their bodies are read). Four clients of that user that gave
up after 1 s each: 3 s later $IMPORT_LEFT queries were still active on the database and
$IMPORT_STORED imports were stored (the first one above plus the one that won the burst: an
abandoned upload stops at its next batch and rolls back).
MD
)
}

if [ "$ONLY" = import ]; then
  import_bench
  printf '%s\n' "$IMPORT_MD" | tee /tmp/claimdesk-bench-import.md
  exit 0
fi

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
import_bench

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

$IMPORT_MD
MD
echo "== wrote $OUT"
cat "$OUT"
