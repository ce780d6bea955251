// SPDX-License-Identifier: GPL-2.0
/*
 * aioring: io_uring-class asynchronous I/O for kernels where io_uring is
 * unavailable or disabled, as an out-of-tree module.
 *
 * This file is the device: module init and exit, the misc device
 * /dev/aioring, the per-open ring context and its lifetime, the ioctl
 * dispatcher and mmap.
 *
 * Access control, for the admin: the device node's mode (dev_mode, and
 * udev), an optional group allowed to open it (allowed_gid, as io_uring's
 * io_uring_group), and a switch that refuses new rings (disabled).
 *
 * Lifetime: the file pins the module while open; the ring itself holds a
 * module reference until it is freed. Each mapping pins the file, each
 * request and each of the ring's threads pins the ring. Teardown is
 * asynchronous (teardown.c): ->release, the owner's mm going away or the
 * owner's exit kill the ring without waiting for anything, and it is freed
 * when its last reference goes. Its threads belong to its owner
 * (worker.c).
 */
#include <linux/compat.h>
#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/memcontrol.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "cq.h"
#include "opdef.h"
#include "ring.h"
#include "info.h"
#include "iopoll.h"
#include "poll.h"
#include "rsrc.h"
#include "rw.h"
#include "sqthread.h"
#include "submit.h"
#include "teardown.h"
#include "worker.h"

/* PACKAGE_VERSION of dkms.conf, passed by Kbuild: one place states it. */
#ifndef AIOR_VERSION
#error "AIOR_VERSION comes from dkms.conf through Kbuild"
#endif
#define AIORING_VERSION AIOR_VERSION

static bool aior_disabled;
module_param_named(disabled, aior_disabled, bool, 0644);
MODULE_PARM_DESC(disabled, "Refuse to open new rings (default: false)");

static int aior_allowed_gid = -1;
module_param_named(allowed_gid, aior_allowed_gid, int, 0644);
MODULE_PARM_DESC(allowed_gid,
		 "Only members of this group (or CAP_SYS_ADMIN) may open rings; -1 allows everyone the device mode allows (default: -1)");

static ushort aior_dev_mode = 0660;
module_param_named(dev_mode, aior_dev_mode, ushort, 0444);
MODULE_PARM_DESC(dev_mode, "Mode of /dev/aioring when created by devtmpfs (default: 0660)");

module_param_named(max_workers, aior_max_workers_cap, uint, 0644);
MODULE_PARM_DESC(max_workers, "Upper bound on any ring's worker pool concurrency (default: 64)");

module_param_named(max_workers_per_user, aior_max_workers_per_user, uint, 0644);
MODULE_PARM_DESC(max_workers_per_user,
		 "Blocking workers one user's rings may have at once, besides each ring's first; past it work queues (0: no cap; default: 512)");

module_param_named(max_rings_per_user, aior_max_rings_per_user, uint, 0644);
MODULE_PARM_DESC(max_rings_per_user,
		 "Rings one user may have open at once; past it open fails with EMFILE (0: no cap; default: 128)");

module_param_named(max_sq_thread_idle, aior_max_sq_idle_ms, uint, 0644);
MODULE_PARM_DESC(max_sq_thread_idle,
		 "Largest sq_thread_idle a ring may ask for, in ms; more is EINVAL (default: 10000)");

module_param_named(no_waitq, aior_no_waitq, bool, 0644);
MODULE_PARM_DESC(no_waitq, "Never use IOCB_WAITQ async buffered reads; use workers instead (default: false)");

static void aior_check_abi(void)
{
	BUILD_BUG_ON(sizeof(struct aioring_sqe) != 64);
	BUILD_BUG_ON(sizeof(struct aioring_cqe) != 16);
	BUILD_BUG_ON(sizeof(struct aioring_sqring_offsets) != 40);
	BUILD_BUG_ON(sizeof(struct aioring_cqring_offsets) != 40);
	BUILD_BUG_ON(sizeof(struct aioring_params) != 128);
	BUILD_BUG_ON(sizeof(struct aioring_enter_args) != 48);
	BUILD_BUG_ON(offsetof(struct aioring_sqe, fd) != 4);
	BUILD_BUG_ON(offsetof(struct aioring_sqe, off) != 8);
	BUILD_BUG_ON(offsetof(struct aioring_sqe, addr) != 16);
	BUILD_BUG_ON(offsetof(struct aioring_sqe, len) != 24);
	BUILD_BUG_ON(offsetof(struct aioring_sqe, rw_flags) != 28);
	BUILD_BUG_ON(offsetof(struct aioring_sqe, user_data) != 32);
	BUILD_BUG_ON(offsetof(struct aioring_sqe, buf_index) != 40);
	BUILD_BUG_ON(offsetof(struct aioring_sqe, personality) != 42);
	BUILD_BUG_ON(offsetof(struct aioring_sqe, __resv1) != 44);
	BUILD_BUG_ON(offsetof(struct aioring_sqe, __resv2) != 48);
	BUILD_BUG_ON(offsetof(struct aioring_cqe, res) != 8);
	BUILD_BUG_ON(offsetof(struct aioring_cqe, flags) != 12);
	BUILD_BUG_ON(offsetof(struct aioring_params, sq_off) != 48);
	BUILD_BUG_ON(offsetof(struct aioring_params, cq_off) != 88);
	BUILD_BUG_ON(sizeof(sigset_t) != 8);
	BUILD_BUG_ON(sizeof(struct aioring_stats) != 128);
	BUILD_BUG_ON(sizeof(struct aioring_register_args) != 40);
	BUILD_BUG_ON(sizeof(struct aioring_probe_file) != 40);
}

static bool aior_may_open(void)
{
	if (READ_ONCE(aior_disabled))
		return false;
	if (READ_ONCE(aior_allowed_gid) >= 0) {
		kgid_t gid = make_kgid(&init_user_ns, READ_ONCE(aior_allowed_gid));

		if (!gid_valid(gid) ||
		    (!in_group_p(gid) && !capable(CAP_SYS_ADMIN)))
			return false;
	}
	return true;
}

static int aior_open(struct inode *inode, struct file *file)
{
	struct aior_ctx *ctx;
	int ret;

	if (!aior_may_open())
		return -EPERM;
	/* A kernel thread has no address space to own a ring. */
	if (!current->mm)
		return -EINVAL;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;

	mutex_init(&ctx->uring_lock);
	spin_lock_init(&ctx->completion_lock);
	INIT_LIST_HEAD(&ctx->overflow_list);
	INIT_LIST_HEAD(&ctx->iopoll_list);
	spin_lock_init(&ctx->poll_lock);
	INIT_LIST_HEAD(&ctx->poll_list);
	init_llist_head(&ctx->req_free);
	init_waitqueue_head(&ctx->cq_wait);
	init_waitqueue_head(&ctx->sq_wait);
	refcount_set(&ctx->refs, 1);
	atomic_set(&ctx->inflight, 0);
	aior_wpool_init(ctx);

	ctx->mm = current->mm;
	mmgrab(ctx->mm);
	ctx->creds = get_current_cred();
	/* The SQ thread is no 32-bit task: it reads iovecs as the owner. */
	ctx->compat = in_compat_syscall();
	ctx->owner_tgid = get_pid(task_tgid(current));
	ctx->owner = get_task_struct(current->group_leader);
	/* The ring's threads allocate on the owner's behalf (worker.c). */
	ctx->memcg = get_mem_cgroup_from_mm(current->mm);
	ctx->sq_cpu = -1;
	aior_ctx_init_teardown(ctx);

	ret = aior_user_get(ctx);
	if (ret) {
		aior_ctx_destroy(ctx);
		return ret;
	}
	aior_ctx_watch_owner(ctx);
	file->private_data = ctx;
	return 0;
}

static int aior_release(struct inode *inode, struct file *file)
{
	aior_ctx_release(file->private_data);
	return 0;
}

static long aior_setup(struct aior_ctx *ctx, void __user *uarg)
{
	struct aioring_params p;
	long ret;

	if (copy_from_user(&p, uarg, sizeof(p)))
		return -EFAULT;

	if (mutex_lock_killable(&ctx->uring_lock))
		return -EINTR;
	/* One try: a ring whose setup failed half-way is dead (EOWNERDEAD). */
	ret = -EBUSY;
	if (ctx->setup_done || ctx->sq_ring)
		goto out_unlock;
	ret = aior_ring_setup(ctx, &p);
	if (ret)
		goto out_unlock;
	ret = aior_ring_start(ctx, &p);
	if (!ret && copy_to_user(uarg, &p, sizeof(p)))
		ret = -EFAULT;
	if (ret) {
		/* Threads may have started: the ring is dead, freed at close. */
		aior_ctx_kill(ctx);
		goto out_unlock;
	}
	/*
	 * Publish the rings; pairs with the smp_load_acquire() of setup_done
	 * in aior_enter(), aior_ring_mmap() and the SQ thread.
	 */
	smp_store_release(&ctx->setup_done, true);
	aior_sq_thread_wake(ctx);
out_unlock:
	mutex_unlock(&ctx->uring_lock);
	return ret;
}

static void aior_stats_read(struct aior_ctx *ctx, struct aioring_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->submitted = atomic64_read(&ctx->stats.submitted);
	st->completed_inline = atomic64_read(&ctx->stats.completed_inline);
	st->completed_waitq = atomic64_read(&ctx->stats.completed_waitq);
	st->waitq_retries = atomic64_read(&ctx->stats.waitq_retries);
	st->punted = atomic64_read(&ctx->stats.punted);
	st->eagain = atomic64_read(&ctx->stats.eagain);
	st->completed_async = atomic64_read(&ctx->stats.completed_async);
	st->cq_overflow = atomic64_read(&ctx->stats.cq_overflow);
	st->sq_thread_wakeups = atomic64_read(&ctx->stats.sq_thread_wakeups);
	st->iopoll_reaped = atomic64_read(&ctx->stats.iopoll_reaped);
	st->enter_calls = atomic64_read(&ctx->stats.enter_calls);
}

static long aior_get_stats(struct aior_ctx *ctx, void __user *uarg)
{
	struct aioring_stats st;

	if (!smp_load_acquire(&ctx->setup_done))
		return -EBADFD;
	aior_stats_read(ctx, &st);
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

static void aior_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct aior_ctx *ctx = file->private_data;
	struct aioring_stats st;

	if (!smp_load_acquire(&ctx->setup_done))
		return;
	aior_stats_read(ctx, &st);
	seq_printf(m, "SqEntries:\t%u\nCqEntries:\t%u\nFlags:\t0x%x\n",
		   ctx->sq_entries, ctx->cq_entries, ctx->flags);
	seq_printf(m, "MaxWorkers:\t%u\nInflight:\t%d\n", ctx->wp.max_workers,
		   atomic_read(&ctx->inflight));
	aior_wpool_show(m, ctx);
	seq_printf(m, "Submitted:\t%llu\nCompletedInline:\t%llu\n"
		   "CompletedWaitq:\t%llu\nWaitqRetries:\t%llu\n"
		   "Punted:\t%llu\nEagain:\t%llu\nCompletedAsync:\t%llu\n"
		   "CqOverflow:\t%llu\nSqThreadWakeups:\t%llu\n"
		   "IopollReaped:\t%llu\nEnterCalls:\t%llu\n",
		   st.submitted, st.completed_inline, st.completed_waitq,
		   st.waitq_retries, st.punted, st.eagain, st.completed_async,
		   st.cq_overflow, st.sq_thread_wakeups, st.iopoll_reaped,
		   st.enter_calls);
}

static long aior_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct aior_ctx *ctx = file->private_data;
	void __user *argp = (void __user *)arg;
	int ret;

	if (cmd != AIORING_IOC_SETUP && cmd != AIORING_IOC_ENTER &&
	    cmd != AIORING_IOC_STATS && cmd != AIORING_IOC_REGISTER &&
	    cmd != AIORING_IOC_PROBE_FILE)
		return -ENOTTY;
	ret = aior_ctx_check_caller(ctx);
	if (ret)
		return ret;

	switch (cmd) {
	case AIORING_IOC_SETUP:
		return aior_setup(ctx, argp);
	case AIORING_IOC_ENTER:
		return aior_enter(ctx, argp);
	case AIORING_IOC_STATS:
		return aior_get_stats(ctx, argp);
	case AIORING_IOC_REGISTER:
		return aior_register(ctx, argp);
	case AIORING_IOC_PROBE_FILE:
		return aior_probe_file(argp);
	}
	return -ENOTTY;
}

static int aior_mmap(struct file *file, struct vm_area_struct *vma)
{
	return aior_ring_mmap(file->private_data, vma);
}

/* Every close() of a descriptor, exec's of close-on-exec ones included. */
static int aior_flush(struct file *file, fl_owner_t id)
{
	aior_ctx_flush(file->private_data, file);
	return 0;
}

static const struct file_operations aior_fops = {
	.owner		= THIS_MODULE,
	.open		= aior_open,
	.flush		= aior_flush,
	.release	= aior_release,
	.unlocked_ioctl	= aior_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= aior_mmap,
	.llseek		= noop_llseek,
	.show_fdinfo	= aior_show_fdinfo,
};

/* Is @file a ring? Rings may not be registered in rings. */
bool aior_is_ring_file(struct file *file)
{
	return file->f_op == &aior_fops;
}

static struct miscdevice aior_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "aioring",
	.fops	= &aior_fops,
};

static int __init aior_init(void)
{
	int ret;

	aior_check_abi();
	aior_opdef_init();

	/*
	 * READV/WRITEV copy the user's iovec array into req->rw.fast_iov:
	 * whitelist exactly that for hardened usercopy.
	 */
	aior_req_cachep = kmem_cache_create_usercopy("aior_req",
			sizeof(struct aior_req), __alignof__(struct aior_req),
			SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT,
			offsetof(struct aior_req, rw.fast_iov),
			sizeof_field(struct aior_req, rw.fast_iov), NULL);
	if (!aior_req_cachep)
		return -ENOMEM;
	ret = aior_teardown_module_init();
	if (ret)
		goto err_cache;

	aior_misc.mode = aior_dev_mode & 0777;
	ret = misc_register(&aior_misc);
	if (ret)
		goto err_worker;

	pr_info("version %s loaded\n", AIORING_VERSION);
	return 0;

err_worker:
	aior_teardown_module_exit();
err_cache:
	kmem_cache_destroy(aior_req_cachep);
	return ret;
}

static void __exit aior_exit(void)
{
	misc_deregister(&aior_misc);
	aior_teardown_module_exit();
	aior_worker_module_exit();
	kmem_cache_destroy(aior_req_cachep);
}

module_init(aior_init);
module_exit(aior_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The aioring developers");
MODULE_DESCRIPTION("io_uring-class asynchronous I/O rings on /dev/aioring");
MODULE_VERSION(AIORING_VERSION);
