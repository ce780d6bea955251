/* SPDX-License-Identifier: MIT */
/*
 * Description: a poll completes with what the file reports, not with the
 * wakeup's key. A POLL_ADD for POLLPRI on an AF_UNIX datagram socket stays
 * pending when a plain datagram arrives (sock_def_readable() wakes with
 * EPOLLIN|EPOLLPRI|EPOLLRDNORM|EPOLLRDBAND for any datagram; before the
 * fix the poll completed with res=POLLPRI), a POLL_ADD for POLLIN on the
 * same socket completes with POLLIN, and POLL_REMOVE then
 * cancels the POLLPRI one (io_uring keeps it pending too).
 */
#include <poll.h>
#include <sys/socket.h>

#include "t_async.h"

int main(void)
{
	struct aioring_sqe *sqe;
	struct aioring ring;
	int sv[2];

	t_require_device();
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		t_fail("socketpair: %s", t_errname(errno));
	t_ring_init(&ring, 8, 0);

	sqe = t_get_sqe(&ring);
	aioring_prep_poll_add(sqe, sv[0], POLLPRI);
	aioring_sqe_set_data64(sqe, 1);
	t_submit(&ring, 1);
	t_expect_no_cqe(&ring);

	if (send(sv[1], "x", 1, 0) != 1)
		t_fail("send: %s", t_errname(errno));
	t_sleep_ms(200);
	/* The async thread has had its look at the socket by now. */
	t_expect_no_cqe(&ring);

	/* POLLIN is what the socket reports. */
	sqe = t_get_sqe(&ring);
	aioring_prep_poll_add(sqe, sv[0], POLLIN);
	aioring_sqe_set_data64(sqe, 2);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 2, POLLIN);

	sqe = t_get_sqe(&ring);
	aioring_prep_poll_remove(sqe, 1);
	aioring_sqe_set_data64(sqe, 3);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, -ECANCELED);
	t_expect_cqe(&ring, 3, 0);
	aioring_queue_exit(&ring);
	close(sv[0]);
	close(sv[1]);
	return t_exit_status();
}
