/* SPDX-License-Identifier: MIT */
/*
 * Description: reads and writes on pipes, FIFOs, sockets and ttys never
 * block ENTER or a thread: they are retried when poll says the file is
 * ready. A READ of an empty pipe, FIFO or stream socket returns from ENTER
 * at once with no CQE and no worker started, and completes with the data
 * once it is written; a WRITE to a full pipe completes in full once the
 * reader drains it (continued after a short write); an O_NONBLOCK pipe
 * answers -EAGAIN; a signal during the wait ends ENTER with EINTR and the
 * READ stays pending; with the SQ thread, a NOP after a pending pipe READ
 * completes at once (the thread is not stuck in the read); a pty READ
 * completes when the other side writes. Run as an unprivileged user.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "t_helpers.h"

#define MS	(1000ULL * 1000)

static volatile sig_atomic_t nr_signals;

static void handler(int sig)
{
	(void)sig;
	nr_signals++;
}

/* Submit a READ of @rfd; ENTER must return at once, with nothing done. */
static void pending_read(struct aioring *ring, int rfd, void *buf, unsigned len,
			 uint64_t ud, const char *what)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);
	uint64_t t0 = t_now_ns(), ns;

	aioring_prep_read(sqe, rfd, buf, len, -1ULL);
	aioring_sqe_set_data64(sqe, ud);
	t_submit(ring, 1);
	ns = t_now_ns() - t0;
	if (ns > 100 * MS)
		t_fail("%s: ENTER took %llu ms: it blocked in the read", what,
		       (unsigned long long)(ns / MS));
	t_sleep_ms(50);
	t_expect_no_cqe(ring);
}

static void check_read(struct aioring *ring, int rfd, int wfd, const char *what,
		       uint64_t ud)
{
	long workers = t_fdinfo_num(ring->ring_fd, "Workers");
	char buf[16] = "";

	pending_read(ring, rfd, buf, sizeof(buf), ud, what);
	/* (On 5.10 a pipe is read by a worker, but only once it is ready.) */
	if (t_fdinfo_num(ring->ring_fd, "Workers") > workers)
		t_fail("%s: a worker was started for a read that is not ready", what);
	T_EQ(write(wfd, "abc", 3), 3);
	t_expect_cqe(ring, ud, 3);
	t_check_buf(buf, "abc", 3, what);
}

int main(void)
{
	static char big[256 * 1024], sink[256 * 1024];
	struct aioring ring, sq;
	struct aioring_params p;
	struct aioring_sqe *sqe;
	struct aioring_cqe cqe;
	int pfd[2], sv[2], fifo_r, fifo_w, pipe_sz, got, ret, files[1];
	char fifo_path[256], buf[16];

	t_require_device();
	if (getuid() == 0) {
		snprintf(fifo_path, sizeof(fifo_path), "%s/rw-pollable.fifo", t_test_dir());
		unlink(fifo_path);
		T_SYSOK(mkfifo(fifo_path, 0666));
		T_SYSOK(chmod(fifo_path, 0666));
		t_become_user(T_USER_UID);
	} else {
		snprintf(fifo_path, sizeof(fifo_path), "/tmp/rw-pollable.%d.fifo", getpid());
		T_SYSOK(mkfifo(fifo_path, 0600));
	}
	t_ring_init(&ring, 8, 0);

	T_SYSOK(pipe(pfd));
	check_read(&ring, pfd[0], pfd[1], "pipe", 1);
	T_SYSOK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	check_read(&ring, sv[0], sv[1], "stream socket", 2);
	fifo_r = T_SYSOK(open(fifo_path, O_RDONLY | O_NONBLOCK));
	fifo_w = T_SYSOK(open(fifo_path, O_WRONLY));
	T_SYSOK(fcntl(fifo_r, F_SETFL, 0));
	check_read(&ring, fifo_r, fifo_w, "FIFO", 3);

	/* A WRITE bigger than the pipe: short at first, then the rest. */
	pipe_sz = T_SYSOK(fcntl(pfd[1], F_GETPIPE_SZ));
	if ((size_t)pipe_sz * 2 > sizeof(big))
		t_skip("pipe size %d", pipe_sz);
	t_fill_random(big, (size_t)pipe_sz * 2);
	sqe = t_get_sqe(&ring);
	aioring_prep_write(sqe, pfd[1], big, pipe_sz * 2, -1ULL);
	aioring_sqe_set_data64(sqe, 4);
	t_submit(&ring, 1);
	t_sleep_ms(50);
	t_expect_no_cqe(&ring);
	for (got = 0; got < pipe_sz * 2; got += ret)
		ret = T_SYSOK(read(pfd[0], sink + got, sizeof(sink) - got));
	t_expect_cqe(&ring, 4, pipe_sz * 2);
	t_check_buf(sink, big, (size_t)pipe_sz * 2, "pipe WRITE continued");

	/* O_NONBLOCK: the file's own answer. */
	T_SYSOK(fcntl(pfd[0], F_SETFL, O_NONBLOCK));
	sqe = t_get_sqe(&ring);
	aioring_prep_read(sqe, pfd[0], buf, sizeof(buf), -1ULL);
	aioring_sqe_set_data64(sqe, 5);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 5, -EAGAIN);
	T_SYSOK(fcntl(pfd[0], F_SETFL, 0));

	/* A signal ends the wait in ENTER; the READ stays pending. */
	pending_read(&ring, pfd[0], buf, sizeof(buf), 6, "pipe, signal");
	t_signal(SIGALRM, handler, 0);
	t_alarm_ms(100);
	ret = aioring_enter(ring.ring_fd, 0, 1, AIORING_ENTER_GETEVENTS, NULL, NULL, 0);
	if (ret != -EINTR || nr_signals != 1)
		t_fail("ENTER(GETEVENTS) with a signal: expected -EINTR, got %s",
		       t_resname(ret));
	t_expect_no_cqe(&ring);
	T_EQ(write(pfd[1], "xy", 2), 2);
	t_expect_cqe(&ring, 6, 2);

	/* A pending READ on a tty. */
	{
		int m = posix_openpt(O_RDWR | O_NOCTTY), s;

		if (m >= 0 && !grantpt(m) && !unlockpt(m) &&
		    (s = open(ptsname(m), O_RDWR | O_NOCTTY)) >= 0) {
			char line[16] = "";

			pending_read(&ring, m, line, sizeof(line), 7, "pty");
			T_EQ(write(s, "q\n", 2), 2);
			t_reap(&ring, &cqe, 1);
			if (cqe.user_data != 7 || cqe.res < 1)
				t_fail("pty READ: %s", t_resname(cqe.res));
			close(s);
		} else {
			t_log("no pty here; skipping that case");
		}
		if (m >= 0)
			close(m);
	}
	/* Pending reads are cancelled with the ring. */
	pending_read(&ring, sv[0], buf, sizeof(buf), 8, "socket at close");
	aioring_queue_exit(&ring);

	/* SQ thread: a pending pipe READ does not hold up the next SQE. */
	memset(&p, 0, sizeof(p));
	p.flags = AIORING_SETUP_SQTHREAD;
	T_RES(aioring_queue_init_params(4, &sq, &p), 0);
	files[0] = pfd[0];
	T_RES(aioring_register_files(&sq, files, 1), 0);
	sqe = t_get_sqe(&sq);
	aioring_prep_read(sqe, 0, buf, sizeof(buf), -1ULL);
	sqe->flags |= AIORING_SQE_FIXED_FILE;
	aioring_sqe_set_data64(sqe, 9);
	sqe = t_get_sqe(&sq);
	aioring_prep_nop(sqe);
	aioring_sqe_set_data64(sqe, 10);
	aioring_submit(&sq);
	t_expect_cqe(&sq, 10, 0);
	T_EQ(write(pfd[1], "z", 1), 1);
	t_expect_cqe(&sq, 9, 1);
	aioring_queue_exit(&sq);
	unlink(fifo_path);
	return T_EXIT_PASS;
}
