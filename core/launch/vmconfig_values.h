/*
 * The VM configuration parser's own interface between core/launch/vmconfig.c
 * (the cursor, tokens, numbers and most keys) and core/launch/vmconfig_values.c
 * (the values of the device, module and paravirtual keys). Not for other
 * files: the public interface is core/launch/vmconfig.h.
 */
#ifndef CORE_LAUNCH_VMCONFIG_VALUES_H
#define CORE_LAUNCH_VMCONFIG_VALUES_H

#include "core/launch/vmconfig.h"
#include "core/lib/printf.h"

/* Offending text is shown up to this many characters, then "...". */
#define VMC_SHOW_MAX	40

struct vmc_parser {
	const char *p, *end;	/* cursor */
	unsigned int line;	/* physical line of *p, from 1 */
	const char *file;
	char *err;
	size_t errlen;
	struct vm_config *out;	/* entries done: out[0 .. count) */
	unsigned int count;
};

/* A value as written: raw text (with its quotes, if any) and its line. */
struct vmc_token {
	const char *raw;
	size_t len;
	unsigned int line;
	bool quoted;
};


/* "FILE:LINE: message" into the caller's buffer; returns -EINVAL. */
int __printf(3, 4) vmc_error(struct vmc_parser *ps, unsigned int line, const char *fmt, ...);
bool vmc_is_blank(char c);
bool vmc_is_digit(char c);
size_t vmc_decode(const struct vmc_parser *ps, const struct vmc_token *tok,
		  char *dst, size_t cap);
int vmc_number(const struct vmc_parser *ps, const struct vmc_token *tok,
	       char *buf, size_t cap, uint64_t *v, char *suffix);

/* The values of single keys (core/launch/vmconfig_values.c): 0 or vmc_error(). */
int vmc_set_debug_exit(struct vmc_parser *ps, struct vm_config *cfg,
		       const struct vmc_token *tok);
int vmc_set_debug_exit_size(struct vmc_parser *ps, struct vm_config *cfg,
			    const struct vmc_token *tok);
int vmc_set_modules(struct vmc_parser *ps, struct vm_config *cfg,
		    const struct vmc_token *tok);
int vmc_set_paravirt(struct vmc_parser *ps, struct vm_config *cfg,
		     const struct vmc_token *tok);

#endif
