/* SPDX-License-Identifier: MIT */
/*
 * Description: polled I/O (AIORING_SETUP_IOPOLL): O_DIRECT reads and
 * writes complete, reaped by polling (counted), with the right data; a
 * buffered file or a pipe gets -EOPNOTSUPP; IOPOLL with the SQ thread
 * needs no ENTER; closing with polled requests in flight is clean. Uses
 * the device AIORING_TEST_POLL_DEV (the lab's null_blk with poll queues)
 * when set, else O_DIRECT on the test file system.
 */
#include <fcntl.h>
#include <sys/ioctl.h>

#include "t_async.h"

#define BS	4096
#define NR	64

static void ring_flags(struct aioring *ring, unsigned flags)
{
	t_ring_mode(ring, 16, flags);
}

static int using_nullb;

static void run(unsigned flags, int fd, unsigned char *bufs, int write)
{
	struct aioring_stats st;
	struct aioring ring;
	unsigned i, done = 0, sub = 0;

	ring_flags(&ring, flags);
	if (flags & AIORING_SETUP_SQTHREAD)
		T_RES(aioring_register_files(&ring, &fd, 1), 0);
	while (done < NR) {
		struct aioring_cqe *cqe;

		while (sub < NR && sub - done < 8) {
			struct aioring_sqe *sqe = t_get_sqe(&ring);
			int f = (flags & AIORING_SETUP_SQTHREAD) ? 0 : fd;

			if (write)
				aioring_prep_write(sqe, f, bufs + (size_t)sub * BS, BS,
						   (uint64_t)sub * BS);
			else
				aioring_prep_read(sqe, f, bufs + (size_t)sub * BS, BS,
						  (uint64_t)sub * BS);
			if (flags & AIORING_SETUP_SQTHREAD)
				sqe->flags |= AIORING_SQE_FIXED_FILE;
			aioring_sqe_set_data64(sqe, sub);
			sub++;
		}
		if (aioring_submit_and_wait(&ring, 1) < 0)
			t_fail("submit_and_wait");
		while (aioring_peek_cqe(&ring, &cqe) == 0) {
			if (cqe->res != BS)
				t_fail("flags 0x%x %s %llu: %s", flags,
				       write ? "write" : "read",
				       (unsigned long long)cqe->user_data,
				       t_resname(cqe->res));
			aioring_cqe_seen(&ring, cqe);
			done++;
		}
	}
	T_EQ(aioring_get_stats(&ring, &st), 0);
	t_print_stats(write ? "iopoll write" : "iopoll read", &st);
	/*
	 * Every request was either polled to completion or, when the file
	 * system chose to finish it synchronously (ext4 does for some
	 * O_DIRECT writes), completed inline; reads on a block device or
	 * ext4 are queued and must be polled.
	 */
	T_EQ(st.iopoll_reaped + st.completed_inline, NR);
	/* A device with poll queues completes only when polled. */
	if (!write && using_nullb)
		T_CHECK(st.iopoll_reaped > 0);
	/* Leave some in flight, then close. */
	for (i = 0; i < 8; i++) {
		struct aioring_sqe *sqe = t_get_sqe(&ring);

		aioring_prep_read(sqe, (flags & AIORING_SETUP_SQTHREAD) ? 0 : fd,
				  bufs + (size_t)i * BS, BS, (uint64_t)i * BS);
		if (flags & AIORING_SETUP_SQTHREAD)
			sqe->flags |= AIORING_SQE_FIXED_FILE;
	}
	aioring_submit(&ring);
	aioring_queue_exit(&ring);
}

int main(void)
{
	unsigned char *bufs, *data;
	struct aioring ring;
	char path[256];
	const char *pdev = getenv("AIORING_TEST_POLL_DEV");
	int fd, buffered, pfd[2];
	unsigned i;

	t_require_device();
	t_seed_random();
	bufs = t_aligned_alloc(BS, (size_t)NR * BS);
	data = malloc((size_t)NR * BS);

	fd = pdev ? open(pdev, O_RDWR | O_DIRECT) : -1;
	using_nullb = fd >= 0;
	if (using_nullb) {
		t_log("using %s", pdev);
	} else {
		buffered = t_create_file((size_t)NR * BS, data, path, sizeof(path));
		close(buffered);
		fd = open(path, O_RDWR | O_DIRECT);
		if (fd < 0)
			t_skip("no O_DIRECT in %s and no AIORING_TEST_POLL_DEV", t_test_dir());
		t_log("using O_DIRECT on %s", path);
	}

	/* Files that cannot be polled. */
	ring_flags(&ring, AIORING_SETUP_IOPOLL);
	buffered = t_create_file(BS, NULL, NULL, 0);
	aioring_prep_read(t_get_sqe(&ring), buffered, bufs, BS, 0);
	aioring_sqe_set_data64(ring.sq.sqes, 1);
	if (pipe(pfd))
		t_fail("pipe");
	{
		struct aioring_sqe *sqe = t_get_sqe(&ring);

		aioring_prep_read(sqe, pfd[0], bufs, BS, 0);
		aioring_sqe_set_data64(sqe, 2);
	}
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 1, -EOPNOTSUPP);
	t_expect_cqe(&ring, 2, -EOPNOTSUPP);
	aioring_queue_exit(&ring);

	/* Can this device poll at all? 6.12+ refuse HIPRI without poll queues. */
	if (!using_nullb) {
		struct aioring_sqe *sqe;
		struct aioring_cqe *cqe;

		ring_flags(&ring, AIORING_SETUP_IOPOLL);
		sqe = t_get_sqe(&ring);
		aioring_prep_read(sqe, fd, bufs, BS, 0);
		T_RES(aioring_submit_and_wait(&ring, 1), 1);
		T_RES(aioring_peek_cqe(&ring, &cqe), 0);
		if (cqe->res == -EOPNOTSUPP)
			t_skip("%s cannot poll (no poll queues) and no AIORING_TEST_POLL_DEV",
			       t_test_dir());
		T_EQ(cqe->res, BS);
		aioring_cqe_seen(&ring, cqe);
		aioring_queue_exit(&ring);
	}

	t_fill_random(bufs, (size_t)NR * BS);
	memcpy(data, bufs, (size_t)NR * BS);
	run(AIORING_SETUP_IOPOLL, fd, bufs, 1);
	memset(bufs, 0, (size_t)NR * BS);
	run(AIORING_SETUP_IOPOLL, fd, bufs, 0);
	for (i = 0; i < NR; i++)
		t_check_buf(bufs + (size_t)i * BS, data + (size_t)i * BS, BS,
			    "polled read");
	memset(bufs, 0, (size_t)NR * BS);
	run(AIORING_SETUP_IOPOLL | AIORING_SETUP_SQTHREAD, fd, bufs, 0);
	for (i = 0; i < NR; i++)
		t_check_buf(bufs + (size_t)i * BS, data + (size_t)i * BS, BS,
			    "SQ thread polled read");

	close(fd);
	return T_EXIT_PASS;
}
