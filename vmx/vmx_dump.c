/*
 * The monitor's view of a VMCS: every field the backend writes or the
 * CPU reports (controls, guest state, host state, exit information), by
 * its SDM name (vol. 3C, appendix B) and encoding, read with VMREAD; and
 * the event queued for the next entry. The vCPU's own thread, outside
 * guest mode (through vcpu_call()): VMREAD works only on the CPU where the
 * VMCS is current, which vmx_vmcs_enter() makes sure of. Read-only.
 */
#include "vmx/vmx.h"

struct vmx_dump_field {
	uint16_t enc;
	const char *name;
};

/* Segment fields: selector, limit, access rights, base of segment n (x86 order). */
#define VMX_SEG(n, s)								\
	{ VMCS_GUEST_ES_SEL + 2 * (n), "GUEST_" s "_SELECTOR" },		\
	{ VMCS_GUEST_ES_LIMIT + 2 * (n), "GUEST_" s "_LIMIT" },			\
	{ VMCS_GUEST_ES_AR + 2 * (n), "GUEST_" s "_AR_BYTES" },			\
	{ VMCS_GUEST_ES_BASE + 2 * (n), "GUEST_" s "_BASE" }

static const struct vmx_dump_field vmx_dump_controls[] = {
	{ VMCS_VPID, "VIRTUAL_PROCESSOR_ID" },
	{ VMCS_PIN_CTLS, "PIN_BASED_VM_EXEC_CONTROL" },
	{ VMCS_PROC_CTLS, "CPU_BASED_VM_EXEC_CONTROL" },
	{ VMCS_PROC_CTLS2, "SECONDARY_VM_EXEC_CONTROL" },
	{ VMCS_EXCEPTION_BITMAP, "EXCEPTION_BITMAP" },
	{ VMCS_PF_ERROR_MASK, "PAGE_FAULT_ERROR_CODE_MASK" },
	{ VMCS_PF_ERROR_MATCH, "PAGE_FAULT_ERROR_CODE_MATCH" },
	{ VMCS_CR3_TARGET_COUNT, "CR3_TARGET_COUNT" },
	{ VMCS_EXIT_CTLS, "VM_EXIT_CONTROLS" },
	{ VMCS_EXIT_MSR_STORE_COUNT, "VM_EXIT_MSR_STORE_COUNT" },
	{ VMCS_EXIT_MSR_LOAD_COUNT, "VM_EXIT_MSR_LOAD_COUNT" },
	{ VMCS_ENTRY_CTLS, "VM_ENTRY_CONTROLS" },
	{ VMCS_ENTRY_MSR_LOAD_COUNT, "VM_ENTRY_MSR_LOAD_COUNT" },
	{ VMCS_ENTRY_INTR_INFO, "VM_ENTRY_INTR_INFO_FIELD" },
	{ VMCS_ENTRY_EXC_ERROR_CODE, "VM_ENTRY_EXCEPTION_ERROR_CODE" },
	{ VMCS_ENTRY_INSN_LEN, "VM_ENTRY_INSTRUCTION_LEN" },
	{ VMCS_TPR_THRESHOLD, "TPR_THRESHOLD" },
	{ VMCS_PLE_GAP, "PLE_GAP" },
	{ VMCS_PLE_WINDOW, "PLE_WINDOW" },
	{ VMCS_IO_BITMAP_A, "IO_BITMAP_A" },
	{ VMCS_IO_BITMAP_B, "IO_BITMAP_B" },
	{ VMCS_MSR_BITMAP, "MSR_BITMAP" },
	{ VMCS_TSC_OFFSET, "TSC_OFFSET" },
	{ VMCS_VIRTUAL_APIC_PAGE, "VIRTUAL_APIC_PAGE_ADDR" },
	{ VMCS_EPT_POINTER, "EPT_POINTER" },
	{ VMCS_LINK_POINTER, "VMCS_LINK_POINTER" },
	{ VMCS_CR0_MASK, "CR0_GUEST_HOST_MASK" },
	{ VMCS_CR4_MASK, "CR4_GUEST_HOST_MASK" },
	{ VMCS_CR0_SHADOW, "CR0_READ_SHADOW" },
	{ VMCS_CR4_SHADOW, "CR4_READ_SHADOW" },
};

static const struct vmx_dump_field vmx_dump_guest[] = {
	{ VMCS_GUEST_CR0, "GUEST_CR0" },
	{ VMCS_GUEST_CR3, "GUEST_CR3" },
	{ VMCS_GUEST_CR4, "GUEST_CR4" },
	{ VMCS_GUEST_DR7, "GUEST_DR7" },
	{ VMCS_GUEST_RSP, "GUEST_RSP" },
	{ VMCS_GUEST_RIP, "GUEST_RIP" },
	{ VMCS_GUEST_RFLAGS, "GUEST_RFLAGS" },
	VMX_SEG(0, "ES"), VMX_SEG(1, "CS"), VMX_SEG(2, "SS"), VMX_SEG(3, "DS"),
	VMX_SEG(4, "FS"), VMX_SEG(5, "GS"), VMX_SEG(6, "LDTR"), VMX_SEG(7, "TR"),
	{ VMCS_GUEST_GDTR_BASE, "GUEST_GDTR_BASE" },
	{ VMCS_GUEST_GDTR_LIMIT, "GUEST_GDTR_LIMIT" },
	{ VMCS_GUEST_IDTR_BASE, "GUEST_IDTR_BASE" },
	{ VMCS_GUEST_IDTR_LIMIT, "GUEST_IDTR_LIMIT" },
	{ VMCS_GUEST_DEBUGCTL, "GUEST_IA32_DEBUGCTL" },
	{ VMCS_GUEST_PAT, "GUEST_IA32_PAT" },
	{ VMCS_GUEST_EFER, "GUEST_IA32_EFER" },
	{ VMCS_GUEST_PDPTE0, "GUEST_PDPTE0" },
	{ VMCS_GUEST_PDPTE0 + 2, "GUEST_PDPTE1" },
	{ VMCS_GUEST_PDPTE0 + 4, "GUEST_PDPTE2" },
	{ VMCS_GUEST_PDPTE0 + 6, "GUEST_PDPTE3" },
	{ VMCS_GUEST_SYSENTER_CS, "GUEST_SYSENTER_CS" },
	{ VMCS_PREEMPT_TIMER, "VMX_PREEMPTION_TIMER_VALUE" },
	{ VMCS_GUEST_SYSENTER_ESP, "GUEST_SYSENTER_ESP" },
	{ VMCS_GUEST_SYSENTER_EIP, "GUEST_SYSENTER_EIP" },
	{ VMCS_GUEST_INTERRUPTIBILITY, "GUEST_INTERRUPTIBILITY_INFO" },
	{ VMCS_GUEST_ACTIVITY, "GUEST_ACTIVITY_STATE" },
	{ VMCS_GUEST_PENDING_DBG, "GUEST_PENDING_DBG_EXCEPTIONS" },
};

static const struct vmx_dump_field vmx_dump_host[] = {
	{ VMCS_HOST_CR0, "HOST_CR0" },
	{ VMCS_HOST_CR3, "HOST_CR3" },
	{ VMCS_HOST_CR4, "HOST_CR4" },
	{ VMCS_HOST_RSP, "HOST_RSP" },
	{ VMCS_HOST_RIP, "HOST_RIP" },
	{ VMCS_HOST_ES_SEL, "HOST_ES_SELECTOR" },
	{ VMCS_HOST_CS_SEL, "HOST_CS_SELECTOR" },
	{ VMCS_HOST_SS_SEL, "HOST_SS_SELECTOR" },
	{ VMCS_HOST_DS_SEL, "HOST_DS_SELECTOR" },
	{ VMCS_HOST_FS_SEL, "HOST_FS_SELECTOR" },
	{ VMCS_HOST_GS_SEL, "HOST_GS_SELECTOR" },
	{ VMCS_HOST_TR_SEL, "HOST_TR_SELECTOR" },
	{ VMCS_HOST_FS_BASE, "HOST_FS_BASE" },
	{ VMCS_HOST_GS_BASE, "HOST_GS_BASE" },
	{ VMCS_HOST_TR_BASE, "HOST_TR_BASE" },
	{ VMCS_HOST_GDTR_BASE, "HOST_GDTR_BASE" },
	{ VMCS_HOST_IDTR_BASE, "HOST_IDTR_BASE" },
	{ VMCS_HOST_SYSENTER_CS, "HOST_IA32_SYSENTER_CS" },
	{ VMCS_HOST_SYSENTER_ESP, "HOST_IA32_SYSENTER_ESP" },
	{ VMCS_HOST_SYSENTER_EIP, "HOST_IA32_SYSENTER_EIP" },
	{ VMCS_HOST_PAT, "HOST_IA32_PAT" },
	{ VMCS_HOST_EFER, "HOST_IA32_EFER" },
};

static const struct vmx_dump_field vmx_dump_exit[] = {
	{ VMCS_INSN_ERROR, "VM_INSTRUCTION_ERROR" },
	{ VMCS_EXIT_REASON, "VM_EXIT_REASON" },
	{ VMCS_EXIT_QUAL, "EXIT_QUALIFICATION" },
	{ VMCS_EXIT_INTR_INFO, "VM_EXIT_INTR_INFO" },
	{ VMCS_EXIT_INTR_ERROR_CODE, "VM_EXIT_INTR_ERROR_CODE" },
	{ VMCS_IDT_VECTORING_INFO, "IDT_VECTORING_INFO_FIELD" },
	{ VMCS_IDT_VECTORING_ERROR, "IDT_VECTORING_ERROR_CODE" },
	{ VMCS_EXIT_INSN_LEN, "VM_EXIT_INSTRUCTION_LEN" },
	{ VMCS_EXIT_INSN_INFO, "VMX_INSTRUCTION_INFO" },
	{ VMCS_GUEST_PHYS_ADDR, "GUEST_PHYSICAL_ADDRESS" },
	{ VMCS_GUEST_LINEAR_ADDR, "GUEST_LINEAR_ADDRESS" },
};

#undef VMX_SEG

/* VMREAD that says whether the field exists on this CPU (VMfail: no). */
static bool vmx_dump_read(uint32_t field, uint64_t *val)
{
	bool ok;

	__asm__ __volatile__("vmread %2, %1; seta %0"
			     : "=q"(ok), "=rm"(*val) : "r"((uint64_t)field) : "cc");
	return ok;
}

static void vmx_dump_group(const char *title, const struct vmx_dump_field *f, size_t n,
			   backend_print_fn print, void *ctx)
{
	print(ctx, "%s:", title);
	for (size_t i = 0; i < n; i++) {
		uint64_t val = 0;

		if (vmx_dump_read(f[i].enc, &val))
			print(ctx, "  %04x %-30s %#llx", f[i].enc, f[i].name,
			      (unsigned long long)val);
		else
			print(ctx, "  %04x %-30s (not on this CPU)", f[i].enc, f[i].name);
	}
}

void vmx_dump_control(struct backend_vcpu *bv, backend_print_fn print, void *ctx)
{
	struct vmx_vcpu *v = to_vmx(bv);
	unsigned long flags = vmx_vmcs_enter(v);
	uint64_t reason = 0;

	print(ctx, "VMCS of vCPU %u at %#llx (revision %#x, %s, last entry on CPU %d)", bv->id,
	      (unsigned long long)v->vmcs_pa, vmx_features.revision,
	      v->launched ? "launched" : "clear", v->last_cpu);
	print(ctx, "entry VMWRITEs of guest state: %llu in %llu entries "
	      "(RSP, RIP, RFLAGS when changed; pending debug, interruptibility)",
	      (unsigned long long)v->entry_writes, (unsigned long long)v->entries);
	vmx_dump_group("controls", vmx_dump_controls, ARRAY_SIZE(vmx_dump_controls), print, ctx);
	vmx_dump_group("guest state", vmx_dump_guest, ARRAY_SIZE(vmx_dump_guest), print, ctx);
	vmx_dump_group("host state", vmx_dump_host, ARRAY_SIZE(vmx_dump_host), print, ctx);
	vmx_dump_group("exit information", vmx_dump_exit, ARRAY_SIZE(vmx_dump_exit), print, ctx);
	if (vmx_dump_read(VMCS_EXIT_REASON, &reason))
		print(ctx, "  last exit: %s",
		      vmx_exit_reason_name(reason & VMX_EXIT_REASON_BASIC_MASK));
	vmx_vmcs_exit(v, flags);
}

bool vmx_queued_event(struct backend_vcpu *bv, struct vm_event *ev)
{
	struct vmx_vcpu *v = to_vmx(bv);

	if (!v->inj.valid)
		return false;
	*ev = v->inj;
	return true;
}
