/* SPDX-License-Identifier: MIT */
/*
 * Description: READV and WRITEV with several iovecs of mixed sizes,
 * including an empty one. WRITEV data lands contiguously at the offset
 * (checked with pread); pwrite'd data is scattered by READV across the
 * buffers (checked byte by byte); a READV across EOF fills the iovecs in
 * order and stops short; the maximum of 1024 iovecs works.
 */
#include <sys/uio.h>

#include "t_helpers.h"

#define FILE_SIZE	(256 * 1024)
#define NR_VECS		6

static const size_t vec_len[NR_VECS] = { 1, 100, 4096, 0, 7, 3000 };

static size_t total_len(void)
{
	size_t t = 0;
	unsigned i;

	for (i = 0; i < NR_VECS; i++)
		t += vec_len[i];
	return t;
}

int main(void)
{
	static unsigned char filedata[FILE_SIZE], bufs[NR_VECS][4096];
	static unsigned char flat[FILE_SIZE], big[1024 * 4];
	struct iovec iov[NR_VECS], many[1024];
	struct aioring ring;
	struct aioring_sqe *sqe;
	size_t total = total_len(), off, pos;
	unsigned i, round;
	int fd;

	t_require_device();
	t_seed_random();
	fd = t_create_file(FILE_SIZE, filedata, NULL, 0);
	t_ring_init(&ring, 8, 0);
	for (i = 0; i < NR_VECS; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = vec_len[i];
	}

	for (round = 0; round < 16; round++) {
		/* WRITEV */
		off = t_rand_below(FILE_SIZE - total);
		for (i = 0; i < NR_VECS; i++)
			t_fill_random(bufs[i], vec_len[i]);
		sqe = t_get_sqe(&ring);
		aioring_prep_writev(sqe, fd, iov, NR_VECS, off);
		aioring_sqe_set_data64(sqe, round);
		t_submit(&ring, 1);
		t_expect_cqe(&ring, round, (int)total);
		for (i = 0, pos = off; i < NR_VECS; pos += vec_len[i], i++)
			memcpy(filedata + pos, bufs[i], vec_len[i]);
		if (pread(fd, flat, FILE_SIZE, 0) != FILE_SIZE)
			t_fail("pread: %s", t_errname(errno));
		t_check_buf(flat, filedata, FILE_SIZE, "file after WRITEV");

		/* READV of fresh pwrite'd data */
		off = t_rand_below(FILE_SIZE - total);
		t_fill_random(filedata + off, total);
		if (pwrite(fd, filedata + off, total, (off_t)off) != (ssize_t)total)
			t_fail("pwrite: %s", t_errname(errno));
		memset(bufs, 0xee, sizeof(bufs));
		sqe = t_get_sqe(&ring);
		aioring_prep_readv(sqe, fd, iov, NR_VECS, off);
		aioring_sqe_set_data64(sqe, 100 + round);
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 100 + round, (int)total);
		for (i = 0, pos = off; i < NR_VECS; pos += vec_len[i], i++) {
			t_check_buf(bufs[i], filedata + pos, vec_len[i],
				    "READV iovec");
			/* Nothing written past the iovec's length. */
			if (vec_len[i] < sizeof(bufs[i]) && bufs[i][vec_len[i]] != 0xee)
				t_fail("READV wrote past iovec %u (length %zu)",
				       i, vec_len[i]);
		}
	}

	/* READV across EOF: the first iovecs fill, the rest stay untouched. */
	memset(bufs, 0xee, sizeof(bufs));
	off = FILE_SIZE - 150;
	sqe = t_get_sqe(&ring);
	aioring_prep_readv(sqe, fd, iov, NR_VECS, off);
	aioring_sqe_set_data64(sqe, 200);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 200, 150);
	t_check_buf(bufs[0], filedata + off, 1, "READV across EOF, iovec 0");
	t_check_buf(bufs[1], filedata + off + 1, 100, "READV across EOF, iovec 1");
	t_check_buf(bufs[2], filedata + off + 101, 49, "READV across EOF, iovec 2");
	T_EQ(bufs[2][49], 0xee);

	/* 1024 iovecs of 4 bytes, each to its own place. */
	for (i = 0; i < 1024; i++) {
		many[i].iov_base = big + (1023 - i) * 4;
		many[i].iov_len = 4;
	}
	sqe = t_get_sqe(&ring);
	aioring_prep_readv(sqe, fd, many, 1024, 4096);
	aioring_sqe_set_data64(sqe, 300);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 300, 4096);
	for (i = 0; i < 1024; i++)
		t_check_buf(big + (1023 - i) * 4, filedata + 4096 + i * 4, 4,
			    "READV with 1024 iovecs");

	t_expect_no_cqe(&ring);
	aioring_queue_exit(&ring);
	close(fd);
	return T_EXIT_PASS;
}
