#!/bin/sh
# Runs hosted test binaries. Each prints "PASS name" / "FAIL name" lines;
# a binary that exits non-zero without a FAIL line (a sanitizer report, a
# crash) counts as one failure of its own. After each binary's lines comes
# its wall time, "TIME <san>:<binary> <seconds>s" (tests/summary.sh passes
# it through and counts it as neither).
set -u
status=0

# Wall clock in ns (GNU date).
now_ns() {
	date +%s%N
}

for bin in "$@"; do
	san=$(basename "$(dirname "$bin")")
	name=$(basename "$bin")
	log=$(mktemp)
	start=$(now_ns)
	# TSan needs the old mmap layout on kernels with high ASLR entropy.
	if [ "$san" = tsan ] && command -v setarch >/dev/null 2>&1; then
		setarch "$(uname -m)" -R "$bin" > "$log" 2> "$log.err"
	else
		"$bin" > "$log" 2> "$log.err"
	fi
	rc=$?
	end=$(now_ns)
	sed "s/^\(PASS\|FAIL\) /\1 $san:/" "$log"
	if [ $rc -ne 0 ]; then
		status=1
		if ! grep -q '^FAIL' "$log"; then
			echo "FAIL $san:$name: exited with status $rc"
		fi
		echo "---- $san:$name stderr (last 40 lines) ----"
		tail -n 40 "$log.err"
	fi
	awk -v s="$start" -v e="$end" -v n="$san:$name" \
		'BEGIN { printf "TIME %s %.1fs\n", n, (e - s) / 1e9 }'
	rm -f "$log" "$log.err"
done
exit $status
