# The monitor's inspection commands (pause, resume, regs, mem, vmem, walk,
# tdp, timers, devices, dirty, screen, and their error lines) on a rig VM whose vCPU
# loops run on the fake backend; the hex dump and unbacked bytes.
HOST_TESTS += test_monitor_vm
test_monitor_vm_SRCS = $(VCPU_RUN_TEST_SRCS) core/launch/monitor.c core/launch/line_edit.c \
	core/launch/console_mux.c core/launch/monitor_vm.c core/launch/monitor_mem.c \
	core/launch/monitor_screen.c
test_monitor_vm_SAN := asan tsan
