#!/bin/sh
# Reads test output on stdin, passes it through, and ends with two lines:
# the wall time of the whole run, "TIME total <seconds>s", then
# "N passed, N failed" (always the last line). The run started at
# $TEST_START_NS (ns since the epoch, as `date +%s%N` prints it) if set,
# as `make test` does to count its build too; otherwise when this script
# started. Exits non-zero if anything failed or nothing ran.
start=${TEST_START_NS:-$(date +%s%N)}
awk -v start="$start" '
	{ print; fflush() }
	/^PASS / { pass++ }
	/^FAIL / { fail++ }
	END {
		"date +%s%N" | getline now
		printf "TIME total %.1fs\n", (now - start) / 1e9
		printf "%d passed, %d failed\n", pass, fail
		exit (fail > 0 || pass == 0) ? 1 : 0
	}'
