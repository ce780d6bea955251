// SPDX-License-Identifier: GPL-2.0
/*
 * The worker pool: where requests that would block go.
 *
 * Each ring has its own unbound workqueue whose max_active bounds how many
 * of its requests block at once (min(sq_entries, 2 * online CPUs) unless
 * the ring asks for fewer; the max_workers module parameter caps it for
 * the whole system). A worker is a kernel thread, so before touching the
 * request it adopts the submitter's address space with kthread_use_mm()
 * and the submitter's credentials, captured at submission, with
 * override_creds(). File descriptors were resolved at submission, in the
 * submitter's context; workers never look at a file table.
 *
 * Only regular files and block devices reach workers: their I/O finishes
 * in bounded time, so ring teardown can simply wait for it. A worker
 * blocked on a pipe or socket could not be interrupted by a kworker-safe
 * means, so those files execute inline in ENTER, where signals reach.
 *
 * Buffered writes are serialised per inode through hash buckets: one work
 * item drains a bucket, so writers to one file do not pile up on its
 * i_rwsem and the pool stays free for other work.
 *
 * WAITQ retries, queued from page-unlock callbacks in any context, run on
 * a separate module-wide workqueue: they do not wait for I/O, so they must
 * not wait behind blocking work. (They can still sleep briefly, in page
 * faults on the user buffer or on an inode lock.)
 */
#include <linux/cpumask.h>
#include <linux/cred.h>
#include <linux/hash.h>
#include <linux/kthread.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "cq.h"
#include "opdef.h"
#include "worker.h"

unsigned int aior_max_workers_cap = 64;
static struct workqueue_struct *aior_retry_wq;

bool aior_worker_enter(struct aior_req *req, struct aior_worker_state *st)
{
	struct aior_ctx *ctx = req->ctx;

	/* The owner exited: its buffers are gone, and so is its interest. */
	if (!mmget_not_zero(ctx->mm))
		return false;
	st->mm = ctx->mm;
	kthread_use_mm(st->mm);
	st->old_creds = override_creds(req->creds);
	return true;
}

/* Touches neither the request nor its ring: both may be gone by now. */
void aior_worker_leave(struct aior_worker_state *st)
{
	revert_creds(st->old_creds);
	kthread_unuse_mm(st->mm);
	mmput(st->mm);
}

/*
 * Issue @req in the current kernel thread as its submitter: its mm and
 * creds. Returns the issue's result, or -ECANCELED when the owner is gone.
 * The caller holds an issue reference on @req.
 */
static int aior_worker_issue(struct aior_req *req, unsigned int issue_flags)
{
	struct aior_worker_state st;
	int ret;

	if (!aior_worker_enter(req, &st))
		return -ECANCELED;
	ret = req->def->issue(req, issue_flags);
	aior_worker_leave(&st);
	return ret;
}

/* Issue @req, allowed to block, in the current worker. */
static void aior_run_blocking(struct aior_req *req)
{
	int ret;

	refcount_inc(&req->refs);
	ret = aior_worker_issue(req, AIOR_ISSUE_WORKER);
	if (ret != -EIOCBQUEUED)
		aior_req_done(req, ret);
	aior_req_put(req);
}

/* The WAITQ retry, queued by the page-unlock callback; never blocks on I/O. */
static void aior_retry_work_fn(struct work_struct *work)
{
	struct aior_req *req = container_of(work, struct aior_req, retry_work);
	int ret;

	refcount_inc(&req->refs);
	ret = aior_worker_issue(req, AIOR_ISSUE_RETRY);
	if (ret == -EIOCBQUEUED) {
		/* Armed again; the callback owns the completion. */
	} else if (ret == -EAGAIN) {
		/* WAITQ cannot help: block in the pool. */
		aior_punt(req);
	} else {
		if (ret != -ECANCELED)
			aior_stat_inc(req->ctx, completed_waitq);
		aior_req_done(req, ret);
	}
	aior_req_put(req);
}

static void aior_work_fn(struct work_struct *work)
{
	aior_run_blocking(container_of(work, struct aior_req, work));
}

static void aior_hash_work_fn(struct work_struct *work)
{
	struct aior_hash_bucket *b =
		container_of(work, struct aior_hash_bucket, work);

	for (;;) {
		struct aior_req *req;

		spin_lock_irq(&b->lock);
		req = list_first_entry_or_null(&b->list, struct aior_req,
					       hash_node);
		if (!req) {
			b->running = false;
			spin_unlock_irq(&b->lock);
			return;
		}
		list_del_init(&req->hash_node);
		spin_unlock_irq(&b->lock);

		aior_run_blocking(req);
		cond_resched();
	}
}

static bool aior_req_hashed(struct aior_req *req)
{
	return req->def->hash_reg_file &&
	       S_ISREG(file_inode(req->file)->i_mode) &&
	       !(req->file->f_flags & O_DIRECT);
}

/**
 * aior_punt - hand @req to the ring's worker pool
 *
 * Callable from any context: WAITQ retries that cannot make progress
 * without blocking come here from a retry worker.
 */
void aior_punt(struct aior_req *req)
{
	struct aior_ctx *ctx = req->ctx;

	aior_req_capture_creds(req);
	aior_stat_inc(ctx, punted);
	if (aior_req_hashed(req)) {
		struct inode *inode = file_inode(req->file);
		struct aior_hash_bucket *b =
			&ctx->hash[hash_ptr(inode, AIOR_HASH_BITS)];
		unsigned long flags;
		bool start;

		spin_lock_irqsave(&b->lock, flags);
		list_add_tail(&req->hash_node, &b->list);
		start = !b->running;
		b->running = true;
		spin_unlock_irqrestore(&b->lock, flags);
		if (start)
			queue_work(ctx->wq, &b->work);
		return;
	}
	queue_work(ctx->wq, &req->work);
}

/* Queue a WAITQ retry; callable from interrupt context. */
void aior_queue_retry(struct aior_req *req)
{
	queue_work(aior_retry_wq, &req->retry_work);
}

/*
 * Queue other work that never waits for I/O (poll wakeups) on the same
 * module-wide queue; callable from any context. Module exit drains it, so
 * an item may drop the last reference to its ring.
 */
void aior_queue_nonblocking(struct work_struct *work)
{
	queue_work(aior_retry_wq, work);
}

/*
 * Work items are initialised once per request and never again: a WAITQ
 * retry can be re-queued while it still runs, and the workqueue only
 * keeps such an item from running twice at once if its state is intact.
 */
void aior_req_init_work(struct aior_req *req)
{
	INIT_WORK(&req->work, aior_work_fn);
	INIT_WORK(&req->retry_work, aior_retry_work_fn);
}

/**
 * aior_wq_setup - create the ring's worker pool
 * @max_workers: in: wanted concurrency, 0 for the default; out: in force
 */
int aior_wq_setup(struct aior_ctx *ctx, u32 *max_workers)
{
	u32 n = *max_workers;
	unsigned int i;

	if (!n)
		n = min_t(u32, ctx->sq_entries, 2 * num_online_cpus());
	n = clamp_t(u32, n, 1, max_t(u32, READ_ONCE(aior_max_workers_cap), 1));
	n = min_t(u32, n, WQ_MAX_ACTIVE);

	ctx->wq = alloc_workqueue("aioring", WQ_UNBOUND, n);
	if (!ctx->wq)
		return -ENOMEM;
	ctx->max_workers = n;
	for (i = 0; i < ARRAY_SIZE(ctx->hash); i++) {
		struct aior_hash_bucket *b = &ctx->hash[i];

		spin_lock_init(&b->lock);
		INIT_LIST_HEAD(&b->list);
		INIT_WORK(&b->work, aior_hash_work_fn);
		b->running = false;
	}
	*max_workers = n;
	return 0;
}

/*
 * Wait for every queued and running work item of the ring, then free the
 * pool. Work queued from here on (retries punting) still finds the pool:
 * callers only destroy it after the last request reference is gone.
 */
void aior_wq_destroy(struct aior_ctx *ctx)
{
	if (ctx->wq) {
		destroy_workqueue(ctx->wq);
		ctx->wq = NULL;
	}
}

int aior_worker_module_init(void)
{
	aior_retry_wq = alloc_workqueue("aioring-retry", WQ_UNBOUND, 0);
	return aior_retry_wq ? 0 : -ENOMEM;
}

void aior_worker_module_exit(void)
{
	destroy_workqueue(aior_retry_wq);
}
