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

/*
 * With an SQ thread, publishing the tail is the submission; the thread only
 * needs an ioctl when it has gone to sleep.
 */
static int aioring_sq_thread_needs_wakeup(struct aioring *ring)
{
	/*
	 * Order the tail store in aioring_flush_sq() before reading the
	 * flags; pairs with the smp_mb() in the module's SQ thread between
	 * setting AIORING_SQ_NEED_WAKEUP and re-reading the tail.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !!(AIORING_READ_ONCE(*ring->sq.kflags) & AIORING_SQ_NEED_WAKEUP);
}

static int __aioring_submit(struct aioring *ring, unsigned wait_nr)
{
	unsigned fresh = aioring_sq_ready(ring);
	unsigned submitted = aioring_flush_sq(ring);
	unsigned flags = 0;
	int ret;

	if (wait_nr)
		flags |= AIORING_ENTER_GETEVENTS;
	if (ring->flags & AIORING_SETUP_SQTHREAD) {
		/* Report what this call published, as the thread consumes it. */
		submitted = fresh;
		if (aioring_sq_thread_needs_wakeup(ring))
			flags |= AIORING_ENTER_SQ_WAKEUP;
		if (!flags)
			return (int)submitted;
		ret = aioring_enter(ring->ring_fd, 0, wait_nr, flags, NULL,
				    NULL, 0);
		return ret < 0 ? ret : (int)submitted;
	}
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
	unsigned flags;
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

		flags = AIORING_ENTER_GETEVENTS;
		if (ring->flags & AIORING_SETUP_SQTHREAD) {
			if (submit && aioring_sq_thread_needs_wakeup(ring))
				flags |= AIORING_ENTER_SQ_WAKEUP;
			submit = 0;
		}
		ret = aioring_enter(ring->ring_fd, submit, wait_nr, flags,
				    timeout_ns, NULL, 0);
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

static int aioring_register(struct aioring *ring, unsigned opcode,
			    const void *arg, unsigned nr, unsigned offset)
{
	struct aioring_register_args args;
	int saved = errno, ret;

	memset(&args, 0, sizeof(args));
	args.opcode = opcode;
	args.nr = nr;
	args.arg = (uint64_t)(uintptr_t)arg;
	args.offset = offset;
	ret = ioctl(ring->ring_fd, AIORING_IOC_REGISTER, &args);
	if (ret < 0)
		ret = -errno;
	errno = saved;
	return ret;
}

int aioring_register_files(struct aioring *ring, const int *fds, unsigned nr)
{
	return aioring_register(ring, AIORING_REGISTER_FILES, fds, nr, 0);
}

int aioring_register_files_update(struct aioring *ring, unsigned offset,
				  const int *fds, unsigned nr)
{
	return aioring_register(ring, AIORING_REGISTER_FILES_UPDATE, fds, nr,
				offset);
}

int aioring_unregister_files(struct aioring *ring)
{
	return aioring_register(ring, AIORING_UNREGISTER_FILES, NULL, 0, 0);
}

int aioring_register_buffers(struct aioring *ring, const struct iovec *iovecs,
			     unsigned nr)
{
	return aioring_register(ring, AIORING_REGISTER_BUFFERS, iovecs, nr, 0);
}

int aioring_unregister_buffers(struct aioring *ring)
{
	return aioring_register(ring, AIORING_UNREGISTER_BUFFERS, NULL, 0, 0);
}

int aioring_get_stats(struct aioring *ring, struct aioring_stats *stats)
{
	int saved = errno, ret;

	ret = ioctl(ring->ring_fd, AIORING_IOC_STATS, stats);
	if (ret < 0)
		ret = -errno;
	errno = saved;
	return ret;
}
