/*
 * String I/O exits (INS/OUTS): the vCPU's side of core/string_io.c. The
 * segment and the address size come from the exit where the hardware
 * gives them, else from the instruction's prefixes; memory is the
 * guest's RAM through the memslots, ports are the VM's platform, one
 * element at a time. A batch per exit (docs/run-loop.md, "String I/O").
 * vCPU context, interrupts on, no lock held on entry.
 */
#include "asm/cpu_regs.h"
#include "core/guest_mem.h"
#include "core/insn_len.h"
#include "core/string_io.h"
#include "core/vcpu_run.h"

static int sio_read(void *ctx, uint64_t gpa, void *buf, unsigned int len)
{
	return guest_read_gpa(ctx, gpa, buf, len);
}

static int sio_write(void *ctx, uint64_t gpa, const void *buf, unsigned int len)
{
	return guest_write_gpa(ctx, gpa, buf, len);
}

static int sio_port(void *ctx, uint16_t port, unsigned int size, bool in, uint32_t *val)
{
	return vm_platform_port_io(ctx, port, size, in, val);
}

static int sio_stop(struct vcpu *vcpu, const struct vm_exit *exit, const char *why,
		    uint64_t addr)
{
	vm_stop_error(vcpu->vm, "vCPU %u: string I/O on port %#x: %s (%#llx) (rip %#llx)",
		      vcpu->id, exit->io.port, why, (unsigned long long)addr,
		      (unsigned long long)vcpu->bv->regs.rip);
	return -1;
}

/*
 * The segment and address size the exit left out, from the instruction
 * at RIP: an override prefix (OUTS only) and 67. 0, or -EINVAL if RIP
 * does not hold an INS or OUTS.
 */
static int sio_decode(struct vcpu *vcpu, const struct vm_exit *exit, uint8_t *seg,
		      uint8_t *addr_size)
{
	enum insn_mode mode = (enum insn_mode)guest_mode_code_bits(exit->guest.mode);
	uint8_t code[X86_INSN_MAX_LEN];
	struct insn insn;
	size_t got;

	*seg = exit->io.in ? SEG_ES : exit->io.seg;
	*addr_size = exit->io.addr_size;
	if (*seg != EXIT_SEG_UNKNOWN && *addr_size)
		return 0;
	got = guest_fetch_insn(vcpu, exit, code);
	if (!got || insn_decode(code, got, mode, &insn) < 0 ||
	    insn.encoding != INSN_ENC_LEGACY || insn.map != INSN_MAP_ONE ||
	    (insn.opcode & ~3u) != 0x6c)	/* INSB/W/D 6C/6D, OUTSB/W/D 6E/6F */
		return -EINVAL;
	if (*seg == EXIT_SEG_UNKNOWN)
		*seg = (insn.prefixes & INSN_PFX_SEG) ? insn.seg : SEG_DS;
	if (!*addr_size)
		*addr_size = insn.addrsize;
	return 0;
}

/*
 * Puts CR2 (for a #PF) or ends the interrupt shadow, through the whole
 * state: neither has a register of its own in the backend table. st is
 * the state of this exit; the general registers are the current ones.
 */
static int sio_set_state(struct vcpu *vcpu, struct guest_state *st)
{
	st->regs = vcpu->bv->regs;
	return backend_set_state(vcpu->bv, st);
}

int vcpu_string_io(struct vcpu *vcpu, const struct vm_exit *exit)
{
	struct guest_regs *regs = &vcpu->bv->regs;
	const struct string_io_ops ops = {
		.read = sio_read, .write = sio_write, .port = sio_port, .ctx = vcpu,
	};
	struct string_io_outcome out;
	struct guest_state st;
	struct string_io io;
	uint8_t seg, addr_size;
	int len;

	if (sio_decode(vcpu, exit, &seg, &addr_size))
		return sio_stop(vcpu, exit, "no INS or OUTS at RIP", regs->rip);
	if (seg > SEG_GS || (addr_size != 2 && addr_size != 4 && addr_size != 8))
		return sio_stop(vcpu, exit, "bad segment or address size", seg * 16u + addr_size);
	backend_get_state(vcpu->bv, &st);
	io = (struct string_io){
		.port = exit->io.port, .size = exit->io.size, .addr_size = addr_size,
		.in = exit->io.in, .rep = exit->io.rep, .mode = exit->guest.mode,
		.cpl = exit->guest.cpl, .seg = st.seg[seg], .seg_is_ss = seg == SEG_SS,
		.seg_is_fs_gs = seg == SEG_FS || seg == SEG_GS,
		.paging = {
			.cr0 = exit->guest.cr0, .cr3 = exit->guest.cr3,
			.cr4 = exit->guest.cr4, .efer = exit->guest.efer,
			.maxphyaddr = backend_caps.phys_bits,
		},
	};
	switch (string_io_run(&io, regs, &ops, &out)) {
	case STRING_IO_DONE:
		len = guest_insn_len(vcpu, exit);
		if (len <= 0)
			return sio_stop(vcpu, exit, "cannot decode the instruction", regs->rip);
		regs->rflags &= ~(uint64_t)X86_RFLAGS_RF;	/* it completed */
		regs->rip += (unsigned int)len;
		if (exit->guest.mode != GUEST_MODE_LONG64)
			regs->rip &= 0xffffffffull;
		return 0;
	case STRING_IO_MORE:
		/*
		 * Stopped between two iterations, as for an interrupt: RF set
		 * so that an instruction breakpoint does not hit again, and
		 * no shadow of an STI before it to hold interrupts off.
		 */
		regs->rflags |= X86_RFLAGS_RF;
		if (st.interrupt_shadow) {
			st.interrupt_shadow = false;
			if (sio_set_state(vcpu, &st))
				return sio_stop(vcpu, exit, "backend refused the state", 0);
		}
		return 0;
	case STRING_IO_FAULT:
		regs->rflags |= X86_RFLAGS_RF;	/* a fault pushes RF set */
		if (out.fault.vector == VEC_PF) {
			st.cr2 = out.cr2;
			if (sio_set_state(vcpu, &st))
				return sio_stop(vcpu, exit, "backend refused the state", 0);
		}
		if (backend_inject_event(vcpu->bv, &out.fault))
			return sio_stop(vcpu, exit, "cannot inject the fault", out.fault.vector);
		return 0;
	case STRING_IO_STOP:
	default:
		if (!out.why)
			return -1;	/* the platform stopped the VM */
		return sio_stop(vcpu, exit, out.why, out.addr);
	}
}
