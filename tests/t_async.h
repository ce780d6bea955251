/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the asynchronous-engine tests: rings in a given mode,
 * stats, cold page cache, module parameters.
 */
#ifndef T_ASYNC_H
#define T_ASYNC_H

#include <fcntl.h>
#include <sys/ioctl.h>

#include "t_helpers.h"

static inline void t_ring_mode(struct aioring *ring, unsigned entries,
			       unsigned flags)
{
	struct aioring_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	ret = aioring_queue_init_params(entries, ring, &p);
	if (ret < 0)
		t_fail("queue_init_params(%u, flags 0x%x): %s", entries, flags,
		       t_resname(ret));
}

static inline void t_stats(struct aioring *ring, struct aioring_stats *st)
{
	if (ioctl(ring->ring_fd, AIORING_IOC_STATS, st) < 0)
		t_fail("AIORING_IOC_STATS: %s", t_errname(errno));
}

static inline void t_print_stats(const char *what,
				 const struct aioring_stats *st)
{
	t_log("%s: submitted %llu inline %llu waitq %llu (retries %llu) "
	      "punted %llu eagain %llu async %llu overflow %llu", what,
	      (unsigned long long)st->submitted,
	      (unsigned long long)st->completed_inline,
	      (unsigned long long)st->completed_waitq,
	      (unsigned long long)st->waitq_retries,
	      (unsigned long long)st->punted,
	      (unsigned long long)st->eagain,
	      (unsigned long long)st->completed_async,
	      (unsigned long long)st->cq_overflow);
}

/* Make the file's pages cold: write back, then drop them from the cache. */
static inline void t_drop_cache(int fd)
{
	if (fdatasync(fd) < 0)
		t_fail("fdatasync: %s", t_errname(errno));
	if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
		t_fail("posix_fadvise(DONTNEED) failed");
}

/* Write a module parameter; returns 0 or -errno. */
static inline int t_set_param(const char *name, const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/module/aioring/parameters/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

#endif /* T_ASYNC_H */
