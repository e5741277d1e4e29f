# Virtual 16550A UART through its port handlers: register read-back,
# transmit order, receive FIFO, trigger levels and IIR priorities, IER
# masking, OUT2 gating, the THRE interrupt and Linux's 8250 autoconfig,
# loopback, FIFO reset, and the irq line under four racing vCPUs.
HOST_TESTS += test_vuart
test_vuart_SRCS := core/pc/dev/vuart.c
test_vuart_SAN := asan
