# Memslots under concurrency: dirty-log harvests against markers and a
# mover, and eight faulting readers over a model TDP MMU against a writer
# (core/lib/rwlock.c for the model's lock).
HOST_TESTS += test_memslots_race
test_memslots_race_SRCS := core/memslots.c core/srcu.c core/lib/rwlock.c mm/heap.c mm/frame.c
test_memslots_race_SAN := asan tsan
