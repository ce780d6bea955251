/* SPDX-License-Identifier: MIT */
/*
 * Description: data integrity of READ and WRITE, buffered and O_DIRECT.
 * Random data is written through the ring at random offsets (several
 * requests in flight, non-overlapping) and checked with pread; data put
 * there with pwrite is read back through the ring and compared. Reads at
 * and across EOF return 0 and the short count. The O_DIRECT part uses
 * 4096-aligned buffers, offsets and lengths; it is skipped, with a note,
 * only if the test filesystem refuses O_DIRECT with EINVAL.
 */
#include <fcntl.h>

#include "t_helpers.h"

#define FILE_SIZE	(1024 * 1024)
#define INFLIGHT	8
#define SEGMENT		(FILE_SIZE / INFLIGHT)
#define ROUNDS		12
#define MAX_LEN		(32 * 1024)

static unsigned char *shadow;

/*
 * One round: INFLIGHT requests, request i inside segment i so they never
 * overlap. @align 0 means any offset/length, else multiples of @align.
 */
static void round_trip(struct aioring *ring, int fd, int check_fd, int write,
		       size_t align, unsigned char **bufs)
{
	size_t off[INFLIGHT], len[INFLIGHT];
	struct aioring_cqe cqes[INFLIGHT];
	unsigned i;

	for (i = 0; i < INFLIGHT; i++) {
		struct aioring_sqe *sqe = t_get_sqe(ring);

		if (align) {
			len[i] = align * (1 + t_rand_below(MAX_LEN / align));
			off[i] = align * t_rand_below((SEGMENT - len[i]) / align + 1);
		} else {
			len[i] = 1 + t_rand_below(MAX_LEN);
			off[i] = t_rand_below(SEGMENT - len[i] + 1);
		}
		off[i] += (size_t)i * SEGMENT;
		if (write) {
			t_fill_random(bufs[i], len[i]);
			aioring_prep_write(sqe, fd, bufs[i], (unsigned)len[i], off[i]);
		} else {
			/* Fresh data under the read, put there with pwrite. */
			t_fill_random(shadow + off[i], len[i]);
			if (pwrite(check_fd, shadow + off[i], len[i], (off_t)off[i]) !=
			    (ssize_t)len[i])
				t_fail("pwrite: %s", t_errname(errno));
			memset(bufs[i], 0xee, len[i]);
			aioring_prep_read(sqe, fd, bufs[i], (unsigned)len[i], off[i]);
		}
		aioring_sqe_set_data64(sqe, i);
	}
	t_submit(ring, INFLIGHT);
	t_reap(ring, cqes, INFLIGHT);
	for (i = 0; i < INFLIGHT; i++) {
		__u64 k = cqes[i].user_data;

		if (k >= INFLIGHT)
			t_fail("unexpected user_data %llu", (unsigned long long)k);
		if (cqes[i].res != (int)len[k])
			t_fail("%s %llu of %zu bytes at %zu: expected res %zu, got %s",
			       write ? "WRITE" : "READ", (unsigned long long)k,
			       len[k], off[k], len[k], t_resname(cqes[i].res));
		if (write)
			memcpy(shadow + off[k], bufs[k], len[k]);
		else
			t_check_buf(bufs[k], shadow + off[k], len[k], "READ data");
	}
	if (write) {
		/* Check the whole file, which also catches stray writes. */
		/* Aligned: @check_fd may be the O_DIRECT one. */
		unsigned char *all = t_aligned_alloc(4096, FILE_SIZE);

		if (pread(check_fd, all, FILE_SIZE, 0) != FILE_SIZE)
			t_fail("pread: %s", t_errname(errno));
		t_check_buf(all, shadow, FILE_SIZE, "file after WRITEs");
		free(all);
	}
}

static void eof_reads(struct aioring *ring, int fd, unsigned char *buf,
		      size_t align)
{
	size_t step = align ? align : 100;

	/* At EOF: 0. Across EOF: what is left. */
	aioring_prep_read(t_get_sqe(ring), fd, buf, (unsigned)(4 * step),
			  FILE_SIZE);
	t_submit(ring, 1);
	{
		struct aioring_cqe cqe;

		t_reap(ring, &cqe, 1);
		T_RES(cqe.res, 0);
	}
	aioring_prep_read(t_get_sqe(ring), fd, buf, (unsigned)(4 * step),
			  FILE_SIZE - step);
	t_submit(ring, 1);
	{
		struct aioring_cqe cqe;

		t_reap(ring, &cqe, 1);
		T_RES(cqe.res, step);
		t_check_buf(buf, shadow + FILE_SIZE - step, step, "READ across EOF");
	}
}

int main(void)
{
	struct aioring ring;
	unsigned char *bufs[INFLIGHT];
	char path[256];
	unsigned i, r;
	int fd, dfd;

	t_require_device();
	t_seed_random();
	/* Aligned: pwrite from it goes through the O_DIRECT fd too. */
	shadow = t_aligned_alloc(4096, FILE_SIZE);
	fd = t_create_file(FILE_SIZE, shadow, path, sizeof(path));
	t_ring_init(&ring, 2 * INFLIGHT, 0);
	for (i = 0; i < INFLIGHT; i++)
		bufs[i] = t_aligned_alloc(4096, MAX_LEN);

	/* Buffered */
	for (r = 0; r < ROUNDS; r++) {
		round_trip(&ring, fd, fd, 1, 0, bufs);
		round_trip(&ring, fd, fd, 0, 0, bufs);
	}
	eof_reads(&ring, fd, bufs[0], 0);

	/* O_DIRECT */
	dfd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (dfd < 0 && errno == EINVAL) {
		t_log("O_DIRECT refused by %s (EINVAL): O_DIRECT part skipped",
		      t_test_dir());
	} else if (dfd < 0) {
		t_fail("open %s O_DIRECT: %s", path, t_errname(errno));
	} else {
		for (r = 0; r < ROUNDS; r++) {
			/* pread/pwrite through the O_DIRECT fd too: aligned. */
			round_trip(&ring, dfd, dfd, 1, 4096, bufs);
			round_trip(&ring, dfd, dfd, 0, 4096, bufs);
		}
		/* Mixed: direct writes seen by buffered reads and back. */
		round_trip(&ring, dfd, fd, 1, 4096, bufs);
		round_trip(&ring, fd, dfd, 1, 4096, bufs);
		eof_reads(&ring, dfd, bufs[0], 4096);
		close(dfd);
	}
	t_expect_no_cqe(&ring);
	aioring_queue_exit(&ring);
	close(fd);
	return T_EXIT_PASS;
}
