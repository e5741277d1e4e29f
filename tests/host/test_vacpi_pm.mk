# ACPI PM1 blocks, PM timer rate, S5 power-off, SCI and the 0xCF9 reset.
HOST_TESTS += test_vacpi_pm
test_vacpi_pm_SRCS := core/pc/dev/vacpi_pm.c
test_vacpi_pm_SAN := asan
