// SPDX-License-Identifier: GPL-2.0
/*
 * NOP, READ, WRITE, READV, WRITEV and FSYNC through the VFS, without
 * blocking the submitter.
 *
 * Reads and writes build one kiocb and one iov_iter per request and call
 * vfs_iocb_iter_read()/vfs_iocb_iter_write(), which do the checks of
 * read(2)/write(2) (rw_verify_area(), LSM hooks, fsnotify). For regular
 * files and block devices the kiocb is asynchronous (ki_complete set), so
 * O_DIRECT completes from the block layer with no thread waiting.
 *
 * The order of attempts, on a regular file or block device:
 *  1. inline with IOCB_NOWAIT, in ENTER;
 *  2. for a buffered read that would block, and a file that supports async
 *     buffered reads, IOCB_WAITQ: the page cache calls aior_waitq_wake()
 *     when the page it waits for unlocks, and the ring's async thread
 *     re-drives the read from where it stopped. No thread sleeps;
 *  3. otherwise, the ring's worker pool, where blocking is allowed.
 * Pipes, FIFOs, sockets, ttys and other pollable files are tried with
 * IOCB_NOWAIT; on -EAGAIN the request waits for poll readiness (submit.c,
 * poll.c) and is tried again from the ring's async thread, so no thread
 * sleeps in their read or write. One that ignores IOCB_NOWAIT (a pipe on
 * 5.10) waits for readiness first and is then read by a blocking worker.
 * Files that cannot be polled go to a blocking worker, which teardown
 * can interrupt.
 *
 * Partial progress is kept in rw->bytes_done; the iterator is saved before
 * each attempt and restored when an attempt made none.
 */
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "cq.h"
#include "poll.h"
#include "rsrc.h"
#include "rw.h"
#include "worker.h"

/* rw_flags aioring understands; others get -EOPNOTSUPP, as preadv2(). */
#define AIOR_RWF_SUPPORTED	(RWF_HIPRI | RWF_DSYNC | RWF_SYNC | \
				 RWF_NOWAIT | RWF_APPEND)
/* sqe->rw_flags is a plain __u32 in the ABI; the kernel's type is rwf_t. */
#define AIOR_RWF(x)		((__force u32)(x))

/* Module parameter: never use IOCB_WAITQ, so the worker fallback is tested. */
bool aior_no_waitq;

int aior_nop_prep(struct aior_req *req, const struct aioring_sqe *sqe)
{
	if (sqe->addr || sqe->len || sqe->off || sqe->rw_flags ||
	    sqe->buf_index)
		return -EINVAL;
	return 0;
}

int aior_nop_issue(struct aior_req *req, unsigned int issue_flags)
{
	return 0;
}

static int aior_rw_import(struct aior_req *req, int dir);

int aior_rw_prep(struct aior_req *req, const struct aioring_sqe *sqe)
{
	struct aior_rw *rw = &req->rw;
	bool fixed = req->opcode == AIORING_OP_READ_FIXED ||
		     req->opcode == AIORING_OP_WRITE_FIXED;
	bool is_read = req->opcode == AIORING_OP_READ ||
		       req->opcode == AIORING_OP_READV ||
		       req->opcode == AIORING_OP_READ_FIXED;

	if (sqe->rw_flags & ~AIOR_RWF(AIOR_RWF_SUPPORTED))
		return -EOPNOTSUPP;
	/*
	 * A signalfd reads the signals of the task that reads it: one of the
	 * ring's threads, after a wait for readiness. Refused, as POLL_ADD on
	 * one is.
	 */
	if (aior_is_signalfd(req->file))
		return -EOPNOTSUPP;
	/* As io_uring: HIPRI needs someone to poll, i.e. a polled ring. */
	if (sqe->rw_flags & AIOR_RWF(RWF_HIPRI))
		return -EINVAL;

	if (sqe->buf_index && !fixed)
		return -EINVAL;
	rw->buf_index = sqe->buf_index;
	rw->addr = sqe->addr;
	rw->len = sqe->len;
	rw->rw_flags = (__force rwf_t)sqe->rw_flags;
	rw->free_iov = NULL;
	rw->ready = false;
	atomic_set(&rw->issue_state, AIOR_RW_IDLE);
	rw->bytes_done = 0;
	rw->cur_pos = sqe->off == (u64)-1;
	if (rw->cur_pos) {
		rw->pos = 0;
	} else {
		rw->pos = (loff_t)sqe->off;
		if (rw->pos < 0)
			return -EINVAL;
	}
	if (rw->rw_flags & RWF_NOWAIT)
		req->flags |= AIOR_F_USER_NOWAIT;
	/*
	 * A worker has a kernel thread's limits; keep the submitter's for
	 * aior_write(). The SQ thread submits for the owner, whose limit
	 * setup recorded.
	 */
	if (!is_read) {
		if ((req->ctx->flags & AIORING_SETUP_SQTHREAD) &&
		    (current->flags & PF_KTHREAD))
			rw->fsize_limit = req->ctx->sq_fsize_limit;
		else
			rw->fsize_limit = rlimit(RLIMIT_FSIZE);
	}
	/*
	 * Import the buffer description now, in the submitter's context:
	 * the iovec array is copied before ENTER returns (SUBMIT_STABLE),
	 * and with the submitter's compat-ness.
	 */
	if (fixed)
		return aior_import_fixed(req, is_read ? ITER_DEST : ITER_SOURCE);
	return aior_rw_import(req, is_read ? ITER_DEST : ITER_SOURCE);
}

void aior_rw_cleanup(struct aior_req *req)
{
	kfree(req->rw.free_iov);
	req->rw.free_iov = NULL;
}

#ifdef CONFIG_COMPAT
/*
 * A 32-bit owner's iovec array, read in a kernel thread (the SQ thread),
 * where import_iovec() would take it for 64-bit iovecs: in_compat_syscall()
 * is false there. The checks are import_iovec()'s: at most UIO_MAXIOV
 * vectors, no negative length, the total cut at MAX_RW_COUNT.
 */
static ssize_t aior_import_compat_iovec(int dir, const void __user *uvec,
					unsigned int nr, struct iovec **iovp,
					struct iov_iter *iter)
{
	const struct compat_iovec __user *cvec = uvec;
	struct iovec *iov = *iovp;
	size_t total = 0;
	unsigned int i;

	if (nr > UIO_MAXIOV)
		return -EINVAL;
	if (nr > UIO_FASTIOV) {
		iov = kmalloc_array(nr, sizeof(*iov), GFP_KERNEL);
		if (!iov)
			return -ENOMEM;
	}
	for (i = 0; i < nr; i++) {
		struct compat_iovec c;
		compat_ssize_t len;

		if (copy_from_user(&c, &cvec[i], sizeof(c)))
			goto fault;
		len = (compat_ssize_t)c.iov_len;
		if (len < 0) {
			if (iov != *iovp)
				kfree(iov);
			return -EINVAL;
		}
		if (len > MAX_RW_COUNT - total)
			len = MAX_RW_COUNT - total;
		iov[i].iov_base = compat_ptr(c.iov_base);
		iov[i].iov_len = len;
		total += len;
	}
	iov_iter_init(iter, dir, iov, nr, total);
	*iovp = iov == *iovp ? NULL : iov;
	return total;
fault:
	if (iov != *iovp)
		kfree(iov);
	return -EFAULT;
}
#endif

static int aior_rw_import(struct aior_req *req, int dir)
{
	struct aior_rw *rw = &req->rw;
	void __user *buf = u64_to_user_ptr(rw->addr);
	struct iovec *iov = rw->fast_iov;
	ssize_t ret;

	if (req->opcode == AIORING_OP_READ || req->opcode == AIORING_OP_WRITE)
		return aior_import_ubuf(dir, buf, rw->len, iov, &rw->iter);

#ifdef CONFIG_COMPAT
	if (req->ctx->compat && !in_compat_syscall()) {
		ret = aior_import_compat_iovec(dir, buf, rw->len, &iov,
					       &rw->iter);
		if (ret < 0)
			return ret;
		rw->free_iov = iov;
		return 0;
	}
#endif
	/* -EINVAL for more than UIO_MAXIOV vectors, -EFAULT for a bad array */
	ret = import_iovec(dir, buf, rw->len, UIO_FASTIOV, &iov, &rw->iter);
	if (ret < 0)
		return ret;
	rw->free_iov = iov;
	return 0;
}

/* The final result: earlier partial progress counts, as for read(2). */
static int aior_rw_result(struct aior_req *req, ssize_t ret)
{
	struct aior_rw *rw = &req->rw;

	if (rw->bytes_done)
		ret = ret < 0 ? rw->bytes_done : ret + rw->bytes_done;
	if (rw->cur_pos && ret >= 0)
		req->file->f_pos = rw->kiocb.ki_pos;
	return ret;
}

/*
 * A nonblocking attempt that the block layer refused after queueing it
 * (REQ_NOWAIT with no tag free, a device that cannot do NOWAIT): the
 * -EAGAIN is ours, not the user's, unless they asked for RWF_NOWAIT. A
 * polled bio is always REQ_NOWAIT (bio_set_polled()), even when a worker
 * issues it to block: its -EAGAIN is ours too.
 */
static bool aior_rw_should_reissue(struct aior_req *req, long res)
{
	bool nowait = req->rw.kiocb.ki_flags & IOCB_NOWAIT;

	if ((req->flags & AIOR_F_USER_NOWAIT) || aior_ctx_dead(req->ctx))
		return false;
	/*
	 * A queue that cannot take REQ_NOWAIT at all (bio-based: dm, md on
	 * 5.10) fails it with BLK_STS_NOTSUPP: issued blocking, it works.
	 */
	if (res == -EOPNOTSUPP)
		return nowait;
	return res == -EAGAIN && (nowait || (req->flags & AIOR_F_IOPOLL));
}

/*
 * Start over from the iterator as it was before the attempt, in a worker,
 * blocking. Called in any context: the ring's async thread hands it to the
 * pool (aior_retry_work_fn()); the submitter's creds were taken before
 * the attempt (aior_rw_begin()).
 */
static void aior_rw_reissue(struct aior_req *req)
{
	req->rw.iter = req->rw.iter_saved;
	req->flags |= AIOR_F_REISSUE;
	aior_stat_inc(req->ctx, eagain);
	aior_queue_retry(req);
}

static void aior_rw_done(struct kiocb *kiocb, long res)
{
	struct aior_req *req = container_of(kiocb, struct aior_req, rw.kiocb);

	if (kiocb->ki_flags & IOCB_WRITE)
		aior_kiocb_end_write(kiocb);
	if (unlikely(aior_rw_should_reissue(req, res))) {
		aior_rw_reissue(req);
		return;
	}
	aior_stat_inc(req->ctx, completed_async);
	aior_req_done(req, aior_rw_result(req, res));
}

/* ->ki_complete of polled requests: only record; the reaper posts. */
static void aior_iopoll_ki_complete(struct kiocb *kiocb, long res
				    AIOR_KI_COMPLETE_EXTRA_ARG)
{
	struct aior_req *req = container_of(kiocb, struct aior_req, rw.kiocb);

	WRITE_ONCE(req->iopoll_res, res);
	/* Pairs with smp_load_acquire() in aior_iopoll_reap(). */
	smp_store_release(&req->iopoll_done, 1);
}

/* Post a polled request found done: the reaper, uring_lock held. */
void aior_rw_iopoll_done(struct aior_req *req)
{
	struct kiocb *kiocb = &req->rw.kiocb;
	long res = READ_ONCE(req->iopoll_res);

	if (kiocb->ki_flags & IOCB_WRITE)
		aior_kiocb_end_write(kiocb);
	if (unlikely(aior_rw_should_reissue(req, res))) {
		req->iopoll_done = 0;
		aior_rw_reissue(req);
		return;
	}
	aior_req_done(req, aior_rw_result(req, res));
}

/*
 * ->ki_complete, from the block layer in any context. Called from inside
 * the submitter's ->read_iter/->write_iter (a bio completed, or refused
 * with -EAGAIN, within submit_bio()), the result is left to the submitter:
 * the file system's code up the stack may still revert or re-expand the
 * iterator, whose iovec array the completion would free, or which a
 * reissue would hand to a worker.
 */
static void aior_rw_ki_complete(struct kiocb *kiocb, long res
				AIOR_KI_COMPLETE_EXTRA_ARG)
{
	struct aior_rw *rw = container_of(kiocb, struct aior_rw, kiocb);

	if (atomic_read(&rw->issue_state) == AIOR_RW_ISSUING) {
		rw->inline_res = res;
		/* Full barrier on success: the issuer reads inline_res after. */
		if (atomic_cmpxchg(&rw->issue_state, AIOR_RW_ISSUING,
				   AIOR_RW_DONE_INLINE) == AIOR_RW_ISSUING)
			return;
	}
	aior_rw_done(kiocb, res);
}

static void aior_rw_issue_begin(struct aior_rw *rw)
{
	atomic_set(&rw->issue_state, AIOR_RW_ISSUING);
}

/*
 * After ->read_iter/->write_iter returned -EIOCBQUEUED: did ->ki_complete
 * run inside it? Then its result is ours to finish as a synchronous one:
 * freeze protection dropped, -EAGAIN (or a NOWAIT -EOPNOTSUPP) to be
 * retried, anything else the result. Returns -EIOCBQUEUED if the
 * completion is still to come (or already posted, after the return).
 */
static ssize_t aior_rw_issue_end(struct aior_req *req, ssize_t ret)
{
	struct aior_rw *rw = &req->rw;

	if (ret != -EIOCBQUEUED) {
		atomic_set(&rw->issue_state, AIOR_RW_IDLE);
		return ret;
	}
	if (atomic_xchg(&rw->issue_state, AIOR_RW_IDLE) != AIOR_RW_DONE_INLINE)
		return -EIOCBQUEUED;
	if (rw->kiocb.ki_flags & IOCB_WRITE)
		aior_kiocb_end_write(&rw->kiocb);
	if (aior_rw_should_reissue(req, rw->inline_res))
		return -EAGAIN;
	aior_stat_inc(req->ctx, completed_async);
	return rw->inline_res;
}

/* Set up the kiocb and iterator once; later attempts reuse them. */
static int aior_rw_setup(struct aior_req *req, fmode_t mode)
{
	struct aior_rw *rw = &req->rw;
	struct kiocb *kiocb = &rw->kiocb;
	struct file *file = req->file;

	if (rw->ready)
		return 0;
	if (!(file->f_mode & mode))
		return -EBADF;
	if (mode == FMODE_READ ? !file->f_op->read_iter :
				 !file->f_op->write_iter)
		return -EINVAL;

	init_sync_kiocb(kiocb, file);
	kiocb->ki_pos = rw->cur_pos ? file->f_pos : rw->pos;
	if (rw->rw_flags & RWF_NOWAIT) {
		if (!(file->f_mode & FMODE_NOWAIT))
			return -EOPNOTSUPP;
		kiocb->ki_flags |= IOCB_NOWAIT;
	}
	if (rw->rw_flags & RWF_DSYNC)
		kiocb->ki_flags |= IOCB_DSYNC;
	if (rw->rw_flags & RWF_SYNC)
		kiocb->ki_flags |= IOCB_DSYNC | IOCB_SYNC;
	if (rw->rw_flags & RWF_APPEND)
		kiocb->ki_flags |= IOCB_APPEND;
	if (mode == FMODE_WRITE)
		kiocb->ki_flags |= IOCB_WRITE;
	if (aior_file_async_ok(file))
		kiocb->ki_complete = aior_rw_ki_complete;
	if (req->ctx->flags & AIORING_SETUP_IOPOLL) {
		/* Polled I/O is O_DIRECT on a file that can be polled. */
		if (!(kiocb->ki_flags & IOCB_DIRECT) || !file->f_op->iopoll)
			return -EOPNOTSUPP;
		kiocb->ki_flags |= IOCB_HIPRI;
		kiocb->ki_complete = aior_iopoll_ki_complete;
		req->iopoll_done = 0;
		req->flags |= AIOR_F_IOPOLL;
	}
	rw->ready = true;
	return 0;
}

/*
 * Prepare the attempt: nonblocking ones carry IOCB_NOWAIT, blocking ones
 * drop it unless userspace asked for RWF_NOWAIT. Returns false when a
 * nonblocking attempt is pointless because the file cannot honour NOWAIT.
 */
static bool aior_rw_begin(struct aior_req *req, unsigned int issue_flags)
{
	struct kiocb *kiocb = &req->rw.kiocb;

	kiocb->ki_flags &= ~IOCB_WAITQ;
	req->rw.iter_saved = req->rw.iter;
	if (req->flags & AIOR_F_USER_NOWAIT)
		return true;
	/*
	 * Polled I/O is tried without blocking too: a submitter that blocked
	 * in the file system (ext4 waiting, for an unaligned write, on the
	 * ring's own polled reads that only this thread reaps) would wait for
	 * the device's I/O timeout. -EAGAIN sends it to a worker.
	 */
	if (req->flags & AIOR_F_IOPOLL) {
		if (!(issue_flags & AIOR_ISSUE_NONBLOCK)) {
			/*
			 * In a worker: issued unpolled, completing by interrupt
			 * like any O_DIRECT. A polled bio is always REQ_NOWAIT,
			 * so it could not wait for a tag, and a kernel thread
			 * would have to spin on ->iopoll for it.
			 */
			kiocb->ki_flags &= ~(IOCB_NOWAIT | IOCB_HIPRI);
			kiocb->ki_complete = aior_rw_ki_complete;
			req->flags &= ~AIOR_F_IOPOLL;
		} else if (req->file->f_mode & FMODE_NOWAIT) {
			kiocb->ki_flags |= IOCB_NOWAIT;
			aior_req_capture_creds(req);
		} else {
			kiocb->ki_flags &= ~IOCB_NOWAIT;
		}
		return true;
	}
	if ((issue_flags & AIOR_ISSUE_NONBLOCK) &&
	    aior_file_async_ok(req->file)) {
		if (!(req->file->f_mode & FMODE_NOWAIT))
			return false;
		/* Without async buffered write support NOWAIT is -EINVAL. */
		if ((kiocb->ki_flags & IOCB_WRITE) &&
		    !(kiocb->ki_flags & IOCB_DIRECT) &&
		    !aior_file_buf_wasync(req->file))
			return false;
		kiocb->ki_flags |= IOCB_NOWAIT;
		/*
		 * O_DIRECT may still come back -EAGAIN through ->ki_complete,
		 * in interrupt context: the worker that reissues it needs the
		 * submitter's creds, taken now.
		 */
		if (kiocb->ki_flags & IOCB_DIRECT)
			aior_req_capture_creds(req);
	} else if (issue_flags & AIOR_ISSUE_NONBLOCK) {
		/*
		 * A pipe or socket: -EAGAIN, then wait for poll (submit.c). A
		 * file opened O_NONBLOCK never blocks; one that ignores
		 * IOCB_NOWAIT is not tried here at all.
		 */
		if (req->file->f_flags & O_NONBLOCK)
			kiocb->ki_flags &= ~IOCB_NOWAIT;
		else if (aior_file_nowait(req->file))
			kiocb->ki_flags |= IOCB_NOWAIT;
		else
			return false;
	} else {
		kiocb->ki_flags &= ~IOCB_NOWAIT;
	}
	return true;
}

/*
 * Count @done bytes of a short attempt and go on right after them. The
 * iterator is taken from before the attempt and advanced, not trusted as
 * the file left it: some ->write_iter (iomap, block devices) revert or
 * re-expand it around a short result, and the rest would be written twice.
 */
static void aior_rw_advance(struct aior_rw *rw, ssize_t done)
{
	rw->iter = rw->iter_saved;
	iov_iter_advance(&rw->iter, done);
	rw->bytes_done += done;
}

/*
 * After a nonblocking attempt: true if the request should try again
 * without blocking the submitter (WAITQ or a worker), with any partial
 * progress recorded.
 */
static bool aior_rw_would_block(struct aior_req *req, ssize_t ret,
				unsigned int issue_flags)
{
	struct aior_rw *rw = &req->rw;

	if (!(issue_flags & AIOR_ISSUE_NONBLOCK) ||
	    (req->flags & AIOR_F_USER_NOWAIT))
		return false;
	if (req->flags & AIOR_F_IOPOLL) {
		/* Punted as it was: the attempt may have advanced the iterator. */
		if (ret == -EAGAIN)
			rw->iter = rw->iter_saved;
		return false;
	}
	if (!aior_file_async_ok(req->file)) {
		/*
		 * A pollable file: a short read is the answer, as for read(2);
		 * a short write goes on once there is room again.
		 */
		if (ret == -EAGAIN) {
			rw->iter = rw->iter_saved;
			return true;
		}
		if (ret > 0 && (rw->kiocb.ki_flags & IOCB_WRITE) &&
		    iov_iter_count(&rw->iter) &&
		    !(req->file->f_flags & O_NONBLOCK)) {
			aior_rw_advance(rw, ret);
			return true;
		}
		return false;
	}
	if (ret == -EAGAIN) {
		rw->iter = rw->iter_saved;
	} else if (ret > 0 && iov_iter_count(&rw->iter) &&
		   (rw->kiocb.ki_flags & IOCB_NOWAIT) &&
		   ((rw->kiocb.ki_flags & IOCB_WRITE) ||
		    !(rw->kiocb.ki_flags & IOCB_DIRECT))) {
		/*
		 * Short, but not finished: a buffered read (of a file or a
		 * block device) whose rest is not cached, or a NOWAIT write
		 * that stopped where it would block (XFS, btrfs). The rest
		 * goes on where this stopped, as write(2) would go on.
		 */
		aior_rw_advance(rw, ret);
	} else {
		return false;
	}
	aior_stat_inc(req->ctx, eagain);
	return true;
}

static bool aior_can_waitq(struct aior_req *req)
{
	struct file *file = req->file;

	return !READ_ONCE(aior_no_waitq) && aior_file_buf_rasync(file) &&
	       S_ISREG(file_inode(file)->i_mode) &&
	       !(req->rw.kiocb.ki_flags & IOCB_DIRECT);
}


/*
 * The page-unlock callback, from folio_unlock() in any context, under the
 * page waitqueue's lock: only match, dequeue and queue the retry.
 */
static int aior_waitq_wake(struct wait_queue_entry *wait, unsigned int mode,
			   int sync, void *key)
{
	struct wait_page_queue *wpq =
		container_of(wait, struct wait_page_queue, wait);
	struct aior_req *req = wait->private;

	if (!aior_wake_page_match(wpq, key))
		return 0;
	list_del_init(&wait->entry);
	/*
	 * The submitter is still inside ->read_iter (the page was unlocked
	 * right after our entry was queued): it reads on by itself, and a
	 * retry now would run the request in two threads at once.
	 */
	if (atomic_read(&req->rw.issue_state) == AIOR_RW_ISSUING &&
	    atomic_cmpxchg(&req->rw.issue_state, AIOR_RW_ISSUING,
			   AIOR_RW_DONE_INLINE) == AIOR_RW_ISSUING)
		return 1;
	aior_stat_inc(req->ctx, waitq_retries);
	aior_queue_retry(req);
	return 1;
}

/*
 * Read with IOCB_WAITQ until done, or until the page cache has queued our
 * callback (-EIOCBQUEUED: from then on the request belongs to the callback
 * and must not be touched; a callback that fires before ->read_iter has
 * returned leaves the next attempt to us, see aior_waitq_wake()). -EAGAIN
 * means WAITQ cannot help: punt.
 */
static int aior_read_waitq(struct aior_req *req)
{
	struct aior_rw *rw = &req->rw;
	struct kiocb *kiocb = &rw->kiocb;
	ssize_t ret;

	aior_req_capture_creds(req);
	for (;;) {
		rw->wpq.wait.func = aior_waitq_wake;
		rw->wpq.wait.private = req;
		rw->wpq.wait.flags = 0;
		INIT_LIST_HEAD(&rw->wpq.wait.entry);
		kiocb->ki_flags &= ~IOCB_NOWAIT;
		kiocb->ki_flags |= IOCB_WAITQ;
		aior_kiocb_set_waitq(kiocb, &rw->wpq);
		rw->iter_saved = rw->iter;

		aior_rw_issue_begin(rw);
		ret = vfs_iocb_iter_read(req->file, kiocb, &rw->iter);
		if (ret == -EIOCBQUEUED) {
			/* Ours from here, unless the page came back meanwhile. */
			if (atomic_xchg(&rw->issue_state, AIOR_RW_IDLE) !=
			    AIOR_RW_DONE_INLINE)
				return ret;
			rw->iter = rw->iter_saved;
			continue;
		}
		atomic_set(&rw->issue_state, AIOR_RW_IDLE);
		kiocb->ki_flags &= ~IOCB_WAITQ;
		if (ret == -EAGAIN) {
			rw->iter = rw->iter_saved;
			return ret;
		}
		if (ret > 0 && iov_iter_count(&rw->iter)) {
			/* Partial: continue where it stopped. */
			aior_rw_advance(rw, ret);
			continue;
		}
		return aior_rw_result(req, ret);
	}
}

int aior_read(struct aior_req *req, unsigned int issue_flags)
{
	struct aior_rw *rw = &req->rw;
	ssize_t ret;

	ret = aior_rw_setup(req, FMODE_READ);
	if (ret)
		return ret;
	/* Re-driven by the page-unlock callback: continue with WAITQ. */
	if (issue_flags & AIOR_ISSUE_RETRY)
		return aior_read_waitq(req);
	if (!aior_rw_begin(req, issue_flags))
		return -EAGAIN;

	aior_rw_issue_begin(rw);
	ret = aior_rw_issue_end(req, vfs_iocb_iter_read(req->file, &rw->kiocb,
							&rw->iter));
	if (ret == -EIOCBQUEUED)
		return ret;
	if (!aior_rw_would_block(req, ret, issue_flags))
		return aior_rw_result(req, ret);

	if (aior_can_waitq(req))
		return aior_read_waitq(req);
	return -EAGAIN;
}

int aior_write(struct aior_req *req, unsigned int issue_flags)
{
	struct aior_rw *rw = &req->rw;
	struct kiocb *kiocb = &rw->kiocb;
	ssize_t ret;

	ret = aior_rw_setup(req, FMODE_WRITE);
	if (ret)
		return ret;
	if (!aior_rw_begin(req, issue_flags))
		return -EAGAIN;

	/*
	 * In a kernel thread (a worker, the SQ thread) the VFS checks the
	 * thread's RLIMIT_FSIZE, which is none: enforce the submitter's
	 * here, as generic_write_checks() would, without its SIGXFSZ (as
	 * io_uring's workers: the signal would go to the thread). A write
	 * of nothing succeeds anywhere. An append writes at the size of the
	 * file, which may still grow before the write takes the inode lock:
	 * checked against the size now, approximately.
	 */
	if ((current->flags & PF_KTHREAD) &&
	    rw->fsize_limit != RLIM_INFINITY && iov_iter_count(&rw->iter) &&
	    S_ISREG(file_inode(req->file)->i_mode)) {
		loff_t pos = kiocb->ki_flags & IOCB_APPEND ?
			     i_size_read(file_inode(req->file)) : kiocb->ki_pos;

		if (pos >= rw->fsize_limit)
			return -EFBIG;
		iov_iter_truncate(&rw->iter, rw->fsize_limit - pos);
	}

	/*
	 * A NOWAIT write must not sleep in sb_start_write() on a frozen file
	 * system: -EAGAIN, and a worker waits for the thaw.
	 */
	if (!aior_kiocb_start_write(kiocb)) {
		ret = -EAGAIN;
		goto would_block;
	}
	aior_rw_issue_begin(rw);
	ret = vfs_iocb_iter_write(req->file, kiocb, &rw->iter);
	if (ret == -EIOCBQUEUED) {
		/* Completed inside: freeze protection already given back. */
		ret = aior_rw_issue_end(req, ret);
		if (ret == -EIOCBQUEUED)
			return ret;
		goto would_block;
	}
	aior_rw_issue_end(req, ret);
	aior_kiocb_end_write_sync(kiocb);

	/* Some filesystems refuse NOWAIT buffered writes outright. */
	if (ret == -EOPNOTSUPP && (kiocb->ki_flags & IOCB_NOWAIT) &&
	    !(req->flags & AIOR_F_USER_NOWAIT))
		ret = -EAGAIN;
would_block:
	if ((ret == -EAGAIN || (ret > 0 && iov_iter_count(&rw->iter))) &&
	    aior_rw_would_block(req, ret, issue_flags))
		return -EAGAIN;
	return aior_rw_result(req, ret);
}

int aior_fsync_prep(struct aior_req *req, const struct aioring_sqe *sqe)
{
	struct aior_fsync *sync = &req->fsync;

	/* As io_uring: a polled ring takes only what it can poll. */
	if (req->ctx->flags & AIORING_SETUP_IOPOLL)
		return -EINVAL;
	if (sqe->addr || sqe->buf_index ||
	    (sqe->fsync_flags & ~AIORING_FSYNC_DATASYNC))
		return -EINVAL;
	sync->off = (loff_t)sqe->off;
	sync->len = sqe->len;
	sync->flags = sqe->fsync_flags;
	if (sync->off < 0 || sync->off + sync->len < sync->off)
		return -EINVAL;
	return 0;
}

int aior_fsync(struct aior_req *req, unsigned int issue_flags)
{
	struct aior_fsync *sync = &req->fsync;
	loff_t end = sync->len ? sync->off + sync->len - 1 : LLONG_MAX;

	/* fsync always may block: a worker does it. */
	if ((issue_flags & AIOR_ISSUE_NONBLOCK) &&
	    aior_file_async_ok(req->file))
		return -EAGAIN;
	return vfs_fsync_range(req->file, sync->off, end,
			       sync->flags & AIORING_FSYNC_DATASYNC);
}
