/* SPDX-License-Identifier: MIT */
/*
 * Description: AIORING_IOC_ENTER argument checks: EBADFD before setup,
 * EINVAL for unknown flags, nonzero resv, a sigsz other than the kernel's
 * sigset size (or one without a sigmask), a timeout_ns without
 * AIORING_ENTER_TIMEOUT; EFAULT for bad argument and sigmask pointers; and
 * the return value: the number of SQEs consumed, never more than the SQ
 * ring holds, 0 when there is nothing to do.
 */
#include <signal.h>
#include <sys/ioctl.h>

#include "t_helpers.h"

#define WAIT_FLAGS	(AIORING_ENTER_GETEVENTS | AIORING_ENTER_TIMEOUT)
#define SHORT_NS	(20ULL * 1000 * 1000)

static void args_init(struct aioring_enter_args *a)
{
	memset(a, 0, sizeof(*a));
	/* A wait that would end quickly if the arguments were accepted. */
	a->flags = WAIT_FLAGS;
	a->min_complete = 1;
	a->timeout_ns = SHORT_NS;
}

static void expect_enter_err(int fd, struct aioring_enter_args *a, int err,
			     const char *what)
{
	errno = 0;
	if (t_enter_args(fd, a) != -1 || errno != err)
		t_fail("enter with %s: expected -1/%s, got %s", what,
		       t_errname(err), errno ? t_errname(errno) : "success");
}

int main(void)
{
	struct aioring_enter_args a;
	struct aioring ring;
	sigset_t set;
	unsigned i;
	int fd, ret;

	t_require_device();

	/* Before setup */
	fd = t_open_dev();
	T_SYSERR(t_enter(fd, 0, 0, 0, 0), EBADFD);
	T_SYSERR(t_enter(fd, 1, 1, AIORING_ENTER_GETEVENTS, 0), EBADFD);
	close(fd);

	t_ring_init(&ring, 8, 0);
	fd = ring.ring_fd;
	sigemptyset(&set);

	/* Unknown flags */
	for (i = 0; i < 32; i++) {
		unsigned bit = 1U << i;
		char what[32];

		if (bit == AIORING_ENTER_GETEVENTS || bit == AIORING_ENTER_TIMEOUT ||
		    bit == AIORING_ENTER_SQ_WAKEUP)
			continue;
		args_init(&a);
		a.flags |= bit;
		snprintf(what, sizeof(what), "flag 0x%x", bit);
		expect_enter_err(fd, &a, EINVAL, what);
		memset(&a, 0, sizeof(a));
		a.flags = bit;
		expect_enter_err(fd, &a, EINVAL, what);
	}

	/* Reserved fields */
	args_init(&a);
	a.resv[0] = 1;
	expect_enter_err(fd, &a, EINVAL, "resv[0] = 1");
	args_init(&a);
	a.resv[1] = 1ULL << 63;
	expect_enter_err(fd, &a, EINVAL, "resv[1] = 1 << 63");
	memset(&a, 0, sizeof(a));
	a.resv[1] = 1;
	expect_enter_err(fd, &a, EINVAL, "resv[1] = 1 and no other field");

	/* Signal mask size */
	{
		static const __u32 bad_sizes[] = { 0, 1, 4, 7, 9, 16, 128, 0xffffffffU };

		for (i = 0; i < T_ARRAY_SIZE(bad_sizes); i++) {
			char what[48];

			args_init(&a);
			a.sigmask = (__u64)(uintptr_t)&set;
			a.sigsz = bad_sizes[i];
			snprintf(what, sizeof(what), "sigmask and sigsz %u",
				 bad_sizes[i]);
			expect_enter_err(fd, &a, EINVAL, what);
		}
	}

	/* A sigsz without a sigmask, a timeout without the flag */
	memset(&a, 0, sizeof(a));
	a.sigsz = T_KSIGSET_SIZE;
	expect_enter_err(fd, &a, EINVAL, "sigsz 8 and no sigmask");
	memset(&a, 0, sizeof(a));
	a.flags = AIORING_ENTER_GETEVENTS;
	a.timeout_ns = SHORT_NS;
	expect_enter_err(fd, &a, EINVAL, "timeout_ns without AIORING_ENTER_TIMEOUT");

	/* Bad pointers */
	T_SYSERR(ioctl(fd, AIORING_IOC_ENTER, NULL), EFAULT);
	T_SYSERR(ioctl(fd, AIORING_IOC_ENTER, (void *)8), EFAULT);
	T_SYSERR(ioctl(fd, AIORING_IOC_ENTER, t_fault_page(0)), EFAULT);
	T_SYSERR(ioctl(fd, AIORING_IOC_ENTER, t_fault_page(1)), EFAULT);
	T_SYSERR(ioctl(fd, AIORING_IOC_ENTER, (void *)(uintptr_t)T_KERNEL_ADDR),
		 EFAULT);
	args_init(&a);
	a.sigsz = T_KSIGSET_SIZE;
	a.sigmask = 8;
	expect_enter_err(fd, &a, EFAULT, "sigmask at 0x8");
	a.sigmask = (__u64)(uintptr_t)t_fault_page(0);
	expect_enter_err(fd, &a, EFAULT, "sigmask in an unmapped page");
	a.sigmask = T_KERNEL_ADDR;
	expect_enter_err(fd, &a, EFAULT, "sigmask at a kernel address");

	/* None of the rejected calls consumed or posted anything. */
	t_expect_no_cqe(&ring);
	T_EQ(*ring.sq.khead, *ring.sq.ktail);

	/* Nothing to do: 0 */
	T_EQ(t_enter(fd, 0, 0, 0, 0), 0);
	T_EQ(t_enter(fd, 16, 0, 0, 0), 0);
	T_EQ(t_enter(fd, 0xffffffffU, 0, 0, 0), 0);
	T_EQ(t_enter(fd, 0, 0, AIORING_ENTER_GETEVENTS, 0), 0);
	/* A valid sigmask on a wait that is satisfied at once. */
	memset(&a, 0, sizeof(a));
	a.flags = AIORING_ENTER_GETEVENTS;
	a.sigmask = (__u64)(uintptr_t)&set;
	a.sigsz = T_KSIGSET_SIZE;
	T_EQ(t_enter_args(fd, &a), 0);

	/* to_submit beyond what the SQ ring holds consumes what is there. */
	for (i = 0; i < 3; i++) {
		struct aioring_sqe *sqe = t_get_sqe(&ring);

		aioring_prep_nop(sqe);
		aioring_sqe_set_data64(sqe, 100 + i);
	}
	T_EQ(t_publish(&ring), 3);
	ret = t_enter(fd, 100, 0, 0, 0);
	if (ret != 3)
		t_fail("enter to_submit 100 with 3 SQEs queued: expected 3, got %d (%s)",
		       ret, ret < 0 ? t_errname(errno) : "consumed");
	T_EQ(*ring.sq.khead, *ring.sq.ktail);
	T_EQ(t_enter(fd, 100, 0, 0, 0), 0);
	/* A satisfied wait with nothing to submit returns 0. */
	T_EQ(t_enter(fd, 0, 3, WAIT_FLAGS, 1000ULL * 1000 * 1000 * 5), 0);
	T_EQ(aioring_cq_ready(&ring), 3);
	for (i = 0; i < 3; i++)
		t_expect_cqe(&ring, 100 + i, 0);
	t_expect_no_cqe(&ring);
	t_nop_roundtrip(&ring, 7);
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}
