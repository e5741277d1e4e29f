#!/bin/sh
# Boots the UEFI build under QEMU TCG with SVM and nested paging emulated,
# serial console on stdio. QEMU's escape is Ctrl-] (Ctrl-] c: its monitor,
# Ctrl-] x: quit), so that Ctrl-A reaches the hypervisor's console switch.
# Usage: run-qemu.sh ESPDIR [CPUS] [MEMORY_MIB] [HV COMMAND LINE]
set -eu
esp=$1 smp=${2:-4} mem=${3:-1024}
if [ $# -ge 4 ]; then
	mkdir -p "$esp/hv"
	printf '%s\n' "$4" > "$esp/hv/cmdline.txt"
fi
exec qemu-system-x86_64 -accel tcg -cpu qemu64,+svm,+npt -smp "$smp" -m "$mem" \
	-bios /usr/share/ovmf/OVMF.fd -nodefaults \
	-drive "file=fat:rw:$esp,format=raw" -net none \
	-display none -serial mon:stdio -echr 0x1d -no-reboot
