// SPDX-License-Identifier: GPL-2.0
/*
 * Polled I/O (AIORING_SETUP_IOPOLL): O_DIRECT requests issued with
 * IOCB_HIPRI complete only when someone polls their file (->iopoll) —
 * ENTER(GETEVENTS), or the SQ thread. Their ->ki_complete only records the
 * result; the reaper posts the CQE. ctx->iopoll_list and the reaping are
 * under uring_lock. A device without poll queues completes HIPRI bios by
 * interrupt instead; the reaper then just finds them done.
 *
 * Teardown must reap everything: nobody else ever will.
 *
 * Submission tries without blocking; a request that would block goes to a
 * worker, which issues it unpolled (rw.c): it completes by interrupt and is
 * never on iopoll_list, whose poller may be the very thread the file
 * system made the worker wait for.
 */
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/sched/signal.h>

#include "cq.h"
#include "iopoll.h"
#include "rw.h"

/* Poll, then post what completed. Returns how many were posted. */
int aior_iopoll_reap(struct aior_ctx *ctx, bool spin)
	__must_hold(&ctx->uring_lock)
{
	struct aior_req *req, *tmp;
	int found = 0;

	list_for_each_entry(req, &ctx->iopoll_list, iopoll_node) {
		/* Pairs with smp_store_release() in aior_iopoll_ki_complete(). */
		if (smp_load_acquire(&req->iopoll_done))
			continue;
		aior_file_iopoll(&req->rw.kiocb, spin);
		spin = false;
	}
	list_for_each_entry_safe(req, tmp, &ctx->iopoll_list, iopoll_node) {
		if (!smp_load_acquire(&req->iopoll_done))
			continue;
		list_del_init(&req->iopoll_node);
		aior_stat_inc(ctx, iopoll_reaped);
		aior_rw_iopoll_done(req);
		found++;
	}
	return found;
}

/*
 * ENTER(GETEVENTS) on an IOPOLL ring without SQ thread: poll until
 * @min_events CQEs are ready, nothing is left to poll, a signal or the
 * timeout. Returns 0, -EINTR or -ETIME.
 */
int aior_iopoll_wait(struct aior_ctx *ctx, u32 min_events, bool has_timeout,
		     u64 timeout_ns)
{
	ktime_t end = aior_deadline(timeout_ns);
	int ret = 0;

	min_events = min(min_events, ctx->cq_entries);
	if (mutex_lock_killable(&ctx->uring_lock))
		return -EINTR;
	while (aior_cq_ready(ctx) < min_events &&
	       !list_empty(&ctx->iopoll_list)) {
		aior_iopoll_reap(ctx, true);
		if (signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (has_timeout && ktime_after(ktime_get(), end)) {
			ret = -ETIME;
			break;
		}
		if (need_resched()) {
			mutex_unlock(&ctx->uring_lock);
			cond_resched();
			if (mutex_lock_killable(&ctx->uring_lock))
				return -EINTR;
		}
	}
	mutex_unlock(&ctx->uring_lock);
	return ret;
}

/*
 * Teardown (the kill work, under uring_lock): reap every polled request.
 * Nobody else ever will, and the device completes them in bounded time.
 */
void aior_iopoll_drain(struct aior_ctx *ctx)
	__must_hold(&ctx->uring_lock)
{
	while (!list_empty(&ctx->iopoll_list)) {
		aior_iopoll_reap(ctx, true);
		cond_resched();
	}
}

