/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The two objects everything else works on: the ring context (one per
 * open file of /dev/aioring) and the request (one per consumed SQE).
 */
#ifndef AIOR_CORE_H
#define AIOR_CORE_H

#include <linux/bvec.h>
#include <linux/cache.h>
#include <linux/completion.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/refcount.h>
#include <linux/sched/user.h>
#include <linux/spinlock.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "aioring.h"

struct aior_user;

/*
 * Kernel view of the SQ ring mapping. head and tail sit on their own cache
 * lines because userspace writes one and the module the other; the index
 * array follows the struct.
 */
struct aior_sq_ring {
	u32 head ____cacheline_aligned_in_smp;
	u32 tail ____cacheline_aligned_in_smp;
	u32 ring_mask;
	u32 ring_entries;
	u32 flags;		/* AIORING_SQ_*, written under completion_lock */
	u32 dropped;
};

/* Kernel view of the CQ ring mapping; the CQE array follows the struct. */
struct aior_cq_ring {
	u32 head ____cacheline_aligned_in_smp;
	u32 tail ____cacheline_aligned_in_smp;
	u32 ring_mask;
	u32 ring_entries;
	u32 overflow;
	u32 flags;
};

/* Kernel side of struct aioring_stats. */
struct aior_stats {
	atomic64_t	submitted;
	atomic64_t	completed_inline;
	atomic64_t	completed_waitq;
	atomic64_t	waitq_retries;
	atomic64_t	punted;
	atomic64_t	eagain;
	atomic64_t	completed_async;
	atomic64_t	cq_overflow;
	atomic64_t	sq_thread_wakeups;
	atomic64_t	iopoll_reaped;
	atomic64_t	enter_calls;
};

/* A registered buffer: its pinned pages as a bio_vec array. */
struct aior_buf {
	u64			ubuf;		/* user address it was registered at */
	u64			len;
	unsigned int		nr_bvecs;
	struct bio_vec		*bvec;
};

/*
 * The registered buffers, as one refcounted table: requests using a buffer
 * hold the table, so unregistering never pulls pages from under I/O.
 */
struct aior_buf_table {
	refcount_t		refs;
	unsigned int		nr;
	unsigned long		acct_pages;	/* charged to user->locked_vm */
	unsigned long		pinned_pages;	/* charged to mm->pinned_vm */
	struct user_struct	*user;		/* creds->user */
	const struct cred	*creds;		/* get_cred()ed */
	struct mm_struct	*mm;		/* mmgrab()ed */
	/* The last put may come from IRQ context: unpinning is deferred. */
	struct work_struct	free_work;
	struct aior_buf		bufs[];
};

#define aior_stat_inc(ctx, field)	atomic64_inc(&(ctx)->stats.field)

/*
 * An item for one of the ring's own threads (worker.c): queued on a list
 * of the ring's pool, run once by the thread that takes it off. Queued
 * at most once at a time (an item on a list is not added again).
 */
struct aior_work {
	struct list_head	node;		/* on a pool list; wp.lock */
	void			(*fn)(struct aior_work *work);
};

/*
 * The threads that work for one ring and what they work on; see the
 * design note in worker.c.
 */
struct aior_wpool {
	/* Protects everything below; taken with interrupts off. */
	spinlock_t		lock;
	struct list_head	fast;		/* never wait for I/O: retries, wakeups */
	struct list_head	slow;		/* may block: punted requests */
	unsigned int		nr_slow;	/* items on @slow */
	struct list_head	threads;	/* of aior_thread, all kinds */
	struct task_struct	*async;		/* the thread serving @fast */
	unsigned int		nr_workers;	/* blocking workers alive or starting */
	unsigned int		nr_idle;	/* of those, waiting for work */
	unsigned int		max_workers;	/* this ring's bound on nr_workers */
	bool			dying;		/* teardown began: no new threads */
	wait_queue_head_t	slow_wait;	/* idle blocking workers, exclusive */
	bool			cgroup2_io_only; /* v2 attach not available (5.10) */
	unsigned long		spawn_retry;	/* jiffies: after a failed start */
};

/*
 * Buffered writes to one inode are serialised through one bucket, so that
 * workers do not pile up on its i_rwsem (io_uring's hashed work).
 */
#define AIOR_HASH_BITS	5
struct aior_hash_bucket {
	spinlock_t		lock;		/* protects running and list */
	bool			running;	/* a worker drains @list */
	struct list_head	list;		/* of aior_req.hash_node */
	struct aior_work	work;
};

struct aior_ctx {
	/* Fixed once setup_done is set; read without locks after that. */
	struct aior_sq_ring	*sq_ring;
	u32			*sq_array;
	struct aioring_sqe	*sqes;
	struct aior_cq_ring	*cq_ring;
	struct aioring_cqe	*cqes;
	size_t			sq_ring_size;
	size_t			sqes_size;
	size_t			cq_ring_size;
	u32			sq_entries;
	u32			cq_entries;
	u32			flags;
	unsigned long		acct_pages;	/* charged to user->locked_vm */
	bool			setup_done;	/* store-release after setup */
	/* Set up by a 32-bit task: its iovecs are struct compat_iovec. */
	bool			compat;

	/* The ring's owner, taken at open. */
	struct mm_struct	*mm;		/* mmgrab()ed; ENTER must come from it */
	/* Holds creds->user, which ring memory is charged to. */
	const struct cred	*creds;
	/* The opener's thread group: threads join its cgroups; its exit kills. */
	struct pid		*owner_tgid;
	struct task_struct	*owner;		/* its leader, get_task_struct()ed */
	struct aior_user	*user;		/* per-user caps (worker.c) */
	struct mem_cgroup	*memcg;		/* the owner's, for the threads */
	/* Teardown trigger (teardown.c): the owner's thread group exits. */
	struct wait_queue_entry	exit_wait;	/* on owner_tgid->wait_pidfd */
	bool			exit_wait_armed;
	unsigned long		kill_state;	/* AIOR_KILL_* bits */
	struct work_struct	kill_work;	/* on aior_teardown_wq */
	struct delayed_work	kill_retry;	/* uring_lock was busy; same */
	struct work_struct	exit_work;	/* checks an owner exit; same */
	struct work_struct	free_work;	/* on aior_teardown_wq */

	/*
	 * Serialises setup and submission: protects cached_sq_head and the
	 * consumption of the SQ ring.
	 */
	struct mutex		uring_lock;
	u32			cached_sq_head;

	/*
	 * Protects the CQ tail, the overflow list and the SQ ring flags.
	 * Taken with interrupts off: completions may be posted from any
	 * context.
	 */
	spinlock_t		completion_lock;
	u32			cached_cq_tail;
	struct list_head	overflow_list;
	bool			dying;		/* no reader left: drop CQEs */

	/* The ring's threads and their queues (worker.c). */
	struct aior_wpool	wp;
	struct aior_hash_bucket	hash[1 << AIOR_HASH_BITS];
	/* Requests consumed but not completed; bounded by cq_entries. */
	atomic_t		inflight;

	/*
	 * Freed requests, kept for reuse: completions push from any context
	 * onto req_free; submission (under uring_lock) takes them all at once
	 * into req_cache. Bounded by the most requests ever in flight.
	 */
	struct llist_head	req_free;
	struct llist_node	*req_cache;

	/* Registered resources; protected by uring_lock. */
	struct file		**files;
	u32			nr_files;
	struct aior_buf_table	*bufs;

	/*
	 * IOPOLL: requests whose completion is found by polling their file;
	 * protected by uring_lock.
	 */
	struct list_head	iopoll_list;

	/*
	 * Pending POLL_ADD requests, oldest first, for POLL_REMOVE and ring
	 * teardown. poll_lock protects poll_list, poll_closed and every
	 * request's aior_poll.done and .node; it nests outside the lock of
	 * a polled waitqueue (see poll.c). Taken with interrupts off.
	 */
	spinlock_t		poll_lock;
	struct list_head	poll_list;
	bool			poll_closed;	/* teardown ran: arm no more */

	/* SQ thread: one of wp.threads; NULL once it exited */
	struct task_struct	*sq_thread;	/* wp.lock */
	int			sq_cpu;		/* SQ_AFF: its CPU, else -1 */
	bool			sq_room_wait;	/* it sleeps until a request ends */
	wait_queue_head_t	sq_wait;
	unsigned long		sq_idle;	/* jiffies */
	const struct cred	*sq_creds;
	unsigned long		sq_fsize_limit;	/* owner's RLIMIT_FSIZE at setup */

	struct aior_stats	stats;

	/* Tasks waiting in ENTER for CQEs. */
	wait_queue_head_t	cq_wait;

	/*
	 * One reference for the open file, one per live request, one per
	 * thread of the ring and one for a queued kill; the last put frees
	 * the ring from a work item (teardown.c). Nothing waits for it.
	 */
	refcount_t		refs;
};

/* aior_ctx.kill_state */
enum {
	AIOR_KILL_QUEUED,	/* aior_ctx_kill() ran: the ring is dead */
	AIOR_KILL_DONE,		/* the kill work finished */
};

/* Read/write state: the kiocb and the iterator over the user buffer. */
enum {
	AIOR_RW_IDLE,
	AIOR_RW_ISSUING,	/* the submitter is in ->read_iter/->write_iter */
	AIOR_RW_DONE_INLINE,	/* ->ki_complete ran in there: inline_res */
};

struct aior_rw {
	struct kiocb		kiocb;
	u64			addr;
	u32			len;
	rwf_t			rw_flags;
	u16			buf_index;	/* READ_FIXED/WRITE_FIXED */
	loff_t			pos;
	bool			cur_pos;	/* sqe->off == -1 */
	struct iov_iter		iter;
	struct iov_iter		iter_saved;	/* before the current attempt */
	bool			ready;		/* kiocb and iter are set up */
	u32			bytes_done;	/* by earlier partial attempts */
	unsigned long		fsize_limit;	/* submitter's RLIMIT_FSIZE (or owner's) */
	struct wait_page_queue	wpq;		/* IOCB_WAITQ page-unlock callback */
	/*
	 * AIOR_RW_ISSUING while the submitter is inside ->read_iter or
	 * ->write_iter: a ->ki_complete called from in there (a block
	 * device completes a bio inline, an -EAGAIN included) leaves its
	 * result in @inline_res for the submitter, which still uses the
	 * iterator and the iovec array (rw.c).
	 */
	atomic_t		issue_state;
	long			inline_res;
	struct iovec		*free_iov;	/* from import_iovec(), or NULL */
	struct iovec		fast_iov[UIO_FASTIOV];
};

struct aior_fsync {
	loff_t			off;
	loff_t			len;
	u32			flags;
};

/* One waitqueue a poll waits on. */
struct aior_poll_entry {
	struct wait_queue_head	*head;		/* NULL once a wakeup took us off; RCU */
	struct wait_queue_entry	wait;		/* under head->lock */
};

/* A file's ->poll may wait on this many waitqueues (a tty: two). */
#define AIOR_POLL_MAX_HEADS	2

/*
 * A one-shot poll (POLL_ADD). Its wait entries sit on the file's
 * waitqueues from arming until the poll is done; see poll.c for who may
 * take them off and when.
 */
struct aior_poll {
	struct aior_req		*req;		/* whose poll this is */
	bool			apoll;		/* a read/write waiting for readiness */
	struct aior_poll_entry	e[AIOR_POLL_MAX_HEADS];
	u8			nr_heads;	/* set while arming */
	bool			arming;		/* ctx->poll_lock */
	bool			missed_wake;	/* during arming; ctx->poll_lock */
	bool			done;		/* completion claimed; ctx->poll_lock */
	__poll_t		events;		/* requested | POLLERR | POLLHUP */
	unsigned long		work_state;	/* AIOR_POLL_WORK_QUEUED, _FREED */
	struct list_head	node;		/* on ctx->poll_list; ctx->poll_lock */
	struct aior_work	work;		/* settles the poll after a wakeup */
};

/* POLL_REMOVE: the user_data of the poll to cancel. */
struct aior_poll_remove {
	u64			target;
};

/* aior_req.flags */
enum {
	AIOR_F_USER_NOWAIT	= 1 << 0,	/* RWF_NOWAIT: -EAGAIN is the result */
	AIOR_F_FORCE_ASYNC	= 1 << 1,	/* SQWQ mode or AIORING_SQE_ASYNC */
	AIOR_F_IOPOLL		= 1 << 3,	/* on ctx->iopoll_list */
	/* -EAGAIN came through ->ki_complete: a worker issues it again. */
	AIOR_F_REISSUE		= 1 << 4,
};

/* How a request is being issued: the issue() flags. */
enum {
	AIOR_ISSUE_NONBLOCK	= 1 << 0,	/* inline in ENTER: never block */
	AIOR_ISSUE_WORKER	= 1 << 1,	/* in a pool worker: may block */
	AIOR_ISSUE_RETRY	= 1 << 2,	/* WAITQ retry from the callback */
};

struct aior_op_def;

struct aior_req {
	struct aior_ctx		*ctx;
	struct file		*file;
	const struct cred	*creds;		/* submitter's, for workers */
	const struct aior_op_def *def;
	u64			user_data;
	s32			res;
	u8			opcode;
	u8			flags;		/* AIOR_F_* */
	/*
	 * One reference for the completion, plus one held by whoever is
	 * issuing the request: an issuer may still be inside the VFS when
	 * the completion (ki_complete, a page callback) has already fired.
	 */
	refcount_t		refs;
	/* On ctx->overflow_list while its CQE waits for CQ ring space. */
	struct list_head	list;
	/* On ctx->req_free / req_cache once freed. */
	struct llist_node	free_node;
	/* On a hash bucket's list while a serialised write waits. */
	struct list_head	hash_node;
	/* Registered buffer table this request's I/O uses, or NULL. */
	struct aior_buf_table	*buf_tbl;
	/* IOPOLL: on ctx->iopoll_list; done/result set by ->ki_complete. */
	struct list_head	iopoll_node;
	int			iopoll_done;
	long			iopoll_res;
	/* A read or write waiting for its pollable file, or NULL (poll.c). */
	struct aior_poll	*apoll;
	/* Worker pool item, and WAITQ retry item. */
	struct aior_work	work;
	struct aior_work	retry_work;
	union {
		struct aior_rw		rw;
		struct aior_fsync	fsync;
		struct aior_poll	poll;
		struct aior_poll_remove	poll_remove;
	};
};

/*
 * Files whose I/O finishes in bounded time, and which may therefore wait
 * in a worker or a page callback: regular files and block devices.
 */
static inline bool aior_file_async_ok(struct file *file)
{
	umode_t mode = file_inode(file)->i_mode;

	return S_ISREG(mode) || S_ISBLK(mode);
}

/*
 * Files whose reads and writes wait for poll readiness instead of a
 * thread blocked in them: pipes, FIFOs, sockets, ttys, any file with a
 * ->poll that is not a regular file or block device.
 */
static inline bool aior_file_pollable(struct file *file)
{
	return file->f_op->poll && !aior_file_async_ok(file);
}

/*
 * Does @file honour IOCB_NOWAIT? Sockets always have (sock_read_iter());
 * others say so with FMODE_NOWAIT. Pipes did not until 5.13: on 5.10 a
 * pipe read waits for readiness and is then made by a blocking worker.
 */
static inline bool aior_file_nowait(struct file *file)
{
	return S_ISSOCK(file_inode(file)->i_mode) ||
	       (file->f_mode & FMODE_NOWAIT);
}

/*
 * The absolute deadline @ns from now. A timeout too long to add (up to
 * U64_MAX ns from userspace) is no timeout at all, not one in the past.
 */
static inline ktime_t aior_deadline(u64 ns)
{
	ktime_t now = ktime_get();

	if (ns >= (u64)(KTIME_MAX - now))
		return KTIME_MAX;
	return ktime_add_ns(now, ns);
}

/*
 * Workers and page callbacks act with the submitter's identity as of
 * submission: capture it when a request leaves the submitter's context
 * (only then: most requests never do). Called in that context, which is
 * the submitter itself, the SQ thread acting as the ring's owner, or a
 * retry that already captured it.
 */
static inline void aior_req_capture_creds(struct aior_req *req)
{
	if (!req->creds)
		req->creds = get_current_cred();
}

static inline void aior_ctx_get(struct aior_ctx *ctx)
{
	refcount_inc(&ctx->refs);
}

void aior_ctx_free_queue(struct aior_ctx *ctx);

/* Callable from any context; the last put frees the ring (teardown.c). */
static inline void aior_ctx_put(struct aior_ctx *ctx)
{
	if (refcount_dec_and_test(&ctx->refs))
		aior_ctx_free_queue(ctx);
}

/* Has teardown begun? Checked by work that should not start any more. */
static inline bool aior_ctx_dead(struct aior_ctx *ctx)
{
	return test_bit(AIOR_KILL_QUEUED, &ctx->kill_state);
}

#endif /* AIOR_CORE_H */
