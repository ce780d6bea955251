/* SPDX-License-Identifier: MIT */
/*
 * Description: processes that die with ring I/O going on. A child doing a
 * stream of large O_DIRECT writes and reads through its ring on the test
 * filesystem, and a child waiting in ENTER for an empty pipe's READ (which
 * itself waits for poll readiness, with no thread in the read), are both
 * killed with SIGKILL and must die of it promptly; a child whose thread is
 * waiting in ENTER exits normally from another thread. Nothing hangs and
 * the module keeps working.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include "t_helpers.h"

#define CHUNK		(128 * 1024)
#define FILE_SIZE	(4 * 1024 * 1024)
#define QD		8

/* Tell the parent we are about to enter, via a pipe. */
static void ready(int fd)
{
	if (write(fd, "r", 1) != 1)
		_exit(10);
}

static void io_child(const char *path, int ready_fd)
{
	struct aioring ring;
	unsigned char *bufs;
	unsigned i, round = 0;
	int fd;

	fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0 && errno == EINVAL)
		fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		t_fail("child: open %s: %s", path, t_errname(errno));
	t_ring_init(&ring, QD, 0);
	bufs = t_aligned_alloc(4096, (size_t)QD * CHUNK);
	memset(bufs, 0x5a, (size_t)QD * CHUNK);
	for (;;) {
		for (i = 0; i < QD; i++) {
			struct aioring_sqe *sqe = t_get_sqe(&ring);
			__u64 off = ((round * QD + i) % (FILE_SIZE / CHUNK)) *
				    (__u64)CHUNK;

			if ((round + i) & 1)
				aioring_prep_write(sqe, fd, bufs + i * CHUNK,
						   CHUNK, off);
			else
				aioring_prep_read(sqe, fd, bufs + i * CHUNK,
						  CHUNK, off);
			aioring_sqe_set_data64(sqe, i);
		}
		if (round == 1)
			ready(ready_fd);
		t_submit(&ring, QD);
		t_reap(&ring, NULL, QD);
		round++;
	}
}

static void pipe_child(int ready_fd)
{
	struct aioring ring;
	struct aioring_sqe *sqe;
	char buf[16];
	int pipefd[2];

	if (pipe(pipefd))
		t_fail("child: pipe: %s", t_errname(errno));
	t_ring_init(&ring, 4, 0);
	sqe = t_get_sqe(&ring);
	aioring_prep_read(sqe, pipefd[0], buf, sizeof(buf), -1ULL);
	ready(ready_fd);
	aioring_submit_and_wait(&ring, 1);
	fprintf(stderr, "child: ENTER on an empty pipe returned\n");
	_exit(11);
}

static int exit_pipe[2];

static void *blocked_thread(void *arg)
{
	struct aioring *ring = arg;

	aioring_submit_and_wait(ring, 1);
	return NULL;
}

static void exit_child(int ready_fd)
{
	struct aioring ring;
	struct aioring_sqe *sqe;
	pthread_t thr;
	char buf[16];

	if (pipe(exit_pipe))
		t_fail("child: pipe: %s", t_errname(errno));
	t_ring_init(&ring, 4, 0);
	sqe = t_get_sqe(&ring);
	aioring_prep_read(sqe, exit_pipe[0], buf, sizeof(buf), -1ULL);
	if (pthread_create(&thr, NULL, blocked_thread, &ring))
		t_fail("child: pthread_create");
	t_sleep_ms(300);
	ready(ready_fd);
	/* exit() takes the blocked thread down with the process. */
	exit(0);
}

static pid_t spawn(void (*fn)(int), int *ready_rd)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		t_fail("pipe: %s", t_errname(errno));
	pid = fork();
	if (pid < 0)
		t_fail("fork: %s", t_errname(errno));
	if (pid == 0) {
		close(p[0]);
		fn(p[1]);
		_exit(12);
	}
	close(p[1]);
	*ready_rd = p[0];
	return pid;
}

static void wait_ready(int fd, const char *what)
{
	char c;

	if (read(fd, &c, 1) != 1)
		t_fail("%s: child died before it got going", what);
	close(fd);
}

static char path[256];

static void io_child_fn(int ready_fd)
{
	io_child(path, ready_fd);
}

int main(void)
{
	struct aioring ring;
	pid_t pid;
	int rd, fd, rounds;

	t_require_device();
	t_seed_random();
	fd = t_create_file(FILE_SIZE, NULL, path, sizeof(path));
	close(fd);

	for (rounds = 0; rounds < 3; rounds++) {
		pid = spawn(io_child_fn, &rd);
		wait_ready(rd, "O_DIRECT I/O child");
		t_sleep_ms(50 + 100 * rounds);
		kill(pid, SIGKILL);
		t_expect_child_signal(pid, SIGKILL, "O_DIRECT I/O child");
	}

	pid = spawn(pipe_child, &rd);
	wait_ready(rd, "pipe child");
	t_sleep_ms(200);
	kill(pid, SIGKILL);
	t_expect_child_signal(pid, SIGKILL, "child blocked in a pipe READ");

	pid = spawn(exit_child, &rd);
	wait_ready(rd, "exiting child");
	t_expect_child_exit(pid, 0, "child exiting with a thread blocked in ENTER");

	t_ring_init(&ring, 4, 0);
	t_nop_roundtrip(&ring, 1);
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}
