/*
 * The console monitor's `trace` command (core/launch/monitor_trace.c):
 * a vCPU's last exits from its flight recorder. Boot CPU only.
 */
#ifndef CORE_LAUNCH_MONITOR_TRACE_H
#define CORE_LAUNCH_MONITOR_TRACE_H

/* `trace NAME VCPU [N]`; a bad argument is one error line. */
void monitor_trace_cmd(const char *args);

/* Adds the command to the monitor; monitor_register()'s result. */
int monitor_trace_register(void);

#endif
