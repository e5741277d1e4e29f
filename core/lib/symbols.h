/*
 * Symbol table of the hypervisor's own code, generated at link time
 * (scripts/gensyms.sh) for symbolized backtraces. Runs anywhere.
 */
#ifndef CORE_SYMBOLS_H
#define CORE_SYMBOLS_H

#include "core/lib/compiler.h"

/*
 * Finds the function containing addr. Returns its name and sets *offset
 * and *size, or returns NULL if addr is outside every known function.
 */
const char *symbol_lookup(uint64_t addr, uint64_t *offset, uint64_t *size);

#endif
