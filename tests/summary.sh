#!/bin/sh
# Reads test output on stdin, passes it through, and ends with the line
# "N passed, N failed". Exits non-zero if anything failed or nothing ran.
awk '
	{ print; fflush() }
	/^PASS / { pass++ }
	/^FAIL / { fail++ }
	END {
		printf "%d passed, %d failed\n", pass, fail
		exit (fail > 0 || pass == 0) ? 1 : 0
	}'
