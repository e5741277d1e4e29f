/*
 * The VM configuration file parser (syntax and limits: core/launch/vmconfig.h).
 *
 * Runs anywhere; no allocation, no locks, no global state. One pass over
 * the text with a cursor: blanks and backslash-newline continuations are
 * skipped between tokens, each value is kept as a token pointing into the
 * text and decoded (quotes, escapes, continuations) straight into its
 * destination. Every error goes through vmc_error(), which formats
 * "FILE:LINE: message" into the caller's buffer.
 */
#include "core/lib/errno.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"
#include "core/launch/vmconfig.h"
#include "core/launch/vmconfig_values.h"

enum vmc_key {
	VMC_KEY_NAME,
	VMC_KEY_MEMORY,
	VMC_KEY_VCPUS,
	VMC_KEY_KERNEL,
	VMC_KEY_INITRD,
	VMC_KEY_CMDLINE,
	VMC_KEY_CPUS,
	VMC_KEY_DEBUG_EXIT,
	VMC_KEY_DEBUG_EXIT_SIZE,
	VMC_KEY_FW_CFG,
	VMC_KEY_DEBUGCON,
	VMC_KEY_TESTDEV,
	VMC_KEY_UNBACKED,
	VMC_KEY_MODULES,
	VMC_KEY_PARAVIRT,
	VMC_KEY_PIN,
	VMC_KEY_WEIGHT,
	VMC_KEY_COUNT
};

static const char *const vmc_key_names[VMC_KEY_COUNT] = {
	[VMC_KEY_NAME] = "name",
	[VMC_KEY_MEMORY] = "memory",
	[VMC_KEY_VCPUS] = "vcpus",
	[VMC_KEY_KERNEL] = "kernel",
	[VMC_KEY_INITRD] = "initrd",
	[VMC_KEY_CMDLINE] = "cmdline",
	[VMC_KEY_CPUS] = "cpus",
	[VMC_KEY_DEBUG_EXIT] = "debug-exit",
	[VMC_KEY_DEBUG_EXIT_SIZE] = "debug-exit-size",
	[VMC_KEY_FW_CFG] = "fw-cfg",
	[VMC_KEY_DEBUGCON] = "debugcon",
	[VMC_KEY_TESTDEV] = "testdev",
	[VMC_KEY_UNBACKED] = "unbacked",
	[VMC_KEY_MODULES] = "modules",
	[VMC_KEY_PARAVIRT] = "paravirt",
	[VMC_KEY_PIN] = "pin",
	[VMC_KEY_WEIGHT] = "weight",
};

#define VMC_REQUIRED (BIT(VMC_KEY_NAME) | BIT(VMC_KEY_MEMORY) | BIT(VMC_KEY_KERNEL))

int __printf(3, 4) vmc_error(struct vmc_parser *ps, unsigned int line,
			     const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ps->errlen)
		return -EINVAL;
	n = hv_snprintf(ps->err, ps->errlen, "%s:%u: ", ps->file, line);
	if (n >= 0 && (size_t)n < ps->errlen) {
		va_start(ap, fmt);
		hv_vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* ---- Characters and the cursor ----------------------------------------- */

bool vmc_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

bool vmc_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Length of a line continuation at q (a backslash ending the physical
 * line: "\\\n", "\\\r\n", or a backslash ending the text), 0 if none.
 */
static size_t vmc_continuation(const struct vmc_parser *ps, const char *q)
{
	size_t left = (size_t)(ps->end - q);

	if (!left || q[0] != '\\')
		return 0;
	if (left == 1)
		return 1;
	if (q[1] == '\n')
		return 2;
	if (q[1] == '\r' && left >= 3 && q[2] == '\n')
		return 3;
	return 0;
}

/* Skips blanks and continuations, counting lines. */
static void vmc_skip_blanks(struct vmc_parser *ps)
{
	for (;;) {
		size_t k;

		if (ps->p < ps->end && vmc_is_blank(*ps->p)) {
			ps->p++;
		} else if ((k = vmc_continuation(ps, ps->p)) != 0) {
			ps->p += k;
			if (k > 1)
				ps->line++;
		} else {
			return;
		}
	}
}

/* True where a bare token ends: text end, blank, comment, newline. */
static bool vmc_at_token_end(const struct vmc_parser *ps, const char *q)
{
	return q == ps->end || vmc_is_blank(*q) || *q == '#' || *q == '\n' ||
	       vmc_continuation(ps, q);
}

/* Characters of the physical line from q on, for messages. */
static int vmc_rest_of_line(const struct vmc_parser *ps, const char *q)
{
	const char *e = q;

	while (e < ps->end && *e != '\n' && *e != '\r' && e - q < VMC_SHOW_MAX)
		e++;
	return (int)(e - q);
}

/* Rejects control characters other than tab, CR and LF anywhere. */
static int vmc_check_chars(struct vmc_parser *ps)
{
	unsigned int line = 1;

	for (const char *q = ps->p; q < ps->end; q++) {
		unsigned char c = (unsigned char)*q;

		if (c == '\n')
			line++;
		else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			return vmc_error(ps, line, "control character 0x%02x in the file", c);
	}
	return 0;
}

/* ---- Tokens ------------------------------------------------------------ */

/* Reads a quoted value at the cursor (on its '"'). */
static int vmc_read_quoted(struct vmc_parser *ps, struct vmc_token *tok)
{
	const char *q = ps->p + 1;
	unsigned int line = ps->line;
	size_t k;

	for (;;) {
		if (q == ps->end || *q == '\n')
			return vmc_error(ps, tok->line, "unterminated quote: %.*s",
					 vmc_rest_of_line(ps, ps->p), ps->p);
		if ((k = vmc_continuation(ps, q)) != 0) {
			q += k;
			line++;
		} else if (*q == '\\' && q + 1 < ps->end && (q[1] == '"' || q[1] == '\\')) {
			q += 2;
		} else if (*q == '"') {
			break;
		} else {
			q++;
		}
	}
	q++;
	tok->quoted = true;
	tok->len = (size_t)(q - tok->raw);
	ps->p = q;
	ps->line = line;
	if (!vmc_at_token_end(ps, q))
		return vmc_error(ps, line, "text right after a closing quote: %.*s",
				 vmc_rest_of_line(ps, tok->raw), tok->raw);
	return 0;
}

/* Reads the value at the cursor: quoted, or bare up to a token end. */
static int vmc_read_value(struct vmc_parser *ps, struct vmc_token *tok)
{
	*tok = (struct vmc_token){ .raw = ps->p, .line = ps->line };
	if (ps->p < ps->end && *ps->p == '"')
		return vmc_read_quoted(ps, tok);
	while (!vmc_at_token_end(ps, ps->p)) {
		if (*ps->p == '"')
			return vmc_error(ps, tok->line,
					 "a quote inside a value: %.*s (quote the whole value)",
					 vmc_rest_of_line(ps, tok->raw), tok->raw);
		ps->p++;
	}
	tok->len = (size_t)(ps->p - tok->raw);
	return 0;
}

/*
 * Decodes tok into dst (cap > 0 bytes, always NUL-terminated). Returns the
 * decoded length; a result >= cap means dst holds only its first cap - 1
 * characters.
 */
size_t vmc_decode(const struct vmc_parser *ps, const struct vmc_token *tok,
		  char *dst, size_t cap)
{
	const char *q = tok->raw, *e = tok->raw + tok->len;
	size_t n = 0, k;

	if (tok->quoted) {
		q++;
		e--;
	}
	while (q < e) {
		char c = *q;

		if (tok->quoted && (k = vmc_continuation(ps, q)) != 0) {
			q += k;
			continue;
		}
		if (tok->quoted && c == '\\' && q + 1 < e && (q[1] == '"' || q[1] == '\\'))
			c = *++q;
		q++;
		if (n + 1 < cap)
			dst[n] = c;
		n++;
	}
	dst[MIN(n, cap - 1)] = '\0';
	return n;
}

/* ---- Numbers ----------------------------------------------------------- */

/*
 * Parses the decimal digits at the start of s into *v. Returns the number
 * of digits (0: none), or -ERANGE if the value exceeds 2^64 - 1.
 */
static int vmc_parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	int n = 0;

	for (; vmc_is_digit(s[n]); n++) {
		unsigned int d = (unsigned int)(s[n] - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -ERANGE;
		x = x * 10 + d;
	}
	*v = x;
	return n;
}

static uint64_t vmc_size_unit(char c)
{
	switch (c) {
	case 'k': case 'K':
		return KiB(1);
	case 'm': case 'M':
		return MiB(1);
	case 'g': case 'G':
		return GiB(1);
	default:
		return 0;
	}
}

/*
 * Decodes tok into buf (for messages; "..." at its end if it did not fit)
 * and reads it as decimal digits with an optional one-character suffix
 * (*suffix, '\0' for none). Returns 0; -EINVAL if the text is not of that
 * form; -ERANGE if the digits overflow 64 bits.
 */
int vmc_number(const struct vmc_parser *ps, const struct vmc_token *tok,
	       char *buf, size_t cap, uint64_t *v, char *suffix)
{
	bool cut = vmc_decode(ps, tok, buf, cap) >= cap;
	int n = vmc_parse_u64(buf, v);

	if (n < 0 || (cut && (size_t)n == cap - 1))
		return -ERANGE;
	if (cut)
		memcpy(buf + cap - 4, "...", 4);
	if (n == 0 || cut || (buf[n] && buf[n + 1]))
		return -EINVAL;
	*suffix = buf[n];
	return 0;
}

/* ---- Keys -------------------------------------------------------------- */

static bool vmc_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || vmc_is_digit(c) ||
	       c == '_' || c == '.' || c == '-';
}

static int vmc_set_name(struct vmc_parser *ps, struct vm_config *cfg,
			const struct vmc_token *tok)
{
	size_t n = vmc_decode(ps, tok, cfg->name, sizeof(cfg->name));

	if (n == 0)
		return vmc_error(ps, tok->line, "name: empty (1-%u of A-Z a-z 0-9 _ . -)",
				 VMCONFIG_NAME_MAX);
	if (n > VMCONFIG_NAME_MAX)
		return vmc_error(ps, tok->line, "name: \"%s...\" is longer than %u characters",
				 cfg->name, VMCONFIG_NAME_MAX);
	for (size_t i = 0; i < n; i++)
		if (!vmc_name_char(cfg->name[i]))
			return vmc_error(ps, tok->line,
					 "name: \"%s\" has '%c' (use A-Z a-z 0-9 _ . -)",
					 cfg->name, cfg->name[i]);
	for (unsigned int i = 0; i < ps->count; i++)
		if (strcmp(ps->out[i].name, cfg->name) == 0)
			return vmc_error(ps, tok->line, "name: \"%s\" is already used on line %u",
					 cfg->name, ps->out[i].line);
	return 0;
}

static int vmc_set_memory(struct vmc_parser *ps, struct vm_config *cfg,
			  const struct vmc_token *tok)
{
	char buf[VMC_SHOW_MAX + 1], unit_char;
	uint64_t v, unit = 1;
	int err = vmc_number(ps, tok, buf, sizeof(buf), &v, &unit_char);

	if (!err && unit_char && !(unit = vmc_size_unit(unit_char)))
		err = -EINVAL;
	if (err == -EINVAL)
		return vmc_error(ps, tok->line, "memory: \"%s\" is not a size (use e.g. 512M)", buf);
	if (err || v > VMCONFIG_MEMORY_MAX / unit || v * unit < VMCONFIG_MEMORY_MIN)
		return vmc_error(ps, tok->line, "memory: \"%s\" is out of range (16M to 64G)", buf);
	if (!IS_ALIGNED(v * unit, VMCONFIG_MEMORY_ALIGN))
		return vmc_error(ps, tok->line, "memory: \"%s\" is not a multiple of 1M", buf);
	cfg->memory = v * unit;
	return 0;
}

/* A number from 1 to max, no suffix (vcpus=, weight=). */
static int vmc_set_count(struct vmc_parser *ps, enum vmc_key key, unsigned int *dst,
			 unsigned int max, const struct vmc_token *tok)
{
	char buf[VMC_SHOW_MAX + 1], suffix;
	uint64_t v;
	int err = vmc_number(ps, tok, buf, sizeof(buf), &v, &suffix);

	if (err == -EINVAL || (!err && suffix))
		return vmc_error(ps, tok->line, "%s: \"%s\" is not a number", vmc_key_names[key],
				 buf);
	if (err || v < 1 || v > max)
		return vmc_error(ps, tok->line, "%s: \"%s\" is out of range (1-%u)",
				 vmc_key_names[key], buf, max);
	*dst = (unsigned int)v;
	return 0;
}

static int vmc_set_file(struct vmc_parser *ps, const char *key, char *dst, size_t cap,
			const struct vmc_token *tok)
{
	size_t n = vmc_decode(ps, tok, dst, cap);

	if (n == 0)
		return vmc_error(ps, tok->line, "%s: empty file name", key);
	if (n >= cap)
		return vmc_error(ps, tok->line, "%s: \"%.*s...\" is longer than %zu characters",
				 key, VMC_SHOW_MAX, dst, cap - 1);
	return 0;
}

static int vmc_set_cmdline(struct vmc_parser *ps, struct vm_config *cfg,
			   const struct vmc_token *tok)
{
	size_t n = vmc_decode(ps, tok, cfg->cmdline, sizeof(cfg->cmdline));

	if (n > VMCONFIG_CMDLINE_MAX)
		return vmc_error(ps, tok->line, "cmdline: %zu characters, at most %u (\"%.*s...\")",
				 n, VMCONFIG_CMDLINE_MAX, VMC_SHOW_MAX, cfg->cmdline);
	return 0;
}

static int vmc_set_unbacked(struct vmc_parser *ps, struct vm_config *cfg,
			    const struct vmc_token *tok)
{
	char buf[VMC_SHOW_MAX + 1];
	size_t n = vmc_decode(ps, tok, buf, sizeof(buf));

	if (n < sizeof(buf) && strcmp(buf, "ignore") == 0)
		cfg->unbacked_stop = false;
	else if (n < sizeof(buf) && strcmp(buf, "stop") == 0)
		cfg->unbacked_stop = true;
	else
		return vmc_error(ps, tok->line, "unbacked: \"%.*s\" is neither ignore nor stop",
				 VMC_SHOW_MAX, buf);
	return 0;
}

/* One item of a cpus= list at *s: "a" or "a-b". Advances *s past it. */
static int vmc_cpus_item(struct vmc_parser *ps, const struct vmc_token *tok, const char *list,
			 const char **s, uint64_t *lo, uint64_t *hi)
{
	int n = vmc_parse_u64(*s, lo);

	if (n <= 0)
		goto bad;
	*s += n;
	*hi = *lo;
	if (**s == '-') {
		n = vmc_parse_u64(++*s, hi);
		if (n <= 0)
			goto bad;
		*s += n;
	}
	if (**s != ',' && **s != '\0')
		goto bad;
	if (*lo >= VMCONFIG_HOST_CPUS || *hi >= VMCONFIG_HOST_CPUS)
		return vmc_error(ps, tok->line, "cpus: CPU %llu is out of range (0-%u)",
				 (unsigned long long)MAX(*lo, *hi), VMCONFIG_HOST_CPUS - 1);
	if (*lo > *hi)
		return vmc_error(ps, tok->line, "cpus: range %llu-%llu is backwards",
				 (unsigned long long)*lo, (unsigned long long)*hi);
	return 0;
bad:
	return vmc_error(ps, tok->line, "cpus: \"%s\" is not a CPU list (use e.g. 1,2 or 1-3)",
			 list);
}

static int vmc_set_cpus(struct vmc_parser *ps, struct vm_config *cfg,
			const struct vmc_token *tok)
{
	/* Longest useful list: 64 CPUs of 3 digits and a comma each. */
	char buf[4 * VMCONFIG_VCPUS_MAX + 1];
	uint64_t seen[VMCONFIG_HOST_CPUS / 64] = { 0 };
	const char *s = buf;
	uint64_t lo = 0, hi = 0;
	int err;

	if (vmc_decode(ps, tok, buf, sizeof(buf)) >= sizeof(buf))
		return vmc_error(ps, tok->line, "cpus: \"%.*s...\" is too long", VMC_SHOW_MAX, buf);
	cfg->nr_cpus = 0;
	do {
		err = vmc_cpus_item(ps, tok, buf, &s, &lo, &hi);
		if (err)
			return err;
		for (uint64_t c = lo; c <= hi; c++) {
			if (seen[c / 64] & BIT_ULL(c % 64))
				return vmc_error(ps, tok->line, "cpus: CPU %llu is listed twice",
						 (unsigned long long)c);
			if (cfg->nr_cpus == VMCONFIG_VCPUS_MAX)
				return vmc_error(ps, tok->line, "cpus: more than %u CPUs",
						 VMCONFIG_VCPUS_MAX);
			seen[c / 64] |= BIT_ULL(c % 64);
			cfg->cpus[cfg->nr_cpus++] = (unsigned int)c;
		}
	} while (*s++ == ',');
	return 0;
}

/* A switch: "on" or "off". */
static int vmc_set_switch(struct vmc_parser *ps, enum vmc_key key, bool *dst,
			  const struct vmc_token *tok)
{
	char buf[VMC_SHOW_MAX + 1];

	if (vmc_decode(ps, tok, buf, sizeof(buf)) >= sizeof(buf))
		memcpy(buf + sizeof(buf) - 4, "...", 4);
	if (strcmp(buf, "on") == 0)
		*dst = true;
	else if (strcmp(buf, "off") == 0)
		*dst = false;
	else
		return vmc_error(ps, tok->line, "%s: \"%s\" is not on or off", vmc_key_names[key],
				 buf);
	return 0;
}

static int vmc_apply(struct vmc_parser *ps, struct vm_config *cfg, enum vmc_key key,
		     const struct vmc_token *tok)
{
	switch (key) {
	case VMC_KEY_NAME:
		return vmc_set_name(ps, cfg, tok);
	case VMC_KEY_MEMORY:
		return vmc_set_memory(ps, cfg, tok);
	case VMC_KEY_VCPUS:
		return vmc_set_count(ps, key, &cfg->vcpus, VMCONFIG_VCPUS_MAX, tok);
	case VMC_KEY_KERNEL:
		return vmc_set_file(ps, "kernel", cfg->kernel, sizeof(cfg->kernel), tok);
	case VMC_KEY_INITRD:
		return vmc_set_file(ps, "initrd", cfg->initrd, sizeof(cfg->initrd), tok);
	case VMC_KEY_CMDLINE:
		return vmc_set_cmdline(ps, cfg, tok);
	case VMC_KEY_DEBUG_EXIT:
		return vmc_set_debug_exit(ps, cfg, tok);
	case VMC_KEY_DEBUG_EXIT_SIZE:
		return vmc_set_debug_exit_size(ps, cfg, tok);
	case VMC_KEY_FW_CFG:
		return vmc_set_switch(ps, key, &cfg->fw_cfg, tok);
	case VMC_KEY_DEBUGCON:
		return vmc_set_switch(ps, key, &cfg->debugcon, tok);
	case VMC_KEY_TESTDEV:
		return vmc_set_switch(ps, key, &cfg->testdev, tok);
	case VMC_KEY_UNBACKED:
		return vmc_set_unbacked(ps, cfg, tok);
	case VMC_KEY_MODULES:
		return vmc_set_modules(ps, cfg, tok);
	case VMC_KEY_PARAVIRT:
		return vmc_set_paravirt(ps, cfg, tok);
	case VMC_KEY_PIN:
		return vmc_set_switch(ps, key, &cfg->pin, tok);
	case VMC_KEY_WEIGHT:
		return vmc_set_count(ps, key, &cfg->weight, VMCONFIG_WEIGHT_MAX, tok);
	case VMC_KEY_CPUS:
	default:
		return vmc_set_cpus(ps, cfg, tok);
	}
}

/* ---- Entries ----------------------------------------------------------- */

/* Reads "key=" at the cursor; the cursor ends after the '='. */
static int vmc_read_key(struct vmc_parser *ps, enum vmc_key *key)
{
	const char *k = ps->p;
	size_t len;

	while (!vmc_at_token_end(ps, ps->p) && *ps->p != '=')
		ps->p++;
	len = (size_t)(ps->p - k);
	if (ps->p == ps->end || *ps->p != '=' || len == 0)
		return vmc_error(ps, ps->line, "expected key=value, found \"%.*s\"",
				 vmc_rest_of_line(ps, k), k);
	ps->p++;
	for (unsigned int i = 0; i < VMC_KEY_COUNT; i++) {
		if (strlen(vmc_key_names[i]) == len && memcmp(vmc_key_names[i], k, len) == 0) {
			*key = (enum vmc_key)i;
			return 0;
		}
	}
	return vmc_error(ps, ps->line,
			 "unknown key \"%.*s\" (keys: name memory vcpus kernel initrd cmdline cpus "
			 "pin weight modules debug-exit debug-exit-size fw-cfg debugcon testdev "
			 "unbacked paravirt)",
			 (int)MIN(len, (size_t)VMC_SHOW_MAX), k);
}

/* Checks a finished entry: required keys, pin=on against cpus= and vcpus=. */
static int vmc_finish(struct vmc_parser *ps, const struct vm_config *cfg, unsigned int seen)
{
	static const char *const hint[VMC_KEY_COUNT] = {
		[VMC_KEY_NAME] = "name=", [VMC_KEY_MEMORY] = "memory= (e.g. memory=512M)",
		[VMC_KEY_KERNEL] = "kernel= (a file on the boot medium)",
	};

	for (unsigned int i = 0; i < VMC_KEY_COUNT; i++)
		if ((VMC_REQUIRED & BIT(i)) && !(seen & BIT(i)))
			return vmc_error(ps, cfg->line, "vm: missing %s", hint[i]);
	if (cfg->pin && cfg->nr_cpus < cfg->vcpus)
		return vmc_error(ps, cfg->line,
				 "pin: on gives vCPU i the i-th CPU of cpus=, which lists %u for %u vCPUs",
				 cfg->nr_cpus, cfg->vcpus);
	if (cfg->debug_exit && cfg->debug_exit_port + cfg->debug_exit_size - 1 > 0xffff)
		return vmc_error(ps, cfg->line,
				 "debug-exit: port %#x with debug-exit-size=%u runs past 0xffff",
				 cfg->debug_exit_port, cfg->debug_exit_size);
	return 0;
}

/* Parses one entry; the cursor is on its first word. */
static int vmc_parse_entry(struct vmc_parser *ps, struct vm_config *cfg)
{
	unsigned int seen = 0;
	struct vmc_token tok;
	enum vmc_key key = VMC_KEY_NAME;
	int err;

	memset(cfg, 0, sizeof(*cfg));
	cfg->vcpus = 1;
	cfg->weight = VMCONFIG_WEIGHT_DEFAULT;
	cfg->debug_exit_size = VMCONFIG_DEBUG_EXIT_SIZE;
	cfg->line = ps->line;
	if (ps->end - ps->p < 2 || memcmp(ps->p, "vm", 2) != 0 || !vmc_at_token_end(ps, ps->p + 2))
		return vmc_error(ps, ps->line, "expected \"vm\" at the start of an entry, found \"%.*s\"",
				 vmc_rest_of_line(ps, ps->p), ps->p);
	ps->p += 2;
	for (;;) {
		vmc_skip_blanks(ps);
		if (ps->p == ps->end || *ps->p == '\n' || *ps->p == '#')
			return vmc_finish(ps, cfg, seen);
		err = vmc_read_key(ps, &key);
		if (err)
			return err;
		if (seen & BIT(key))
			return vmc_error(ps, ps->line, "%s: given twice", vmc_key_names[key]);
		seen |= BIT(key);
		err = vmc_read_value(ps, &tok);
		if (err)
			return err;
		err = vmc_apply(ps, cfg, key, &tok);
		if (err)
			return err;
	}
}

int vmconfig_parse(const char *text, size_t len, const char *file_name,
		   struct vm_config *out, unsigned int max, unsigned int *n,
		   char *err, size_t errlen)
{
	struct vmc_parser ps = {
		.p = text, .end = text + len, .line = 1, .file = file_name,
		.err = err, .errlen = errlen, .out = out,
	};
	int ret;

	*n = 0;
	if (errlen)
		err[0] = '\0';
	ret = vmc_check_chars(&ps);
	while (!ret) {
		vmc_skip_blanks(&ps);
		if (ps.p == ps.end)
			break;
		if (*ps.p == '\n') {
			ps.p++;
			ps.line++;
		} else if (*ps.p == '#') {
			while (ps.p < ps.end && *ps.p != '\n')
				ps.p++;
		} else if (ps.count == max) {
			ret = vmc_error(&ps, ps.line, "too many VMs (at most %u)", max);
		} else {
			ret = vmc_parse_entry(&ps, &out[ps.count]);
			if (!ret)
				ps.count++;
		}
	}
	if (ret) {
		/* Clear everything written, the failed entry included. */
		if (max)
			memset(out, 0, sizeof(*out) * MIN(ps.count + 1, max));
		return ret;
	}
	*n = ps.count;
	return 0;
}
