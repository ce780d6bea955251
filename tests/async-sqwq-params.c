/* SPDX-License-Identifier: MIT */
/*
 * Description: the worker pool's size: the default is min(sq_entries,
 * 2 x online CPUs), a ring may ask for fewer, the max_workers module
 * parameter caps every ring, and the value in force is written back.
 */
#include <fcntl.h>

#include "t_async.h"

static unsigned workers(unsigned entries, unsigned flags, unsigned want)
{
	struct aioring_params p;
	unsigned got;
	int fd;

	t_params(&p, entries, 0);
	p.flags = flags;
	p.max_workers = want;
	fd = t_open_dev();
	if (ioctl(fd, AIORING_IOC_SETUP, &p) < 0)
		t_fail("setup(max_workers %u): %s", want, t_errname(errno));
	got = p.max_workers;
	close(fd);
	return got;
}

static void restore(void)
{
	t_set_param("max_workers", "64");
}

int main(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned def;

	t_require_device();
	def = 2 * cpus < 64 ? 2 * cpus : 64;
	T_EQ(workers(64, AIORING_SETUP_SQWQ, 0), def);
	T_EQ(workers(1, AIORING_SETUP_SQWQ, 0), 1);
	T_EQ(workers(64, AIORING_SETUP_SQWQ, 3), 3);
	T_EQ(workers(64, 0, 2), 2);
	T_EQ(workers(64, AIORING_SETUP_SQWQ, 100000), 64);

	atexit(restore);
	T_EQ(t_set_param("max_workers", "2"), 0);
	T_EQ(workers(64, AIORING_SETUP_SQWQ, 0), 2);
	T_EQ(workers(64, AIORING_SETUP_SQWQ, 8), 2);
	return T_EXIT_PASS;
}
