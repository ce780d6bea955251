/* SPDX-License-Identifier: MIT */
/*
 * Description: closing a ring with polls pending (on a pipe, an eventfd
 * and a socket; 200 on the pipe, more than the module cancels per hold of
 * its lock) returns at once and lets go of the polled files: once
 * the ring and our own descriptors are closed, writing to the pipe and
 * the socket's peer fails with EPIPE. Then rings are closed, over and
 * over, while another thread keeps waking the eventfd the polls wait on,
 * so teardown races with wakeups. (rmmod-clean, the last test, finds any
 * request or ring leaked.)
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "t_helpers.h"

static volatile int stop;
static int efd;

static void add_poll(struct aioring *ring, int fd, unsigned events,
		     uint64_t data)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);

	aioring_prep_poll_add(sqe, fd, events);
	aioring_sqe_set_data64(sqe, data);
}

/* write() on @fd must fail with EPIPE within a few seconds. */
static void expect_epipe(int fd, const char *what)
{
	uint64_t deadline = t_now_ns() + 5000000000ULL;

	for (;;) {
		ssize_t ret = send(fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (ret < 0 && errno == ENOTSOCK)
			ret = write(fd, "x", 1);
		if (ret < 0 && errno == EPIPE)
			return;
		if (ret < 0 && errno != EAGAIN)
			t_fail("%s: expected EPIPE, got %s", what,
			       t_errname(errno));
		if (t_now_ns() > deadline)
			t_fail("%s: still has a reader: the poll kept its file",
			       what);
		t_sleep_ms(10);
	}
}

static void *waker(void *arg)
{
	eventfd_t val;

	(void)arg;
	while (!stop) {
		eventfd_write(efd, 1);
		eventfd_read(efd, &val);
	}
	return NULL;
}

int main(void)
{
	struct aioring ring;
	pthread_t thread;
	uint64_t start;
	int pfd[2], sv[2], i, round;

	t_require_device();
	signal(SIGPIPE, SIG_IGN);
	T_SYSOK(pipe(pfd));
	T_SYSOK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	efd = T_SYSOK(eventfd(0, EFD_NONBLOCK));

	t_ring_init(&ring, 256, 0);
	for (i = 0; i < 200; i++)
		add_poll(&ring, pfd[0], POLLIN, i);
	add_poll(&ring, efd, POLLIN, 1000);
	add_poll(&ring, sv[0], POLLIN | POLLPRI, 1001);
	add_poll(&ring, sv[0], POLLIN, 1002);
	t_submit(&ring, 203);
	t_expect_no_cqe(&ring);

	close(pfd[0]);
	close(sv[0]);
	start = t_now_ns();
	aioring_queue_exit(&ring);
	if (t_now_ns() - start > 2000000000ULL)
		t_fail("closing the ring took %llu ms",
		       (unsigned long long)((t_now_ns() - start) / 1000000));
	expect_epipe(pfd[1], "pipe");
	expect_epipe(sv[1], "socket");
	close(pfd[1]);
	close(sv[1]);

	if (pthread_create(&thread, NULL, waker, NULL))
		t_fail("pthread_create");
	for (round = 0; round < 50; round++) {
		struct aioring_cqe *cqe;

		t_ring_init(&ring, 32, 0);
		for (i = 0; i < 32; i++)
			add_poll(&ring, efd, POLLIN, i);
		t_submit(&ring, 32);
		/* Some fire, some wait; reap a few, leave the rest. */
		while (round & 1 && aioring_peek_cqe(&ring, &cqe) == 0)
			aioring_cqe_seen(&ring, cqe);
		aioring_queue_exit(&ring);
	}
	stop = 1;
	pthread_join(thread, NULL);
	close(efd);
	return T_EXIT_PASS;
}
