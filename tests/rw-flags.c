/* SPDX-License-Identifier: MIT */
/*
 * Description: sqe->rw_flags. RWF_DSYNC and RWF_SYNC writes succeed with
 * the data in place; RWF_APPEND writes at end of file whatever the offset;
 * RWF_NOWAIT reads of a regular file return data or -EAGAIN, nothing else;
 * unknown bits give -EOPNOTSUPP and RWF_HIPRI -EINVAL (no polled rings).
 */
#include <linux/fs.h>

#include "t_helpers.h"

#define FILE_SIZE	(64 * 1024)

static struct aioring ring;
static unsigned char filedata[FILE_SIZE + 4096];
static int fd;

static int do_rw(int op, void *buf, unsigned len, __u64 off, unsigned flags)
{
	struct aioring_sqe *sqe = t_get_sqe(&ring);
	struct aioring_cqe cqe;

	aioring_prep_rw(op, sqe, fd, buf, len, off);
	sqe->rw_flags = flags;
	aioring_sqe_set_data64(sqe, 0xf1a9);
	t_submit(&ring, 1);
	t_reap(&ring, &cqe, 1);
	T_EQ_HEX(cqe.user_data, 0xf1a9);
	return cqe.res;
}

static void check_file(size_t size)
{
	static unsigned char all[FILE_SIZE + 4096];

	T_EQ(lseek(fd, 0, SEEK_END), (off_t)size);
	if (pread(fd, all, size, 0) != (ssize_t)size)
		t_fail("pread: %s", t_errname(errno));
	t_check_buf(all, filedata, size, "file contents");
}

int main(void)
{
	unsigned char buf[4096];
	int res;

	t_require_device();
	t_seed_random();
	fd = t_create_file(FILE_SIZE, filedata, NULL, 0);
	t_ring_init(&ring, 4, 0);

	t_fill_random(buf, 1000);
	T_RES(do_rw(AIORING_OP_WRITE, buf, 1000, 100, RWF_DSYNC), 1000);
	memcpy(filedata + 100, buf, 1000);
	t_fill_random(buf, 1000);
	T_RES(do_rw(AIORING_OP_WRITE, buf, 1000, 5000, RWF_SYNC), 1000);
	memcpy(filedata + 5000, buf, 1000);
	check_file(FILE_SIZE);

	/* RWF_APPEND: offset 0 asked, end of file written. */
	t_fill_random(buf, 777);
	T_RES(do_rw(AIORING_OP_WRITE, buf, 777, 0, RWF_APPEND), 777);
	memcpy(filedata + FILE_SIZE, buf, 777);
	check_file(FILE_SIZE + 777);

	/* RWF_NOWAIT read: cached data (just written) or -EAGAIN. */
	memset(buf, 0, sizeof(buf));
	res = do_rw(AIORING_OP_READ, buf, 4096, 8192, RWF_NOWAIT);
	if (res == -EAGAIN)
		t_log("RWF_NOWAIT read returned -EAGAIN");
	else if (res == 4096)
		t_check_buf(buf, filedata + 8192, 4096, "RWF_NOWAIT READ");
	else
		t_fail("RWF_NOWAIT READ: expected 4096 or -EAGAIN, got %s",
		       t_resname(res));

	/* Refused flags */
	T_RES(do_rw(AIORING_OP_READ, buf, 512, 0, 0x80000000U), -EOPNOTSUPP);
	T_RES(do_rw(AIORING_OP_WRITE, buf, 512, 0, 0x40000000U), -EOPNOTSUPP);
	T_RES(do_rw(AIORING_OP_READ, buf, 512, 0, RWF_HIPRI), -EINVAL);
	T_RES(do_rw(AIORING_OP_WRITE, buf, 512, 0, RWF_HIPRI), -EINVAL);
	T_RES(do_rw(AIORING_OP_WRITE, buf, 512, 0, RWF_HIPRI | RWF_DSYNC),
	      -EINVAL);
	check_file(FILE_SIZE + 777);

	t_expect_no_cqe(&ring);
	aioring_queue_exit(&ring);
	close(fd);
	return T_EXIT_PASS;
}
