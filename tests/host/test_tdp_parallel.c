/*
 * Hosted stress test of parallel TDP faults (mm/tdp_mmu.c): eight vCPU
 * threads fault under mmu_lock for read.
 *
 * Scenario: two memslots, one 2 MiB-aligned (2 MiB leaves) and one not
 * (4 KiB leaves). In the first case each vCPU touches its own pages; in
 * the second all vCPUs touch the same pages, each in its own seeded order
 * with random access kinds, so that table installs and leaf installs
 * race. Every access that goes through must land on the frame the slot
 * says; each page (or 2 MiB block) is installed exactly once, the other
 * faults finding it done; the tables in the tree are exactly those the
 * MMU counts as allocated and not freed (a loser's table frame went
 * back), and at teardown every frame is back. Both encodings.
 */
#include "tests/host/test_tdp_harness.h"

#define NR_VCPUS     8
#define ALIGNED_GFN  0x10000	/* slot 1: 2 MiB-aligned, 4 blocks */
#define ALIGNED_NR   2048
#define ALIGNED_HOST 0		/* guest RAM page of its first gfn */
#define SMALL_GFN    0x20001	/* slot 2: host off by a page */
#define SMALL_NR     4096
#define SMALL_HOST   2560
#define SAME_NR      1024	/* pages of slot 2 every vCPU touches */
#define MAX_PAGES    (ALIGNED_NR + SAME_NR)

static const struct spte_format *const formats[] = {
	&spte_format_ept,
	&spte_format_npt,
};

static const unsigned int kinds[] = {
	TDP_ACC_READ, TDP_ACC_WRITE, TDP_ACC_EXEC,
	TDP_ACC_READ | TDP_ACC_WRITE,
};

struct job {
	gfn_t pages[MAX_PAGES];
	unsigned int nr;
	unsigned long errors;
	unsigned long accesses;
};

static struct job jobs[NR_VCPUS];

static void setup_slots(void)
{
	CHECK_EQ(memslots_create(&th.slots, 1, ALIGNED_GFN, ALIGNED_NR,
				 th_guest_page(ALIGNED_HOST), 0), 0);
	CHECK_EQ(memslots_create(&th.slots, 2, SMALL_GFN, SMALL_NR,
				 th_guest_page(SMALL_HOST), 0), 0);
}

/* Host address the slots give gpa. */
static paddr_t expected_hpa(uint64_t gpa)
{
	gfn_t gfn = gpa >> PAGE_SHIFT;
	uint64_t off = gpa & (PAGE_SIZE - 1);

	if (gfn >= ALIGNED_GFN && gfn < ALIGNED_GFN + ALIGNED_NR)
		return th_guest_page(ALIGNED_HOST + gfn - ALIGNED_GFN) + off;
	return th_guest_page(SMALL_HOST + gfn - SMALL_GFN) + off;
}

static void shuffle(struct th_vcpu *v, gfn_t *pages, unsigned int n)
{
	unsigned int i;

	for (i = n - 1; i > 0; i--) {
		unsigned int j = rand_next(&v->rng) % (i + 1);
		gfn_t t = pages[i];

		pages[i] = pages[j];
		pages[j] = t;
	}
}

static void vcpu_fn(struct th_vcpu *v, void *arg)
{
	struct job *job = arg;
	unsigned int i;

	shuffle(v, job->pages, job->nr);
	for (i = 0; i < job->nr; i++) {
		uint64_t gpa = (job->pages[i] << PAGE_SHIFT) |
			       (rand_next(&v->rng) & 0xff8);
		unsigned int access = kinds[rand_next(&v->rng) % 4];
		paddr_t hpa = 0;

		if (th_access(v, gpa, access, &hpa) != TDP_FAULT_FIXED ||
		    hpa != expected_hpa(gpa))
			job->errors++;
		job->accesses++;
	}
}

static void run_vcpus(void)
{
	struct th_thread t[NR_VCPUS];
	unsigned int i;

	for (i = 0; i < NR_VCPUS; i++)
		th_thread_start(&t[i], &th.vcpu[i], vcpu_fn, &jobs[i]);
	th_threads_go();
	for (i = 0; i < NR_VCPUS; i++)
		th_thread_join(&t[i]);
	for (i = 0; i < NR_VCPUS; i++) {
		CHECK_EQ(jobs[i].errors, 0);
		CHECK_EQ(jobs[i].accesses, jobs[i].nr);
	}
}

static void check_tree(void)
{
	struct tdp_mmu_stats st;

	tdp_mmu_stats_read(&th.mmu, &st);
	CHECK_EQ(st.pages_allocated - st.pages_freed, th_count_tables());
	CHECK_EQ(st.faults_retried, 0);
}

/* Each vCPU its own pages: 4 KiB pages of slot 2, 1/8 each. */
static void distinct_addresses(void)
{
	unsigned int f, i, k;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		struct tdp_mmu_stats st;

		th_setup(formats[f], TDP_LEVEL_1G, NR_VCPUS);
		setup_slots();
		for (i = 0; i < NR_VCPUS; i++) {
			jobs[i] = (struct job){ .nr = SMALL_NR / NR_VCPUS };
			for (k = 0; k < jobs[i].nr; k++)
				jobs[i].pages[k] = SMALL_GFN + i * jobs[i].nr + k;
		}
		run_vcpus();
		tdp_mmu_stats_read(&th.mmu, &st);
		CHECK_EQ(st.faults_fixed, SMALL_NR);
		CHECK_EQ(st.faults_spurious, 0);
		CHECK_EQ(tdp_mmu_count_leaves(&th.mmu, SMALL_GFN,
					      SMALL_GFN + SMALL_NR), SMALL_NR);
		/* Root, PDPT, PD, and the 9 page tables the slot spans. */
		CHECK_EQ(th_count_tables(), 3 + 9);
		check_tree();
		th_teardown();
	}
}

/* Every vCPU the same pages: 2 MiB blocks of slot 1 and pages of slot 2. */
static void same_addresses(void)
{
	unsigned int f, i, k;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		struct tdp_mmu_stats st;

		th_setup(formats[f], TDP_LEVEL_1G, NR_VCPUS);
		setup_slots();
		for (i = 0; i < NR_VCPUS; i++) {
			jobs[i] = (struct job){ .nr = MAX_PAGES };
			for (k = 0; k < ALIGNED_NR; k++)
				jobs[i].pages[k] = ALIGNED_GFN + k;
			for (k = 0; k < SAME_NR; k++)
				jobs[i].pages[ALIGNED_NR + k] = SMALL_GFN + 700 + k;
		}
		run_vcpus();
		tdp_mmu_stats_read(&th.mmu, &st);
		/* One install per page and per 2 MiB block: one winner. */
		CHECK_EQ(st.faults_fixed, SAME_NR + ALIGNED_NR / 512);
		CHECK_EQ(tdp_mmu_count_leaves(&th.mmu, ALIGNED_GFN,
					      ALIGNED_GFN + ALIGNED_NR),
			 ALIGNED_NR / 512);
		CHECK_EQ(tdp_mmu_count_leaves(&th.mmu, SMALL_GFN,
					      SMALL_GFN + SMALL_NR), SAME_NR);
		/* Root, PDPT, PD (both slots in the first GiB), 3 PTs. */
		CHECK_EQ(th_count_tables(), 3 + 3);
		check_tree();
		th_teardown();
	}
}

int main(void)
{
	th_boot();
	RUN(distinct_addresses);
	RUN(same_addresses);
	return check_done();
}
