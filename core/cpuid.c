/*
 * The CPUID policy: what a guest sees, decided in one place. Host values
 * pass through where the hypervisor has nothing to hide; features it does
 * not virtualise are cleared; the hypervisor bit and a vendor leaf name
 * this hypervisor. Runs on the vCPU's CPU (host CPUID is executed there).
 */
#include "asm/cpu.h"
#include "asm/tsc.h"
#include "core/vcpu_run.h"

/*
 * MTRRs are not virtualised (MTRRcap reads 0, so they are hidden too);
 * machine check is, as a bank-less MCA (MCG_CAP = 0, core/vcpu_exit.c).
 */
#define CPUID_EDX_HIDDEN      CPUID_1_EDX_MTRR
/*
 * RDTSCP and RDPID (CPUID_80000001_EDX_RDTSCP, CPUID_7_ECX_RDPID) read
 * IA32_TSC_AUX, which neither backend switches per vCPU: hidden, so that
 * a guest neither writes it nor trusts it.
 */

#define CPUID_MAX_BASIC       0xd
#define CPUID_HV_BASE         0x40000000
#define CPUID_HV_VERSION_LEAF 0x40000001
/* The timing leaf (as VMware and KVM define it): EAX TSC kHz, EBX APIC bus kHz. */
#define CPUID_HV_TIMING       0x40000010
#define CPUID_HV_MAX          CPUID_HV_TIMING
#define HV_APIC_BUS_KHZ       1000000	/* core/pc/dev/vlapic.c: 1 GHz */
#define HV_CPUID_VERSION      0x00000100	/* 0.1 */

/* "MicroHVisor" + NUL, as EBX, ECX, EDX of leaf 0x40000000. */
static const char hv_signature[12] = "MicroHVisor";

void cpuid_policy(const struct vcpu *vcpu, uint32_t leaf, uint32_t subleaf,
		  uint32_t out[4])
{
	struct cpuid_regs r = { 0 };

	if (leaf >= CPUID_HV_BASE && leaf <= CPUID_HV_BASE + 0xff) {
		out[0] = out[1] = out[2] = out[3] = 0;
		if (leaf == CPUID_HV_BASE) {
			out[0] = CPUID_HV_MAX;
			__builtin_memcpy(&out[1], hv_signature, 12);
		} else if (leaf == CPUID_HV_VERSION_LEAF) {
			out[0] = HV_CPUID_VERSION;
		} else if (leaf == CPUID_HV_TIMING) {
			out[0] = (uint32_t)(tsc_hz / 1000);
			out[1] = HV_APIC_BUS_KHZ;
		}
		return;
	}
	cpuid_count(leaf, subleaf, &r);
	switch (leaf) {
	case 0:
		r.eax = MIN(r.eax, (uint32_t)CPUID_MAX_BASIC);
		break;
	case 1:
		r.ecx &= ~(CPUID_1_ECX_MONITOR | CPUID_1_ECX_VMX | CPUID_1_ECX_SMX |
			   CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DL | CPUID_1_ECX_XSAVE |
			   CPUID_1_ECX_OSXSAVE | CPUID_1_ECX_AVX);
		r.ecx |= CPUID_1_ECX_HYPERVISOR;
		r.edx &= ~CPUID_EDX_HIDDEN;
		/* Initial APIC id = vCPU index; logical count = the VM's vCPUs. */
		r.ebx = (r.ebx & 0x0000ffff) | (vcpu->id << 24) |
			((vm_nr_vcpus(vcpu->vm) & 0xff) << 16);
		break;
	case 5:		/* MONITOR/MWAIT: hidden */
	case 6:		/* power management */
	case 0xa:	/* performance counters */
		r.eax = r.ebx = r.ecx = r.edx = 0;
		break;
	case 7:
		if (subleaf != 0)
			break;
		r.ebx &= ~(BIT(5) | BIT(16) | BIT(17) | BIT(28) | BIT(30) | BIT(31));	/* AVX2, AVX-512 */
		r.ecx &= ~CPUID_7_ECX_RDPID;
		break;
	case 0xd:	/* XSAVE state: hidden with XSAVE */
		r.eax = r.ebx = r.ecx = r.edx = 0;
		break;
	case 0x80000001:
		r.ecx &= ~CPUID_80000001_ECX_SVM;
		r.edx &= ~(CPUID_EDX_HIDDEN | CPUID_80000001_EDX_RDTSCP);	/* AMD repeats leaf 1's bits here */
		break;
	case 0x8000000a:	/* SVM features: none for the guest */
		r.eax = r.ebx = r.ecx = r.edx = 0;
		break;
	default:
		if (leaf > CPUID_MAX_BASIC && leaf < 0x80000000)
			r.eax = r.ebx = r.ecx = r.edx = 0;
		break;
	}
	out[0] = r.eax;
	out[1] = r.ebx;
	out[2] = r.ecx;
	out[3] = r.edx;
}
