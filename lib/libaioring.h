/* SPDX-License-Identifier: MIT */
/*
 * libaioring: a thin, liburing-shaped library over /dev/aioring.
 *
 * Every function returns 0 or a positive count on success and -errno on
 * failure; none sets errno, and the library keeps no global state. A
 * struct aioring is not thread-safe: threads sharing one ring serialise
 * their calls, as with liburing.
 *
 * The fast path (getting SQEs, preparing them, reaping CQEs) is inline
 * here. Memory ordering follows io_uring: the application writes SQEs and
 * publishes them with a store-release of the SQ tail, which pairs with the
 * module's load-acquire of that tail in aior_submit_sqes(); the module
 * publishes CQEs with a store-release of the CQ tail, which pairs with the
 * load-acquire of the CQ tail in aioring_peek_cqe() below.
 */
#ifndef LIBAIORING_H
#define LIBAIORING_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <linux/time_types.h>
#include "aioring.h"

#ifdef __cplusplus
extern "C" {
#endif

struct aioring_sq {
	unsigned *khead;
	unsigned *ktail;
	unsigned *kring_mask;
	unsigned *kring_entries;
	unsigned *kflags;
	unsigned *kdropped;
	unsigned *array;
	struct aioring_sqe *sqes;

	unsigned sqe_head;	/* first SQE not yet handed to the kernel */
	unsigned sqe_tail;	/* next free SQE */
	unsigned ring_mask;
	unsigned ring_entries;

	void *ring_ptr;
	size_t ring_sz;
	size_t sqes_sz;
};

struct aioring_cq {
	unsigned *khead;
	unsigned *ktail;
	unsigned *kring_mask;
	unsigned *kring_entries;
	unsigned *koverflow;
	unsigned *kflags;
	struct aioring_cqe *cqes;

	unsigned ring_mask;
	unsigned ring_entries;

	void *ring_ptr;
	size_t ring_sz;
};

struct aioring {
	struct aioring_sq sq;
	struct aioring_cq cq;
	unsigned flags;		/* AIORING_SETUP_* the ring was made with */
	unsigned features;	/* AIORING_FEAT_* reported by the module */
	int ring_fd;
};

#define aioring_smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define aioring_smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define AIORING_READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)

/**
 * aioring_queue_init_params - open /dev/aioring and set up a ring
 * @entries: SQ size wanted (rounded up to a power of two by the module)
 * @ring: the ring to initialise
 * @p: setup parameters; sq_entries is overwritten with @entries, and the
 *	module writes back sizes, features and offsets
 *
 * Returns 0, or -errno from open, setup or mmap (nothing is left open).
 */
int aioring_queue_init_params(unsigned entries, struct aioring *ring,
			      struct aioring_params *p);

/**
 * aioring_queue_init - set up a ring with default parameters
 * @entries: SQ size wanted
 * @ring: the ring to initialise
 * @flags: AIORING_SETUP_* flags
 */
int aioring_queue_init(unsigned entries, struct aioring *ring, unsigned flags);

/**
 * aioring_queue_exit - unmap the rings and close the ring fd
 *
 * Requests still in flight are completed or cancelled by the module.
 */
void aioring_queue_exit(struct aioring *ring);

/**
 * aioring_enter - raw AIORING_IOC_ENTER
 * @timeout_ns: NULL for no timeout
 * @sig: NULL for no signal mask change during the wait
 *
 * Returns the number of SQEs consumed, or -errno.
 */
int aioring_enter(int fd, unsigned to_submit, unsigned min_complete,
		  unsigned flags, const unsigned long long *timeout_ns,
		  const void *sig, size_t sigsz);

/**
 * aioring_submit - hand prepared SQEs to the module
 *
 * Returns the number of SQEs submitted, or -errno.
 */
int aioring_submit(struct aioring *ring);

/**
 * aioring_submit_and_wait - submit, then wait for @wait_nr completions
 *
 * Returns the number of SQEs submitted, or -errno.
 */
int aioring_submit_and_wait(struct aioring *ring, unsigned wait_nr);

/*
 * Internal: wait for a CQE, submitting @submit SQEs on the way, with an
 * optional relative timeout. Use the aioring_wait_cqe* wrappers.
 */
int __aioring_get_cqe(struct aioring *ring, struct aioring_cqe **cqe_ptr,
		      unsigned submit, unsigned wait_nr,
		      const unsigned long long *timeout_ns);

/**
 * aioring_wait_cqe_timeout - wait for one CQE, at most @ts long
 *
 * Prepared SQEs are submitted first. Returns 0 with *@cqe_ptr set,
 * -ETIME when the timeout passed, or -errno.
 */
int aioring_wait_cqe_timeout(struct aioring *ring,
			     struct aioring_cqe **cqe_ptr,
			     const struct __kernel_timespec *ts);

/**
 * aioring_register_files - register @nr fds (-1: empty slot) for
 *	AIORING_SQE_FIXED_FILE; needed by SQ thread rings
 */
int aioring_register_files(struct aioring *ring, const int *fds, unsigned nr);
/** aioring_register_files_update - replace @nr slots from @offset */
int aioring_register_files_update(struct aioring *ring, unsigned offset,
				  const int *fds, unsigned nr);
int aioring_unregister_files(struct aioring *ring);
/**
 * aioring_register_buffers - pin @nr buffers for READ_FIXED/WRITE_FIXED;
 *	charged to RLIMIT_MEMLOCK
 */
int aioring_register_buffers(struct aioring *ring, const struct iovec *iovecs,
			     unsigned nr);
int aioring_unregister_buffers(struct aioring *ring);
/** aioring_get_stats - read the ring's counters */
int aioring_get_stats(struct aioring *ring, struct aioring_stats *stats);

/* How many SQEs are prepared but not yet submitted */
static inline unsigned aioring_sq_ready(const struct aioring *ring)
{
	return ring->sq.sqe_tail - ring->sq.sqe_head;
}

/* How many SQEs can still be taken */
static inline unsigned aioring_sq_space_left(const struct aioring *ring)
{
	/*
	 * Pairs with the module's smp_store_release() of the SQ head after it
	 * has copied the SQEs: a slot the head has passed may be reused.
	 */
	unsigned head = aioring_smp_load_acquire(ring->sq.khead);

	return ring->sq.ring_entries - (ring->sq.sqe_tail - head);
}

/* How many CQEs are waiting to be seen */
static inline unsigned aioring_cq_ready(const struct aioring *ring)
{
	/* Pairs with the module's smp_store_release() in aior_fill_cqe(). */
	return aioring_smp_load_acquire(ring->cq.ktail) - *ring->cq.khead;
}

/* True while completions that did not fit wait inside the module */
static inline int aioring_cq_has_overflow(const struct aioring *ring)
{
	return !!(AIORING_READ_ONCE(*ring->sq.kflags) & AIORING_SQ_CQ_OVERFLOW);
}

/**
 * aioring_get_sqe - take the next free SQE, or NULL if the SQ ring is full
 *
 * The SQE is zeroed; fill it with an aioring_prep_* helper.
 */
static inline struct aioring_sqe *aioring_get_sqe(struct aioring *ring)
{
	struct aioring_sq *sq = &ring->sq;
	struct aioring_sqe *sqe;

	if (aioring_sq_space_left(ring) == 0)
		return NULL;
	sqe = &sq->sqes[sq->sqe_tail & sq->ring_mask];
	sq->sqe_tail++;
	memset(sqe, 0, sizeof(*sqe));
	return sqe;
}

static inline void aioring_sqe_set_data(struct aioring_sqe *sqe, void *data)
{
	sqe->user_data = (uint64_t)(uintptr_t)data;
}

static inline void aioring_sqe_set_data64(struct aioring_sqe *sqe,
					  uint64_t data)
{
	sqe->user_data = data;
}

static inline void *aioring_cqe_get_data(const struct aioring_cqe *cqe)
{
	return (void *)(uintptr_t)cqe->user_data;
}

static inline void aioring_prep_rw(int op, struct aioring_sqe *sqe, int fd,
				   const void *addr, unsigned len,
				   uint64_t offset)
{
	sqe->opcode = (uint8_t)op;
	sqe->fd = fd;
	sqe->off = offset;
	sqe->addr = (uint64_t)(uintptr_t)addr;
	sqe->len = len;
}

static inline void aioring_prep_nop(struct aioring_sqe *sqe)
{
	aioring_prep_rw(AIORING_OP_NOP, sqe, -1, NULL, 0, 0);
}

static inline void aioring_prep_read(struct aioring_sqe *sqe, int fd,
				     void *buf, unsigned nbytes,
				     uint64_t offset)
{
	aioring_prep_rw(AIORING_OP_READ, sqe, fd, buf, nbytes, offset);
}

static inline void aioring_prep_write(struct aioring_sqe *sqe, int fd,
				      const void *buf, unsigned nbytes,
				      uint64_t offset)
{
	aioring_prep_rw(AIORING_OP_WRITE, sqe, fd, buf, nbytes, offset);
}

static inline void aioring_prep_readv(struct aioring_sqe *sqe, int fd,
				      const struct iovec *iovecs,
				      unsigned nr_vecs, uint64_t offset)
{
	aioring_prep_rw(AIORING_OP_READV, sqe, fd, iovecs, nr_vecs, offset);
}

static inline void aioring_prep_writev(struct aioring_sqe *sqe, int fd,
				       const struct iovec *iovecs,
				       unsigned nr_vecs, uint64_t offset)
{
	aioring_prep_rw(AIORING_OP_WRITEV, sqe, fd, iovecs, nr_vecs, offset);
}

/* READ/WRITE into/from registered buffer @buf_index */
static inline void aioring_prep_read_fixed(struct aioring_sqe *sqe, int fd,
					   void *buf, unsigned nbytes,
					   uint64_t offset, int buf_index)
{
	aioring_prep_rw(AIORING_OP_READ_FIXED, sqe, fd, buf, nbytes, offset);
	sqe->buf_index = (uint16_t)buf_index;
}

static inline void aioring_prep_write_fixed(struct aioring_sqe *sqe, int fd,
					    const void *buf, unsigned nbytes,
					    uint64_t offset, int buf_index)
{
	aioring_prep_rw(AIORING_OP_WRITE_FIXED, sqe, fd, buf, nbytes, offset);
	sqe->buf_index = (uint16_t)buf_index;
}

/* @fsync_flags: 0 or AIORING_FSYNC_DATASYNC; syncs the whole file */
static inline void aioring_prep_fsync(struct aioring_sqe *sqe, int fd,
				      unsigned fsync_flags)
{
	aioring_prep_rw(AIORING_OP_FSYNC, sqe, fd, NULL, 0, 0);
	sqe->fsync_flags = fsync_flags;
}

/**
 * aioring_prep_poll_add - wait until @fd is ready for @poll_mask (one-shot)
 * @poll_mask: POLLIN, POLLOUT, ... (as poll(2))
 *
 * The CQE's res is the ready mask (the requested events plus POLLERR and
 * POLLHUP) or -errno. On big-endian machines the 16-bit halves of the mask
 * are swapped, as the module (like io_uring) expects.
 */
static inline void aioring_prep_poll_add(struct aioring_sqe *sqe, int fd,
					 unsigned poll_mask)
{
	aioring_prep_rw(AIORING_OP_POLL_ADD, sqe, fd, NULL, 0, 0);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	poll_mask = (poll_mask << 16) | (poll_mask >> 16);
#endif
	sqe->poll32_events = poll_mask;
}

/**
 * aioring_prep_poll_remove - cancel the pending poll whose user_data is
 *	@user_data
 *
 * Completes with 0 (the poll then completes with -ECANCELED), -ENOENT if
 * no such poll is pending, or -EALREADY if it is already completing.
 */
static inline void aioring_prep_poll_remove(struct aioring_sqe *sqe,
					    uint64_t user_data)
{
	aioring_prep_rw(AIORING_OP_POLL_REMOVE, sqe, -1, NULL, 0, 0);
	sqe->addr = user_data;
}

/**
 * aioring_cq_advance - mark @nr CQEs as seen, freeing their slots
 */
static inline void aioring_cq_advance(struct aioring *ring, unsigned nr)
{
	if (nr) {
		/*
		 * Ensure the CQEs have been read before the module may reuse
		 * their slots; pairs with the module's smp_load_acquire() of
		 * the CQ head in aior_fill_cqe().
		 */
		aioring_smp_store_release(ring->cq.khead, *ring->cq.khead + nr);
	}
}

/**
 * aioring_cqe_seen - mark one CQE from peek/wait as seen
 */
static inline void aioring_cqe_seen(struct aioring *ring,
				    struct aioring_cqe *cqe)
{
	if (cqe)
		aioring_cq_advance(ring, 1);
}

/**
 * aioring_peek_cqe - return the next CQE without waiting
 *
 * Returns 0 with *@cqe_ptr set, or -EAGAIN if there is none. When the CQ
 * ring is empty but completions wait in the module, it enters the module
 * once to flush them.
 */
static inline int aioring_peek_cqe(struct aioring *ring,
				   struct aioring_cqe **cqe_ptr)
{
	struct aioring_cq *cq = &ring->cq;
	unsigned head = *cq->khead;

	/* Pairs with the module's smp_store_release() in aior_fill_cqe(). */
	if (aioring_smp_load_acquire(cq->ktail) != head) {
		*cqe_ptr = &cq->cqes[head & cq->ring_mask];
		return 0;
	}
	if (aioring_cq_has_overflow(ring))
		return __aioring_get_cqe(ring, cqe_ptr, 0, 0, NULL);
	*cqe_ptr = NULL;
	return -EAGAIN;
}

/**
 * aioring_wait_cqe - wait for one CQE
 *
 * Returns 0 with *@cqe_ptr set, or -errno (-EINTR on a signal).
 */
static inline int aioring_wait_cqe(struct aioring *ring,
				   struct aioring_cqe **cqe_ptr)
{
	if (aioring_peek_cqe(ring, cqe_ptr) == 0 && *cqe_ptr)
		return 0;
	return __aioring_get_cqe(ring, cqe_ptr, 0, 1, NULL);
}

#ifdef __cplusplus
}
#endif

#endif /* LIBAIORING_H */
