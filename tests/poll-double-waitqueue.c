/* SPDX-License-Identifier: MIT */
/*
 * Description: a file that waits on two waitqueues in one poll (a FIFO
 * open for both reading and writing: its reader and writer queues) is not
 * supported: POLL_ADD completes at once with -EOPNOTSUPP when nothing is
 * ready yet (as fs/aio.c refuses it), and leaves nothing armed. When an
 * event is already there, its mask is the answer.
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

#include "t_helpers.h"

int main(void)
{
	struct aioring ring;
	struct aioring_sqe *sqe;
	char path[512];
	int fd;

	t_require_device();
	snprintf(path, sizeof(path), "%s/poll-fifo.%d", t_test_dir(),
		 (int)getpid());
	if (mkfifo(path, 0600))
		t_skip("mkfifo %s: %s", path, t_errname(errno));
	fd = open(path, O_RDWR | O_NONBLOCK);
	unlink(path);
	if (fd < 0)
		t_fail("open fifo O_RDWR: %s", t_errname(errno));

	t_ring_init(&ring, 4, 0);
	sqe = t_get_sqe(&ring);
	aioring_prep_poll_add(sqe, fd, POLLIN);
	aioring_sqe_set_data64(sqe, 0x1);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 0x1, -EOPNOTSUPP);

	/* Nothing armed: data arriving posts nothing. */
	T_EQ(write(fd, "x", 1), 1);
	t_nop_roundtrip(&ring, 0x2);
	t_expect_no_cqe(&ring);

	sqe = t_get_sqe(&ring);
	aioring_prep_poll_add(sqe, fd, POLLIN | POLLOUT);
	aioring_sqe_set_data64(sqe, 0x3);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 0x3, POLLIN | POLLOUT);

	aioring_queue_exit(&ring);
	close(fd);
	return T_EXIT_PASS;
}
