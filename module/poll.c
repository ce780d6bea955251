// SPDX-License-Identifier: GPL-2.0
/*
 * POLL_ADD and POLL_REMOVE: io_uring's one-shot poll.
 *
 * POLL_ADD arms wait entries on the file's waitqueues through vfs_poll()
 * and a poll_table whose queue proc adds our entries: one per waitqueue
 * the file's ->poll names, up to two (a tty and a FIFO open for reading
 * and writing wait on two; like io_uring's "double poll"; a third
 * completes the poll with -EINVAL, as in io_uring). The CQE's res is the ready mask
 * (requested events plus POLLERR and POLLHUP). The request holds a
 * reference to its file until it completes, so the waitqueues (a pipe's,
 * an eventfd's, a socket's) outlive the entries on them. The exception is
 * a waitqueue that goes away under a live file, announced by a wakeup
 * keyed POLLFREE (binder; signalfd too, but a signalfd is refused, see
 * aior_is_signalfd()): that entry is taken off at once, its
 * head is cleared for good, and the poll completes with -ECANCELED. Users
 * of POLLFREE free the waitqueue only after an RCU grace period, so a head
 * read under rcu_read_lock() may still be locked. A file with no
 * waitqueue at all completes at once with its mask, or with -EINVAL when
 * that mask lacks the requested events (as fs/aio.c and io_uring do).
 *
 * The wakeup callback runs under the waitqueue's lock, in any context. It
 * only filters on the event mask in the wakeup key and queues the poll's
 * work item, holding a request reference for it; the entry stays armed.
 * A key is a hint, not the file's state (a socket names every read event
 * for any datagram), so the work item always asks vfs_poll() what is ready
 * and completes the poll only with that. The work item runs on the
 * ring's async thread (worker.c).
 *
 * Who completes: exactly one of the arming path, the work item,
 * POLL_REMOVE and ring teardown. Each decides under ctx->poll_lock, and
 * the first to set @done owns the completion. Before setting it, the
 * owner takes every entry off its waitqueue, one at a time under that
 * waitqueue's lock. Lock order: ctx->poll_lock, then a waitqueue lock
 * (never two at once); the wakeup callback, which starts under a
 * waitqueue lock, never takes poll_lock. So a request with an entry on a
 * waitqueue is never done, a request is freed only after it is done, and
 * the wakeup callback always finds its request alive. While the arming
 * path is inside vfs_poll(), the work item leaves the verdict to it
 * (@arming, @missed_wake): ->poll may still be adding the second entry.
 *
 * POLL_REMOVE cancels any poll that is not done: only the owner of the
 * completion, deciding under poll_lock, settles one. Ring teardown cancels every pending poll before it waits
 * for request references, so closing a ring never waits for an event.
 *
 * All of this uses interfaces present unchanged on every supported kernel
 * (vfs_poll(), POLLFREE and wake_up_pollfree(), init_waitqueue_func_entry()),
 * so nothing here needs compat.h.
 */
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/kallsyms.h>
#include <linux/magic.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/swab.h>

#include <linux/slab.h>

#include "cq.h"
#include "poll.h"
#include "rsrc.h"
#include "submit.h"
#include "worker.h"

/* aior_poll.work_state */
#define AIOR_POLL_WORK_QUEUED	0	/* the work item is queued */
#define AIOR_POLL_FREED		1	/* POLLFREE took a waitqueue away */

/* Events a POLL_ADD may ask for: poll(2)'s, as userspace numbers them. */
#define AIOR_POLL_USER_EVENTS	(POLLIN | POLLPRI | POLLOUT | POLLERR | \
				 POLLHUP | POLLNVAL | POLLRDNORM | \
				 POLLRDBAND | POLLWRNORM | POLLWRBAND | \
				 POLLMSG | POLLRDHUP)

struct aior_poll_table {
	struct poll_table_struct	pt;
	struct aior_poll		*poll;
	int				error;
};

/* Called with a waitqueue lock or ctx->poll_lock held. */
static void aior_poll_queue_work(struct aior_poll *p)
{
	struct aior_req *req = p->req;

	/*
	 * At most one queued run: the bit is cleared by the work item before
	 * it looks at the file, so a wakeup after that queues it again. The
	 * reference keeps the request for the work item.
	 *
	 * What the caller stored (AIOR_POLL_FREED) must be visible
	 * before the bit is read: against the work item's clear_bit() and
	 * smp_mb__after_atomic() this is store buffering, and a failed
	 * test_and_set_bit() need not order anything (the generic one
	 * returns early after a plain read). With the barrier, either we
	 * see the bit clear and queue, or the work item sees our store.
	 */
	smp_mb__before_atomic();
	if (test_and_set_bit(AIOR_POLL_WORK_QUEUED, &p->work_state))
		return;
	refcount_inc(&req->refs);
	aior_queue_fast(req->ctx, &p->work);
}

static int aior_poll_wake(struct wait_queue_entry *wait, unsigned int mode,
			  int sync, void *key)
{
	struct aior_poll_entry *e = container_of(wait, struct aior_poll_entry,
						 wait);
	struct aior_poll *p = wait->private;
	__poll_t mask = key_to_poll(key);

	if (unlikely(mask & POLLFREE)) {
		/*
		 * The waitqueue is about to be freed: leave it now and never
		 * touch it again. Mark the poll first, so that a work item
		 * already queued, or running on another CPU, cannot miss it
		 * and leave the poll armed with this entry gone (as io_uring's
		 * io_pollfree_wake()). Clearing the head is the last step;
		 * the work item queued first holds the request.
		 */
		set_bit(AIOR_POLL_FREED, &p->work_state);
		list_del_init(&wait->entry);
		aior_poll_queue_work(p);
		smp_store_release(&e->head, NULL);
		return 1;
	}
	/* Not what we wait for. */
	if (mask && !(mask & p->events))
		return 0;
	/*
	 * A key says what may have happened, not what the file reports: a
	 * socket's sock_def_readable() says EPOLLIN|EPOLLPRI|EPOLLRDNORM|
	 * EPOLLRDBAND for any datagram. The work item asks vfs_poll(); the
	 * entry stays armed until it has.
	 */
	aior_poll_queue_work(p);
	return 1;
}

static void aior_poll_queue_proc(struct file *file,
				 struct wait_queue_head *head,
				 struct poll_table_struct *pt)
{
	struct aior_poll_table *apt = container_of(pt, struct aior_poll_table, pt);
	struct aior_poll *p = apt->poll;
	struct aior_poll_entry *e;
	unsigned int i;

	if (apt->error)
		return;
	/*
	 * Some ->poll name one waitqueue twice: once is enough, whichever
	 * entry has it (io_uring ignores a repeat of either head too).
	 */
	for (i = 0; i < p->nr_heads; i++)
		if (READ_ONCE(p->e[i].head) == head)
			return;
	if (unlikely(p->nr_heads == AIOR_POLL_MAX_HEADS)) {
		apt->error = -EINVAL;
		return;
	}
	e = &p->e[p->nr_heads++];
	INIT_LIST_HEAD(&e->wait.entry);
	init_waitqueue_func_entry(&e->wait, aior_poll_wake);
	e->wait.private = p;
	WRITE_ONCE(e->head, head);
	add_wait_queue(head, &e->wait);
}

/*
 * Has POLLFREE taken one of our waitqueues away? The work item reads this
 * after clearing its QUEUED bit and a full barrier, and the wakeup sets it
 * before queueing: one of the two sees the other.
 */
static bool aior_poll_freed(struct aior_poll *p)
{
	return test_bit(AIOR_POLL_FREED, &p->work_state);
}

/*
 * Take every entry off its waitqueue, unless POLLFREE already did and
 * cleared its head. A
 * head read as non-NULL within rcu_read_lock() may be locked even if
 * POLLFREE is freeing it; pairs with the smp_store_release()s in
 * aior_poll_wake(). Called with ctx->poll_lock held.
 */
static void aior_poll_detach(struct aior_poll *p)
{
	unsigned int i;

	for (i = 0; i < p->nr_heads; i++) {
		struct aior_poll_entry *e = &p->e[i];
		struct wait_queue_head *head;

		rcu_read_lock();
		head = smp_load_acquire(&e->head);
		if (head) {
			spin_lock(&head->lock);
			list_del_init(&e->wait.entry);
			spin_unlock(&head->lock);
		}
		rcu_read_unlock();
	}
}

/* Own the completion: ctx->poll_lock held. */
static void aior_poll_finish(struct aior_poll *p)
{
	aior_poll_detach(p);
	p->done = true;
	list_del_init(&p->node);
}

/*
 * With ctx->poll_lock held and @p not done: does the poll complete now,
 * given @mask from a vfs_poll() of its file (0 if none was made)? If so,
 * own it and return true with the CQE's result in *@res. If not, it stays
 * armed: any wakeup from here on queues the work item again.
 */
static bool aior_poll_settle(struct aior_poll *p, __poll_t mask, int *res)
{
	if (mask)
		*res = mangle_poll(mask);
	else if (aior_poll_freed(p))
		*res = -ECANCELED;
	else
		return false;
	aior_poll_finish(p);
	return true;
}

/*
 * Cancel @p (ctx->poll_lock held, @p not done). A wakeup does not settle a
 * poll (only a vfs_poll() under poll_lock does), so there is no event in
 * flight to leave alone: cancelling always works.
 */
static int aior_poll_cancel_one(struct aior_poll *p)
{
	aior_poll_finish(p);
	return 0;
}

/*
 * The poll is done, with @res (a ready mask, or -errno), and it is ours:
 * a POLL_ADD posts @res; a request waiting for readiness is issued again,
 * or fails if the poll did.
 */
static void aior_poll_complete(struct aior_poll *p, int res)
{
	if (!p->apoll)
		aior_req_complete(p->req, res);
	else if (res < 0)
		aior_req_done(p->req, res);
	else
		aior_apoll_ready(p->req);
}

/*
 * After a wakeup (or POLLFREE): look at the file if no wakeup said what
 * happened, then complete the poll or leave it armed.
 */
static void aior_poll_work_fn(struct aior_work *work)
{
	struct aior_poll *p = container_of(work, struct aior_poll, work);
	struct aior_req *req = p->req;
	struct aior_ctx *ctx = req->ctx;
	struct file *file = NULL;
	__poll_t mask = 0;
	bool complete = false;
	int res = 0;

	/*
	 * Clear before looking: a wakeup from now on queues us again, so
	 * none is lost between the vfs_poll() below and the verdict. Pairs
	 * with the test_and_set_bit() in aior_poll_queue_work().
	 */
	clear_bit(AIOR_POLL_WORK_QUEUED, &p->work_state);
	smp_mb__after_atomic();

	spin_lock_irq(&ctx->poll_lock);
	if (p->done)
		goto out_unlock;
	if (p->arming) {
		/* aior_poll_add() decides once ->poll has returned. */
		p->missed_wake = true;
		goto out_unlock;
	}
	/*
	 * Look at the file (unless POLLFREE took a waitqueue: then the poll
	 * ends). Take a reference for it: once someone else completes the
	 * poll, the request's own reference may go (aior_req_complete()
	 * parks requests without their file).
	 */
	if (!aior_poll_freed(p))
		file = get_file(req->file);
	spin_unlock_irq(&ctx->poll_lock);

	if (file) {
		struct poll_table_struct pt;

		init_poll_funcptr(&pt, NULL);
		pt._key = p->events;
		mask = vfs_poll(file, &pt) & p->events;
		fput(file);
	}

	spin_lock_irq(&ctx->poll_lock);
	if (!p->done)
		complete = aior_poll_settle(p, mask, &res);
out_unlock:
	spin_unlock_irq(&ctx->poll_lock);

	if (complete)
		aior_poll_complete(p, res);
	/* The reference aior_poll_queue_work() took for us. */
	aior_req_put(req);
}

/*
 * Is @file a signalfd? Its ->poll reports the signals of current, and its
 * wakeups carry no key, so every look at it would be made by a kworker
 * (or the SQ thread) on that thread's own signals: the poll would never
 * complete. Refuse it, as a poll that can never work.
 *
 * signalfd_fops is not exported. An anonymous-inode file named
 * "[signalfd]" is a candidate, and the kernel's symbol table decides:
 * its ->poll must be signalfd_poll (a name proves nothing by itself). The
 * f_op found is kept, so the lookup is made once; racing writers store
 * the same pointer.
 */
static const struct file_operations *aior_signalfd_fops;

static noinline bool aior_poll_is_signalfd_poll(const struct file_operations *fops)
{
	char sym[KSYM_SYMBOL_LEN];

	if (!IS_ENABLED(CONFIG_KALLSYMS))
		return true;	/* no symbols to ask: the name must do */
	sprint_symbol_no_offset(sym, (unsigned long)fops->poll);
	return !strcmp(sym, "signalfd_poll");
}

bool aior_is_signalfd(struct file *file)
{
	const struct file_operations *fops = file->f_op;

	if (fops == READ_ONCE(aior_signalfd_fops))
		return true;
	if (file_inode(file)->i_sb->s_magic != ANON_INODE_FS_MAGIC ||
	    !fops->poll ||
	    strcmp(file->f_path.dentry->d_name.name, "[signalfd]") ||
	    !aior_poll_is_signalfd_poll(fops))
		return false;
	WRITE_ONCE(aior_signalfd_fops, fops);
	return true;
}

int aior_poll_add_prep(struct aior_req *req, const struct aioring_sqe *sqe)
{
	u32 events;

	/* As io_uring: a polled ring completes only what it polls. */
	if (req->ctx->flags & AIORING_SETUP_IOPOLL)
		return -EINVAL;
	/* sqe->len holds io_uring's multishot/update flags: none here. */
	if (sqe->off || sqe->addr || sqe->len || sqe->buf_index)
		return -EINVAL;
	events = sqe->poll32_events;
#ifdef __BIG_ENDIAN
	/* io_uring's layout: the legacy 16-bit field is the low half. */
	events = swahw32(events);
#endif
	if (events & ~(u32)AIOR_POLL_USER_EVENTS)
		return -EINVAL;
	/*
	 * A ring has no ->poll, and a poll request on one (this ring or
	 * another pointing back) would hold its file until the event: never
	 * for a ring. Refuse, as registering a ring is refused.
	 */
	if (aior_is_ring_file(req->file))
		return -EINVAL;
	if (aior_is_signalfd(req->file))
		return -EOPNOTSUPP;
	req->poll.events = demangle_poll((u16)events) | EPOLLERR | EPOLLHUP;
	return 0;
}

/*
 * Arm @p on @file. Returns the result when the poll completes at once, or
 * -EIOCBQUEUED once it waits (or someone else already completed it).
 * p->events is set; the work item was initialised once, and a run of it
 * may still be queued from the poll's last arming (its QUEUED bit is kept,
 * with the request reference it holds).
 */
static int aior_poll_arm(struct aior_poll *p, struct file *file)
{
	struct aior_ctx *ctx = p->req->ctx;
	struct aior_poll_table apt;
	__poll_t mask;
	int res;

	p->nr_heads = 0;
	p->arming = true;
	p->missed_wake = false;
	p->done = false;
	clear_bit(AIOR_POLL_FREED, &p->work_state);
	INIT_LIST_HEAD(&p->node);

	init_poll_funcptr(&apt.pt, aior_poll_queue_proc);
	apt.pt._key = p->events;
	apt.poll = p;
	apt.error = 0;

	/*
	 * Nobody else completes the request while @arming is set (the work
	 * item defers to us, and POLL_REMOVE and teardown cannot find it
	 * yet), so its file reference holds for the whole call.
	 */
	mask = vfs_poll(file, &apt.pt) & p->events;

	spin_lock_irq(&ctx->poll_lock);
	p->arming = false;
	if (!p->nr_heads) {
		/* No waitqueue: the answer now is the answer for ever. */
		p->done = true;
		res = mask ? mangle_poll(mask) : -EINVAL;
	} else if (!mask && (apt.error || ctx->poll_closed)) {
		/* A third waitqueue, or a ring that is going away. */
		aior_poll_finish(p);
		res = apt.error ?: -ECANCELED;
	} else if (!aior_poll_settle(p, mask, &res)) {
		list_add_tail(&p->node, &ctx->poll_list);
		res = -EIOCBQUEUED;
		/* A plain wakeup came while we polled: look again. */
		if (p->missed_wake)
			aior_poll_queue_work(p);
	}
	spin_unlock_irq(&ctx->poll_lock);
	return res;
}

int aior_poll_add(struct aior_req *req, unsigned int issue_flags)
{
	struct aior_poll *p = &req->poll;

	p->req = req;
	p->apoll = false;
	p->work_state = 0;
	aior_work_init(&p->work, aior_poll_work_fn);
	return aior_poll_arm(p, req->file);
}

/**
 * aior_apoll_arm - wait for @req's file to be ready for @events
 *
 * For a read or write on a pollable file that returned -EAGAIN (io_uring's
 * "apoll"): no thread waits; the wakeup has the async thread issue the
 * request again (aior_apoll_ready()). Returns -EIOCBQUEUED once armed, 0
 * when the file is ready now (issue again), or -errno.
 */
int aior_apoll_arm(struct aior_req *req, __poll_t events)
{
	struct aior_poll *p = req->apoll;
	int ret;

	if (!p) {
		p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
		if (!p)
			return -ENOMEM;
		p->req = req;
		p->apoll = true;
		aior_work_init(&p->work, aior_poll_work_fn);
		req->apoll = p;
	}
	/* The async thread issues it again: as the submitter. */
	aior_req_capture_creds(req);
	p->events = events | EPOLLERR | EPOLLHUP;
	ret = aior_poll_arm(p, req->file);
	return ret >= 0 ? 0 : ret;
}

int aior_poll_remove_prep(struct aior_req *req, const struct aioring_sqe *sqe)
{
	if (req->ctx->flags & AIORING_SETUP_IOPOLL)
		return -EINVAL;
	/* sqe->fd is ignored, as by io_uring. */
	if (sqe->off || sqe->len || sqe->poll32_events || sqe->buf_index)
		return -EINVAL;
	req->poll_remove.target = sqe->addr;
	return 0;
}

int aior_poll_remove(struct aior_req *req, unsigned int issue_flags)
{
	struct aior_ctx *ctx = req->ctx;
	struct aior_req *target = NULL;
	struct aior_poll *p;
	int ret = -ENOENT;

	spin_lock_irq(&ctx->poll_lock);
	list_for_each_entry(p, &ctx->poll_list, node) {
		/* A request waiting for readiness is not a POLL_ADD. */
		if (p->apoll || p->req->user_data != req->poll_remove.target)
			continue;
		ret = aior_poll_cancel_one(p);
		if (!ret)
			target = p->req;
		break;
	}
	spin_unlock_irq(&ctx->poll_lock);

	/* Ours now: its CQE goes before the one of this POLL_REMOVE. */
	if (target)
		aior_req_complete(target, -ECANCELED);
	return ret;
}

/* Polls cancel_all takes per hold of poll_lock (interrupts off). */
#define AIOR_POLL_CANCEL_BATCH	64

/*
 * Ring teardown, after the last submitter is gone (or the owner's exit):
 * cancel every pending poll, and make any poll still being armed cancel
 * itself. Up to 32768 polls may be pending, so they go in batches, with
 * poll_lock dropped in between: each cancel locks a waitqueue or two, and
 * interrupts stay off only for a batch. Once poll_closed is set no poll
 * joins the list, so the loop ends.
 */
void aior_poll_cancel_all(struct aior_ctx *ctx)
{
	struct aior_poll *p, *tmp;
	LIST_HEAD(cancelled);
	unsigned int n;

	do {
		n = 0;
		spin_lock_irq(&ctx->poll_lock);
		ctx->poll_closed = true;
		list_for_each_entry_safe(p, tmp, &ctx->poll_list, node) {
			aior_poll_cancel_one(p);
			/* Done now, so nobody else touches node. */
			list_add_tail(&p->node, &cancelled);
			if (++n == AIOR_POLL_CANCEL_BATCH)
				break;
		}
		spin_unlock_irq(&ctx->poll_lock);

		list_for_each_entry_safe(p, tmp, &cancelled, node) {
			list_del_init(&p->node);
			aior_poll_complete(p, -ECANCELED);
		}
		cond_resched();
	} while (n == AIOR_POLL_CANCEL_BATCH);
}
