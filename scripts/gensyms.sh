#!/bin/sh
# Generates the symbol table (assembly) of an ELF image for symbolized
# backtraces: every text symbol as (offset from _text, size, name).
# Usage: gensyms.sh IMAGE.elf > syms.S   (no IMAGE: an empty table)
set -eu
emit_header() {
	printf '\t.section .rodata.hvsyms, "a"\n\t.p2align 2\n'
	printf '\t.globl hv_symtab_count\n\t.hidden hv_symtab_count\n'
	printf '\t.globl hv_symtab\n\t.hidden hv_symtab\n'
	printf '\t.globl hv_symtab_names\n\t.hidden hv_symtab_names\n'
}
emit_header
if [ $# -eq 0 ]; then
	printf 'hv_symtab_count:\n\t.long 0\nhv_symtab:\nhv_symtab_names:\n\t.byte 0\n'
	printf '\t.section .note.GNU-stack, "", @progbits\n'
	exit 0
fi
nm -t d -n -S --defined-only "$1" | awk '
	$NF == "_text" { text = $1 + 0 }
	(NF == 4 && ($3 == "T" || $3 == "t")) || (NF == 3 && ($2 == "T" || $2 == "t")) {
		if (NF == 4) { a = $1; sz = $2; n = $4 } else { a = $1; sz = "0"; n = $3 }
		addr[cnt] = a + 0; size[cnt] = sz + 0; name[cnt] = n; cnt++
	}
	END {
		k = 0
		for (i = 0; i < cnt; i++) {
			if (addr[i] < text) continue
			keep[k++] = i
		}
		printf "hv_symtab_count:\n\t.long %d\nhv_symtab:\n", k
		off = 0
		for (j = 0; j < k; j++) {
			i = keep[j]
			printf "\t.long 0x%x, 0x%x, %d\n", addr[i] - text, size[i], off
			off += length(name[i]) + 1
		}
		printf "hv_symtab_names:\n"
		for (j = 0; j < k; j++)
			printf "\t.asciz \"%s\"\n", name[keep[j]]
		printf "\t.section .note.GNU-stack, \"\", @progbits\n"
	}'
