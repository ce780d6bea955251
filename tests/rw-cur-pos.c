/* SPDX-License-Identifier: MIT */
/*
 * Description: off == -1 (AIORING_FEAT_RW_CUR_POS) reads and writes at the
 * file position and advances it like read(2)/write(2), for READ, WRITE,
 * READV and WRITEV; an explicit offset leaves the position alone; reads
 * at the position stop at EOF; read(2) continues where the ring left off.
 */
#include <sys/uio.h>

#include "t_helpers.h"

#define FILE_SIZE	(64 * 1024)

static struct aioring ring;
static unsigned char filedata[FILE_SIZE];
static int fd;

static off_t pos(void)
{
	return lseek(fd, 0, SEEK_CUR);
}

static void do_rw(int op, void *buf, unsigned len, __u64 off, int res)
{
	struct aioring_sqe *sqe = t_get_sqe(&ring);

	aioring_prep_rw(op, sqe, fd, buf, len, off);
	aioring_sqe_set_data64(sqe, op);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, op, res);
}

int main(void)
{
	unsigned char buf[4096], buf2[4096];
	struct iovec iov[2];

	t_require_device();
	t_seed_random();
	fd = t_create_file(FILE_SIZE, filedata, NULL, 0);
	t_ring_init(&ring, 4, 0);
	if (!(ring.features & AIORING_FEAT_RW_CUR_POS))
		t_skip("no AIORING_FEAT_RW_CUR_POS");

	T_EQ(lseek(fd, 0, SEEK_SET), 0);
	do_rw(AIORING_OP_READ, buf, 1000, -1ULL, 1000);
	t_check_buf(buf, filedata, 1000, "READ at position 0");
	T_EQ(pos(), 1000);
	do_rw(AIORING_OP_READ, buf, 500, -1ULL, 500);
	t_check_buf(buf, filedata + 1000, 500, "READ at position 1000");
	T_EQ(pos(), 1500);

	/* An explicit offset does not move the position. */
	do_rw(AIORING_OP_READ, buf, 100, 0, 100);
	t_check_buf(buf, filedata, 100, "READ at offset 0");
	T_EQ(pos(), 1500);

	/* read(2) picks up where the ring left off, and the other way. */
	if (read(fd, buf, 10) != 10)
		t_fail("read: %s", t_errname(errno));
	t_check_buf(buf, filedata + 1500, 10, "read(2) after READ");
	do_rw(AIORING_OP_READ, buf, 10, -1ULL, 10);
	t_check_buf(buf, filedata + 1510, 10, "READ after read(2)");
	T_EQ(pos(), 1520);

	/* WRITE at the position */
	t_fill_random(buf, 300);
	do_rw(AIORING_OP_WRITE, buf, 300, -1ULL, 300);
	memcpy(filedata + 1520, buf, 300);
	T_EQ(pos(), 1820);

	/* READV and WRITEV at the position */
	t_fill_random(buf, 64);
	t_fill_random(buf2, 64);
	iov[0].iov_base = buf;
	iov[0].iov_len = 64;
	iov[1].iov_base = buf2;
	iov[1].iov_len = 36;
	do_rw(AIORING_OP_WRITEV, iov, 2, -1ULL, 100);
	memcpy(filedata + 1820, buf, 64);
	memcpy(filedata + 1884, buf2, 36);
	T_EQ(pos(), 1920);
	T_EQ(lseek(fd, 1800, SEEK_SET), 1800);
	iov[0].iov_len = 20;
	iov[1].iov_len = 200;
	do_rw(AIORING_OP_READV, iov, 2, -1ULL, 220);
	t_check_buf(buf, filedata + 1800, 20, "READV iovec 0");
	t_check_buf(buf2, filedata + 1820, 200, "READV iovec 1");
	T_EQ(pos(), 2020);

	/* The file itself has what the position writes put there. */
	{
		static unsigned char all[FILE_SIZE];

		if (pread(fd, all, FILE_SIZE, 0) != FILE_SIZE)
			t_fail("pread: %s", t_errname(errno));
		t_check_buf(all, filedata, FILE_SIZE, "file after position writes");
	}

	/* Near EOF: a short read, then 0, position at EOF. */
	T_EQ(lseek(fd, FILE_SIZE - 10, SEEK_SET), FILE_SIZE - 10);
	do_rw(AIORING_OP_READ, buf, 100, -1ULL, 10);
	t_check_buf(buf, filedata + FILE_SIZE - 10, 10, "READ up to EOF");
	T_EQ(pos(), FILE_SIZE);
	do_rw(AIORING_OP_READ, buf, 100, -1ULL, 0);
	T_EQ(pos(), FILE_SIZE);

	/* WRITE at the position extends the file. */
	do_rw(AIORING_OP_WRITE, buf, 50, -1ULL, 50);
	T_EQ(pos(), FILE_SIZE + 50);
	T_EQ(lseek(fd, 0, SEEK_END), FILE_SIZE + 50);

	t_expect_no_cqe(&ring);
	aioring_queue_exit(&ring);
	close(fd);
	return T_EXIT_PASS;
}
