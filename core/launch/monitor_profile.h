/*
 * The console monitor's `profile` command (core/launch/monitor_profile.c):
 * where a VM's exits come from, by guest RIP and reason. Boot CPU only.
 */
#ifndef CORE_LAUNCH_MONITOR_PROFILE_H
#define CORE_LAUNCH_MONITOR_PROFILE_H

/* `profile NAME [SECONDS]`; a bad argument is one error line. */
void monitor_profile_cmd(const char *args);

/* The monitor's periodic step: samples a profile in progress, ends it. */
void monitor_profile_tick(void);

/* Adds the command to the monitor; monitor_register()'s result. */
int monitor_profile_register(void);

#endif
