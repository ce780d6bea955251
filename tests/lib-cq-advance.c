/* SPDX-License-Identifier: MIT */
/*
 * Description: the inline ring accounting of libaioring: aioring_cq_ready,
 * aioring_cq_advance and aioring_cqe_seen move the CQ head by exactly what
 * they are told; aioring_sq_ready and aioring_sq_space_left follow
 * get_sqe and submit; get_sqe returns NULL when the SQ ring is full and
 * hands out zeroed SQEs.
 */
#include "t_helpers.h"

int main(void)
{
	struct aioring ring;
	struct aioring_sqe *sqe;
	struct aioring_cqe *cqe;
	unsigned i, head;

	t_require_device();
	t_ring_init(&ring, 8, 0);

	/* SQ side */
	T_EQ(aioring_sq_space_left(&ring), 8);
	T_EQ(aioring_sq_ready(&ring), 0);
	for (i = 0; i < 3; i++) {
		sqe = t_get_sqe(&ring);
		aioring_prep_nop(sqe);
		aioring_sqe_set_data64(sqe, 1 + i);
	}
	T_EQ(aioring_sq_ready(&ring), 3);
	T_EQ(aioring_sq_space_left(&ring), 5);
	t_submit(&ring, 3);
	T_EQ(aioring_sq_ready(&ring), 0);
	T_EQ(aioring_sq_space_left(&ring), 8);

	/* get_sqe zeroes slots, including 0..2 that held the NOPs above */
	for (i = 0; i < 8; i++) {
		sqe = t_get_sqe(&ring);
		{
			static const struct aioring_sqe zero;

			if (memcmp(sqe, &zero, sizeof(zero)))
				t_fail("get_sqe %u: expected a zeroed SQE", i);
		}
		aioring_prep_nop(sqe);
		aioring_sqe_set_data64(sqe, 4 + i);
	}
	T_EQ(aioring_sq_space_left(&ring), 0);
	T_CHECK(aioring_get_sqe(&ring) == NULL);
	T_EQ(aioring_sq_ready(&ring), 8);
	T_RES(aioring_submit_and_wait(&ring, 11), 8);

	/* CQ side: 11 CQEs (1..11) */
	T_EQ(aioring_cq_ready(&ring), 11);
	head = *ring.cq.khead;
	aioring_cq_advance(&ring, 0);
	T_EQ(*ring.cq.khead, head);
	T_EQ(aioring_cq_ready(&ring), 11);
	aioring_cq_advance(&ring, 2);
	T_EQ(*ring.cq.khead, head + 2);
	T_EQ(aioring_cq_ready(&ring), 9);
	T_RES(aioring_peek_cqe(&ring, &cqe), 0);
	T_EQ(cqe->user_data, 3);
	aioring_cqe_seen(&ring, cqe);
	T_EQ(*ring.cq.khead, head + 3);
	aioring_cqe_seen(&ring, NULL);
	T_EQ(*ring.cq.khead, head + 3);
	T_EQ(aioring_cq_ready(&ring), 8);
	/* The CQEs left are 4 .. 11, in the slots after the head. */
	for (i = 0; i < 8; i++) {
		cqe = &ring.cq.cqes[(head + 3 + i) & ring.cq.ring_mask];
		T_EQ(cqe->user_data, 4 + i);
		T_RES(cqe->res, 0);
	}
	aioring_cq_advance(&ring, 8);
	T_EQ(aioring_cq_ready(&ring), 0);
	T_RES(aioring_peek_cqe(&ring, &cqe), -EAGAIN);

	/* sqe_set_data / cqe_get_data round trip a pointer */
	sqe = t_get_sqe(&ring);
	aioring_prep_nop(sqe);
	aioring_sqe_set_data(sqe, &ring);
	T_RES(aioring_submit_and_wait(&ring, 1), 1);
	T_RES(aioring_peek_cqe(&ring, &cqe), 0);
	T_CHECK(aioring_cqe_get_data(cqe) == (void *)&ring);
	aioring_cqe_seen(&ring, cqe);

	t_expect_no_cqe(&ring);
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}
