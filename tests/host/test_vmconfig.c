/*
 * Hosted test of core/launch/vmconfig.c: the vms.cfg parser.
 *
 * Scenario: configuration texts as a user would write them, each parsed
 * from a heap buffer of exactly its length with no NUL after it (ASan
 * catches any read past the end). Good files are checked field by field
 * against values worked out by hand from the syntax in core/launch/vmconfig.h;
 * bad files against the exact message, the line number in it, *n = 0
 * and cleared entries. Single thread.
 */
#include "core/lib/errno.h"
#include "core/launch/vmconfig.h"
#include "tests/host/check.h"

#define MAX_VMS 4

static struct vm_config cfgs[MAX_VMS];
static unsigned int nvms;
static char err[256];

/* Parses text (without its NUL) from a buffer of exactly strlen(text). */
static int parse_max(const char *text, unsigned int max)
{
	size_t len = strlen(text);
	char *buf = malloc(len ? len : 1);
	int ret;

	memcpy(buf, text, len);
	memset(cfgs, 0x5a, sizeof(cfgs));
	nvms = 12345;
	ret = vmconfig_parse(buf, len, "vms.cfg", cfgs, max, &nvms, err, sizeof(err));
	free(buf);
	return ret;
}

static int parse(const char *text)
{
	return parse_max(text, MAX_VMS);
}

static bool zeroed(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

/* text must fail with exactly msg; nothing may be returned as parsed. */
static void expect_error(const char *text, const char *msg)
{
	CHECK_EQ(parse(text), -EINVAL);
	CHECK_STR(err, msg);
	CHECK_EQ(nvms, 0);
	CHECK(zeroed(&cfgs[0], sizeof(cfgs[0])));
}

static void test_example_line(void)
{
	CHECK_EQ(parse("vm name=linux memory=512M vcpus=2 kernel=vmlinuz initrd=initrd.gz "
		       "cmdline=\"console=ttyS0 quiet\" cpus=1,2\n"), 0);
	CHECK_STR(err, "");
	CHECK_EQ(nvms, 1);
	CHECK_STR(cfgs[0].name, "linux");
	CHECK_EQ(cfgs[0].memory, 536870912ull);
	CHECK_EQ(cfgs[0].vcpus, 2);
	CHECK_STR(cfgs[0].kernel, "vmlinuz");
	CHECK_STR(cfgs[0].initrd, "initrd.gz");
	CHECK_STR(cfgs[0].cmdline, "console=ttyS0 quiet");
	CHECK_EQ(cfgs[0].nr_cpus, 2);
	CHECK_EQ(cfgs[0].cpus[0], 1);
	CHECK_EQ(cfgs[0].cpus[1], 2);
	CHECK_EQ(cfgs[0].line, 1);
}

static void test_defaults_and_empty_file(void)
{
	CHECK_EQ(parse("vm name=a memory=16M kernel=k"), 0);	/* no newline at the end */
	CHECK_EQ(nvms, 1);
	CHECK_EQ(cfgs[0].vcpus, 1);
	CHECK_STR(cfgs[0].initrd, "");
	CHECK_STR(cfgs[0].cmdline, "");
	CHECK_EQ(cfgs[0].nr_cpus, 0);

	CHECK_EQ(parse(""), 0);
	CHECK_EQ(nvms, 0);
	CHECK_EQ(parse("# only a comment\n\n   \t\n"), 0);
	CHECK_EQ(nvms, 0);
}

static void test_comments_continuations_crlf(void)
{
	const char *text =
		"# two VMs\n"
		"\n"
		"vm name=first memory=256M kernel=vmlinuz # a comment \"with a quote\n"
		"  # indented comment\n"
		"vm name=second \\\n"
		"   memory=1G \\\r\n"
		"   kernel=bz cmdline=\"a b \\\n"
		"c#d\"\r\n"
		"\r\n"
		"vm name=third memory=32M kernel=k cmdline=x#y\n";

	CHECK_EQ(parse(text), 0);
	CHECK_STR(err, "");
	CHECK_EQ(nvms, 3);
	CHECK_STR(cfgs[0].name, "first");
	CHECK_EQ(cfgs[0].line, 3);
	CHECK_STR(cfgs[1].name, "second");
	CHECK_EQ(cfgs[1].line, 5);
	CHECK_EQ(cfgs[1].memory, 1ull << 30);
	CHECK_STR(cfgs[1].kernel, "bz");
	/* The continuation inside the quotes joins the lines; '#' is quoted. */
	CHECK_STR(cfgs[1].cmdline, "a b c#d");
	CHECK_STR(cfgs[2].name, "third");
	CHECK_EQ(cfgs[2].line, 10);
	CHECK_STR(cfgs[2].cmdline, "x");	/* '#' outside quotes starts a comment */
}

static void test_memory_sizes(void)
{
	static const struct { const char *text; unsigned long long bytes; } ok[] = {
		{ "16M", 16ull << 20 }, { "16m", 16ull << 20 }, { "16384K", 16ull << 20 },
		{ "16384k", 16ull << 20 }, { "16777216", 16777216ull }, { "1g", 1ull << 30 },
		{ "64G", 64ull << 30 }, { "3073M", 3073ull << 20 }, { "\"512M\"", 512ull << 20 },
	};
	char line[128];

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		snprintf(line, sizeof(line), "vm name=a kernel=k memory=%s\n", ok[i].text);
		CHECK_EQ(parse(line), 0);
		CHECK_EQ(cfgs[0].memory, ok[i].bytes);
	}
	expect_error("vm name=a kernel=k memory=12X\n",
		     "vms.cfg:1: memory: \"12X\" is not a size (use e.g. 512M)");
	expect_error("vm name=a kernel=k memory=512MB\n",
		     "vms.cfg:1: memory: \"512MB\" is not a size (use e.g. 512M)");
	expect_error("vm name=a kernel=k memory=M\n",
		     "vms.cfg:1: memory: \"M\" is not a size (use e.g. 512M)");
	expect_error("vm name=a kernel=k memory=-16M\n",
		     "vms.cfg:1: memory: \"-16M\" is not a size (use e.g. 512M)");
	expect_error("vm name=a kernel=k memory=\n",
		     "vms.cfg:1: memory: \"\" is not a size (use e.g. 512M)");
	expect_error("vm name=a kernel=k memory=15M\n",
		     "vms.cfg:1: memory: \"15M\" is out of range (16M to 64G)");
	expect_error("vm name=a kernel=k memory=65G\n",
		     "vms.cfg:1: memory: \"65G\" is out of range (16M to 64G)");
	expect_error("vm name=a kernel=k memory=68719476737\n",
		     "vms.cfg:1: memory: \"68719476737\" is out of range (16M to 64G)");
	/* 2^64 + 1 overflows the digits; 2^54 G overflows the product. */
	expect_error("vm name=a kernel=k memory=18446744073709551617\n",
		     "vms.cfg:1: memory: \"18446744073709551617\" is out of range (16M to 64G)");
	expect_error("vm name=a kernel=k memory=18014398509481984G\n",
		     "vms.cfg:1: memory: \"18014398509481984G\" is out of range (16M to 64G)");
	expect_error("vm name=a kernel=k memory=100000K\n",
		     "vms.cfg:1: memory: \"100000K\" is not a multiple of 1M");
	expect_error("vm name=a kernel=k memory=16777217\n",
		     "vms.cfg:1: memory: \"16777217\" is not a multiple of 1M");
}

static void test_vcpus(void)
{
	CHECK_EQ(parse("vm name=a memory=16M kernel=k vcpus=64\n"), 0);
	CHECK_EQ(cfgs[0].vcpus, 64);
	expect_error("vm name=a memory=16M kernel=k vcpus=0\n",
		     "vms.cfg:1: vcpus: \"0\" is out of range (1-64)");
	expect_error("vm name=a memory=16M kernel=k vcpus=65\n",
		     "vms.cfg:1: vcpus: \"65\" is out of range (1-64)");
	expect_error("vm name=a memory=16M kernel=k vcpus=99999999999999999999999\n",
		     "vms.cfg:1: vcpus: \"99999999999999999999999\" is out of range (1-64)");
	expect_error("vm name=a memory=16M kernel=k vcpus=2x\n",
		     "vms.cfg:1: vcpus: \"2x\" is not a number");
	expect_error("vm name=a memory=16M kernel=k vcpus=two\n",
		     "vms.cfg:1: vcpus: \"two\" is not a number");
}

/* paravirt=: kvm by default, none on request, anything else an error naming it. */
static void test_paravirt(void)
{
	CHECK_EQ(parse("vm name=a memory=16M kernel=k\n"), 0);
	CHECK_EQ(cfgs[0].paravirt, VMCONFIG_PARAVIRT_KVM);
	CHECK_EQ(parse("vm name=a memory=16M kernel=k paravirt=none\n"
		       "vm name=b memory=16M kernel=k paravirt=\"kvm\"\n"), 0);
	CHECK_EQ(cfgs[0].paravirt, VMCONFIG_PARAVIRT_NONE);
	CHECK_EQ(cfgs[1].paravirt, VMCONFIG_PARAVIRT_KVM);
	expect_error("vm name=a memory=16M kernel=k paravirt=hyperv\n",
		     "vms.cfg:1: paravirt: \"hyperv\" is neither kvm nor none");
	expect_error("vm name=a memory=16M kernel=k paravirt=KVM\n",
		     "vms.cfg:1: paravirt: \"KVM\" is neither kvm nor none");
	expect_error("vm name=a memory=16M kernel=k paravirt=\n",
		     "vms.cfg:1: paravirt: \"\" is neither kvm nor none");
	expect_error("vm name=a memory=16M kernel=k paravirt=kvmkvmkvmkvmkvmkvmkvmkvmkvmkvmkvmkvmkvmkvmkvm\n",
		     "vms.cfg:1: paravirt: \"kvmkvmkvmkvmkvmkvmkvmkvmkvmkvmkvmkvmk...\" is neither kvm nor none");
	expect_error("vm name=a memory=16M kernel=k paravirt=none paravirt=kvm\n",
		     "vms.cfg:1: paravirt: given twice");
}

/* unbacked=: ignore by default, stop on request, anything else an error. */
static void test_unbacked(void)
{
	CHECK_EQ(parse("vm name=a memory=16M kernel=k\n"), 0);
	CHECK(!cfgs[0].unbacked_stop);
	CHECK_EQ(parse("vm name=a memory=16M kernel=k unbacked=stop\n"
		       "vm name=b memory=16M kernel=k unbacked=\"ignore\"\n"), 0);
	CHECK(cfgs[0].unbacked_stop);
	CHECK(!cfgs[1].unbacked_stop);
	expect_error("vm name=a memory=16M kernel=k unbacked=halt\n",
		     "vms.cfg:1: unbacked: \"halt\" is neither ignore nor stop");
	expect_error("vm name=a memory=16M kernel=k unbacked=\n",
		     "vms.cfg:1: unbacked: \"\" is neither ignore nor stop");
	expect_error("vm name=a memory=16M kernel=k unbacked=stop unbacked=stop\n",
		     "vms.cfg:1: unbacked: given twice");
}

static void test_weight(void)
{
	CHECK_EQ(parse("vm name=a memory=16M kernel=k\n"), 0);
	CHECK_EQ(cfgs[0].weight, 256);
	CHECK_EQ(parse("vm name=a memory=16M kernel=k weight=1\n"), 0);
	CHECK_EQ(cfgs[0].weight, 1);
	CHECK_EQ(parse("vm name=a memory=16M kernel=k weight=65535\n"), 0);
	CHECK_EQ(cfgs[0].weight, 65535);
	expect_error("vm name=a memory=16M kernel=k weight=0\n",
		     "vms.cfg:1: weight: \"0\" is out of range (1-65535)");
	expect_error("vm name=a memory=16M kernel=k weight=65536\n",
		     "vms.cfg:1: weight: \"65536\" is out of range (1-65535)");
	expect_error("vm name=a memory=16M kernel=k weight=2k\n",
		     "vms.cfg:1: weight: \"2k\" is not a number");
	expect_error("vm name=a memory=16M kernel=k weight=1 weight=2\n",
		     "vms.cfg:1: weight: given twice");
}

static void test_cpus(void)
{
	CHECK_EQ(parse("vm name=a memory=16M kernel=k vcpus=5 cpus=0,5,7-9\n"), 0);
	CHECK_EQ(cfgs[0].nr_cpus, 5);
	CHECK_EQ(cfgs[0].cpus[0], 0);
	CHECK_EQ(cfgs[0].cpus[1], 5);
	CHECK_EQ(cfgs[0].cpus[2], 7);
	CHECK_EQ(cfgs[0].cpus[3], 8);
	CHECK_EQ(cfgs[0].cpus[4], 9);
	/* cpus= may come before vcpus=; the count is checked at the end. */
	CHECK_EQ(parse("vm cpus=1-3 name=a memory=16M kernel=k vcpus=3\n"), 0);
	CHECK_EQ(cfgs[0].cpus[2], 3);
	CHECK_EQ(parse("vm name=a memory=16M kernel=k cpus=255\n"), 0);
	CHECK_EQ(cfgs[0].cpus[0], 255);

	/* A set of CPUs to share: any number, for any number of vCPUs. */
	CHECK_EQ(parse("vm name=a memory=16M kernel=k vcpus=4 cpus=1-2\n"), 0);
	CHECK_EQ(cfgs[0].nr_cpus, 2);
	CHECK(!cfgs[0].pin);
	CHECK_EQ(parse("vm name=a memory=16M kernel=k cpus=1,2\n"), 0);
	/* pin=on: vCPU i on the i-th CPU, so at least one CPU per vCPU. */
	CHECK_EQ(parse("vm name=a memory=16M kernel=k vcpus=2 cpus=1-3 pin=on\n"), 0);
	CHECK(cfgs[0].pin);
	expect_error("vm name=a memory=16M kernel=k vcpus=3 cpus=1-2 pin=on\n",
		     "vms.cfg:1: pin: on gives vCPU i the i-th CPU of cpus=, which lists 2 for 3 vCPUs");
	expect_error("vm name=a memory=16M kernel=k pin=on\n",
		     "vms.cfg:1: pin: on gives vCPU i the i-th CPU of cpus=, which lists 0 for 1 vCPUs");
	expect_error("vm name=a memory=16M kernel=k pin=yes\n",
		     "vms.cfg:1: pin: \"yes\" is not on or off");
	expect_error("vm name=a memory=16M kernel=k vcpus=2 cpus=3-1\n",
		     "vms.cfg:1: cpus: range 3-1 is backwards");
	expect_error("vm name=a memory=16M kernel=k vcpus=3 cpus=1,2-3,2\n",
		     "vms.cfg:1: cpus: CPU 2 is listed twice");
	expect_error("vm name=a memory=16M kernel=k cpus=256\n",
		     "vms.cfg:1: cpus: CPU 256 is out of range (0-255)");
	expect_error("vm name=a memory=16M kernel=k vcpus=2 cpus=1,,2\n",
		     "vms.cfg:1: cpus: \"1,,2\" is not a CPU list (use e.g. 1,2 or 1-3)");
	expect_error("vm name=a memory=16M kernel=k vcpus=2 cpus=1,2,\n",
		     "vms.cfg:1: cpus: \"1,2,\" is not a CPU list (use e.g. 1,2 or 1-3)");
	expect_error("vm name=a memory=16M kernel=k cpus=x\n",
		     "vms.cfg:1: cpus: \"x\" is not a CPU list (use e.g. 1,2 or 1-3)");
	expect_error("vm name=a memory=16M kernel=k cpus=0-255\n",
		     "vms.cfg:1: cpus: more than 64 CPUs");
}

static void test_names(void)
{
	char line[128];

	CHECK_EQ(parse("vm name=A-z_0.9 memory=16M kernel=k\n"), 0);
	CHECK_STR(cfgs[0].name, "A-z_0.9");
	snprintf(line, sizeof(line), "vm name=%s memory=16M kernel=k\n",
		 "abcdefghijklmnopqrstuvwxyz01234");	/* 31 */
	CHECK_EQ(parse(line), 0);
	CHECK_EQ(strlen(cfgs[0].name), 31);

	expect_error("vm name=abcdefghijklmnopqrstuvwxyz012345 memory=16M kernel=k\n",
		     "vms.cfg:1: name: \"abcdefghijklmnopqrstuvwxyz01234...\" is longer than 31 characters");
	expect_error("vm name=\"a b\" memory=16M kernel=k\n",
		     "vms.cfg:1: name: \"a b\" has ' ' (use A-Z a-z 0-9 _ . -)");
	expect_error("vm name=a/b memory=16M kernel=k\n",
		     "vms.cfg:1: name: \"a/b\" has '/' (use A-Z a-z 0-9 _ . -)");
	expect_error("vm name= memory=16M kernel=k\n",
		     "vms.cfg:1: name: empty (1-31 of A-Z a-z 0-9 _ . -)");
	expect_error("vm name=a memory=16M kernel=k\n# x\nvm name=a memory=16M kernel=k\n",
		     "vms.cfg:3: name: \"a\" is already used on line 1");
}

static void test_files_and_cmdline(void)
{
	char line[2400], big[1100];

	CHECK_EQ(parse("vm name=a memory=16M kernel=\"my kernel\" "
		       "cmdline=\"say \\\"hi\\\" c:\\\\ \\n\"\n"), 0);
	CHECK_STR(cfgs[0].kernel, "my kernel");
	/* \" and \\ are escapes; any other backslash stays. */
	CHECK_STR(cfgs[0].cmdline, "say \"hi\" c:\\ \\n");
	CHECK_EQ(parse("vm name=a memory=16M kernel=k cmdline=\"\"\n"), 0);
	CHECK_STR(cfgs[0].cmdline, "");

	memset(big, 'x', 1023);
	big[1023] = '\0';
	snprintf(line, sizeof(line), "vm name=a memory=16M kernel=k cmdline=%s\n", big);
	CHECK_EQ(parse(line), 0);
	CHECK_EQ(strlen(cfgs[0].cmdline), 1023);
	big[1023] = 'y';
	big[1024] = '\0';
	snprintf(line, sizeof(line), "vm name=a memory=16M kernel=k cmdline=%s\n", big);
	expect_error(line, "vms.cfg:1: cmdline: 1024 characters, at most 1023 "
		     "(\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\")");

	memset(big, 'k', 63);
	big[63] = '\0';
	snprintf(line, sizeof(line), "vm name=a memory=16M kernel=%s initrd=%s\n", big, big);
	CHECK_EQ(parse(line), 0);
	CHECK_EQ(strlen(cfgs[0].kernel), 63);
	CHECK_EQ(strlen(cfgs[0].initrd), 63);
	big[63] = 'K';
	big[64] = '\0';
	snprintf(line, sizeof(line), "vm name=a memory=16M kernel=k initrd=%s\n", big);
	expect_error(line, "vms.cfg:1: initrd: \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...\" "
		     "is longer than 63 characters");
	expect_error("vm name=a memory=16M kernel=\n", "vms.cfg:1: kernel: empty file name");
}

static void test_syntax_errors(void)
{
	expect_error("vm name=a memory=16M kernel=k\nvm name=b memory=16M foo=1 kernel=k\n",
		     "vms.cfg:2: unknown key \"foo\" (keys: name memory vcpus kernel initrd cmdline cpus "
		     "pin weight modules debug-exit debug-exit-size fw-cfg debugcon testdev unbacked "
		     "paravirt)");
	expect_error("vm name=a memory=16M kernel=k memory=32M\n",
		     "vms.cfg:1: memory: given twice");
	expect_error("vm memory=16M kernel=k\n", "vms.cfg:1: vm: missing name=");
	expect_error("\n\nvm name=a \\\n kernel=k\n",
		     "vms.cfg:3: vm: missing memory= (e.g. memory=512M)");
	expect_error("vm name=a memory=16M\n",
		     "vms.cfg:1: vm: missing kernel= (a file on the boot medium)");
	expect_error("vm name=a memory=16M kernel=k cmdline=\"console=ttyS0\n",
		     "vms.cfg:1: unterminated quote: \"console=ttyS0");
	expect_error("vm name=a memory=16M kernel=k cmdline=\"abc",
		     "vms.cfg:1: unterminated quote: \"abc");
	expect_error("vm name=a memory=16M kernel=k cmdline=\"a\"b\n",
		     "vms.cfg:1: text right after a closing quote: \"a\"b");
	expect_error("vm name=a memory=16M kernel=k cmdline=a\"b c\"\n",
		     "vms.cfg:1: a quote inside a value: a\"b c\" (quote the whole value)");
	expect_error("vm name=a memory=16M kernel=k junk\n",
		     "vms.cfg:1: expected key=value, found \"junk\"");
	expect_error("vm name=a memory=16M kernel=k =x\n",
		     "vms.cfg:1: expected key=value, found \"=x\"");
	expect_error("\nname=a memory=16M kernel=k\n",
		     "vms.cfg:2: expected \"vm\" at the start of an entry, found \"name=a memory=16M kernel=k\"");
	expect_error("vmx name=a\n",
		     "vms.cfg:1: expected \"vm\" at the start of an entry, found \"vmx name=a\"");
	expect_error("vm name=a memory=16M kernel=k\n\nvm name=b memory=16M kernel=\001k\n",
		     "vms.cfg:3: control character 0x01 in the file");
}

static void test_too_many_vms(void)
{
	const char *three = "vm name=a memory=16M kernel=k\n"
			    "vm name=b memory=16M kernel=k\n"
			    "vm name=c memory=16M kernel=k\n";

	CHECK_EQ(parse_max(three, 3), 0);
	CHECK_EQ(nvms, 3);
	CHECK_STR(cfgs[2].name, "c");
	CHECK_EQ(parse_max(three, 2), -EINVAL);
	CHECK_STR(err, "vms.cfg:3: too many VMs (at most 2)");
	CHECK_EQ(nvms, 0);
	CHECK(zeroed(cfgs, 2 * sizeof(cfgs[0])));
}

/* An error after good entries: none of them is returned. */
static void test_error_discards_everything(void)
{
	CHECK_EQ(parse("vm name=a memory=16M kernel=k\nvm name=b memory=16M kernel=k vcpus=0\n"),
		 -EINVAL);
	CHECK_STR(err, "vms.cfg:2: vcpus: \"0\" is out of range (1-64)");
	CHECK_EQ(nvms, 0);
	CHECK(zeroed(cfgs, 2 * sizeof(cfgs[0])));
}

/* modules=: files and their strings as written, blanks around entries dropped. */
static void test_modules(void)
{
	char line[1200], big[1100];
	const char *str;

	CHECK_EQ(parse("vm name=a memory=16M kernel=k\n"), 0);
	CHECK_EQ(cfgs[0].nr_modules, 0);
	CHECK_EQ(parse("vm name=a memory=16M kernel=k "
		       "modules=\"initrd.img, extra.bin arg=1  two ,\tlast.bin\"\n"), 0);
	CHECK_EQ(cfgs[0].nr_modules, 3);
	CHECK_STR(cfgs[0].module_file[0], "initrd.img");
	CHECK_STR(cfgs[0].module_file[1], "extra.bin");
	CHECK_STR(cfgs[0].module_file[2], "last.bin");
	str = cfgs[0].module_strings;
	CHECK_STR(str, "initrd.img");
	str += strlen(str) + 1;
	CHECK_STR(str, "extra.bin arg=1  two");
	str += strlen(str) + 1;
	CHECK_STR(str, "last.bin");
	CHECK_EQ(parse("vm name=a memory=16M kernel=k modules=one.bin\n"), 0);
	CHECK_EQ(cfgs[0].nr_modules, 1);
	CHECK_STR(cfgs[0].module_strings, "one.bin");

	expect_error("vm name=a memory=16M kernel=k modules=\n", "vms.cfg:1: modules: entry 1 is empty");
	expect_error("vm name=a memory=16M kernel=k modules=\"a, ,b\"\n",
		     "vms.cfg:1: modules: entry 2 is empty");
	expect_error("vm name=a memory=16M kernel=k modules=a,\n", "vms.cfg:1: modules: entry 2 is empty");
	expect_error("vm name=a memory=16M kernel=k modules=1,2,3,4,5,6,7,8,9\n",
		     "vms.cfg:1: modules: more than 8 modules");
	expect_error("vm name=a memory=16M kernel=k modules=a modules=b\n",
		     "vms.cfg:1: modules: given twice");
	memset(big, 'm', 64);
	big[64] = '\0';
	snprintf(line, sizeof(line), "vm name=a memory=16M kernel=k modules=\"x, %s arg\"\n", big);
	expect_error(line, "vms.cfg:1: modules: file \"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm...\" "
		     "is longer than 63 characters");
	memset(big, 'm', 1024);
	big[1024] = '\0';
	snprintf(line, sizeof(line), "vm name=a memory=16M kernel=k modules=%s\n", big);
	expect_error(line, "vms.cfg:1: modules: 1024 characters, at most 1023 "
		     "(\"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm...\")");
}

/* A short error buffer is filled and terminated, not overrun. */
static void test_short_error_buffer(void)
{
	char small[12];
	struct vm_config c;
	unsigned int n;

	memset(small, 'Z', sizeof(small));
	CHECK_EQ(vmconfig_parse("vm x", 4, "vms.cfg", &c, 1, &n, small, sizeof(small)), -EINVAL);
	CHECK_STR(small, "vms.cfg:1: ");
}

/* QEMU's test devices: off by default, each key's good and bad values. */
static void test_qemu_devices(void)
{
	CHECK_EQ(parse("vm name=a memory=16M kernel=k\n"), 0);
	CHECK(!cfgs[0].debug_exit);
	CHECK_EQ(cfgs[0].debug_exit_size, 4);
	CHECK(!cfgs[0].fw_cfg && !cfgs[0].debugcon && !cfgs[0].testdev);

	CHECK_EQ(parse("vm name=a memory=16M kernel=k debug-exit=on fw-cfg=on debugcon=on "
		       "testdev=on\n"
		       "vm name=b memory=16M kernel=k debug-exit=0x501 debug-exit-size=2 fw-cfg=off "
		       "debugcon=off testdev=off\n"
		       "vm name=c memory=16M kernel=k debug-exit=\"1281\" debug-exit-size=1\n"
		       "vm name=d memory=16M kernel=k debug-exit=0xFFFC debug-exit=off\n"), -EINVAL);
	CHECK_STR(err, "vms.cfg:4: debug-exit: given twice");
	CHECK_EQ(parse("vm name=a memory=16M kernel=k debug-exit=on fw-cfg=on debugcon=on "
		       "testdev=on\n"
		       "vm name=b memory=16M kernel=k debug-exit=0x501 debug-exit-size=2 fw-cfg=off "
		       "debugcon=off testdev=off\n"
		       "vm name=c memory=16M kernel=k debug-exit=\"1281\" debug-exit-size=1\n"
		       "vm name=d memory=16M kernel=k debug-exit=0xFFFC debug-exit-size=4\n"
		       "# off is off\n"), 0);
	CHECK_EQ(nvms, 4);
	CHECK(cfgs[0].debug_exit && cfgs[0].fw_cfg && cfgs[0].debugcon && cfgs[0].testdev);
	CHECK_EQ(cfgs[0].debug_exit_port, 0xf4);
	CHECK_EQ(cfgs[0].debug_exit_size, 4);
	CHECK(cfgs[1].debug_exit && !cfgs[1].fw_cfg && !cfgs[1].debugcon && !cfgs[1].testdev);
	CHECK_EQ(cfgs[1].debug_exit_port, 0x501);
	CHECK_EQ(cfgs[1].debug_exit_size, 2);
	CHECK_EQ(cfgs[2].debug_exit_port, 1281);
	CHECK_EQ(cfgs[2].debug_exit_size, 1);
	CHECK_EQ(cfgs[3].debug_exit_port, 0xfffc);
	CHECK_EQ(parse("vm name=a memory=16M kernel=k debug-exit=off\n"), 0);
	CHECK(!cfgs[0].debug_exit);

	expect_error("vm name=a memory=16M kernel=k debug-exit=yes\n",
		     "vms.cfg:1: debug-exit: \"yes\" is not a port (use on, off, or 0-0xffff)");
	expect_error("vm name=a memory=16M kernel=k debug-exit=0x10000\n",
		     "vms.cfg:1: debug-exit: \"0x10000\" is not a port (use on, off, or 0-0xffff)");
	expect_error("vm name=a memory=16M kernel=k debug-exit=65536\n",
		     "vms.cfg:1: debug-exit: \"65536\" is not a port (use on, off, or 0-0xffff)");
	expect_error("vm name=a memory=16M kernel=k debug-exit=0x\n",
		     "vms.cfg:1: debug-exit: \"0x\" is not a port (use on, off, or 0-0xffff)");
	expect_error("vm name=a memory=16M kernel=k debug-exit=0xf4g\n",
		     "vms.cfg:1: debug-exit: \"0xf4g\" is not a port (use on, off, or 0-0xffff)");
	expect_error("vm name=a memory=16M kernel=k debug-exit=-1\n",
		     "vms.cfg:1: debug-exit: \"-1\" is not a port (use on, off, or 0-0xffff)");
	expect_error("vm name=a memory=16M kernel=k debug-exit=\n",
		     "vms.cfg:1: debug-exit: \"\" is not a port (use on, off, or 0-0xffff)");
	expect_error("vm name=a memory=16M kernel=k debug-exit=0xfffe\n",
		     "vms.cfg:1: debug-exit: port 0xfffe with debug-exit-size=4 runs past 0xffff");
	expect_error("vm name=a memory=16M kernel=k debug-exit-size=3\n",
		     "vms.cfg:1: debug-exit-size: \"3\" is not 1, 2 or 4");
	expect_error("vm name=a memory=16M kernel=k debug-exit-size=8\n",
		     "vms.cfg:1: debug-exit-size: \"8\" is not 1, 2 or 4");
	expect_error("vm name=a memory=16M kernel=k debug-exit-size=4K\n",
		     "vms.cfg:1: debug-exit-size: \"4K\" is not 1, 2 or 4");
	expect_error("vm name=a memory=16M kernel=k debug-exit-size=0\n",
		     "vms.cfg:1: debug-exit-size: \"0\" is not 1, 2 or 4");
	expect_error("vm name=a memory=16M kernel=k fw-cfg=yes\n",
		     "vms.cfg:1: fw-cfg: \"yes\" is not on or off");
	expect_error("vm name=a memory=16M kernel=k debugcon=ON\n",
		     "vms.cfg:1: debugcon: \"ON\" is not on or off");
	expect_error("vm name=a memory=16M kernel=k testdev=1\n",
		     "vms.cfg:1: testdev: \"1\" is not on or off");
	expect_error("vm name=a memory=16M kernel=k\nvm name=b memory=16M kernel=k testdev=\n",
		     "vms.cfg:2: testdev: \"\" is not on or off");
	expect_error("vm name=a memory=16M kernel=k fw-cfg=on fw-cfg=off\n",
		     "vms.cfg:1: fw-cfg: given twice");
}

int main(void)
{
	RUN(test_example_line);
	RUN(test_defaults_and_empty_file);
	RUN(test_comments_continuations_crlf);
	RUN(test_memory_sizes);
	RUN(test_vcpus);
	RUN(test_cpus);
	RUN(test_weight);
	RUN(test_unbacked);
	RUN(test_paravirt);
	RUN(test_names);
	RUN(test_files_and_cmdline);
	RUN(test_modules);
	RUN(test_syntax_errors);
	RUN(test_too_many_vms);
	RUN(test_error_discards_everything);
	RUN(test_short_error_buffer);
	RUN(test_qemu_devices);
	return check_done();
}
