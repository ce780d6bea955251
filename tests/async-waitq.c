/* SPDX-License-Identifier: MIT */
/*
 * Description: cold buffered reads on ext4 go through IOCB_WAITQ page
 * callbacks (counters prove it), return the right data, and with the
 * no_waitq module parameter fall back to the worker pool instead.
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
		int ret;

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
		ret = aioring_submit(ring);
		if (ret < 0 && ret != -EBUSY)
			t_fail("submit: %s", t_resname(ret));
		ret = aioring_wait_cqe(ring, &cqe);
		if (ret < 0)
			t_fail("wait_cqe: %s", t_resname(ret));
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

int main(void)
{
	struct aioring_stats st;
	struct aioring ring;
	int fd;

	t_require_device();
	t_seed_random();
	file_data = malloc((size_t)NR_BLOCKS * BS);
	fd = t_create_file((size_t)NR_BLOCKS * BS, file_data, path, sizeof(path));
	close(fd);

	/* With WAITQ: no worker needed for cold buffered reads. */
	t_ring_mode(&ring, QD, 0);
	if (!(ring.features & AIORING_FEAT_WAITQ))
		t_skip("module reports no IOCB_WAITQ support");
	cold_reads(&ring, &st);
	t_print_stats("waitq", &st);
	T_CHECK(st.eagain > 0);
	T_CHECK(st.waitq_retries > 0);
	T_CHECK(st.completed_waitq > 0);
	aioring_queue_exit(&ring);

	/* Forced fallback: the same reads go to workers, WAITQ unused. */
	if (t_set_param("no_waitq", "Y"))
		t_fail("cannot set the no_waitq module parameter");
	atexit(restore_param);
	t_ring_mode(&ring, QD, 0);
	T_EQ(!!(ring.features & AIORING_FEAT_WAITQ), 0);
	cold_reads(&ring, &st);
	t_print_stats("no_waitq", &st);
	T_EQ(st.waitq_retries, 0);
	T_EQ(st.completed_waitq, 0);
	T_CHECK(st.punted > 0);
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}
