/*
 * Inside the virtual PC (core/pc/vpc.h): the machine's object and its
 * per-vCPU part, shared by core/pc/vpc.c (building, ports, routing, device
 * pages), core/pc/vpc_vcpu.c (per-vCPU injection, INIT/SIPI, MSRs) and
 * KVM's paravirtual interface (vpc_kvmclock.c, vpc_pveoi.c). Nothing
 * outside those files includes it but the hosted tests.
 *
 * Locks: none of its own. The port map is written once before any vCPU
 * runs and read without a lock; every device takes its own lock
 * (docs/locking.md); the per-vCPU words follow the rules beside them.
 */
#ifndef CORE_PC_VPC_PRIV_H
#define CORE_PC_VPC_PRIV_H

#include "core/pc/dev/vacpi_pm.h"
#include "core/pc/dev/vdebug_exit.h"
#include "core/pc/dev/vdebugcon.h"
#include "core/pc/dev/vioapic.h"
#include "core/pc/dev/vkbc.h"
#include "core/pc/dev/vlapic.h"
#include "core/pc/dev/vpci.h"
#include "core/pc/dev/vpic.h"
#include "core/pc/dev/vpit.h"
#include "core/pc/dev/vrtc.h"
#include "core/pc/dev/vshutdown.h"
#include "core/pc/dev/vtestdev.h"
#include "core/pc/dev/vuart.h"
#include "core/pc/memmap.h"
#include "core/pc/vpc.h"
#include "core/pvclock.h"

#define VPC_MAX_RANGES   24
#define VPC_PORTS        65536

/* Where a vCPU of the virtual PC stands (INIT/SIPI protocol). */
enum vpc_mp_state {
	VPC_MP_RUNNABLE,
	VPC_MP_WAIT_SIPI,	/* after INIT: only a SIPI starts it */
};

/*
 * One vCPU's kvmclock (core/pc/vpc_kvmclock.c). Everything but tsc_offset
 * belongs to the vCPU's thread; tsc_offset and offset_known are written
 * there (offset first, then offset_known with release) and read by the
 * other vCPUs of the VM (acquire) for the stable bit.
 */
struct vpc_kvmclock {
	uint64_t system_time_msr;	/* MSR_KVM_SYSTEM_TIME_NEW as written */
	uint64_t wall_clock_msr;	/* MSR_KVM_WALL_CLOCK_NEW as written */
	bool on;			/* the structure at system_time_msr is kept */
	bool bad_logged;		/* one bad address was logged */
	uint32_t version, wall_version;
	uint64_t tsc_offset;		/* the backend's, at the last load */
	bool offset_known;		/* loaded at least once */
};

/*
 * One vCPU's PV EOI (core/pc/vpc_pveoi.c): the vCPU's thread's; msr, on
 * and taken are written there with relaxed atomics for the monitor's
 * dump, which reads them so.
 */
struct vpc_pv_eoi {
	uint64_t msr;			/* MSR_KVM_PV_EOI_EN as written */
	bool on;			/* the word at msr's address is used */
	bool armed;			/* its bit is set for the APIC's armed vector */
	bool bad_logged;		/* one bad address was logged */
	uint64_t taken;			/* EOIs the guest made through its word */
};

/*
 * One vCPU's part of the machine (vcpu->platform_data). lapic and vcpu
 * are fixed at creation. The pending words are set by any CPU with
 * atomics (state first, then the kick) and consumed by the vCPU's thread;
 * mp_state belongs to the vCPU's thread.
 */
struct vpc_vcpu {
	struct vcpu *vcpu;
	struct vlapic lapic;
	unsigned int mp_state;		/* enum vpc_mp_state */
	unsigned int init_pending;	/* an INIT arrived */
	unsigned int sipi_pending;	/* VPC_SIPI_VALID | vector */
	unsigned int nmi_pending;
	struct vpc_kvmclock kvmclock;
	struct vpc_pv_eoi pv_eoi;
};

struct vpc_range {
	uint16_t first, last;
	const struct vdev_io_ops *ops;
	void *dev;
	const char *name;
};

/* Port 0x80, the POST-code port: guests write it as a short delay. */
struct vpost {
	uint8_t last;
};

/* The machine (vm->platform_data). */
struct vpc {
	struct vm *vm;
	struct vpic pic;
	struct vpit pit;
	struct vrtc rtc;
	struct vuart com1, com2;
	struct vpci pci;
	struct vacpi_pm pm;
	struct vkbc kbc;
	struct vpost post;
	struct vshutdown shutdown;
	/* QEMU's test devices, claimed only when vpc_params asks for them: */
	struct vdebug_exit debug_exit;
	struct vdebugcon debugcon;
	struct vfw_cfg fw_cfg;
	struct vtestdev testdev;
	struct irq_line testdev_lines[VTESTDEV_NR_LINES];	/* line n: vpc_testdev_irq_set() */
	bool has_fw_cfg;
	struct vioapic ioapic;
	struct vapic_bus bus;
	struct vpc_vcpu *cpus;		/* one per vCPU */
	unsigned int nr_cpus;
	struct irq_line isa[16];	/* ISA IRQ n: PIC input n + IOAPIC pin */
	struct vdev_power power;	/* the VM's handler, for the devices */

	/* Fixed before the first vCPU runs; read without a lock. */
	struct vpc_range ranges[VPC_MAX_RANGES];
	unsigned int nr_ranges;
	uint8_t port_map[VPC_PORTS];	/* port -> range index + 1, 0: none */
	struct guest_ram_layout ram;	/* where RAM is: the rest is unbacked */
	bool unbacked_stop;		/* an unbacked access stops the VM */
	/*
	 * KVM's paravirtual interface (vms.cfg paravirt=kvm): the clock's
	 * zero (the PM timer's), the scale from the host's TSC rate, and
	 * whether the host's TSCs run in step (the stable bit's condition).
	 */
	bool kvm;
	bool host_tsc_stable;
	uint64_t clock_zero_ns;
	struct pvclock_scale tsc_scale;

	/*
	 * Bit n: region n of core/pc/memmap.h was logged once already (any
	 * vCPU, atomic fetch-or in pc_memmap_note_once()).
	 */
	unsigned int mem_logged;
};

static inline struct vpc *vpc_of(const struct vm *vm)
{
	return vm->platform_data;
}

static inline struct vpc_vcpu *vpc_vcpu_of(const struct vcpu *vcpu)
{
	return vcpu->platform_data;
}

/* Local APIC callbacks (core/pc/vpc_vcpu.c); ctx is the struct vcpu. */
extern const struct vlapic_ops vpc_lapic_ops;

/* The per-vCPU entries of the platform table (core/pc/vpc_vcpu.c). */
void vpc_inject_pending(struct vcpu *vcpu);
void vpc_exit_begin(struct vcpu *vcpu);
bool vpc_irq_pending(struct vcpu *vcpu);
bool vpc_vcpu_wake_pending(struct vcpu *vcpu);
bool vpc_vcpu_runnable(struct vcpu *vcpu);
bool vpc_vcpu_sipi_ready(struct vcpu *vcpu);
int vpc_rdmsr(struct vcpu *vcpu, uint32_t msr, uint64_t *val);
int vpc_wrmsr(struct vcpu *vcpu, uint32_t msr, uint64_t val);
void vpc_vcpu_dump(struct vcpu *vcpu, backend_print_fn print, void *ctx);

/* KVM's paravirtual clock (core/pc/vpc_kvmclock.c). */
void vpc_kvmclock_init(struct vpc *pc, bool on);
bool vpc_kvm_features(const struct vcpu *vcpu, uint32_t *features);
int vpc_kvmclock_rdmsr(struct vcpu *vcpu, uint32_t msr, uint64_t *val);
int vpc_kvmclock_wrmsr(struct vcpu *vcpu, uint32_t msr, uint64_t val);
void vpc_kvmclock_load(struct vcpu *vcpu);
void vpc_kvmclock_reset(struct vcpu *vcpu);
/* [gpa, gpa + len) lies in the guest's RAM (not the ROM, not a hole). */
bool vpc_ram_contains(const struct vpc *pc, uint64_t gpa, uint64_t len);

/* KVM's PV EOI (core/pc/vpc_pveoi.c). */
int vpc_pv_eoi_rdmsr(struct vcpu *vcpu, uint32_t msr, uint64_t *val);
int vpc_pv_eoi_wrmsr(struct vcpu *vcpu, uint32_t msr, uint64_t val);
void vpc_pv_eoi_sync(struct vcpu *vcpu);
void vpc_pv_eoi_arm(struct vcpu *vcpu);
void vpc_pv_eoi_reset(struct vcpu *vcpu);
void vpc_pv_eoi_dump(struct vcpu *vcpu, backend_print_fn print, void *ctx);

#endif
