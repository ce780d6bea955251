/* SPDX-License-Identifier: MIT */
/*
 * Description: AIORING_OP_FSYNC. fsync_flags 0 and AIORING_FSYNC_DATASYNC
 * complete with 0, on the whole file (off 0, len 0) and on a range; data
 * written through the ring is still there afterwards. Unknown fsync flag
 * bits and a nonzero addr give -EINVAL, a bad fd -EBADF, a pipe -EINVAL.
 */
#include "t_helpers.h"

#define FILE_SIZE	(64 * 1024)

static struct aioring ring;

static int do_fsync(int fd, unsigned flags, __u64 off, unsigned len,
		    __u64 addr)
{
	struct aioring_sqe *sqe = t_get_sqe(&ring);
	struct aioring_cqe cqe;

	aioring_prep_fsync(sqe, fd, flags);
	sqe->off = off;
	sqe->len = len;
	sqe->addr = addr;
	aioring_sqe_set_data64(sqe, 0xf5);
	t_submit(&ring, 1);
	t_reap(&ring, &cqe, 1);
	T_EQ_HEX(cqe.user_data, 0xf5);
	return cqe.res;
}

int main(void)
{
	static unsigned char filedata[FILE_SIZE], all[FILE_SIZE];
	unsigned char buf[8192];
	struct aioring_sqe *sqe;
	int fd, pipefd[2];
	unsigned i;

	t_require_device();
	t_seed_random();
	fd = t_create_file(FILE_SIZE, filedata, NULL, 0);
	t_ring_init(&ring, 4, 0);

	for (i = 0; i < 4; i++) {
		t_fill_random(buf, sizeof(buf));
		sqe = t_get_sqe(&ring);
		aioring_prep_write(sqe, fd, buf, sizeof(buf), i * 16384);
		aioring_sqe_set_data64(sqe, i);
		t_submit(&ring, 1);
		t_expect_cqe(&ring, i, sizeof(buf));
		memcpy(filedata + i * 16384, buf, sizeof(buf));

		T_RES(do_fsync(fd, i & 1 ? AIORING_FSYNC_DATASYNC : 0, 0, 0, 0), 0);
	}
	T_RES(do_fsync(fd, 0, 4096, 8192, 0), 0);
	T_RES(do_fsync(fd, AIORING_FSYNC_DATASYNC, 16384, 4096, 0), 0);
	T_RES(do_fsync(fd, 0, FILE_SIZE * 4ULL, 100, 0), 0);
	if (pread(fd, all, FILE_SIZE, 0) != FILE_SIZE)
		t_fail("pread: %s", t_errname(errno));
	t_check_buf(all, filedata, FILE_SIZE, "file after FSYNC");

	/* Refused */
	T_RES(do_fsync(fd, 2, 0, 0, 0), -EINVAL);
	T_RES(do_fsync(fd, 1U << 31, 0, 0, 0), -EINVAL);
	T_RES(do_fsync(fd, AIORING_FSYNC_DATASYNC | 4, 0, 0, 0), -EINVAL);
	T_RES(do_fsync(fd, 0, 0, 0, (__u64)(uintptr_t)buf), -EINVAL);
	T_RES(do_fsync(-1, 0, 0, 0, 0), -EBADF);
	T_RES(do_fsync(99999, AIORING_FSYNC_DATASYNC, 0, 0, 0), -EBADF);
	if (pipe(pipefd))
		t_fail("pipe: %s", t_errname(errno));
	T_RES(do_fsync(pipefd[1], 0, 0, 0, 0), -EINVAL);

	/* Still fine */
	T_RES(do_fsync(fd, 0, 0, 0, 0), 0);
	t_expect_no_cqe(&ring);
	aioring_queue_exit(&ring);
	close(fd);
	return T_EXIT_PASS;
}
