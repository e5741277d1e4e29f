/*
 * The values of vms.cfg's debug-exit, debug-exit-size, modules and paravirt
 * keys (syntax: core/launch/vmconfig.h), split from core/launch/vmconfig.c,
 * which reads the text and calls these. No allocation, no locks, no
 * global state; every error goes through vmc_error().
 */
#include "core/lib/errno.h"
#include "core/lib/string.h"
#include "core/launch/vmconfig_values.h"

/* Digits of a port number at s: decimal, or hex after "0x"; -1 if none or too large. */
static long vmc_parse_port(const char *s)
{
	unsigned int base = 10;
	long v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -1;
	for (; *s; s++) {
		char c = *s;
		int d = vmc_is_digit(c) ? c - '0' :
			(base == 16 && c >= 'a' && c <= 'f') ? c - 'a' + 10 :
			(base == 16 && c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		v = v * (long)base + d;
		if (v > 0xffff)
			return -1;
	}
	return v;
}

int vmc_set_debug_exit(struct vmc_parser *ps, struct vm_config *cfg,
		       const struct vmc_token *tok)
{
	char buf[VMC_SHOW_MAX + 1];
	long port;

	if (vmc_decode(ps, tok, buf, sizeof(buf)) >= sizeof(buf))
		memcpy(buf + sizeof(buf) - 4, "...", 4);
	if (strcmp(buf, "off") == 0) {
		cfg->debug_exit = false;
		return 0;
	}
	port = strcmp(buf, "on") == 0 ? VMCONFIG_DEBUG_EXIT_ON : vmc_parse_port(buf);
	if (port < 0)
		return vmc_error(ps, tok->line,
				 "debug-exit: \"%s\" is not a port (use on, off, or 0-0xffff)", buf);
	cfg->debug_exit = true;
	cfg->debug_exit_port = (uint16_t)port;
	return 0;
}

int vmc_set_debug_exit_size(struct vmc_parser *ps, struct vm_config *cfg,
			    const struct vmc_token *tok)
{
	char buf[VMC_SHOW_MAX + 1], suffix;
	uint64_t v;
	int err = vmc_number(ps, tok, buf, sizeof(buf), &v, &suffix);

	if (err || suffix || (v != 1 && v != 2 && v != 4))
		return vmc_error(ps, tok->line, "debug-exit-size: \"%s\" is not 1, 2 or 4", buf);
	cfg->debug_exit_size = (unsigned int)v;
	return 0;
}

/*
 * One entry of a modules= list, s[0 .. len): blanks around it dropped,
 * "FILE[ ARGS]"; the file goes to module_file[], the whole to the packed
 * strings at *at.
 */
static int vmc_modules_item(struct vmc_parser *ps, struct vm_config *cfg,
			    const struct vmc_token *tok, const char *s, size_t len, size_t *at)
{
	unsigned int i = cfg->nr_modules;
	size_t file = 0;

	while (len && vmc_is_blank(*s)) {
		s++;
		len--;
	}
	while (len && vmc_is_blank(s[len - 1]))
		len--;
	if (!len)
		return vmc_error(ps, tok->line, "modules: entry %u is empty", i + 1);
	if (i == VMCONFIG_MODULES_MAX)
		return vmc_error(ps, tok->line, "modules: more than %u modules", VMCONFIG_MODULES_MAX);
	while (file < len && !vmc_is_blank(s[file]))
		file++;
	if (file > VMCONFIG_FILE_MAX)
		return vmc_error(ps, tok->line, "modules: file \"%.*s...\" is longer than %u characters",
				 VMC_SHOW_MAX, s, VMCONFIG_FILE_MAX);
	memcpy(cfg->module_file[i], s, file);
	cfg->module_file[i][file] = '\0';
	memcpy(cfg->module_strings + *at, s, len);
	cfg->module_strings[*at + len] = '\0';
	*at += len + 1;
	cfg->nr_modules++;
	return 0;
}

int vmc_set_modules(struct vmc_parser *ps, struct vm_config *cfg,
		    const struct vmc_token *tok)
{
	char buf[VMCONFIG_MODULES_LEN + 1];
	size_t n = vmc_decode(ps, tok, buf, sizeof(buf)), at = 0;
	const char *s = buf;
	int err;

	if (n > VMCONFIG_MODULES_LEN)
		return vmc_error(ps, tok->line, "modules: %zu characters, at most %u (\"%.*s...\")",
				 n, VMCONFIG_MODULES_LEN, VMC_SHOW_MAX, buf);
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : (size_t)(buf + n - s);

		err = vmc_modules_item(ps, cfg, tok, s, len, &at);
		if (err)
			return err;
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

int vmc_set_paravirt(struct vmc_parser *ps, struct vm_config *cfg,
		     const struct vmc_token *tok)
{
	char buf[VMC_SHOW_MAX + 1];

	if (vmc_decode(ps, tok, buf, sizeof(buf)) >= sizeof(buf))
		memcpy(buf + sizeof(buf) - 4, "...", 4);
	if (strcmp(buf, "kvm") && strcmp(buf, "none"))
		return vmc_error(ps, tok->line, "paravirt: \"%s\" is neither kvm nor none", buf);
	cfg->paravirt = buf[0] == 'k' ? VMCONFIG_PARAVIRT_KVM : VMCONFIG_PARAVIRT_NONE;
	return 0;
}
