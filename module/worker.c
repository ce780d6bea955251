// SPDX-License-Identifier: GPL-2.0
/*
 * The worker model: every thread that does a ring's work belongs to the
 * ring's owner.
 *
 * Design note. A module cannot make io_uring's PF_IO_WORKER threads
 * (create_io_thread() and task_work_run() are not exported), so each ring
 * gets kernel threads of its own, made accountable to the process that
 * opened it, the same way on every supported kernel:
 *  - cgroups: before a thread runs anything it is attached to all the
 *    owner's cgroups with cgroup_attach_task_all(), as vhost did before
 *    6.4: its CPU time, memory, pids, io.max and cpuset are the owner's.
 *    On 5.10 that function skips the cgroup v2 hierarchy; there the
 *    thread's I/O is still the owner's (kthread_associate_blkcg(): io.max
 *    and weights hold), but not its CPU, memory or pids, and fdinfo says
 *    "ThreadCgroup2: io-only". A bound SQ thread must name a CPU of the
 *    owner's cpuset and affinity.
 *  - identity: a request runs with its submitter's credentials (captured
 *    when it leaves the submitter) and the owner's mm (kthread_use_mm());
 *    writes are held to the submitter's RLIMIT_FSIZE (rw.c). File
 *    descriptors are resolved at submission, in the submitter.
 *  - signals: the threads accept SIGKILL, and only teardown sends it
 *    (an unprivileged user cannot signal them: they are kthreads). A
 *    thread blocked in anything killable or interruptible, a page fault
 *    on a userfaultfd page nobody serves, a pipe, an NFS wait, a killable
 *    lock, gives up there; then every queued item is cancelled without
 *    being issued, and the threads exit. An uninterruptible wait is not
 *    ended (a FUSE request its daemon has read but not answered): that
 *    thread, and its ring, stay until it returns; close() and exit()
 *    still do not wait for it.
 *  - memory: the threads' allocations are charged to the owner's memcg
 *    (set_active_memcg(): kernel threads would bypass it); their nice
 *    value and I/O priority are the owner's at the time they start.
 *  - lifetime: each thread holds a reference on the ring and the module,
 *    and exits with module_put_and_kthread_exit(). Nothing waits for a
 *    thread: not close(), not exit(), not rmmod (which cannot start
 *    while a thread lives). Teardown (teardown.c) starts on the last
 *    close, when the owner's mm goes, or when the owner's thread group
 *    exits, whichever comes first.
 * Why not vhost_task (6.4+), whose workers are real children of the
 * owner: its interface changed three times between 6.4 and 6.12, and
 * the kthread model gives the same containment on all four kernels with
 * one code path, so one set of tests shows it. The cost is that the
 * threads show up as processes of their own (aioring-w/PID, aioring-a/PID,
 * aioring-sq/PID, PID being the owner's), not in /proc/PID/task.
 *
 * The threads of one ring, and what each may block on:
 *  - the async thread (one, from setup): WAITQ retries and poll wakeups,
 *    the @fast list. Its items never wait for I/O; they can fault on the
 *    user's buffer. It outlives teardown until no request is left, since
 *    a page callback may still queue a retry.
 *  - blocking workers (0 to max_workers, started on demand): requests
 *    that would block, the @slow list. Regular files and block devices
 *    only: pollable files are retried from poll wakeups instead (rw.c).
 *  - the SQ thread (sqthread.c), with AIORING_SETUP_SQTHREAD.
 * Nothing here is shared between rings, so one ring's stuck I/O delays
 * only that ring. Workers are started where no lock is held (the end of
 * ENTER, the SQ thread's and the async thread's loops), never from the
 * punt itself, which may run under uring_lock.
 *
 * Caps for the admin (module parameters): max_workers per ring, and per
 * user max_workers_per_user blocking workers (a ring's first worker is
 * not counted, so every ring makes progress; past the cap work queues)
 * and max_rings_per_user rings (-EMFILE). So one user has at most
 * max_rings_per_user * 3 + max_workers_per_user threads (an async thread,
 * an SQ thread and a first worker per ring), 896 by default.
 *
 * What is a snapshot: the cgroups, nice and I/O priority are those of the
 * owner when the thread starts; moving the owner later moves the workers
 * started after the move only. The cgroup v2 freezer and cgroup.kill
 * skip kernel threads: they stop the owner, and the ring's threads stop
 * with it for want of work, but a request already running goes on.
 *
 * Buffered writes are serialised per inode through hash buckets: one work
 * item drains a bucket, so writers to one file do not pile up on its
 * i_rwsem and the pool stays free for other work.
 */
#include <linux/cgroup.h>
#include <linux/cpumask.h>
#include <linux/cred.h>
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/iocontext.h>
#include <linux/ioprio.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "cq.h"
#include "opdef.h"
#include "teardown.h"
#include "worker.h"

unsigned int aior_max_workers_cap = 64;
unsigned int aior_max_workers_per_user = 512;
unsigned int aior_max_rings_per_user = 128;

/* Threads aior_wpool_kill() signals per hold of wp->lock. */
#define AIOR_KILL_BATCH		16

/* One per thread working for a ring; on ctx->wp.threads while it lives. */
struct aior_thread {
	struct task_struct	*task;
	struct aior_ctx		*ctx;
	int			(*fn)(void *ctx);
	struct list_head	node;
	bool			charged;	/* counts against the user's cap */
	bool			killed;		/* teardown sent SIGKILL; wp.lock */
	int			ioprio;		/* the owner's, at the start */
};

/* Per-user counts, for the caps; keyed by the opener's uid. */
struct aior_user {
	struct hlist_node	node;
	kuid_t			uid;
	unsigned int		rings;
	unsigned int		workers;
};

static DEFINE_HASHTABLE(aior_users, 6);
/* Protects aior_users and every aior_user's counts. */
static DEFINE_SPINLOCK(aior_users_lock);

static struct aior_user *aior_user_find(kuid_t uid)
	__must_hold(&aior_users_lock)
{
	struct aior_user *u;

	hash_for_each_possible(aior_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/* At open: count a ring against the user's cap; -EMFILE past it. */
int aior_user_get(struct aior_ctx *ctx)
{
	kuid_t uid = ctx->creds->uid;
	unsigned int cap = READ_ONCE(aior_max_rings_per_user);
	struct aior_user *u, *new;
	int ret = 0;

	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	spin_lock(&aior_users_lock);
	u = aior_user_find(uid);
	if (!u) {
		u = new;
		new = NULL;
		u->uid = uid;
		hash_add(aior_users, &u->node, __kuid_val(uid));
	}
	if (cap && u->rings >= cap) {
		ret = -EMFILE;
		if (!u->rings && !u->workers) {
			hash_del(&u->node);
			new = u;
		}
	} else {
		u->rings++;
		ctx->user = u;
	}
	spin_unlock(&aior_users_lock);
	kfree(new);
	return ret;
}

void aior_user_put(struct aior_ctx *ctx)
{
	struct aior_user *u = ctx->user;

	if (!u)
		return;
	spin_lock(&aior_users_lock);
	u->rings--;
	if (!u->rings && !u->workers)
		hash_del(&u->node);
	else
		u = NULL;
	spin_unlock(&aior_users_lock);
	kfree(u);
	ctx->user = NULL;
}

static bool aior_user_charge_worker(struct aior_user *u)
{
	unsigned int cap = READ_ONCE(aior_max_workers_per_user);
	bool ok;

	spin_lock(&aior_users_lock);
	ok = !cap || u->workers < cap;
	if (ok)
		u->workers++;
	spin_unlock(&aior_users_lock);
	return ok;
}

/* The user lives while the ring does: its rings count is not zero. */
static void aior_user_uncharge_worker(struct aior_user *u)
{
	spin_lock(&aior_users_lock);
	u->workers--;
	spin_unlock(&aior_users_lock);
}

bool aior_worker_enter(struct aior_req *req, struct aior_worker_state *st)
{
	struct aior_ctx *ctx = req->ctx;

	/* Teardown began, or the owner exited: nobody wants this any more. */
	if (aior_ctx_dead(ctx))
		return false;
	if (!mmget_not_zero(ctx->mm)) {
		aior_ctx_check_mm(ctx);
		return false;
	}
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
 * creds. Returns the issue's result, or -ECANCELED when the ring is dying.
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
static void aior_retry_work_fn(struct aior_work *work)
{
	struct aior_req *req = container_of(work, struct aior_req, retry_work);
	int ret;

	/* -EAGAIN through ->ki_complete (rw.c): a worker starts it over. */
	if (req->flags & AIOR_F_REISSUE) {
		req->flags &= ~AIOR_F_REISSUE;
		aior_punt(req);
		return;
	}
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

static void aior_work_fn(struct aior_work *work)
{
	aior_run_blocking(container_of(work, struct aior_req, work));
}

static void aior_hash_work_fn(struct aior_work *work)
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

/*
 * Queue blocking work. Once teardown has begun and no worker is left to
 * drain the list, the item is the caller's to cancel: returns false.
 */
static bool aior_queue_slow(struct aior_ctx *ctx, struct aior_work *work)
{
	struct aior_wpool *wp = &ctx->wp;
	unsigned long flags;
	bool wake;

	spin_lock_irqsave(&wp->lock, flags);
	if (wp->dying && !wp->nr_workers) {
		spin_unlock_irqrestore(&wp->lock, flags);
		return false;
	}
	list_add_tail(&work->node, &wp->slow);
	wp->nr_slow++;
	wake = wp->nr_idle;
	spin_unlock_irqrestore(&wp->lock, flags);
	/* Exclusive waiters: one idle worker per item. */
	if (wake)
		wake_up(&wp->slow_wait);
	return true;
}

/**
 * aior_punt - hand @req to the ring's blocking workers
 *
 * Callable where a request may be issued (process context, locks allowed):
 * a worker is started later by aior_wpool_grow(), without locks.
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
		/* A dead ring's bucket is drained here; no worker runs it. */
		if (start && !aior_queue_slow(ctx, &b->work))
			b->work.fn(&b->work);
		return;
	}
	if (!aior_queue_slow(ctx, &req->work))
		aior_req_done(req, -ECANCELED);
}

/*
 * Queue work that never waits for I/O on the ring's async thread;
 * callable from any context, interrupts included. The async thread lives
 * until teardown has begun and no request is left, and only requests
 * queue such work, so it is always there to run it.
 */
void aior_queue_fast(struct aior_ctx *ctx, struct aior_work *work)
{
	struct aior_wpool *wp = &ctx->wp;
	struct task_struct *async;
	unsigned long flags;

	spin_lock_irqsave(&wp->lock, flags);
	if (list_empty(&work->node))
		list_add_tail(&work->node, &wp->fast);
	async = wp->async;
	/* Woken under the lock: the thread clears @async under it before exiting. */
	if (async)
		wake_up_process(async);
	spin_unlock_irqrestore(&wp->lock, flags);
}

/* Queue a WAITQ retry; callable from interrupt context. */
void aior_queue_retry(struct aior_req *req)
{
	aior_queue_fast(req->ctx, &req->retry_work);
}

void aior_work_init(struct aior_work *work, void (*fn)(struct aior_work *))
{
	INIT_LIST_HEAD(&work->node);
	work->fn = fn;
}

/* Once per request object: a recycled request's items are idle. */
void aior_req_init_work(struct aior_req *req)
{
	aior_work_init(&req->work, aior_work_fn);
	aior_work_init(&req->retry_work, aior_retry_work_fn);
}

/* --- the threads --------------------------------------------------------- */

static int __aior_thread_spawn(struct aior_ctx *ctx, int (*fn)(void *),
			       const char *kind, int cpu,
			       struct task_struct **taskp, bool charged);
static void aior_wpool_cancel_orphans(struct aior_ctx *ctx);

/*
 * The owner's blkcg, for the thread's I/O. Attaching to the owner's
 * cgroups already gives it where the kernel's cgroup_attach_task_all()
 * covers cgroup v2; where that is v1 only (5.10), this still puts the
 * thread's bios under the owner's io.max and io weights.
 */
static void aior_thread_associate_blkcg(struct aior_ctx *ctx)
{
#ifdef CONFIG_BLK_CGROUP
	struct cgroup_subsys_state *css = task_get_css(ctx->owner, io_cgrp_id);

	kthread_associate_blkcg(css);
	css_put(css);
#endif
}

static int aior_thread_main(void *data)
{
	struct aior_thread *t = data;
	struct aior_ctx *ctx = t->ctx;
	struct mem_cgroup *old_memcg;

	allow_signal(SIGKILL);
	if (t->ioprio)
		set_task_ioprio(current, t->ioprio);
	aior_thread_associate_blkcg(ctx);
	/* Kernel threads bypass memcg: charge what this one allocates. */
	old_memcg = aior_set_active_memcg(ctx->memcg);
	t->fn(ctx);
	aior_set_active_memcg(old_memcg);
#ifdef CONFIG_BLK_CGROUP
	kthread_associate_blkcg(NULL);
#endif
	aior_thread_exit(ctx);
}

/**
 * aior_thread_spawn - start a thread working for @ctx, owned by its owner
 * @fn: the thread's body; when it returns, the thread exits
 * @kind: "w", "a" or "sq", for the thread's name
 * @cpu: the CPU to bind it to, or -1 for the owner's cpuset
 * @taskp: if not NULL, set to the thread under wp.lock before it runs
 *
 * Process context, no locks held. The thread is in the owner's cgroups
 * before it runs @fn.
 */
int aior_thread_spawn(struct aior_ctx *ctx, int (*fn)(void *), const char *kind,
		      int cpu, struct task_struct **taskp)
{
	return __aior_thread_spawn(ctx, fn, kind, cpu, taskp, false);
}

/* @charged: the thread holds a worker of the user's cap, given back at exit. */
static int __aior_thread_spawn(struct aior_ctx *ctx, int (*fn)(void *),
			       const char *kind, int cpu,
			       struct task_struct **taskp, bool charged)
{
	struct aior_wpool *wp = &ctx->wp;
	struct task_struct *task;
	struct aior_thread *t;
	int ret;

	t = kzalloc(sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return -ENOMEM;
	t->ctx = ctx;
	t->fn = fn;
	t->charged = charged;
	task = kthread_create(aior_thread_main, t, "aioring-%s/%d", kind,
			      pid_nr(ctx->owner_tgid));
	if (IS_ERR(task)) {
		kfree(t);
		return PTR_ERR(task);
	}
	ret = cgroup_attach_task_all(ctx->owner, task);
	if (!ret && cpu >= 0)
		ret = set_cpus_allowed_ptr(task, cpumask_of(cpu));
	if (ret)
		goto err_stop;
	/*
	 * The owner's CPU and I/O priority, as of now. The latter is set by
	 * the thread itself (aior_thread_main()): set_task_ioprio() checks
	 * the caller against the target.
	 */
	set_user_nice(task, task_nice(ctx->owner));
	task_lock(ctx->owner);
	if (ctx->owner->io_context)
		t->ioprio = ctx->owner->io_context->ioprio;
	task_unlock(ctx->owner);
	/* Did that cover cgroup v2 too? If not, only io follows the owner. */
	rcu_read_lock();
	if (task_dfl_cgroup(task) != task_dfl_cgroup(ctx->owner))
		WRITE_ONCE(wp->cgroup2_io_only, true);
	rcu_read_unlock();
	t->task = task;

	spin_lock_irq(&wp->lock);
	if (wp->dying) {
		spin_unlock_irq(&wp->lock);
		ret = -ECANCELED;
		goto err_stop;
	}
	list_add_tail(&t->node, &wp->threads);
	if (taskp)
		*taskp = task;
	spin_unlock_irq(&wp->lock);
	/* Dropped by the thread itself, as it exits. */
	__module_get(THIS_MODULE);
	aior_ctx_get(ctx);
	wake_up_process(task);
	return 0;

err_stop:
	/* Never woken: kthread_stop() makes it exit without running @fn. */
	kthread_stop(task);
	kfree(t);
	return ret;
}

/* The end of every thread of a ring; after the last put, nothing of it. */
void __noreturn aior_thread_exit(struct aior_ctx *ctx)
{
	struct aior_wpool *wp = &ctx->wp;
	struct aior_thread *t, *found = NULL;

	spin_lock_irq(&wp->lock);
	list_for_each_entry(t, &wp->threads, node) {
		if (t->task == current) {
			found = t;
			break;
		}
	}
	if (found)
		list_del(&found->node);
	if (wp->async == current)
		wp->async = NULL;
	if (ctx->sq_thread == current)
		ctx->sq_thread = NULL;
	spin_unlock_irq(&wp->lock);
	if (found && found->charged)
		aior_user_uncharge_worker(ctx->user);
	kfree(found);
	aior_ctx_put(ctx);
	module_put_and_kthread_exit(0);
}

/*
 * For a thread's idle wait: true once it should exit. A SIGKILL that
 * arrives while the ring is alive is dropped, or it would end every
 * interruptible sleep at once.
 */
bool aior_thread_should_stop(struct aior_ctx *ctx)
{
	/*
	 * Flush first, then look: teardown sets @dying before it signals
	 * (under the siglock flush_signals() takes too), so a SIGKILL we
	 * drop here is one whose @dying we see.
	 */
	if (signal_pending(current))
		flush_signals(current);
	return READ_ONCE(ctx->wp.dying);
}

/* A blocking worker: runs @slow items until teardown empties the list. */
static int aior_worker_fn(void *data)
{
	struct aior_ctx *ctx = data;
	struct aior_wpool *wp = &ctx->wp;
	DEFINE_WAIT(wait);

	for (;;) {
		struct aior_work *work;

		spin_lock_irq(&wp->lock);
		while (list_empty(&wp->slow) && !wp->dying) {
			wp->nr_idle++;
			prepare_to_wait_exclusive(&wp->slow_wait, &wait,
						  TASK_INTERRUPTIBLE);
			spin_unlock_irq(&wp->lock);
			if (!aior_thread_should_stop(ctx))
				schedule();
			finish_wait(&wp->slow_wait, &wait);
			spin_lock_irq(&wp->lock);
			wp->nr_idle--;
		}
		work = list_first_entry_or_null(&wp->slow, struct aior_work,
						node);
		if (!work) {
			/* Dying, and nothing left: this worker is done. */
			wp->nr_workers--;
			spin_unlock_irq(&wp->lock);
			break;
		}
		list_del_init(&work->node);
		wp->nr_slow--;
		spin_unlock_irq(&wp->lock);

		work->fn(work);
		cond_resched();
	}
	return 0;
}

/*
 * The async thread: runs @fast items. It stays through teardown until no
 * request is left, since a page callback may queue a retry until then;
 * aior_wpool_idle() wakes it for that.
 */
static int aior_async_fn(void *data)
{
	struct aior_ctx *ctx = data;
	struct aior_wpool *wp = &ctx->wp;

	for (;;) {
		struct aior_work *work;
		bool last = false;

		set_current_state(TASK_INTERRUPTIBLE);
		spin_lock_irq(&wp->lock);
		work = list_first_entry_or_null(&wp->fast, struct aior_work,
						node);
		if (work)
			list_del_init(&work->node);
		else if (wp->dying && test_bit(AIOR_KILL_DONE, &ctx->kill_state) &&
			 !atomic_read(&ctx->inflight))
			last = true;
		spin_unlock_irq(&wp->lock);
		/*
		 * Requests are made only under uring_lock, and after a check
		 * that the ring is alive (aior_submit_sqes()): with the lock
		 * held, no request left means none can come, so no retry is
		 * ever queued for a thread that is gone.
		 */
		if (last) {
			__set_current_state(TASK_RUNNING);
			/* Held by a thread the kill interrupted: look again soon. */
			if (!mutex_trylock(&ctx->uring_lock)) {
				/* Teardown's SIGKILL would end the sleep at once. */
				flush_signals(current);
				schedule_timeout_interruptible(HZ / 100);
				continue;
			}
			spin_lock_irq(&wp->lock);
			if (list_empty(&wp->fast) && !atomic_read(&ctx->inflight))
				wp->async = NULL;
			spin_unlock_irq(&wp->lock);
			mutex_unlock(&ctx->uring_lock);
			if (!wp->async)
				break;
			continue;
		}
		if (!work) {
			/* Also through teardown: wait for the last request. */
			if (signal_pending(current))
				flush_signals(current);
			schedule();
			continue;
		}
		__set_current_state(TASK_RUNNING);
		work->fn(work);
		/* A retry may have punted: workers start here, lock-free. */
		aior_wpool_grow(ctx);
		cond_resched();
	}
	return 0;
}

/* The last request of a dying ring is gone: let the async thread exit. */
void aior_wpool_idle(struct aior_ctx *ctx)
{
	struct aior_wpool *wp = &ctx->wp;
	unsigned long flags;

	spin_lock_irqsave(&wp->lock, flags);
	if (wp->async)
		wake_up_process(wp->async);
	spin_unlock_irqrestore(&wp->lock, flags);
}

/**
 * aior_wpool_grow - start blocking workers for queued work
 *
 * Called without locks after anything that may have punted: the end of
 * ENTER, a round of the SQ thread, an item of the async thread. A ring
 * gets up to max_workers; all but its first count against the user's cap.
 */
void aior_wpool_grow(struct aior_ctx *ctx)
{
	struct aior_wpool *wp = &ctx->wp;

	/* Cheap test first: this runs at the end of every ENTER. */
	if (READ_ONCE(wp->nr_slow) <= READ_ONCE(wp->nr_idle))
		return;
	/* The last start failed: do not retry it on every wakeup. */
	if (time_before(jiffies, READ_ONCE(wp->spawn_retry)))
		return;
	for (;;) {
		bool charge;
		int ret;

		spin_lock_irq(&wp->lock);
		if (wp->dying || wp->nr_slow <= wp->nr_idle ||
		    wp->nr_workers >= wp->max_workers) {
			spin_unlock_irq(&wp->lock);
			return;
		}
		/* Counted as idle until it runs: it will take an item. */
		charge = wp->nr_workers;
		wp->nr_workers++;
		wp->nr_idle++;
		spin_unlock_irq(&wp->lock);

		/* The user's cap, outside wp->lock (taken in interrupts). */
		ret = charge && !aior_user_charge_worker(ctx->user) ? -EAGAIN : 0;
		if (!ret) {
			ret = __aior_thread_spawn(ctx, aior_worker_fn, "w", -1,
						  NULL, charge);
			/* Never ran: the charge is ours to give back. */
			if (ret && charge)
				aior_user_uncharge_worker(ctx->user);
		}

		spin_lock_irq(&wp->lock);
		wp->nr_idle--;
		if (ret)
			wp->nr_workers--;
		spin_unlock_irq(&wp->lock);
		if (ret) {
			/* Past the cap the work waits; other errors back off. */
			if (ret != -EAGAIN)
				WRITE_ONCE(wp->spawn_retry, jiffies + HZ / 10);
			/* Teardown may have found this start still pending. */
			aior_wpool_cancel_orphans(ctx);
			return;
		}
	}
}

/*
 * Once the ring is dying and no worker is left (or none could start: the
 * submitter was being killed, memory, the user's cap), cancel what waits
 * on @slow. Each item sees a dead ring and cancels its requests (their
 * aior_worker_enter() fails). From then on aior_queue_slow() leaves such
 * items to its caller.
 */
static void aior_wpool_cancel_orphans(struct aior_ctx *ctx)
{
	struct aior_wpool *wp = &ctx->wp;
	struct aior_work *work, *tmp;
	LIST_HEAD(orphans);

	spin_lock_irq(&wp->lock);
	if (wp->dying && !wp->nr_workers) {
		list_splice_init(&wp->slow, &orphans);
		wp->nr_slow = 0;
	}
	spin_unlock_irq(&wp->lock);
	list_for_each_entry_safe(work, tmp, &orphans, node) {
		list_del_init(&work->node);
		work->fn(work);
	}
}

void aior_wpool_init(struct aior_ctx *ctx)
{
	struct aior_wpool *wp = &ctx->wp;
	unsigned int i;

	spin_lock_init(&wp->lock);
	INIT_LIST_HEAD(&wp->fast);
	INIT_LIST_HEAD(&wp->slow);
	INIT_LIST_HEAD(&wp->threads);
	init_waitqueue_head(&wp->slow_wait);
	for (i = 0; i < ARRAY_SIZE(ctx->hash); i++) {
		struct aior_hash_bucket *b = &ctx->hash[i];

		spin_lock_init(&b->lock);
		INIT_LIST_HEAD(&b->list);
		aior_work_init(&b->work, aior_hash_work_fn);
		b->running = false;
	}
}

/**
 * aior_wpool_setup - size the ring's pool and start its async thread
 * @max_workers: in: wanted concurrency, 0 for the default; out: in force
 *
 * In SETUP, in the owner. Blocking workers start on demand.
 */
int aior_wpool_setup(struct aior_ctx *ctx, u32 *max_workers)
{
	u32 n = *max_workers;

	if (!n)
		n = min_t(u32, ctx->sq_entries, 2 * num_online_cpus());
	n = clamp_t(u32, n, 1, max_t(u32, READ_ONCE(aior_max_workers_cap), 1));
	ctx->wp.max_workers = n;
	*max_workers = n;
	return aior_thread_spawn(ctx, aior_async_fn, "a", -1, &ctx->wp.async);
}

/**
 * aior_wpool_kill - teardown: no new threads, interrupt the ones there are
 *
 * Each thread gets SIGKILL, which ends any killable or interruptible wait
 * it is in; queued items are then cancelled by the threads that take them
 * (aior_worker_enter() refuses a dead ring), and the threads exit. Waits
 * for nothing.
 */
void aior_wpool_kill(struct aior_ctx *ctx)
{
	struct aior_wpool *wp = &ctx->wp;
	struct task_struct *tasks[AIOR_KILL_BATCH];
	struct aior_thread *t;
	unsigned int i, n;

	spin_lock_irq(&wp->lock);
	wp->dying = true;
	if (wp->async)
		wake_up_process(wp->async);
	spin_unlock_irq(&wp->lock);
	wake_up_all(&wp->slow_wait);
	wake_up_all(&ctx->sq_wait);

	/*
	 * SIGKILL each thread, outside wp->lock: signalling takes the
	 * target's siglock, and a wakeup from under a siglock (a signalfd)
	 * may queue work, which takes wp->lock. A thread leaves the list
	 * under the lock before it exits; the reference keeps it for us.
	 * Threads started from now on see @dying before they do anything.
	 */
	do {
		n = 0;
		spin_lock_irq(&wp->lock);
		list_for_each_entry(t, &wp->threads, node) {
			if (t->killed)
				continue;
			t->killed = true;
			tasks[n++] = get_task_struct(t->task);
			if (n == AIOR_KILL_BATCH)
				break;
		}
		spin_unlock_irq(&wp->lock);
		for (i = 0; i < n; i++) {
			send_sig(SIGKILL, tasks[i], 1);
			put_task_struct(tasks[i]);
		}
	} while (n == AIOR_KILL_BATCH);
	aior_wpool_cancel_orphans(ctx);
}

/* Every ring is gone by now (each holds the module): so is every user. */
void aior_worker_module_exit(void)
{
	WARN_ON_ONCE(!hash_empty(aior_users));
}

/* fdinfo: the pool, and the TIDs of the ring's threads (for /proc/TID). */
void aior_wpool_show(struct seq_file *m, struct aior_ctx *ctx)
{
	struct aior_wpool *wp = &ctx->wp;
	struct aior_thread *t;

	spin_lock_irq(&wp->lock);
	seq_printf(m, "Workers:\t%u\nIdleWorkers:\t%u\nQueuedWork:\t%u\n",
		   wp->nr_workers, wp->nr_idle, wp->nr_slow);
	seq_printf(m, "ThreadCgroup2:\t%s\nThreads:",
		   wp->cgroup2_io_only ? "io-only" : "owner");
	list_for_each_entry(t, &wp->threads, node)
		seq_printf(m, " %d", task_pid_nr(t->task));
	seq_putc(m, '\n');
	spin_unlock_irq(&wp->lock);
}
