/*
 * What the parts of the GDB stub share: replies, argument parsing, and
 * the packet handlers of the thread and run control (gdb_run.c),
 * register (gdb_regs.c) and memory (gdb_mem.c) files. Poll context only
 * (core/debug/gdb_stub.h).
 */
#ifndef CORE_DEBUG_GDB_INTERNAL_H
#define CORE_DEBUG_GDB_INTERNAL_H

#include "core/debug/gdb_stub.h"

/* A packet's payload: bytes [p, end), NUL-terminated at end. */
struct gdb_pkt {
	const char *p;
	const char *end;
};

/* Replies: begin, append, send. An append that does not fit sends E07. */
void gdb_reply_begin(struct gdb_stub *s);
void gdb_reply_mem(struct gdb_stub *s, const void *buf, size_t len);
void gdb_reply_str(struct gdb_stub *s, const char *str);
void gdb_reply_hex(struct gdb_stub *s, const void *buf, size_t len);
void gdb_reply_send(struct gdb_stub *s);
/* Whole replies: a string, "OK", "E nn" for a negative errno. */
void gdb_reply(struct gdb_stub *s, const char *str);
void gdb_reply_error(struct gdb_stub *s, int err);

/* Parsing: each advances pkt->p past what it took, false on bad input. */
bool gdb_parse_hex(struct gdb_pkt *pkt, uint64_t *v);
bool gdb_parse_char(struct gdb_pkt *pkt, char c);
/* Hex byte pairs into buf: exactly len bytes, and nothing may follow. */
bool gdb_parse_hex_bytes(struct gdb_pkt *pkt, uint8_t *buf, size_t len);
int gdb_hex_digit(int c);

/* The thread for registers and memory: the H g one, else the stopped one. */
unsigned int gdb_thread_g(struct gdb_stub *s);
/* Thread t is one the target has and runs. */
bool gdb_thread_valid(struct gdb_stub *s, uint64_t t);

/* gdb_run.c */
void gdb_handle_set_thread(struct gdb_stub *s, struct gdb_pkt *pkt);
void gdb_handle_thread_alive(struct gdb_stub *s, struct gdb_pkt *pkt);
void gdb_reply_thread_list(struct gdb_stub *s);
void gdb_handle_query_stop(struct gdb_stub *s);
void gdb_handle_continue(struct gdb_stub *s, struct gdb_pkt *pkt, bool step);
void gdb_handle_vcont(struct gdb_stub *s, struct gdb_pkt *pkt);
/* Asks the target to stop; the stop reply goes out when its stop comes. */
void gdb_request_stop(struct gdb_stub *s, enum gdb_wait why);
/* Sends the stop the target reported, if one waits and the target ran. */
void gdb_deliver_stop(struct gdb_stub *s);

/* gdb_regs.c */
int gdb_xml_build(struct gdb_stub *s);
void gdb_handle_read_regs(struct gdb_stub *s);
void gdb_handle_write_regs(struct gdb_stub *s, struct gdb_pkt *pkt);
void gdb_handle_read_reg(struct gdb_stub *s, struct gdb_pkt *pkt);
void gdb_handle_write_reg(struct gdb_stub *s, struct gdb_pkt *pkt);
/* Sets RIP of thread t (c/s with an address); checked like a P. */
int gdb_set_rip(struct gdb_stub *s, unsigned int t, uint64_t rip);

/* gdb_mem.c */
void gdb_handle_read_mem(struct gdb_stub *s, struct gdb_pkt *pkt);
void gdb_handle_write_mem(struct gdb_stub *s, struct gdb_pkt *pkt);
void gdb_handle_write_mem_bin(struct gdb_stub *s, struct gdb_pkt *pkt);
void gdb_handle_breakpoint(struct gdb_stub *s, struct gdb_pkt *pkt, bool insert);
/* Restores every guest byte under an INT3 and empties the table. */
int gdb_swbreak_remove_all(struct gdb_stub *s);

#endif
