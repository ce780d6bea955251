/* SPDX-License-Identifier: MIT */
/*
 * Description: an SQ ring slot holding an index >= sq_entries. The slot is
 * consumed and counted in ENTER's return value, the SQ ring's dropped
 * counter goes up by one per bad slot, and each posts a CQE with user_data
 * AIORING_DROPPED_USER_DATA and res -ERANGE; the valid slots around them
 * complete normally.
 */
#include "t_helpers.h"

#define ENTRIES 8

/* Put raw index values in the SQ ring's array and publish them. */
static void publish(struct aioring *ring, const unsigned *idx, unsigned n)
{
	unsigned tail = *ring->sq.ktail, i;

	for (i = 0; i < n; i++)
		ring->sq.array[(tail + i) & ring->sq.ring_mask] = idx[i];
	aioring_smp_store_release(ring->sq.ktail, tail + n);
	/* Keep the library's view in step with the raw tail. */
	ring->sq.sqe_head = ring->sq.sqe_tail = tail + n;
}

static void nop_at(struct aioring *ring, unsigned slot, __u64 user_data)
{
	struct aioring_sqe *sqe = &ring->sq.sqes[slot];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = AIORING_OP_NOP;
	sqe->user_data = user_data;
}

int main(void)
{
	static const unsigned idx[] = { 0, ENTRIES, 0xffffffffU, 1, ENTRIES + 1 };
	struct aioring_cqe cqes[T_ARRAY_SIZE(idx)];
	struct aioring ring;
	unsigned i, head, dropped_cqes = 0, seen1 = 0, seen2 = 0;
	int ret;

	t_require_device();
	t_ring_init(&ring, ENTRIES, 0);
	T_EQ(*ring.sq.kdropped, 0);

	nop_at(&ring, 0, 1);
	nop_at(&ring, 1, 2);
	head = *ring.sq.khead;
	publish(&ring, idx, T_ARRAY_SIZE(idx));
	ret = aioring_enter(ring.ring_fd, T_ARRAY_SIZE(idx), 0, 0, NULL, NULL, 0);
	if (ret != (int)T_ARRAY_SIZE(idx))
		t_fail("enter with 2 valid and 3 out-of-range slots: expected %zu consumed, got %s",
		       T_ARRAY_SIZE(idx), t_resname(ret));
	T_EQ(*ring.sq.khead, head + T_ARRAY_SIZE(idx));
	T_EQ(*ring.sq.kdropped, 3);

	t_reap(&ring, cqes, T_ARRAY_SIZE(idx));
	for (i = 0; i < T_ARRAY_SIZE(idx); i++) {
		if (cqes[i].user_data == AIORING_DROPPED_USER_DATA) {
			T_RES(cqes[i].res, -ERANGE);
			dropped_cqes++;
		} else if (cqes[i].user_data == 1) {
			T_RES(cqes[i].res, 0);
			seen1++;
		} else if (cqes[i].user_data == 2) {
			T_RES(cqes[i].res, 0);
			seen2++;
		} else {
			t_fail("unexpected CQE user_data 0x%llx res %s",
			       (unsigned long long)cqes[i].user_data,
			       t_resname(cqes[i].res));
		}
	}
	T_EQ(dropped_cqes, 3);
	T_EQ(seen1, 1);
	T_EQ(seen2, 1);
	t_expect_no_cqe(&ring);

	/* A lone bad slot: consumed, counted, reported. */
	{
		unsigned bad = 1000;

		publish(&ring, &bad, 1);
		T_EQ(aioring_submit(&ring), 1);
		t_expect_cqe(&ring, AIORING_DROPPED_USER_DATA, -ERANGE);
		T_EQ(*ring.sq.kdropped, 4);
	}

	/* The library path is unaffected. */
	t_nop_roundtrip(&ring, 3);
	T_EQ(*ring.sq.kdropped, 4);
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}
