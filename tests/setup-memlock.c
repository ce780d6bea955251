/* SPDX-License-Identifier: MIT */
/*
 * Description: ring memory is charged to RLIMIT_MEMLOCK like io_uring's
 * when the caller lacks CAP_IPC_LOCK. An unprivileged child with a 64 KiB
 * limit gets ENOMEM for a 16384-entry ring, can set up a 4-entry ring, and
 * can do so 200 times in a row (with and without mapping the rings), which
 * proves the charge is returned on close.
 */
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "t_helpers.h"

#define LIMIT		(64 * 1024)
#define ROUNDS		200

static void small_ring(int map)
{
	struct aioring_params p;
	int fd = t_open_dev();
	void *sq, *cq, *sqes;

	t_params(&p, 4, 0);
	if (ioctl(fd, AIORING_IOC_SETUP, &p) < 0)
		t_fail("4-entry ring under a %d byte memlock limit: expected success, got %s",
		       LIMIT, t_errname(errno));
	if (map) {
		sq = mmap(NULL, t_sq_ring_size(&p), PROT_READ | PROT_WRITE,
			  MAP_SHARED, fd, AIORING_OFF_SQ_RING);
		cq = mmap(NULL, t_cq_ring_size(&p), PROT_READ | PROT_WRITE,
			  MAP_SHARED, fd, AIORING_OFF_CQ_RING);
		sqes = mmap(NULL, t_sqes_size(&p), PROT_READ | PROT_WRITE,
			    MAP_SHARED, fd, AIORING_OFF_SQES);
		if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
			t_fail("mmap of a 4-entry ring: %s", t_errname(errno));
		munmap(sq, t_sq_ring_size(&p));
		munmap(cq, t_cq_ring_size(&p));
		munmap(sqes, t_sqes_size(&p));
	}
	close(fd);
}

static int child(void)
{
	struct rlimit rl = { .rlim_cur = LIMIT, .rlim_max = LIMIT };
	struct aioring_params p;
	struct aioring ring;
	int fd, i;

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		t_fail("setrlimit(RLIMIT_MEMLOCK): %s", t_errname(errno));
	/* Dropping root this way also drops every capability. */
	t_become_user(65534);

	fd = t_open_dev();
	t_params(&p, AIORING_MAX_ENTRIES, 0);
	T_SYSERR(ioctl(fd, AIORING_IOC_SETUP, &p), ENOMEM);
	/* A failed charge leaves nothing behind: a small setup still works. */
	t_params(&p, 4, 0);
	T_SYSOK(ioctl(fd, AIORING_IOC_SETUP, &p));
	close(fd);

	for (i = 0; i < ROUNDS; i++)
		small_ring(0);
	for (i = 0; i < ROUNDS; i++)
		small_ring(1);

	/* And the library path works under the limit. */
	t_ring_init(&ring, 4, 0);
	t_nop_roundtrip(&ring, 42);
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}

int main(void)
{
	struct aioring_params p;
	pid_t pid;
	int fd;

	t_require_device();
	if (geteuid() != 0)
		t_skip("needs root to drop to uid 65534 with a fixed memlock limit");

	/* Root (CAP_IPC_LOCK) is not charged: the big ring works here. */
	fd = t_setup_fd(&p, AIORING_MAX_ENTRIES, 0);
	close(fd);

	pid = fork();
	if (pid < 0)
		t_fail("fork: %s", t_errname(errno));
	if (pid == 0)
		exit(child());
	t_expect_child_exit(pid, 0, "unprivileged memlock child");
	return T_EXIT_PASS;
}
