/*
 * MMIO instruction emulation: decoding and executing the one guest
 * instruction that touched a device register.
 *
 * A guest access to a guest-physical address that a device claims (the
 * local APIC page, the IOAPIC window) exits as a TDP fault that names the
 * address but not the instruction. The exit path fetches up to 15 bytes
 * at CS.base + RIP, mmio_decode() says what the instruction does, and
 * mmio_emulate() performs its memory access through the device's struct
 * vdev_mmio_ops and updates the registers as the CPU would have.
 *
 * Only the forms guests use on device registers are emulated (see
 * mmio_decode()); everything else is refused so that the caller stops the
 * VM with a message naming the bytes (mmio_format_bytes()). Effective
 * addresses are not computed: the fault gave the address, and the ModRM,
 * SIB and displacement are parsed only for the length.
 *
 * Where it runs: mmio_decode() and mmio_format_bytes() are pure functions
 * of their arguments and run anywhere. mmio_emulate() runs on the vCPU's
 * own thread (the only one that touches its struct guest_regs), with no
 * lock held on entry: it takes none itself, and the device handlers it
 * calls take the device's own lock.
 *
 * Decoding follows the AMD64 APM vol. 3 and the Intel SDM vol. 2.
 */
#ifndef CORE_MMIO_EMUL_H
#define CORE_MMIO_EMUL_H

#include "core/guest_state.h"
#include "asm/cpu.h"
#include "core/lib/compiler.h"
#include "core/pc/dev/vdev.h"


/* What the instruction computes. */
enum mmio_op {
	MMIO_OP_MOV,		/* MOV, MOVZX, MOVSX, MOVNTI: dst = src */
	MMIO_OP_XCHG,		/* memory and register swap */
	MMIO_OP_ADD,
	MMIO_OP_OR,
	MMIO_OP_AND,
	MMIO_OP_SUB,
	MMIO_OP_XOR,
	MMIO_OP_CMP,		/* SUB that writes only the flags */
	MMIO_OP_TEST,		/* AND that writes only the flags */
	MMIO_OP_NR
};

/* What happens to the device register. */
enum mmio_dir {
	MMIO_DIR_READ,		/* one read (loads, CMP and TEST) */
	MMIO_DIR_WRITE,		/* one write (stores) */
	MMIO_DIR_RMW,		/* a read, then a write of the same size */
};

/* Where an operand is. */
enum mmio_operand {
	MMIO_OPND_MEM,		/* the device register at the faulting address */
	MMIO_OPND_REG,		/* insn.reg (and reg_high) */
	MMIO_OPND_IMM,		/* insn.imm */
};

/* How a narrower memory source widens into the register (MOVZX/MOVSX). */
enum mmio_ext {
	MMIO_EXT_NONE,
	MMIO_EXT_ZERO,
	MMIO_EXT_SIGN,
};

/* A decoded instruction; filled by mmio_decode(), read by mmio_emulate(). */
struct mmio_insn {
	uint8_t len;		/* total length in bytes, 1-15 */
	uint8_t op;		/* enum mmio_op */
	uint8_t dir;		/* enum mmio_dir */
	uint8_t dst;		/* enum mmio_operand: MEM or REG */
	uint8_t src;		/* enum mmio_operand: MEM, REG or IMM */
	uint8_t size;		/* memory access size: 1, 2, 4 or 8 */
	uint8_t reg_size;	/* register operand size: size, or wider with ext */
	uint8_t ext;		/* enum mmio_ext */
	uint8_t reg;		/* GPR_* of the register operand, if any (else 0) */
	bool reg_high;		/* reg names AH/CH/DH/BH: bits 15:8 of gpr[reg] */
	bool lock;		/* had a LOCK prefix (accepted, no effect here) */
	uint8_t code_bits;	/* 16, 32 or 64: the mode it was decoded in */
	uint64_t imm;		/* src == MMIO_OPND_IMM: sign-extended to 64 bits */
};

/*
 * Decodes the instruction at bytes[0], of which avail are readable, as
 * code of code_bits (16, 32 or 64; guest_mode_code_bits()). Never reads
 * beyond avail bytes or beyond 15. Returns 0 with *out filled, or
 *   -EAGAIN  the bytes end before the instruction does (fetch more),
 *   -E2BIG   it would be longer than 15 bytes (the CPU raises #GP),
 *   -EINVAL  not a form emulated here: anything but the forms below, a
 *            register-only ModRM (no memory operand), REP/REPNE, LOCK
 *            where the CPU raises #UD, code_bits not 16/32/64.
 * *out is unspecified on error.
 *
 * Forms: MOV 88-8B, A0-A3 (moffs), C6/C7 /0; MOVZX 0F B6/B7; MOVSX 0F
 * BE/BF; MOVNTI 0F C3; XCHG 86/87; ADD/OR/AND/SUB/XOR/CMP 00-03, 08-0B,
 * 20-23, 28-2B, 30-33, 38-3B and group 1 (80, 81, 83: /0 /1 /4 /5 /6 /7);
 * TEST 84/85 and F6/F7 /0. Prefixes: 66, 67, segment overrides, REX, and
 * LOCK on XCHG and on the ALU forms with a memory destination.
 */
int mmio_decode(const uint8_t *bytes, size_t avail, unsigned int code_bits,
		struct mmio_insn *out);

/*
 * Executes insn, decoded by mmio_decode(), whose memory operand is the
 * device register at gpa: insn->size bytes read and/or written through
 * ops (dir says which; a read before the write). Then, as the CPU would:
 * the destination register written (8- and 16-bit writes keep the other
 * bits, 32-bit writes clear bits 63:32), CF/PF/AF/ZF/SF/OF set for ADD,
 * OR, AND, SUB, XOR, CMP and TEST (AF cleared by the logical ones, where
 * the manuals leave it undefined), RFLAGS.RF cleared, and RIP advanced by
 * insn->len (wrapping at 32 bits outside 64-bit mode).
 *
 * Returns 0, or the device handler's negative errno (-ENOSYS for a NULL
 * handler) with regs unchanged; in an RMW the device has then seen the
 * read. Single-step traps (RFLAGS.TF) are the caller's business.
 */
int mmio_emulate(struct guest_regs *regs, const struct mmio_insn *insn, uint64_t gpa,
		 const struct vdev_mmio_ops *ops, void *dev);

/*
 * Writes the len bytes as lowercase hex pairs separated by single spaces
 * ("0f 01 d9") into buf of size n, NUL-terminated when n > 0, only whole
 * pairs. Returns the number of characters written, without the NUL.
 */
int mmio_format_bytes(char *buf, size_t n, const uint8_t *bytes, size_t len);

/* Mnemonic of an operation ("mov", "or"), "?" if unknown. */
const char *mmio_op_name(unsigned int op);

#endif
