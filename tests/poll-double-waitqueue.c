/* SPDX-License-Identifier: MIT */
/*
 * Description: POLL_ADD on a file that waits on two waitqueues in one poll
 * (a FIFO open for reading and writing: its reader queue and its writer
 * queue; io_uring's "double poll"). A POLLIN poll fires on a write (a
 * wakeup on the first queue), a POLLOUT poll on a full FIFO fires when a
 * read makes room (a wakeup on the second queue), either is cancelled by
 * POLL_REMOVE, and closing the ring with such polls pending takes them
 * off both queues (the FIFO then stays usable; rmmod-clean, the last test,
 * finds anything leaked). A pseudo-terminal, which also waits on two
 * queues, is tried when /dev/ptmx works.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "t_helpers.h"

static void add_poll(struct aioring *ring, int fd, unsigned events,
		     uint64_t data)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);

	aioring_prep_poll_add(sqe, fd, events);
	aioring_sqe_set_data64(sqe, data);
}

static void expect_quiet(struct aioring *ring)
{
	t_sleep_ms(100);
	t_expect_no_cqe(ring);
}

static void try_pty(struct aioring *ring)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY), slave;
	char buf[16];

	if (master < 0 || grantpt(master) || unlockpt(master) ||
	    (slave = open(ptsname(master), O_RDWR | O_NOCTTY)) < 0) {
		t_log("no usable pseudo-terminal (%s): pty part skipped",
		      t_errname(errno));
		if (master >= 0)
			close(master);
		return;
	}
	add_poll(ring, master, POLLIN, 0x70);
	t_submit(ring, 1);
	expect_quiet(ring);
	T_EQ(write(slave, "x\n", 2), 2);
	t_expect_cqe(ring, 0x70, POLLIN);
	T_CHECK(read(master, buf, sizeof(buf)) > 0);
	close(slave);
	close(master);
}

int main(void)
{
	static char big[65536];
	struct aioring ring;
	struct aioring_sqe *sqe;
	char path[512], buf[4096];
	int fd;

	t_require_device();
	snprintf(path, sizeof(path), "%s/poll-fifo.%d", t_test_dir(),
		 (int)getpid());
	if (mkfifo(path, 0600))
		t_fail("mkfifo %s: %s", path, t_errname(errno));
	fd = open(path, O_RDWR | O_NONBLOCK);
	unlink(path);
	if (fd < 0)
		t_fail("open fifo O_RDWR: %s", t_errname(errno));

	t_ring_init(&ring, 8, 0);

	/* Empty: POLLIN waits, POLLOUT is ready at once. */
	add_poll(&ring, fd, POLLIN, 0x1);
	t_submit(&ring, 1);
	expect_quiet(&ring);
	add_poll(&ring, fd, POLLOUT, 0x2);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 0x2, POLLOUT);
	T_EQ(write(fd, "x", 1), 1);
	t_expect_cqe(&ring, 0x1, POLLIN);
	T_EQ(read(fd, buf, sizeof(buf)), 1);

	/* Full: POLLOUT waits until a read makes room. */
	while (write(fd, big, sizeof(big)) > 0)
		;
	T_EQ(errno, EAGAIN);
	add_poll(&ring, fd, POLLOUT, 0x3);
	t_submit(&ring, 1);
	expect_quiet(&ring);
	while (read(fd, big, sizeof(big)) > 0)
		;
	t_expect_cqe(&ring, 0x3, POLLOUT);

	/* POLL_REMOVE takes it off both queues. */
	add_poll(&ring, fd, POLLIN, 0x4);
	t_submit(&ring, 1);
	expect_quiet(&ring);
	sqe = t_get_sqe(&ring);
	aioring_prep_poll_remove(sqe, 0x4);
	aioring_sqe_set_data64(sqe, 0x5);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 0x4, -ECANCELED);
	t_expect_cqe(&ring, 0x5, 0);
	T_EQ(write(fd, "x", 1), 1);
	expect_quiet(&ring);
	T_EQ(read(fd, buf, sizeof(buf)), 1);

	try_pty(&ring);

	/* Pending at close: cancelled, and the FIFO works on. */
	add_poll(&ring, fd, POLLIN, 0x6);
	add_poll(&ring, fd, POLLIN | POLLPRI, 0x7);
	t_submit(&ring, 2);
	expect_quiet(&ring);
	aioring_queue_exit(&ring);
	T_EQ(write(fd, "y", 1), 1);
	T_EQ(read(fd, buf, sizeof(buf)), 1);
	close(fd);
	return T_EXIT_PASS;
}
