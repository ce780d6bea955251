// SPDX-License-Identifier: GPL-2.0
/*
 * Submission: AIORING_IOC_ENTER, consuming the SQ ring, and taking one
 * request from prep to issue.
 *
 * Each SQE is copied once into kernel memory before it is looked at, so
 * userspace rewriting it concurrently cannot make the checks and the use
 * see different values (AIORING_FEAT_SUBMIT_STABLE). A request is
 * allocated before its SQE is consumed: when memory is short, the SQE stays
 * in the ring and ENTER returns what it managed, or -EAGAIN. Every consumed
 * SQE produces exactly one CQE, including SQEs that fail validation.
 *
 * Requests hold at most cq_entries slots in the kernel: past that, ENTER
 * returns what it consumed, or -EBUSY, until completions are reaped. That
 * bounds the memory one ring can pin, including parked completions. Only a
 * POLL_REMOVE, which completes inline, may go past it, by the SQ size at
 * most (aior_submit_has_room()).
 */
#include <linux/file.h>
#include <linux/nospec.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "cq.h"
#include "opdef.h"
#include "iopoll.h"
#include "poll.h"
#include "rsrc.h"
#include "rw.h"
#include "sqthread.h"
#include "submit.h"
#include "worker.h"

static struct aior_req *aior_req_alloc(struct aior_ctx *ctx)
	__must_hold(&ctx->uring_lock)
{
	struct aior_req *req;

	if (!ctx->req_cache)
		ctx->req_cache = llist_del_all(&ctx->req_free);
	if (ctx->req_cache) {
		req = llist_entry(ctx->req_cache, struct aior_req, free_node);
		ctx->req_cache = ctx->req_cache->next;
	} else {
		req = kmem_cache_alloc(aior_req_cachep, GFP_KERNEL);
		if (!req)
			return NULL;
		/* Once per object: a recycled request's items are idle. */
		aior_req_init_work(req);
	}
	req->ctx = ctx;
	req->file = NULL;
	req->creds = NULL;
	req->def = NULL;
	req->user_data = 0;
	req->res = 0;
	req->opcode = 0;
	req->flags = 0;
	INIT_LIST_HEAD(&req->list);
	INIT_LIST_HEAD(&req->hash_node);
	INIT_LIST_HEAD(&req->iopoll_node);
	req->buf_tbl = NULL;
	req->apoll = NULL;
	refcount_set(&req->refs, 1);
	atomic_inc(&ctx->inflight);
	aior_ctx_get(ctx);
	return req;
}

static int aior_req_prep(struct aior_req *req, const struct aioring_sqe *sqe)
{
	const struct aior_op_def *def;

	req->opcode = sqe->opcode;
	def = aior_op_def(sqe->opcode);
	if (!def)
		return -EINVAL;
	if (sqe->flags & ~AIORING_SQE_FLAGS_SUPPORTED)
		return -EINVAL;
	/* buf_index is checked by each opcode: only *_FIXED use it. */
	if (sqe->ioprio || sqe->personality ||
	    sqe->__resv1 || sqe->__resv2[0] || sqe->__resv2[1])
		return -EINVAL;
	if (def->needs_file) {
		if (sqe->flags & AIORING_SQE_FIXED_FILE) {
			req->file = aior_fixed_file_get(req->ctx, sqe->fd);
		} else {
			/* The SQ thread has no fd table to look in. */
			if (req->ctx->flags & AIORING_SETUP_SQTHREAD)
				return -EBADF;
			if (sqe->fd >= 0)
				req->file = fget(sqe->fd);
		}
		if (!req->file)
			return -EBADF;
	}
	if ((sqe->flags & AIORING_SQE_ASYNC) ||
	    (req->ctx->flags & AIORING_SETUP_SQWQ))
		req->flags |= AIOR_F_FORCE_ASYNC;
	req->def = def;
	return def->prep(req, sqe);
}

/*
 * Readiness retries in one go (a file that says it is ready, then -EAGAIN)
 * before the request gives up with -EAGAIN; counted per wakeup.
 */
#define AIOR_APOLL_MAX_RETRIES	64

/*
 * Issue @req without blocking and route what comes back: a result, a
 * completion that something else will post, a wait for its pollable file
 * to be ready (no thread waits), or a blocking worker. The caller holds an
 * issue reference. Called in the submitter (ENTER, the SQ thread) and, for
 * readiness retries, in the ring's async thread as the submitter.
 */
static void aior_issue_nonblock(struct aior_req *req)
{
	struct file *file = req->file;
	bool async_ok = file && aior_file_async_ok(file) &&
			!(req->ctx->flags & AIORING_SETUP_IOPOLL);
	unsigned int tries = 0;
	int ret;

	for (;;) {
		ret = req->def->issue(req, AIOR_ISSUE_NONBLOCK);
		if (ret == -EIOCBQUEUED) {
			/*
			 * Someone else completes it; it may be gone after our
			 * put. A polled one is found by the reaper, under
			 * uring_lock, which we hold, so it is still here.
			 */
			if (req->flags & AIOR_F_IOPOLL)
				list_add_tail(&req->iopoll_node,
					      &req->ctx->iopoll_list);
			return;
		}
		if (ret != -EAGAIN || (req->flags & AIOR_F_USER_NOWAIT))
			break;
		/* Polled I/O that would block: a worker issues and polls it. */
		if (req->flags & AIOR_F_IOPOLL) {
			aior_punt(req);
			return;
		}
		if (req->ctx->flags & AIORING_SETUP_IOPOLL)
			break;
		if (async_ok || !aior_file_pollable(file)) {
			aior_punt(req);
			return;
		}
		/* A file opened O_NONBLOCK says -EAGAIN, as read(2) would. */
		if ((file->f_flags & O_NONBLOCK) ||
		    ++tries > AIOR_APOLL_MAX_RETRIES)
			break;
		ret = aior_apoll_arm(req, req->def->pollout ? EPOLLOUT : EPOLLIN);
		if (ret == -EIOCBQUEUED)
			return;
		if (ret)
			break;
		/* Ready now. Without IOCB_NOWAIT, a worker does it. */
		if (!aior_file_nowait(file)) {
			aior_punt(req);
			return;
		}
	}
	aior_stat_inc(req->ctx, completed_inline);
	aior_req_done(req, ret);
}

/*
 * Run one request that passed prep without blocking the submitter; it
 * completes here, or later from wherever it went.
 */
static void aior_req_issue(struct aior_req *req)
{
	if ((req->flags & AIOR_F_FORCE_ASYNC) && req->file &&
	    aior_file_async_ok(req->file) &&
	    !(req->ctx->flags & AIORING_SETUP_IOPOLL)) {
		aior_punt(req);
		return;
	}
	refcount_inc(&req->refs);
	aior_issue_nonblock(req);
	aior_req_put(req);
}

/**
 * aior_apoll_ready - a request's pollable file became ready: issue it again
 *
 * In the ring's async thread, from the poll's work item, which owns the
 * request now; runs it as its submitter.
 */
void aior_apoll_ready(struct aior_req *req)
{
	struct aior_worker_state st;

	refcount_inc(&req->refs);
	if (!aior_file_nowait(req->file)) {
		/* Ready, but the file ignores IOCB_NOWAIT: a worker reads it. */
		aior_punt(req);
	} else if (aior_worker_enter(req, &st)) {
		aior_issue_nonblock(req);
		aior_worker_leave(&st);
	} else {
		aior_req_done(req, -ECANCELED);
	}
	aior_req_put(req);
}

static void aior_submit_one(struct aior_req *req, const struct aioring_sqe *sqe)
{
	int ret;

	req->user_data = sqe->user_data;
	ret = aior_req_prep(req, sqe);
	if (ret) {
		aior_req_complete(req, ret);
		return;
	}
	aior_req_issue(req);
}

/*
 * Bound the requests a ring holds in the kernel (in flight or parked) by
 * its CQ size, like fs/aio.c's nr_events. A POLL_REMOVE may go past it by
 * up to the SQ size: it completes inline and ends a poll, and without it a
 * ring whose CQ size of polls never fire would refuse the one request that
 * could free it. @sqe is the kernel's copy, or NULL for a bad index.
 */
static bool aior_submit_has_room(struct aior_ctx *ctx,
				 const struct aioring_sqe *sqe)
{
	unsigned int n = atomic_read(&ctx->inflight);

	if (likely(n < ctx->cq_entries))
		return true;
	return sqe && sqe->opcode == AIORING_OP_POLL_REMOVE &&
	       n < ctx->cq_entries + ctx->sq_entries;
}

/*
 * Consume up to @nr SQEs. Returns the number consumed, or a negative errno
 * when none was.
 */
int aior_submit_sqes(struct aior_ctx *ctx, u32 nr)
	__must_hold(&ctx->uring_lock)
{
	struct aior_sq_ring *r = ctx->sq_ring;
	u32 mask = ctx->sq_entries - 1;
	u32 head = ctx->cached_sq_head;
	u32 tail, done = 0;
	int ret = 0;

	/*
	 * Pairs with the store-release of the SQ tail in aioring_flush_sq():
	 * the SQEs and index slots before the tail are visible to us now. A
	 * tail more than a ring ahead is garbage; use at most one ring.
	 */
	/* A dead ring makes no request (see aior_async_fn()). */
	if (aior_ctx_dead(ctx))
		return -EOWNERDEAD;
	tail = smp_load_acquire(&r->tail);
	nr = min3(nr, tail - head, ctx->sq_entries);
	if (!nr)
		return 0;

	/* NODROP: refuse new work until parked completions are reaped. */
	if (!aior_cq_overflow_flush(ctx))
		return -EBUSY;

	while (done < nr) {
		struct aioring_sqe sqe;
		struct aior_req *req;
		bool valid;
		u32 idx;

		idx = READ_ONCE(ctx->sq_array[head & mask]);
		valid = idx < ctx->sq_entries;
		if (likely(valid)) {
			/* No speculative load of an SQE out of bounds (Spectre v1). */
			idx = array_index_nospec(idx, ctx->sq_entries);
			memcpy(&sqe, &ctx->sqes[idx], sizeof(sqe));
		}
		if (!aior_submit_has_room(ctx, valid ? &sqe : NULL)) {
			ret = -EBUSY;
			break;
		}
		req = aior_req_alloc(ctx);
		if (!req) {
			ret = -EAGAIN;
			break;
		}
		head++;
		done++;

		if (unlikely(!valid)) {
			WRITE_ONCE(r->dropped, READ_ONCE(r->dropped) + 1);
			req->user_data = AIORING_DROPPED_USER_DATA;
			aior_req_complete(req, -ERANGE);
			continue;
		}
		aior_submit_one(req, &sqe);

		/* Inline execution may be long; don't hog the CPU. */
		cond_resched();
	}

	atomic64_add(done, &ctx->stats.submitted);
	ctx->cached_sq_head = head;
	/*
	 * The SQEs are copied: let userspace reuse their slots. Pairs with the
	 * load-acquire of the SQ head in aioring_sq_space_left().
	 */
	smp_store_release(&r->head, head);
	return done ? done : ret;
}

#define AIOR_ENTER_FLAGS	(AIORING_ENTER_GETEVENTS | AIORING_ENTER_SQ_WAKEUP | \
				 AIORING_ENTER_TIMEOUT)

long aior_enter(struct aior_ctx *ctx, void __user *uarg)
{
	struct aioring_enter_args args;
	long submitted = 0;
	int ret;

	/* Pairs with the smp_store_release() at the end of setup. */
	if (!smp_load_acquire(&ctx->setup_done))
		return -EBADFD;
	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~AIOR_ENTER_FLAGS)
		return -EINVAL;
	if (args.resv[0] || args.resv[1])
		return -EINVAL;
	if (!(args.flags & AIORING_ENTER_TIMEOUT) && args.timeout_ns)
		return -EINVAL;
	if (args.sigmask ? args.sigsz != sizeof(sigset_t) : args.sigsz)
		return -EINVAL;
	aior_stat_inc(ctx, enter_calls);

	if (ctx->flags & AIORING_SETUP_SQTHREAD) {
		/* The SQ thread consumes the SQ ring; ENTER only wakes it. */
		if (args.flags & AIORING_ENTER_SQ_WAKEUP)
			aior_sq_thread_wake(ctx);
	} else if (args.to_submit) {
		if (mutex_lock_interruptible(&ctx->uring_lock))
			return -EINTR;
		submitted = aior_submit_sqes(ctx, args.to_submit);
		mutex_unlock(&ctx->uring_lock);
		/* Workers for what was punted start here, with no lock held. */
		aior_wpool_grow(ctx);
		if (submitted < 0)
			return submitted;
	}

	if (args.flags & AIORING_ENTER_GETEVENTS) {
		ret = 0;
		if ((ctx->flags & AIORING_SETUP_IOPOLL) &&
		    !(ctx->flags & AIORING_SETUP_SQTHREAD))
			ret = aior_iopoll_wait(ctx, args.min_complete,
					       args.flags & AIORING_ENTER_TIMEOUT,
					       args.timeout_ns);
		if (!ret)
			ret = aior_cq_wait(ctx, args.min_complete,
				   u64_to_user_ptr(args.sigmask), args.sigsz,
				   args.flags & AIORING_ENTER_TIMEOUT,
				   args.timeout_ns);
		if (ret && !submitted)
			return ret;
	}
	return submitted;
}
