#!/usr/bin/env bash
# Vulnerability check: govulncheck (pinned as a tool in go.mod) over ./... against a
# vulnerability database built on this machine from a pinned golang.org/x/vulndb module.
#
# The public vulnerability database host cannot be reached here, so the database comes
# from the module proxy: golang.org/x/vulndb carries every report as OSV JSON under
# data/osv/, and its cmd/indexdb writes the index/ + ID/ layout that `govulncheck -db
# file://DIR` reads. Nothing but the Go module proxy is contacted (module downloads,
# and the toolchain download when GOTOOLCHAIN selects one); govulncheck itself reads
# the database from disk.
#
# The database is built once per vulndb version and cached under
# ${XDG_CACHE_HOME:-$HOME/.cache}/gallerist-vulndb/<version> (override the parent
# with GALLERIST_VULNDB_CACHE).
#
# Usage: bash scripts/govulncheck.sh [govulncheck flags] [-- packages]   (packages: ./...)
#   e.g. bash scripts/govulncheck.sh -show verbose
#        bash scripts/govulncheck.sh -test -- ./storage/...
# Exit status is govulncheck's: 0 when no vulnerable symbol is called (findings only
# in imported packages or required modules are printed but do not fail), 3 when the
# code calls a vulnerable symbol, 1 on other errors.
#
# Standard-library findings are for the Go toolchain that runs this script (`go env
# GOVERSION`), i.e. the one that builds the project in the same shell.
set -euo pipefail
cd "$(dirname "$0")/.."

# Bump this to pick up newer reports: `go list -m golang.org/x/vulndb@latest`.
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018

cache_root="${GALLERIST_VULNDB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gallerist-vulndb}"
db="$cache_root/$VULNDB_VERSION"

# A database directory appears only complete: it is built aside and renamed into place.
if [ ! -f "$db/.complete" ]; then
	echo "govulncheck.sh: building the vulnerability database from golang.org/x/vulndb@$VULNDB_VERSION" >&2
	mkdir -p "$cache_root"
	tmp="$(mktemp -d "$cache_root/.build.XXXXXX")"
	trap 'rm -rf "$tmp"' EXIT
	# Run from outside the repository: nothing here may touch go.mod or go.sum.
	src="$(cd "$tmp" && go mod download golang.org/x/vulndb@"$VULNDB_VERSION" &&
		go list -m -f '{{.Dir}}' golang.org/x/vulndb@"$VULNDB_VERSION")"
	[ -d "$src/data/osv" ] || { echo "govulncheck.sh: no data/osv in '$src'" >&2; exit 1; }
	(cd "$tmp" && go run golang.org/x/vulndb/cmd/indexdb@"$VULNDB_VERSION" \
		-vulns "$src/data/osv" -out "$tmp/db")
	[ -s "$tmp/db/index/db.json" ] || { echo "govulncheck.sh: indexdb wrote no index" >&2; exit 1; }
	echo "golang.org/x/vulndb@$VULNDB_VERSION" >"$tmp/db/.complete"
	[ -f "$db/.complete" ] || rm -rf "$db" # not a finished database: replace it
	# A concurrent run may have won the rename; its copy is the same database.
	mv -T "$tmp/db" "$db" 2>/dev/null || [ -f "$db/.complete" ]
	rm -rf "$tmp"
	trap - EXIT
fi

# The toolchain named in go.mod fixes the standard-library findings; say when another
# one is scanning (machines default to GOTOOLCHAIN=local, which ignores that line).
want="$(sed -n 's/^toolchain[[:space:]]*//p' go.mod)"
have="$(go env GOVERSION)"
if [ -n "$want" ] && [ "$want" != "$have" ]; then
	echo "govulncheck.sh: note: scanning with $have, not go.mod's toolchain $want" \
		"(GOTOOLCHAIN=$(go env GOTOOLCHAIN)); export GOTOOLCHAIN=auto to use $want" >&2
fi

echo "govulncheck.sh: $have, golang.org/x/vulndb@$VULNDB_VERSION, database $db" >&2
flags=()
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
	flags+=("$1")
	shift
done
[ "$#" -gt 0 ] && shift # the "--"
[ "$#" -gt 0 ] || set -- ./...
exec go tool govulncheck -db "file://$db" "${flags[@]}" "$@"
