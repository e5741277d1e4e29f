#!/bin/sh
# The fuzz smoke run of `make test`: builds each fuzz target (through
# tests/fuzz/fuzz.mk) and runs it for a fixed number of inputs from a
# fixed seed, a few seconds. Prints one line per target for
# tests/summary.sh: "PASS fuzz:<name>", "FAIL fuzz:<name>", or
# "SKIP fuzz:<name> (why)" where clang or its libFuzzer runtime is
# missing; details of a failure follow on stderr. A target that was built
# is followed by its wall time, build and run together:
# "TIME fuzz:<name> <seconds>s". Exits non-zero if any target failed.
#
# Environment: BUILD (build), FUZZ_CC (clang), FUZZ_RUNS (200000),
# FUZZ_SEED (1), MAKE (make).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
FUZZ_CC=${FUZZ_CC:-clang}
FUZZ_RUNS=${FUZZ_RUNS:-200000}
FUZZ_SEED=${FUZZ_SEED:-1}
status=0

for name in fuzz_mmio_emul; do
	if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
		echo "SKIP fuzz:$name (no clang)"
		continue
	fi
	log=$(mktemp)
	start=$(date +%s%N)
	if ! ${MAKE:-make} --no-print-directory BUILD="$BUILD" FUZZ_CC="$FUZZ_CC" \
			"$BUILD/fuzz/$name" >"$log" 2>&1; then
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
	if "$BUILD/fuzz/$name" -runs="$FUZZ_RUNS" -seed="$FUZZ_SEED" -max_len=40 \
			-artifact_prefix="$BUILD/fuzz/$name-" >"$log" 2>&1; then
		echo "PASS fuzz:$name"
	else
		echo "FAIL fuzz:$name"
		{ echo "---- fuzz:$name (last 40 lines) ----"; tail -n 40 "$log"; } >&2
		status=1
	fi
	awk -v s="$start" -v e="$(date +%s%N)" -v n="fuzz:$name" \
		'BEGIN { printf "TIME %s %.1fs\n", n, (e - s) / 1e9 }'
	rm -f "$log"
done
exit $status
