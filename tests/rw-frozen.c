/* SPDX-License-Identifier: MIT */
/*
 * Description: ENTER never sleeps in a frozen file system's freeze
 * protection. As uid 1000, O_DIRECT and buffered WRITEs are in flight on
 * ext4 when root freezes it (FIFREEZE waits for them); then, frozen, eight
 * more WRITEs are submitted in one ENTER, which must return at once (well
 * before the thaw 4 s later) with nothing completed. After FITHAW every
 * write completes in full and the data reads back. Before the fix the
 * NOWAIT attempt slept in sb_start_write() until the thaw.
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "t_async.h"

#define BS		4096
#define NR		8
#define HOLD_MS		4000
#define ENTER_MAX_MS	2000

static int frozen_fd = -1;

static void thaw(void)
{
	if (frozen_fd >= 0 && ioctl(frozen_fd, FITHAW, 0) == 0)
		t_log("thawed");
	frozen_fd = -1;
}

/* Writes of blocks first..first+NR-1; odd ones through @odd_fd. */
static void submit_writes(struct aioring *ring, int dfd, int odd_fd,
			  char *bufs, unsigned first)
{
	unsigned i;

	for (i = 0; i < NR; i++) {
		struct aioring_sqe *sqe = t_get_sqe(ring);
		unsigned n = first + i;

		aioring_prep_write(sqe, i & 1 ? odd_fd : dfd,
				   bufs + (size_t)n * BS, BS, (uint64_t)n * BS);
		aioring_sqe_set_data64(sqe, n);
	}
}

static void reap_all(struct aioring *ring, unsigned nr)
{
	struct aioring_cqe cqe;

	while (nr--) {
		t_reap(ring, &cqe, 1);
		if (cqe.res != BS)
			t_error("write %llu: expected %d, got %s",
				(unsigned long long)cqe.user_data, BS,
				t_resname(cqe.res));
	}
}

static int child(const char *path, int to_parent, int from_parent)
{
	struct aioring ring;
	char *bufs, *check, c;
	uint64_t t0, ms;
	int dfd, bfd, ret;

	t_become_user(T_USER_UID);
	dfd = open(path, O_RDWR | O_DIRECT);
	bfd = open(path, O_RDWR);
	if (dfd < 0 || bfd < 0)
		t_fail("open %s: %s", path, t_errname(errno));
	bufs = t_aligned_alloc(BS, 2 * NR * BS);
	t_fill_random(bufs, 2 * NR * BS);
	t_ring_init(&ring, 2 * NR, 0);

	/*
	 * In flight while root freezes: O_DIRECT, which holds the freeze
	 * protection until the device completes it, so FIFREEZE waits for
	 * these (a buffered write queued to a worker might not have started).
	 */
	submit_writes(&ring, dfd, dfd, bufs, 0);
	ret = aioring_submit(&ring);
	if (ret != NR)
		t_fail("first submit: %s", t_resname(ret));
	if (write(to_parent, "s", 1) != 1 || read(from_parent, &c, 1) != 1)
		t_fail("pipe to the parent");
	reap_all(&ring, NR);

	/* Frozen now: submitting must not wait for the thaw. Half buffered. */
	submit_writes(&ring, dfd, bfd, bufs, NR);
	t0 = t_now_ns();
	ret = aioring_submit(&ring);
	ms = (t_now_ns() - t0) / 1000000;
	t_log("ENTER with %d writes on a frozen ext4 returned in %llu ms", NR,
	      (unsigned long long)ms);
	if (ret != NR)
		t_error("frozen submit: expected %d, got %s", NR, t_resname(ret));
	if (ms > ENTER_MAX_MS)
		t_error("ENTER slept %llu ms on the frozen file system (the thaw came after %d ms)",
			(unsigned long long)ms, HOLD_MS);
	else if (aioring_cq_ready(&ring))
		t_error("a write completed while the file system was frozen");
	reap_all(&ring, NR);

	check = t_aligned_alloc(BS, 2 * NR * BS);
	if (pread(bfd, check, 2 * NR * BS, 0) != 2 * NR * BS)
		t_fail("read back: %s", t_errname(errno));
	t_check_buf(check, bufs, 2 * NR * BS, "written before and after the freeze");
	aioring_queue_exit(&ring);
	return t_exit_status();
}

int main(void)
{
	const char *dir = getenv("AIORING_TEST_DIR_SLOW");
	int up[2], down[2], fd, status;
	char path[256], c;
	pid_t pid;

	t_require_device();
	if (getuid() != 0)
		t_skip("needs root to freeze a file system");
	if (!dir)
		t_skip("no AIORING_TEST_DIR_SLOW (ext4 on null_blk)");
	setenv("AIORING_TEST_DIR", dir, 1);
	fd = t_create_file(2 * NR * BS, NULL, path, sizeof(path));
	if (fchown(fd, T_USER_UID, T_USER_UID))
		t_fail("chown: %s", t_errname(errno));
	fsync(fd);
	close(fd);
	T_SYSOK(pipe(up));
	T_SYSOK(pipe(down));
	pid = T_SYSOK(fork());
	if (!pid) {
		close(up[0]);
		close(down[1]);
		exit(child(path, up[1], down[0]));
	}
	close(up[1]);
	close(down[0]);
	atexit(thaw);
	if (read(up[0], &c, 1) != 1) {
		t_wait_child(pid, 5000);
		t_fail("the child died before submitting");
	}
	frozen_fd = T_SYSOK(open(dir, O_RDONLY | O_DIRECTORY));
	if (ioctl(frozen_fd, FIFREEZE, 0)) {
		int err = errno;

		close(frozen_fd);
		frozen_fd = -1;
		kill(pid, SIGKILL);
		t_wait_child(pid, 5000);
		if (err == EOPNOTSUPP || err == ENOTTY)
			t_skip("FIFREEZE: %s", t_errname(err));
		t_fail("FIFREEZE: %s", t_errname(err));
	}
	t_log("froze %s", dir);
	if (write(down[1], "f", 1) != 1)
		t_fail("pipe to the child");
	t_sleep_ms(HOLD_MS);
	thaw();
	status = t_wait_child(pid, 30000);
	if (status != 0)
		t_error("the child: status %d", status);
	return t_exit_status();
}
