/* SPDX-License-Identifier: MIT */
/*
 * Description: batches of NOPs of every size from 1 to the SQ ring size.
 * ENTER consumes the whole batch, every CQE has res 0, flags 0 and its
 * own user_data exactly once; a full SQ ring refuses get_sqe; the CQ ring
 * holds its full 2 * sq_entries without overflow.
 */
#include "t_helpers.h"

#define ENTRIES 32

static void submit_nops(struct aioring *ring, unsigned n, __u64 base)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct aioring_sqe *sqe = t_get_sqe(ring);

		aioring_prep_nop(sqe);
		aioring_sqe_set_data64(sqe, base + i);
	}
	t_submit(ring, (int)n);
}

/* Reap @n CQEs that must be exactly base .. base + n - 1, each once. */
static void reap_nops(struct aioring *ring, unsigned n, __u64 base)
{
	struct aioring_cqe cqes[2 * ENTRIES];
	unsigned char seen[2 * ENTRIES] = { 0 };
	unsigned i;

	t_reap(ring, cqes, n);
	for (i = 0; i < n; i++) {
		__u64 k = cqes[i].user_data - base;

		if (k >= n)
			t_fail("batch %llu+%u: unexpected user_data %llu",
			       (unsigned long long)base, n,
			       (unsigned long long)cqes[i].user_data);
		if (seen[k]++)
			t_fail("user_data %llu: CQE twice",
			       (unsigned long long)cqes[i].user_data);
		T_RES(cqes[i].res, 0);
		T_EQ(cqes[i].flags, 0);
	}
}

int main(void)
{
	struct aioring ring;
	unsigned n, i;
	__u64 base = 1000;

	t_require_device();
	t_ring_init(&ring, ENTRIES, 0);
	T_EQ(ring.sq.ring_entries, ENTRIES);
	T_EQ(ring.cq.ring_entries, 2 * ENTRIES);

	for (n = 1; n <= ENTRIES; n++) {
		submit_nops(&ring, n, base);
		reap_nops(&ring, n, base);
		base += n;
	}
	t_expect_no_cqe(&ring);

	/* A full SQ ring gives no more SQEs until it is submitted. */
	for (i = 0; i < ENTRIES; i++) {
		struct aioring_sqe *sqe = t_get_sqe(&ring);

		aioring_prep_nop(sqe);
		aioring_sqe_set_data64(sqe, base + i);
	}
	T_EQ(aioring_sq_space_left(&ring), 0);
	if (aioring_get_sqe(&ring))
		t_fail("aioring_get_sqe on a full SQ ring: expected NULL, got an SQE");
	t_submit(&ring, ENTRIES);
	/* The CQ ring takes a second batch without overflowing. */
	submit_nops(&ring, ENTRIES, base + ENTRIES);
	T_EQ(aioring_cq_ready(&ring), 2 * ENTRIES);
	T_CHECK(!aioring_cq_has_overflow(&ring));
	T_EQ(*ring.cq.koverflow, 0);
	reap_nops(&ring, 2 * ENTRIES, base);
	t_expect_no_cqe(&ring);
	T_EQ(*ring.sq.kdropped, 0);
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}
