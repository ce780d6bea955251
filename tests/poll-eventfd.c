/* SPDX-License-Identifier: MIT */
/*
 * Description: POLL_ADD on an eventfd: POLLIN waits while the counter is
 * zero and fires (from another thread's write, while this one waits in
 * ENTER) with POLLIN; POLLOUT is ready at once; after the counter is read
 * back to zero a new POLLIN waits again. Several polls on one eventfd all
 * fire on one write.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>

#include "t_helpers.h"

static int efd;

static void *writer(void *arg)
{
	(void)arg;
	t_sleep_ms(200);
	if (eventfd_write(efd, 1))
		t_fail("eventfd_write: %s", t_errname(errno));
	return NULL;
}

static void add_poll(struct aioring *ring, unsigned events, uint64_t data)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);

	aioring_prep_poll_add(sqe, efd, events);
	aioring_sqe_set_data64(sqe, data);
}

int main(void)
{
	struct aioring_cqe cqes[3];
	struct aioring ring;
	pthread_t thread;
	eventfd_t val;
	unsigned i, seen = 0;

	t_require_device();
	t_ring_init(&ring, 8, 0);
	efd = T_SYSOK(eventfd(0, EFD_CLOEXEC));

	add_poll(&ring, POLLIN, 0x1);
	t_submit(&ring, 1);
	t_expect_no_cqe(&ring);
	if (pthread_create(&thread, NULL, writer, NULL))
		t_fail("pthread_create");
	/* Wait in ENTER: the wakeup comes while we sleep. */
	t_expect_cqe(&ring, 0x1, POLLIN);
	pthread_join(thread, NULL);

	add_poll(&ring, POLLOUT, 0x2);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 0x2, POLLOUT);

	T_EQ(eventfd_read(efd, &val), 0);
	T_EQ(val, 1);
	for (i = 0; i < 3; i++)
		add_poll(&ring, POLLIN | POLLOUT, 0x10 + i);
	t_submit(&ring, 3);
	/* POLLOUT is ready now: all three complete at once with it. */
	t_reap(&ring, cqes, 3);
	for (i = 0; i < 3; i++) {
		T_EQ(cqes[i].res, POLLOUT);
		seen |= 1U << (cqes[i].user_data - 0x10);
	}
	T_EQ(seen, 7);

	seen = 0;
	for (i = 0; i < 3; i++)
		add_poll(&ring, POLLIN, 0x20 + i);
	t_submit(&ring, 3);
	t_expect_no_cqe(&ring);
	T_EQ(eventfd_write(efd, 5), 0);
	t_reap(&ring, cqes, 3);
	for (i = 0; i < 3; i++) {
		T_EQ(cqes[i].res, POLLIN);
		seen |= 1U << (cqes[i].user_data - 0x20);
	}
	T_EQ(seen, 7);
	t_expect_no_cqe(&ring);

	aioring_queue_exit(&ring);
	close(efd);
	return T_EXIT_PASS;
}
