#!/usr/bin/env bash
# Runs every Go fuzz target in the repository, one after the other, each for
# FUZZTIME (default 10s; any -fuzztime value, e.g. 30s or 5000x), and prints
# a summary table with each target's number of executions.
#
#   scripts/fuzz.sh                 # every target
#   FUZZTIME=1m scripts/fuzz.sh     # longer runs
#   scripts/fuzz.sh Strip Differ    # only targets whose name matches one of
#                                   # these extended regular expressions
#
# Targets are found afresh on each run: every package with a *_test.go file
# declaring "func FuzzXxx(... *testing.F)" is asked for its targets with
# "go test -list", so targets added later are picked up without editing this
# script. A failing target leaves its input in the package's
# testdata/fuzz/FuzzXxx/ (commit it as a regression input once fixed); the
# script runs the remaining targets, then exits 1 (as it does when a
# package's tests do not build). Exit status 2 means no target was found.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ -f go.mod ]] || { echo "fuzz.sh: no go.mod in $(pwd)" >&2; exit 2; }

fuzztime=${FUZZTIME:-10s}
filters=("$@")

# Package directories holding fuzz targets, from a scan of the test files.
mapfile -t dirs < <(
	grep -rlE --include='*_test.go' \
		--exclude-dir=node_modules --exclude-dir=vendor --exclude-dir=testdata --exclude-dir=.git \
		'^func Fuzz([A-Z0-9_][A-Za-z0-9_]*)?\(' . |
		xargs -r -n1 dirname | sort -u
)

# The targets each package's test binary really has (build constraints and
# all), as "dir target" pairs. A package whose tests do not build counts as
# a failure.
targets=()
results=()
failed=0
for dir in "${dirs[@]}"; do
	if ! out=$(go test -list '^Fuzz' "$dir" 2>&1); then
		echo "$out" >&2
		results+=("$(printf '%-40s %-22s %12s %7s  %s' "$dir" '-' '-' '-' 'FAIL (tests do not build)')")
		failed=$((failed + 1))
		continue
	fi
	while read -r name; do
		if ((${#filters[@]})); then
			keep=0
			for re in "${filters[@]}"; do
				if [[ $name =~ $re ]]; then keep=1; fi
			done
			((keep)) || continue
		fi
		targets+=("$dir $name")
	done < <(grep -E '^Fuzz' <<<"$out" || true)
done
if ((${#targets[@]} == 0 && failed == 0)); then
	echo "fuzz.sh: no fuzz targets found" >&2
	exit 2
fi

logdir=$(mktemp -d "${TMPDIR:-/tmp}/gallerist-fuzz.XXXXXX")
trap 'rm -rf "$logdir"' EXIT

for t in "${targets[@]}"; do
	read -r dir name <<<"$t"
	log=$logdir/$(tr '/.' '__' <<<"$dir")_$name.log
	echo "=== $dir $name (fuzztime $fuzztime)"
	start=$SECONDS
	status=FAIL
	for attempt in 1 2 3; do
		if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 5x "$dir" 2>&1 | tee "$log"; then
			status=ok
			break
		fi
		# Go's fuzz coordinator before go1.27 can report a bare "context
		# deadline exceeded" at the -fuzztime boundary on a loaded machine
		# (go.dev/issue/75804): no input failed and none was written. Run
		# such a target again (at most twice); anything else is a real failure.
		if ((attempt < 3)) && grep -q 'context deadline exceeded' "$log" &&
			! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$log"; then
			echo "fuzz.sh: $name hit the fuzztime deadline race (no failing input); running it again"
			continue
		fi
		break
	done
	[[ $status == ok ]] || failed=$((failed + 1))
	# The last progress line ("fuzz: elapsed: 10s, execs: 12345 (...)")
	# has the total.
	execs=$(grep -oE 'fuzz: elapsed: [^,]*, execs: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+$' || true)
	if [[ $status == FAIL ]]; then
		input=$(grep -oE 'testdata/fuzz/[^ ]+' "$log" | tail -n 1 || true)
		[[ -z $input ]] || status="FAIL ($dir/$input)"
	fi
	results+=("$(printf '%-40s %-22s %12s %6ss  %s' "$dir" "$name" "${execs:--}" "$((SECONDS - start))" "$status")")
done

echo
printf '%-40s %-22s %12s %7s  %s\n' package target execs time status
for r in "${results[@]}"; do
	echo "$r"
done
if ((failed)); then
	echo "$failed failure(s) among ${#targets[@]} fuzz targets" >&2
	exit 1
fi
echo "all ${#targets[@]} fuzz targets passed"
