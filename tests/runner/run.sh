#!/bin/sh
# Runs the test kernels of tests/runner/ (build/runner/, `make
# runner-kernels`) through scripts/run-kernel.sh and checks each one's
# stdout, exit status and the one line on stderr; the two that end with a
# debug-exit also under qemu-system-x86_64 -kernel, which must give the
# same status and the same stdout. Prints "PASS runner:NAME" or
# "FAIL runner:NAME: why" (tests/summary.sh), each followed by the case's
# wall time, "TIME runner:NAME Xs": for NAME-as-qemu QEMU's own, so that
# the two lines of a kernel give the runner's overhead.
#
# RUNNER_VMX=1 runs the runner's cases under Bochs (VT-x) instead.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
kdir=$root/${BUILD:-build}/runner
runner=$root/scripts/run-kernel.sh
vmx=${RUNNER_VMX:+-vmx}
# The spinning kernel's timeout: past the boot (Bochs's takes 20 s), short of the default.
spin_s=12
[ -z "$vmx" ] || spin_s=45
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# run NAME ARGS...: the runner on ARGS, its log in $tmp/NAME.log; sets
# rc, out ($tmp/NAME.out), err ($tmp/NAME.err) and ms.
run() {
	name=$1; shift
	t0=$(now_ms)
	RUN_KERNEL_LOG=$tmp/$name.log "$runner" $vmx "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	ms=$(($(now_ms) - t0))
	out=$tmp/$name.out err=$tmp/$name.err
}

# qemu NAME ARGS...: the same kernel under QEMU directly; sets qrc, qout, qms.
qemu() {
	name=$1; shift
	t0=$(now_ms)
	timeout 60 qemu-system-x86_64 -display none -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-serial stdio "$@" </dev/null >"$tmp/$name.qemu" 2>"$tmp/$name.qemu.err"
	qrc=$?
	qms=$(($(now_ms) - t0))
	qout=$tmp/$name.qemu
}

# check NAME WHY CONDITION...: one failure reason at a time.
fails=
check() {
	if ! eval "$2"; then
		fails="$fails${fails:+; }$1"
	fi
}

# report NAME MS: the case's PASS or FAIL line, then its wall time.
report() {
	if [ -z "$fails" ]; then
		echo "PASS runner:$1"
	else
		echo "FAIL runner:$1: $fails (log: $(tail -n 1 "$tmp/$1.log" 2>/dev/null))"
	fi
	echo "TIME runner:$1 $(secs $2)s"
	fails=
}

# expect_status NAME STATUS STDOUT-TEXT [STDERR-REGEX]: STDERR-REGEX
# absent: nothing on stderr; else exactly one line that matches it.
expect() {
	check "status $rc, not $2" "[ $rc -eq $2 ]"
	printf '%b' "$3" >"$tmp/$1.want"
	check "stdout differs: $(head -c 200 "$out" | tr '\n\t' '|>')" "cmp -s '$tmp/$1.want' '$out'"
	if [ $# -lt 4 ]; then
		check "stderr not empty: $(head -n 1 "$err")" "[ ! -s '$err' ]"
	else
		check "stderr not one line: $(head -n 3 "$err" | tr '\n' '|')" \
			"[ \$(wc -l <'$err') -eq 1 ]"
		check "stderr does not match '$4': $(head -n 1 "$err")" "grep -Eq '$4' '$err'"
	fi
}

# --- Kernels that end with debug-exit, against QEMU ---------------------

hello_out='hello from a Multiboot kernel\nloader magic ok\nmodules:\t2\nlast line before debug-exit 0\n'
mods="$kdir/spin.elf arg1 arg2,$kdir/exit3.elf"
run hello -append "one two" -initrd "$mods" "$kdir/hello.elf"
expect hello 1 "$hello_out"
report hello $ms

exit3_out='exit3: failing on purpose\nexit3: debug-exit 3 next\n'
run exit3 -smp 2 -m 64 "$kdir/exit3.elf"
expect exit3 7 "$exit3_out"
report exit3 $ms

if [ -z "$vmx" ]; then
	for k in hello exit3; do
		if [ $k = hello ]; then
			qemu $k -kernel "$kdir/hello.elf" -append "one two" -initrd "$mods"
			want=1
		else
			qemu $k -smp 2 -m 64 -kernel "$kdir/exit3.elf"
			want=7
		fi
		check "qemu status $qrc, not $want" "[ $qrc -eq $want ]"
		check "qemu's stdout differs from the runner's" "cmp -s '$qout' '$tmp/$k.out'"
		report $k-as-qemu $qms
	done
fi

# --- Every other end: an even status and one line ------------------------

run triple "$kdir/triple.elf"
expect triple 4 'triple: faulting now\n' '^run-kernel: the VM ended without debug-exit: .*triple fault'
report triple $ms

run garbage "$kdir/garbage.bin"
expect garbage 6 '' '^run-kernel: the VM was refused: vm kernel: .*garbage\.bin'
report garbage $ms

RUN_KERNEL_TIMEOUT=$spin_s run spin "$kdir/spin.elf"
expect spin 124 'spin: spinning for ever\n' "^run-kernel: timeout: the VM did not end within $spin_s s\$"
report spin $ms

# Debian's kernel (`make guest-image`, left out without it) with our
# initramfs, init asked to power off: a bzImage with its initrd, a Linux
# console, and a power off that is no debug-exit. QEMU only: Bochs takes
# 10 minutes and more to boot it.
linux=$root/${BUILD:-build}/linux
if [ -z "$vmx" ] && [ -f "$linux/vmlinuz" ] && [ -f "$linux/initrd.gz" ]; then
	RUN_KERNEL_TIMEOUT=600 run linux -m 256 -initrd "$linux/initrd.gz" \
		-append "console=ttyS0 quiet rdinit=/bin/poweroff -- -f" "$linux/vmlinuz"
	check "status $rc, not 4" "[ $rc -eq 4 ]"
	check "no 'reboot: Power down' line on stdout" "grep -q 'reboot: Power down\$' '$out'"
	check "stderr: $(head -n 3 "$err" | tr '\n' '|')" \
		"[ \"\$(cat '$err')\" = 'run-kernel: the VM ended without debug-exit: powered off by the guest' ]"
	report linux $ms
fi

# Ctrl-C: the runner ends the emulator and leaves no files behind.
mkdir "$tmp/t"
t0=$(now_ms)
TMPDIR=$tmp/t RUN_KERNEL_LOG=$tmp/interrupt.log "$runner" $vmx "$kdir/spin.elf" \
	>"$tmp/interrupt.out" 2>"$tmp/interrupt.err" &
pid=$!
while [ ! -s "$tmp/interrupt.out" ] && kill -0 $pid 2>/dev/null &&
	[ $(($(now_ms) - t0)) -lt 120000 ]; do
	sleep 0.2
done
kill -INT $pid 2>/dev/null
wait $pid
rc=$? out=$tmp/interrupt.out err=$tmp/interrupt.err ms=$(($(now_ms) - t0))
expect interrupt 130 'spin: spinning for ever\n' '^run-kernel: interrupted \(SIGINT\)$'
check "temporary files left: $(ls "$tmp/t")" "[ -z \"\$(ls '$tmp/t')\" ]"
check "emulator left running" "! pgrep -f '$tmp/t/' >/dev/null"
report interrupt $ms

# The emulator dies before the VM ends: a stand-in that says why and fails.
mkdir "$tmp/bin"
for emu in qemu-system-x86_64 bochs; do
	printf '#!/bin/sh\necho "%s: stand-in started"\necho "%s: cannot go on" >&2\nexit 3\n' \
		$emu $emu >"$tmp/bin/$emu"
	chmod +x "$tmp/bin/$emu"
done
emu=qemu-system-x86_64
[ -z "$vmx" ] || emu=bochs
PATH=$tmp/bin:$PATH run died "$kdir/hello.elf"
expect died 8 '' "^run-kernel: $emu exited with status 3 before the VM ended: $emu: cannot go on\$"
report died $ms

# Usage errors: status 2 before anything boots.
run usage -smp 0 "$kdir/hello.elf"
expect usage 2 '' '^run-kernel: -smp 0: not a number'
report usage $ms
