/* SPDX-License-Identifier: MIT */
/*
 * Description: POLL_ADD on a file whose wakeups carry no event mask (an
 * inotify fd: fsnotify wakes its readers with a plain wake_up()), so the
 * module must look at the file itself after each wakeup. A POLLIN poll
 * fires when a watched directory changes; a wakeup whose event another
 * reader consumes first leaves the poll armed (no CQE, or POLLIN if the
 * poll looked first), and the next event completes it, exactly once.
 */
#include <poll.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "t_helpers.h"

static char dir[512];
static unsigned nr_files;

static void touch(void)
{
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/f%u", dir, nr_files++);
	fd = T_SYSOK(open(path, O_CREAT | O_WRONLY, 0600));
	close(fd);
	unlink(path);
}

static void drain(int ifd)
{
	char buf[4096];

	while (read(ifd, buf, sizeof(buf)) > 0)
		;
}

int main(void)
{
	struct aioring_cqe cqe;
	struct aioring ring;
	struct aioring_sqe *sqe;
	unsigned round, early = 0;
	int ifd;

	t_require_device();
	snprintf(dir, sizeof(dir), "%s/poll-keyless.%d", t_test_dir(),
		 (int)getpid());
	if (mkdir(dir, 0700))
		t_fail("mkdir %s: %s", dir, t_errname(errno));
	ifd = inotify_init1(IN_NONBLOCK);
	if (ifd < 0)
		t_skip("inotify_init1: %s", t_errname(errno));
	T_SYSOK(inotify_add_watch(ifd, dir, IN_CREATE));
	t_ring_init(&ring, 4, 0);

	sqe = t_get_sqe(&ring);
	aioring_prep_poll_add(sqe, ifd, POLLIN);
	aioring_sqe_set_data64(sqe, 0x1);
	t_submit(&ring, 1);
	t_sleep_ms(100);
	t_expect_no_cqe(&ring);
	touch();
	t_expect_cqe(&ring, 0x1, POLLIN);
	drain(ifd);

	for (round = 0; round < 50; round++) {
		sqe = t_get_sqe(&ring);
		aioring_prep_poll_add(sqe, ifd, POLLIN);
		aioring_sqe_set_data64(sqe, 0x100 + round);
		t_submit(&ring, 1);
		/* Wake it, and race it to the event. */
		touch();
		drain(ifd);
		t_sleep_ms(2);
		if (aioring_cq_ready(&ring)) {
			early++;
		} else {
			touch();
		}
		t_reap(&ring, &cqe, 1);
		if (cqe.user_data != 0x100 + round || cqe.res != POLLIN)
			t_fail("round %u: expected 0x%x POLLIN, got 0x%llx %s",
			       round, 0x100 + round,
			       (unsigned long long)cqe.user_data,
			       t_resname(cqe.res));
		drain(ifd);
		t_expect_no_cqe(&ring);
	}
	t_log("%u of 50 polls saw the consumed event first", early);
	t_nop_roundtrip(&ring, 0x2);

	aioring_queue_exit(&ring);
	close(ifd);
	rmdir(dir);
	return T_EXIT_PASS;
}
