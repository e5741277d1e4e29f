# Epoch read side vs a shared rwlock's read side around one memslot
# lookup, 1 to 16 threads.
BENCHES += bench_srcu
bench_srcu_SRCS := core/srcu.c core/memslots.c core/lib/rwlock.c mm/heap.c mm/frame.c
