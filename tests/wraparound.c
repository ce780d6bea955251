/* SPDX-License-Identifier: MIT */
/*
 * Description: SQ and CQ ring indexes wrap. An 8-entry ring runs 5000
 * submissions in batches of random sizes, reaping a random number of CQEs
 * in between so the rings are left partly full; NOPs are mixed with READs
 * whose data is checked. Every user_data arrives exactly once.
 */
#include "t_helpers.h"

#define ENTRIES		8
#define TOTAL		5000
#define FILE_SIZE	(64 * 1024)
#define READ_LEN	512

static unsigned char filedata[FILE_SIZE];
static unsigned char bufs[TOTAL][READ_LEN];	/* one per request */
static unsigned char seen[TOTAL];

static void check_cqe(const struct aioring_cqe *cqe)
{
	__u64 id = cqe->user_data;

	if (id >= TOTAL)
		t_fail("unexpected user_data %llu", (unsigned long long)id);
	if (seen[id]++)
		t_fail("user_data %llu: CQE twice", (unsigned long long)id);
	if (id % 5 == 0) {
		size_t off = (id * 997) % (FILE_SIZE - READ_LEN);

		if (cqe->res != READ_LEN)
			t_fail("READ %llu: expected res %d, got %s",
			       (unsigned long long)id, READ_LEN,
			       t_resname(cqe->res));
		t_check_buf(bufs[id], filedata + off, READ_LEN, "READ data");
	} else if (cqe->res != 0) {
		t_fail("NOP %llu: expected res 0, got %s",
		       (unsigned long long)id, t_resname(cqe->res));
	}
}

int main(void)
{
	struct aioring ring;
	struct aioring_cqe cqes[2 * ENTRIES];
	unsigned next = 0, reaped = 0, in_cq = 0, i, sq_head0, cq_head0;
	int fd;

	t_require_device();
	t_seed_random();
	fd = t_create_file(FILE_SIZE, filedata, NULL, 0);
	t_ring_init(&ring, ENTRIES, 0);
	sq_head0 = *ring.sq.khead;
	cq_head0 = *ring.cq.khead;

	while (reaped < TOTAL) {
		/* Room in both rings: never more CQEs than the CQ holds. */
		unsigned room = 2 * ENTRIES - in_cq;
		unsigned batch = 1 + (unsigned)t_rand_below(ENTRIES);
		unsigned reap;

		if (batch > room)
			batch = room;
		if (batch > TOTAL - next)
			batch = TOTAL - next;
		for (i = 0; i < batch; i++, next++) {
			struct aioring_sqe *sqe = t_get_sqe(&ring);

			if (next % 5 == 0)
				aioring_prep_read(sqe, fd, bufs[next], READ_LEN,
						  (next * 997) % (FILE_SIZE - READ_LEN));
			else
				aioring_prep_nop(sqe);
			aioring_sqe_set_data64(sqe, next);
		}
		if (batch)
			t_submit(&ring, (int)batch);
		in_cq += batch;

		/* Reap some, sometimes none, sometimes all. */
		reap = (unsigned)t_rand_below(in_cq + 1);
		if (next == TOTAL || in_cq == 2 * ENTRIES)
			reap = in_cq;
		t_reap(&ring, cqes, reap);
		for (i = 0; i < reap; i++)
			check_cqe(&cqes[i]);
		in_cq -= reap;
		reaped += reap;
	}
	for (i = 0; i < TOTAL; i++)
		if (seen[i] != 1)
			t_fail("user_data %u: seen %u times", i, seen[i]);
	t_expect_no_cqe(&ring);
	/* The indexes went around the rings hundreds of times. */
	T_EQ(*ring.sq.khead - sq_head0, TOTAL);
	T_EQ(*ring.cq.khead - cq_head0, TOTAL);
	T_EQ(*ring.cq.ktail - cq_head0, TOTAL);
	T_EQ(*ring.cq.koverflow, 0);
	aioring_queue_exit(&ring);
	close(fd);
	return T_EXIT_PASS;
}
