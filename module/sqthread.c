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
 * RLIMIT_FSIZE of the process that set the ring up. It cannot look up that
 * process's fds (no exported way exists for a module), so its requests use
 * registered files. It is one of the ring's threads (worker.c): in the
 * owner's cgroups, on a CPU of the owner's cpuset, killed by teardown
 * with SIGKILL, which also ends a request it is blocked in. It never
 * spins: with nothing to do it sleeps after sq_thread_idle (capped by the
 * max_sq_thread_idle module parameter), and when the ring is full
 * (-EBUSY) it sleeps until a request ends or userspace wakes it.
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
#include "teardown.h"
#include "worker.h"

#define AIOR_SQ_IDLE_DEFAULT_MS	1000

unsigned int aior_max_sq_idle_ms = 10000;

static bool aior_sq_pending(struct aior_ctx *ctx)
{
	/* Only this thread moves cached_sq_head in SQTHREAD mode. */
	return READ_ONCE(ctx->sq_ring->tail) != ctx->cached_sq_head;
}

/* One round of work; returns how much was done, or -EBUSY when full. */
static int aior_sq_thread_round(struct aior_ctx *ctx)
{
	int done = 0;

	if (!aior_sq_pending(ctx) && list_empty(&ctx->iopoll_list))
		return 0;
	/* Killable: teardown's SIGKILL must get this thread out. */
	if (mutex_lock_killable(&ctx->uring_lock))
		return 0;
	if (aior_sq_pending(ctx)) {
		int ret = aior_submit_sqes(ctx, ctx->sq_entries);

		if (ret > 0)
			done += ret;
		else if (ret == -EBUSY && list_empty(&ctx->iopoll_list))
			done = -EBUSY;
	}
	if (!list_empty(&ctx->iopoll_list))
		done += aior_iopoll_reap(ctx, false) + 1;
	mutex_unlock(&ctx->uring_lock);
	return done;
}

/*
 * Sleep until woken: by userspace (ENTER with SQ_WAKEUP), by teardown,
 * and with @room by the end of a request (aior_sq_room_wake()).
 */
static void aior_sq_thread_sleep(struct aior_ctx *ctx, bool room)
{
	DEFINE_WAIT(wait);

	prepare_to_wait(&ctx->sq_wait, &wait, TASK_INTERRUPTIBLE);
	aior_sq_flags_update(ctx, AIORING_SQ_NEED_WAKEUP, true);
	if (room)
		WRITE_ONCE(ctx->sq_room_wait, true);
	/* Pairs with the full barrier in aioring_submit() and aior_sq_room_wake(). */
	smp_mb();
	if (!aior_thread_should_stop(ctx) &&
	    (room ? atomic_read(&ctx->inflight) >= ctx->cq_entries ||
		    !list_empty_careful(&ctx->overflow_list) :
		    !aior_sq_pending(ctx))) {
		/* Full because CQEs are parked: only userspace reaping helps. */
		if (room)
			schedule_timeout(ctx->sq_idle);
		else
			schedule();
		aior_stat_inc(ctx, sq_thread_wakeups);
	}
	finish_wait(&ctx->sq_wait, &wait);
	WRITE_ONCE(ctx->sq_room_wait, false);
	aior_sq_flags_update(ctx, AIORING_SQ_NEED_WAKEUP, false);
}

static int aior_sq_thread_fn(void *data)
{
	struct aior_ctx *ctx = data;
	const struct cred *old_creds;
	unsigned long timeout;
	DEFINE_WAIT(wait);

	/* The rings exist, but are not published until SETUP returns. */
	for (;;) {
		prepare_to_wait(&ctx->sq_wait, &wait, TASK_INTERRUPTIBLE);
		if (smp_load_acquire(&ctx->setup_done) ||
		    aior_thread_should_stop(ctx))
			break;
		schedule();
	}
	finish_wait(&ctx->sq_wait, &wait);

	old_creds = override_creds(ctx->sq_creds);
	timeout = jiffies + ctx->sq_idle;
	while (!aior_thread_should_stop(ctx)) {
		int done;

		/*
		 * Hold the owner's address space only for a round. Holding it
		 * longer would keep the ring's own mappings, hence the ring
		 * file, alive after the owner exits.
		 */
		if (!mmget_not_zero(ctx->mm)) {
			aior_ctx_check_mm(ctx);
			break;
		}
		kthread_use_mm(ctx->mm);
		done = aior_sq_thread_round(ctx);
		kthread_unuse_mm(ctx->mm);
		mmput(ctx->mm);
		aior_wpool_grow(ctx);

		if (done == -EBUSY) {
			aior_sq_thread_sleep(ctx, true);
			continue;
		}
		if (done) {
			timeout = jiffies + ctx->sq_idle;
			cond_resched();
			continue;
		}
		if (time_before(jiffies, timeout)) {
			cond_resched();
			continue;
		}
		aior_sq_thread_sleep(ctx, false);
		timeout = jiffies + ctx->sq_idle;
	}
	revert_creds(old_creds);
	put_cred(ctx->sq_creds);
	return 0;
}

/* At setup, before any thread starts: validate the SQ thread's parameters. */
int aior_sq_thread_check(struct aior_ctx *ctx, struct aioring_params *p)
{
	u32 idle_ms = p->sq_thread_idle ? p->sq_thread_idle :
					  AIOR_SQ_IDLE_DEFAULT_MS;

	if (idle_ms > READ_ONCE(aior_max_sq_idle_ms))
		return -EINVAL;
	ctx->sq_cpu = -1;
	if (p->flags & AIORING_SETUP_SQ_AFF) {
		/* A CPU the owner may run on: its cpuset and affinity. */
		if (p->sq_thread_cpu >= nr_cpu_ids ||
		    !cpu_online(p->sq_thread_cpu) ||
		    !cpumask_test_cpu(p->sq_thread_cpu, current->cpus_ptr))
			return -EINVAL;
		ctx->sq_cpu = p->sq_thread_cpu;
	}
	ctx->sq_idle = msecs_to_jiffies(idle_ms);
	return 0;
}

/* In SETUP, under uring_lock: start the thread; it waits for setup_done. */
int aior_sq_thread_create(struct aior_ctx *ctx)
	__must_hold(&ctx->uring_lock)
{
	int ret;

	/*
	 * The thread's own RLIMIT_FSIZE is a kernel thread's (none): its
	 * writes are held to the owner's, as of setup (as io_uring's SQPOLL
	 * thread, a copy of its creator, has its limits).
	 */
	ctx->sq_fsize_limit = rlimit(RLIMIT_FSIZE);
	ctx->sq_creds = get_current_cred();
	ret = aior_thread_spawn(ctx, aior_sq_thread_fn, "sq", ctx->sq_cpu,
				&ctx->sq_thread);
	if (ret) {
		put_cred(ctx->sq_creds);
		ctx->sq_creds = NULL;
	}
	return ret;
}

void aior_sq_thread_wake(struct aior_ctx *ctx)
{
	if (ctx->flags & AIORING_SETUP_SQTHREAD)
		wake_up(&ctx->sq_wait);
}

/*
 * A request ended (its atomic_dec_and_test() of inflight, a full barrier,
 * came first): an SQ thread waiting for room may go on. Pairs with the
 * smp_mb() in aior_sq_thread_sleep(): either it sees the lower count, or
 * we see its flag.
 */
void aior_sq_room_wake(struct aior_ctx *ctx)
{
	if (READ_ONCE(ctx->sq_room_wait))
		wake_up(&ctx->sq_wait);
}
