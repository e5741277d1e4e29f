/*
 * The monitor's commands on a VM's memory (see core/launch/monitor_vm.h):
 * mem (guest-physical), vmem (guest-virtual), walk (the guest's page
 * walk), tdp (the EPT/NPT walk) and dirty (pages dirtied per second).
 *
 * Boot CPU only, in the monitor's loop. Guest memory is read on the
 * monitor's CPU through the VM's memslots, inside a read section of the
 * monitor's own memslot reader (the VM's builder leaves room for one,
 * vm_params.extra_readers): a memslot change or a reset waits for the
 * section, and an address outside every memslot is never read, so no
 * device page is touched. The bytes are copied inside the section and
 * printed after it. The TDP tables are walked under mmu_lock for read,
 * as the MMU's own readers do (tables are freed only after the write
 * side). The guest's control registers for vmem and walk come from a
 * snapshot taken on the vCPU's thread (vcpu_call()); the walk itself runs
 * here. `dirty` runs a step per second from the monitor's tick, so the
 * monitor keeps answering while it counts.
 */
#include "core/guest_walk.h"
#include "core/launch/monitor.h"
#include "core/launch/monitor_vm.h"
#include "core/launch/vm_launch.h"
#include "core/lib/errno.h"
#include "core/lib/log.h"
#include "core/lib/platform.h"
#include "core/lib/printf.h"
#include "core/lib/string.h"
#include "core/ram_zero.h"
#include "core/vm.h"
#include "mm/heap.h"
#include "mm/tdp_iter.h"

#define MONITOR_MEM_ARGS_MAX 128
#define MONITOR_LINE_BYTES   16
#define NS_PER_SEC           1000000000ull
#define DIRTY_DEFAULT_SECS   5
#define DIRTY_MAX_SECS       60
#define DIRTY_MAX_SLOTS      4

void monitor_mem_register(void);

/* The monitor's read side of a VM's memslots, registered while it reads. */
static struct srcu_reader monitor_mem_reader = { .name = "monitor" };
static uint8_t monitor_mem_buf[MONITOR_MEM_MAX];
static bool monitor_mem_valid[MONITOR_MEM_MAX];

/* --- Reading guest memory -------------------------------------------------- */

static int monitor_mem_enter(struct vm *vm)
{
	int err = srcu_reader_register(&vm->memslots.srcu, &monitor_mem_reader);

	if (!err)
		srcu_read_lock(&monitor_mem_reader);
	return err;
}

static void monitor_mem_leave(struct vm *vm)
{
	srcu_read_unlock(&monitor_mem_reader);
	srcu_reader_unregister(&vm->memslots.srcu, &monitor_mem_reader);
}

/*
 * Copies n bytes at gpa inside the read section: valid[i] false where no
 * memslot covers the byte. Returns how many were RAM.
 */
static unsigned int monitor_mem_copy(struct vm *vm, uint64_t gpa, uint8_t *bytes, bool *valid,
				     unsigned int n)
{
	const struct memslot_set *set = srcu_dereference(vm->memslots.active);
	unsigned int done = 0, ram = 0;

	while (done < n) {
		uint64_t a = gpa + done;
		unsigned int chunk = (unsigned int)MIN((uint64_t)(n - done),
						       PAGE_SIZE - (a & (PAGE_SIZE - 1)));
		const struct memslot *s = a < gpa ? NULL : memslot_find(set, a >> PAGE_SHIFT);

		if (s) {
			if (vm->ram_zero)
				ram_zero_touch(vm->ram_zero, a, chunk);
			memcpy(bytes + done, (const uint8_t *)phys_to_virt(
				       memslot_gfn_to_hpa(s, a >> PAGE_SHIFT)) + (a & (PAGE_SIZE - 1)),
			       chunk);
			ram += chunk;
		} else {
			memset(bytes + done, 0, chunk);
		}
		memset(valid + done, s != NULL, chunk);
		done += chunk;
	}
	return ram;
}

int monitor_mem_read(struct vm *vm, uint64_t gpa, uint8_t *bytes, bool *valid, unsigned int n)
{
	int err = monitor_mem_enter(vm);

	if (err)
		return err;
	monitor_mem_copy(vm, gpa, bytes, valid, n);
	monitor_mem_leave(vm);
	return 0;
}

const char *monitor_hex_line(uint64_t addr, const uint8_t *bytes, const bool *valid,
			     unsigned int n, char *buf, size_t size)
{
	size_t len = (size_t)hv_snprintf(buf, size, "%016llx:", (unsigned long long)addr);

	for (unsigned int i = 0; i < MONITOR_LINE_BYTES && len < size; i++) {
		if (i >= n)
			len += (size_t)hv_snprintf(buf + len, size - len, "   ");
		else if (valid[i])
			len += (size_t)hv_snprintf(buf + len, size - len, " %02x", bytes[i]);
		else
			len += (size_t)hv_snprintf(buf + len, size - len, " --");
	}
	if (len < size)
		len += (size_t)hv_snprintf(buf + len, size - len, "  |");
	for (unsigned int i = 0; i < n && i < MONITOR_LINE_BYTES && len + 1 < size; i++) {
		uint8_t c = bytes[i];

		buf[len++] = valid[i] && c >= 0x20 && c < 0x7f ? (char)c : '.';
		buf[len] = '\0';
	}
	if (len + 1 < size) {
		buf[len++] = '|';
		buf[len] = '\0';
	}
	return buf;
}

/* Prints n bytes at addr from the monitor's buffers, 16 a line. */
static void monitor_hex_dump(uint64_t addr, const uint8_t *bytes, const bool *valid,
			     unsigned int n)
{
	char line[MONITOR_HEX_LINE];

	for (unsigned int off = 0; off < n; off += MONITOR_LINE_BYTES)
		monitor_printf("%s", monitor_hex_line(addr + off, bytes + off, valid + off,
						      MIN(n - off, MONITOR_LINE_BYTES), line,
						      sizeof(line)));
}

/*
 * Words of args: "NAME ADDR [LEN]" after `skip` words (vmem's VCPU), into
 * *addr and *len (MONITOR_MEM_DEFAULT if absent). argv gets the words.
 */
static bool monitor_mem_args(const char *cmd, const char *syntax, const char *args,
			     unsigned int fixed, bool has_len, char *buf, size_t size,
			     const char **argv, uint64_t *addr, uint64_t *len)
{
	int n = monitor_split(args, buf, size, argv, fixed + (has_len ? 1 : 0));

	if (n < (int)fixed) {
		monitor_error("%s: syntax: %s", cmd, syntax);
		return false;
	}
	if (monitor_parse_u64(argv[fixed - 1], 0, UINT64_MAX, addr)) {
		monitor_error("%s: bad address '%s'", cmd, argv[fixed - 1]);
		return false;
	}
	*len = has_len ? MONITOR_MEM_DEFAULT : 1;
	if (n == (int)fixed + 1 && monitor_parse_u64(argv[fixed], 1, MONITOR_MEM_MAX, len)) {
		monitor_error("%s: length '%s' not in 1-%u", cmd, argv[fixed], MONITOR_MEM_MAX);
		return false;
	}
	if (*len - 1 > UINT64_MAX - *addr) {
		monitor_error("%s: range wraps past the end of the address space", cmd);
		return false;
	}
	return true;
}

static void monitor_mem(const char *args)
{
	char buf[MONITOR_MEM_ARGS_MAX];
	const char *argv[3];
	uint64_t gpa, len;
	struct vm *vm;
	int err;

	if (!monitor_mem_args("mem", "mem NAME GPA [LEN]", args, 2, true, buf, sizeof(buf), argv,
			      &gpa, &len))
		return;
	vm = monitor_vm_find("mem", argv[0]);
	if (!vm)
		return;
	err = monitor_mem_read(vm, gpa, monitor_mem_buf, monitor_mem_valid, (unsigned int)len);
	if (err) {
		monitor_error("mem: vm %s: cannot read its memslots: %s", vm->name,
			      errno_name(err));
		return;
	}
	monitor_printf("vm %s: %llu bytes at guest-physical %#llx (-- : no RAM there)", vm->name,
		       (unsigned long long)len, (unsigned long long)gpa);
	monitor_hex_dump(gpa, monitor_mem_buf, monitor_mem_valid, (unsigned int)len);
}

/* --- The guest's page walk ------------------------------------------------- */

static void monitor_walk_regs_take(struct vcpu *vcpu, void *ctx)
{
	struct guest_walk_regs *r = ctx;
	struct guest_state st;

	backend_get_state(vcpu->bv, &st);
	r->cr0 = st.cr0;
	r->cr3 = st.cr3;
	r->cr4 = st.cr4;
	r->efer = st.efer;
}

/* The vCPU's paging registers, snapshot on its thread; false after an error line. */
static bool monitor_walk_regs(const char *cmd, struct vcpu *vcpu, struct guest_walk_regs *r)
{
	int err;

	memset(r, 0, sizeof(*r));
	err = vcpu_call(vcpu, monitor_walk_regs_take, r, MONITOR_CALL_NS);
	if (err) {
		monitor_error("%s: vm %s vCPU %u: no register snapshot: %s", cmd, vcpu->vm->name,
			      vcpu->id, err == -ESRCH ? "its loop is not running" :
			      errno_name(err));
		return false;
	}
	r->maxphyaddr = backend_caps.phys_bits;
	return true;
}

/* guest_walk()'s read: RAM through the memslots, inside the read section. */
static int monitor_walk_read(void *ctx, uint64_t gpa, void *buf, unsigned int len)
{
	struct vm *vm = ctx;
	bool valid[8];

	if (gpa + len < gpa || monitor_mem_copy(vm, gpa, buf, valid, len) != len)
		return -EFAULT;
	return 0;
}

/* "NAME VCPU GVA" and, for vmem, "[LEN]": the VM, the vCPU, its registers. */
static bool monitor_walk_args(const char *cmd, const char *syntax, const char *args,
			      bool has_len, struct vcpu **vcpu, uint64_t *gva, uint64_t *len,
			      struct guest_walk_regs *regs)
{
	char buf[MONITOR_MEM_ARGS_MAX];
	const char *argv[4];
	struct vm *vm;

	if (!monitor_mem_args(cmd, syntax, args, 3, has_len, buf, sizeof(buf), argv, gva, len))
		return false;
	vm = monitor_vm_find(cmd, argv[0]);
	if (!vm)
		return false;
	*vcpu = monitor_vm_vcpu(cmd, vm, argv[1]);
	return *vcpu && monitor_walk_regs(cmd, *vcpu, regs);
}

static void monitor_walk(const char *args)
{
	struct guest_walk_regs regs;
	struct guest_walk w;
	struct vcpu *vcpu;
	uint64_t gva, len;
	char entry[120];
	int err;

	if (!monitor_walk_args("walk", "walk NAME VCPU GVA", args, false, &vcpu, &gva, &len,
			       &regs))
		return;
	err = monitor_mem_enter(vcpu->vm);
	if (err) {
		monitor_error("walk: vm %s: cannot read its memslots: %s", vcpu->vm->name,
			      errno_name(err));
		return;
	}
	guest_walk(&regs, gva, monitor_walk_read, vcpu->vm, &w);
	monitor_mem_leave(vcpu->vm);

	monitor_printf("vm %s vCPU %u: %#llx, %s paging, cr3 %#llx", vcpu->vm->name, vcpu->id,
		       (unsigned long long)gva, guest_paging_name(w.mode),
		       (unsigned long long)regs.cr3);
	for (unsigned int i = 0; i < w.nr_steps; i++) {
		const struct guest_walk_step *s = &w.steps[i];

		monitor_printf("  %-5s [%3u] at %#llx = %016llx: %s",
			       guest_walk_level_name(w.mode, s->level), s->index,
			       (unsigned long long)s->entry_gpa, (unsigned long long)s->entry,
			       guest_walk_entry_str(w.mode, s, entry, sizeof(entry)));
	}
	if (w.result == GUEST_WALK_OK)
		monitor_printf("  -> guest-physical %#llx (%llu KiB page, %s, %s, %s)",
			       (unsigned long long)w.gpa, (unsigned long long)(w.page_size >> 10),
			       w.writable ? "writable" : "read-only",
			       w.user ? "user" : "supervisor",
			       w.executable ? "executable" : "no-execute");
	else
		monitor_printf("  stops%s%s: %s", w.nr_steps ? " at the " : "",
			       w.nr_steps ? guest_walk_level_name(w.mode,
								  w.steps[w.nr_steps - 1].level) : "",
			       guest_walk_result_name(w.result));
}

static void monitor_vmem(const char *args)
{
	struct guest_walk_regs regs;
	struct vcpu *vcpu;
	uint64_t gva, len;
	unsigned int done = 0;
	int err;

	if (!monitor_walk_args("vmem", "vmem NAME VCPU GVA [LEN]", args, true, &vcpu, &gva, &len,
			       &regs))
		return;
	err = monitor_mem_enter(vcpu->vm);
	if (err) {
		monitor_error("vmem: vm %s: cannot read its memslots: %s", vcpu->vm->name,
			      errno_name(err));
		return;
	}
	/* Page by page, each through its own walk, all inside one section. */
	while (done < len) {
		uint64_t a = gva + done;
		unsigned int chunk = (unsigned int)MIN(len - done,
						       PAGE_SIZE - (a & (PAGE_SIZE - 1)));
		struct guest_walk w;

		if (guest_walk(&regs, a, monitor_walk_read, vcpu->vm, &w) == GUEST_WALK_OK)
			monitor_mem_copy(vcpu->vm, w.gpa, monitor_mem_buf + done,
					 monitor_mem_valid + done, chunk);
		else
			memset(monitor_mem_valid + done, 0, chunk);
		done += chunk;
	}
	monitor_mem_leave(vcpu->vm);
	monitor_printf("vm %s vCPU %u: %llu bytes at guest-virtual %#llx (%s paging; -- : not "
		       "mapped or no RAM)", vcpu->vm->name, vcpu->id, (unsigned long long)len,
		       (unsigned long long)gva, guest_paging_name(guest_paging_mode(&regs)));
	monitor_hex_dump(gva, monitor_mem_buf, monitor_mem_valid, (unsigned int)len);
}

/* --- The TDP walk ------------------------------------------------------------ */

struct monitor_spte_bit {
	uint64_t bit;
	const char *name;
};

static const struct monitor_spte_bit monitor_ept_bits[] = {
	{ EPT_R, "R" }, { EPT_W, "W" }, { EPT_X, "X" }, { EPT_IGNORE_PAT, "IPAT" },
	{ EPT_LARGE, "LARGE" }, { EPT_ACCESSED, "A" }, { EPT_DIRTY, "D" },
};

static const struct monitor_spte_bit monitor_npt_bits[] = {
	{ NPT_P, "P" }, { NPT_RW, "RW" }, { NPT_US, "US" }, { NPT_PWT, "PWT" },
	{ NPT_PCD, "PCD" }, { NPT_A, "A" }, { NPT_D, "D" }, { NPT_PS, "PS" }, { NPT_G, "G" },
	{ NPT_NX, "NX" },
};

static const struct monitor_spte_bit monitor_sw_bits[] = {
	{ SPTE_MMU_PRESENT, "mmu-present" }, { SPTE_HOST_WRITABLE, "host-writable" },
	{ SPTE_MMU_WRITABLE, "mmu-writable" }, { SPTE_SAVED_R, "saved-R" },
	{ SPTE_SAVED_X, "saved-X" },
};

static size_t monitor_spte_bits(uint64_t spte, const struct monitor_spte_bit *bits, size_t n,
				char *buf, size_t size, size_t len)
{
	for (size_t i = 0; i < n && len < size; i++)
		if (spte & bits[i].bit)
			len += (size_t)hv_snprintf(buf + len, size - len, "%s%s",
						   len ? " " : "", bits[i].name);
	return len;
}

/* An SPTE in words: hardware bits, memory type (EPT leaf), software bits, address. */
static const char *monitor_spte_str(const struct spte_format *fmt, uint64_t spte, bool leaf,
				    char *buf, size_t size)
{
	static const char *const memtypes[8] = { "UC", "WC", "2?", "3?", "WT", "WP", "WB", "7?" };
	bool ept = fmt->kind == SPTE_KIND_EPT;
	size_t len = 0;

	buf[0] = '\0';
	if (!spte_is_present(fmt, spte))
		len += (size_t)hv_snprintf(buf, size, "not present");
	len = monitor_spte_bits(spte, ept ? monitor_ept_bits : monitor_npt_bits,
				ept ? ARRAY_SIZE(monitor_ept_bits) : ARRAY_SIZE(monitor_npt_bits),
				buf, size, len);
	if (ept && leaf && len < size)
		len += (size_t)hv_snprintf(buf + len, size - len, " type %s",
					   memtypes[(spte & EPT_MEMTYPE_MASK) >> EPT_MEMTYPE_SHIFT]);
	len = monitor_spte_bits(spte, monitor_sw_bits, ARRAY_SIZE(monitor_sw_bits), buf, size,
				len);
	if (len < size)
		hv_snprintf(buf + len, size - len, " %s %#llx", leaf ? "frame" : "table",
			    (unsigned long long)(spte & SPTE_ADDR_MASK));
	return buf;
}

static void monitor_tdp(const char *args)
{
	static const char *const results[] = {
		"maps it", "not present", "present without permission", "misconfigured",
	};
	char buf[MONITOR_MEM_ARGS_MAX], line[160];
	const char *argv[2];
	struct tdp_walk w;
	unsigned int cookie;
	struct vm *vm;
	uint64_t gpa;
	int ret;

	if (monitor_split(args, buf, sizeof(buf), argv, 2) != 2) {
		monitor_error("tdp: syntax: tdp NAME GPA");
		return;
	}
	if (monitor_parse_u64(argv[1], 0, UINT64_MAX, &gpa)) {
		monitor_error("tdp: bad address '%s'", argv[1]);
		return;
	}
	vm = monitor_vm_find("tdp", argv[0]);
	if (!vm)
		return;
	/* As the MMU's readers: a zap that detaches a table holds it for write. */
	cookie = percpu_read_lock(&vm->mmu.mmu_lock);
	ret = tdp_mmu_walk(&vm->mmu, gpa, 0, &w);
	percpu_read_unlock(&vm->mmu.mmu_lock, cookie);

	monitor_printf("vm %s: guest-physical %#llx, %s %d-level, root %#llx: %s", vm->name,
		       (unsigned long long)gpa, vm->mmu.fmt->name, vm->mmu.levels,
		       (unsigned long long)vm->mmu.root_pa,
		       ret >= 0 && ret < (int)ARRAY_SIZE(results) ? results[ret] : "?");
	if (gpa >> PAGE_SHIFT >= tdp_iter_gfn_limit(vm->mmu.levels)) {
		monitor_printf("  beyond the tables' reach");
		return;
	}
	for (int level = vm->mmu.levels; level >= w.level; level--) {
		uint64_t spte = w.sptes[level];
		bool leaf = spte_is_present(vm->mmu.fmt, spte) &&
			    (level == TDP_LEVEL_4K || (spte & vm->mmu.fmt->large_mask));

		monitor_printf("  level %d [%3u] %016llx: %s", level, SPTE_INDEX(gpa >> PAGE_SHIFT,
			       level), (unsigned long long)spte,
			       monitor_spte_str(vm->mmu.fmt, spte, leaf, line, sizeof(line)));
	}
	if (ret == TDP_XLATE_OK)
		monitor_printf("  -> host-physical %#llx", (unsigned long long)w.hpa);
}

/* --- dirty --------------------------------------------------------------------- */

/* One `dirty` at a time, stepped by monitor_vm_tick(). Boot CPU only. */
static struct monitor_dirty {
	bool active;
	struct vm *vm;
	char name[VM_NAME_MAX];
	uint64_t boot_ns;		/* with vm: the VM it started on */
	unsigned int seconds, done;
	uint64_t last_ns;		/* the previous harvest (or the start) */
	uint64_t start_ns;
	uint64_t total;
	unsigned int nr;
	uint32_t ids[DIRTY_MAX_SLOTS];
	uint32_t flags[DIRTY_MAX_SLOTS];	/* as found, to put back */
	uint64_t npages[DIRTY_MAX_SLOTS];
	uint64_t *bitmap;		/* the largest slot's, reused */
} dirty;

/* Is the VM dirty started on still that one, alive? (It may have been reset.) */
static bool monitor_dirty_vm_alive(void)
{
	struct vms_info in;

	for (unsigned int i = 0; vms_info(i, &in); i++)
		if (strcmp(in.name, dirty.name) == 0)
			return in.live && in.vm == dirty.vm && in.boot_ns == dirty.boot_ns;
	return false;
}

/* Turns logging off where dirty turned it on (if the VM is still there), frees. */
static void monitor_dirty_end(bool vm_alive)
{
	for (unsigned int i = 0; vm_alive && i < dirty.nr; i++)
		memslots_set_flags(&dirty.vm->memslots, dirty.ids[i], dirty.flags[i]);
	kfree(dirty.bitmap);
	dirty.bitmap = NULL;
	dirty.active = false;
}

/* The VM's writable slots that do not log yet; false after an error line. */
static bool monitor_dirty_slots(void)
{
	const struct memslot_set *set;
	uint64_t largest = 0;
	int err = monitor_mem_enter(dirty.vm);

	if (err) {
		monitor_error("dirty: vm %s: cannot read its memslots: %s", dirty.name,
			      errno_name(err));
		return false;
	}
	set = srcu_dereference(dirty.vm->memslots.active);
	dirty.nr = 0;
	for (unsigned int i = 0; i < set->nr && dirty.nr < DIRTY_MAX_SLOTS; i++) {
		const struct memslot *s = &set->slots[i];

		if (s->flags & (MEMSLOT_READONLY | MEMSLOT_DIRTY_LOG))
			continue;
		dirty.ids[dirty.nr] = s->id;
		dirty.flags[dirty.nr] = s->flags;
		dirty.npages[dirty.nr++] = s->npages;
		largest = MAX(largest, s->npages);
	}
	monitor_mem_leave(dirty.vm);
	if (!dirty.nr) {
		monitor_error("dirty: vm %s has no RAM slot without dirty logging", dirty.name);
		return false;
	}
	dirty.bitmap = kmalloc((size_t)((largest + 63) / 64 * 8));
	if (!dirty.bitmap) {
		monitor_error("dirty: no memory for a %llu-page bitmap",
			      (unsigned long long)largest);
		return false;
	}
	return true;
}

static void monitor_dirty(const char *args)
{
	char buf[MONITOR_MEM_ARGS_MAX];
	const char *argv[2];
	uint64_t secs = DIRTY_DEFAULT_SECS;
	struct vms_info in;
	int n = monitor_split(args, buf, sizeof(buf), argv, 2);
	struct vm *vm;

	if (n < 1) {
		monitor_error("dirty: syntax: dirty NAME [SECONDS]");
		return;
	}
	if (n == 2 && monitor_parse_u64(argv[1], 1, DIRTY_MAX_SECS, &secs)) {
		monitor_error("dirty: seconds '%s' not in 1-%u", argv[1], DIRTY_MAX_SECS);
		return;
	}
	if (dirty.active) {
		monitor_error("dirty: already counting vm %s; one at a time", dirty.name);
		return;
	}
	vm = monitor_vm_find("dirty", argv[0]);
	if (!vm)
		return;
	memset(&dirty, 0, sizeof(dirty));
	dirty.vm = vm;
	hv_snprintf(dirty.name, sizeof(dirty.name), "%s", vm->name);
	for (unsigned int i = 0; vms_info(i, &in); i++)
		if (in.vm == vm)
			dirty.boot_ns = in.boot_ns;
	if (!monitor_dirty_slots()) {
		monitor_dirty_end(true);
		return;
	}
	for (unsigned int i = 0; i < dirty.nr; i++) {
		int err = memslots_set_flags(&vm->memslots, dirty.ids[i],
					     dirty.flags[i] | MEMSLOT_DIRTY_LOG);

		if (err) {
			dirty.nr = i;
			monitor_dirty_end(true);
			monitor_error("dirty: vm %s: cannot log slot %u: %s", dirty.name,
				      dirty.ids[i], errno_name(err));
			return;
		}
	}
	dirty.active = true;
	dirty.seconds = (unsigned int)secs;
	dirty.start_ns = dirty.last_ns = time_now_ns();
	monitor_printf("vm %s: counting dirtied pages for %u s (%u slot(s))", dirty.name,
		       dirty.seconds, dirty.nr);
}

/* Bits set in w (no libgcc in the freestanding build: no __builtin_popcount). */
static unsigned int monitor_bits_set(uint64_t w)
{
	w = w - ((w >> 1) & 0x5555555555555555ull);
	w = (w & 0x3333333333333333ull) + ((w >> 2) & 0x3333333333333333ull);
	w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned int)((w * 0x0101010101010101ull) >> 56);
}

/* One harvest: pages dirtied since the last one, over every logged slot. */
static uint64_t monitor_dirty_harvest(void)
{
	uint64_t pages = 0;

	for (unsigned int i = 0; i < dirty.nr; i++) {
		uint64_t words = (dirty.npages[i] + 63) / 64;

		if (memslots_get_dirty_log(&dirty.vm->memslots, dirty.ids[i], dirty.bitmap))
			continue;
		for (uint64_t w = 0; w < words; w++)
			pages += monitor_bits_set(dirty.bitmap[w]);
	}
	return pages;
}

void monitor_vm_tick(void)
{
	uint64_t now, pages, ns;

	if (!dirty.active)
		return;
	if (!monitor_dirty_vm_alive()) {
		monitor_printf("vm %s: ended or reset; dirty counting stopped", dirty.name);
		monitor_dirty_end(false);
		return;
	}
	if (vm_is_stopped(dirty.vm)) {
		monitor_printf("vm %s: stopping; dirty counting stopped", dirty.name);
		monitor_dirty_end(true);
		return;
	}
	now = time_now_ns();
	if (now - dirty.last_ns < NS_PER_SEC)
		return;
	pages = monitor_dirty_harvest();
	ns = now - dirty.last_ns;
	dirty.last_ns = now;
	dirty.total += pages;
	dirty.done++;
	monitor_printf("vm %s: second %u: %llu pages dirtied (%llu pages/s, %llu KiB/s)",
		       dirty.name, dirty.done, (unsigned long long)pages,
		       (unsigned long long)(pages * NS_PER_SEC / ns),
		       (unsigned long long)(pages * NS_PER_SEC / ns * (PAGE_SIZE >> 10)));
	if (dirty.done < dirty.seconds)
		return;
	monitor_printf("vm %s: %llu pages dirtied in %u s, %llu pages/s on average; logging off",
		       dirty.name, (unsigned long long)dirty.total, dirty.done,
		       (unsigned long long)(dirty.total * NS_PER_SEC / (now - dirty.start_ns)));
	monitor_dirty_end(true);
}

/* --- Registration ------------------------------------------------------------- */

static const struct monitor_cmd monitor_mem_cmds[] = {
	{ .name = "mem", .syntax = "mem NAME GPA [LEN]", .help = "guest-physical memory in hex",
	  .run = monitor_mem },
	{ .name = "vmem", .syntax = "vmem NAME VCPU GVA [LEN]",
	  .help = "guest-virtual memory in hex", .run = monitor_vmem },
	{ .name = "walk", .syntax = "walk NAME VCPU GVA", .help = "the guest's page walk",
	  .run = monitor_walk },
	{ .name = "tdp", .syntax = "tdp NAME GPA", .help = "the EPT/NPT walk of an address",
	  .run = monitor_tdp },
	{ .name = "dirty", .syntax = "dirty NAME [SECONDS]", .help = "pages dirtied per second",
	  .run = monitor_dirty },
};

void monitor_mem_register(void)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(monitor_mem_cmds); i++) {
		int err = monitor_register(&monitor_mem_cmds[i]);

		if (err)
			pr_err("hv: monitor command %s: %s", monitor_mem_cmds[i].name,
			       errno_name(err));
	}
}
