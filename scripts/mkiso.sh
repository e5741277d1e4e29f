#!/bin/sh
# Builds a GRUB (legacy BIOS) ISO that boots the Multiboot2 image.
# Usage: mkiso.sh OUT.iso HV.ELF "COMMAND LINE" [MODULE...]
set -eu
out=$1 elf=$2 cmdline=$3
shift 3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/boot/grub"
cp "$elf" "$dir/boot/hv.elf"
{
	echo 'set timeout=0'
	echo 'set default=0'
	echo 'menuentry "hv" {'
	echo "	multiboot2 /boot/hv.elf $cmdline"
	for m in "$@"; do
		cp "$m" "$dir/boot/$(basename "$m")"
		echo "	module2 --nounzip /boot/$(basename "$m") $(basename "$m")"
	done
	echo '	boot'
	echo '}'
} > "$dir/boot/grub/grub.cfg"
grub-mkrescue -o "$out" "$dir" >/dev/null 2>&1 || {
	echo "mkiso: grub-mkrescue failed" >&2
	grub-mkrescue -o "$out" "$dir"
	exit 1
}
