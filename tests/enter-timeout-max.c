/* SPDX-License-Identifier: MIT */
/*
 * Description: ENTER's timeout_ns is a u64 of nanoseconds, and a timeout
 * too long to add to the clock is no timeout, not one in the past:
 * U64_MAX, INT64_MAX and INT64_MAX - 1 ns with AIORING_ENTER_TIMEOUT and
 * nothing to wait for must still be waiting when a signal comes 300 ms
 * later (-EINTR), on a plain ring and on an IOPOLL ring. Before the fix
 * the deadline overflowed and ENTER returned -ETIME at once. A short
 * timeout still gives -ETIME.
 */
#include <signal.h>
#include <stdint.h>

#include "t_async.h"

static void on_alarm(int sig)
{
	(void)sig;
}

static void wait_long(int fd, uint64_t ns, const char *what)
{
	uint64_t t0 = t_now_ns(), ms;
	int ret;

	t_alarm_ms(300);
	ret = t_enter(fd, 0, 1, AIORING_ENTER_GETEVENTS | AIORING_ENTER_TIMEOUT,
		      ns);
	ms = (t_now_ns() - t0) / 1000000;
	if (ret != -1 || errno != EINTR)
		t_error("%s: timeout_ns %llu: expected -1/EINTR after the 300 ms signal, got %d/%s after %llu ms",
			what, (unsigned long long)ns, ret,
			ret < 0 ? t_errname(errno) : "-", (unsigned long long)ms);
	else if (ms < 250)
		t_error("%s: timeout_ns %llu: EINTR after only %llu ms",
			what, (unsigned long long)ns, (unsigned long long)ms);
}

int main(void)
{
	static const uint64_t huge[] = { UINT64_MAX, INT64_MAX, INT64_MAX - 1,
					 (uint64_t)INT64_MAX + 12345 };
	struct aioring_params p;
	struct aioring ring;
	unsigned i, k;
	int fd, ret;

	t_require_device();
	t_signal(SIGALRM, on_alarm, 0);
	for (k = 0; k < 2; k++) {
		const char *what = k ? "IOPOLL ring" : "ring";

		memset(&p, 0, sizeof(p));
		p.flags = k ? AIORING_SETUP_IOPOLL : 0;
		ret = aioring_queue_init_params(4, &ring, &p);
		if (ret)
			t_fail("%s: setup: %s", what, t_resname(ret));
		fd = ring.ring_fd;
		for (i = 0; i < T_ARRAY_SIZE(huge); i++)
			wait_long(fd, huge[i], what);
		/* A short one still expires. */
		if (t_enter(fd, 0, 1, AIORING_ENTER_GETEVENTS |
			    AIORING_ENTER_TIMEOUT, 20 * 1000000ULL) != -1 ||
		    errno != ETIME)
			t_error("%s: 20 ms timeout: expected -1/ETIME, got %s",
				what, t_errname(errno));
		aioring_queue_exit(&ring);
	}
	return t_exit_status();
}
