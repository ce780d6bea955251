/* SPDX-License-Identifier: MIT */
/*
 * Description: wakeups, POLL_REMOVE and completion racing. While another
 * thread keeps signalling and draining an eventfd, this one arms POLLIN
 * polls on it and cancels some of them at once. Every poll must complete
 * exactly once, with POLLIN or -ECANCELED, and every POLL_REMOVE must
 * agree with its target: 0 means the target was cancelled; -EALREADY or
 * -ENOENT mean it fired (or will).
 */
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>

#include "t_helpers.h"

#define NR_POLLS	2000
#define REMOVE_BIT	(1ULL << 62)

static volatile int stop;
static int efd;

static void *waker(void *arg)
{
	eventfd_t val;

	(void)arg;
	while (!stop) {
		eventfd_write(efd, 1);
		eventfd_read(efd, &val);
	}
	return NULL;
}

int main(void)
{
	static int poll_res[NR_POLLS], poll_seen[NR_POLLS], remove_res[NR_POLLS];
	static int removed[NR_POLLS];
	unsigned next = 0, done = 0, expected = 0, i;
	unsigned nr_cancelled = 0, nr_already = 0, nr_noent = 0;
	struct aioring ring;
	pthread_t thread;
	uint64_t deadline;

	t_require_device();
	efd = T_SYSOK(eventfd(0, EFD_NONBLOCK));
	t_ring_init(&ring, 64, 256);
	if (pthread_create(&thread, NULL, waker, NULL))
		t_fail("pthread_create");

	deadline = t_now_ns() + 60ULL * 1000000000;
	while (done < expected || next < NR_POLLS) {
		struct aioring_cqe *cqe;

		while (next < NR_POLLS && aioring_sq_space_left(&ring) >= 2 &&
		       expected - done < 100) {
			struct aioring_sqe *sqe = t_get_sqe(&ring);

			aioring_prep_poll_add(sqe, efd, POLLIN);
			aioring_sqe_set_data64(sqe, next);
			expected++;
			if (next % 3 == 0) {
				sqe = t_get_sqe(&ring);
				aioring_prep_poll_remove(sqe, next);
				aioring_sqe_set_data64(sqe, next | REMOVE_BIT);
				removed[next] = 1;
				expected++;
			}
			next++;
		}
		aioring_submit(&ring);
		while (aioring_peek_cqe(&ring, &cqe) == 0) {
			uint64_t id = cqe->user_data & ~REMOVE_BIT;

			if (id >= NR_POLLS)
				t_fail("unexpected user_data 0x%llx",
				       (unsigned long long)cqe->user_data);
			if (cqe->user_data & REMOVE_BIT) {
				remove_res[id] = cqe->res ? cqe->res : 1;
			} else {
				poll_seen[id]++;
				poll_res[id] = cqe->res;
			}
			done++;
			aioring_cqe_seen(&ring, cqe);
		}
		if (t_now_ns() > deadline)
			t_fail("%u of %u CQEs after 60 s", done, expected);
		if (done < expected)
			t_sleep_ms(1);
	}
	stop = 1;
	pthread_join(thread, NULL);

	for (i = 0; i < NR_POLLS; i++) {
		if (poll_seen[i] != 1)
			t_fail("poll %u completed %d times", i, poll_seen[i]);
		if (poll_res[i] != POLLIN && poll_res[i] != -ECANCELED)
			t_fail("poll %u: res %s", i, t_resname(poll_res[i]));
		if (!removed[i]) {
			if (poll_res[i] != POLLIN)
				t_fail("poll %u, never removed: res %s", i,
				       t_resname(poll_res[i]));
			continue;
		}
		nr_cancelled += remove_res[i] == 1;
		nr_already += remove_res[i] == -EALREADY;
		nr_noent += remove_res[i] == -ENOENT;
		if (remove_res[i] == 1 ? poll_res[i] != -ECANCELED :
		    (remove_res[i] != -EALREADY && remove_res[i] != -ENOENT) ||
		    poll_res[i] != POLLIN)
			t_fail("poll %u: POLL_REMOVE %s but poll %s", i,
			       remove_res[i] == 1 ? "0" : t_resname(remove_res[i]),
			       t_resname(poll_res[i]));
	}
	t_log("%u polls; removes: %u cancelled, %u -EALREADY, %u -ENOENT",
	      NR_POLLS, nr_cancelled, nr_already, nr_noent);
	aioring_queue_exit(&ring);
	close(efd);
	return T_EXIT_PASS;
}
