/* SPDX-License-Identifier: MIT */
/*
 * Description: writes are held to the submitter's RLIMIT_FSIZE wherever
 * they run. The limit here is 64 KiB. A write that starts below it is cut
 * short at it; one that starts at it (or appends to a file that size) is
 * -EFBIG. A plain ring's buffered writes go to a worker (a kernel thread
 * with no limit of its own); an SQTHREAD ring's writes are made by its SQ
 * thread, inline (O_DIRECT) or through a worker, with the limit the owner
 * had at setup. Writes made by the module's threads raise no SIGXFSZ in
 * the submitter, as io_uring's; a write the submitter makes inline may
 * raise it, as write(2) does, so SIGXFSZ is blocked and then discarded
 * for the plain ring.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>

#include "t_helpers.h"

#define LIMIT	(64 * 1024)

static unsigned char *buf;

static void write_at(struct aioring *ring, int fd, int fixed, off_t off,
		     size_t len, int res, const char *what)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);
	struct aioring_cqe cqe;

	aioring_prep_write(sqe, fd, buf, len, off);
	if (fixed)
		sqe->flags |= AIORING_SQE_FIXED_FILE;
	aioring_sqe_set_data64(sqe, off);
	aioring_submit(ring);
	t_reap(ring, &cqe, 1);
	if (cqe.res != res)
		t_fail("%s: write of %zu at %lld: expected %s, got %s", what,
		       len, (long long)off, t_resname(res), t_resname(cqe.res));
}

/* Three files: buffered, O_APPEND at the limit, O_DIRECT (or -1). */
static void open_files(int fds[3], char paths[3][256])
{
	static unsigned char fill[LIMIT];

	fds[0] = t_create_file(0, NULL, paths[0], sizeof(paths[0]));
	fds[1] = t_create_file(0, NULL, paths[1], sizeof(paths[1]));
	T_EQ(pwrite(fds[1], fill, LIMIT, 0), LIMIT);
	close(fds[1]);
	fds[1] = T_SYSOK(open(paths[1], O_WRONLY | O_APPEND));
	fds[2] = t_create_file(0, NULL, paths[2], sizeof(paths[2]));
	close(fds[2]);
	fds[2] = open(paths[2], O_WRONLY | O_DIRECT);
	if (fds[2] < 0)
		t_log("no O_DIRECT in %s (%s): direct writes not checked",
		      t_test_dir(), t_errname(errno));
}

static void check_ring(struct aioring *ring, int fixed, const char *what)
{
	char paths[3][256];
	int fds[3], i, n = 3;

	open_files(fds, paths);
	if (fds[2] < 0)
		n = 2;
	if (fixed)
		T_RES(aioring_register_files(ring, fds, n), 0);
	/* Buffered: cut short at the limit, then nothing past it. */
	write_at(ring, fixed ? 0 : fds[0], fixed, LIMIT - 4096, 8192, 4096, what);
	write_at(ring, fixed ? 0 : fds[0], fixed, LIMIT, 4096, -EFBIG, what);
	write_at(ring, fixed ? 0 : fds[0], fixed, 2 * LIMIT, 1, -EFBIG, what);
	/* Below the limit all is well. */
	write_at(ring, fixed ? 0 : fds[0], fixed, 0, 4096, 4096, what);
	/* Appending to a file of the limit's size. */
	write_at(ring, fixed ? 1 : fds[1], fixed, 0, 512, -EFBIG, what);
	if (n == 3) {
		write_at(ring, fixed ? 2 : fds[2], fixed, LIMIT - 4096, 8192,
			 4096, what);
		write_at(ring, fixed ? 2 : fds[2], fixed, LIMIT, 4096, -EFBIG,
			 what);
	}
	if (fixed)
		T_RES(aioring_unregister_files(ring), 0);
	for (i = 0; i < n; i++)
		close(fds[i]);
}

int main(void)
{
	struct rlimit rl;
	struct aioring_params p;
	struct aioring ring;
	struct timespec zero = { 0, 0 };
	sigset_t xfsz, pending;
	int ret;

	t_require_device();
	buf = t_aligned_alloc(4096, 8192);
	memset(buf, 0xa5, 8192);
	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	T_SYSOK(sigprocmask(SIG_BLOCK, &xfsz, NULL));
	T_SYSOK(getrlimit(RLIMIT_FSIZE, &rl));
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < LIMIT)
		t_skip("RLIMIT_FSIZE hard limit %llu is below %d",
		       (unsigned long long)rl.rlim_max, LIMIT);
	rl.rlim_cur = LIMIT;
	T_SYSOK(setrlimit(RLIMIT_FSIZE, &rl));

	/* A plain ring: inline or in a worker, the submitter's limit. */
	t_ring_init(&ring, 8, 0);
	check_ring(&ring, 0, "plain ring");
	aioring_queue_exit(&ring);
	while (sigtimedwait(&xfsz, NULL, &zero) == SIGXFSZ)
		;

	/* An SQ thread ring, set up under the limit. */
	memset(&p, 0, sizeof(p));
	p.flags = AIORING_SETUP_SQTHREAD;
	ret = aioring_queue_init_params(8, &ring, &p);
	if (ret)
		t_fail("SQTHREAD setup: %s", t_resname(ret));
	check_ring(&ring, 1, "SQTHREAD ring");
	aioring_queue_exit(&ring);
	T_SYSOK(sigpending(&pending));
	if (sigismember(&pending, SIGXFSZ))
		t_fail("SQTHREAD ring: a write by the SQ thread raised SIGXFSZ in the submitter");
	return T_EXIT_PASS;
}
