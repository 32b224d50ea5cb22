#!/usr/bin/env bash
# The PocketBase side of the "Search and lists at scale" table in README.md:
# PocketBase v0.39.11 (built from the Go module proxy), a "media" collection
# seeded with N rows named exactly as Gallerist's BenchmarkSearchScale seeds
# its library (seedLibrary in bench_search_test.go), and the same requests,
# sent by scripts/loadgen (8 clients, 5 s each), each reported as p50 / p99
# and as a ratio of req/s against PocketBase's own trivial endpoint
# (/api/health) measured in the same run.
#
#   N=100000 bash scripts/pocketbase-compare.sh     (default N: 100000)
#
# Needs curl, jq and sqlite3 (Debian: apt-get install curl jq sqlite3). Not
# part of CI: it builds PocketBase (about a minute) and seeds outside Go.
# PocketBase is run as it comes: its default indexes (none on the fields) and
# its default list answer (with totalItems), the filter operator ~ (LIKE).
set -euo pipefail

N=${N:-100000}
PB_VERSION=v0.39.11
PORT=${PORT:-18090}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'kill "${pb:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

echo "building PocketBase $PB_VERSION and loadgen" >&2
GOBIN="$work/bin" go install "github.com/pocketbase/pocketbase/examples/base@$PB_VERSION"
(cd "$here" && go build -o "$work/bin/loadgen" ./scripts/loadgen)
base="$work/bin/base"
dir="$work/pb_data"
url="http://127.0.0.1:$PORT"

start_pb() {
	"$base" serve --http "127.0.0.1:$PORT" --dir "$dir" > "$work/pb.log" 2>&1 &
	pb=$!
	for _ in $(seq 100); do
		curl -fsS "$url/api/health" > /dev/null 2>&1 && return
		sleep 0.1
	done
	echo "PocketBase did not start:" >&2
	cat "$work/pb.log" >&2
	exit 1
}
stop_pb() {
	kill "$pb"
	wait "$pb" 2>/dev/null || true
}

"$base" superuser upsert bench@example.com benchbench1234 --dir "$dir" > /dev/null
start_pb
token=$(curl -fsS -X POST "$url/api/collections/_superusers/auth-with-password" \
	-H 'Content-Type: application/json' \
	-d '{"identity":"bench@example.com","password":"benchbench1234"}' | jq -r .token)
curl -fsS -X POST "$url/api/collections" -H "Authorization: $token" -H 'Content-Type: application/json' -d '{
	"name": "media", "type": "base", "listRule": "", "viewRule": "",
	"fields": [
		{"name": "filename", "type": "text"},
		{"name": "alt", "type": "text"},
		{"name": "mime_type", "type": "text"},
		{"name": "size", "type": "number"},
		{"name": "created", "type": "autodate", "onCreate": true},
		{"name": "updated", "type": "autodate", "onCreate": true, "onUpdate": true}
	]}' > /dev/null
stop_pb

echo "seeding $N rows" >&2
lst() { jq -cn '$ARGS.positional' --args "$@"; }
adj=$(lst ceramic linen walnut brass matte glazed woven recycled organic vintage marble copper oak wool cotton leather bamboo)
noun=$(lst mug bowl plate vase lamp chair table pillow throw basket candle tray jug cup rug shelf stool mirror clock planter teapot kettle spoon)
view=$(lst front back side detail lifestyle top packshot)
surf=$(lst "a kitchen table" "a white background" "a wooden shelf" "a linen cloth" "a sunny windowsill")
sqlite3 "$dir/data.db" <<SQL
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $N),
w(i, a, n, v, s) AS (SELECT i,
	json_extract('$adj', '\$[' || (i % 17) || ']'), json_extract('$noun', '\$[' || (i / 17 % 23) || ']'),
	json_extract('$view', '\$[' || (i / 391 % 7) || ']'), json_extract('$surf', '\$[' || (i / 7 % 5) || ']') FROM seq),
r(i, name, alt) AS (SELECT i, a || '-' || n || '-' || v || '-' || i || '.jpg',
	CASE WHEN i % 4 = 0 THEN '' ELSE 'A ' || a || ' ' || n || ' on ' || s END FROM w)
INSERT INTO media (id, filename, alt, mime_type, size, created, updated)
SELECT printf('m%014d', i), name, alt, 'image/jpeg', 100000 + i * 7 % 50000,
	strftime('%Y-%m-%d %H:%M:%f', 1700000000 + i, 'unixepoch') || 'Z', strftime('%Y-%m-%d %H:%M:%f', 1700000000 + i, 'unixepoch') || 'Z'
FROM r;
SQL
start_pb

enc() { jq -rn --arg x "$1" '$x|@uri'; }
search() { echo "$url/api/collections/media/records?perPage=24&sort=-created&filter=$(enc "(filename~'$1'||alt~'$1')")"; }
run() { # label url
	"$work/bin/loadgen" -url "$2" -c 8 -d 5s | jq -c --arg l "$1" '{label: $l, rps, p50_ms, p99_ms, errors}'
}
{
	run ping "$url/api/health"
	run "search 1 letter (k)" "$(search k)"
	run "search 2 letters (mu)" "$(search mu)"
	run "search 3 letters (mug)" "$(search mug)"
	run "search 8 letters (walnut-b)" "$(search walnut-b)"
	run "search a changing term (-{n}.)" "$(search '-{n}.' | sed 's/%7Bn%7D/{n}/')"
	run "search a phrase (bowl on a w)" "$(search 'bowl on a w')"
	run "list first page" "$url/api/collections/media/records?perPage=24&sort=-created"
	run "list page 500" "$url/api/collections/media/records?perPage=24&sort=-created&page=500"
} > "$work/results.jsonl"
jq -rs --arg n "$N" '(.[0].rps) as $ping | "PocketBase '"$PB_VERSION"', \($n) rows, 8 clients, 5 s each: p50 / p99 ms (req/s ratio to /api/health)",
	(.[] | "\(.label): \(.p50_ms | . * 10 | round / 10) / \(.p99_ms | . * 10 | round / 10) (\(.rps / $ping | . * 1000 | round / 1000))\(if .errors > 0 then " errors \(.errors)" else "" end)")' "$work/results.jsonl"
echo "database size: $(du -m "$dir/data.db" | cut -f1) MB"
