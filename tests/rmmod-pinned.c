/* SPDX-License-Identifier: MIT */
/*
 * Description: the module cannot be removed while it is in use: with the
 * device open, with a ring set up, and with only a ring mapping left after
 * close, delete_module(O_NONBLOCK) fails with EWOULDBLOCK or EBUSY and the
 * module stays loaded. If it did get unloaded, the test reloads it from
 * /lib/aioring/aioring.ko so the rest of the run goes on.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "t_helpers.h"

#define MODULE_KO	"/lib/aioring/aioring.ko"

static int loaded(void)
{
	struct stat st;

	return stat("/sys/module/aioring", &st) == 0;
}

static void reload(void)
{
	int fd = open(MODULE_KO, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || syscall(SYS_finit_module, fd, "", 0))
		t_log("could not reload %s: %s", MODULE_KO, t_errname(errno));
	if (fd >= 0)
		close(fd);
	/* Let devtmpfs catch up. */
	t_sleep_ms(200);
	chmod(AIORING_DEVICE, 0666);
}

static void expect_pinned(const char *what)
{
	long ret;
	int err;

	errno = 0;
	ret = syscall(SYS_delete_module, "aioring", O_NONBLOCK);
	err = errno;
	if (ret == 0) {
		reload();
		t_fail("%s: delete_module: expected EWOULDBLOCK or EBUSY, got success (module unloaded)",
		       what);
	}
	if (err != EWOULDBLOCK && err != EBUSY)
		t_fail("%s: delete_module: expected EWOULDBLOCK or EBUSY, got %s",
		       what, t_errname(err));
	if (!loaded())
		t_fail("%s: /sys/module/aioring is gone after a refused delete_module",
		       what);
}

int main(void)
{
	struct aioring ring;
	struct aioring_sqe *sqe;
	void *sq;
	size_t sq_sz;
	int fd;

	t_require_device();
	if (geteuid() != 0)
		t_skip("needs root for delete_module");
	if (!loaded())
		t_skip("aioring is not a loaded module (/sys/module/aioring missing)");

	/* The syscall works at all: a module that does not exist. */
	T_SYSERR(syscall(SYS_delete_module, "aioring_no_such_module", O_NONBLOCK),
		 ENOENT);

	/* Open device, no ring */
	fd = t_open_dev();
	expect_pinned("device open");
	close(fd);

	/* A ring with work done */
	t_ring_init(&ring, 4, 0);
	t_nop_roundtrip(&ring, 1);
	expect_pinned("ring set up");

	/* Prepare a NOP, then close the fd: only the mappings remain. */
	sqe = t_get_sqe(&ring);
	aioring_prep_nop(sqe);
	aioring_sqe_set_data64(sqe, 2);
	T_EQ(t_publish(&ring), 1);
	close(ring.ring_fd);
	expect_pinned("fd closed, rings still mapped");

	/* Down to the SQ ring mapping alone. */
	sq = ring.sq.ring_ptr;
	sq_sz = ring.sq.ring_sz;
	munmap(ring.sq.sqes, ring.sq.sqes_sz);
	munmap(ring.cq.ring_ptr, ring.cq.ring_sz);
	expect_pinned("only the SQ ring mapping left");
	T_EQ(*ring.sq.kring_entries, 4);
	munmap(sq, sq_sz);

	/* Still loaded, still working. */
	T_CHECK(loaded());
	t_ring_init(&ring, 4, 0);
	t_nop_roundtrip(&ring, 3);
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}
