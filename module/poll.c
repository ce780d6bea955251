// SPDX-License-Identifier: GPL-2.0
/*
 * POLL_ADD and POLL_REMOVE: io_uring's one-shot poll.
 *
 * POLL_ADD arms a wait entry on the file's waitqueue through vfs_poll()
 * and a poll_table whose queue proc adds our entry; the CQE's res is the
 * ready mask (requested events plus POLLERR and POLLHUP). The request
 * holds a reference to its file until it completes, so the waitqueue
 * (a pipe's, an eventfd's, a socket's) outlives the entry on it. The one
 * exception is a waitqueue that goes away under a live file, announced by
 * a wakeup keyed POLLFREE (signalfd, binder): the entry is then taken off
 * at once, @head is cleared for good, and the poll completes with
 * -ECANCELED. Users of POLLFREE free the waitqueue only after an RCU grace
 * period, so reading @head under rcu_read_lock() and locking it is safe.
 *
 * A file that waits on more than one waitqueue per poll (a tty, a FIFO
 * open for reading and writing) completes with -EOPNOTSUPP, as fs/aio.c
 * refuses them (io_uring's "double poll" is not implemented). A file with
 * no waitqueue at all completes at once with its mask, or with -EINVAL
 * when that mask can never contain the requested events.
 *
 * The wakeup callback runs under the waitqueue's lock, in any context. It
 * only filters on the event mask in the wakeup key, takes the entry off
 * the queue when the key says the poll is satisfied (recording the mask
 * in @ready), and queues the poll's work item, holding a request
 * reference for it. A wakeup without a key leaves the entry armed: the
 * work item looks at the file with vfs_poll() and re-checks. The work
 * item runs on the module-wide queue that module exit drains, so it may
 * drop the last reference to the ring without racing rmmod.
 *
 * Who completes: exactly one of the arming path, the work item, POLL_REMOVE
 * and ring teardown. Each decides under ctx->poll_lock, and the first to
 * set @done owns the completion. Before setting it, the owner takes the
 * entry off the waitqueue under the waitqueue's lock (unless a wakeup or
 * POLLFREE already did). Lock order: ctx->poll_lock, then the waitqueue
 * lock; the wakeup callback, which starts under the waitqueue lock, never
 * takes poll_lock. A request whose entry is on a waitqueue is therefore
 * never done, and a request is only freed after it is done: the wakeup
 * callback always finds its request alive.
 *
 * POLL_REMOVE answers -EALREADY for a poll a wakeup has satisfied but whose
 * work item has not posted it yet: the event has happened and its CQE
 * follows. Ring teardown cancels every pending poll before it waits for
 * request references, so closing a ring never waits for an event.
 *
 * All of this uses interfaces present unchanged on every supported kernel
 * (vfs_poll(), POLLFREE and wake_up_pollfree(), init_waitqueue_func_entry()),
 * so nothing here needs compat.h.
 */
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/swab.h>

#include "cq.h"
#include "poll.h"
#include "rsrc.h"
#include "worker.h"

/* aior_poll.work_state */
#define AIOR_POLL_WORK_QUEUED	0

/* Events a POLL_ADD may ask for: poll(2)'s, as userspace numbers them. */
#define AIOR_POLL_USER_EVENTS	(POLLIN | POLLPRI | POLLOUT | POLLERR | \
				 POLLHUP | POLLNVAL | POLLRDNORM | \
				 POLLRDBAND | POLLWRNORM | POLLWRBAND | \
				 POLLMSG | POLLRDHUP)

struct aior_poll_table {
	struct poll_table_struct	pt;
	struct aior_req			*req;
	bool				queued;
	int				error;
};

/* Called with the waitqueue lock held, or in the wakeup callback. */
static void aior_poll_queue_work(struct aior_req *req)
{
	/*
	 * At most one queued run: the bit is cleared by the work item before
	 * it looks at the file, so a wakeup after that queues it again. The
	 * reference keeps the request for the work item.
	 */
	if (test_and_set_bit(AIOR_POLL_WORK_QUEUED, &req->poll.work_state))
		return;
	refcount_inc(&req->refs);
	aior_queue_nonblocking(&req->poll.work);
}

static int aior_poll_wake(struct wait_queue_entry *wait, unsigned int mode,
			  int sync, void *key)
{
	struct aior_req *req = wait->private;
	struct aior_poll *p = &req->poll;
	__poll_t mask = key_to_poll(key);

	if (unlikely(mask & POLLFREE)) {
		/*
		 * The waitqueue is about to be freed: leave it now and never
		 * touch it again. Clearing @head is the last step; the work
		 * item queued first holds the request.
		 */
		list_del_init(&wait->entry);
		aior_poll_queue_work(req);
		smp_store_release(&p->head, NULL);
		return 1;
	}
	/* Not what we wait for. */
	if (mask && !(mask & p->events))
		return 0;
	if (mask) {
		/* Satisfied: leave the queue; the work item posts @ready. */
		list_del_init(&wait->entry);
		WRITE_ONCE(p->ready, mask & p->events);
	}
	/* Without a key we cannot tell: the work item polls the file. */
	aior_poll_queue_work(req);
	return 1;
}

static void aior_poll_queue_proc(struct file *file,
				 struct wait_queue_head *head,
				 struct poll_table_struct *pt)
{
	struct aior_poll_table *apt = container_of(pt, struct aior_poll_table, pt);
	struct aior_poll *p = &apt->req->poll;

	/* One waitqueue per poll; see the top of the file. */
	if (unlikely(apt->queued)) {
		apt->error = -EOPNOTSUPP;
		return;
	}
	apt->queued = true;
	WRITE_ONCE(p->head, head);
	add_wait_queue(head, &p->wait);
}

/* ctx->poll_lock held */
static void aior_poll_mark_done(struct aior_poll *p)
{
	p->done = true;
	list_del_init(&p->node);
}

/*
 * The waitqueue @p was armed on, or NULL once POLLFREE took it away. Call
 * within rcu_read_lock(): a head read as non-NULL may then be locked even
 * if POLLFREE is freeing it, because its users free it only after a grace
 * period. Pairs with the smp_store_release() in aior_poll_wake().
 */
static struct wait_queue_head *aior_poll_head(struct aior_poll *p)
{
	return smp_load_acquire(&p->head);
}

/*
 * With ctx->poll_lock held and @p not done: does the poll complete now,
 * given @mask from a vfs_poll() of its file (0 if none was made)? If so,
 * take it off its waitqueue, mark it done and return true with the CQE's
 * result in *@res.
 */
static bool aior_poll_settle(struct aior_poll *p, __poll_t mask, int *res)
{
	struct wait_queue_head *head;
	bool settle = true;

	/* POLLFREE: report a mask we already have, else cancel. */
	*res = mask ? mangle_poll(mask) : -ECANCELED;
	rcu_read_lock();
	head = aior_poll_head(p);
	if (head) {
		spin_lock(&head->lock);
		if (!list_empty(&p->wait.entry)) {
			if (mask)
				list_del_init(&p->wait.entry);
			else
				settle = false;	/* stay armed */
		} else if (p->ready) {
			/* A wakeup took it off and said what happened. */
			*res = mangle_poll(p->ready);
		}
		/* else POLLFREE came while we took the lock */
		spin_unlock(&head->lock);
	}
	rcu_read_unlock();
	if (settle)
		aior_poll_mark_done(p);
	return settle;
}

/*
 * Cancel @p (ctx->poll_lock held, @p not done): take it off its waitqueue
 * and mark it done. Unless @force, a poll that a wakeup already satisfied
 * is left to post its event and -EALREADY is returned.
 */
static int aior_poll_cancel_one(struct aior_poll *p, bool force)
{
	struct wait_queue_head *head;
	int ret = 0;

	rcu_read_lock();
	head = aior_poll_head(p);
	if (head) {
		spin_lock(&head->lock);
		if (!force && list_empty(&p->wait.entry) && p->ready)
			ret = -EALREADY;
		else
			list_del_init(&p->wait.entry);
		spin_unlock(&head->lock);
	}
	rcu_read_unlock();
	if (!ret)
		aior_poll_mark_done(p);
	return ret;
}

/*
 * After a wakeup (or POLLFREE): look at the file if the wakeup did not say
 * what happened, then complete the poll or leave it armed.
 */
static void aior_poll_work_fn(struct work_struct *work)
{
	struct aior_poll *p = container_of(work, struct aior_poll, work);
	struct aior_req *req = container_of(p, struct aior_req, poll);
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
	/*
	 * Only a plain wakeup needs a look at the file. Take a file
	 * reference for it: once someone else completes the poll, the
	 * request's own reference may go (aior_req_complete() parks
	 * requests without their file).
	 */
	if (!p->done && !READ_ONCE(p->ready) && READ_ONCE(p->head))
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
	spin_unlock_irq(&ctx->poll_lock);

	if (complete)
		aior_req_complete(req, res);
	/* The reference aior_poll_queue_work() took for us. */
	aior_req_put(req);
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
	req->poll.events = demangle_poll((u16)events) | EPOLLERR | EPOLLHUP;
	return 0;
}

/*
 * Arm the poll. Returns the result when the poll completes at once, or
 * -EIOCBQUEUED once it waits (or someone else already completed it).
 */
int aior_poll_add(struct aior_req *req, unsigned int issue_flags)
{
	struct aior_ctx *ctx = req->ctx;
	struct aior_poll *p = &req->poll;
	struct aior_poll_table apt;
	struct file *file;
	__poll_t mask;
	int res;

	p->head = NULL;
	p->ready = 0;
	p->done = false;
	p->work_state = 0;
	INIT_LIST_HEAD(&p->node);
	INIT_WORK(&p->work, aior_poll_work_fn);
	INIT_LIST_HEAD(&p->wait.entry);
	init_waitqueue_func_entry(&p->wait, aior_poll_wake);
	p->wait.private = req;

	init_poll_funcptr(&apt.pt, aior_poll_queue_proc);
	apt.pt._key = p->events;
	apt.req = req;
	apt.queued = false;
	apt.error = 0;

	/*
	 * Once the entry is queued, a wakeup's work item may complete the
	 * request while ->poll still runs, and a parked completion drops the
	 * request's file: poll through a reference of our own.
	 */
	file = get_file(req->file);
	mask = vfs_poll(file, &apt.pt) & p->events;
	fput(file);

	spin_lock_irq(&ctx->poll_lock);
	if (p->done) {
		/* A wakeup's work item completed it meanwhile. */
		res = -EIOCBQUEUED;
	} else if (!apt.queued) {
		/* No waitqueue: the answer now is the answer for ever. */
		p->done = true;
		res = mask ? mangle_poll(mask) : -EINVAL;
	} else if (!mask && (apt.error || ctx->poll_closed)) {
		/* A second waitqueue, or a ring that is going away. */
		aior_poll_cancel_one(p, true);
		res = apt.error ?: -ECANCELED;
	} else if (!aior_poll_settle(p, mask, &res)) {
		list_add_tail(&p->node, &ctx->poll_list);
		res = -EIOCBQUEUED;
	}
	spin_unlock_irq(&ctx->poll_lock);
	return res;
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
	struct aior_req *cur, *target = NULL;
	int ret = -ENOENT;

	spin_lock_irq(&ctx->poll_lock);
	list_for_each_entry(cur, &ctx->poll_list, poll.node) {
		if (cur->user_data != req->poll_remove.target)
			continue;
		ret = aior_poll_cancel_one(&cur->poll, false);
		if (!ret)
			target = cur;
		break;
	}
	spin_unlock_irq(&ctx->poll_lock);

	/* Ours now: its CQE goes before the one of this POLL_REMOVE. */
	if (target)
		aior_req_complete(target, -ECANCELED);
	return ret;
}

/*
 * Ring teardown, after the last submitter is gone: cancel every pending
 * poll, and make any poll still being armed cancel itself.
 */
void aior_poll_cancel_all(struct aior_ctx *ctx)
{
	struct aior_req *req, *tmp;
	LIST_HEAD(cancelled);

	spin_lock_irq(&ctx->poll_lock);
	ctx->poll_closed = true;
	list_for_each_entry_safe(req, tmp, &ctx->poll_list, poll.node) {
		aior_poll_cancel_one(&req->poll, true);
		/* Done now, so nobody else touches node. */
		list_add_tail(&req->poll.node, &cancelled);
	}
	spin_unlock_irq(&ctx->poll_lock);

	list_for_each_entry_safe(req, tmp, &cancelled, poll.node) {
		list_del_init(&req->poll.node);
		aior_req_complete(req, -ECANCELED);
	}
}
