/* SPDX-License-Identifier: MIT */
/*
 * Description: madvise(MADV_DOFORK) cannot make a child inherit the rings.
 * The mappings are VM_DONTCOPY so that a child of fork() has none; without
 * VM_IO, MADV_DOFORK would clear that and the child could read and write
 * the parent's rings. On each of the three regions MADV_DOFORK must fail
 * with EINVAL, and after fork() the child must fault on the SQ ring.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "t_helpers.h"

int main(void)
{
	struct aioring ring;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	void *regions[3];
	int i;
	pid_t pid;

	t_require_device();
	t_ring_init(&ring, 4, 0);
	regions[0] = ring.sq.ring_ptr;
	regions[1] = ring.cq.ring_ptr;
	regions[2] = ring.sq.sqes;
	for (i = 0; i < 3; i++) {
		if (!madvise(regions[i], pg, MADV_DOFORK))
			t_fail("region %d: madvise(MADV_DOFORK): expected EINVAL, got success", i);
		if (errno != EINVAL)
			t_fail("region %d: madvise(MADV_DOFORK): expected EINVAL, got %s",
			       i, t_errname(errno));
	}
	pid = T_SYSOK(fork());
	if (pid == 0) {
		volatile unsigned *p = ring.sq.ring_ptr;

		(void)*p;
		_exit(0);
	}
	t_expect_child_signal(pid, SIGSEGV, "child touching the parent's SQ ring");
	t_nop_roundtrip(&ring, 1);
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}
