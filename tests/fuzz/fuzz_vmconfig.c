/*
 * libFuzzer target for core/launch/vmconfig.c: arbitrary text parsed as a
 * vms.cfg. Built by tests/fuzz/fuzz.mk; tests/fuzz/run.sh runs it.
 *
 * Input: the file's bytes, copied to a heap buffer of exactly that size
 * (not NUL-terminated, as the parser allows) so that ASan sees any read
 * past it. The first byte also picks the entry limit (max 1-8) and the
 * size of the message buffer (1-128 bytes, also on the heap).
 *
 * Invariants, each an abort() with a message:
 *  - the answer is 0 or -EINVAL;
 *  - 0: no message, *n <= max, and every entry is sane: name 1-31 of
 *    [A-Za-z0-9_.-] and unique, kernel 1-63 bytes, initrd at most 63,
 *    cmdline at most 1023, each NUL-terminated with no control
 *    character but tab and CR (blanks, kept inside quotes); memory a multiple of 1 MiB in 16 MiB - 64 GiB;
 *    vcpus 1-64; nr_cpus 0 or vcpus, the CPUs below 256 and distinct;
 *    the lines ascending and within the text's line count; a debug-exit
 *    range of 1, 2 or 4 ports that ends at 0xffff or below;
 *  - -EINVAL: *n = 0, a non-empty NUL-terminated message that fits
 *    errlen, and the entries cleared;
 *  - the parser is a function: the same text parses the same again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/lib/errno.h"
#include "core/launch/vmconfig.h"

#define MAX_ENTRIES 8

#define FUZZ_ASSERT(cond)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "fuzz_vmconfig: %s:%d: %s\n",		\
				__FILE__, __LINE__, #cond);			\
			abort();						\
		}								\
	} while (0)

static struct vm_config cfg[MAX_ENTRIES], cfg2[MAX_ENTRIES];

/* NUL within the field, and its length within lo..hi. */
static size_t check_str(const char *s, size_t room, size_t lo, size_t hi)
{
	size_t len = strnlen(s, room);

	FUZZ_ASSERT(len < room);
	FUZZ_ASSERT(len >= lo && len <= hi);
	for (size_t i = 0; i < len; i++)
		FUZZ_ASSERT((unsigned char)s[i] >= 0x20 || s[i] == '\t' || s[i] == '\r');
	return len;
}

static void check_entry(const struct vm_config *c, unsigned int lines)
{
	size_t len = check_str(c->name, sizeof(c->name), 1, VMCONFIG_NAME_MAX);
	bool seen[VMCONFIG_HOST_CPUS] = { false };

	for (size_t i = 0; i < len; i++)
		FUZZ_ASSERT(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789_.-", c->name[i]));
	check_str(c->kernel, sizeof(c->kernel), 1, VMCONFIG_FILE_MAX);
	check_str(c->initrd, sizeof(c->initrd), 0, VMCONFIG_FILE_MAX);
	check_str(c->cmdline, sizeof(c->cmdline), 0, VMCONFIG_CMDLINE_MAX);
	FUZZ_ASSERT(c->memory >= VMCONFIG_MEMORY_MIN && c->memory <= VMCONFIG_MEMORY_MAX);
	FUZZ_ASSERT(c->memory % VMCONFIG_MEMORY_ALIGN == 0);
	FUZZ_ASSERT(c->vcpus >= 1 && c->vcpus <= VMCONFIG_VCPUS_MAX);
	/* cpus= is the set the vCPUs share; pin=on needs a CPU for each vCPU. */
	FUZZ_ASSERT(!c->pin || c->nr_cpus >= c->vcpus);
	FUZZ_ASSERT(c->weight >= 1 && c->weight <= VMCONFIG_WEIGHT_MAX);
	for (unsigned int i = 0; i < c->nr_cpus; i++) {
		FUZZ_ASSERT(c->cpus[i] < VMCONFIG_HOST_CPUS);
		FUZZ_ASSERT(!seen[c->cpus[i]]);
		seen[c->cpus[i]] = true;
	}
	FUZZ_ASSERT(c->line >= 1 && c->line <= lines);
	FUZZ_ASSERT(c->debug_exit_size == 1 || c->debug_exit_size == 2 || c->debug_exit_size == 4);
	FUZZ_ASSERT(!c->debug_exit || c->debug_exit_port + c->debug_exit_size - 1 <= 0xffff);
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int max = size ? 1 + (data[0] & 7) : MAX_ENTRIES;
	size_t errlen = size ? 1 + ((data[0] >> 3) & 0x1f) * 4 : 128;
	unsigned int n = 0xdead, n2 = 0xdead, lines = 1;
	char *text = malloc(size ? size : 1);
	char *err = malloc(errlen);
	int ret, ret2;

	if (!text || !err)
		abort();
	memcpy(text, data, size);
	for (size_t i = 0; i < size; i++)
		lines += text[i] == '\n';
	memset(cfg, 0xa5, sizeof(cfg));
	memset(err, 0, errlen);
	ret = vmconfig_parse(text, size, "vms.cfg", cfg, max, &n, err, errlen);
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL);
	if (ret == 0) {
		FUZZ_ASSERT(err[0] == '\0');
		FUZZ_ASSERT(n <= max);
		for (unsigned int i = 0; i < n; i++) {
			check_entry(&cfg[i], lines);
			if (i)
				FUZZ_ASSERT(cfg[i].line > cfg[i - 1].line);
			for (unsigned int j = 0; j < i; j++)
				FUZZ_ASSERT(strcmp(cfg[i].name, cfg[j].name) != 0);
		}
	} else {
		FUZZ_ASSERT(n == 0);
		FUZZ_ASSERT(strnlen(err, errlen) < errlen);
		FUZZ_ASSERT(errlen == 1 || err[0] != '\0');
		for (unsigned int i = 0; i < max; i++)
			FUZZ_ASSERT(all_zero(&cfg[i], sizeof(cfg[i])) ||
				    /* never written: the pattern we left */
				    ((const uint8_t *)&cfg[i])[0] == 0xa5);
	}
	ret2 = vmconfig_parse(text, size, "vms.cfg", cfg2, max, &n2, err, errlen);
	FUZZ_ASSERT(ret2 == ret && n2 == n);
	FUZZ_ASSERT(ret || memcmp(cfg, cfg2, n * sizeof(cfg[0])) == 0);
	free(text);
	free(err);
	return 0;
}
