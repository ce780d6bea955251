/* SPDX-License-Identifier: MIT */
/*
 * Description: closing a ring with a request in flight. A thread blocks in
 * ENTER on a READ from an empty pipe; meanwhile another thread closes the
 * ring fd and unmaps the rings. Writing to the pipe then completes the
 * READ: ENTER returns, the data lands in the buffer, the CQE is posted
 * into the CQ ring if a mapping of it is kept, and nothing hangs.
 */
#include <pthread.h>
#include <sys/mman.h>

#include "t_helpers.h"

#define MSG	"hello, ring"

struct blocked {
	struct aioring ring;
	int pipefd[2];
	char buf[64];
	pthread_t thread;
	volatile int entered, returned;
	int ret;
};

static void *enter_thread(void *arg)
{
	struct blocked *b = arg;

	b->entered = 1;
	/* Touches no ring memory: blocks in the pipe read until data comes. */
	b->ret = aioring_enter(b->ring.ring_fd, 1, 0, 0, NULL, NULL, 0);
	b->returned = 1;
	return NULL;
}

static void start(struct blocked *b)
{
	struct aioring_sqe *sqe;

	memset(b, 0, sizeof(*b));
	t_ring_init(&b->ring, 4, 0);
	if (pipe(b->pipefd))
		t_fail("pipe: %s", t_errname(errno));
	sqe = t_get_sqe(&b->ring);
	aioring_prep_read(sqe, b->pipefd[0], b->buf, sizeof(b->buf), -1ULL);
	aioring_sqe_set_data64(sqe, 0xc105e);
	T_EQ(t_publish(&b->ring), 1);
	if (pthread_create(&b->thread, NULL, enter_thread, b))
		t_fail("pthread_create");
	while (!b->entered)
		t_sleep_ms(1);
	/* Give it time to get into the pipe read. */
	t_sleep_ms(300);
}

/* Feed the pipe and wait (bounded) for ENTER to come back. */
static void finish(struct blocked *b, int was_blocked)
{
	uint64_t deadline = t_now_ns() + 10ULL * 1000000000;

	if (write(b->pipefd[1], MSG, sizeof(MSG)) != sizeof(MSG))
		t_fail("write pipe: %s", t_errname(errno));
	while (!b->returned) {
		if (t_now_ns() > deadline)
			t_fail("ENTER still blocked 10 s after the pipe got data");
		t_sleep_ms(5);
	}
	pthread_join(b->thread, NULL);
	T_EQ(b->ret, 1);
	if (was_blocked)
		t_check_buf(b->buf, MSG, sizeof(MSG), "READ buffer");
	close(b->pipefd[0]);
	close(b->pipefd[1]);
}

int main(void)
{
	struct blocked b;
	struct aioring_cq cq;
	int blocked;

	t_require_device();

	/* 1: close the fd and unmap the SQ side; keep the CQ ring mapped. */
	start(&b);
	blocked = !b.returned;
	if (!blocked)
		t_log("ENTER returned before the pipe had data: execution is not inline; checking the CQE only");
	cq = b.ring.cq;
	close(b.ring.ring_fd);
	munmap(b.ring.sq.sqes, b.ring.sq.sqes_sz);
	munmap(b.ring.sq.ring_ptr, b.ring.sq.ring_sz);
	finish(&b, blocked);
	{
		uint64_t deadline = t_now_ns() + 5ULL * 1000000000;
		struct aioring_cqe *cqe;

		while (aioring_smp_load_acquire(cq.ktail) == *cq.khead) {
			if (t_now_ns() > deadline)
				t_fail("no CQE posted for the READ after close");
			t_sleep_ms(5);
		}
		cqe = &cq.cqes[*cq.khead & cq.ring_mask];
		T_EQ_HEX(cqe->user_data, 0xc105e);
		if (blocked)
			T_RES(cqe->res, sizeof(MSG));
		else if (cqe->res != sizeof(MSG) && cqe->res != -ECANCELED)
			t_fail("READ after close: expected res %zu or -ECANCELED, got %s",
			       sizeof(MSG), t_resname(cqe->res));
	}
	munmap(cq.ring_ptr, cq.ring_sz);

	/* 2: close the fd and unmap everything while ENTER is blocked. */
	start(&b);
	blocked = !b.returned;
	close(b.ring.ring_fd);
	munmap(b.ring.sq.sqes, b.ring.sq.sqes_sz);
	munmap(b.ring.sq.ring_ptr, b.ring.sq.ring_sz);
	munmap(b.ring.cq.ring_ptr, b.ring.cq.ring_sz);
	finish(&b, blocked);

	/* 3: unmap only, keep the fd: the ring is usable through a new init. */
	start(&b);
	blocked = !b.returned;
	munmap(b.ring.sq.sqes, b.ring.sq.sqes_sz);
	munmap(b.ring.sq.ring_ptr, b.ring.sq.ring_sz);
	munmap(b.ring.cq.ring_ptr, b.ring.cq.ring_sz);
	finish(&b, blocked);
	T_EQ(t_enter(b.ring.ring_fd, 0, 1, AIORING_ENTER_GETEVENTS |
		     AIORING_ENTER_TIMEOUT, 5ULL * 1000000000), 0);
	close(b.ring.ring_fd);

	/* The module is still fine. */
	{
		struct aioring ring;

		t_ring_init(&ring, 4, 0);
		t_nop_roundtrip(&ring, 1);
		aioring_queue_exit(&ring);
	}
	return T_EXIT_PASS;
}
