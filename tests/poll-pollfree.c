/* SPDX-License-Identifier: MIT */
/*
 * Description: a polled waitqueue that goes away under a live poll
 * (POLLFREE). A signalfd's poll waits on the polling process's signal
 * handler table, which is freed when that process is reaped. Process A
 * sets up a ring, polls a signalfd, and forks B, which inherits the ring
 * fd and so keeps the ring alive; A exits and is reaped. The poll must
 * then leave the freed waitqueue and complete (fdinfo, read by B, shows no
 * request in flight), with a clean kernel log (a poll left on the queue
 * trips the kernel's WARN in wake_up_pollfree(), or KASAN).
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include "t_helpers.h"

static int fdinfo_inflight(int ring_fd)
{
	char path[64], buf[4096];
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ring_fd);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, "Inflight:");
	return p ? atoi(p + strlen("Inflight:")) : -1;
}

/* B: watch the inherited ring until A's poll is gone. */
static void watcher(int ring_fd, int sync_w, int go_r)
{
	uint64_t deadline;
	char c;

	if (fdinfo_inflight(ring_fd) != 1) {
		fprintf(stderr, "B: expected 1 request in flight, got %d\n",
			fdinfo_inflight(ring_fd));
		exit(1);
	}
	/* Let A exit, and wait until it has been reaped. */
	if (write(sync_w, "b", 1) != 1 || read(go_r, &c, 1) != 1)
		exit(1);
	deadline = t_now_ns() + 10000000000ULL;
	while (fdinfo_inflight(ring_fd) != 0) {
		if (t_now_ns() > deadline) {
			fprintf(stderr, "B: the poll is still in flight after POLLFREE (%d)\n",
				fdinfo_inflight(ring_fd));
			exit(1);
		}
		t_sleep_ms(10);
	}
	exit(0);
}

int main(void)
{
	int sync[2], go[2];
	pid_t a, b;
	char c;

	t_require_device();
	/* B, A's child, is ours to reap once A is gone. */
	T_SYSOK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	T_SYSOK(pipe(sync));
	T_SYSOK(pipe(go));
	a = T_SYSOK(fork());
	if (a == 0) {
		struct aioring ring;
		struct aioring_sqe *sqe;
		sigset_t mask;
		int sfd;

		sigemptyset(&mask);
		sigaddset(&mask, SIGUSR1);
		sigprocmask(SIG_BLOCK, &mask, NULL);
		sfd = T_SYSOK(signalfd(-1, &mask, 0));
		t_ring_init(&ring, 4, 0);
		sqe = t_get_sqe(&ring);
		aioring_prep_poll_add(sqe, sfd, POLLIN);
		aioring_sqe_set_data64(sqe, 0x5f);
		t_submit(&ring, 1);
		t_expect_no_cqe(&ring);
		b = T_SYSOK(fork());
		if (b == 0)
			watcher(ring.ring_fd, sync[1], go[0]);
		/* Tell the parent B's pid. */
		if (write(sync[1], &b, sizeof(b)) != sizeof(b))
			exit(2);
		exit(0);
	}
	if (read(sync[0], &b, sizeof(b)) != sizeof(b))
		t_fail("A died before forking B");
	/* Reap A: that frees its signal handler table, hence POLLFREE. */
	t_expect_child_exit(a, 0, "A");
	if (read(sync[0], &c, 1) != 1 || c != 'b')
		t_fail("B died early");
	T_EQ(write(go[1], "g", 1), 1);
	t_expect_child_exit(b, 0, "B (watcher of the ring)");
	return T_EXIT_PASS;
}
