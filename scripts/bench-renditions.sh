#!/bin/sh
# Fetches the 20 MP reference photo (Kleiber_by_Lukas_Baubkus.jpg from Debian's
# lomiri-wallpapers-20.04; never committed) and runs the rendition benchmarks:
# data/render's own (CPU per width set vs one stdlib decode) and the server-level
# one (upload + every eager rendition, peak RSS, cached requests/s, list p50).
set -eu
repo=$(pwd)
dir=${TMPDIR:-/tmp}/gallerist-bench-photo
photo=$dir/x/usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg
if [ ! -f "$photo" ]; then
	mkdir -p "$dir" && cd "$dir"
	apt-get download lomiri-wallpapers-20.04 2>/dev/null ||
		{ apt-get update -qq && apt-get download lomiri-wallpapers-20.04; }
	dpkg -x lomiri-wallpapers-20.04_*.deb x
	cd "$repo"
fi
export GALLERIST_BENCH_PHOTO="$photo"
go test -run '^$' -bench . -benchtime "${BENCHTIME:-10x}" -count "${COUNT:-3}" ./data/render/
go test -run '^$' -bench 'BenchmarkRenditions$' -benchtime 1x -count "${COUNT:-1}" .
