// SPDX-License-Identifier: GPL-2.0
/*
 * NOP, READ, WRITE, READV, WRITEV and FSYNC through the VFS.
 *
 * Reads and writes build a kiocb and an iov_iter over the user buffer and
 * call vfs_iocb_iter_read()/vfs_iocb_iter_write(), which do the same
 * checks as read(2)/write(2) (rw_verify_area(), security hooks, fsnotify).
 * Execution is synchronous for now: the kiocb has no ki_complete, so the
 * filesystem finishes the I/O before returning.
 */
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "rw.h"

/* rw_flags aioring understands; others get -EOPNOTSUPP, as preadv2(). */
#define AIOR_RWF_SUPPORTED	(RWF_HIPRI | RWF_DSYNC | RWF_SYNC | \
				 RWF_NOWAIT | RWF_APPEND)

int aior_nop_prep(struct aior_req *req, const struct aioring_sqe *sqe)
{
	if (sqe->addr || sqe->len || sqe->off || sqe->rw_flags)
		return -EINVAL;
	return 0;
}

int aior_nop_issue(struct aior_req *req)
{
	return 0;
}

int aior_rw_prep(struct aior_req *req, const struct aioring_sqe *sqe)
{
	struct aior_rw *rw = &req->rw;

	if (sqe->rw_flags & ~AIOR_RWF_SUPPORTED)
		return -EOPNOTSUPP;
	/* As io_uring: HIPRI needs someone to poll, i.e. a polled ring. */
	if (sqe->rw_flags & RWF_HIPRI)
		return -EINVAL;

	rw->addr = sqe->addr;
	rw->len = sqe->len;
	rw->rw_flags = sqe->rw_flags;
	rw->free_iov = NULL;
	rw->cur_pos = sqe->off == (u64)-1;
	if (rw->cur_pos) {
		rw->pos = 0;
	} else {
		rw->pos = (loff_t)sqe->off;
		if (rw->pos < 0)
			return -EINVAL;
	}
	return 0;
}

void aior_rw_cleanup(struct aior_req *req)
{
	kfree(req->rw.free_iov);
	req->rw.free_iov = NULL;
}

static int aior_rw_import(struct aior_req *req, int dir)
{
	struct aior_rw *rw = &req->rw;
	void __user *buf = u64_to_user_ptr(rw->addr);
	struct iovec *iov = rw->fast_iov;
	ssize_t ret;

	if (req->opcode == AIORING_OP_READ || req->opcode == AIORING_OP_WRITE)
		return aior_import_ubuf(dir, buf, rw->len, iov, &rw->iter);

	/* -EINVAL for more than UIO_MAXIOV vectors, -EFAULT for a bad array */
	ret = import_iovec(dir, buf, rw->len, UIO_FASTIOV, &iov, &rw->iter);
	if (ret < 0)
		return ret;
	rw->free_iov = iov;
	return 0;
}

static int aior_rw_init_kiocb(struct aior_req *req, fmode_t mode)
{
	struct aior_rw *rw = &req->rw;
	struct kiocb *kiocb = &rw->kiocb;
	struct file *file = req->file;

	if (!(file->f_mode & mode))
		return -EBADF;

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
	return 0;
}

static void aior_rw_update_pos(struct aior_req *req, ssize_t ret)
{
	if (req->rw.cur_pos && ret >= 0)
		req->file->f_pos = req->rw.kiocb.ki_pos;
}

int aior_read(struct aior_req *req)
{
	struct aior_rw *rw = &req->rw;
	ssize_t ret;

	ret = aior_rw_init_kiocb(req, FMODE_READ);
	if (ret)
		return ret;
	if (!req->file->f_op->read_iter)
		return -EINVAL;
	ret = aior_rw_import(req, ITER_DEST);
	if (ret)
		return ret;

	ret = vfs_iocb_iter_read(req->file, &rw->kiocb, &rw->iter);
	aior_rw_update_pos(req, ret);
	return ret;
}

int aior_write(struct aior_req *req)
{
	struct aior_rw *rw = &req->rw;
	struct file *file = req->file;
	ssize_t ret;

	ret = aior_rw_init_kiocb(req, FMODE_WRITE);
	if (ret)
		return ret;
	if (!file->f_op->write_iter)
		return -EINVAL;
	ret = aior_rw_import(req, ITER_SOURCE);
	if (ret)
		return ret;

	rw->kiocb.ki_flags |= IOCB_WRITE;
	aior_file_start_write(file);
	ret = vfs_iocb_iter_write(file, &rw->kiocb, &rw->iter);
	aior_file_end_write(file);
	aior_rw_update_pos(req, ret);
	return ret;
}

int aior_fsync_prep(struct aior_req *req, const struct aioring_sqe *sqe)
{
	struct aior_fsync *sync = &req->fsync;

	if (sqe->addr || (sqe->fsync_flags & ~AIORING_FSYNC_DATASYNC))
		return -EINVAL;
	sync->off = (loff_t)sqe->off;
	sync->len = sqe->len;
	sync->flags = sqe->fsync_flags;
	if (sync->off < 0 || sync->off + sync->len < sync->off)
		return -EINVAL;
	return 0;
}

int aior_fsync(struct aior_req *req)
{
	struct aior_fsync *sync = &req->fsync;
	loff_t end = sync->len ? sync->off + sync->len - 1 : LLONG_MAX;

	return vfs_fsync_range(req->file, sync->off, end,
			       sync->flags & AIORING_FSYNC_DATASYNC);
}
