/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-version differences, and nothing else.
 *
 * module/probe.sh greps the target kernel's headers at build time and
 * defines AIOR_HAVE_* for each interface it finds; this file turns those
 * into small wrappers with one name and one signature. It is force-included
 * into every object (see Kbuild), and it is the only place allowed to know
 * that kernels differ. The supported range is stated here and, in the same
 * terms, as BUILD_EXCLUSIVE_KERNEL_MIN in dkms.conf.
 */
#ifndef AIOR_COMPAT_H
#define AIOR_COMPAT_H

/* Every message of the module is prefixed with its name. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/version.h>
#include <linux/fs.h>
#include <linux/mm.h>
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

/*
 * Freeze protection around vfs_iocb_iter_write(). Newer kernels (see
 * probe.sh) take it inside vfs_iocb_iter_write() itself; before, the
 * caller did, as overlayfs did.
 */

static inline void aior_file_start_write(struct file *file)
{
#ifndef AIOR_HAVE_VFS_WRITE_TAKES_FREEZE
	file_start_write(file);
#endif
}

static inline void aior_file_end_write(struct file *file)
{
#ifndef AIOR_HAVE_VFS_WRITE_TAKES_FREEZE
	file_end_write(file);
#endif
}

#endif /* AIOR_COMPAT_H */
