/*
 * The monitor's view of a VMCB: every field of the control area and of
 * the save area the backend or the CPU writes, by its APM name (vol. 2,
 * appendix B), and the event queued for the next VMRUN. The vCPU's own
 * thread, outside guest mode (through vcpu_call()); read-only, no lock.
 */
#include "core/lib/string.h"
#include "svm/svm.h"

enum svm_dump_width { W8 = 1, W16 = 2, W32 = 4, W64 = 8 };

struct svm_dump_field {
	const char *name;
	uint16_t offset;	/* in the VMCB */
	uint8_t width;		/* enum svm_dump_width */
};

#define CTRL(name, f, w) { name, offsetof(struct vmcb, control.f), w }
#define SAVE(name, f, w) { name, offsetof(struct vmcb, save.f), w }

static const struct svm_dump_field svm_dump_control_fields[] = {
	CTRL("INTERCEPT_CR", intercept_cr, W32),
	CTRL("INTERCEPT_DR", intercept_dr, W32),
	CTRL("INTERCEPT_EXCEPTIONS", intercept_exceptions, W32),
	CTRL("INTERCEPT_MISC1", intercept_misc1, W32),
	CTRL("INTERCEPT_MISC2", intercept_misc2, W32),
	CTRL("INTERCEPT_MISC3", intercept_misc3, W32),
	CTRL("PAUSE_FILTER_THRESHOLD", pause_filter_threshold, W16),
	CTRL("PAUSE_FILTER_COUNT", pause_filter_count, W16),
	CTRL("IOPM_BASE_PA", iopm_base_pa, W64),
	CTRL("MSRPM_BASE_PA", msrpm_base_pa, W64),
	CTRL("TSC_OFFSET", tsc_offset, W64),
	CTRL("GUEST_ASID", guest_asid, W32),
	CTRL("TLB_CONTROL", tlb_control, W8),
	CTRL("V_INTR (int_ctl)", int_ctl, W32),
	CTRL("V_INTR_VECTOR", int_vector, W32),
	CTRL("INTERRUPT_SHADOW", int_state, W32),
	CTRL("EXITCODE", exit_code, W64),
	CTRL("EXITINFO1", exit_info1, W64),
	CTRL("EXITINFO2", exit_info2, W64),
	CTRL("EXITINTINFO", exit_int_info, W64),
	CTRL("NP_ENABLE (nested_ctl)", nested_ctl, W64),
	CTRL("AVIC_APIC_BAR", avic_apic_bar, W64),
	CTRL("GHCB_PA", ghcb_pa, W64),
	CTRL("EVENTINJ", event_inj, W64),
	CTRL("N_CR3", nested_cr3, W64),
	CTRL("VIRT_EXT (LBR, V_VMLOAD)", virt_ext, W64),
	CTRL("VMCB_CLEAN", clean, W32),
	CTRL("NRIP", next_rip, W64),
	CTRL("INSN_FETCHED", insn_fetched, W8),
};

static const struct svm_dump_field svm_dump_save_fields[] = {
	SAVE("CPL", cpl, W8),
	SAVE("EFER", efer, W64),
	SAVE("CR0", cr0, W64),
	SAVE("CR2", cr2, W64),
	SAVE("CR3", cr3, W64),
	SAVE("CR4", cr4, W64),
	SAVE("DR6", dr6, W64),
	SAVE("DR7", dr7, W64),
	SAVE("RFLAGS", rflags, W64),
	SAVE("RIP", rip, W64),
	SAVE("RSP", rsp, W64),
	SAVE("RAX", rax, W64),
	SAVE("STAR", star, W64),
	SAVE("LSTAR", lstar, W64),
	SAVE("CSTAR", cstar, W64),
	SAVE("SFMASK", sfmask, W64),
	SAVE("KERNEL_GS_BASE", kernel_gs_base, W64),
	SAVE("SYSENTER_CS", sysenter_cs, W64),
	SAVE("SYSENTER_ESP", sysenter_esp, W64),
	SAVE("SYSENTER_EIP", sysenter_eip, W64),
	SAVE("G_PAT", g_pat, W64),
	SAVE("DBGCTL", dbgctl, W64),
	SAVE("BR_FROM", br_from, W64),
	SAVE("BR_TO", br_to, W64),
	SAVE("LASTEXCPFROM", last_excp_from, W64),
	SAVE("LASTEXCPTO", last_excp_to, W64),
};

#undef CTRL
#undef SAVE

static uint64_t svm_dump_value(const struct vmcb *vmcb, const struct svm_dump_field *f)
{
	const uint8_t *p = (const uint8_t *)vmcb + f->offset;
	uint64_t v = 0;

	memcpy(&v, p, f->width);
	return v;
}

static void svm_dump_fields(const struct vmcb *vmcb, const struct svm_dump_field *fields,
			    size_t n, backend_print_fn print, void *ctx)
{
	for (size_t i = 0; i < n; i++)
		print(ctx, "  %03x %-26s %#llx", fields[i].offset, fields[i].name,
		      (unsigned long long)svm_dump_value(vmcb, &fields[i]));
}

void svm_dump_control(struct backend_vcpu *bv, backend_print_fn print, void *ctx)
{
	static const char *const segs[] = {
		"ES", "CS", "SS", "DS", "FS", "GS", "GDTR", "LDTR", "IDTR", "TR",
	};
	struct svm_vcpu *v = to_svm(bv);
	const struct vmcb *vmcb = v->vmcb;
	const struct vmcb_seg *seg = &vmcb->save.es;

	print(ctx, "VMCB of vCPU %u at %#llx (last VMRUN on CPU %d), control area:", bv->id,
	      (unsigned long long)v->vmcb_pa, v->last_cpu);
	svm_dump_fields(vmcb, svm_dump_control_fields, ARRAY_SIZE(svm_dump_control_fields),
			print, ctx);
	print(ctx, "save area:");
	for (size_t i = 0; i < ARRAY_SIZE(segs); i++)
		print(ctx, "  %03zx %-26s sel %#06x attrib %#05x limit %#010x base %#llx",
		      0x400 + i * sizeof(*seg), segs[i], seg[i].selector, seg[i].attrib,
		      seg[i].limit, (unsigned long long)seg[i].base);
	svm_dump_fields(vmcb, svm_dump_save_fields, ARRAY_SIZE(svm_dump_save_fields), print,
			ctx);
}

bool svm_queued_event(struct backend_vcpu *bv, struct vm_event *ev)
{
	struct svm_vcpu *v = to_svm(bv);

	if (!v->inj.valid)
		return false;
	*ev = v->inj;
	return true;
}
