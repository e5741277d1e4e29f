# ACPI table discovery against synthetic, well-formed firmware tables.
HOST_TESTS += test_acpi
test_acpi_SRCS := drivers/acpi.c drivers/acpi_madt.c
test_acpi_SAN := asan
