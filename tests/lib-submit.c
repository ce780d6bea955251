/* SPDX-License-Identifier: MIT */
/*
 * Description: aioring_submit and aioring_submit_and_wait. They return
 * the number of SQEs handed over, 0 when nothing is prepared; wait_nr
 * waits for that many CQEs; reads and writes work through them; -EBUSY
 * during CQ overflow comes back as a return value with errno untouched,
 * and the refused SQEs go in with the next submit.
 */
#include "t_helpers.h"

static void prep_nops(struct aioring *ring, unsigned n, __u64 base)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct aioring_sqe *sqe = t_get_sqe(ring);

		aioring_prep_nop(sqe);
		aioring_sqe_set_data64(sqe, base + i);
	}
}

int main(void)
{
	struct aioring ring;
	struct aioring_params p;
	struct aioring_cqe cqes[8];
	unsigned char wbuf[4096], rbuf[4096];
	unsigned i;
	int fd;

	t_require_device();
	t_seed_random();
	fd = t_create_file(16384, NULL, NULL, 0);
	t_ring_init(&ring, 8, 0);

	errno = 1234;
	T_RES(aioring_submit(&ring), 0);
	T_RES(aioring_submit_and_wait(&ring, 0), 0);
	T_EQ(errno, 1234);

	/* submit: returns the count, sq_ready drops to 0 */
	prep_nops(&ring, 3, 10);
	T_EQ(aioring_sq_ready(&ring), 3);
	T_RES(aioring_submit(&ring), 3);
	T_EQ(errno, 1234);
	T_EQ(aioring_sq_ready(&ring), 0);
	t_reap(&ring, cqes, 3);
	for (i = 0; i < 3; i++) {
		T_EQ(cqes[i].user_data, 10 + i);
		T_RES(cqes[i].res, 0);
	}

	/* submit_and_wait: the CQEs are there when it returns */
	prep_nops(&ring, 4, 20);
	T_RES(aioring_submit_and_wait(&ring, 4), 4);
	if (aioring_cq_ready(&ring) < 4)
		t_fail("after submit_and_wait(4): expected >= 4 CQEs ready, got %u",
		       aioring_cq_ready(&ring));
	t_reap(&ring, cqes, 4);
	/* wait without submitting: 0 submitted, a CQE ready */
	prep_nops(&ring, 1, 30);
	T_RES(aioring_submit(&ring), 1);
	T_RES(aioring_submit_and_wait(&ring, 1), 0);
	T_CHECK(aioring_cq_ready(&ring) >= 1);
	t_expect_cqe(&ring, 30, 0);

	/* WRITE then READ through submit_and_wait */
	t_fill_random(wbuf, sizeof(wbuf));
	aioring_prep_write(t_get_sqe(&ring), fd, wbuf, sizeof(wbuf), 8192);
	T_RES(aioring_submit_and_wait(&ring, 1), 1);
	t_reap(&ring, cqes, 1);
	T_RES(cqes[0].res, sizeof(wbuf));
	aioring_prep_read(t_get_sqe(&ring), fd, rbuf, sizeof(rbuf), 8192);
	T_RES(aioring_submit_and_wait(&ring, 1), 1);
	t_reap(&ring, cqes, 1);
	T_RES(cqes[0].res, sizeof(rbuf));
	t_check_buf(rbuf, wbuf, sizeof(rbuf), "READ after WRITE");
	t_expect_no_cqe(&ring);
	aioring_queue_exit(&ring);

	/* -EBUSY during overflow: returned, errno untouched, kept queued */
	memset(&p, 0, sizeof(p));
	p.cq_entries = 4;
	T_RES(aioring_queue_init_params(4, &ring, &p), 0);
	prep_nops(&ring, 4, 100);
	T_RES(aioring_submit(&ring), 4);
	prep_nops(&ring, 4, 104);
	{
		int consumed = aioring_submit(&ring);
		unsigned done, pending;

		if (consumed < 1 || consumed > 4)
			t_fail("submit into a full CQ: expected 1..4, got %s",
			       t_resname(consumed));
		T_CHECK(aioring_cq_has_overflow(&ring));
		done = 4 + (unsigned)consumed;
		pending = 4 - (unsigned)consumed;
		if (!pending) {
			prep_nops(&ring, 1, 108);
			pending = 1;
		}
		errno = 1234;
		T_RES(aioring_submit(&ring), -EBUSY);
		T_RES(aioring_submit_and_wait(&ring, 1), -EBUSY);
		T_EQ(errno, 1234);
		/*
		 * Drain all that completed without submitting (peek flushes
		 * parked completions but never submits, unlike the wait
		 * helpers), then the pending ones go in.
		 */
		while (done) {
			struct aioring_cqe *c;

			T_RES(aioring_peek_cqe(&ring, &c), 0);
			aioring_cqe_seen(&ring, c);
			done--;
		}
		T_CHECK(!aioring_cq_has_overflow(&ring));
		T_RES(aioring_submit_and_wait(&ring, pending), (int)pending);
		t_reap(&ring, NULL, pending);
	}
	t_expect_no_cqe(&ring);
	aioring_queue_exit(&ring);
	close(fd);
	return T_EXIT_PASS;
}
