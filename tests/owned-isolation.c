/* SPDX-License-Identifier: MIT */
/*
 * Description: one user's stuck I/O does not slow another user's ring.
 * User B (uid 1001) times 4096 cold buffered 4 KiB random reads, 32 in
 * flight, of a file on the slow null_blk ext4 (0.2 ms; WAITQ retries),
 * alone. Then user A (uid 1000) gets 256 cold reads of a file on the
 * 10 ms null_blk stuck: each page is still under I/O when A's ENTER looks,
 * so each read waits with WAITQ, and its retry copies into a page of a
 * userfaultfd region nobody serves: whatever thread runs A's retries
 * blocks there. B's reads must keep at
 * least 80% of their rate alone: the best of five runs with A stuck against
 * the median of six alone, three before A and three after A is gone. (Under
 * emulation single runs wobble by 20%; the old shared queue gave B no
 * completion at all.) Before the
 * owned-worker model all retries shared one module-wide workqueue.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "t_async.h"

#define NR_A	256
#define NR	4096
#define QD	32
#define BS	4096
#define BLOCKS	8192	/* 32 MiB files */

#define BLOCKS_A	(NR_A * 8)	/* 8 MiB: one read every 8 pages */

static char path_a[256], path_b[256];

static void drop_caches(void)
{
	int fd = T_SYSOK(open("/proc/sys/vm/drop_caches", O_WRONLY));

	T_SYSOK(write(fd, "3", 1));
	close(fd);
}

/* User B: NR cold reads, QD in flight; writes the ms taken to @out. */
static void user_b(int out)
{
	static char bufs[QD][BS];
	struct aioring ring;
	unsigned sub = 0, done = 0, inflight = 0, ms;
	uint64_t t0;
	int fd;

	t_become_user(T_USER_UID + 1);
	fd = T_SYSOK(open(path_b, O_RDONLY));
	t_ring_init(&ring, QD, 0);
	t0 = t_now_ns();
	while (done < NR) {
		struct aioring_cqe cqe;

		while (inflight < QD && sub < NR) {
			struct aioring_sqe *sqe = t_get_sqe(&ring);

			aioring_prep_read(sqe, fd, bufs[sub % QD], BS,
					  t_rand_below(BLOCKS) * BS);
			aioring_sqe_set_data64(sqe, sub);
			sub++;
			inflight++;
		}
		aioring_submit(&ring);
		t_reap(&ring, &cqe, 1);
		if (cqe.res != BS)
			t_fail("B's read %llu: %s", (unsigned long long)cqe.user_data,
			       t_resname(cqe.res));
		done++;
		inflight--;
	}
	ms = (unsigned)((t_now_ns() - t0) / 1000000);
	T_EQ(write(out, &ms, sizeof(ms)), (ssize_t)sizeof(ms));
	_exit(0);
}

/* User A: NR cold reads into pages nobody serves; then waits to be killed. */
static void user_a(int ready)
{
	struct aioring ring;
	int fd, uffd, i;
	char *region;

	t_become_user(T_USER_UID);
	fd = T_SYSOK(open(path_a, O_RDONLY));
	/*
	 * No readahead: each read must find its page missing, or ENTER would
	 * copy a cached page into the region itself and block there.
	 */
	T_EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM), 0);
	region = t_uffd_region((size_t)NR_A * BS, &uffd);
	t_ring_init(&ring, NR_A, 0);
	for (i = 0; i < NR_A; i++) {
		struct aioring_sqe *sqe = t_get_sqe(&ring);

		aioring_prep_read(sqe, fd, region + (size_t)i * BS, BS,
				  (uint64_t)i * 8 * BS);
		aioring_sqe_set_data64(sqe, i);
	}
	t_submit(&ring, NR_A);
	T_EQ(write(ready, "a", 1), 1);
	for (;;)
		pause();
}

static unsigned time_b(void)
{
	unsigned ms;
	int p[2];
	pid_t pid;

	drop_caches();
	T_SYSOK(pipe(p));
	pid = T_SYSOK(fork());
	if (pid == 0) {
		close(p[0]);
		user_b(p[1]);
	}
	close(p[1]);
	t_expect_child_exit(pid, 0, "user B's reads");
	T_EQ(read(p[0], &ms, sizeof(ms)), (ssize_t)sizeof(ms));
	close(p[0]);
	return ms;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* @n runs of user B into @ms, from @at on. */
static void runs(unsigned *ms, unsigned at, unsigned n)
{
	while (n--)
		ms[at++] = time_b();
}

static unsigned median(unsigned *ms, unsigned n)
{
	qsort(ms, n, sizeof(*ms), cmp_uint);
	return ms[n / 2];
}

int main(void)
{
	const char *slow = getenv("AIORING_TEST_DIR_SLOW");
	const char *slower = getenv("AIORING_TEST_DIR_SLOWER");
	unsigned alone, loaded, alone_ms[6], loaded_ms[5];
	int ready[2], fd;
	pid_t a;
	char c;

	t_require_device();
	if (getuid() != 0)
		t_skip("needs root to drop caches and privileges");
	if (!slow || !slower)
		t_skip("no AIORING_TEST_DIR_SLOW and _SLOWER (null_blk ext4)");
	setenv("AIORING_TEST_DIR", slower, 1);
	fd = t_create_file((size_t)BLOCKS_A * BS, NULL, path_a, sizeof(path_a));
	close(fd);
	setenv("AIORING_TEST_DIR", slow, 1);
	fd = t_create_file((size_t)BLOCKS * BS, NULL, path_b, sizeof(path_b));
	close(fd);
	sync();

	runs(alone_ms, 0, 3);

	drop_caches();
	T_SYSOK(pipe(ready));
	a = T_SYSOK(fork());
	if (a == 0) {
		close(ready[0]);
		user_a(ready[1]);
	}
	close(ready[1]);
	{
		struct pollfd pfd = { .fd = ready[0], .events = POLLIN };

		if (poll(&pfd, 1, 10000) != 1 || read(ready[0], &c, 1) != 1) {
			kill(a, SIGKILL);
			t_fail("user A's ENTER did not return within 10 s (or A died)");
		}
	}
	/* Let A's reads come back from the device and block in the faults. */
	t_sleep_ms(500);
	runs(loaded_ms, 0, 5);
	kill(a, SIGKILL);
	t_wait_child(a, 5000);
	/* Alone again, with A gone: the rate alone is taken around the test. */
	t_wait_refcnt(0, 5000);
	runs(alone_ms, 3, 3);
	alone = median(alone_ms, 6);
	qsort(loaded_ms, 5, sizeof(*loaded_ms), cmp_uint);
	loaded = loaded_ms[0];

	t_log("user B: %u reads in %u ms alone (median of 6, before and after), %u ms with user A's %d stuck (best of 5; median %u)",
	      NR, alone, loaded, NR_A, loaded_ms[2]);
	/* Rate at least 80% of alone: time at most 1.25 times. */
	if (loaded * 4 > alone * 5)
		t_fail("user B's reads took %u ms with user A's stuck, %u ms alone: below 80%% of the rate",
		       loaded, alone);
	return T_EXIT_PASS;
}
