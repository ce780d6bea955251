/* SPDX-License-Identifier: MIT */
/*
 * Description: POLL_REMOVE of a user_data no pending poll has completes
 * with -ENOENT: on a ring with no polls, for a poll that has already
 * completed, and for a request that is not a poll (a NOP); a pending poll
 * with another user_data is left alone.
 */
#include <poll.h>

#include "t_helpers.h"

static void remove_expect(struct aioring *ring, uint64_t target, int res)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);

	aioring_prep_poll_remove(sqe, target);
	aioring_sqe_set_data64(sqe, 0xdead);
	t_submit(ring, 1);
	t_expect_cqe(ring, 0xdead, res);
}

int main(void)
{
	struct aioring ring;
	struct aioring_sqe *sqe;
	int pfd[2];

	t_require_device();
	t_ring_init(&ring, 4, 0);
	T_SYSOK(pipe(pfd));

	remove_expect(&ring, 0, -ENOENT);
	remove_expect(&ring, 0x1234, -ENOENT);

	/* A completed poll is no longer there to remove. */
	sqe = t_get_sqe(&ring);
	aioring_prep_poll_add(sqe, pfd[1], POLLOUT);
	aioring_sqe_set_data64(sqe, 0x5);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 0x5, POLLOUT);
	remove_expect(&ring, 0x5, -ENOENT);

	/* Nor is a NOP, nor anything else that is not a poll. */
	t_nop_roundtrip(&ring, 0x6);
	remove_expect(&ring, 0x6, -ENOENT);

	/* A pending poll with another user_data is not touched. */
	sqe = t_get_sqe(&ring);
	aioring_prep_poll_add(sqe, pfd[0], POLLIN);
	aioring_sqe_set_data64(sqe, 0x7);
	t_submit(&ring, 1);
	remove_expect(&ring, 0x8, -ENOENT);
	T_EQ(write(pfd[1], "x", 1), 1);
	t_expect_cqe(&ring, 0x7, POLLIN);
	t_expect_no_cqe(&ring);

	aioring_queue_exit(&ring);
	close(pfd[0]);
	close(pfd[1]);
	return T_EXIT_PASS;
}
