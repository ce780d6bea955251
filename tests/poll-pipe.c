/* SPDX-License-Identifier: MIT */
/*
 * Description: POLL_ADD on an empty pipe waits: no CQE arrives until the
 * pipe is written, then exactly one, whose res is POLLIN (the requested
 * events, nothing more). The poll is one-shot: a second write posts
 * nothing, and the ring still works.
 */
#include <poll.h>

#include "t_helpers.h"

/* Nothing may complete within @ms. */
static void expect_quiet(struct aioring *ring, unsigned ms)
{
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = ms * 1000000L };
	struct aioring_cqe *cqe;
	int ret = aioring_wait_cqe_timeout(ring, &cqe, &ts);

	if (ret != -ETIME)
		t_fail("expected no CQE within %u ms (-ETIME), got %s%s", ms,
		       t_resname(ret), ret ? "" : " and a CQE");
}

int main(void)
{
	struct aioring ring;
	struct aioring_sqe *sqe;
	int pfd[2];

	t_require_device();
	t_ring_init(&ring, 4, 0);
	T_SYSOK(pipe(pfd));

	sqe = t_get_sqe(&ring);
	aioring_prep_poll_add(sqe, pfd[0], POLLIN);
	aioring_sqe_set_data64(sqe, 0x9011);
	t_submit(&ring, 1);
	expect_quiet(&ring, 300);

	T_EQ(write(pfd[1], "x", 1), 1);
	t_expect_cqe(&ring, 0x9011, POLLIN);

	/* One-shot: the next event has no poll waiting for it. */
	T_EQ(write(pfd[1], "y", 1), 1);
	expect_quiet(&ring, 100);
	t_nop_roundtrip(&ring, 0x2);
	t_expect_no_cqe(&ring);

	aioring_queue_exit(&ring);
	close(pfd[0]);
	close(pfd[1]);
	return T_EXIT_PASS;
}
