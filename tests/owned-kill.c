/* SPDX-License-Identifier: MIT */
/*
 * Description: SIGKILL ends a ring's owner within 1 s whatever its
 * requests are stuck on, in every submission mode, and the ring is freed
 * afterwards. The owner runs as an unprivileged member of the device's
 * group. It has requests in flight on a pipe, a socket and a FIFO that
 * nobody writes to (POLL_ADD, and a READ of the pipe) and a READ of a
 * cached file into a page of a userfaultfd region nobody serves (a file
 * operation that never returns); inline, the READ blocks the owner in
 * ENTER; with the SQ thread it blocks that thread; in worker mode
 * (SQWQ) a worker. The parent kills it once it is stuck and waits: exit
 * within 1 s, then the module refcount back where it was within 5 s.
 * For comparison (logged, not asserted) the same uffd READ is made
 * through io_uring: inline, with SQPOLL and with IOSQE_ASYNC.
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <linux/io_uring.h>

#include "t_async.h"

enum mode { INLINE, SQTHREAD, WORKER };
static const char *const names[] = { "inline", "sqthread", "worker" };

static char fifo_path[256], file_path[256];

static void prep_read(struct aioring_sqe *sqe, enum mode m, int fd, int idx,
		      void *buf, unsigned len)
{
	if (m == SQTHREAD) {
		aioring_prep_read(sqe, idx, buf, len, 0);
		sqe->flags |= AIORING_SQE_FIXED_FILE;
	} else {
		aioring_prep_read(sqe, fd, buf, len, 0);
	}
}

static void child(enum mode m, int ready)
{
	struct aioring_params p;
	struct aioring ring;
	struct aioring_sqe *sqe;
	char pipebuf[16];
	int fd, uffd, pfd[2], sv[2], fifo, files[4];
	char *region, c;

	t_become_user(T_USER_UID);
	fd = T_SYSOK(open(file_path, O_RDONLY));
	T_SYSOK(pread(fd, &c, 1, 0));	/* cached: only the copy blocks */
	region = t_uffd_region(4096, &uffd);
	T_SYSOK(pipe(pfd));
	T_SYSOK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	fifo = T_SYSOK(open(fifo_path, O_RDWR | O_NONBLOCK));

	memset(&p, 0, sizeof(p));
	if (m == SQTHREAD)
		p.flags = AIORING_SETUP_SQTHREAD;
	else if (m == WORKER)
		p.flags = AIORING_SETUP_SQWQ;
	T_RES(aioring_queue_init_params(16, &ring, &p), 0);
	files[0] = pfd[0];
	files[1] = sv[0];
	files[2] = fifo;
	files[3] = fd;
	if (m == SQTHREAD)
		T_RES(aioring_register_files(&ring, files, 4), 0);

	/* Polls that never fire: nobody writes. */
	for (int i = 0; i < 3; i++) {
		sqe = t_get_sqe(&ring);
		aioring_prep_poll_add(sqe, files[i], POLLIN);
		if (m == SQTHREAD) {
			sqe->fd = i;
			sqe->flags |= AIORING_SQE_FIXED_FILE;
		}
	}
	if (m != INLINE) {
		/* Inline, the pipe read would block ENTER before the uffd read. */
		sqe = t_get_sqe(&ring);
		prep_read(sqe, m, pfd[0], 0, pipebuf, sizeof(pipebuf));
	}
	sqe = t_get_sqe(&ring);
	prep_read(sqe, m, fd, 3, region, 4096);

	T_EQ(write(ready, "r", 1), 1);
	/* Inline, this blocks in the uffd fault; otherwise it returns. */
	aioring_submit(&ring);
	for (;;)
		pause();
}

static void check(enum mode m)
{
	int ready[2], status;
	long before, now;
	uint64_t t0, took;
	pid_t pid;
	char c;

	/* Rings of earlier tests may still be on their way out. */
	before = t_wait_refcnt(0, 5000);
	T_SYSOK(pipe(ready));
	pid = T_SYSOK(fork());
	if (pid == 0) {
		close(ready[0]);
		child(m, ready[1]);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		t_fail("%s: the owner died before submitting", names[m]);
	close(ready[0]);
	/* Time for the SQ thread or a worker to block in the fault. */
	t_sleep_ms(500);
	t0 = t_now_ns();
	T_SYSOK(kill(pid, SIGKILL));
	if (t_wait_child(pid, 1000) < 0)
		t_fail("%s: the owner did not end within 1 s of SIGKILL", names[m]);
	took = (t_now_ns() - t0) / 1000000;
	(void)status;
	now = t_wait_refcnt(before, 5000);
	if (now != before)
		t_fail("%s: module refcnt %ld 5 s after the owner died, %ld before",
		       names[m], now, before);
	t_log("%s: the owner ended %llu ms after SIGKILL; ring freed", names[m],
	      (unsigned long long)took);
}

/* io_uring's owner, stuck the same way; the time SIGKILL takes, logged. */
static void uring_child(enum mode m, int ready)
{
	unsigned flags = m == SQTHREAD ? IORING_SETUP_SQPOLL : 0;
	struct io_uring_sqe *sqe;
	struct t_uring u;
	int fd, uffd, ret;
	char *region, c;

	t_become_user(T_USER_UID);
	fd = T_SYSOK(open(file_path, O_RDONLY));
	T_SYSOK(pread(fd, &c, 1, 0));
	region = t_uffd_region(4096, &uffd);
	ret = t_uring_init(&u, 4, flags);
	if (ret) {
		T_EQ(write(ready, "n", 1), 1);
		_exit(77);
	}
	sqe = t_uring_read(&u, fd, region, 4096, 0);
	if (m == WORKER)
		sqe->flags |= IOSQE_ASYNC;
	T_EQ(write(ready, "r", 1), 1);
	t_uring_submit(&u, 0);
	for (;;)
		pause();
}

static void uring_compare(enum mode m)
{
	uint64_t t0, deadline;
	int ready[2], status;
	pid_t pid;
	char c = 0;

	T_SYSOK(pipe(ready));
	pid = T_SYSOK(fork());
	if (pid == 0) {
		close(ready[0]);
		uring_child(m, ready[1]);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1 || c == 'n') {
		t_log("io_uring %s: not available as uid %d here", names[m], T_USER_UID);
		t_wait_child(pid, 5000);
		close(ready[0]);
		return;
	}
	close(ready[0]);
	t_sleep_ms(500);
	t0 = t_now_ns();
	kill(pid, SIGKILL);
	deadline = t0 + 10000000000ULL;
	while (waitpid(pid, &status, WNOHANG) != pid) {
		if (t_now_ns() > deadline) {
			t_log("io_uring %s: the owner had not ended 10 s after SIGKILL", names[m]);
			return;
		}
		t_sleep_ms(5);
	}
	t_log("io_uring %s: the owner ended %llu ms after SIGKILL", names[m],
	      (unsigned long long)((t_now_ns() - t0) / 1000000));
}

int main(void)
{
	t_require_device();
	if (getuid() != 0)
		t_skip("needs root to drop privileges");
	if (t_module_refcnt() < 0)
		t_skip("no /sys/module/aioring/refcnt");
	snprintf(fifo_path, sizeof(fifo_path), "%s/owned-kill.fifo", t_test_dir());
	unlink(fifo_path);
	T_SYSOK(mkfifo(fifo_path, 0666));
	T_SYSOK(chmod(fifo_path, 0666));
	t_create_file(4096, NULL, file_path, sizeof(file_path));
	check(INLINE);
	check(SQTHREAD);
	check(WORKER);
	uring_compare(INLINE);
	uring_compare(SQTHREAD);
	uring_compare(WORKER);
	unlink(fifo_path);
	return T_EXIT_PASS;
}
