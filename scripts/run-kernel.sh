#!/bin/sh
# Boots KERNEL as the one VM of the hypervisor, in an emulator, as
# `qemu-system-x86_64 -kernel KERNEL -append ARGS -initrd FILES
# -device isa-debug-exit,iobase=0xf4,iosize=4 -serial stdio` would boot it:
#
#   run-kernel.sh [-smp N] [-m MIB] [-append "ARGS"]
#                 [-initrd "FILE[ ARGS][,FILE...]"] [-vmx] KERNEL
#
# KERNEL: a Multiboot v1 or v2, PVH or Linux bzImage kernel. -smp: the
# VM's vCPUs (1); -m: its RAM in MiB (128); -append: its command line;
# -initrd: Multiboot modules, each with its arguments, or a bzImage's
# initrd; -vmx: under Bochs with VT-x, else under QEMU TCG with AMD-V.
#
# The guest's console goes to stdout, the hypervisor's log to stderr or to
# the file $RUN_KERNEL_LOG. The exit status is the VM's debug-exit status,
# (V << 1 | 1) & 0xff for a write of V to port 0xf4 (odd); any other end
# is an even status with one line on stderr: 4 the VM ended otherwise
# (triple fault, power off), 6 the VM was refused, 8 the hypervisor or the
# emulator failed, 124 no end within $RUN_KERNEL_TIMEOUT seconds (300),
# 130 interrupted, 2 bad usage (docs/testing.md, The kernel runner).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
usage() {
	echo "run-kernel: $1 (usage: run-kernel.sh [-smp N] [-m MIB] [-append \"ARGS\"]" \
		"[-initrd \"FILE[ ARGS][,FILE...]\"] [-vmx] KERNEL)" >&2
	exit 2
}
smp=1 mib=128 append= initrd= vmx=0 kernel=
while [ $# -gt 0 ]; do
	case $1 in
	-smp|-m|-append|-initrd)
		[ $# -ge 2 ] || usage "$1 wants a value"
		case $1 in
		-smp) smp=$2 ;;
		-m) mib=$2 ;;
		-append) append=$2 ;;
		-initrd) initrd=$2 ;;
		esac
		shift 2 ;;
	-vmx) vmx=1; shift ;;
	-*) usage "unknown option $1" ;;
	*)
		[ -z "$kernel" ] || usage "one KERNEL only (also $1)"
		kernel=$1; shift ;;
	esac
done
[ -n "$kernel" ] || usage "no KERNEL"
[ -f "$kernel" ] || usage "KERNEL $kernel: no such file"
case $smp in
''|*[!0-9]*|0*) usage "-smp $smp: not a number of vCPUs from 1 to 64" ;;
esac
[ "$smp" -le 64 ] || usage "-smp $smp: not a number of vCPUs from 1 to 64"
# QEMU's -m takes M and G suffixes: so does this one.
case $mib in
*[Gg]) mib=${mib%?}; g=1 ;;
*[Mm]) mib=${mib%?}; g=0 ;;
*) g=0 ;;
esac
case $mib in
''|*[!0-9]*|0*) usage "-m: not a size in MiB" ;;
esac
[ $g -eq 0 ] || mib=$((mib * 1024))
# The hypervisor's Multiboot2 image, built quietly if missing or stale.
# MAKEFLAGS cleared: under `make`, this is not one of its jobs.
if ! built=$(MAKEFLAGS= MAKELEVEL= make -s -C "$root" --no-print-directory \
		"${BUILD:-build}/mb2/hv.elf" 2>&1); then
	printf '%s\n' "$built" >&2
	echo "run-kernel: cannot build the hypervisor (make ${BUILD:-build}/mb2/hv.elf)" >&2
	exit 8
fi
exec python3 "$root/scripts/run_kernel.py" "$smp" "$mib" "$append" "$initrd" "$vmx" "$kernel"
