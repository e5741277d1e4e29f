#!/bin/sh
# Model checks of `make test` and `make host-test` (tests/model/*.pml,
# checked with spin). For the memslots epoch (tests/model/srcu.pml, the
# protocol of core/srcu.c on x86-TSO) it prints, for tests/summary.sh:
#
#   PASS model:srcu_matches_code    core/srcu.c still takes the steps the
#                                   model gives it, with the same orders
#   PASS model:srcu                 spin finds no freed set read, and no
#                                   deadlock, in any interleaving
#   PASS model:srcu_weak_detected   with the reader's store-load order
#                                   taken away (READER_FENCE 0), spin does
#                                   find a freed set read: the model still
#                                   sees the race it is there to rule out
#
# or FAIL lines with the details on stderr, then "TIME model:srcu <s>s".
# Exits non-zero if any check failed. Needs spin and a C compiler
# (scripts/install-deps.sh test installs spin).
#
# Environment: BUILD (build), HOSTCC (gcc).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
HOSTCC=${HOSTCC:-gcc}
status=0

fail() {
	echo "FAIL model:$1"
	status=1
}

# The body of C function $1 in file $2 on one line, comments and
# whitespace removed.
c_body() {
	awk -v f="$1" '
		!p && $0 ~ "^[a-z].*[ *]" f "\\(" { p = 1 }
		p { print }
		p && /^}/ { exit }' "$2" |
		tr -d ' \t\n' | sed 's:/\*\([^*]\|\*[^/]\)*\*/::g'
}

# The model's steps in the code: the reader's entry an acquire load of
# the epoch, the exchange (seq_cst) of its state, then the seq_cst
# reload; the writer's bump a seq_cst RMW before the wait, and the wait a
# seq_cst load of each state. A change to any of them needs the model
# looked at again (docs/races.md, "Memslot set freed under a reader").
srcu_matches_code() {
	src=core/srcu.c
	ok=0
	c_body srcu_read_lock $src | grep -q \
		'epoch=smp_load_acquire(&s->epoch);__atomic_exchange_n(&r->state,[^;]*,__ATOMIC_SEQ_CST);now=__atomic_load_n(&s->epoch,__ATOMIC_SEQ_CST);' ||
		{ echo "  $src: srcu_read_lock() is no longer: acquire load of the epoch, seq_cst exchange of the state, seq_cst reload of the epoch" >&2; ok=1; }
	c_body srcu_synchronize $src | grep -q \
		'epoch=atomic_add_return(&s->epoch,1);for([^)]*)srcu_wait_reader(' ||
		{ echo "  $src: srcu_synchronize() no longer bumps the epoch with atomic_add_return() before waiting for the readers" >&2; ok=1; }
	c_body srcu_wait_reader $src | grep -q \
		'__atomic_load_n(&r->state,__ATOMIC_SEQ_CST)' ||
		{ echo "  $src: srcu_wait_reader() no longer reads the state with a seq_cst load" >&2; ok=1; }
	grep -q '^#define atomic_add_return(p, v) *__atomic_add_fetch(.*__ATOMIC_SEQ_CST)' \
		arch/x86/include/asm/atomic.h ||
		{ echo "  arch/x86/include/asm/atomic.h: atomic_add_return() is no longer a seq_cst RMW" >&2; ok=1; }
	return $ok
}

# Runs spin's verifier on $1 with spin options $2 in directory $3; the
# verifier's output goes to $3/pan.out. Returns 0 if it found no error,
# 1 if it found one, 2 if it could not run.
spin_check() {
	mkdir -p "$3" && cp "$1" "$3/" || return 2
	(
		cd "$3" || exit 2
		# shellcheck disable=SC2086
		spin $2 -a "$(basename "$1")" >spin.out 2>&1 || exit 2
		"$HOSTCC" -O2 -w -DSAFETY -DNOFAIR -o pan pan.c >cc.out 2>&1 || exit 2
		./pan -m100000 >pan.out 2>&1
		grep -q '^State-vector.*errors: 0$' pan.out && exit 0
		grep -q 'errors: [1-9]' pan.out && exit 1
		exit 2
	)
}

start=$(date +%s%N)
dir=$BUILD/model/srcu
if srcu_matches_code; then
	echo "PASS model:srcu_matches_code"
else
	fail srcu_matches_code
fi
if ! command -v spin >/dev/null 2>&1; then
	fail "srcu (spin is not installed: scripts/install-deps.sh test)"
	fail "srcu_weak_detected (spin is not installed)"
else
	spin_check tests/model/srcu.pml "" "$dir/fenced"
	case $? in
	0) echo "PASS model:srcu" ;;
	1) fail srcu
	   { echo "---- model:srcu: spin found a violation; replay it with"
	     echo "     (cd $dir/fenced && spin -t -p -g srcu.pml)"
	     tail -n 30 "$dir/fenced/pan.out"; } >&2 ;;
	*) fail srcu
	   tail -n 30 "$dir/fenced/spin.out" "$dir/fenced/cc.out" \
		"$dir/fenced/pan.out" >&2 2>/dev/null ;;
	esac
	spin_check tests/model/srcu.pml "-DREADER_FENCE=0" "$dir/weak"
	case $? in
	1) grep -q 'assertion violated' "$dir/weak/pan.out" &&
		echo "PASS model:srcu_weak_detected" ||
		{ fail srcu_weak_detected
		  tail -n 30 "$dir/weak/pan.out" >&2; } ;;
	0) fail srcu_weak_detected
	   echo "  model:srcu_weak_detected: spin found no violation without the reader's fence: the model no longer checks the race" >&2 ;;
	*) fail srcu_weak_detected
	   tail -n 30 "$dir/weak/spin.out" "$dir/weak/cc.out" \
		"$dir/weak/pan.out" >&2 2>/dev/null ;;
	esac
fi
awk -v s="$start" -v e="$(date +%s%N)" \
	'BEGIN { printf "TIME model:srcu %.1fs\n", (e - s) / 1e9 }'
exit $status
