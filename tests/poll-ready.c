/* SPDX-License-Identifier: MIT */
/*
 * Description: POLL_ADD on a file that is already ready completes within
 * the submitting ENTER (its CQE is in the ring when ENTER returns, and
 * counted as completed inline) with the ready events masked by the
 * requested ones plus POLLERR and POLLHUP: a pipe with data, a pipe's
 * write end, a pipe whose writer is gone (POLLHUP though not asked for),
 * and a regular file (always ready). Asking a regular file for an event
 * it can never have (POLLPRI) is -EINVAL, as for aio's IOCB_CMD_POLL.
 */
#include <poll.h>

#include "t_helpers.h"

/* Submit one poll and check it completed before ENTER returned. */
static void poll_now(struct aioring *ring, int fd, unsigned events, int res,
		     const char *what)
{
	struct aioring_stats before, after;
	struct aioring_sqe *sqe;
	struct aioring_cqe cqe;

	T_RES(aioring_get_stats(ring, &before), 0);
	sqe = t_get_sqe(ring);
	aioring_prep_poll_add(sqe, fd, events);
	aioring_sqe_set_data64(sqe, events);
	t_submit(ring, 1);
	if (aioring_cq_ready(ring) != 1)
		t_fail("%s: expected the CQE when ENTER returned, %u ready",
		       what, aioring_cq_ready(ring));
	t_reap(ring, &cqe, 1);
	if (cqe.user_data != events || cqe.res != res)
		t_fail("%s: expected res %s (0x%x), got %s (0x%x)", what,
		       t_resname(res), (unsigned)res, t_resname(cqe.res),
		       (unsigned)cqe.res);
	T_RES(aioring_get_stats(ring, &after), 0);
	T_EQ(after.completed_inline - before.completed_inline, 1);
}

int main(void)
{
	struct aioring ring;
	int pfd[2], fd;

	t_require_device();
	t_ring_init(&ring, 4, 0);
	T_SYSOK(pipe(pfd));
	T_EQ(write(pfd[1], "abc", 3), 3);

	/* The read end only reports read events; the write end write ones. */
	poll_now(&ring, pfd[0], POLLIN | POLLOUT, POLLIN, "pipe with data, IN|OUT");
	poll_now(&ring, pfd[0], POLLIN | POLLRDNORM, POLLIN | POLLRDNORM,
		 "pipe with data, IN|RDNORM");
	poll_now(&ring, pfd[1], POLLOUT, POLLOUT, "pipe write end");
	poll_now(&ring, pfd[1], POLLOUT | POLLWRNORM | POLLIN,
		 POLLOUT | POLLWRNORM, "pipe write end, OUT|WRNORM|IN");

	/* No writer: POLLHUP comes whether asked for or not. */
	close(pfd[1]);
	poll_now(&ring, pfd[0], POLLIN, POLLIN | POLLHUP, "widowed pipe, IN");
	poll_now(&ring, pfd[0], POLLPRI, POLLHUP, "widowed pipe, PRI");

	fd = t_create_file(4096, NULL, NULL, 0);
	poll_now(&ring, fd, POLLIN | POLLOUT, POLLIN | POLLOUT, "regular file");
	poll_now(&ring, fd, POLLPRI, -EINVAL, "regular file, PRI");

	t_expect_no_cqe(&ring);
	aioring_queue_exit(&ring);
	close(pfd[0]);
	close(fd);
	return T_EXIT_PASS;
}
