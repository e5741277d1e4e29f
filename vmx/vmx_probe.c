/*
 * Intel VT-x backend: the capability probe (what the CPU offers, the
 * controls every VMCS gets, the features report) and per-CPU VMX
 * operation (VMXON / VMXOFF) (Intel SDM vol. 3C, chapters 23-24 and
 * appendix A). docs/vmx.md says which controls are used and why.
 *
 * Where the code runs:
 *  - vmx_backend_probe(): boot CPU, once, before any other CPU enables
 *    VMX; vmx_features is written here and only read afterwards.
 *  - vmx_cpu_enable()/vmx_cpu_disable(): on the CPU concerned; they touch
 *    only that CPU's vmx_cpus[] slot, its CR0/CR4 and MSRs.
 * No lock: nothing here is shared between CPUs once the probe is done.
 */
#include "asm/cpu.h"
#include "asm/msr.h"
#include "core/lib/printf.h"
#include "mm/frame.h"
#include "vmx/vmx.h"

struct vmx_features vmx_features;
static int vmx_probe_result = 1;	/* 1: not probed yet */
static const char *vmx_probe_why;

/* ------------------------------------------------------------------------
 * Probe
 */

/*
 * Controls from a capability MSR: the allowed-0 settings (low half) are
 * required, what we want must be in the allowed-1 settings (high half).
 * Returns false, with *missing the first wanted bit that is not allowed.
 */
static bool vmx_adjust(uint32_t msr, uint32_t want, uint32_t *out, uint32_t *missing)
{
	uint64_t cap = rdmsr(msr);
	uint32_t must1 = (uint32_t)cap, may1 = (uint32_t)(cap >> 32);

	*out = (want | must1) & may1;
	*missing = want & ~may1;
	return *missing == 0;
}

/* Sets *why to a static message naming the first missing control. */
static int vmx_missing(const char **why, const char *set, uint32_t missing)
{
	static char buf[96];

	hv_snprintf(buf, sizeof(buf), "VT-x lacks %s control bit %u",
		    set, __builtin_ctz(missing));
	*why = buf;
	return -ENODEV;
}

static int vmx_probe_controls(struct vmx_features *f, const char **why)
{
	uint32_t missing, proc_all;
	uint64_t basic = rdmsr(MSR_IA32_VMX_BASIC);
	bool t = basic & VMX_BASIC_TRUE_CTLS;

	f->true_ctls = t;
	f->ins_outs_info = basic & VMX_BASIC_INS_OUTS;
	f->revision = (uint32_t)(basic & VMX_BASIC_REVISION_MASK);
	if (!vmx_adjust(t ? MSR_IA32_VMX_TRUE_PINBASED : MSR_IA32_VMX_PINBASED,
			PIN_EXT_INTR_EXITING | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS,
			&f->pin, &missing))
		return vmx_missing(why, "pin-based", missing);
	if (!vmx_adjust(t ? MSR_IA32_VMX_TRUE_PROCBASED : MSR_IA32_VMX_PROCBASED,
			PROC_HLT_EXITING | PROC_TSC_OFFSETTING | PROC_MWAIT_EXITING |
			PROC_MONITOR_EXITING | PROC_CR8_LOAD_EXITING |
			PROC_CR8_STORE_EXITING | PROC_IO_BITMAPS | PROC_MSR_BITMAPS |
			PROC_SECONDARY, &f->proc, &missing))
		return vmx_missing(why, "processor-based", missing);
	/* The windows are turned on when asked for: they must be possible. */
	proc_all = PROC_INTR_WINDOW | PROC_NMI_WINDOW;
	f->proc_may1 = (uint32_t)(rdmsr(t ? MSR_IA32_VMX_TRUE_PROCBASED :
					   MSR_IA32_VMX_PROCBASED) >> 32);
	if (proc_all & ~f->proc_may1)
		return vmx_missing(why, "processor-based", proc_all & ~f->proc_may1);
	f->pause_exiting = f->proc_may1 & PROC_PAUSE_EXITING;
	/*
	 * The VMX preemption timer where offered: it ends the guest's run at
	 * the CPU's next deadline even where a host interrupt forces no exit
	 * (docs/scheduler.md, "Ending a slice").
	 */
	{
		uint32_t pin2;

		f->preempt_timer = vmx_adjust(t ? MSR_IA32_VMX_TRUE_PINBASED :
					      MSR_IA32_VMX_PINBASED,
					      f->pin | PIN_PREEMPT_TIMER, &pin2, &missing);
		if (f->preempt_timer) {
			f->pin = pin2;
			f->preempt_rate = (unsigned int)(rdmsr(MSR_IA32_VMX_MISC) &
							 VMX_MISC_PREEMPT_RATE_MASK);
		}
	}

	/* Secondary: EPT is a must; the rest is taken where offered. */
	f->proc2 = 0;
	{
		uint64_t cap2 = rdmsr(MSR_IA32_VMX_PROCBASED2);
		uint32_t may1 = (uint32_t)(cap2 >> 32);

		if (!(may1 & PROC2_EPT)) {
			*why = "VT-x without EPT: guests cannot run";
			return -ENODEV;
		}
		/*
		 * "Enable RDTSCP" where offered: TSC_AUX is switched per vCPU
		 * (core/guest_xstate.h), and it lets RDPID run too. "Enable
		 * XSAVES/XRSTORS" stays clear: IA32_XSS is not switched, CPUID
		 * hides XSAVES, and it raises #UD in the guest without it.
		 */
		f->proc2 = PROC2_EPT | (may1 & (PROC2_VPID | PROC2_UNRESTRICTED |
						PROC2_INVPCID | PROC2_WBINVD_EXITING |
						PROC2_RDTSCP | PROC2_PAUSE_LOOP));
		f->ple = f->proc2 & PROC2_PAUSE_LOOP;
		if (!(may1 & PROC2_RDTSCP))
			pr_info("vmx: no \"enable RDTSCP\" control: RDTSCP and RDPID hidden from guests");
	}
	if (!vmx_adjust(t ? MSR_IA32_VMX_TRUE_EXIT : MSR_IA32_VMX_EXIT,
			EXIT_CTL_HOST_64 | EXIT_CTL_SAVE_EFER | EXIT_CTL_LOAD_EFER |
			EXIT_CTL_SAVE_DEBUG,
			&f->exit, &missing))
		return vmx_missing(why, "VM-exit", missing);
	if (!vmx_adjust(t ? MSR_IA32_VMX_TRUE_ENTRY : MSR_IA32_VMX_ENTRY,
			ENTRY_CTL_LOAD_EFER | ENTRY_CTL_LOAD_DEBUG, &f->entry, &missing))
		return vmx_missing(why, "VM-entry", missing);
	/* Acknowledge-on-exit stays off: the host takes the interrupt itself. */
	f->exit &= ~EXIT_CTL_ACK_INTR;
	f->entry &= ~ENTRY_CTL_IA32E;
	{
		uint32_t e2, n2, m;

		f->pat = vmx_adjust(t ? MSR_IA32_VMX_TRUE_EXIT : MSR_IA32_VMX_EXIT,
				    f->exit | EXIT_CTL_SAVE_PAT | EXIT_CTL_LOAD_PAT, &e2, &m) &&
			 vmx_adjust(t ? MSR_IA32_VMX_TRUE_ENTRY : MSR_IA32_VMX_ENTRY,
				    f->entry | ENTRY_CTL_LOAD_PAT, &n2, &m);
		if (f->pat) {
			f->exit = e2 & ~EXIT_CTL_ACK_INTR;
			f->entry = n2 & ~ENTRY_CTL_IA32E;
		}
	}
	return 0;
}

static int vmx_probe_features(struct vmx_features *f, const char **why)
{
	struct cpuid_regs r;
	uint64_t fc;
	int err;

	cpuid(CPUID_LEAF_FEATURES, &r);
	if (!(r.ecx & CPUID_1_ECX_VMX)) {
		*why = "no VT-x (CPUID.1:ECX.VMX clear)";
		return -ENODEV;
	}
	fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if ((fc & FEATURE_CONTROL_LOCK) && !(fc & FEATURE_CONTROL_VMXON)) {
		*why = "VT-x disabled by the firmware (IA32_FEATURE_CONTROL locked without "
		       "VMXON outside SMX): enable VT-x in its setup";
		return -ENODEV;
	}
	err = vmx_probe_controls(f, why);
	if (err)
		return err;
	cpuid(CPUID_EXT_FEATURES, &r);
	f->guest_efer = EFER_BASE_BITS | ((r.edx & CPUID_80000001_EDX_NX) ? EFER_NXE : 0);
	f->ept_vpid_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	if (!(f->ept_vpid_cap & EPT_CAP_WALK4) || !(f->ept_vpid_cap & EPT_CAP_WB)) {
		*why = "EPT without 4-level walks or write-back paging structures";
		return -ENODEV;
	}
	if (!(f->ept_vpid_cap & EPT_CAP_INVEPT) ||
	    !(f->ept_vpid_cap & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL))) {
		*why = "EPT without INVEPT";
		return -ENODEV;
	}
	f->invept_single = f->ept_vpid_cap & EPT_CAP_INVEPT_SINGLE;
	f->ept_ad = f->ept_vpid_cap & EPT_CAP_AD;
	f->vpid = (f->proc2 & PROC2_VPID) && (f->ept_vpid_cap & VPID_CAP_INVVPID) &&
		  (f->ept_vpid_cap & (VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL));
	if (!f->vpid)
		f->proc2 &= ~PROC2_VPID;
	f->invvpid_single = f->ept_vpid_cap & VPID_CAP_INVVPID_SINGLE;
	f->unrestricted = f->proc2 & PROC2_UNRESTRICTED;
	f->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	f->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	f->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	f->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);

	f->phys_bits = cpuid_phys_bits();
	return 0;
}

static void vmx_report_features(const struct vmx_features *f)
{
	pr_info("vmx: VT-x revision %#x, %s controls, EPT (4 levels%s%s%s), "
		"%u-bit physical addresses", f->revision, f->true_ctls ? "true" : "default",
		(f->ept_vpid_cap & EPT_CAP_2M) ? ", 2M" : "",
		(f->ept_vpid_cap & EPT_CAP_1G) ? ", 1G" : "",
		f->ept_ad ? ", A/D" : "", f->phys_bits);
	pr_info("vmx: controls pin %#x proc %#x proc2 %#x exit %#x entry %#x",
		f->pin, f->proc, f->proc2, f->exit, f->entry);
	if (!f->unrestricted)
		pr_info("vmx: no unrestricted guest: real-mode guests cannot run");
	if (!f->vpid)
		pr_info("vmx: no VPID: the TLB is flushed on every VM entry and exit");
	if (!f->pat)
		pr_info("vmx: no load/save IA32_PAT: the guest PAT is kept in software");
	if (!(f->proc_may1 & PROC_MONITOR_TRAP_FLAG))
		pr_info("vmx: no monitor trap flag: a debugger's single steps use RFLAGS.TF");
	if (!(f->proc2 & PROC2_WBINVD_EXITING))
		pr_info("vmx: no WBINVD exiting: a guest's WBINVD flushes the caches other VMs share");
	if (f->ple)
		pr_info("vmx: PAUSE-loop exiting (gap %u, window %u cycles)",
			VMX_PLE_GAP, VMX_PLE_WINDOW);
	else if (f->pause_exiting)
		pr_info("vmx: no PAUSE-loop exiting: PAUSE exits only while a vCPU shares its CPU");
	else
		pr_info("vmx: no PAUSE exiting: a spinning vCPU keeps its CPU to the end of its slice");
	if (f->preempt_timer)
		pr_info("vmx: preemption timer (1 tick per %u TSC cycles) bounds every guest run",
			1u << f->preempt_rate);
	else
		pr_info("vmx: no preemption timer: only a host interrupt ends a guest's run");
}

static int vmx_probe(const char **why)
{
	if (vmx_probe_result > 0) {
		vmx_probe_result = vmx_probe_features(&vmx_features, &vmx_probe_why);
		if (vmx_probe_result == 0)
			vmx_report_features(&vmx_features);
	}
	if (vmx_probe_result)
		*why = vmx_probe_why;
	return vmx_probe_result;
}

int vmx_backend_probe(struct backend_caps *caps, const char **why)
{
	const struct vmx_features *f = &vmx_features;
	int err = vmx_probe(why);

	if (err)
		return err;
	*caps = (struct backend_caps){
		.tdp_format = BACKEND_TDP_EPT,
		.tdp_levels = 4,
		.tdp_large = ((f->ept_vpid_cap & EPT_CAP_2M) ? BACKEND_TDP_2M : 0) |
			     ((f->ept_vpid_cap & EPT_CAP_1G) ? BACKEND_TDP_1G : 0),
		.phys_bits = f->phys_bits,
		.insn_len_on_exit = true,
		.decode_assists = true,
		.tagged_tlb = f->vpid,
		.real_mode = f->unrestricted,
		.tsc_aux = f->proc2 & PROC2_RDTSCP,
		.pause_filtered = f->ple,
	};
	return 0;
}

/* ------------------------------------------------------------------------
 * Per-CPU enable
 */

/*
 * VMXON on the running CPU: IA32_FEATURE_CONTROL locked with VMXON
 * outside SMX (locking it so if the firmware left it open), CR0 and CR4
 * at their fixed bits, CR4.VMXE, a VMXON region with the revision id.
 * 0 (also if already on), -ENODEV without a probe, -EPERM if this CPU
 * has VT-x locked off, -ENOMEM, -EIO if VMXON fails; on error the CPU
 * is unchanged.
 */
int vmx_cpu_enable(void)
{
	unsigned int cpu = smp_processor_id();
	struct vmx_cpu *c = &vmx_cpus[cpu];
	const struct vmx_features *f = &vmx_features;
	uint64_t fc, cr0, cr4;
	unsigned long flags;
	int err;

	if (vmx_probe_result != 0)
		return -ENODEV;
	if (c->enabled)
		return 0;
	err = frame_alloc_zeroed(&c->vmxon_pa);
	if (err) {
		pr_err("vmx: CPU %u: no memory for the VMXON region", cpu);
		return err;
	}
	*(uint32_t *)phys_to_virt(c->vmxon_pa) = f->revision;

	flags = irq_save();
	fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (!(fc & FEATURE_CONTROL_LOCK)) {
		fc |= FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON;
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
	}
	if (!(fc & FEATURE_CONTROL_VMXON)) {
		irq_restore(flags);
		pr_err("vmx: CPU %u: VT-x disabled by the firmware (IA32_FEATURE_CONTROL)", cpu);
		frame_free(c->vmxon_pa);
		return -EPERM;
	}
	/* CR0.NE (and whatever else VMX fixes to 1): the host does not care. */
	cr0 = read_cr0();
	cr4 = read_cr4();
	if (cr0 & ~f->cr0_fixed1 & 0xffffffffull) {
		irq_restore(flags);
		pr_err("vmx: CPU %u: host CR0 %#llx has bits VMX requires clear", cpu,
		       (unsigned long long)cr0);
		frame_free(c->vmxon_pa);
		return -EIO;
	}
	write_cr0(cr0 | f->cr0_fixed0);
	write_cr4((cr4 | f->cr4_fixed0 | X86_CR4_VMXE) & (f->cr4_fixed1 | X86_CR4_VMXE));
	if (!vmx_vmxon(c->vmxon_pa)) {
		write_cr4(cr4);
		write_cr0(cr0);
		irq_restore(flags);
		pr_err("vmx: CPU %u: VMXON failed", cpu);
		frame_free(c->vmxon_pa);
		return -EIO;
	}
	/* Nothing is known about what the TLB holds for VPIDs and EPTPs. */
	vmx_invept(INVEPT_ALL, 0);
	if (f->vpid)
		vmx_invvpid(INVVPID_ALL, 0);
	c->current = NULL;
	c->live_owner = NULL;
	c->enabled = true;
	irq_restore(flags);
	return 0;
}

/* VMXOFF on the running CPU; no vCPU may be loaded here. */
void vmx_cpu_disable(void)
{
	struct vmx_cpu *c = &vmx_cpus[smp_processor_id()];
	unsigned long flags;

	if (!c->enabled)
		return;
	ASSERT(!c->current && !c->live_owner);
	flags = irq_save();
	vmx_vmxoff();
	write_cr4(read_cr4() & ~(uint64_t)X86_CR4_VMXE);
	c->enabled = false;
	irq_restore(flags);
	frame_free(c->vmxon_pa);
}
