# The guest's ACPI tables, parsed back by the host's own ACPI parser.
HOST_TESTS += test_guest_acpi
test_guest_acpi_SRCS := core/pc/guest_acpi.c drivers/acpi.c drivers/acpi_madt.c
test_guest_acpi_SAN := asan
