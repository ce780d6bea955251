/* SPDX-License-Identifier: MIT */
/*
 * Description: a ring that holds as many pending polls as its CQ has
 * entries (the cap on requests in the kernel) still takes a POLL_REMOVE,
 * which cancels one (-ECANCELED, then 0 for the remove); other requests
 * get -EBUSY at the cap, before and after. Without this, polls that never
 * fire would wedge the ring until close. Run as an unprivileged user.
 */
#include <poll.h>

#include "t_helpers.h"

static void add_poll(struct aioring *ring, int fd, uint64_t data)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);

	aioring_prep_poll_add(sqe, fd, POLLIN);
	aioring_sqe_set_data64(sqe, data);
}

int main(void)
{
	struct aioring ring;
	struct aioring_sqe *sqe;
	unsigned cq, sq, i;
	int pfd[2];

	t_require_device();
	if (getuid() == 0)
		t_become_user(T_USER_UID);
	t_ring_init(&ring, 4, 0);
	T_SYSOK(pipe(pfd));
	cq = ring.cq.ring_entries;
	sq = ring.sq.ring_entries;

	/* The pipe stays empty: none of these fires. */
	for (i = 0; i < cq; i++) {
		add_poll(&ring, pfd[0], 0x100 + i);
		if ((i + 1) % sq == 0 || i + 1 == cq)
			t_submit(&ring, (i % sq) + 1);
	}
	t_expect_no_cqe(&ring);

	/* At the cap: the remove is taken and frees one slot. */
	sqe = t_get_sqe(&ring);
	aioring_prep_poll_remove(sqe, 0x100);
	aioring_sqe_set_data64(sqe, 0x1);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 0x100, -ECANCELED);
	t_expect_cqe(&ring, 0x1, 0);

	/* One poll fills the slot again; a NOP then waits for room. */
	add_poll(&ring, pfd[0], 0x200);
	t_submit(&ring, 1);
	sqe = t_get_sqe(&ring);
	aioring_prep_nop(sqe);
	aioring_sqe_set_data64(sqe, 0x2);
	T_RES(aioring_submit(&ring), -EBUSY);
	t_expect_no_cqe(&ring);

	/* Data for the pipe: every poll fires, and the NOP goes in. */
	T_EQ(write(pfd[1], "x", 1), 1);
	for (i = 0; i < cq; i++) {
		struct aioring_cqe *cqe;

		T_RES(aioring_wait_cqe(&ring, &cqe), 0);
		if (cqe->res != POLLIN)
			t_fail("poll 0x%llx: res %s, want POLLIN",
			       (unsigned long long)cqe->user_data, t_resname(cqe->res));
		aioring_cqe_seen(&ring, cqe);
	}
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 0x2, 0);

	aioring_queue_exit(&ring);
	close(pfd[0]);
	close(pfd[1]);
	return T_EXIT_PASS;
}
