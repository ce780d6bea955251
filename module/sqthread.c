// SPDX-License-Identifier: GPL-2.0
/*
 * The SQ thread (AIORING_SETUP_SQTHREAD): one kernel thread per ring
 * polls the SQ ring and submits what it finds, and on IOPOLL rings reaps
 * polled completions, so the application needs no ioctl at all while the
 * thread is awake.
 *
 * After sq_idle without work the thread sets AIORING_SQ_NEED_WAKEUP and
 * sleeps. The lost-wakeup race is closed as in io_uring: the thread sets
 * the flag, issues a full barrier, and looks at the SQ tail once more;
 * userspace stores the tail, issues a full barrier and reads the flag
 * (aioring_submit()). One of the two then sees the other's store.
 *
 * The thread submits with the credentials, address space and
 * RLIMIT_FSIZE of the process that set the ring up. It cannot look up that process's fds (no
 * exported way exists for a module), so its requests use registered
 * files. It accepts SIGKILL only from ring teardown, which uses it to
 * interrupt a request blocked on a pipe or socket before kthread_stop().
 */
#include <linux/cpumask.h>
#include <linux/cred.h>
#include <linux/kthread.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>

#include "cq.h"
#include "iopoll.h"
#include "sqthread.h"
#include "submit.h"

#define AIOR_SQ_IDLE_DEFAULT_MS	1000

static bool aior_sq_pending(struct aior_ctx *ctx)
{
	/* Only this thread moves cached_sq_head in SQTHREAD mode. */
	return READ_ONCE(ctx->sq_ring->tail) != ctx->cached_sq_head;
}

/* One round of work; returns how much was done. */
static int aior_sq_thread_round(struct aior_ctx *ctx)
{
	int done = 0;

	if (!aior_sq_pending(ctx) && list_empty(&ctx->iopoll_list))
		return 0;
	mutex_lock(&ctx->uring_lock);
	if (aior_sq_pending(ctx)) {
		int ret = aior_submit_sqes(ctx, ctx->sq_entries);

		if (ret > 0)
			done += ret;
	}
	if (!list_empty(&ctx->iopoll_list))
		done += aior_iopoll_reap(ctx, false) + 1;
	mutex_unlock(&ctx->uring_lock);
	return done;
}

static int aior_sq_thread_fn(void *data)
{
	struct aior_ctx *ctx = data;
	const struct cred *old_creds;
	unsigned long timeout = jiffies + ctx->sq_idle;
	DEFINE_WAIT(wait);

	allow_signal(SIGKILL);
	old_creds = override_creds(ctx->sq_creds);

	while (!kthread_should_stop()) {
		int done;

		if (signal_pending(current))
			flush_signals(current);

		/*
		 * Hold the owner's address space only for a round. Holding it
		 * longer would keep the ring's own mappings, hence the ring
		 * file, alive after the owner exits: the ring would never be
		 * released and this thread never stopped.
		 */
		if (!mmget_not_zero(ctx->mm)) {
			/* The owner exited: nothing to do until teardown. */
			set_current_state(TASK_INTERRUPTIBLE);
			if (!kthread_should_stop())
				schedule();
			__set_current_state(TASK_RUNNING);
			continue;
		}
		kthread_use_mm(ctx->mm);
		done = aior_sq_thread_round(ctx);
		kthread_unuse_mm(ctx->mm);
		mmput(ctx->mm);

		if (done) {
			timeout = jiffies + ctx->sq_idle;
			cond_resched();
			continue;
		}
		if (time_before(jiffies, timeout)) {
			cond_resched();
			continue;
		}

		/* Idle: sleep until woken. */
		prepare_to_wait(&ctx->sq_wait, &wait, TASK_INTERRUPTIBLE);
		aior_sq_flags_update(ctx, AIORING_SQ_NEED_WAKEUP, true);
		/* Pairs with the full barrier in aioring_submit(). */
		smp_mb();
		if (!aior_sq_pending(ctx) && !kthread_should_stop()) {
			schedule();
			aior_stat_inc(ctx, sq_thread_wakeups);
		}
		finish_wait(&ctx->sq_wait, &wait);
		aior_sq_flags_update(ctx, AIORING_SQ_NEED_WAKEUP, false);
		timeout = jiffies + ctx->sq_idle;
	}

	revert_creds(old_creds);
	return 0;
}

/* At setup, under uring_lock: validate, create (not yet running). */
int aior_sq_thread_create(struct aior_ctx *ctx, struct aioring_params *p)
{
	struct task_struct *t;
	u32 idle_ms = p->sq_thread_idle ? p->sq_thread_idle :
					  AIOR_SQ_IDLE_DEFAULT_MS;

	if (p->flags & AIORING_SETUP_SQ_AFF) {
		if (p->sq_thread_cpu >= nr_cpu_ids ||
		    !cpu_online(p->sq_thread_cpu))
			return -EINVAL;
	}
	ctx->sq_idle = msecs_to_jiffies(idle_ms);
	init_waitqueue_head(&ctx->sq_wait);

	t = kthread_create(aior_sq_thread_fn, ctx, "aioring-sq/%d",
			   task_pid_nr(current));
	if (IS_ERR(t))
		return PTR_ERR(t);
	if (p->flags & AIORING_SETUP_SQ_AFF)
		kthread_bind(t, p->sq_thread_cpu);
	get_task_struct(t);
	ctx->sq_creds = get_current_cred();
	/*
	 * The thread's own RLIMIT_FSIZE is a kernel thread's (none): its
	 * writes are held to the owner's, as of setup (as io_uring's SQPOLL
	 * thread, a copy of its creator, has its limits).
	 */
	ctx->sq_fsize_limit = rlimit(RLIMIT_FSIZE);
	ctx->sq_thread = t;
	return 0;
}

/* After setup is published. */
void aior_sq_thread_start(struct aior_ctx *ctx)
{
	if (ctx->sq_thread)
		wake_up_process(ctx->sq_thread);
}

void aior_sq_thread_wake(struct aior_ctx *ctx)
{
	if (ctx->sq_thread)
		wake_up(&ctx->sq_wait);
}

/*
 * Teardown: interrupt whatever the thread is blocked on (a request on a
 * pipe), then wait for it to exit. Safe on a thread that never ran.
 */
void aior_sq_thread_stop(struct aior_ctx *ctx)
{
	struct task_struct *t = ctx->sq_thread;

	if (!t)
		return;
	send_sig(SIGKILL, t, 1);
	kthread_stop(t);
	put_task_struct(t);
	ctx->sq_thread = NULL;
	put_cred(ctx->sq_creds);
	ctx->sq_creds = NULL;
}
