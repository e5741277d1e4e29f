#!/bin/sh
# Fails if any text symbol moved between the first and the second link of
# an image (the symbol table must describe the image it is linked into).
set -eu
t1=$(mktemp); t2=$(mktemp)
trap 'rm -f "$t1" "$t2"' EXIT
nm -n --defined-only "$1" | awk '$2 == "T" || $2 == "t"' > "$t1"
nm -n --defined-only "$2" | awk '$2 == "T" || $2 == "t"' > "$t2"
if ! cmp -s "$t1" "$t2"; then
	echo "checksyms: text symbols moved between links of $2:" >&2
	diff "$t1" "$t2" | head -n 10 >&2
	exit 1
fi
