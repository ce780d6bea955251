/* SPDX-License-Identifier: MIT */
/*
 * Description: SIGKILL of a process whose ring has polls pending on a
 * pipe and an eventfd: the process dies (its ring teardown cancels the
 * polls and does not hang), and the polled pipe is let go: writing to it
 * then fails with EPIPE.
 */
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include "t_helpers.h"

static void child(int rfd, int ready_fd)
{
	struct aioring ring;
	int efd = T_SYSOK(eventfd(0, 0)), i;

	t_ring_init(&ring, 16, 0);
	for (i = 0; i < 8; i++) {
		struct aioring_sqe *sqe = t_get_sqe(&ring);

		aioring_prep_poll_add(sqe, i & 1 ? efd : rfd, POLLIN);
		aioring_sqe_set_data64(sqe, i);
	}
	t_submit(&ring, 8);
	t_expect_no_cqe(&ring);
	/* Only the polls hold the pipe's read end now. */
	close(rfd);
	T_EQ(write(ready_fd, "r", 1), 1);
	for (;;)
		pause();
}

int main(void)
{
	int pfd[2], sync[2];
	uint64_t deadline;
	char c;
	pid_t pid;

	t_require_device();
	signal(SIGPIPE, SIG_IGN);
	T_SYSOK(pipe(pfd));
	T_SYSOK(pipe(sync));
	pid = T_SYSOK(fork());
	if (pid == 0) {
		close(pfd[1]);
		close(sync[0]);
		child(pfd[0], sync[1]);
	}
	close(pfd[0]);
	close(sync[1]);
	if (read(sync[0], &c, 1) != 1)
		t_fail("the child died before arming its polls");
	/* Still read by the child's polls. */
	T_EQ(write(pfd[1], "x", 1), 1);

	kill(pid, SIGKILL);
	t_expect_child_signal(pid, SIGKILL, "child with pending polls");

	/* The file may be put by a delayed fput: allow a moment. */
	deadline = t_now_ns() + 5000000000ULL;
	for (;;) {
		if (write(pfd[1], "x", 1) < 0) {
			if (errno != EPIPE)
				t_fail("write: expected EPIPE, got %s",
				       t_errname(errno));
			break;
		}
		if (t_now_ns() > deadline)
			t_fail("the pipe still has a reader after the kill: a poll kept its file");
		t_sleep_ms(10);
	}
	close(pfd[1]);
	close(sync[0]);
	return T_EXIT_PASS;
}
