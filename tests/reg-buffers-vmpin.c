/* SPDX-License-Identifier: MIT */
/*
 * Description: registered buffers are charged to the process that pins
 * them as well as to its user: VmPin in /proc/PID/status shows them while
 * registered (as it shows io_uring's), and goes back to what it was on
 * unregister and on close, so an admin can see which process pins memory.
 */
#include <sys/mman.h>

#include "t_async.h"

#define NPAGES	16

int main(void)
{
	long page = sysconf(_SC_PAGESIZE), base, got;
	struct iovec iov[2];
	struct aioring ring;
	char *buf;

	t_require_device();
	base = t_vmpin_kb();
	if (base < 0)
		t_skip("this kernel shows no VmPin");
	buf = t_aligned_alloc(page, NPAGES * page);
	memset(buf, 1, NPAGES * page);
	/* Two buffers, the second not page aligned: 4 + 13 pages. */
	iov[0].iov_base = buf;
	iov[0].iov_len = 4 * page;
	iov[1].iov_base = buf + 4 * page + 100;
	iov[1].iov_len = 12 * page - 200;
	t_ring_init(&ring, 4, 0);
	T_RES(aioring_register_buffers(&ring, iov, 2), 0);
	got = t_vmpin_kb();
	t_log("VmPin %ld kB before, %ld kB with 16 pages registered", base, got);
	T_EQ(got - base, NPAGES * page / 1024);
	T_RES(aioring_unregister_buffers(&ring), 0);
	T_EQ(t_vmpin_kb(), base);

	T_RES(aioring_register_buffers(&ring, iov, 2), 0);
	T_EQ(t_vmpin_kb() - base, NPAGES * page / 1024);
	aioring_queue_exit(&ring);
	/* The table goes with the ring; its free may be deferred a little. */
	for (int i = 0; i < 100 && t_vmpin_kb() != base; i++)
		t_sleep_ms(10);
	T_EQ(t_vmpin_kb(), base);
	return t_exit_status();
}
