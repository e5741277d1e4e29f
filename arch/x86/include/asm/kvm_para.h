/*
 * KVM's paravirtual ABI, the part this hypervisor offers (docs/platform.md,
 * "The paravirtual clock" and "PV EOI"): the CPUID signature and feature
 * bits, the kvmclock MSRs and the two structures they place in guest
 * memory, and the PV EOI MSR with its word. The
 * values are Linux's (Documentation/virt/kvm/x86/cpuid.rst and msr.rst,
 * arch/x86/include/asm/pvclock-abi.h), which guests already know.
 */
#ifndef ASM_KVM_PARA_H
#define ASM_KVM_PARA_H

#include "core/lib/compiler.h"

/* "KVMKVMKVM\0\0\0" as EBX, ECX, EDX of the signature leaf (little-endian). */
#define KVM_SIGNATURE_EBX            0x4b4d564bu	/* "KVMK" */
#define KVM_SIGNATURE_ECX            0x564b4d56u	/* "VMKV" */
#define KVM_SIGNATURE_EDX            0x0000004du	/* "M\0\0\0" */
/* Leaves as offsets from the base where the signature is found. */
#define KVM_CPUID_SIGNATURE_OFF      0x0
#define KVM_CPUID_FEATURES_OFF       0x1

/* The feature leaf's EAX. */
#define KVM_FEATURE_CLOCKSOURCE      BIT(0)	/* MSRs 0x11/0x12: not offered */
#define KVM_FEATURE_CLOCKSOURCE2     BIT(3)	/* MSRs 0x4b564d00/01 */
#define KVM_FEATURE_PV_EOI           BIT(6)	/* MSR 0x4b564d04 */
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT BIT(24)

#define MSR_KVM_WALL_CLOCK           0x00000011
#define MSR_KVM_SYSTEM_TIME          0x00000012
#define MSR_KVM_WALL_CLOCK_NEW       0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW      0x4b564d01
#define   KVM_SYSTEM_TIME_ENABLE     BIT_ULL(0)
#define MSR_KVM_PV_EOI_EN            0x4b564d04
#define   KVM_PV_EOI_EN_ENABLE       BIT_ULL(0)	/* the rest: a 4-byte aligned address */
#define KVM_PV_EOI_ALIGN             4

/*
 * PV EOI: bit 0 of the guest's word, set by the hypervisor while the
 * guest may retire its one in-service interrupt by clearing it (with one
 * instruction, test-and-clear) instead of writing the EOI register.
 */
#define KVM_PV_EOI_PENDING           BIT(0)

/* pvclock_vcpu_time_info.flags */
#define PVCLOCK_TSC_STABLE_BIT       BIT(0)
#define PVCLOCK_GUEST_STOPPED        BIT(1)

/*
 * One vCPU's time, in guest memory: ns = system_time +
 * scale(guest TSC - tsc_timestamp), scale as pvclock_scale_delta()
 * (core/pvclock.h) computes it. The writer makes version odd before it
 * changes the rest and even again after; a reader retries while version
 * is odd or has changed across its read.
 */
struct pvclock_vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __packed;
_Static_assert(sizeof(struct pvclock_vcpu_time_info) == 32, "pvclock_vcpu_time_info: 32 bytes");
_Static_assert(offsetof(struct pvclock_vcpu_time_info, system_time) == 16,
	      "pvclock_vcpu_time_info.system_time at 16");
_Static_assert(offsetof(struct pvclock_vcpu_time_info, tsc_shift) == 28,
	      "pvclock_vcpu_time_info.tsc_shift at 28");

/* The wall clock at the guest's system_time 0, with the same version protocol. */
struct pvclock_wall_clock {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
} __packed;
_Static_assert(sizeof(struct pvclock_wall_clock) == 12, "pvclock_wall_clock: 12 bytes");

#endif
