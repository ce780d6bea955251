/* SPDX-License-Identifier: MIT */
/*
 * Description: close() of a ring with 64 requests stuck returns at once,
 * and the ring is freed when they end. As an unprivileged member of the
 * device's group: a worker-mode ring (SQWQ, 4 workers) gets 48 READs of a
 * cached file into pages of a userfaultfd region nobody serves, so its
 * workers block in the page fault and the rest queue behind them, and 16
 * READs of FIFOs nobody writes to, which wait for readiness. Closing
 * the ring (unmap and close) must take under 100 ms. Then the userfaultfd
 * is closed, which ends the faults (-EFAULT), and the module's refcount
 * must come back to where it was: the ring, its requests and its threads
 * are gone. (Before the owned-worker model, ->release waited for the
 * workers, and close() hung for as long as the faults did.) For
 * comparison, the time io_uring's close takes with 64 IOSQE_ASYNC reads
 * stuck the same way is logged, not asserted.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <linux/io_uring.h>

#include "t_async.h"

#define NR	64
#define NR_FIFO	16
#define BS	4096

static char path[256], fifo_path[256];

static void child(void)
{
	struct aioring_params p;
	struct aioring ring;
	uint64_t t0, took;
	int fd, uffd, i;
	char *region;

	t_become_user(T_USER_UID);
	fd = T_SYSOK(open(path, O_RDONLY));
	region = t_uffd_region(NR * BS, &uffd);

	memset(&p, 0, sizeof(p));
	p.flags = AIORING_SETUP_SQWQ;
	p.max_workers = 4;
	T_RES(aioring_queue_init_params(NR, &ring, &p), 0);
	for (i = 0; i < NR; i++) {
		struct aioring_sqe *sqe = t_get_sqe(&ring);
		static char fifo_buf[NR_FIFO][16];

		if (i < NR - NR_FIFO) {
			aioring_prep_read(sqe, fd, region + (size_t)i * BS, BS,
					  (uint64_t)i * BS);
		} else {
			int fifo = T_SYSOK(open(fifo_path, O_RDWR));

			aioring_prep_read(sqe, fifo, fifo_buf[i - (NR - NR_FIFO)],
					  16, -1ULL);
		}
		aioring_sqe_set_data64(sqe, i);
	}
	t_submit(&ring, NR);
	/* Let the workers start and block in their faults. */
	t_sleep_ms(300);
	if (t_fdinfo_num(ring.ring_fd, "Inflight") != NR)
		t_fail("Inflight %ld after submitting %d stuck reads",
		       t_fdinfo_num(ring.ring_fd, "Inflight"), NR);

	t0 = t_now_ns();
	aioring_queue_exit(&ring);
	took = (t_now_ns() - t0) / 1000000;
	if (took >= 100)
		t_fail("closing the ring took %llu ms with %d requests stuck",
		       (unsigned long long)took, NR);
	t_log("close took %llu ms with %d requests stuck", (unsigned long long)took, NR);
	/* Unblock them: the faults end with SIGBUS inside the kernel. */
	close(uffd);

	/* The same with io_uring, logged. */
	{
		struct t_uring u;

		region = t_uffd_region(NR * BS, &uffd);
		if (t_uring_init(&u, NR, 0)) {
			t_log("io_uring: not available as uid %d here", T_USER_UID);
		} else {
			for (i = 0; i < NR; i++)
				t_uring_read(&u, fd, region + (size_t)i * BS, BS,
					     (uint64_t)i * BS)->flags |= IOSQE_ASYNC;
			t_uring_submit(&u, 0);
			t_sleep_ms(300);
			t0 = t_now_ns();
			t_uring_exit(&u);
			t_log("io_uring: close took %llu ms with %d IOSQE_ASYNC reads stuck",
			      (unsigned long long)((t_now_ns() - t0) / 1000000), NR);
		}
		close(uffd);
	}
	_exit(0);
}

int main(void)
{
	long before, now;
	pid_t pid;

	t_require_device();
	if (getuid() != 0)
		t_skip("needs root to drop privileges");
	/* Rings of earlier tests may still be on their way out. */
	before = t_wait_refcnt(0, 5000);
	if (before < 0)
		t_skip("no /sys/module/aioring/refcnt");
	/* Made by root, read by the user: cached, so only the copy blocks. */
	t_create_file(NR * BS, NULL, path, sizeof(path));
	snprintf(fifo_path, sizeof(fifo_path), "%s/owned-close-stuck.fifo", t_test_dir());
	unlink(fifo_path);
	T_SYSOK(mkfifo(fifo_path, 0666));
	T_SYSOK(chmod(fifo_path, 0666));
	pid = T_SYSOK(fork());
	if (pid == 0)
		child();
	t_expect_child_exit(pid, 0, "close with stuck requests");
	now = t_wait_refcnt(before, 5000);
	if (now != before)
		t_fail("module refcnt %ld 5 s after the faults ended, %ld before: the ring leaked",
		       now, before);
	unlink(fifo_path);
	return T_EXIT_PASS;
}
