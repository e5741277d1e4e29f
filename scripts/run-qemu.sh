#!/bin/sh
# Boots the UEFI build under QEMU TCG with SVM and nested paging emulated,
# serial console on stdio. QEMU's escape is Ctrl-] (Ctrl-] c: its monitor,
# Ctrl-] x: quit), so that Ctrl-A reaches the hypervisor's console switch.
# COM2, the hypervisor's GDB stub for its guests, is a TCP server on
# localhost port GDB_PORT (default 2159, the registered gdb-remote port;
# QEMU's own -s port 1234 stays free for debugging the hypervisor).
# Usage: run-qemu.sh ESPDIR [CPUS] [MEMORY_MIB] [HV COMMAND LINE]
set -eu
esp=$1 smp=${2:-2} mem=${3:-1024}
gdb_port=${GDB_PORT:-2159}
if [ $# -ge 4 ]; then
	mkdir -p "$esp/hv"
	printf '%s\n' "$4" > "$esp/hv/cmdline.txt"
fi
echo "gdb: debug the guest with: gdb -ex 'set remotetimeout 30' -ex 'target remote localhost:$gdb_port' (the monitor's gdb NAME picks the VM)"
exec qemu-system-x86_64 -accel tcg -cpu qemu64,+svm,+npt -smp "$smp" -m "$mem" \
	-bios /usr/share/ovmf/OVMF.fd -nodefaults \
	-drive "file=fat:rw:$esp,format=raw" -net none \
	-display none -serial mon:stdio -echr 0x1d -no-reboot \
	-serial "tcp:127.0.0.1:$gdb_port,server=on,wait=off"
