# ACPI table discovery against synthetic firmware tables with one thing
# broken each: refused, skipped, never read past.
HOST_TESTS += test_acpi_reject
test_acpi_reject_SRCS := drivers/acpi.c drivers/acpi_madt.c
test_acpi_reject_SAN := asan
