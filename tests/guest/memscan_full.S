/*
 * memscan.S with every page up to 4 GiB: a stride of 4 KiB above the
 * first MiB too (1048576 pages; tests/slow/memscan_full.scn).
 */
#define SCAN_STRIDE 0x1000
#include "memscan.S"
