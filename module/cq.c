// SPDX-License-Identifier: GPL-2.0
/*
 * Completion side: posting CQEs, keeping completions that do not fit, and
 * waiting for CQEs in ENTER.
 *
 * aior_req_complete() may be called from any context, including interrupt
 * context when the async engine completes O_DIRECT I/O, so everything it
 * touches is under ctx->completion_lock with interrupts off, and it never
 * allocates. A completion that finds the CQ ring full is not dropped: the
 * request itself, which already carries the result, is parked on
 * ctx->overflow_list and AIORING_SQ_CQ_OVERFLOW is raised in the SQ ring.
 * The list drains, in order, as userspace frees CQ slots and enters the
 * module (io_uring's FEAT_NODROP). Submission refuses new work with -EBUSY
 * while anything is parked, which bounds the list by the number of
 * requests that were in flight when the ring filled.
 */
#include <linux/file.h>
#include <linux/hrtimer.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>

#include "cq.h"
#include "opdef.h"
#include "rsrc.h"
#include "sqthread.h"
#include "worker.h"

struct kmem_cache *aior_req_cachep;

/* Number of CQEs userspace has not consumed yet. */
u32 aior_cq_ready(struct aior_ctx *ctx)
{
	/* Pairs with the store-release of the CQ head in aioring_cq_advance(). */
	return READ_ONCE(ctx->cached_cq_tail) -
	       smp_load_acquire(&ctx->cq_ring->head);
}

static bool aior_fill_cqe(struct aior_ctx *ctx, u64 user_data, s32 res)
	__must_hold(&ctx->completion_lock)
{
	struct aior_cq_ring *r = ctx->cq_ring;
	u32 tail = ctx->cached_cq_tail;
	struct aioring_cqe *cqe;

	/*
	 * The head is written by userspace. Pairs with the store-release in
	 * aioring_cq_advance(): once we see the new head, userspace is done
	 * reading the slots it released. A bogus head only makes the ring
	 * look full or empty to its own owner.
	 */
	if (tail - smp_load_acquire(&r->head) >= ctx->cq_entries)
		return false;

	cqe = &ctx->cqes[tail & (ctx->cq_entries - 1)];
	WRITE_ONCE(cqe->user_data, user_data);
	WRITE_ONCE(cqe->res, res);
	WRITE_ONCE(cqe->flags, 0);
	ctx->cached_cq_tail = tail + 1;
	/*
	 * Publish the CQE before the tail; pairs with the load-acquire of the
	 * CQ tail in aioring_peek_cqe() and aioring_cq_ready().
	 */
	smp_store_release(&r->tail, tail + 1);
	return true;
}

static void aior_set_sq_flag(struct aior_ctx *ctx, u32 flag, bool on)
	__must_hold(&ctx->completion_lock)
{
	u32 flags = READ_ONCE(ctx->sq_ring->flags);

	WRITE_ONCE(ctx->sq_ring->flags, on ? flags | flag : flags & ~flag);
}

static void aior_req_free(struct aior_req *req)
{
	struct aior_ctx *ctx = req->ctx;

	if (req->file)
		fput(req->file);
	if (req->creds)
		put_cred(req->creds);
	if (req->buf_tbl)
		aior_buf_table_put_any(req->buf_tbl);
	/* No wakeup can reach it: it was detached before the request was done. */
	kfree(req->apoll);
	/* Back to the ring's cache; the request's memory stays charged. */
	llist_add(&req->free_node, &ctx->req_free);
	if (atomic_dec_and_test(&ctx->inflight) && aior_ctx_dead(ctx))
		aior_wpool_idle(ctx);
	/* Only an SQ thread waits for room; the completion path is hot. */
	if (ctx->flags & AIORING_SETUP_SQTHREAD)
		aior_sq_room_wake(ctx);
	aior_ctx_put(ctx);
}

void aior_sq_flags_update(struct aior_ctx *ctx, u32 flag, bool on)
{
	spin_lock_irq(&ctx->completion_lock);
	aior_set_sq_flag(ctx, flag, on);
	spin_unlock_irq(&ctx->completion_lock);
}

void aior_req_put(struct aior_req *req)
{
	if (refcount_dec_and_test(&req->refs))
		aior_req_free(req);
}

/* Teardown, after the last request: return the cached requests. */
void aior_req_cache_free(struct aior_ctx *ctx)
{
	struct llist_node *node = llist_del_all(&ctx->req_free);
	struct aior_req *req, *tmp;

	llist_for_each_entry_safe(req, tmp, node, free_node)
		kmem_cache_free(aior_req_cachep, req);
	node = ctx->req_cache;
	ctx->req_cache = NULL;
	llist_for_each_entry_safe(req, tmp, node, free_node)
		kmem_cache_free(aior_req_cachep, req);
}

/**
 * aior_req_done - release the request's I/O state and post its result
 *
 * Callable from any context.
 */
void aior_req_done(struct aior_req *req, s32 res)
{
	if (req->def && req->def->cleanup)
		req->def->cleanup(req);
	aior_req_complete(req, res);
}

/**
 * aior_req_complete - post the result of @req and release it
 * @res: result, or a negative errno
 *
 * Callable from any context. The request is freed here, or later when its
 * parked CQE is flushed.
 */
void aior_req_complete(struct aior_req *req, s32 res)
{
	struct aior_ctx *ctx = req->ctx;
	struct file *file = NULL;
	unsigned long flags;
	bool posted = false;

	/* A CQE never carries the kernel-internal restart codes. */
	if (unlikely(res == -ERESTARTSYS || res == -ERESTARTNOINTR ||
		     res == -ERESTARTNOHAND || res == -ERESTART_RESTARTBLOCK))
		res = -EINTR;

	spin_lock_irqsave(&ctx->completion_lock, flags);
	if (unlikely(ctx->dying)) {
		/* The ring is being torn down: nobody will read this CQE. */
		spin_unlock_irqrestore(&ctx->completion_lock, flags);
		aior_req_put(req);
		return;
	}
	/* Keep order: nothing may pass completions already parked. */
	if (list_empty(&ctx->overflow_list))
		posted = aior_fill_cqe(ctx, req->user_data, res);
	if (!posted) {
		aior_stat_inc(ctx, cq_overflow);
		req->res = res;
		/*
		 * A parked request keeps only its result. Its file goes now:
		 * a request on the ring's own fd (or on another ring that
		 * points back) must not keep ->release from ever running.
		 */
		file = req->file;
		req->file = NULL;
		list_add_tail(&req->list, &ctx->overflow_list);
		aior_set_sq_flag(ctx, AIORING_SQ_CQ_OVERFLOW, true);
	}
	/*
	 * Wake under the lock: once it is dropped, ->release may free a
	 * context whose last reference is a parked request.
	 */
	/* Pairs with the barrier in prepare_to_wait() in aior_cq_wait(). */
	if (wq_has_sleeper(&ctx->cq_wait))
		wake_up(&ctx->cq_wait);
	spin_unlock_irqrestore(&ctx->completion_lock, flags);

	if (file)
		fput(file);
	if (posted)
		aior_req_put(req);
}

/**
 * aior_cq_overflow_flush - move parked completions into free CQ slots
 *
 * Returns true when nothing is left parked.
 */
bool aior_cq_overflow_flush(struct aior_ctx *ctx)
{
	struct aior_req *req, *tmp;
	LIST_HEAD(done);
	bool empty;

	/*
	 * Every ENTER comes here: skip the lock when nothing is parked. A
	 * request parked concurrently is caught by the next call; a waiter
	 * is woken by that parking (aior_req_complete()).
	 */
	if (list_empty_careful(&ctx->overflow_list))
		return true;
	spin_lock_irq(&ctx->completion_lock);
	list_for_each_entry_safe(req, tmp, &ctx->overflow_list, list) {
		if (!aior_fill_cqe(ctx, req->user_data, req->res))
			break;
		list_move_tail(&req->list, &done);
	}
	empty = list_empty(&ctx->overflow_list);
	if (empty)
		aior_set_sq_flag(ctx, AIORING_SQ_CQ_OVERFLOW, false);
	spin_unlock_irq(&ctx->completion_lock);

	list_for_each_entry_safe(req, tmp, &done, list)
		aior_req_put(req);
	return empty;
}

/*
 * Teardown: the ring is going away, so parked and later completions have no
 * reader. Marks the context dying and frees what is parked.
 */
void aior_cq_overflow_drop_all(struct aior_ctx *ctx)
{
	struct aior_req *req, *tmp;
	LIST_HEAD(done);

	spin_lock_irq(&ctx->completion_lock);
	ctx->dying = true;
	list_splice_init(&ctx->overflow_list, &done);
	spin_unlock_irq(&ctx->completion_lock);

	list_for_each_entry_safe(req, tmp, &done, list)
		aior_req_put(req);
}

/*
 * Install the caller's signal mask for the wait, as pselect() does. On
 * -EINTR the original mask is restored when the signal is delivered
 * (set_restore_sigmask()); otherwise it is restored here.
 */
static int aior_set_sigmask(const sigset_t __user *sig, size_t sigsz)
{
	sigset_t kmask;

	if (sigsz != sizeof(sigset_t))
		return -EINVAL;
	if (copy_from_user(&kmask, sig, sizeof(kmask)))
		return -EFAULT;
	sigdelsetmask(&kmask, sigmask(SIGKILL) | sigmask(SIGSTOP));
	current->saved_sigmask = current->blocked;
	return sigprocmask(SIG_SETMASK, &kmask, NULL);
}

static void aior_restore_sigmask(bool interrupted)
{
	if (interrupted)
		set_restore_sigmask();
	else
		sigprocmask(SIG_SETMASK, &current->saved_sigmask, NULL);
}

/**
 * aior_cq_wait - wait until @min_events CQEs are ready
 *
 * Returns 0, -ETIME when the timeout passed, -EINTR on a signal, or an
 * error from the signal mask arguments.
 */
int aior_cq_wait(struct aior_ctx *ctx, u32 min_events,
		 const sigset_t __user *sig, size_t sigsz,
		 bool has_timeout, u64 timeout_ns)
{
	ktime_t expires = 0;
	DEFINE_WAIT(wait);
	int ret = 0;

	min_events = min(min_events, ctx->cq_entries);

	aior_cq_overflow_flush(ctx);
	if (aior_cq_ready(ctx) >= min_events)
		return 0;

	if (sig) {
		ret = aior_set_sigmask(sig, sigsz);
		if (ret)
			return ret;
	}
	if (has_timeout)
		expires = aior_deadline(timeout_ns);

	for (;;) {
		aior_cq_overflow_flush(ctx);
		/* Punted work whose worker could not start yet: try again. */
		aior_wpool_grow(ctx);
		prepare_to_wait(&ctx->cq_wait, &wait, TASK_INTERRUPTIBLE);
		if (aior_cq_ready(ctx) >= min_events)
			break;
		/* Its owner is gone: no CQE will come (teardown.c wakes us). */
		if (aior_ctx_dead(ctx)) {
			ret = -EOWNERDEAD;
			break;
		}
		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		/*
		 * CQEs parked while the CQ was full, and userspace has made
		 * room since the flush: no completion will wake us for them.
		 * (A CQE parked from now on wakes us: we are on the queue.)
		 */
		if (!list_empty_careful(&ctx->overflow_list)) {
			__set_current_state(TASK_RUNNING);
			continue;
		}
		if (has_timeout) {
			if (!schedule_hrtimeout(&expires, HRTIMER_MODE_ABS)) {
				ret = -ETIME;
				break;
			}
		} else {
			schedule();
		}
	}
	finish_wait(&ctx->cq_wait, &wait);

	if (sig)
		aior_restore_sigmask(ret == -EINTR);
	return ret;
}
