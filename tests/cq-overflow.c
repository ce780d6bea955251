/* SPDX-License-Identifier: MIT */
/*
 * Description: CQ overflow without loss (AIORING_FEAT_NODROP). With a
 * 4-entry CQ, completions beyond its room wait in the module: the SQ ring
 * shows AIORING_SQ_CQ_OVERFLOW, the CQ ring's overflow counter stays 0,
 * and submitting gets EBUSY without consuming anything. ENTER(GETEVENTS)
 * moves waiting completions into the ring as space is freed, peek_cqe
 * flushes them too, and every user_data arrives exactly once, in order;
 * then the flag clears and submission works again.
 */
#include "t_helpers.h"

static void prep_nops(struct aioring *ring, unsigned n, __u64 *next)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct aioring_sqe *sqe = t_get_sqe(ring);

		aioring_prep_nop(sqe);
		aioring_sqe_set_data64(sqe, (*next)++);
	}
}

/* Drain with peek_cqe/cqe_seen: must yield exactly first .. last. */
static void drain_in_order(struct aioring *ring, __u64 first, __u64 last)
{
	struct aioring_cqe *cqe;
	__u64 want;
	int ret;

	for (want = first; want <= last; want++) {
		ret = aioring_peek_cqe(ring, &cqe);
		if (ret)
			t_fail("peek_cqe for user_data %llu: expected 0, got %s",
			       (unsigned long long)want, t_resname(ret));
		if (cqe->user_data != want || cqe->res != 0)
			t_fail("CQE: expected user_data %llu res 0, got user_data %llu res %s",
			       (unsigned long long)want,
			       (unsigned long long)cqe->user_data,
			       t_resname(cqe->res));
		aioring_cqe_seen(ring, cqe);
	}
	ret = aioring_peek_cqe(ring, &cqe);
	if (ret != -EAGAIN)
		t_fail("peek_cqe after the last CQE: expected -EAGAIN, got %s (user_data %llu)",
		       t_resname(ret), ret ? 0ULL : (unsigned long long)cqe->user_data);
}

int main(void)
{
	struct aioring ring;
	struct aioring_params p;
	__u64 next = 1;
	unsigned head, consumed, pending;
	int ret;

	t_require_device();
	memset(&p, 0, sizeof(p));
	p.cq_entries = 4;
	ret = aioring_queue_init_params(4, &ring, &p);
	if (ret)
		t_fail("init sq 4 cq 4: %s", t_resname(ret));
	T_EQ(p.cq_entries, 4);
	if (!(p.features & AIORING_FEAT_NODROP))
		t_skip("no AIORING_FEAT_NODROP");

	/* Round 1: fill the CQ, overflow it by a whole SQ ring, drain. */
	prep_nops(&ring, 4, &next);
	t_submit(&ring, 4);
	T_EQ(aioring_cq_ready(&ring), 4);
	T_CHECK(!aioring_cq_has_overflow(&ring));

	prep_nops(&ring, 4, &next);
	ret = aioring_submit(&ring);
	if (ret < 1 || ret > 4)
		t_fail("submit into a full CQ: expected 1..4 consumed, got %s",
		       t_resname(ret));
	consumed = (unsigned)ret;
	T_EQ(aioring_cq_ready(&ring), 4);
	if (!aioring_cq_has_overflow(&ring))
		t_fail("SQ ring flags: expected AIORING_SQ_CQ_OVERFLOW, got 0x%x",
		       *ring.sq.kflags);
	T_EQ(*ring.cq.koverflow, 0);

	/* While completions wait in the module, submission is refused. */
	prep_nops(&ring, 1, &next);
	pending = 4 - consumed + 1;
	head = *ring.sq.khead;
	T_EQ(aioring_submit(&ring), -EBUSY);
	T_SYSERR(t_enter(ring.ring_fd, pending, 0, 0, 0), EBUSY);
	T_SYSERR(t_enter(ring.ring_fd, 1, 1, AIORING_ENTER_GETEVENTS, 0), EBUSY);
	T_EQ(*ring.sq.khead, head);

	/*
	 * Free two slots; GETEVENTS moves two waiting CQEs in. The flag stays
	 * set while completions still wait.
	 */
	{
		struct aioring_cqe *cqe;

		T_EQ(aioring_peek_cqe(&ring, &cqe), 0);
		T_EQ(cqe->user_data, 1);
		aioring_cq_advance(&ring, 2);
		T_EQ(aioring_cq_ready(&ring), 2);
		T_EQ(t_enter(ring.ring_fd, 0, 1, AIORING_ENTER_GETEVENTS, 0), 0);
		T_EQ(aioring_cq_ready(&ring), consumed >= 2 ? 4 : 2 + consumed);
		if (consumed > 2 && !aioring_cq_has_overflow(&ring))
			t_fail("%u completions still wait: expected AIORING_SQ_CQ_OVERFLOW, got flags 0x%x",
			       consumed - 2, *ring.sq.kflags);
	}
	drain_in_order(&ring, 3, 4 + consumed);
	T_CHECK(!aioring_cq_has_overflow(&ring));
	T_EQ(*ring.cq.koverflow, 0);

	/* What was refused goes in now. */
	T_EQ(aioring_submit(&ring), (int)pending);
	drain_in_order(&ring, 5 + consumed, next - 1);
	t_expect_no_cqe(&ring);

	/* Round 2: overflow again, drain only with wait_cqe. */
	{
		__u64 first = next, want;
		struct aioring_cqe *cqe;

		prep_nops(&ring, 4, &next);
		t_submit(&ring, 4);
		prep_nops(&ring, 4, &next);
		ret = aioring_submit(&ring);
		if (ret < 1 || ret > 4)
			t_fail("second overflow: expected 1..4 consumed, got %s",
			       t_resname(ret));
		consumed = (unsigned)ret;
		T_CHECK(aioring_cq_has_overflow(&ring));
		for (want = first; want < first + 4 + consumed; want++) {
			ret = aioring_wait_cqe(&ring, &cqe);
			if (ret)
				t_fail("wait_cqe: expected 0, got %s", t_resname(ret));
			if (cqe->user_data != want)
				t_fail("wait_cqe: expected user_data %llu, got %llu",
				       (unsigned long long)want,
				       (unsigned long long)cqe->user_data);
			aioring_cqe_seen(&ring, cqe);
		}
		T_CHECK(!aioring_cq_has_overflow(&ring));
		if (consumed < 4) {
			T_EQ(aioring_submit(&ring), (int)(4 - consumed));
			drain_in_order(&ring, first + 4 + consumed, next - 1);
		}
	}
	t_expect_no_cqe(&ring);
	T_EQ(*ring.cq.koverflow, 0);
	t_nop_roundtrip(&ring, 1000);
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}
