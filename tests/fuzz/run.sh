#!/bin/sh
# The fuzz smoke run of `make test`: builds each fuzz target (through
# tests/fuzz/fuzz.mk, whose `fuzz-list` names them with their longest
# input and their number of runs) and runs it for that fixed number of
# inputs from a fixed seed, starting from its seeds in
# tests/fuzz/corpus/<name>/ (read only: what it finds goes to a scratch
# folder), a few seconds each. Prints one line per target for
# tests/summary.sh: "PASS fuzz:<name>", "FAIL fuzz:<name>", or
# "SKIP fuzz:<name> (why)" where clang or its libFuzzer runtime is
# missing; details of a failure follow on stderr. A target that was built
# is followed by its wall time, build and run together:
# "TIME fuzz:<name> <seconds>s". Exits non-zero if any target failed.
#
# Environment: BUILD (build), FUZZ_CC (clang), FUZZ_RUNS (each target's
# own when unset), FUZZ_SEED (1), MAKE (make).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
FUZZ_CC=${FUZZ_CC:-clang}
FUZZ_SEED=${FUZZ_SEED:-1}
MAKE=${MAKE:-make}
status=0

targets=$($MAKE -s --no-print-directory BUILD="$BUILD" fuzz-list) || {
	echo "FAIL fuzz:list"
	exit 1
}
scratch=$(mktemp -d) || exit 1
trap 'rm -rf "$scratch"' EXIT

while read -r name max_len runs; do
	if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
		echo "SKIP fuzz:$name (no clang)"
		continue
	fi
	log=$(mktemp)
	start=$(date +%s%N)
	if ! $MAKE --no-print-directory BUILD="$BUILD" FUZZ_CC="$FUZZ_CC" \
			"$BUILD/fuzz/$name" </dev/null >"$log" 2>&1; then
		if grep -q 'libclang_rt\.fuzzer\|fsanitize=fuzzer' "$log"; then
			echo "SKIP fuzz:$name (no libFuzzer runtime)"
		else
			echo "FAIL fuzz:$name"
			{ echo "---- fuzz:$name build (last 40 lines) ----"; tail -n 40 "$log"; } >&2
			status=1
		fi
		rm -f "$log"
		continue
	fi
	mkdir -p "$scratch/$name"
	if "$BUILD/fuzz/$name" -runs="${FUZZ_RUNS:-$runs}" -seed="$FUZZ_SEED" \
			-max_len="$max_len" -artifact_prefix="$BUILD/fuzz/$name-" \
			"$scratch/$name" "tests/fuzz/corpus/$name" </dev/null >"$log" 2>&1; then
		echo "PASS fuzz:$name"
	else
		echo "FAIL fuzz:$name"
		{ echo "---- fuzz:$name (last 40 lines) ----"; tail -n 40 "$log"; } >&2
		status=1
	fi
	awk -v s="$start" -v e="$(date +%s%N)" -v n="fuzz:$name" \
		'BEGIN { printf "TIME %s %.1fs\n", n, (e - s) / 1e9 }'
	rm -f "$log"
done <<EOF
$targets
EOF
exit $status
