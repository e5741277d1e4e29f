# The ACPI PM timer's read: the block's locked port handler against the
# lock-free read the port dispatch tries first.
BENCHES += bench_pm_tmr
bench_pm_tmr_SRCS := core/pc/dev/vacpi_pm.c
