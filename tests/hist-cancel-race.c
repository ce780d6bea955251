/* SPDX-License-Identifier: MIT */
/*
 * Description: io_uring history, class "cancellation racing completion"
 * (io_uring's timeout and poll removal races: CVE-2022-29582, the
 * poll-remove and double-poll fixes of 5.10-5.19, ...). Rounds of polls on
 * timerfds that expire within 400 us (their wakeup comes from the hrtimer
 * interrupt), a poll on an eventfd another thread writes, and O_DIRECT
 * reads completing from the block layer's timer interrupt (the null_blk
 * device, when the lab has one); against them, at random moments,
 * POLL_REMOVE (some twice), the ring's close, the owner's exit, or SIGKILL
 * from the parent. A round that reaps checks every CQE: exactly one per
 * SQE, a poll is POLLIN or -ECANCELED, a remove 0, -ENOENT or -EALREADY,
 * and a poll is -ECANCELED exactly when one remove of it returned 0. All
 * as an unprivileged user; every ring is freed at the end (module
 * refcount back).
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "t_helpers.h"

#define NR_TIMERS	8
#define NR_READS	8
#define MAX_REMOVES	12
#define ROUNDS		300
#define TIME_CAP_NS	(40ULL * 1000 * 1000 * 1000)
#define BS		4096

#define UD_POLL		0x100ULL	/* + timer; NR_TIMERS: the eventfd */
#define UD_READ		0x300ULL
#define UD_REMOVE	0x400ULL

enum ending { END_REAP, END_CLOSE, END_EXIT, END_KILL, NR_ENDINGS };

static int dio_fd = -1;
static int efd;

static void *eventfd_writer(void *arg)
{
	(void)arg;
	usleep((useconds_t)t_rand_below(300));
	if (eventfd_write(efd, 1))
		t_fail("eventfd_write: %s", t_errname(errno));
	return NULL;
}

static void submit_all(struct aioring *ring, int n)
{
	int ret = aioring_submit(ring);

	if (ret != n)
		t_fail("submit of %d: %s", n, t_resname(ret));
}

static void check_round(const struct aioring_cqe *cqes, unsigned nr,
			const uint64_t *removed, unsigned nr_removes)
{
	int poll_res[NR_TIMERS + 1], seen[NR_TIMERS + 1] = { 0 };
	unsigned zero_removes[NR_TIMERS + 1] = { 0 }, reads = 0, removes = 0, i;

	for (i = 0; i < nr; i++) {
		uint64_t ud = cqes[i].user_data;
		int res = cqes[i].res;

		if (ud >= UD_POLL && ud <= UD_POLL + NR_TIMERS) {
			if (seen[ud - UD_POLL]++)
				t_fail("poll 0x%llx completed twice",
				       (unsigned long long)ud);
			if (res != POLLIN && res != -ECANCELED)
				t_fail("poll 0x%llx: res %s", (unsigned long long)ud,
				       t_resname(res));
			poll_res[ud - UD_POLL] = res;
		} else if (ud >= UD_READ && ud < UD_READ + NR_READS) {
			reads++;
			if (res != BS)
				t_fail("O_DIRECT read 0x%llx: res %s",
				       (unsigned long long)ud, t_resname(res));
		} else if (ud >= UD_REMOVE && ud < UD_REMOVE + MAX_REMOVES) {
			uint64_t target = removed[ud - UD_REMOVE];

			removes++;
			if (res == 0)
				zero_removes[target - UD_POLL]++;
			else if (res != -ENOENT && res != -EALREADY)
				t_fail("POLL_REMOVE of 0x%llx: res %s",
				       (unsigned long long)target, t_resname(res));
		} else {
			t_fail("CQE with user_data 0x%llx", (unsigned long long)ud);
		}
	}
	if (removes != nr_removes || (dio_fd >= 0 && reads != NR_READS))
		t_fail("%u removes and %u reads completed, %u and %u submitted",
		       removes, reads, nr_removes, dio_fd >= 0 ? NR_READS : 0);
	for (i = 0; i <= NR_TIMERS; i++) {
		if (!seen[i])
			t_fail("poll 0x%llx never completed",
			       (unsigned long long)(UD_POLL + i));
		if (zero_removes[i] > 1)
			t_fail("poll 0x%llx removed %u times",
			       (unsigned long long)(UD_POLL + i), zero_removes[i]);
		if ((poll_res[i] == -ECANCELED) != (zero_removes[i] == 1))
			t_fail("poll 0x%llx: res %s, but %u removes of it returned 0",
			       (unsigned long long)(UD_POLL + i),
			       t_resname(poll_res[i]), zero_removes[i]);
	}
}

static void round_child(enum ending ending)
{
	static struct aioring_cqe cqes[NR_TIMERS + 1 + NR_READS + MAX_REMOVES];
	uint64_t removed[MAX_REMOVES];
	int tfd[NR_TIMERS];
	struct aioring ring;
	struct aioring_sqe *sqe;
	pthread_t writer;
	unsigned char *buf;
	unsigned i, nr_removes, nr = 0;

	t_become_user(T_USER_UID);
	/* The parent's generator differs per round: no reseeding here. */
	t_ring_init(&ring, 64, 0);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		t_fail("eventfd: %s", t_errname(errno));
	for (i = 0; i < NR_TIMERS; i++) {
		tfd[i] = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (tfd[i] < 0)
			t_fail("timerfd_create: %s", t_errname(errno));
		sqe = t_get_sqe(&ring);
		aioring_prep_poll_add(sqe, tfd[i], POLLIN);
		aioring_sqe_set_data64(sqe, UD_POLL + i);
	}
	sqe = t_get_sqe(&ring);
	aioring_prep_poll_add(sqe, efd, POLLIN);
	aioring_sqe_set_data64(sqe, UD_POLL + NR_TIMERS);
	nr = NR_TIMERS + 1;
	if (dio_fd >= 0) {
		buf = t_aligned_alloc(BS, NR_READS * BS);
		for (i = 0; i < NR_READS; i++) {
			sqe = t_get_sqe(&ring);
			aioring_prep_read(sqe, dio_fd, buf + i * BS, BS,
					  t_rand_below(64) * BS);
			aioring_sqe_set_data64(sqe, UD_READ + i);
		}
		nr += NR_READS;
	}
	submit_all(&ring, (int)nr);
	/* The timers fire from the hrtimer interrupt, mostly after this. */
	for (i = 0; i < NR_TIMERS; i++) {
		struct itimerspec its = { .it_value.tv_nsec =
					  20000 + (long)t_rand_below(380000) };

		if (timerfd_settime(tfd[i], 0, &its, NULL))
			t_fail("timerfd_settime: %s", t_errname(errno));
	}
	if (pthread_create(&writer, NULL, eventfd_writer, NULL))
		t_fail("pthread_create");
	usleep((useconds_t)t_rand_below(300));
	nr_removes = (unsigned)t_rand_below(MAX_REMOVES + 1);
	for (i = 0; i < nr_removes; i++) {
		removed[i] = UD_POLL + t_rand_below(NR_TIMERS + 1);
		sqe = t_get_sqe(&ring);
		aioring_prep_poll_remove(sqe, removed[i]);
		aioring_sqe_set_data64(sqe, UD_REMOVE + i);
	}
	if (nr_removes)
		submit_all(&ring, (int)nr_removes);
	nr += nr_removes;

	switch (ending) {
	case END_CLOSE:
		usleep((useconds_t)t_rand_below(500));
		aioring_queue_exit(&ring);	/* mappings and fd: teardown now */
		usleep((useconds_t)t_rand_below(500));
		_exit(0);
	case END_EXIT:
		usleep((useconds_t)t_rand_below(500));
		_exit(0);
	case END_REAP:
	case END_KILL:
	case NR_ENDINGS:
		break;
	}
	t_reap(&ring, cqes, nr);
	pthread_join(writer, NULL);
	check_round(cqes, nr, removed, nr_removes);
	t_expect_no_cqe(&ring);
	aioring_queue_exit(&ring);
	_exit(0);
}

int main(void)
{
	unsigned counts[NR_ENDINGS] = { 0 }, n;
	const char *slow = getenv("AIORING_TEST_DIR_SLOW");
	char path[256];
	long base, now;
	uint64_t t0;

	t_require_device();
	if (getuid() != 0)
		t_skip("needs root to drop privileges");
	t_seed_random();
	base = t_wait_refcnt(0, 5000);
	if (base < 0)
		t_skip("no /sys/module/aioring/refcnt (module built in?)");
	if (slow && *slow)
		setenv("AIORING_TEST_DIR", slow, 1);
	close(t_create_file(64 * BS, NULL, path, sizeof(path)));
	dio_fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (dio_fd < 0)
		t_log("no O_DIRECT on %s (%s): polls only", path, t_errname(errno));
	else
		t_log("O_DIRECT reads on %s", path);

	t0 = t_now_ns();
	for (n = 0; n < ROUNDS && t_now_ns() - t0 < TIME_CAP_NS; n++) {
		enum ending e = (enum ending)t_rand_below(NR_ENDINGS);
		int status;
		pid_t pid = T_SYSOK(fork());

		if (pid == 0)
			round_child(e);
		if (e == END_KILL) {
			usleep((useconds_t)t_rand_below(20000));
			kill(pid, SIGKILL);
		}
		status = t_wait_child(pid, 30000);
		if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) &&
		    !(e == END_KILL && WIFSIGNALED(status) &&
		      WTERMSIG(status) == SIGKILL))
			t_fail("round %u (ending %d): child status 0x%x", n, e,
			       status);
		counts[e]++;
	}
	t_log("%u rounds: %u reaped, %u closed, %u exited, %u killed", n,
	      counts[END_REAP], counts[END_CLOSE], counts[END_EXIT],
	      counts[END_KILL]);
	if (n < 50)
		t_fail("only %u rounds within %llu s", n, TIME_CAP_NS / 1000000000ULL);
	now = t_wait_refcnt(base, 10000);
	if (now != base)
		t_fail("module refcnt %ld 10 s after the last round, %ld before: rings leaked",
		       now, base);
	return T_EXIT_PASS;
}
