/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The two objects everything else works on: the ring context (one per
 * open file of /dev/aioring) and the request (one per consumed SQE).
 */
#ifndef AIOR_CORE_H
#define AIOR_CORE_H

#include <linux/cache.h>
#include <linux/completion.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/sched/user.h>
#include <linux/spinlock.h>
#include <linux/uio.h>
#include <linux/wait.h>

#include "aioring.h"

/*
 * Kernel view of the SQ ring mapping. head and tail sit on their own cache
 * lines because userspace writes one and the module the other; the index
 * array follows the struct.
 */
struct aior_sq_ring {
	u32 head ____cacheline_aligned_in_smp;
	u32 tail ____cacheline_aligned_in_smp;
	u32 ring_mask;
	u32 ring_entries;
	u32 flags;		/* AIORING_SQ_*, written under completion_lock */
	u32 dropped;
};

/* Kernel view of the CQ ring mapping; the CQE array follows the struct. */
struct aior_cq_ring {
	u32 head ____cacheline_aligned_in_smp;
	u32 tail ____cacheline_aligned_in_smp;
	u32 ring_mask;
	u32 ring_entries;
	u32 overflow;
	u32 flags;
};

struct aior_ctx {
	/* Fixed once setup_done is set; read without locks after that. */
	struct aior_sq_ring	*sq_ring;
	u32			*sq_array;
	struct aioring_sqe	*sqes;
	struct aior_cq_ring	*cq_ring;
	struct aioring_cqe	*cqes;
	size_t			sq_ring_size;
	size_t			sqes_size;
	size_t			cq_ring_size;
	u32			sq_entries;
	u32			cq_entries;
	u32			flags;
	unsigned long		acct_pages;	/* charged to user->locked_vm */
	bool			setup_done;	/* store-release after setup */

	/* The ring's owner, taken at open. */
	struct mm_struct	*mm;		/* mmgrab()ed; ENTER must come from it */
	/* Holds creds->user, which ring memory is charged to. */
	const struct cred	*creds;

	/*
	 * Serialises setup and submission: protects cached_sq_head and the
	 * consumption of the SQ ring.
	 */
	struct mutex		uring_lock;
	u32			cached_sq_head;

	/*
	 * Protects the CQ tail, the overflow list and the SQ ring flags.
	 * Taken with interrupts off: completions may be posted from any
	 * context.
	 */
	spinlock_t		completion_lock;
	u32			cached_cq_tail;
	struct list_head	overflow_list;
	bool			dying;		/* no reader left: drop CQEs */

	/* Tasks waiting in ENTER for CQEs. */
	wait_queue_head_t	cq_wait;

	/*
	 * One reference for the open file plus one per live request; the
	 * last put completes ref_done, which teardown waits for.
	 */
	refcount_t		refs;
	struct completion	ref_done;
};

/* Read/write state: the kiocb and the iterator over the user buffer. */
struct aior_rw {
	struct kiocb		kiocb;
	u64			addr;
	u32			len;
	u32			rw_flags;
	loff_t			pos;
	bool			cur_pos;	/* sqe->off == -1 */
	struct iov_iter		iter;
	struct iovec		*free_iov;	/* from import_iovec(), or NULL */
	struct iovec		fast_iov[UIO_FASTIOV];
};

struct aior_fsync {
	loff_t			off;
	loff_t			len;
	u32			flags;
};

struct aior_req {
	struct aior_ctx		*ctx;
	struct file		*file;
	u64			user_data;
	s32			res;
	u8			opcode;
	/* On ctx->overflow_list while its CQE waits for CQ ring space. */
	struct list_head	list;
	union {
		struct aior_rw		rw;
		struct aior_fsync	fsync;
	};
};

static inline void aior_ctx_get(struct aior_ctx *ctx)
{
	refcount_inc(&ctx->refs);
}

static inline void aior_ctx_put(struct aior_ctx *ctx)
{
	if (refcount_dec_and_test(&ctx->refs))
		complete(&ctx->ref_done);
}

#endif /* AIOR_CORE_H */
