/* SPDX-License-Identifier: MIT */
/*
 * Description: POLL_ADD on a file descriptor that is not open completes
 * with -EBADF in its CQE (-1, a closed descriptor, a huge number), as do
 * a registered-file index with no file behind it and, on an SQ thread
 * ring, a plain descriptor.
 */
#include <poll.h>

#include "t_helpers.h"

static void poll_expect(struct aioring *ring, int fd, int fixed,
			unsigned events, int res, const char *what)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);
	struct aioring_cqe cqe;

	aioring_prep_poll_add(sqe, fd, events);
	if (fixed)
		sqe->flags |= AIORING_SQE_FIXED_FILE;
	aioring_sqe_set_data64(sqe, 0xbad);
	T_RES(aioring_submit(ring), 1);
	t_reap(ring, &cqe, 1);
	if (cqe.user_data != 0xbad || cqe.res != res)
		t_fail("%s: expected res %s, got %s", what, t_resname(res),
		       t_resname(cqe.res));
}

int main(void)
{
	struct aioring_params p;
	struct aioring ring;
	int pfd[2], closed, ret;

	t_require_device();
	T_SYSOK(pipe(pfd));
	t_ring_init(&ring, 4, 0);
	/* After the ring's open, which would take the lowest free number. */
	closed = T_SYSOK(dup(pfd[0]));
	close(closed);
	poll_expect(&ring, -1, 0, POLLIN, -EBADF, "fd -1");
	poll_expect(&ring, closed, 0, POLLIN, -EBADF, "closed fd");
	poll_expect(&ring, 1 << 20, 0, POLLIN, -EBADF, "fd 1<<20");
	poll_expect(&ring, 0, 1, POLLIN, -EBADF, "fixed file, none registered");
	T_RES(aioring_register_files(&ring, (int[]){ pfd[1], -1 }, 2), 0);
	poll_expect(&ring, 1, 1, POLLIN, -EBADF, "fixed file, empty slot");
	poll_expect(&ring, 2, 1, POLLIN, -EBADF, "fixed file, index past the table");
	/* The registered write end itself works. */
	poll_expect(&ring, 0, 1, POLLOUT, POLLOUT, "fixed file 0");
	aioring_queue_exit(&ring);

	memset(&p, 0, sizeof(p));
	p.flags = AIORING_SETUP_SQTHREAD;
	ret = aioring_queue_init_params(4, &ring, &p);
	if (ret)
		t_fail("SQTHREAD setup: %s", t_resname(ret));
	poll_expect(&ring, pfd[0], 0, POLLIN, -EBADF, "SQ thread, plain fd");
	aioring_queue_exit(&ring);

	close(pfd[0]);
	close(pfd[1]);
	return T_EXIT_PASS;
}
