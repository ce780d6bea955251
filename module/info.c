// SPDX-License-Identifier: GPL-2.0
/*
 * What the module can tell about itself and about a file, for admins and
 * for aioring-info(1).
 *
 * The build's identity: the version (from dkms.conf, through Kbuild) and
 * the kernel interfaces module/probe.sh found in the headers it was built
 * against (AIOR_FEATURES). Both are in .modinfo, so `modinfo` shows them
 * for a module that is not loaded, and the features are also a read-only
 * parameter, /sys/module/aioring/parameters/features, next to the other
 * parameters of a loaded module.
 *
 * AIORING_IOC_PROBE_FILE: the AIORING_FILE_* capabilities of an open file,
 * computed by the same helpers the read/write path uses to decide between
 * inline, IOCB_WAITQ and the worker pool, so the answer cannot drift from
 * the behaviour.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/uaccess.h>

#include "info.h"
#include "rw.h"

#ifndef AIOR_FEATURES
#error "AIOR_FEATURES comes from module/probe.sh through Kbuild"
#endif

MODULE_INFO(features, AIOR_FEATURES);

static int aior_features_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n", AIOR_FEATURES);
}

/* A fact of the build, not a setting: "insmod aioring features=..." fails. */
static int aior_features_set(const char *val, const struct kernel_param *kp)
{
	return -EPERM;
}

static const struct kernel_param_ops aior_features_ops = {
	.set	= aior_features_set,
	.get	= aior_features_get,
};
module_param_cb(features, &aior_features_ops, NULL, 0444);
MODULE_PARM_DESC(features,
		 "Kernel interfaces found at build time (read-only)");

static u32 aior_file_caps(struct file *file)
{
	umode_t mode = file_inode(file)->i_mode;
	u32 caps = 0;

	if (aior_file_async_ok(file))
		caps |= AIORING_FILE_ASYNC;
	if (file->f_mode & FMODE_NOWAIT)
		caps |= AIORING_FILE_NOWAIT;
	if (aior_file_buf_rasync(file)) {
		caps |= AIORING_FILE_BUF_RASYNC;
		/* As aior_can_waitq() decides for a buffered read. */
		if (AIOR_HAVE_WAITQ_READS && S_ISREG(mode) &&
		    !READ_ONCE(aior_no_waitq))
			caps |= AIORING_FILE_WAITQ;
	}
	if (aior_file_buf_wasync(file))
		caps |= AIORING_FILE_BUF_WASYNC;
	if (file->f_op->iopoll)
		caps |= AIORING_FILE_IOPOLL;
	return caps;
}

long aior_probe_file(void __user *uarg)
{
	struct aioring_probe_file pf;
	struct file *file;
	int i;

	if (copy_from_user(&pf, uarg, sizeof(pf)))
		return -EFAULT;
	if (pf.flags || pf.resv1)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(pf.resv); i++)
		if (pf.resv[i])
			return -EINVAL;

	file = fget(pf.fd);
	if (!file)
		return -EBADF;
	pf.caps = aior_file_caps(file);
	fput(file);

	return copy_to_user(uarg, &pf, sizeof(pf)) ? -EFAULT : 0;
}
