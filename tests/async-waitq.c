/* SPDX-License-Identifier: MIT */
/*
 * Description: cold buffered reads go through IOCB_WAITQ page callbacks
 * (counters prove it), return the right data, and with the no_waitq
 * module parameter fall back to the worker pool instead; on ext4 and on
 * xfs. It needs file systems on a device with a real completion latency
 * (the lab's null_blk with irqmode=2: AIORING_TEST_DIR_SLOW for ext4,
 * AIORING_TEST_DIR_SLOW_XFS for xfs): under emulation a virtio-blk read
 * can complete before the page cache looks again, and nothing would wait.
 */
#include <fcntl.h>

#include "t_async.h"

#define BS		4096
#define NR_BLOCKS	1024		/* 4 MiB file */
#define NR_IOS		128
#define QD		32

static unsigned char *file_data;
static char path[256];

static void restore_param(void)
{
	t_set_param("no_waitq", "N");
}

static void cold_reads(struct aioring *ring, struct aioring_stats *st)
{
	unsigned char *bufs = t_aligned_alloc(BS, (size_t)QD * BS);
	unsigned blocks[QD], free_slots[QD], nr_free = QD;
	unsigned submitted = 0, done = 0;
	int fd = T_SYSOK(open(path, O_RDONLY));
	unsigned slot;

	for (slot = 0; slot < QD; slot++)
		free_slots[slot] = slot;
	t_drop_cache(fd);
	while (done < NR_IOS) {
		struct aioring_cqe *cqe;

		/* Completions come in any order: a buffer is reused only once free. */
		while (submitted < NR_IOS && nr_free) {
			struct aioring_sqe *sqe = t_get_sqe(ring);

			slot = free_slots[--nr_free];
			blocks[slot] = t_rand_below(NR_BLOCKS);
			aioring_prep_read(sqe, fd, bufs + (size_t)slot * BS, BS,
					  (uint64_t)blocks[slot] * BS);
			aioring_sqe_set_data64(sqe, slot);
			submitted++;
		}
		cqe = t_submit_wait_one(ring);
		slot = cqe->user_data;
		if (cqe->res != BS)
			t_fail("read of block %u: %s", blocks[slot],
			       t_resname(cqe->res));
		t_check_buf(bufs + (size_t)slot * BS,
			    file_data + (size_t)blocks[slot] * BS, BS,
			    "cold read");
		aioring_cqe_seen(ring, cqe);
		free_slots[nr_free++] = slot;
		done++;
	}
	close(fd);
	free(bufs);
	t_stats(ring, st);
}

static void one_fs(const char *fs, const char *dir)
{
	struct aioring_stats st;
	struct aioring ring;
	int fd;

	t_log("%s in %s", fs, dir);
	setenv("AIORING_TEST_DIR", dir, 1);
	fd = t_create_file((size_t)NR_BLOCKS * BS, file_data, path, sizeof(path));
	close(fd);

	/* With WAITQ: no worker needed for cold buffered reads. */
	t_ring_mode(&ring, QD, 0);
	if (!(ring.features & AIORING_FEAT_WAITQ))
		t_skip("module reports no IOCB_WAITQ support");
	atexit(restore_param);
	cold_reads(&ring, &st);
	t_print_stats("waitq", &st);
	T_CHECK(st.eagain > 0);
	T_CHECK(st.waitq_retries > 0);
	T_CHECK(st.completed_waitq > 0);
	aioring_queue_exit(&ring);

	/* Forced fallback: the same reads go to workers, WAITQ unused. */
	if (t_set_param("no_waitq", "Y"))
		t_fail("cannot set the no_waitq module parameter");
	t_ring_mode(&ring, QD, 0);
	T_EQ(!!(ring.features & AIORING_FEAT_WAITQ), 0);
	cold_reads(&ring, &st);
	t_print_stats("no_waitq", &st);
	T_EQ(st.waitq_retries, 0);
	T_EQ(st.completed_waitq, 0);
	T_CHECK(st.punted > 0);
	aioring_queue_exit(&ring);
	restore_param();
	unlink(path);
}

int main(void)
{
	const char *ext4 = getenv("AIORING_TEST_DIR_SLOW");
	const char *xfs = getenv("AIORING_TEST_DIR_SLOW_XFS");

	t_require_device();
	t_seed_random();
	if (!ext4 && !xfs)
		t_skip("no file system on a device with completion latency "
		       "(AIORING_TEST_DIR_SLOW, AIORING_TEST_DIR_SLOW_XFS)");
	file_data = malloc((size_t)NR_BLOCKS * BS);
	if (ext4)
		one_fs("ext4", ext4);
	if (xfs)
		one_fs("xfs", xfs);
	return T_EXIT_PASS;
}
