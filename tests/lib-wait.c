/* SPDX-License-Identifier: MIT */
/*
 * Description: aioring_peek_cqe, aioring_wait_cqe and
 * aioring_wait_cqe_timeout. peek on an empty ring gives -EAGAIN and a NULL
 * CQE; wait_cqe_timeout submits what is prepared, returns -ETIME after
 * the timeout when nothing comes and -EINVAL for a malformed timespec;
 * wait_cqe returns a CQE that is there, and -EINTR when a signal ends the
 * wait. None of them touches errno.
 */
#include <signal.h>

#include "t_helpers.h"

#define MS	(1000ULL * 1000)

static void handler(int sig)
{
	(void)sig;
}

int main(void)
{
	struct __kernel_timespec ts;
	struct aioring ring;
	struct aioring_sqe *sqe;
	struct aioring_cqe *cqe;
	uint64_t start, ns;
	int ret;

	t_require_device();
	t_ring_init(&ring, 4, 0);

	/* peek on empty */
	errno = 1234;
	cqe = (void *)1;
	T_RES(aioring_peek_cqe(&ring, &cqe), -EAGAIN);
	T_CHECK(cqe == NULL);
	T_EQ(errno, 1234);

	/* wait_cqe_timeout on empty: -ETIME after ~50 ms */
	ts.tv_sec = 0;
	ts.tv_nsec = 50 * MS;
	start = t_now_ns();
	T_RES(aioring_wait_cqe_timeout(&ring, &cqe, &ts), -ETIME);
	ns = t_now_ns() - start;
	T_EQ(errno, 1234);
	if (ns < 45 * MS)
		t_fail("wait_cqe_timeout(50 ms): returned after %llu ms",
		       (unsigned long long)(ns / MS));

	/* malformed timespecs */
	ts.tv_sec = 0;
	ts.tv_nsec = 1000000000;
	T_RES(aioring_wait_cqe_timeout(&ring, &cqe, &ts), -EINVAL);
	ts.tv_sec = -1;
	ts.tv_nsec = 0;
	T_RES(aioring_wait_cqe_timeout(&ring, &cqe, &ts), -EINVAL);
	T_EQ(errno, 1234);

	/* wait_cqe_timeout submits a prepared SQE and returns its CQE */
	sqe = t_get_sqe(&ring);
	aioring_prep_nop(sqe);
	aioring_sqe_set_data64(sqe, 1);
	ts.tv_sec = 5;
	ts.tv_nsec = 0;
	T_RES(aioring_wait_cqe_timeout(&ring, &cqe, &ts), 0);
	T_EQ(cqe->user_data, 1);
	T_RES(cqe->res, 0);
	aioring_cqe_seen(&ring, cqe);
	/* and with no timeout at all */
	sqe = t_get_sqe(&ring);
	aioring_prep_nop(sqe);
	aioring_sqe_set_data64(sqe, 2);
	T_RES(aioring_wait_cqe_timeout(&ring, &cqe, NULL), 0);
	T_EQ(cqe->user_data, 2);
	aioring_cqe_seen(&ring, cqe);

	/* peek and wait_cqe see a CQE that is there, the same one */
	sqe = t_get_sqe(&ring);
	aioring_prep_nop(sqe);
	aioring_sqe_set_data64(sqe, 3);
	T_RES(aioring_submit_and_wait(&ring, 1), 1);
	T_RES(aioring_peek_cqe(&ring, &cqe), 0);
	T_EQ(cqe->user_data, 3);
	T_RES(aioring_wait_cqe(&ring, &cqe), 0);
	T_EQ(cqe->user_data, 3);
	aioring_cqe_seen(&ring, cqe);
	T_RES(aioring_peek_cqe(&ring, &cqe), -EAGAIN);

	/* wait_cqe with nothing coming: a signal ends it with -EINTR */
	t_signal(SIGALRM, handler, 0);
	t_alarm_ms(100);
	start = t_now_ns();
	ret = aioring_wait_cqe(&ring, &cqe);
	ns = t_now_ns() - start;
	T_RES(ret, -EINTR);
	T_EQ(errno, 1234);
	if (ns < 90 * MS)
		t_fail("wait_cqe on an empty ring returned after %llu ms, before the signal",
		       (unsigned long long)(ns / MS));

	t_expect_no_cqe(&ring);
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}
