/* SPDX-License-Identifier: MIT */
/*
 * Description: a completion parked for want of CQ space does not keep its
 * file open. A request on the ring's own fd, parked and never reaped, must
 * not pin the ring: after close, the ring is released (checked by opening
 * many more rings than the memlock limit would allow if each leaked, and
 * finally by the runner's rmmod, which a leaked ring would refuse).
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include "t_helpers.h"

static void one_ring(void)
{
	struct aioring ring;
	char buf[16];
	unsigned i;

	t_ring_init(&ring, 4, 4);
	for (i = 0; i < 4; i++) {
		aioring_prep_nop(t_get_sqe(&ring));
		aioring_sqe_set_data64(ring.sq.sqes + i, i);
	}
	t_submit(&ring, 4);
	/* The CQ ring is full: this READ of the ring fd itself gets parked. */
	aioring_prep_read(t_get_sqe(&ring), ring.ring_fd, buf, sizeof(buf), 0);
	t_submit(&ring, 1);
	T_CHECK(aioring_cq_has_overflow(&ring));
	aioring_queue_exit(&ring);
}

static int child(void)
{
	struct rlimit rl = { 64 * 1024, 64 * 1024 };
	unsigned i;

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		t_fail("cannot lower RLIMIT_MEMLOCK");
	t_become_user(65534);
	/* Each ring charges ~4 pages: 200 leaked rings would exceed 64 KiB. */
	for (i = 0; i < 200; i++)
		one_ring();
	return T_EXIT_PASS;
}

int main(void)
{
	pid_t pid;

	t_require_device();
	if (geteuid() != 0)
		t_skip("needs root to drop privileges");
	pid = fork();
	if (pid < 0)
		t_fail("fork");
	if (pid == 0)
		exit(child());
	t_expect_child_exit(pid, 0, "ring user");
	return T_EXIT_PASS;
}
