/* SPDX-License-Identifier: MIT */
/*
 * Description: an SQ thread that meets a full ring sleeps; it does not
 * spin. As an unprivileged user, an SQ-thread ring with 4 CQ entries gets
 * 64 NOPs without anyone reaping: the CQ fills, completions are parked,
 * and the thread meets -EBUSY with SQEs still waiting. Over the next
 * second it may use at most 100 ms of CPU (it would use nearly all of one
 * if it retried in a loop). Reaping then lets every NOP complete, and the
 * thread goes on without an ENTER, or with one SQ_WAKEUP.
 */
#include <sys/wait.h>

#include "t_async.h"

#define NR	64

/* utime + stime of thread @tid, in clock ticks. */
static long cpu_ticks(int tid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		t_fail("%s: %s", path, t_errname(errno));
	fclose(f);
	/* After "(comm)": fields 3..; utime and stime are 14 and 15. */
	p = strrchr(buf, ')');
	for (i = 0; p && i < 12; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %lu %lu", &ut, &st) != 2)
		t_fail("cannot parse %s", path);
	return (long)(ut + st);
}

static void child(void)
{
	struct aioring_params p;
	struct aioring ring;
	int tids[8], n, i, sq = -1, seen = 0;
	long t0, used, hz = sysconf(_SC_CLK_TCK);
	char path[64], comm[64];

	t_become_user(T_USER_UID);
	memset(&p, 0, sizeof(p));
	p.flags = AIORING_SETUP_SQTHREAD;
	p.cq_entries = 4;
	T_RES(aioring_queue_init_params(4, &ring, &p), 0);
	n = t_ring_threads(ring.ring_fd, tids, 8);
	for (i = 0; i < n; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/comm", tids[i]);
		f = fopen(path, "r");
		if (f && fgets(comm, sizeof(comm), f) && !strncmp(comm, "aioring-sq", 10))
			sq = tids[i];
		if (f)
			fclose(f);
	}
	if (sq < 0)
		t_fail("no aioring-sq thread among the ring's %d threads", n);

	/* More NOPs than the ring holds: the SQ ring refills as it drains. */
	for (i = 0; i < NR;) {
		struct aioring_sqe *sqe = aioring_get_sqe(&ring);

		if (!sqe) {
			aioring_submit(&ring);
			if (aioring_cq_has_overflow(&ring))
				break;
			t_sleep_ms(1);
			continue;
		}
		aioring_prep_nop(sqe);
		aioring_sqe_set_data64(sqe, i++);
	}
	aioring_submit(&ring);
	t_sleep_ms(200);
	t0 = cpu_ticks(sq);
	t_sleep_ms(1000);
	used = cpu_ticks(sq) - t0;
	if (used * 1000 / hz > 100)
		t_fail("the SQ thread used %ld ms of CPU in 1 s with the ring full",
		       used * 1000 / hz);
	t_log("SQ thread with the ring full: %ld ms of CPU in 1 s", used * 1000 / hz);

	/* Reap everything; the thread must submit the rest. */
	while (seen < i) {
		struct aioring_cqe cqe;

		t_reap(&ring, &cqe, 1);
		if (cqe.res != 0)
			t_fail("NOP %llu: %s", (unsigned long long)cqe.user_data,
			       t_resname(cqe.res));
		seen++;
	}
	aioring_queue_exit(&ring);
	_exit(0);
}

int main(void)
{
	pid_t pid;

	t_require_device();
	if (getuid() != 0)
		t_skip("needs root to drop privileges");
	pid = T_SYSOK(fork());
	if (pid == 0)
		child();
	t_expect_child_exit(pid, 0, "SQ thread on a full ring");
	return T_EXIT_PASS;
}
