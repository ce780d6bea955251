/* SPDX-License-Identifier: MIT */
/*
 * Description: a READ from an empty pipe blocks inside ENTER (execution is
 * inline); a signal ends it with res -EINTR in the CQE, never the internal
 * -ERESTARTSYS, whether or not the handler has SA_RESTART. ENTER itself
 * reports the SQE as consumed, and the ring keeps working.
 */
#include <signal.h>

#include "t_helpers.h"

#define MS	(1000ULL * 1000)

static volatile sig_atomic_t nr_signals;

static void handler(int sig)
{
	(void)sig;
	nr_signals++;
}

static void blocked_read(struct aioring *ring, int restart, __u64 ud)
{
	struct aioring_sqe *sqe;
	struct aioring_cqe cqe;
	char buf[16];
	uint64_t start, ns;
	int pipefd[2], ret;

	if (pipe(pipefd))
		t_fail("pipe: %s", t_errname(errno));
	t_signal(SIGALRM, handler, restart);
	nr_signals = 0;
	sqe = t_get_sqe(ring);
	aioring_prep_read(sqe, pipefd[0], buf, sizeof(buf), -1ULL);
	aioring_sqe_set_data64(sqe, ud);
	T_EQ(t_publish(ring), 1);
	t_alarm_ms(200);
	start = t_now_ns();
	ret = aioring_enter(ring->ring_fd, 1, 0, 0, NULL, NULL, 0);
	ns = t_now_ns() - start;
	if (ret != 1)
		t_fail("%s: ENTER with a READ interrupted by a signal: expected 1 consumed, got %s",
		       restart ? "SA_RESTART" : "no SA_RESTART", t_resname(ret));
	T_EQ(nr_signals, 1);
	if (ns < 150 * MS)
		t_fail("READ from an empty pipe: expected ENTER to block until the signal at 200 ms, it returned after %llu ms",
		       (unsigned long long)(ns / MS));
	t_reap(ring, &cqe, 1);
	T_EQ(cqe.user_data, ud);
	if (cqe.res != -EINTR)
		t_fail("%s: interrupted READ: expected res -EINTR, got %s",
		       restart ? "SA_RESTART" : "no SA_RESTART",
		       t_resname(cqe.res));
	close(pipefd[0]);
	close(pipefd[1]);
}

int main(void)
{
	struct aioring ring;

	t_require_device();
	t_ring_init(&ring, 4, 0);
	blocked_read(&ring, 0, 1);
	blocked_read(&ring, 1, 2);
	t_expect_no_cqe(&ring);
	t_nop_roundtrip(&ring, 3);

	/* A pipe with data does not block: READ at the current position. */
	{
		struct aioring_sqe *sqe;
		char buf[16];
		int pipefd[2];

		if (pipe(pipefd) || write(pipefd[1], "abc", 3) != 3)
			t_fail("pipe: %s", t_errname(errno));
		sqe = t_get_sqe(&ring);
		aioring_prep_read(sqe, pipefd[0], buf, sizeof(buf), -1ULL);
		aioring_sqe_set_data64(sqe, 4);
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 4, 3);
		t_check_buf(buf, "abc", 3, "pipe READ");
	}
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}
