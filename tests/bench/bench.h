/*
 * Helpers for the hosted benchmarks (tests/bench/). A benchmark runs its
 * variants side by side in one process, several rounds interleaved, and
 * prints throughputs and their ratios; it never asserts a speed.
 */
#ifndef TESTS_BENCH_H
#define TESTS_BENCH_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of v[0..n) (sorts v). */
static inline double bench_median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return v[n / 2];
}

/* Thread counts to measure: 1, 2, 4, 8, 16 (BENCH_MAX_THREADS caps them). */
static inline unsigned int bench_max_threads(void)
{
	const char *s = getenv("BENCH_MAX_THREADS");
	long v = s ? strtol(s, NULL, 10) : 16;

	return v > 0 && v <= 256 ? (unsigned int)v : 16;
}

static inline long bench_host_cpus(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN);
}

/*
 * Runs fn(arg_i) on n threads released together; returns the wall time
 * from release to the last thread's end.
 */
struct bench_thread {
	pthread_t tid;
	unsigned int index;
	void *arg;
	void (*fn)(struct bench_thread *t);
	pthread_barrier_t *start;
	uint64_t ops;
};

static inline void *bench_thread_main(void *p)
{
	struct bench_thread *t = p;

	pthread_barrier_wait(t->start);
	t->fn(t);
	return NULL;
}

static inline double bench_run_threads(struct bench_thread *ts, unsigned int n)
{
	pthread_barrier_t start;
	double t0;
	unsigned int i;

	pthread_barrier_init(&start, NULL, n + 1);
	for (i = 0; i < n; i++) {
		ts[i].index = i;
		ts[i].start = &start;
		ts[i].ops = 0;
		pthread_create(&ts[i].tid, NULL, bench_thread_main, &ts[i]);
	}
	/*
	 * Taken before the release: after it, this thread may be descheduled
	 * while the workers run, and the time would come out too short.
	 */
	t0 = bench_now();
	pthread_barrier_wait(&start);
	for (i = 0; i < n; i++)
		pthread_join(ts[i].tid, NULL);
	pthread_barrier_destroy(&start);
	return bench_now() - t0;
}

#endif
