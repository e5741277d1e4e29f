#!/usr/bin/env python3
"""Extracts the ELF kernel (vmlinux) from a Linux bzImage, for booting it
by the PVH ABI (docs/guest-images.md): the protected-mode part of a
bzImage is a decompressor followed by the compressed vmlinux; the first
xz or gzip stream that decompresses to an ELF file is it.

    scripts/extract-vmlinux.py VMLINUZ VMLINUX

Does nothing if VMLINUX is newer than VMLINUZ. Exits non-zero with one
line on stderr if no stream yields an ELF file.
"""
import lzma
import os
import sys
import zlib

STREAMS = (
    (b"\xfd7zXZ\x00", lambda: lzma.LZMADecompressor(format=lzma.FORMAT_XZ)),
    (b"\x1f\x8b\x08", lambda: zlib.decompressobj(16 + zlib.MAX_WBITS)),
)


def extract(data):
    for magic, make in STREAMS:
        at = data.find(magic)
        while at >= 0:
            try:
                out = make().decompress(data[at:])
            except (lzma.LZMAError, zlib.error):
                out = b""
            if out[:4] == b"\x7fELF":
                return out
            at = data.find(magic, at + 1)
    return None


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: extract-vmlinux.py VMLINUZ VMLINUX")
    src, dst = sys.argv[1:]
    if os.path.exists(dst) and os.path.getmtime(dst) >= os.path.getmtime(src):
        return
    out = extract(open(src, "rb").read())
    if out is None:
        sys.exit(f"extract-vmlinux: {src}: no xz or gzip stream holding an ELF kernel")
    with open(dst + ".tmp", "wb") as f:
        f.write(out)
    os.replace(dst + ".tmp", dst)


if __name__ == "__main__":
    main()
