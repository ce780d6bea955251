/* SPDX-License-Identifier: MIT */
/*
 * Description: a ring belongs to the mm that set it up. In a fork()ed
 * child the inherited fd refuses ENTER, SETUP and mmap with EPERM, the
 * ring mappings are absent (touching them faults), the child can still
 * make a ring of its own, and closing the inherited fd (or exiting) does
 * not disturb the parent, which keeps submitting and completing.
 */
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "t_helpers.h"

static struct aioring ring;
static int file_fd;
static unsigned char filedata[8192];

/* The parent's ring still works: a NOP and a READ with data checked. */
static void parent_ring_works(__u64 ud)
{
	unsigned char buf[4096];
	struct aioring_sqe *sqe;

	t_nop_roundtrip(&ring, ud);
	sqe = t_get_sqe(&ring);
	memset(buf, 0, sizeof(buf));
	aioring_prep_read(sqe, file_fd, buf, sizeof(buf), 4096);
	aioring_sqe_set_data64(sqe, ud + 1);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, ud + 1, sizeof(buf));
	t_check_buf(buf, filedata + 4096, sizeof(buf), "parent READ");
}

static void child_checks(void)
{
	struct aioring_params p;
	struct aioring own;
	void *m;

	/* ENTER, with and without work queued by the parent's SQ ring. */
	T_SYSERR(t_enter(ring.ring_fd, 0, 0, 0, 0), EPERM);
	T_SYSERR(t_enter(ring.ring_fd, 1, 0, 0, 0), EPERM);
	T_SYSERR(t_enter(ring.ring_fd, 0, 1, AIORING_ENTER_GETEVENTS, 0), EPERM);
	/* SETUP: EPERM, not EBUSY, since the ring is not ours. */
	t_params(&p, 4, 0);
	T_SYSERR(ioctl(ring.ring_fd, AIORING_IOC_SETUP, &p), EPERM);
	/* mmap of each region */
	errno = 0;
	m = mmap(NULL, ring.sq.ring_sz, PROT_READ | PROT_WRITE, MAP_SHARED,
		 ring.ring_fd, AIORING_OFF_SQ_RING);
	if (m != MAP_FAILED || errno != EPERM)
		t_fail("child mmap SQ ring: expected EPERM, got %s",
		       m == MAP_FAILED ? t_errname(errno) : "a mapping");
	errno = 0;
	m = mmap(NULL, ring.cq.ring_sz, PROT_READ | PROT_WRITE, MAP_SHARED,
		 ring.ring_fd, AIORING_OFF_CQ_RING);
	if (m != MAP_FAILED || errno != EPERM)
		t_fail("child mmap CQ ring: expected EPERM, got %s",
		       m == MAP_FAILED ? t_errname(errno) : "a mapping");
	errno = 0;
	m = mmap(NULL, ring.sq.sqes_sz, PROT_READ | PROT_WRITE, MAP_SHARED,
		 ring.ring_fd, AIORING_OFF_SQES);
	if (m != MAP_FAILED || errno != EPERM)
		t_fail("child mmap SQEs: expected EPERM, got %s",
		       m == MAP_FAILED ? t_errname(errno) : "a mapping");

	/* A ring of the child's own works. */
	t_ring_init(&own, 4, 0);
	t_nop_roundtrip(&own, 5);
	aioring_queue_exit(&own);
}

int main(void)
{
	struct aioring_sqe *sqe;
	int sync_pipe[2];
	char c;
	pid_t pid;

	t_require_device();
	t_seed_random();
	file_fd = t_create_file(sizeof(filedata), filedata, NULL, 0);
	t_ring_init(&ring, 8, 0);
	parent_ring_works(100);

	/* 1: EPERM everywhere, then the inherited mapping must fault. */
	pid = fork();
	if (pid < 0)
		t_fail("fork: %s", t_errname(errno));
	if (pid == 0) {
		child_checks();
		(void)*(volatile unsigned *)ring.sq.khead;
		fprintf(stderr, "child: the parent's SQ ring is mapped in the child (VM_DONTCOPY missing)\n");
		exit(2);
	}
	t_expect_child_signal(pid, SIGSEGV, "child touching the inherited ring");
	parent_ring_works(200);

	/* 2: the child holds the fd while the parent works, then closes it. */
	if (pipe(sync_pipe))
		t_fail("pipe: %s", t_errname(errno));
	/* An SQE prepared before fork, submitted after: the child can't take it. */
	sqe = t_get_sqe(&ring);
	aioring_prep_nop(sqe);
	aioring_sqe_set_data64(sqe, 300);
	pid = fork();
	if (pid < 0)
		t_fail("fork: %s", t_errname(errno));
	if (pid == 0) {
		close(sync_pipe[1]);
		T_SYSERR(t_enter(ring.ring_fd, 1, 0, 0, 0), EPERM);
		/* Wait for the parent to finish a round, then close. */
		if (read(sync_pipe[0], &c, 1) != 1)
			exit(3);
		if (close(ring.ring_fd))
			t_fail("child close: %s", t_errname(errno));
		exit(0);
	}
	close(sync_pipe[0]);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 300, 0);
	parent_ring_works(400);
	if (write(sync_pipe[1], "x", 1) != 1)
		t_fail("write: %s", t_errname(errno));
	close(sync_pipe[1]);
	t_expect_child_exit(pid, 0, "child closing the inherited fd");
	parent_ring_works(500);

	/* 3: a child that exits with the fd still open. */
	pid = fork();
	if (pid < 0)
		t_fail("fork: %s", t_errname(errno));
	if (pid == 0)
		_exit(0);
	t_expect_child_exit(pid, 0, "child exiting with the fd open");
	parent_ring_works(600);

	t_expect_no_cqe(&ring);
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}
