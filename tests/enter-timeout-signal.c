/* SPDX-License-Identifier: MIT */
/*
 * Description: waiting in AIORING_IOC_ENTER. GETEVENTS for more CQEs than
 * will come ends with ETIME after timeout_ns (or returns the consumed
 * count when it also submitted); a signal ends the wait with EINTR, both
 * from a timer and from pthread_kill(); with a sigmask that blocks the
 * signal the wait is not interrupted and times out, and the signal is
 * delivered once the original mask is back.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>

#include "t_helpers.h"

#define MS		(1000ULL * 1000)

static volatile sig_atomic_t nr_signals;

static void handler(int sig)
{
	(void)sig;
	nr_signals++;
}

/* ENTER(GETEVENTS|TIMEOUT) that must fail with @err; returns elapsed ns. */
static uint64_t wait_expect(int fd, unsigned min_complete, uint64_t timeout_ns,
			    const sigset_t *mask, int err)
{
	struct aioring_enter_args a;
	uint64_t start = t_now_ns();
	int ret;

	memset(&a, 0, sizeof(a));
	a.flags = AIORING_ENTER_GETEVENTS | AIORING_ENTER_TIMEOUT;
	a.min_complete = min_complete;
	a.timeout_ns = timeout_ns;
	if (mask) {
		a.sigmask = (__u64)(uintptr_t)mask;
		a.sigsz = T_KSIGSET_SIZE;
	}
	errno = 0;
	ret = t_enter_args(fd, &a);
	if (ret != -1 || errno != err)
		t_fail("wait for %u CQEs, timeout %llu ms: expected -1/%s, got %d/%s",
		       min_complete, (unsigned long long)(timeout_ns / MS),
		       t_errname(err), ret, ret == -1 ? t_errname(errno) : "-");
	return t_now_ns() - start;
}

static volatile int wait_done;

/* Signal the waiter every 100 ms until it is out of its wait. */
static void *kill_thread(void *arg)
{
	while (!wait_done) {
		t_sleep_ms(100);
		if (!wait_done)
			pthread_kill(*(pthread_t *)arg, SIGUSR1);
	}
	return NULL;
}

int main(void)
{
	struct aioring ring;
	uint64_t ns;
	sigset_t block;
	pthread_t self, thr;
	int fd, i, ret;

	t_require_device();
	t_ring_init(&ring, 8, 0);
	fd = ring.ring_fd;
	t_signal(SIGALRM, handler, 0);
	t_signal(SIGUSR1, handler, 0);

	/* Nothing coming: ETIME after the timeout. */
	ns = wait_expect(fd, 1, 100 * MS, NULL, ETIME);
	if (ns < 95 * MS)
		t_fail("100 ms timeout: expected a wait of >= 95 ms, got %llu ms",
		       (unsigned long long)(ns / MS));

	/* Two CQEs there, three wanted: ETIME, the two stay. */
	for (i = 0; i < 2; i++) {
		struct aioring_sqe *sqe = t_get_sqe(&ring);

		aioring_prep_nop(sqe);
		aioring_sqe_set_data64(sqe, i + 1);
	}
	t_submit(&ring, 2);
	wait_expect(fd, 3, 50 * MS, NULL, ETIME);
	T_EQ(aioring_cq_ready(&ring), 2);

	/* Submitting and waiting: the consumed count wins over ETIME. */
	{
		struct aioring_sqe *sqe = t_get_sqe(&ring);
		struct aioring_enter_args a;

		aioring_prep_nop(sqe);
		aioring_sqe_set_data64(sqe, 3);
		T_EQ(t_publish(&ring), 1);
		memset(&a, 0, sizeof(a));
		a.to_submit = 1;
		a.min_complete = 5;
		a.flags = AIORING_ENTER_GETEVENTS | AIORING_ENTER_TIMEOUT;
		a.timeout_ns = 50 * MS;
		ret = t_enter_args(fd, &a);
		if (ret != 1)
			t_fail("submit 1 and wait for 5 with a timeout: expected 1, got %d/%s",
			       ret, ret < 0 ? t_errname(errno) : "-");
	}
	T_EQ(aioring_cq_ready(&ring), 3);
	for (i = 0; i < 3; i++)
		t_expect_cqe(&ring, i + 1, 0);

	/* A timer signal interrupts the wait: EINTR, long before 5 s. */
	nr_signals = 0;
	t_alarm_ms(100);
	ns = wait_expect(fd, 1, 5000 * MS, NULL, EINTR);
	T_EQ(nr_signals, 1);
	if (ns > 4000 * MS)
		t_fail("signal at 100 ms: expected EINTR well before the 5 s timeout, got it after %llu ms",
		       (unsigned long long)(ns / MS));

	/* So does a signal sent to this thread by another thread. */
	nr_signals = 0;
	self = pthread_self();
	if (pthread_create(&thr, NULL, kill_thread, &self))
		t_fail("pthread_create failed");
	wait_expect(fd, 1, 5000 * MS, NULL, EINTR);
	wait_done = 1;
	pthread_join(thr, NULL);
	T_CHECK(nr_signals >= 1);

	/* Blocked by the wait's sigmask: no EINTR, the timeout ends it. */
	nr_signals = 0;
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	t_alarm_ms(50);
	wait_expect(fd, 1, 300 * MS, &block, ETIME);
	/* The original mask is back: the pending signal gets delivered. */
	for (i = 0; i < 100 && !nr_signals; i++)
		t_sleep_ms(10);
	if (nr_signals != 1)
		t_fail("SIGALRM blocked during the wait: expected it delivered once after, got %d",
		       (int)nr_signals);

	t_expect_no_cqe(&ring);
	t_nop_roundtrip(&ring, 99);
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}
