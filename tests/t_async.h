/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the asynchronous-engine tests: rings in a given mode,
 * stats, cold page cache, module parameters.
 */
#ifndef T_ASYNC_H
#define T_ASYNC_H

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

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

/*
 * Submit what is prepared (-EBUSY only means completions must be reaped
 * first) and wait for one CQE, which the caller marks seen.
 */
static inline struct aioring_cqe *t_submit_wait_one(struct aioring *ring)
{
	struct aioring_cqe *cqe;
	int ret;

	ret = aioring_submit(ring);
	if (ret < 0 && ret != -EBUSY)
		t_fail("submit: %s", t_resname(ret));
	ret = aioring_wait_cqe(ring, &cqe);
	if (ret < 0)
		t_fail("wait_cqe: %s", t_resname(ret));
	return cqe;
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

/* How many of the file's pages are in the page cache. */
static inline size_t t_resident_pages(int fd)
{
	struct stat sb;
	unsigned char *vec;
	size_t pages, i, n = 0;
	void *map;

	char self[64];
	int rfd;

	if (fstat(fd, &sb) < 0 || !sb.st_size)
		return 0;
	pages = (sb.st_size + 4095) / 4096;
	/* mmap needs a readable fd; @fd may be write-only. */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	rfd = open(self, O_RDONLY);
	if (rfd < 0)
		t_fail("reopen %s: %s", self, t_errname(errno));
	map = mmap(NULL, sb.st_size, PROT_NONE, MAP_SHARED, rfd, 0);
	close(rfd);
	if (map == MAP_FAILED)
		t_fail("mmap for mincore: %s", t_errname(errno));
	vec = malloc(pages);
	if (mincore(map, sb.st_size, vec) < 0)
		t_fail("mincore: %s", t_errname(errno));
	for (i = 0; i < pages; i++)
		n += vec[i] & 1;
	free(vec);
	munmap(map, sb.st_size);
	return n;
}

/*
 * Make the file's pages cold: write back, then drop them from the cache.
 * fadvise alone can miss pages still held in another CPU's LRU batch, so
 * as root drop the whole page cache too, and check with mincore().
 */
static inline void t_drop_cache(int fd)
{
	unsigned tries;

	if (fdatasync(fd) < 0)
		t_fail("fdatasync: %s", t_errname(errno));
	for (tries = 0; tries < 5; tries++) {
		int dc;

		if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
			t_fail("posix_fadvise(DONTNEED) failed");
		dc = open("/proc/sys/vm/drop_caches", O_WRONLY);
		if (dc >= 0) {
			if (write(dc, "1", 1) < 0)
				t_log("drop_caches: %s", t_errname(errno));
			close(dc);
		}
		if (!t_resident_pages(fd))
			return;
	}
	t_fail("could not evict the file from the page cache (%zu pages stay)",
	       t_resident_pages(fd));
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
