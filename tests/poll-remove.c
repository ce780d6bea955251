/* SPDX-License-Identifier: MIT */
/*
 * Description: POLL_REMOVE of a pending poll: the poll completes with
 * -ECANCELED, then the POLL_REMOVE with 0, in that order; the poll is
 * gone (a later event posts nothing, a second POLL_REMOVE finds nothing)
 * while another poll on the same pipe still fires. Also from an SQE in
 * the same submission as a ready write: the cancel takes the oldest poll
 * with that user_data.
 */
#include <poll.h>

#include "t_helpers.h"

static void add_poll(struct aioring *ring, int fd, uint64_t data)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);

	aioring_prep_poll_add(sqe, fd, POLLIN);
	aioring_sqe_set_data64(sqe, data);
}

static void add_remove(struct aioring *ring, uint64_t target, uint64_t data)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);

	aioring_prep_poll_remove(sqe, target);
	aioring_sqe_set_data64(sqe, data);
}

int main(void)
{
	struct aioring ring;
	int pfd[2];

	t_require_device();
	t_ring_init(&ring, 8, 0);
	T_SYSOK(pipe(pfd));

	add_poll(&ring, pfd[0], 0xa);
	add_poll(&ring, pfd[0], 0xb);
	t_submit(&ring, 2);
	t_expect_no_cqe(&ring);

	add_remove(&ring, 0xa, 0x1a);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 0xa, -ECANCELED);
	t_expect_cqe(&ring, 0x1a, 0);

	/* Gone: a second remove finds nothing. */
	add_remove(&ring, 0xa, 0x2a);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 0x2a, -ENOENT);

	/* 0xb still waits, and is the only one to fire. */
	T_EQ(write(pfd[1], "x", 1), 1);
	t_expect_cqe(&ring, 0xb, POLLIN);
	t_nop_roundtrip(&ring, 0x3);
	t_expect_no_cqe(&ring);

	/* Two polls with one user_data, removed in one submission. */
	T_EQ(read(pfd[0], (char[1]){ 0 }, 1), 1);
	add_poll(&ring, pfd[0], 0xc);
	add_poll(&ring, pfd[0], 0xc);
	add_remove(&ring, 0xc, 0x1c);
	t_submit(&ring, 3);
	t_expect_cqe(&ring, 0xc, -ECANCELED);
	t_expect_cqe(&ring, 0x1c, 0);
	add_remove(&ring, 0xc, 0x2c);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 0xc, -ECANCELED);
	t_expect_cqe(&ring, 0x2c, 0);
	T_EQ(write(pfd[1], "x", 1), 1);
	t_nop_roundtrip(&ring, 0x4);
	t_expect_no_cqe(&ring);

	aioring_queue_exit(&ring);
	close(pfd[0]);
	close(pfd[1]);
	return T_EXIT_PASS;
}
