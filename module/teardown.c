// SPDX-License-Identifier: GPL-2.0
/*
 * Ring teardown, in one place: what starts it, what it does, and when the
 * ring's memory goes. Nothing here waits for I/O.
 *
 * Four events kill a ring, whichever comes first:
 *  - ->release, after the last descriptor and the last mapping are gone
 *    (which also frees a ring left with nothing in flight there and then);
 *  - the owner's thread group exiting (a wait entry on its pid's
 *    wait_pidfd, the queue pidfds poll): ENTER must come from the owner's
 *    mm, so once the owner is gone nobody can submit, whatever descriptors
 *    still float around, for instance in an SCM_RIGHTS message queued on
 *    a socket the ring itself holds. The mm may outlive the process while
 *    one of the ring's threads is stuck in a page fault holding it, and
 *    that thread must be told;
 *  - the owner's mm being torn down (exec, or exit) while the ring is
 *    mapped in it: exit_mmap() closes the ring's VMAs
 *    (aior_ring_vm_close());
 *  - a ring's thread, ioctl, mmap or close() (->flush, looking again on
 *    the way back to user space) finding the owner's mm gone
 *    (aior_ctx_check_mm()), which covers an exec with the ring unmapped:
 *    exec closes the close-on-exec descriptors. A ring unmapped, with no
 *    descriptor closed at the exec (one in an SCM_RIGHTS message, say)
 *    and nothing running, lives until the owner exits.
 * An mmu_notifier would see every end of the mm, but once an mm has had
 * one, its exit_mmap() waits for an SRCU grace period, and every
 * invalidation in it walks the notifier list: a cost on every process
 * that ever opened a ring, which io_uring does not impose.
 * aior_ctx_kill() only queues the kill work: the triggers come in contexts
 * that must not do much (exit_mmap(), exit_notify() under tasklist_lock).
 *
 * The kill work: CQEs from then on have no reader, so parked and later
 * ones are dropped; the ring's threads get SIGKILL and exit once they
 * have cancelled what is queued (worker.c); pending polls are cancelled;
 * polled I/O is reaped; registered files and buffers are dropped, which
 * breaks any cycle through them and unpins the memory. It sleeps on
 * nothing: uring_lock is tried, and tried again 10 ms later if busy. Requests still in
 * flight (a worker inside a read, an O_DIRECT bio) keep their references
 * and finish when they finish.
 *
 * The ring is freed when its last reference goes (the file's, a
 * request's, a thread's or a queued kill's), from a work item, since
 * that can be in interrupt context. The ring holds a module reference
 * until then; rmmod waits for nothing but the free work itself.
 */
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/task_work.h>

#include "cq.h"
#include "iopoll.h"
#include "poll.h"
#include "ring.h"
#include "rsrc.h"
#include "teardown.h"
#include "worker.h"

/*
 * Kill and free work of every ring. Each item is short and waits on no
 * I/O (the kill takes uring_lock only after the threads that could hold
 * it were interrupted), so one queue serves all rings; unbound, so one
 * ring's items never wait behind another's.
 */
static struct workqueue_struct *aior_teardown_wq;

/* Live rings, checked at module exit: anything left is a leak. */
static atomic_t aior_live_ctxs = ATOMIC_INIT(0);

/*
 * The part of the kill that needs uring_lock: reap polled I/O, drop the
 * registered files and buffers. The lock is free by now, or held by a
 * thread the kill has just interrupted, or by a CLONE_VM process still in
 * ENTER, which finds the ring dead: try, and come back in a moment rather
 * than sleep on it.
 */
static void aior_ctx_kill_locked(struct aior_ctx *ctx)
{
	if (!mutex_trylock(&ctx->uring_lock)) {
		queue_delayed_work(aior_teardown_wq, &ctx->kill_retry,
				   msecs_to_jiffies(10));
		return;
	}
	aior_iopoll_drain(ctx);
	aior_rsrc_free_locked(ctx);
	mutex_unlock(&ctx->uring_lock);
	set_bit(AIOR_KILL_DONE, &ctx->kill_state);
	/* The async thread may go once no request is left. */
	aior_wpool_idle(ctx);
	aior_ctx_put(ctx);
}

static void aior_ctx_kill_retry(struct work_struct *work)
{
	aior_ctx_kill_locked(container_of(to_delayed_work(work),
					  struct aior_ctx, kill_retry));
}

static void aior_ctx_kill_work(struct work_struct *work)
{
	struct aior_ctx *ctx = container_of(work, struct aior_ctx, kill_work);

	aior_cq_overflow_drop_all(ctx);
	/* Whoever waits in ENTER (a CLONE_VM child) learns it is dead. */
	wake_up_all(&ctx->cq_wait);
	aior_wpool_kill(ctx);
	aior_poll_cancel_all(ctx);
	aior_ctx_kill_locked(ctx);
}

/**
 * aior_ctx_kill - the ring is dead: start tearing it down
 *
 * Callable from any context, any number of times; waits for nothing.
 */
void aior_ctx_kill(struct aior_ctx *ctx)
{
	if (test_and_set_bit(AIOR_KILL_QUEUED, &ctx->kill_state))
		return;
	/* None left: the free work, already queued, cleans up instead. */
	if (!refcount_inc_not_zero(&ctx->refs))
		return;
	queue_work(aior_teardown_wq, &ctx->kill_work);
}

/*
 * How long ->release waits for a quiet ring's idle threads to exit, so
 * that its memory and memlock charge go with close().
 */
#define AIOR_QUIET_WAIT_MS	500

/**
 * aior_ctx_release - ->release: the last descriptor and mapping are gone
 *
 * The kill runs here and now: it waits for no I/O (it interrupts the
 * ring's threads, cancels polls, drops parked CQEs and registered files).
 * If that leaves no request in flight, the idle threads only have to see
 * it and exit, which is bounded, and the ring is freed before close()
 * returns, so a program that closes a ring and makes another finds its
 * memlock charge back. Otherwise (a request inside a read that has not
 * returned, an O_DIRECT bio) close() returns at once and the ring is
 * freed when the last request ends.
 */
void aior_ctx_release(struct aior_ctx *ctx)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(AIOR_QUIET_WAIT_MS);
	bool first;

	/*
	 * Dead under uring_lock, so that no submission (the SQ thread's)
	 * slips in between the kill and the look at what is in flight. If
	 * the lock is busy, the ring goes the asynchronous way.
	 */
	if (!mutex_trylock(&ctx->uring_lock)) {
		aior_ctx_kill(ctx);
		aior_ctx_put(ctx);
		return;
	}
	first = !test_and_set_bit(AIOR_KILL_QUEUED, &ctx->kill_state);
	mutex_unlock(&ctx->uring_lock);
	if (first) {
		aior_ctx_get(ctx);
		aior_ctx_kill_work(&ctx->kill_work);
	} else {
		/* Queued by the owner's exit: it does not wait on I/O either. */
		flush_work(&ctx->kill_work);
	}
	/* Ours is the file's reference: the ring cannot go meanwhile. */
	if (!atomic_read(&ctx->inflight)) {
		while (refcount_read(&ctx->refs) > 1 &&
		       time_before(jiffies, deadline))
			usleep_range(50, 200);
	}
	if (refcount_dec_and_test(&ctx->refs))
		aior_ctx_destroy(ctx);
}

/**
 * aior_ctx_check_mm - kill the ring if its owner's mm has gone
 * @ctx: the ring
 *
 * For whoever finds the mm gone by other means than a teardown trigger: an
 * mmget_not_zero() that failed, or a caller from another mm. Once the
 * count of users is 0 it stays 0. Callable from any context.
 */
void aior_ctx_check_mm(struct aior_ctx *ctx)
{
	if (!atomic_read(&ctx->mm->mm_users))
		aior_ctx_kill(ctx);
}

/**
 * aior_ctx_check_caller - may current use the ring (ioctls, mmap)?
 * @ctx: the ring
 *
 * The ring, and every buffer address in its SQEs, belongs to the mm that
 * opened it. Another process holding the fd (a child after fork(), a
 * receiver of SCM_RIGHTS, the owner's new image after an exec) must not
 * make the module interpret its addresses, or the owner's, on its behalf:
 * -EPERM, after a look at whether the owner's mm is gone. A dead ring
 * (its owner exited; a CLONE_VM child may still share the mm) is
 * -EOWNERDEAD. Returns 0 if the caller may go on.
 */
int aior_ctx_check_caller(struct aior_ctx *ctx)
{
	if (current->mm != ctx->mm) {
		aior_ctx_check_mm(ctx);
		return -EPERM;
	}
	return aior_ctx_dead(ctx) ? -EOWNERDEAD : 0;
}

/*
 * A look at the owner's mm once the exec'ing task is back in user space.
 * It holds the file, not the ring: the file's last put then runs as a
 * task_work of its own after this one (task_works run newest first, so a
 * ring reference held here would make ->release of a second descriptor
 * closed in the same exec wait for us), and the file holds the module
 * until after this function has returned.
 */
struct aior_close_check {
	struct callback_head	cb;
	struct file		*file;
};

static void aior_close_check_fn(struct callback_head *cb)
{
	struct aior_close_check *cc = container_of(cb, struct aior_close_check, cb);
	struct file *file = cc->file;

	kfree(cc);
	aior_ctx_check_mm(file->private_data);
	fput(file);
}

/**
 * aior_ctx_flush - ->flush: a descriptor of the ring is being closed
 * @ctx: the ring
 * @file: its file
 *
 * A close from another mm looks at once. The owner's exec closes its
 * close-on-exec descriptors before it lets go of the old mm (on 6.1 and
 * 6.12 do_close_on_exec() comes before exec_mmap()), so a close by an
 * exec'ing owner looks again when the task returns to user space, from
 * the new image, with the old mm gone. Not for the last reference
 * (->release follows), nor for a ring already dying. Best effort: without
 * memory, or if someone holds the old mm just then (a /proc reader), the
 * owner's exit still kills the ring.
 */
void aior_ctx_flush(struct aior_ctx *ctx, struct file *file)
{
	struct aior_close_check *cc;

	if (aior_ctx_dead(ctx) || file_count(file) <= 1)
		return;
	if (current->mm != ctx->mm) {
		aior_ctx_check_mm(ctx);
		return;
	}
	if (!current->in_execve)
		return;
	cc = kmalloc(sizeof(*cc), GFP_KERNEL_ACCOUNT);
	if (!cc)
		return;
	init_task_work(&cc->cb, aior_close_check_fn);
	cc->file = get_file(file);
	if (task_work_add(current, &cc->cb, TWA_RESUME)) {
		/* Exiting: its exit kills the ring. */
		fput(file);
		kfree(cc);
	}
}

/*
 * vm_ops->close of a ring mapping. munmap() comes from a live mm; only
 * exit_mmap(), at exec or exit, closes a VMA of an mm with no user left.
 */
void aior_ring_vm_close(struct vm_area_struct *vma)
{
	struct aior_ctx *ctx = vma->vm_file->private_data;

	if (vma->vm_mm == ctx->mm)
		aior_ctx_check_mm(ctx);
}

/*
 * Has the owner's thread group exited? Its leader is then a zombie with
 * no thread left, or gone. (From 6.9 a pidfd waiter is also woken when
 * only the leader thread exits.)
 */
static bool aior_owner_gone(struct aior_ctx *ctx)
{
	struct task_struct *t;
	bool gone;

	rcu_read_lock();
	t = pid_task(ctx->owner_tgid, PIDTYPE_TGID);
	gone = !t || (t->exit_state && thread_group_empty(t));
	rcu_read_unlock();
	return gone;
}

static void aior_owner_exit_work(struct work_struct *work)
{
	struct aior_ctx *ctx = container_of(work, struct aior_ctx, exit_work);

	if (aior_owner_gone(ctx))
		aior_ctx_kill(ctx);
}

/*
 * A wakeup on the owner's wait_pidfd: its thread group exited (or a
 * thread of it did). Called under the waitqueue's lock, with tasklist_lock
 * held for writing: only queue a look.
 */
static int aior_owner_exit_wake(struct wait_queue_entry *wait,
				unsigned int mode, int sync, void *key)
{
	struct aior_ctx *ctx = container_of(wait, struct aior_ctx, exit_wait);

	queue_work(aior_teardown_wq, &ctx->exit_work);
	return 0;
}

/**
 * aior_ctx_watch_owner - at open: kill the ring when the owner exits
 *
 * Waits on current's thread group. The mm is watched through the ring's
 * mappings and its users (aior_ring_vm_close(), aior_ctx_check_mm()).
 */
void aior_ctx_watch_owner(struct aior_ctx *ctx)
{
	struct wait_queue_head *wq = &ctx->owner_tgid->wait_pidfd;

	init_waitqueue_func_entry(&ctx->exit_wait, aior_owner_exit_wake);
	add_wait_queue(wq, &ctx->exit_wait);
	ctx->exit_wait_armed = true;
}

static void aior_ctx_unwatch_owner(struct aior_ctx *ctx)
{
	if (ctx->exit_wait_armed) {
		remove_wait_queue(&ctx->owner_tgid->wait_pidfd, &ctx->exit_wait);
		ctx->exit_wait_armed = false;
	}
	cancel_work_sync(&ctx->exit_work);
}

/**
 * aior_ctx_destroy - free everything a ring holds
 *
 * Its last reference is gone, or open failed before the ring was used.
 */
void aior_ctx_destroy(struct aior_ctx *ctx)
{
	set_bit(AIOR_KILL_QUEUED, &ctx->kill_state);
	aior_ctx_unwatch_owner(ctx);
	aior_req_cache_free(ctx);
	aior_rsrc_free(ctx);
	aior_ring_free(ctx);
	aior_user_put(ctx);
	if (ctx->memcg)
		mem_cgroup_put(ctx->memcg);
	if (ctx->owner)
		put_task_struct(ctx->owner);
	put_cred(ctx->creds);
	put_pid(ctx->owner_tgid);
	mmdrop(ctx->mm);
	mutex_destroy(&ctx->uring_lock);
	kfree(ctx);
	atomic_dec(&aior_live_ctxs);
	/* Taken at open; the work item's own code is safe: rmmod flushes us. */
	module_put(THIS_MODULE);
}

void aior_ctx_free_work(struct work_struct *work)
{
	aior_ctx_destroy(container_of(work, struct aior_ctx, free_work));
}

/* The last reference went, possibly in interrupt context. */
void aior_ctx_free_queue(struct aior_ctx *ctx)
{
	queue_work(aior_teardown_wq, &ctx->free_work);
}

/* At open, before anything can fail: paired with aior_ctx_destroy(). */
void aior_ctx_init_teardown(struct aior_ctx *ctx)
{
	INIT_WORK(&ctx->kill_work, aior_ctx_kill_work);
	INIT_DELAYED_WORK(&ctx->kill_retry, aior_ctx_kill_retry);
	INIT_WORK(&ctx->exit_work, aior_owner_exit_work);
	INIT_WORK(&ctx->free_work, aior_ctx_free_work);
	__module_get(THIS_MODULE);
	atomic_inc(&aior_live_ctxs);
}

int aior_teardown_module_init(void)
{
	aior_teardown_wq = alloc_workqueue("aioring-teardown", WQ_UNBOUND, 0);
	return aior_teardown_wq ? 0 : -ENOMEM;
}

/* Deferred frees that must end before the module does (rsrc.c). */
void aior_teardown_queue(struct work_struct *work)
{
	queue_work(aior_teardown_wq, work);
}

/* No ring is left (each holds the module), but a free work may still run. */
void aior_teardown_module_exit(void)
{
	destroy_workqueue(aior_teardown_wq);
	WARN(atomic_read(&aior_live_ctxs), "%d ring contexts leaked\n",
	     atomic_read(&aior_live_ctxs));
}
