#!/bin/sh
# Real GDB against the GDB stub: starts tests/gdb/gdb_server.c (the stub
# over TCP on the fake target of tests/host/test_gdb.h), drives
# `gdb -batch` through a session (registers, memory, software and
# hardware breakpoints, stepi, threads, register writes, a refused one,
# a watchpoint, detach) and checks what GDB printed. One "PASS gdb:<check>" or
# "FAIL gdb:<check>" line per check, then "TIME gdb:session <s>s"; a
# failure prints GDB's output on stderr. "SKIP gdb:session (no gdb)"
# where GDB is not installed. Exits non-zero if a check failed.
#
# Usage: tests/gdb/run.sh SERVER_BINARY
set -u
server=${1:?usage: run.sh SERVER_BINARY}
if ! command -v gdb >/dev/null 2>&1; then
	echo "SKIP gdb:session (no gdb)"
	exit 0
fi
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
start=$(date +%s%N)

"$server" >"$dir/server.out" 2>"$dir/server.err" &
spid=$!
port=
for _ in $(seq 1 100); do
	port=$(awk '/^port /{ print $2 }' "$dir/server.out")
	[ -n "$port" ] && break
	sleep 0.1
done
if [ -z "$port" ]; then
	echo "FAIL gdb:server_start"
	cat "$dir/server.err" >&2
	kill "$spid" 2>/dev/null
	exit 1
fi

# Thread 1 starts at 0x100110, thread 2 at 0x100120 (fake_regs_reset());
# guest byte i of 0x100000 is (i * 7 + 1) & 0xff.
timeout 90 gdb -batch -nx \
	-ex 'set architecture i386:x86-64' \
	-ex 'set remotetimeout 30' \
	-ex "target remote 127.0.0.1:$port" \
	-ex 'info registers' \
	-ex 'x/4xb 0x100200' \
	-ex 'break *0x100180' \
	-ex 'hbreak *0x1001a0' \
	-ex 'continue' \
	-ex 'stepi' \
	-ex 'continue' \
	-ex 'info threads' \
	-ex 'thread 2' \
	-ex 'printf "rip2=%#lx\n", $rip' \
	-ex 'set $rax = 0x42' \
	-ex 'printf "rax2=%#lx\n", $rax' \
	-ex 'set $rip = 0x800000000000' \
	-ex 'set {char}0x100200 = 0x55' \
	-ex 'x/2xb 0x100200' \
	-ex 'thread 1' \
	-ex 'watch *(char *)0x100300' \
	-ex 'continue' \
	-ex 'delete' \
	-ex 'detach' \
	>"$dir/gdb.out" 2>&1
wait "$spid"
src=$?
status=0

# check NAME PATTERN (an extended regex GDB's output must match)
check() {
	if grep -Eq -- "$2" "$dir/gdb.out"; then
		echo "PASS gdb:$1"
	else
		echo "FAIL gdb:$1"
		echo "  gdb:$1: no line matches: $2" >&2
		status=1
	fi
}

check registers_core 'rip +0x100110 '
check registers_eflags 'eflags +0x202 +\[ IF \]'
check registers_fs_base 'fs_base +0x0 '
check registers_gs_base 'gs_base +0x0 '
check registers_cr0 'cr0 +0x80050033 +\[ PG AM WP NE ET MP PE \]'
check registers_cr3 'cr3 +0x1000 '
check registers_cr4 'cr4 +0x20 +\[ PAE \]'
check registers_cr8 'cr8 +0x0 '
check registers_efer 'efer +0x501 +\[ LMA LME SCE \]'
check memory_read '0x100200:	0x01	0x08	0x0f	0x16'
check swbreak_hit 'Thread 1 hit Breakpoint 1, 0x0000000000100180 in'
check stepi '^0x0000000000100181 in'
check hwbreak_hit 'Thread 1 hit Breakpoint 2, 0x00000000001001a0 in'
check threads_listed '^\* 1 +Thread 1 '
check threads_second '^  2 +Thread 2 '
check thread_switch '^rip2=0x100120$'
check register_write '^rax2=0x42$'
check register_write_refused "Could not write register \"rip\"; remote failure reply 'E16'"
check memory_write '0x100200:	0x55	0x08'
check watchpoint_hit 'Hardware watchpoint 3: \*\(char \*\)0x100300'
check watchpoint_values 'New value = 2 .\\002.'
check detach 'Inferior 1 \(Remote target\) detached'
if [ $src -eq 0 ] && grep -q 'memory restored, detached' "$dir/server.out"; then
	echo "PASS gdb:breakpoints_restored"
else
	echo "FAIL gdb:breakpoints_restored"
	cat "$dir/server.out" "$dir/server.err" >&2
	status=1
fi
if [ $status -ne 0 ]; then
	echo "---- gdb output ----" >&2
	cat "$dir/gdb.out" >&2
fi
awk -v s="$start" -v e="$(date +%s%N)" \
	'BEGIN { printf "TIME gdb:session %.1fs\n", (e - s) / 1e9 }'
exit $status
