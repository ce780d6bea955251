// SPDX-License-Identifier: GPL-2.0
/*
 * Registered resources: a table of files, for AIORING_SQE_FIXED_FILE and
 * for the SQ thread (which cannot look up fds), and a table of pinned user
 * buffers, for READ_FIXED/WRITE_FIXED.
 *
 * Both tables change only under ctx->uring_lock, which submission also
 * holds, so a request resolves its file or buffer against a stable table.
 * A request then holds its own file reference, or a reference on the
 * whole buffer table, so unregistering never pulls anything from under
 * I/O in flight. Pinned pages are charged to RLIMIT_MEMLOCK like the ring
 * memory, and shown in the process's VmPin (mm->pinned_vm). An aioring fd cannot be registered: a ring holding a reference
 * on itself could never be released.
 */
#include <linux/compat.h>
#include <linux/file.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>

#include "ring.h"
#include "rsrc.h"
#include "teardown.h"

#define AIOR_MAX_BUF_SIZE	(1ULL << 30)

static void aior_files_free(struct aior_ctx *ctx)
	__must_hold(&ctx->uring_lock)
{
	u32 i;

	for (i = 0; i < ctx->nr_files; i++)
		if (ctx->files[i])
			fput(ctx->files[i]);
	kvfree(ctx->files);
	ctx->files = NULL;
	ctx->nr_files = 0;
}

/* Take a reference on the file for @fd, or NULL for -1. */
static int aior_file_for_slot(s32 fd, struct file **filep)
{
	struct file *file;

	*filep = NULL;
	if (fd == -1)
		return 0;
	if (fd < 0)
		return -EBADF;
	file = fget(fd);
	if (!file)
		return -EBADF;
	if (aior_is_ring_file(file)) {
		fput(file);
		return -EBADF;
	}
	*filep = file;
	return 0;
}

static int aior_register_files(struct aior_ctx *ctx, s32 __user *ufds, u32 nr)
	__must_hold(&ctx->uring_lock)
{
	struct file **files;
	int ret = 0;
	u32 i;

	if (ctx->files)
		return -EBUSY;
	if (!nr || nr > AIORING_MAX_REG_FILES)
		return -EINVAL;
	files = kvcalloc(nr, sizeof(*files), GFP_KERNEL_ACCOUNT);
	if (!files)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		s32 fd;

		if (get_user(fd, &ufds[i])) {
			ret = -EFAULT;
			break;
		}
		ret = aior_file_for_slot(fd, &files[i]);
		if (ret)
			break;
	}
	if (ret) {
		while (i--)
			if (files[i])
				fput(files[i]);
		kvfree(files);
		return ret;
	}
	ctx->files = files;
	ctx->nr_files = nr;
	return 0;
}

/* Returns the number of slots updated, or a negative errno if none was. */
static int aior_update_files(struct aior_ctx *ctx, s32 __user *ufds, u32 nr,
			     u32 offset)
	__must_hold(&ctx->uring_lock)
{
	u32 i;

	if (!ctx->files)
		return -ENXIO;
	if (!nr || offset >= ctx->nr_files || nr > ctx->nr_files - offset)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		struct file *file;
		s32 fd;
		int ret;

		ret = get_user(fd, &ufds[i]) ? -EFAULT :
		      aior_file_for_slot(fd, &file);
		if (ret)
			return i ? i : ret;
		if (ctx->files[offset + i])
			fput(ctx->files[offset + i]);
		ctx->files[offset + i] = file;
	}
	return nr;
}

/* Called with uring_lock held; returns a new reference, or NULL. */
struct file *aior_fixed_file_get(struct aior_ctx *ctx, s32 index)
{
	struct file *file;

	lockdep_assert_held(&ctx->uring_lock);
	if (index < 0 || (u32)index >= ctx->nr_files)
		return NULL;
	file = ctx->files[array_index_nospec(index, ctx->nr_files)];
	return file ? get_file(file) : NULL;
}

static void aior_buf_table_free(struct aior_buf_table *tbl)
{
	unsigned int i, j;

	for (i = 0; i < tbl->nr; i++) {
		struct aior_buf *b = &tbl->bufs[i];

		for (j = 0; j < b->nr_bvecs; j++)
			unpin_user_page(b->bvec[j].bv_page);
		kvfree(b->bvec);
		/* A table may hold a million pages: let others run. */
		cond_resched();
	}
	if (tbl->acct_pages)
		aior_unaccount_mem(tbl->user, tbl->acct_pages);
	if (tbl->pinned_pages)
		atomic64_sub(tbl->pinned_pages, &tbl->mm->pinned_vm);
	if (tbl->mm)
		mmdrop(tbl->mm);
	put_cred(tbl->creds);
	kvfree(tbl);
}

static void aior_buf_table_free_work(struct work_struct *work)
{
	aior_buf_table_free(container_of(work, struct aior_buf_table,
					 free_work));
}

/* Drop the ring's reference, where sleeping is allowed (UNREGISTER, teardown). */
void aior_buf_table_put(struct aior_buf_table *tbl)
{
	if (refcount_dec_and_test(&tbl->refs))
		aior_buf_table_free(tbl);
}

/*
 * Drop a request's reference, from any context: the last one may be a
 * request completing from the block layer, in interrupt context or under
 * a lock, where unpinning a large table would stall the CPU and
 * cond_resched() is not allowed. Unpinning is then left to a work item,
 * which module unload drains (aior_teardown_module_exit()).
 */
void aior_buf_table_put_any(struct aior_buf_table *tbl)
{
	if (!refcount_dec_and_test(&tbl->refs))
		return;
	INIT_WORK(&tbl->free_work, aior_buf_table_free_work);
	aior_teardown_queue(&tbl->free_work);
}

/*
 * May [start, start + len) be pinned long-term? Only anonymous memory,
 * shmem (memfd, MAP_SHARED|MAP_ANONYMOUS, SysV shm) and hugetlb, as
 * io_uring allows: a pinned page of an ordinary file's page cache can be
 * written back, truncated or reclaimed under the pin, which file systems
 * do not expect. Newer kernels refuse such pins in GUP itself; 5.10 and
 * 6.1 do not, so this check is made on every kernel, under the mmap lock
 * that the pin is then taken under too, so the VMAs cannot change between
 * the check and the pin.
 */
static int aior_buf_vmas_ok(struct mm_struct *mm, unsigned long start,
			    unsigned long end)
{
	unsigned long addr = start;

	mmap_assert_locked(mm);
	while (addr < end) {
		struct vm_area_struct *vma = find_vma(mm, addr);

		if (!vma || vma->vm_start > addr)
			return -EFAULT;
		if (vma->vm_flags & (VM_IO | VM_PFNMAP))
			return -EFAULT;
		/*
		 * shmem: a regular file of a tmpfs (devtmpfs is one too, and
		 * a device's mapping there is driver memory: refused).
		 */
		if (vma->vm_file && !(vma->vm_flags & VM_HUGETLB) &&
		    (file_inode(vma->vm_file)->i_sb->s_magic != TMPFS_MAGIC ||
		     !S_ISREG(file_inode(vma->vm_file)->i_mode)))
			return -EOPNOTSUPP;
		addr = vma->vm_end;
	}
	return 0;
}

/* Pin one user buffer into @b. */
static int aior_pin_buf(struct aior_buf *b, const struct iovec *iov)
{
	unsigned long start = (unsigned long)iov->iov_base;
	unsigned long end, first, nr, i, off;
	struct mm_struct *mm = current->mm;
	struct page **pages;
	size_t left;
	long ret;

	end = start + iov->iov_len;	/* aior_buf_validate() checked it */
	first = start >> PAGE_SHIFT;
	nr = ((end + PAGE_SIZE - 1) >> PAGE_SHIFT) - first;

	pages = kvmalloc_array(nr, sizeof(*pages), GFP_KERNEL);
	b->bvec = kvmalloc_array(nr, sizeof(*b->bvec), GFP_KERNEL_ACCOUNT);
	if (!pages || !b->bvec) {
		ret = -ENOMEM;
		goto err;
	}
	if (mmap_read_lock_killable(mm)) {
		ret = -EINTR;
		goto err;
	}
	ret = aior_buf_vmas_ok(mm, start, end);
	if (!ret)
		ret = aior_pin_user_pages_locked(start & PAGE_MASK, nr,
						 FOLL_WRITE | FOLL_LONGTERM,
						 pages);
	mmap_read_unlock(mm);
	if (ret != nr) {
		if (ret > 0)
			unpin_user_pages(pages, ret);
		ret = ret < 0 ? ret : -EFAULT;
		goto err;
	}

	off = start & ~PAGE_MASK;
	left = iov->iov_len;
	for (i = 0; i < nr; i++) {
		size_t len = min_t(size_t, left, PAGE_SIZE - off);

		b->bvec[i].bv_page = pages[i];
		b->bvec[i].bv_len = len;
		b->bvec[i].bv_offset = off;
		left -= len;
		off = 0;
	}
	b->nr_bvecs = nr;
	b->ubuf = start;
	b->len = iov->iov_len;
	kvfree(pages);
	return 0;
err:
	kvfree(pages);
	kvfree(b->bvec);
	b->bvec = NULL;
	return ret;
}

/*
 * A buffer that can be pinned at all: -EFAULT for none or for memory that
 * is not the user's (so the page count below cannot wrap), -EINVAL for
 * over 1 GiB, -EOVERFLOW for a range that wraps.
 */
static int aior_buf_validate(const struct iovec *iov)
{
	unsigned long end;

	if (!iov->iov_base || !iov->iov_len)
		return -EFAULT;
	if (iov->iov_len > AIOR_MAX_BUF_SIZE)
		return -EINVAL;
	if (check_add_overflow((unsigned long)iov->iov_base,
			       (unsigned long)iov->iov_len, &end))
		return -EOVERFLOW;
	if (!access_ok(iov->iov_base, iov->iov_len))
		return -EFAULT;
	return 0;
}

/* Pages spanned by a buffer aior_buf_validate() accepted. */
static unsigned long aior_iov_pages(const struct iovec *iov)
{
	unsigned long start = (unsigned long)iov->iov_base;
	unsigned long end = start + iov->iov_len;

	return ((end + PAGE_SIZE - 1) >> PAGE_SHIFT) - (start >> PAGE_SHIFT);
}

/*
 * Copy the caller's iovec array into the kernel, once: the charge and the
 * pins must be computed from the same lengths, or a thread rewriting the
 * array between two reads pins more than it was charged for. A 32-bit
 * caller's array holds struct compat_iovec.
 */
static struct iovec *aior_copy_iovecs(const void __user *uiov, u32 nr)
{
	struct iovec *iov;
	u32 i;

	iov = kvmalloc_array(nr, sizeof(*iov), GFP_KERNEL);
	if (!iov)
		return ERR_PTR(-ENOMEM);
#ifdef CONFIG_COMPAT
	if (in_compat_syscall()) {
		const struct compat_iovec __user *ciov = uiov;

		for (i = 0; i < nr; i++) {
			struct compat_iovec c;

			if (copy_from_user(&c, &ciov[i], sizeof(c))) {
				kvfree(iov);
				return ERR_PTR(-EFAULT);
			}
			iov[i].iov_base = compat_ptr(c.iov_base);
			iov[i].iov_len = c.iov_len;
		}
		return iov;
	}
#endif
	if (copy_from_user(iov, uiov, array_size(nr, sizeof(*iov)))) {
		kvfree(iov);
		return ERR_PTR(-EFAULT);
	}
	return iov;
}

static int aior_register_buffers(struct aior_ctx *ctx, void __user *uiov,
				 u32 nr)
	__must_hold(&ctx->uring_lock)
{
	struct aior_buf_table *tbl;
	unsigned long pages = 0;
	struct iovec *iov;
	int ret = 0;
	u32 i;

	if (ctx->bufs)
		return -EBUSY;
	if (!nr || nr > AIORING_MAX_REG_BUFFERS)
		return -EINVAL;
	iov = aior_copy_iovecs(uiov, nr);
	if (IS_ERR(iov))
		return PTR_ERR(iov);
	ret = -ENOMEM;
	tbl = kvzalloc(struct_size(tbl, bufs, nr), GFP_KERNEL_ACCOUNT);
	if (!tbl)
		goto out;
	refcount_set(&tbl->refs, 1);
	/* The cred holds the user: free_uid() is not exported on 5.10. */
	tbl->creds = get_cred(ctx->creds);
	tbl->user = tbl->creds->user;

	/* Check and charge everything first, so a bad request pins nothing. */
	for (i = 0; i < nr; i++) {
		ret = aior_buf_validate(&iov[i]);
		if (ret)
			goto err;
		pages += aior_iov_pages(&iov[i]);
	}
	if (!capable(CAP_IPC_LOCK)) {
		ret = aior_account_mem(tbl->user, pages);
		if (ret)
			goto err;
		tbl->acct_pages = pages;
	}
	/* Shown as VmPin in /proc/PID/status, as io_uring's pins are. */
	mmgrab(ctx->mm);
	tbl->mm = ctx->mm;
	atomic64_add(pages, &tbl->mm->pinned_vm);
	tbl->pinned_pages = pages;

	for (i = 0; i < nr; i++) {
		ret = aior_pin_buf(&tbl->bufs[i], &iov[i]);
		if (ret)
			goto err;
		tbl->nr = i + 1;
	}
	ctx->bufs = tbl;
	ret = 0;
	goto out;
err:
	aior_buf_table_free(tbl);
out:
	kvfree(iov);
	return ret;
}

/*
 * Point req->rw.iter at [addr, addr + len) of registered buffer
 * sqe->buf_index, taking a reference on the table. Called at prep, under
 * uring_lock.
 */
int aior_import_fixed(struct aior_req *req, int dir)
{
	struct aior_ctx *ctx = req->ctx;
	struct aior_rw *rw = &req->rw;
	struct aior_buf_table *tbl = ctx->bufs;
	struct aior_buf *b;
	u64 end;

	lockdep_assert_held(&ctx->uring_lock);
	if (!tbl || rw->buf_index >= tbl->nr)
		return -EFAULT;
	b = &tbl->bufs[array_index_nospec(rw->buf_index, tbl->nr)];
	if (check_add_overflow(rw->addr, (u64)rw->len, &end))
		return -EFAULT;
	if (rw->addr < b->ubuf || end > b->ubuf + b->len)
		return -EFAULT;

	iov_iter_bvec(&rw->iter, dir, b->bvec, b->nr_bvecs, b->len);
	iov_iter_advance(&rw->iter, rw->addr - b->ubuf);
	iov_iter_truncate(&rw->iter, rw->len);
	refcount_inc(&tbl->refs);
	req->buf_tbl = tbl;
	return 0;
}

long aior_register(struct aior_ctx *ctx, void __user *uarg)
{
	struct aioring_register_args args;
	void __user *arg;
	long ret;

	/* Pairs with the smp_store_release() at the end of setup. */
	if (!smp_load_acquire(&ctx->setup_done))
		return -EBADFD;
	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.resv1 || args.resv[0] || args.resv[1])
		return -EINVAL;
	if (args.offset && args.opcode != AIORING_REGISTER_FILES_UPDATE)
		return -EINVAL;
	arg = u64_to_user_ptr(args.arg);

	if (mutex_lock_killable(&ctx->uring_lock))
		return -EINTR;
	switch (args.opcode) {
	case AIORING_REGISTER_BUFFERS:
		ret = aior_register_buffers(ctx, arg, args.nr);
		break;
	case AIORING_UNREGISTER_BUFFERS:
		ret = -EINVAL;
		if (args.arg || args.nr)
			break;
		ret = -ENXIO;
		if (!ctx->bufs)
			break;
		aior_buf_table_put(ctx->bufs);
		ctx->bufs = NULL;
		ret = 0;
		break;
	case AIORING_REGISTER_FILES:
		ret = aior_register_files(ctx, arg, args.nr);
		break;
	case AIORING_UNREGISTER_FILES:
		ret = -EINVAL;
		if (args.arg || args.nr)
			break;
		ret = -ENXIO;
		if (!ctx->files)
			break;
		aior_files_free(ctx);
		ret = 0;
		break;
	case AIORING_REGISTER_FILES_UPDATE:
		ret = aior_update_files(ctx, arg, args.nr, args.offset);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	mutex_unlock(&ctx->uring_lock);
	return ret;
}

/*
 * At ring teardown (the kill work, and again at free): drop the file table
 * and the buffers. Requests in flight hold their own references.
 */
void aior_rsrc_free_locked(struct aior_ctx *ctx)
	__must_hold(&ctx->uring_lock)
{
	aior_files_free(ctx);
	if (ctx->bufs) {
		aior_buf_table_put(ctx->bufs);
		ctx->bufs = NULL;
	}
}

/* At free: nothing else can hold the lock (no thread, no file is left). */
void aior_rsrc_free(struct aior_ctx *ctx)
{
	mutex_lock(&ctx->uring_lock);	/* uncontended: for __must_hold */
	aior_rsrc_free_locked(ctx);
	mutex_unlock(&ctx->uring_lock);
}
