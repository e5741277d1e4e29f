# A PCI scan's config cycles: the config space's locked port handlers
# against the lock-free path the port dispatch tries first.
BENCHES += bench_vpci
bench_vpci_SRCS := core/pc/dev/vpci.c
