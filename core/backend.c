/* The backend chosen at boot by backend_init() (core/backend.h). */
#include "asm/msr.h"
#include "core/backend.h"

const uint32_t backend_passthrough_msrs[BACKEND_PASSTHROUGH_MSRS] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR,
	MSR_CSTAR, MSR_SFMASK, MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
	MSR_IA32_SYSENTER_EIP,
};

const struct backend_ops *backend;
struct backend_caps backend_caps;
