/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences, and nothing else.
 *
 * module/probe.sh greps the target kernel's headers at build time and
 * defines AIOR_HAVE_* for each interface it finds; this file turns those
 * into small wrappers with one name and one signature. It is force-included
 * into every object (see Kbuild), and it is the only place allowed to know
 * that kernels differ. The supported range (5.10 and later) is stated here
 * and, in the same terms, in dkms.conf (BUILD_EXCLUSIVE_KERNEL_MIN and the
 * BUILD_EXCLUSIVE_KERNEL regex older DKMS reads): DKMS then skips older
 * kernels instead of failing to build, and this #error catches any other
 * way of building. Change both together.
 */
#ifndef AIOR_COMPAT_H
#define AIOR_COMPAT_H

/* Every message of the module is prefixed with its name. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/version.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/blkdev.h>
#include <linux/uio.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 0)
#error "aioring supports Linux 5.10 and later (see BUILD_EXCLUSIVE_KERNEL_MIN in dkms.conf)"
#endif

/* 6.3 made vma->vm_flags read-only behind vm_flags_set(). */
static inline void aior_vm_flags_set(struct vm_area_struct *vma,
				     unsigned long flags)
{
#ifdef AIOR_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/* 6.4 renamed the iov_iter directions; the values are READ and WRITE. */
#ifndef AIOR_HAVE_ITER_DEST
#define ITER_DEST	READ
#define ITER_SOURCE	WRITE
#endif

/*
 * A single user buffer as an iov_iter: import_ubuf() from 6.0-ish kernels on,
 * import_single_range() before (and removed after 6.8).
 */
static inline int aior_import_ubuf(int dir, void __user *buf, size_t len,
				   struct iovec *iov, struct iov_iter *iter)
{
#ifdef AIOR_HAVE_IMPORT_UBUF
	return import_ubuf(dir, buf, len, iter);
#else
	return import_single_range(dir, buf, len, iov, iter);
#endif
}


/* ki_complete lost its res2 argument in 5.16. */
#ifdef AIOR_HAVE_KI_COMPLETE_2ARG
#define AIOR_KI_COMPLETE_EXTRA_ARG
#else
#define AIOR_KI_COMPLETE_EXTRA_ARG	, long res2
#endif

/*
 * Freeze protection for writes whose completion may come from another
 * context, as fs/aio.c and io_uring do it: take it at submission, tell
 * lockdep it was released (we return to userspace holding it), and give it
 * back at completion. On older kernels we take it around
 * vfs_iocb_iter_write(), for regular files as write(2) does; newer ones
 * (see probe.sh) take it inside vfs_iocb_iter_write() for every file and
 * drop it unless the write was queued, so only the async completion is
 * ours.
 */
static inline bool aior_kiocb_start_write(struct kiocb *kiocb)
{
	struct inode *inode = file_inode(kiocb->ki_filp);

	if (!S_ISREG(inode->i_mode))
		return true;
#ifndef AIOR_HAVE_VFS_WRITE_TAKES_FREEZE
	if (kiocb->ki_flags & IOCB_NOWAIT) {
		if (!sb_start_write_trylock(inode->i_sb))
			return false;
	} else {
		sb_start_write(inode->i_sb);
	}
	__sb_writers_release(inode->i_sb, SB_FREEZE_WRITE);
#else
	/*
	 * vfs_iocb_iter_write() takes the protection itself, blocking. A
	 * freeze marks the superblock before it waits for writers, so a
	 * NOWAIT write that sees the mark does not try; one that misses it
	 * by a hair may still wait in there, until the thaw.
	 */
	if ((kiocb->ki_flags & IOCB_NOWAIT) &&
	    READ_ONCE(inode->i_sb->s_writers.frozen) != SB_UNFROZEN)
		return false;
#endif
	return true;
}

static inline void aior_kiocb_end_write(struct kiocb *kiocb)
{
	struct inode *inode = file_inode(kiocb->ki_filp);

#ifndef AIOR_HAVE_VFS_WRITE_TAKES_FREEZE
	if (!S_ISREG(inode->i_mode))
		return;
#endif
	__sb_writers_acquired(inode->i_sb, SB_FREEZE_WRITE);
	sb_end_write(inode->i_sb);
}

/* After a write that completed without being queued. */
static inline void aior_kiocb_end_write_sync(struct kiocb *kiocb)
{
#ifndef AIOR_HAVE_VFS_WRITE_TAKES_FREEZE
	aior_kiocb_end_write(kiocb);
#endif
}

/*
 * Async buffered reads (IOCB_WAITQ, 5.9+): does this file support them?
 * The flag moved from f_mode (FMODE_BUF_RASYNC) to f_op->fop_flags
 * (FOP_BUFFER_RASYNC) in 6.12. Without IOCB_WAITQ the answer is always no
 * and buffered reads that would block go to workers.
 */
static inline bool aior_file_buf_rasync(struct file *file)
{
#if !defined(AIOR_HAVE_IOCB_WAITQ)
	return false;
#elif defined(AIOR_HAVE_FOP_BUFFER_RASYNC)
	return file->f_op->fop_flags & FOP_BUFFER_RASYNC;
#elif defined(AIOR_HAVE_FMODE_BUF_RASYNC)
	return file->f_mode & FMODE_BUF_RASYNC;
#else
	return false;
#endif
}

/*
 * Can a NOWAIT buffered write be tried on this file? Without the flag the
 * VFS rejects it with -EINVAL, so such writes go straight to a worker.
 */
static inline bool aior_file_buf_wasync(struct file *file)
{
#if defined(AIOR_HAVE_FOP_BUFFER_WASYNC)
	return file->f_op->fop_flags & FOP_BUFFER_WASYNC;
#elif defined(AIOR_HAVE_FMODE_BUF_WASYNC)
	return file->f_mode & FMODE_BUF_WASYNC;
#else
	return false;
#endif
}

#ifdef AIOR_HAVE_IOCB_WAITQ
#define AIOR_HAVE_WAITQ_READS 1
static inline void aior_kiocb_set_waitq(struct kiocb *kiocb,
					struct wait_page_queue *wpq)
{
	kiocb->ki_waitq = wpq;
}

static inline bool aior_wake_page_match(struct wait_page_queue *wpq,
					void *key)
{
	return wake_page_match(wpq, key);
}
#else
#define AIOR_HAVE_WAITQ_READS 0
#define IOCB_WAITQ 0
static inline void aior_kiocb_set_waitq(struct kiocb *kiocb,
					struct wait_page_queue *wpq)
{
}

static inline bool aior_wake_page_match(struct wait_page_queue *wpq,
					void *key)
{
	return false;
}
#endif

/*
 * Poll a HIPRI kiocb's file once: ->iopoll took (kiocb, bool spin) before
 * 5.16 and (kiocb, batch, flags) since.
 */
static inline int aior_file_iopoll(struct kiocb *kiocb, bool spin)
{
	struct file *file = kiocb->ki_filp;

#ifdef AIOR_HAVE_IOPOLL_COMP_BATCH
	return file->f_op->iopoll(kiocb, NULL, spin ? 0 : BLK_POLL_ONESHOT);
#else
	return file->f_op->iopoll(kiocb, spin);
#endif
}

/*
 * Charge a kernel thread's allocations to a memcg. 5.10's
 * set_active_memcg() refers to a per-CPU variable (for interrupts) that it
 * does not export; in task context it only swaps the task's own field, so
 * do that there.
 */
#include <linux/sched/mm.h>
static inline struct mem_cgroup *aior_set_active_memcg(struct mem_cgroup *memcg)
{
#if defined(AIOR_HAVE_INT_ACTIVE_MEMCG) || !defined(CONFIG_MEMCG)
	return set_active_memcg(memcg);
#else
	struct mem_cgroup *old = current->active_memcg;

	current->active_memcg = memcg;
	return old;
#endif
}

/* A module's kthread exits dropping its module reference (5.17's name). */
#ifndef AIOR_HAVE_MODULE_PUT_AND_KTHREAD_EXIT
#define module_put_and_kthread_exit(code)	module_put_and_exit(code)
#endif

/*
 * Pin with the mmap lock held by the caller, who checked the VMAs under it
 * (rsrc.c). 6.5 dropped the vmas argument.
 */
static inline long aior_pin_user_pages_locked(unsigned long start,
					      unsigned long nr,
					      unsigned int gup_flags,
					      struct page **pages)
{
#ifdef AIOR_HAVE_PIN_USER_PAGES_VMAS
	return pin_user_pages(start, nr, gup_flags, pages, NULL);
#else
	return pin_user_pages(start, nr, gup_flags, pages);
#endif
}

#endif /* AIOR_COMPAT_H */
