// SPDX-License-Identifier: GPL-2.0
/*
 * Ring memory: sizing and allocating the SQ ring, the SQE array and the CQ
 * ring, charging them to the opening user's RLIMIT_MEMLOCK, and mapping
 * them into the owner's address space at the fixed AIORING_OFF_* offsets.
 *
 * Each region is vmalloc_user() memory, zeroed, page-granular and mapped
 * with remap_vmalloc_range(). A mapping holds a reference on the file, so
 * the memory cannot be freed while any mapping of it exists; it is freed
 * with the ring, after the last reference (teardown.c).
 */
#include <linux/capability.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "ring.h"
#include "rw.h"
#include "sqthread.h"
#include "teardown.h"
#include "worker.h"

/*
 * Charge @nr_pages to @user's locked memory against RLIMIT_MEMLOCK, the
 * same counter io_uring and perf use, so that one user cannot pin more than
 * the admin allows by opening many rings or many processes.
 */
int aior_account_mem(struct user_struct *user, unsigned long nr_pages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	unsigned long cur, new;

	do {
		cur = atomic_long_read(&user->locked_vm);
		new = cur + nr_pages;
		if (new > limit || new < cur)
			return -ENOMEM;
	} while (atomic_long_cmpxchg(&user->locked_vm, cur, new) != cur);
	return 0;
}

void aior_unaccount_mem(struct user_struct *user, unsigned long nr_pages)
{
	atomic_long_sub(nr_pages, &user->locked_vm);
}

static int aior_check_params(struct aioring_params *p)
{
	unsigned int i;

	if (p->flags & ~AIORING_SETUP_FLAGS_SUPPORTED)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(p->resv); i++)
		if (p->resv[i])
			return -EINVAL;
	if (p->sq_thread_cpu && !(p->flags & AIORING_SETUP_SQ_AFF))
		return -EINVAL;
	if (p->sq_thread_idle && !(p->flags & AIORING_SETUP_SQTHREAD))
		return -EINVAL;
	if ((p->flags & AIORING_SETUP_SQ_AFF) &&
	    !(p->flags & AIORING_SETUP_SQTHREAD))
		return -EINVAL;
	/* Both say who submits; and polled requests never go to workers. */
	if ((p->flags & AIORING_SETUP_SQWQ) &&
	    (p->flags & (AIORING_SETUP_SQTHREAD | AIORING_SETUP_IOPOLL)))
		return -EINVAL;
	if (!p->sq_entries || p->sq_entries > AIORING_MAX_ENTRIES)
		return -EINVAL;
	if (p->cq_entries &&
	    (p->cq_entries < p->sq_entries ||
	     p->cq_entries > AIORING_MAX_CQ_ENTRIES))
		return -EINVAL;
	return 0;
}

static void aior_fill_offsets(struct aior_ctx *ctx, struct aioring_params *p)
{
	memset(&p->sq_off, 0, sizeof(p->sq_off));
	p->sq_off.head = offsetof(struct aior_sq_ring, head);
	p->sq_off.tail = offsetof(struct aior_sq_ring, tail);
	p->sq_off.ring_mask = offsetof(struct aior_sq_ring, ring_mask);
	p->sq_off.ring_entries = offsetof(struct aior_sq_ring, ring_entries);
	p->sq_off.flags = offsetof(struct aior_sq_ring, flags);
	p->sq_off.dropped = offsetof(struct aior_sq_ring, dropped);
	p->sq_off.array = sizeof(struct aior_sq_ring);

	memset(&p->cq_off, 0, sizeof(p->cq_off));
	p->cq_off.head = offsetof(struct aior_cq_ring, head);
	p->cq_off.tail = offsetof(struct aior_cq_ring, tail);
	p->cq_off.ring_mask = offsetof(struct aior_cq_ring, ring_mask);
	p->cq_off.ring_entries = offsetof(struct aior_cq_ring, ring_entries);
	p->cq_off.overflow = offsetof(struct aior_cq_ring, overflow);
	p->cq_off.flags = offsetof(struct aior_cq_ring, flags);
	p->cq_off.cqes = sizeof(struct aior_cq_ring);
}

int aior_ring_setup(struct aior_ctx *ctx, struct aioring_params *p)
	__must_hold(&ctx->uring_lock)
{
	u32 sq_entries, cq_entries;
	unsigned long pages;
	int ret;

	ret = aior_check_params(p);
	if (ret)
		return ret;

	sq_entries = roundup_pow_of_two(p->sq_entries);
	cq_entries = p->cq_entries ? roundup_pow_of_two(p->cq_entries) :
				     2 * sq_entries;
	if (sq_entries > AIORING_MAX_ENTRIES ||
	    cq_entries > AIORING_MAX_CQ_ENTRIES)
		return -EINVAL;

	ctx->sq_ring_size = PAGE_ALIGN(sizeof(struct aior_sq_ring) +
				       sq_entries * sizeof(u32));
	ctx->sqes_size = PAGE_ALIGN(sq_entries * sizeof(struct aioring_sqe));
	ctx->cq_ring_size = PAGE_ALIGN(sizeof(struct aior_cq_ring) +
				       cq_entries * sizeof(struct aioring_cqe));
	pages = (ctx->sq_ring_size + ctx->sqes_size + ctx->cq_ring_size) >>
		PAGE_SHIFT;

	/* As io_uring: CAP_IPC_LOCK exempts from the memlock limit. */
	if (!capable(CAP_IPC_LOCK)) {
		ret = aior_account_mem(ctx->creds->user, pages);
		if (ret)
			return ret;
		ctx->acct_pages = pages;
	}

	ret = -ENOMEM;
	ctx->sq_ring = vmalloc_user(ctx->sq_ring_size);
	if (!ctx->sq_ring)
		goto err_free;
	ctx->sqes = vmalloc_user(ctx->sqes_size);
	if (!ctx->sqes)
		goto err_free;
	ctx->cq_ring = vmalloc_user(ctx->cq_ring_size);
	if (!ctx->cq_ring)
		goto err_free;

	ctx->sq_array = (u32 *)(ctx->sq_ring + 1);
	ctx->cqes = (struct aioring_cqe *)(ctx->cq_ring + 1);
	ctx->sq_entries = sq_entries;
	ctx->cq_entries = cq_entries;
	ctx->flags = p->flags;
	if (p->flags & AIORING_SETUP_SQTHREAD) {
		ret = aior_sq_thread_check(ctx, p);
		if (ret)
			goto err_free;
	}

	ctx->sq_ring->ring_mask = sq_entries - 1;
	ctx->sq_ring->ring_entries = sq_entries;
	ctx->cq_ring->ring_mask = cq_entries - 1;
	ctx->cq_ring->ring_entries = cq_entries;

	p->sq_entries = sq_entries;
	p->cq_entries = cq_entries;
	p->features = AIORING_FEAT_NODROP | AIORING_FEAT_SUBMIT_STABLE |
		      AIORING_FEAT_RW_CUR_POS | AIORING_FEAT_MM_OWNED |
		      AIORING_FEAT_NONBLOCK | AIORING_FEAT_STATS |
		      AIORING_FEAT_REGISTER;
	if (AIOR_HAVE_WAITQ_READS && !READ_ONCE(aior_no_waitq))
		p->features |= AIORING_FEAT_WAITQ;
	aior_fill_offsets(ctx, p);
	return 0;

err_free:
	aior_ring_free(ctx);
	return ret;
}

/*
 * After aior_ring_setup(), in SETUP: start the ring's threads (the async
 * thread, and the SQ thread if asked for), which belong to the caller's
 * process. They touch the rings only once setup is published.
 */
int aior_ring_start(struct aior_ctx *ctx, struct aioring_params *p)
	__must_hold(&ctx->uring_lock)
{
	int ret;

	ret = aior_wpool_setup(ctx, &p->max_workers);
	if (!ret && (ctx->flags & AIORING_SETUP_SQTHREAD))
		ret = aior_sq_thread_create(ctx);
	return ret;
}

/*
 * Frees what aior_ring_setup() allocated; safe on a partial setup. Once
 * threads were started, only when the ring is freed (none is left).
 */
void aior_ring_free(struct aior_ctx *ctx)
{
	vfree(ctx->cq_ring);
	vfree(ctx->sqes);
	vfree(ctx->sq_ring);
	ctx->cq_ring = NULL;
	ctx->sqes = NULL;
	ctx->sq_ring = NULL;
	if (ctx->acct_pages) {
		aior_unaccount_mem(ctx->creds->user, ctx->acct_pages);
		ctx->acct_pages = 0;
	}
}

/* The owner's mm ends with the ring mapped in it: teardown.c. */
static const struct vm_operations_struct aior_ring_vm_ops = {
	.close	= aior_ring_vm_close,
};

int aior_ring_mmap(struct aior_ctx *ctx, struct vm_area_struct *vma)
{
	unsigned long off = vma->vm_pgoff << PAGE_SHIFT;
	unsigned long len = vma->vm_end - vma->vm_start;
	size_t size;
	void *ptr;
	int ret;

	/* Pairs with the smp_store_release() at the end of setup. */
	if (!smp_load_acquire(&ctx->setup_done))
		return -EBADFD;
	ret = aior_ctx_check_caller(ctx);
	if (ret)
		return ret;

	switch (off) {
	case AIORING_OFF_SQ_RING:
		ptr = ctx->sq_ring;
		size = ctx->sq_ring_size;
		break;
	case AIORING_OFF_SQES:
		ptr = ctx->sqes;
		size = ctx->sqes_size;
		break;
	case AIORING_OFF_CQ_RING:
		ptr = ctx->cq_ring;
		size = ctx->cq_ring_size;
		break;
	default:
		return -EINVAL;
	}
	if (len > size)
		return -EINVAL;

	/*
	 * The rings belong to this mm only: a child made by fork() gets no
	 * copy of the mapping (and VM_IO keeps madvise(MADV_DOFORK) from
	 * changing that, as io_uring's PFN mappings do), the mapping cannot
	 * grow with mremap(), and get_user_pages() refuses it.
	 */
	aior_vm_flags_set(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_IO);
	vma->vm_ops = &aior_ring_vm_ops;
	return remap_vmalloc_range(vma, ptr, 0);
}
