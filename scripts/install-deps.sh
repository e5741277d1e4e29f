#!/bin/sh
# Installs the Debian 12 packages a target needs, if any is missing.
# Usage: install-deps.sh build|run|test
set -eu
build="gcc make binutils gnu-efi grub-pc-bin grub-common xorriso mtools"
run="$build qemu-system-x86 ovmf busybox-static gzip"
test="$run bochs bochs-term bochsbios vgabios python3 clang libclang-rt-14-dev spin gdb"
case "${1:-build}" in
	build) want=$build ;;
	run) want=$run ;;
	test) want=$test ;;
	*) echo "install-deps: unknown target $1" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "install-deps: missing packages:$missing; run as root to install them" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
