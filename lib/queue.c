/* SPDX-License-Identifier: MIT */
/*
 * Submission and waiting: publish prepared SQEs to the SQ ring and enter
 * the module.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>

#include "libaioring.h"

int aioring_enter(int fd, unsigned to_submit, unsigned min_complete,
		  unsigned flags, const unsigned long long *timeout_ns,
		  const void *sig, size_t sigsz)
{
	struct aioring_enter_args args;
	int saved_errno = errno;
	int ret;

	memset(&args, 0, sizeof(args));
	args.to_submit = to_submit;
	args.min_complete = min_complete;
	args.flags = flags;
	if (timeout_ns) {
		args.flags |= AIORING_ENTER_TIMEOUT;
		args.timeout_ns = *timeout_ns;
	}
	if (sig) {
		args.sigmask = (uint64_t)(uintptr_t)sig;
		args.sigsz = (uint32_t)sigsz;
	}
	ret = ioctl(fd, AIORING_IOC_ENTER, &args);
	if (ret < 0)
		ret = -errno;
	/* The library reports errors as -errno and leaves errno alone. */
	errno = saved_errno;
	return ret;
}

/*
 * Move the SQEs taken with aioring_get_sqe() into the SQ ring's index
 * array and publish the new tail. Returns how many the kernel may now
 * consume.
 */
static unsigned aioring_flush_sq(struct aioring *ring)
{
	struct aioring_sq *sq = &ring->sq;
	unsigned tail = *sq->ktail;

	while (sq->sqe_head != sq->sqe_tail) {
		sq->array[tail & sq->ring_mask] = sq->sqe_head & sq->ring_mask;
		tail++;
		sq->sqe_head++;
	}
	/*
	 * Ensure the module sees the SQE contents and index array before the
	 * new tail; pairs with smp_load_acquire() of the SQ tail in the
	 * module's aior_submit_sqes().
	 */
	aioring_smp_store_release(sq->ktail, tail);
	/*
	 * Everything between the kernel's head and our tail is pending, which
	 * includes SQEs an earlier call published but the kernel left.
	 */
	return tail - aioring_smp_load_acquire(sq->khead);
}

static int __aioring_submit(struct aioring *ring, unsigned wait_nr)
{
	unsigned submitted = aioring_flush_sq(ring);
	unsigned flags = 0;

	if (wait_nr)
		flags |= AIORING_ENTER_GETEVENTS;
	if (!submitted && !wait_nr)
		return 0;
	return aioring_enter(ring->ring_fd, submitted, wait_nr, flags,
			     NULL, NULL, 0);
}

int aioring_submit(struct aioring *ring)
{
	return __aioring_submit(ring, 0);
}

int aioring_submit_and_wait(struct aioring *ring, unsigned wait_nr)
{
	return __aioring_submit(ring, wait_nr);
}

int __aioring_get_cqe(struct aioring *ring, struct aioring_cqe **cqe_ptr,
		      unsigned submit, unsigned wait_nr,
		      const unsigned long long *timeout_ns)
{
	struct aioring_cq *cq = &ring->cq;
	int entered = 0;
	int ret;

	for (;;) {
		unsigned head = *cq->khead;

		/* Pairs with the module's smp_store_release() in aior_fill_cqe(). */
		if (aioring_smp_load_acquire(cq->ktail) != head) {
			*cqe_ptr = &cq->cqes[head & cq->ring_mask];
			return 0;
		}
		*cqe_ptr = NULL;
		/* Nothing to wait for: enter at most once, to flush overflow. */
		if (!wait_nr && !submit &&
		    (entered || !aioring_cq_has_overflow(ring)))
			return -EAGAIN;

		ret = aioring_enter(ring->ring_fd, submit, wait_nr,
				    AIORING_ENTER_GETEVENTS, timeout_ns,
				    NULL, 0);
		entered = 1;
		if (ret == -EBUSY && submit) {
			/* Completions wait in the module: reap before submitting. */
			submit = 0;
			continue;
		}
		if (ret < 0) {
			/* A CQE may have been posted just as the timer fired. */
			if (ret == -ETIME &&
			    aioring_smp_load_acquire(cq->ktail) != *cq->khead)
				continue;
			return ret;
		}
		submit = 0;
	}
}

int aioring_wait_cqe_timeout(struct aioring *ring,
			     struct aioring_cqe **cqe_ptr,
			     const struct __kernel_timespec *ts)
{
	unsigned long long ns;
	unsigned submit;

	if (!ts)
		return __aioring_get_cqe(ring, cqe_ptr, aioring_flush_sq(ring),
					 1, NULL);
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000LL)
		return -EINVAL;
	ns = (unsigned long long)ts->tv_sec * 1000000000ULL +
	     (unsigned long long)ts->tv_nsec;
	submit = aioring_flush_sq(ring);
	return __aioring_get_cqe(ring, cqe_ptr, submit, 1, &ns);
}
