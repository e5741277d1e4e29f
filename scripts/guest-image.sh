#!/bin/sh
# The default Linux guest: Debian 12's stock kernel and a busybox initramfs.
# Usage: guest-image.sh OUTDIR
#
# Makes OUTDIR/vmlinuz, OUTDIR/kernel.version and OUTDIR/initrd.gz. Files
# that exist and are newer than this script are kept as they are.
#
# vmlinuz is Debian's kernel byte for byte as shipped: /boot/vmlinuz-* of an
# installed linux-image-*-amd64 package, or else the package that
# linux-image-amd64 depends on, fetched with `apt-get download` (the
# package lists must be there: scripts/install-deps.sh runs apt-get update)
# and unpacked with dpkg-deb. kernel.version says "PACKAGE VERSION".
#
# initrd.gz is a gzip'd newc cpio written by this script itself (no root,
# no fakeroot, no cpio tool): busybox from busybox-static with a symlink per
# applet, /dev/console as a character device (the kernel opens it before
# /init runs), empty /proc /sys /tmp /root, and /init, which mounts proc,
# sysfs and devtmpfs, prints
#     MICROHV-GUEST-READY vcpus=<processors> kernel=<uname -r>
# and runs a shell on the console with a controlling tty (setsid cttyhack).
# Reproducible: entries in sorted order, inode numbers counted from 1,
# owner 0:0, mtime 0, gzip without name or time stamp.
set -eu

die() {
	echo "guest-image: $*" >&2
	exit 1
}

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1
self=$0
mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/guest-image.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# True if $1 exists and is newer than this script.
fresh() {
	[ -s "$1" ] && [ -n "$(find "$1" -prune -newer "$self")" ]
}

# ---- The kernel -----------------------------------------------------------

# Prints "PATH PACKAGE VERSION" for the newest readable /boot/vmlinuz-* that
# a linux-image-*-amd64 package owns; nothing if there is none.
installed_kernel() {
	# shellcheck disable=SC2012 # /boot/vmlinuz-VERSION names have no blanks
	for f in $(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V -r); do
		[ -r "$f" ] || continue
		pkg=$(dpkg-query -S "$f" 2>/dev/null | cut -d: -f1) || continue
		case $pkg in
		linux-image-*-amd64)
			ver=$(dpkg-query -W -f '${Version}' "$pkg")
			echo "$f $pkg $ver"
			return 0 ;;
		esac
	done
	return 0
}

resolve_kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-.*-amd64$/ { print $2; exit }'
}

fetch_kernel() {
	found=$(installed_kernel)
	if [ -n "$found" ]; then
		# shellcheck disable=SC2086 # "PATH PACKAGE VERSION", no blanks inside
		set -- $found
		cp "$1" "$tmp/vmlinuz"
		echo "$2 $3" >"$tmp/kernel.version"
		echo "guest-image: kernel $1 (installed package $2 $3)"
		return 0
	fi
	pkg=$(resolve_kernel_package)
	if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ]; then
		# A fresh machine may have no package lists yet.
		echo "guest-image: no package lists; running apt-get update"
		apt-get update -q >/dev/null 2>&1 || true
		pkg=$(resolve_kernel_package)
	fi
	[ -n "$pkg" ] || die "cannot resolve linux-image-amd64 to a kernel package" \
		"(no package lists? run scripts/install-deps.sh run, or apt-get update)"
	mkdir -p "$tmp/deb" "$tmp/x"
	chmod 0777 "$tmp/deb"	# apt's _apt user writes there
	echo "guest-image: downloading $pkg"
	if ! (cd "$tmp/deb" && apt-get download -q "$pkg" >/dev/null 2>"$tmp/apt.err") &&
	   [ "$(id -u)" -eq 0 ]; then
		# Stale lists name a version the mirror no longer has.
		echo "guest-image: download failed; running apt-get update and retrying"
		apt-get update -q >/dev/null 2>&1 || true
		pkg=$(resolve_kernel_package)
	fi
	ls "$tmp"/deb/*.deb >/dev/null 2>&1 ||
	(cd "$tmp/deb" && apt-get download -q "$pkg" >/dev/null 2>"$tmp/apt.err") || {
		cat "$tmp/apt.err" >&2
		die "apt-get download $pkg failed (is the Debian mirror reachable?" \
			"are the package lists current? apt-get update refreshes them)"
	}
	deb=$(ls "$tmp"/deb/*.deb)
	ver=$(dpkg-deb -f "$deb" Version)
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" --wildcards './boot/vmlinuz-*' ||
		die "$deb has no ./boot/vmlinuz-*"
	set -- "$tmp"/x/boot/vmlinuz-*
	if [ $# -ne 1 ] || [ ! -s "$1" ]; then
		die "$deb: expected one ./boot/vmlinuz-*, found: $*"
	fi
	mv "$1" "$tmp/vmlinuz"
	touch "$tmp/vmlinuz"	# tar kept the package's time; fresh() wants ours
	echo "$pkg $ver" >"$tmp/kernel.version"
	echo "guest-image: kernel from $pkg $ver"
}

if fresh "$out/vmlinuz" && fresh "$out/kernel.version"; then
	echo "guest-image: keeping $out/vmlinuz ($(cat "$out/kernel.version"))"
else
	fetch_kernel
	mv "$tmp/kernel.version" "$out/kernel.version"
	mv "$tmp/vmlinuz" "$out/vmlinuz"
fi

# ---- The initramfs ----------------------------------------------------------

bb=""
for f in /bin/busybox /usr/bin/busybox; do
	[ -x "$f" ] && { bb=$f; break; }
done
# A dynamically linked busybox (package busybox) would find no libc in the
# initramfs.
check_busybox() {
	[ -n "$bb" ] || die "no /bin/busybox: install busybox-static (scripts/install-deps.sh run)"
	if LC_ALL=C readelf -l "$bb" 2>/dev/null | grep -q 'program interpreter'; then
		die "$bb is dynamically linked: install busybox-static instead of busybox"
	fi
}

# newc writer. Every entry: the 110-byte ASCII header, the NUL-terminated
# name padded to a multiple of 4 with the header, then the data padded to 4.
ino=0
pad4() {
	n=$(( (4 - $1 % 4) % 4 ))
	[ "$n" -eq 0 ] || head -c "$n" /dev/zero
}
# newc_header NAME MODE NLINK SIZE RDEVMAJOR RDEVMINOR
newc_header() {
	ino=$((ino + 1))
	namesize=$(( ${#1} + 1 ))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$ino" "$2" 0 0 "$3" 0 "$4" 0 0 "$5" "$6" "$namesize" 0
	printf '%s\0' "$1"
	pad4 $((110 + namesize))
}
newc_dir() {
	newc_header "$1" $((0040000 | 0755)) 2 0 0 0
}
newc_symlink() {	# NAME TARGET
	newc_header "$1" $((0120000 | 0777)) 1 ${#2} 0 0
	printf '%s' "$2"
	pad4 ${#2}
}
newc_file() {		# NAME MODE HOSTFILE
	size=$(wc -c <"$3")
	newc_header "$1" $((0100000 | $2)) 1 "$size" 0 0
	cat "$3"
	pad4 "$size"
}
newc_chardev() {	# NAME MAJOR MINOR
	newc_header "$1" $((0020000 | 0600)) 1 0 "$2" "$3"
}
newc_trailer() {
	newc_header "TRAILER!!!" 0 1 0 0 0
}

cat >"$tmp/init" <<'EOF'
#!/bin/sh
# microhv test guest: mount the kernel's file systems, report, give a shell.
export PATH=/bin HOME=/root PS1='~ # '
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "MICROHV-GUEST-READY vcpus=$(grep -c ^processor /proc/cpuinfo) kernel=$(uname -r)"
cd /root
# A session of its own with the console as its controlling tty: job
# control and Ctrl-C work.
exec setsid cttyhack /bin/sh
EOF

build_cpio() {
	for d in bin dev proc root sys tmp; do
		newc_dir "$d"
	done
	newc_file bin/busybox 0755 "$bb"
	# A for loop, not a pipe into while: ino must count on in this shell.
	for applet in $("$bb" --list | LC_ALL=C sort -u); do
		[ "$applet" = busybox ] && continue
		newc_symlink "bin/$applet" busybox
	done
	newc_chardev dev/console 5 1
	newc_file init 0755 "$tmp/init"
	newc_trailer
}

if fresh "$out/initrd.gz"; then
	echo "guest-image: keeping $out/initrd.gz"
else
	check_busybox
	build_cpio >"$tmp/initrd.cpio"
	gzip -9 -n -c "$tmp/initrd.cpio" >"$tmp/initrd.gz"
	mv "$tmp/initrd.gz" "$out/initrd.gz"
	echo "guest-image: $out/initrd.gz ($(wc -c <"$out/initrd.gz") bytes, busybox $("$bb" | head -n 1 | cut -d' ' -f2))"
fi
