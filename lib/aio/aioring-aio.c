/* SPDX-License-Identifier: MIT */
/*
 * libaioring-aio.so: libaio's API on /dev/aioring, for LD_PRELOAD.
 *
 * An unmodified libaio program run with LD_PRELOAD=libaioring-aio.so gets
 * its io_setup/io_submit/io_getevents/... from here instead of from
 * libaio.so.1, so its buffered reads and writes no longer block io_submit:
 * each io_context is an aioring ring in inline mode. The exports carry
 * libaio's symbol versions (LIBAIO_0.1, 0.4, 0.5; see libaioring-aio.map)
 * so they interpose the versioned references a program linked against
 * libaio holds, including the old compat versions of io_getevents,
 * io_cancel and io_queue_wait; io_queue_* are here too so nothing inside
 * libaio.so.1 is reached at all.
 *
 * The kernel's AIO is the model, and fs/aio.c decides every corner:
 *
 *  - An io_context_t is the address of an "aio ring" laid out as the
 *    kernel's struct aio_ring (id, nr, head, tail, magic, ...), followed by
 *    nr io_events, in memory the shim fills. Programs that reap from that
 *    ring themselves (libaio's own empty-ring check, fio's userspace_reap,
 *    seastar) keep working, and so does mremap() of it: the ring is a
 *    memfd mapped twice, once for the program (the context address) and
 *    once for the shim, which writes events through its own mapping. A
 *    context is found by address, or, after the program moved the ring,
 *    through the id in its header.
 *
 *  - Completions reach that ring through a reaper thread per context,
 *    started at the first io_submit, which waits in ENTER(GETEVENTS),
 *    turns CQEs into io_events and signals IOCB_FLAG_RESFD eventfds.
 *    io_submit also moves the CQEs of requests that completed inline, so
 *    they are in the ring when it returns, as with kernel AIO. Waiters in
 *    io_getevents sleep in ppoll() on a private eventfd (the "bell"),
 *    which is readable exactly while the ring holds events (maintained
 *    under cq_lock), so timeouts, signals (-EINTR) and io_pgetevents'
 *    sigmask behave as the system call does.
 *
 *  - Capacity is the kernel's: a context with an n-event ring accepts
 *    requests while (in flight + events not yet reaped) < n - 1 (and
 *    < 16384, half the module's largest CQ ring), then io_submit says
 *    -EAGAIN. The ring therefore never overflows and no
 *    completion is ever dropped. A request's aio_data, iocb address and
 *    eventfd are kept in a per-context slot at submission (the kernel also
 *    copies the iocb: the program may reuse or free it once io_submit has
 *    returned); the SQE's user_data is the slot number.
 *
 *  - io_submit checks each iocb in user space the way io_submit_one()
 *    does before it hands anything to the module, so an error that the
 *    kernel returns from io_submit (bad opcode, bad fd, wrong access mode,
 *    negative offset, kernel-space buffer, bad eventfd, context full) is
 *    returned from io_submit here too, and the count queued before the
 *    first bad iocb is returned when it is not zero. The iocb pointer array
 *    and the iocbs are read with process_vm_readv(), which faults safely:
 *    a bad pointer is -EFAULT, not SIGSEGV. I/O errors (a user-space buffer
 *    that faults, EIO, ENOSPC) come back in io_event.res, as they do from
 *    the kernel.
 *
 *  - IOCB_CMD_POLL is AIORING_OP_POLL_ADD (asked of the module once per
 *    process); io_cancel cancels a pending poll with POLL_REMOVE and, as
 *    fs/aio.c, says -EINPROGRESS, the poll's event then having res 0.
 *    Nothing else can be cancelled (-EINVAL), as in the kernel.
 *
 *  - io_destroy cancels pending polls and waits for every request in
 *    flight, as the kernel does. A child after fork() sees no contexts
 *    (-EINVAL), as in the kernel, where contexts belong to the mm.
 *
 *  - One intentional difference: io_getevents with min_nr 0 and a nonzero
 *    timeout waits for the first event of a request in flight (see
 *    shim_getevents()), because kernel AIO did buffered I/O inside
 *    io_submit and programs count on finding its event. lib/aio/README.md
 *    lists the others (cost, aio-nr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/aio_abi.h>
#include <linux/capability.h>
#include <linux/fs.h>

#include "libaioring.h"

/* libaio's names for the kernel's types (libaio.h is not needed to build) */
typedef struct aioring_aio_ctx *io_context_t;
#define SHIM_EXPORT	__attribute__((visibility("default")))
#define SYMVER(impl, name)	__asm__(".symver " #impl "," name)

/* struct aio_ring of fs/aio.c: what a program may read at the context */
struct shim_aio_ring {
	unsigned	id;
	unsigned	nr;		/* number of io_events */
	unsigned	head;		/* advanced by the consumer */
	unsigned	tail;		/* advanced by the shim */
	unsigned	magic;
	unsigned	compat_features;
	unsigned	incompat_features;
	unsigned	header_length;
	struct io_event	io_events[];
};
#define AIO_RING_MAGIC			0xa10a10a1
#define AIO_RING_COMPAT_FEATURES	1

/* user_data of the shim's own SQEs, whose CQEs are not events */
#define SHIM_WAKE_UD	(~0ULL - 1)	/* NOP: wakes the reaper for io_destroy */
#define SHIM_CANCEL_UD	(~0ULL - 2)	/* POLL_REMOVE of io_cancel/io_destroy */
#define SHIM_PROBE_UD	(~0ULL - 3)	/* POLL_REMOVE: does the module poll? */
/* access_ok(): the end of the user address space on x86-64 */
#define SHIM_TASK_SIZE	0x7ffffffff000ULL
#define SHIM_RWF_KNOWN	(RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND)
#define SHIM_UIO_MAXIOV	1024

/* One request in flight: what its io_event needs, copied at submission */
struct shim_req {
	uint64_t	data;		/* iocb->aio_data */
	uint64_t	obj;		/* the iocb's address */
	int		resfd;		/* dup of the RESFD eventfd, or -1 */
	int		next_free;
	unsigned char	busy;		/* in flight */
	unsigned char	poll;		/* IOCB_CMD_POLL: cancellable */
	unsigned char	cancelled;	/* POLL_REMOVE sent for it */
};

struct aioring_aio_ctx {
	struct aioring		ring;
	unsigned		id;		/* index in shim_ctxs */
	unsigned		ring_id;	/* ring->id: unique in the process */
	uintptr_t		user_addr;	/* the io_context_t value */
	struct shim_aio_ring	*ev;		/* the shim's own view of the ring */
	size_t			ring_bytes;
	int			memfd;
	int			bell;		/* readable while ev has events */

	/* sq_lock: the SQ ring (libaioring's SQ side is single-producer). */
	pthread_mutex_t		sq_lock;

	/*
	 * cq_lock: the CQ ring, ev->tail, the request slots, inflight,
	 * reading events out of ev for io_getevents, and the bell.
	 */
	pthread_mutex_t		cq_lock;
	pthread_cond_t		drained;	/* inflight went down */
	unsigned		limit;		/* inflight + unreaped events < limit */
	unsigned		inflight;	/* in the module */
	struct shim_req		*reqs;
	int			free_req;

	int			probe_res;	/* CQE res of SHIM_PROBE_UD, 1: none yet */

	pthread_t		reaper;
	int			reaper_on;	/* under sq_lock */
	int			closing;	/* under sq_lock: io_destroy began */
	int			stop;		/* io_destroy: the reaper exits */
	int			gone;		/* io_destroy began: the bell stays rung */

	/* under shim_lock */
	int			users;		/* calls inside the shim on it */
	int			dead;
	struct aioring_aio_ctx	*hnext;		/* shim_hash chain */
};

/*
 * shim_lock: the context table (by address and by id), users and dead.
 * Never held while waiting for I/O.
 */
static pthread_mutex_t shim_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t shim_users_cond = PTHREAD_COND_INITIALIZER;
#define SHIM_HASH	256
static struct aioring_aio_ctx *shim_hash[SHIM_HASH];
static struct aioring_aio_ctx **shim_ctxs;
static unsigned shim_nr_ctxs;
/*
 * The id written in a ring's header, never reused (not even in a child
 * after fork(), whose inherited ring mappings keep their parents' ids).
 */
static unsigned shim_next_ring_id;
static pthread_once_t shim_once = PTHREAD_ONCE_INIT;

static unsigned shim_hash_of(uintptr_t addr)
{
	return (unsigned)((addr >> 12) ^ (addr >> 24)) % SHIM_HASH;
}

/*
 * Read @len bytes at @addr of our own address space; -EFAULT if any of it
 * is not mapped, instead of a SIGSEGV. Returns the number of bytes read.
 * Where process_vm_readv() is not allowed (seccomp), fall back to a plain
 * copy after the range check the kernel's access_ok() makes.
 */
static ssize_t shim_peek_iov(struct iovec *local, struct iovec *remote,
			     unsigned long n)
{
	static int no_vm_readv;
	ssize_t ret;
	unsigned long i;
	size_t done = 0;

	if (!no_vm_readv) {
		ret = process_vm_readv(getpid(), local, n, remote, n, 0);
		if (ret >= 0)
			return ret;
		if (errno == EFAULT)
			return 0;
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
		no_vm_readv = 1;
	}
	for (i = 0; i < n; i++) {
		uintptr_t a = (uintptr_t)remote[i].iov_base;

		if (a < 4096 || a + remote[i].iov_len > SHIM_TASK_SIZE ||
		    a + remote[i].iov_len < a)
			break;
		memcpy(local[i].iov_base, remote[i].iov_base, remote[i].iov_len);
		done += remote[i].iov_len;
	}
	return (ssize_t)done;
}

static int shim_peek(void *dst, const void *addr, size_t len)
{
	struct iovec l = { dst, len }, r = { (void *)addr, len };

	return shim_peek_iov(&l, &r, 1) == (ssize_t)len ? 0 : -EFAULT;
}

/*
 * Write @len bytes to @addr of our own address space: 0, or -EFAULT if any
 * of it is not mapped writable (put_user()/copy_to_user() in the system
 * calls), instead of a SIGSEGV. A failed write may have written a prefix.
 */
static int shim_poke(void *addr, const void *src, size_t len)
{
	static int no_vm_writev;
	struct iovec l = { (void *)src, len }, r = { addr, len };
	uintptr_t a = (uintptr_t)addr;
	ssize_t ret;

	if (!len)
		return 0;
	if (!no_vm_writev) {
		ret = process_vm_writev(getpid(), &l, 1, &r, 1, 0);
		if (ret == (ssize_t)len)
			return 0;
		if (ret >= 0 || errno == EFAULT)
			return -EFAULT;
		if (errno != ENOSYS && errno != EPERM)
			return -errno;
		no_vm_writev = 1;
	}
	/* seccomp: access_ok() only, as shim_peek_iov() */
	if (a < 4096 || a + len > SHIM_TASK_SIZE || a + len < a)
		return -EFAULT;
	memcpy(addr, src, len);
	return 0;
}

/* The child of a fork() has no contexts: they belong to the parent's mm. */
static void shim_atfork_child(void)
{
	unsigned i;

	pthread_mutex_init(&shim_lock, NULL);
	pthread_cond_init(&shim_users_cond, NULL);
	for (i = 0; i < shim_nr_ctxs; i++) {
		struct aioring_aio_ctx *c = shim_ctxs[i];
		unsigned j;

		if (!c)
			continue;
		/* the RESFD dups of requests the parent has in flight */
		for (j = 0; j < c->limit; j++)
			if (c->reqs[j].resfd >= 0)
				close(c->reqs[j].resfd);
		/*
		 * The module's ring mappings are not inherited (VM_DONTCOPY);
		 * the memfd ones are. The program's copy at user_addr is its
		 * own business (and may have moved); the shim's view goes.
		 * Its header's ring_id never matches a context of the child.
		 */
		close(c->ring.ring_fd);
		close(c->memfd);
		close(c->bell);
		munmap(c->ev, c->ring_bytes);
		free(c->reqs);
		free(c);
		shim_ctxs[i] = NULL;
	}
	memset(shim_hash, 0, sizeof(shim_hash));
}

static void shim_init(void)
{
	pthread_atfork(NULL, NULL, shim_atfork_child);
}

/* With AIORING_AIO_STATS=1, say that the shim is in (the guest tests check). */
__attribute__((constructor)) static void shim_loaded(void)
{
	const char *env = getenv("AIORING_AIO_STATS");

	if (env && !strcmp(env, "1"))
		fprintf(stderr, "aioring-aio: loaded in pid %d\n", (int)getpid());
}

/*
 * Find the context at @ctx and take a user reference, or NULL (-EINVAL
 * for the caller). A context the program moved with mremap() is found
 * through the id in its header and rehashed at its new address.
 */
static struct aioring_aio_ctx *shim_get(io_context_t ctx)
{
	uintptr_t addr = (uintptr_t)ctx;
	struct aioring_aio_ctx *c;
	struct shim_aio_ring hdr;

	pthread_mutex_lock(&shim_lock);
	for (c = shim_hash[shim_hash_of(addr)]; c; c = c->hnext)
		if (c->user_addr == addr)
			goto found;
	pthread_mutex_unlock(&shim_lock);

	if (!addr || shim_peek(&hdr, ctx, sizeof(hdr)) ||
	    hdr.magic != AIO_RING_MAGIC)
		return NULL;
	pthread_mutex_lock(&shim_lock);
	{
		unsigned i;

		/*
		 * By ring_id, not by slot: a slot is reused, and a ring the
		 * program still has mapped (a child's copy of its parent's
		 * ring after fork()) must not resolve to a newer context.
		 */
		for (i = 0, c = NULL; i < shim_nr_ctxs && !c; i++)
			if (shim_ctxs[i] && shim_ctxs[i]->ring_id == hdr.id)
				c = shim_ctxs[i];
	}
	if (!c || hdr.nr != c->ev->nr || c->dead) {
		pthread_mutex_unlock(&shim_lock);
		return NULL;
	}
	{
		struct aioring_aio_ctx **pp = &shim_hash[shim_hash_of(c->user_addr)];

		while (*pp != c)
			pp = &(*pp)->hnext;
		*pp = c->hnext;
		c->user_addr = addr;
		c->hnext = shim_hash[shim_hash_of(addr)];
		shim_hash[shim_hash_of(addr)] = c;
	}
found:
	if (c->dead) {
		pthread_mutex_unlock(&shim_lock);
		return NULL;
	}
	c->users++;
	pthread_mutex_unlock(&shim_lock);
	return c;
}

static void shim_put(struct aioring_aio_ctx *c)
{
	pthread_mutex_lock(&shim_lock);
	if (--c->users == 0 && c->dead)
		pthread_cond_broadcast(&shim_users_cond);
	pthread_mutex_unlock(&shim_lock);
}

/* Events in the ring not yet reaped; the program may move head itself. */
static unsigned shim_ring_count(struct aioring_aio_ctx *c)
{
	unsigned nr = c->ev->nr;
	unsigned head = __atomic_load_n(&c->ev->head, __ATOMIC_ACQUIRE);
	unsigned tail = c->ev->tail;

	if (head >= nr)	/* a corrupted head: count the ring as full */
		return nr - 1;
	return (tail + nr - head) % nr;
}

static void shim_bell_ring(struct aioring_aio_ctx *c)
{
	uint64_t one = 1;

	if (write(c->bell, &one, sizeof(one)) < 0) {
		/* only EAGAIN at a counter near 2^64: it is readable anyway */
	}
}

static void shim_bell_reset(struct aioring_aio_ctx *c)
{
	uint64_t v;

	if (read(c->bell, &v, sizeof(v)) < 0) {
		/* EAGAIN: it was not readable */
	}
}

/*
 * Move completions from the CQ ring into the aio ring, then signal the
 * RESFD eventfds of the requests they finish: after the event is visible,
 * so a program woken by its eventfd finds it (harness case 16).
 */
static unsigned shim_drain(struct aioring_aio_ctx *c)
{
	struct aioring_cqe *cqe;
	unsigned moved = 0, nr = c->ev->nr;

	while (aioring_peek_cqe(&c->ring, &cqe) == 0 && cqe) {
		uint64_t ud = cqe->user_data;
		int32_t res = cqe->res;

		aioring_cqe_seen(&c->ring, cqe);
		if (ud == SHIM_WAKE_UD || ud == SHIM_CANCEL_UD)
			continue;
		if (ud == SHIM_PROBE_UD) {
			c->probe_res = res;
			pthread_cond_broadcast(&c->drained);
			continue;
		}
		if (ud >= c->limit) {
			fprintf(stderr, "aioring-aio: completion for no request (user_data %llu, res %d)\n",
				(unsigned long long)ud, res);
			continue;
		}
		{
			struct shim_req *r = &c->reqs[ud];
			unsigned tail = c->ev->tail;
			struct io_event *e = &c->ev->io_events[tail];

			/* fs/aio.c completes a cancelled poll with an empty mask */
			if (r->poll && r->cancelled && res == -ECANCELED)
				res = 0;
			e->data = r->data;
			e->obj = r->obj;
			e->res = res;
			e->res2 = 0;
			/*
			 * Publish the event before the new tail; pairs with a
			 * consumer's load-acquire (or volatile read) of tail.
			 */
			__atomic_store_n(&c->ev->tail, (tail + 1) % nr, __ATOMIC_RELEASE);
			if (r->resfd >= 0) {
				uint64_t one = 1;

				if (write(r->resfd, &one, sizeof(one)) < 0)
					fprintf(stderr, "aioring-aio: eventfd write: %s\n",
						strerror(errno));
				close(r->resfd);
				r->resfd = -1;
			}
			r->busy = r->poll = r->cancelled = 0;
			r->next_free = c->free_req;
			c->free_req = (int)ud;
			c->inflight--;
			moved++;
		}
	}
	if (moved) {
		shim_bell_ring(c);
		pthread_cond_broadcast(&c->drained);
	}
	return moved;
}

/*
 * May a thread other than the reaper drain the CQ ring? Not once
 * io_destroy set stop: the reaper must see the wake-up NOP and the last
 * completions itself, or it would sleep in ENTER with nothing left to wake
 * it, and io_destroy would wait for it forever. Called with cq_lock held.
 */
static void shim_drain_other(struct aioring_aio_ctx *c)
{
	if (!c->stop)
		shim_drain(c);
}

/*
 * True if @c can take no more requests (the kernel's reqs_available is
 * 0): requests in flight plus events not yet reaped fill the aio ring, or
 * every request slot is taken. Moves completions out of the CQ first, so
 * a context that is full only of finished requests is not. Called with
 * cq_lock held.
 */
static int shim_full(struct aioring_aio_ctx *c)
{
	if (c->inflight + shim_ring_count(c) >= c->limit)
		shim_drain_other(c);
	return c->inflight + shim_ring_count(c) >= c->limit || c->free_req < 0;
}

static void *shim_reaper(void *arg)
{
	struct aioring_aio_ctx *c = arg;

	/* Signals are blocked from birth (shim_start_reaper()). */
	for (;;) {
		int ret;

		/*
		 * Once io_destroy set stop, only this thread drains the CQ ring
		 * (shim_drain_other()), so the wake-up NOP and the last
		 * completions are seen here, and nothing can be taken from
		 * under us between this check and ENTER: whatever is still in
		 * flight will post a CQE that wakes it.
		 */
		pthread_mutex_lock(&c->cq_lock);
		shim_drain(c);
		if (c->stop && c->inflight == 0) {
			pthread_mutex_unlock(&c->cq_lock);
			break;
		}
		pthread_mutex_unlock(&c->cq_lock);
		ret = aioring_enter(c->ring.ring_fd, 0, 1, AIORING_ENTER_GETEVENTS,
				    NULL, NULL, 0);
		if (ret < 0 && ret != -EINTR && ret != -ETIME && ret != -EAGAIN) {
			fprintf(stderr, "aioring-aio: ENTER(GETEVENTS): %s\n", strerror(-ret));
			usleep(1000);
		}
	}
	return NULL;
}

/* SQEs prepared here or published but not yet consumed by the module */
static int shim_sq_pending(struct aioring_aio_ctx *c)
{
	return aioring_sq_ready(&c->ring) ||
	       *c->ring.sq.ktail != aioring_smp_load_acquire(c->ring.sq.khead);
}

/*
 * Hand every prepared SQE to the module, until it consumed them all.
 * aioring_submit() publishes everything in its first call, and ENTER may
 * take only some: -EBUSY while completions wait to be reaped (the reaper
 * is running whenever this is called, and reaps them), -EAGAIN short of
 * memory, -EINTR from a signal. What it left stays in the SQ ring, and
 * the next aioring_submit() counts it in to_submit. Called with sq_lock
 * held, so nobody else adds SQEs meanwhile.
 */
static int shim_flush(struct aioring_aio_ctx *c)
{
	int ret, tries = 0;

	while (shim_sq_pending(c)) {
		ret = aioring_submit(&c->ring);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
			return ret;
		if (ret > 0) {
			tries = 0;
			continue;
		}
		/* Give the reaper (or the allocator) time; do not spin. */
		if (++tries > 3)
			usleep(tries > 100 ? 1000 : 50);
		else
			sched_yield();
	}
	return 0;
}

static void shim_free(struct aioring_aio_ctx *c)
{
	if (c->reqs)
		free(c->reqs);
	if (c->ev)
		munmap(c->ev, c->ring_bytes);
	if (c->user_addr)
		munmap((void *)c->user_addr, c->ring_bytes);
	if (c->memfd >= 0)
		close(c->memfd);
	if (c->bell >= 0)
		close(c->bell);
	pthread_mutex_destroy(&c->sq_lock);
	pthread_mutex_destroy(&c->cq_lock);
	pthread_cond_destroy(&c->drained);
	free(c);
}

/*
 * io_setup: as the kernel, -EFAULT for an unreadable @ctxp, -EINVAL if
 * *ctxp is not 0 or @nr_events is not positive, -EAGAIN over aio-max-nr.
 * The ring gets at least @nr_events + 1 slots, rounded up to fill its
 * pages, so @nr_events requests can be in flight, up to 16384 (see limit
 * below; lib/aio/README.md).
 */
static int shim_io_setup(int nr_events, io_context_t *ctxp)
{
	struct aioring_params p;
	struct aioring_aio_ctx *c;
	io_context_t old;
	size_t bytes;
	unsigned nr, i, entries;
	int ret;

	pthread_once(&shim_once, shim_init);
	if (shim_peek(&old, ctxp, sizeof(old)))
		return -EFAULT;
	if (old || nr_events <= 0)
		return -EINVAL;
	/*
	 * The kernel's put_user() of the new context fails on a read-only
	 * @ctxp (-EFAULT, the context destroyed again); find out before
	 * anything exists, by writing back the 0 that is there.
	 */
	if (shim_poke(ctxp, &old, sizeof(old)))
		return -EFAULT;
	if ((unsigned)nr_events > 0x10000000U / sizeof(struct io_event))
		return -EINVAL;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->memfd = c->bell = -1;
	c->ring.ring_fd = -1;
	pthread_mutex_init(&c->sq_lock, NULL);
	pthread_mutex_init(&c->cq_lock, NULL);
	pthread_cond_init(&c->drained, NULL);

	bytes = sizeof(struct shim_aio_ring) +
		((size_t)nr_events + 1) * sizeof(struct io_event);
	bytes = (bytes + 4095) & ~(size_t)4095;
	nr = (unsigned)((bytes - sizeof(struct shim_aio_ring)) / sizeof(struct io_event));
	c->ring_bytes = bytes;

	ret = -ENOMEM;
	c->memfd = memfd_create("aioring-aio", MFD_CLOEXEC);
	if (c->memfd < 0 || ftruncate(c->memfd, (off_t)bytes) < 0)
		goto err_errno;
	c->ev = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, c->memfd, 0);
	if (c->ev == MAP_FAILED) {
		c->ev = NULL;
		goto err_errno;
	}
	{
		void *u = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
			       c->memfd, 0);

		if (u == MAP_FAILED)
			goto err_errno;
		c->user_addr = (uintptr_t)u;
	}
	c->bell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->bell < 0)
		goto err_errno;

	/*
	 * The module's CQ ring holds every request in flight and the wake-up
	 * NOP of io_destroy, so completions never wait in the kernel.
	 */
	entries = 1;
	while (entries < nr && entries < AIORING_MAX_ENTRIES)
		entries <<= 1;
	memset(&p, 0, sizeof(p));
	ret = aioring_queue_init_params(entries, &c->ring, &p);
	if (ret < 0)
		goto err;
	/*
	 * Half the CQ ring at most: the other half is room for the shim's
	 * own CQEs (a POLL_REMOVE per cancelled poll, the probe, the wake-up
	 * NOP), so completions never have to wait in the module. The CQ ring
	 * is twice the SQ ring, at most 2 * AIORING_MAX_ENTRIES, so this caps
	 * a context at 16384 requests in flight or unreaped, below n - 1 for
	 * io_setup(n > 16384).
	 */
	c->limit = nr - 1;
	if (c->limit > c->ring.cq.ring_entries / 2)
		c->limit = c->ring.cq.ring_entries / 2;
	c->reqs = calloc(c->limit, sizeof(*c->reqs));
	if (!c->reqs) {
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0; i < c->limit; i++) {
		c->reqs[i].resfd = -1;
		c->reqs[i].next_free = (int)i + 1 < (int)c->limit ? (int)i + 1 : -1;
	}
	c->free_req = 0;
	c->probe_res = 1;

	pthread_mutex_lock(&shim_lock);
	for (i = 0; i < shim_nr_ctxs; i++)
		if (!shim_ctxs[i])
			break;
	if (i == shim_nr_ctxs) {
		struct aioring_aio_ctx **n = realloc(shim_ctxs,
						     (shim_nr_ctxs + 16) * sizeof(*n));

		if (!n) {
			pthread_mutex_unlock(&shim_lock);
			ret = -ENOMEM;
			goto err;
		}
		memset(n + shim_nr_ctxs, 0, 16 * sizeof(*n));
		shim_ctxs = n;
		shim_nr_ctxs += 16;
	}
	c->id = i;
	c->ring_id = shim_next_ring_id++;
	c->ev->id = c->ring_id;
	c->ev->nr = nr;
	c->ev->head = c->ev->tail = 0;
	c->ev->compat_features = AIO_RING_COMPAT_FEATURES;
	c->ev->incompat_features = 0;
	c->ev->header_length = sizeof(struct shim_aio_ring);
	c->ev->magic = AIO_RING_MAGIC;
	shim_ctxs[i] = c;
	c->hnext = shim_hash[shim_hash_of(c->user_addr)];
	shim_hash[shim_hash_of(c->user_addr)] = c;
	pthread_mutex_unlock(&shim_lock);

	*ctxp = (io_context_t)c->user_addr;
	return 0;

err_errno:
	ret = -errno;
err:
	if (c->ring.ring_fd >= 0)
		aioring_queue_exit(&c->ring);
	shim_free(c);
	return ret;
}

static int shim_cancel_polls(struct aioring_aio_ctx *c, int slot);

static void shim_print_stats(struct aioring_aio_ctx *c)
{
	struct aioring_stats s;
	const char *env = getenv("AIORING_AIO_STATS");

	if (!env || strcmp(env, "1") || aioring_get_stats(&c->ring, &s))
		return;
	fprintf(stderr, "aioring-aio: stats pid %d ctx %u: submitted=%llu completed_inline=%llu "
		"completed_waitq=%llu waitq_retries=%llu punted=%llu eagain=%llu "
		"completed_async=%llu cq_overflow=%llu enter_calls=%llu\n",
		(int)getpid(), c->id,
		(unsigned long long)s.submitted, (unsigned long long)s.completed_inline,
		(unsigned long long)s.completed_waitq, (unsigned long long)s.waitq_retries,
		(unsigned long long)s.punted, (unsigned long long)s.eagain,
		(unsigned long long)s.completed_async, (unsigned long long)s.cq_overflow,
		(unsigned long long)s.enter_calls);
}

/*
 * io_destroy: the context disappears at once (later calls get -EINVAL,
 * waiters in io_getevents return -EINVAL), then it waits for every request
 * in flight to complete before it frees anything, as the kernel does.
 */
static int shim_io_destroy(io_context_t ctx)
{
	struct aioring_aio_ctx *c, **pp;
	struct aioring_sqe *sqe;

	c = shim_get(ctx);
	if (!c)
		return -EINVAL;
	pthread_mutex_lock(&shim_lock);
	if (c->dead) {
		/* another thread destroyed it first */
		pthread_mutex_unlock(&shim_lock);
		shim_put(c);
		return -EINVAL;
	}
	c->dead = 1;
	pp = &shim_hash[shim_hash_of(c->user_addr)];
	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	shim_ctxs[c->id] = NULL;
	pthread_mutex_unlock(&shim_lock);
	/*
	 * Wake io_getevents sleepers: they see gone and leave. The bell is
	 * never reset after this, so a waiter that checked gone just before
	 * and is on its way into ppoll() wakes too, however many others
	 * came and went first.
	 */
	pthread_mutex_lock(&c->cq_lock);
	c->gone = 1;
	shim_bell_ring(c);
	pthread_mutex_unlock(&c->cq_lock);

	pthread_mutex_lock(&c->sq_lock);
	/*
	 * An io_submit or io_cancel that found the context before dead was
	 * set may be waiting for sq_lock: it must not start a new reaper or
	 * queue I/O on a context about to be freed.
	 */
	c->closing = 1;
	if (c->reaper_on) {
		/* Pending polls would never end: the kernel cancels them too. */
		shim_cancel_polls(c, -1);
		pthread_mutex_lock(&c->cq_lock);
		c->stop = 1;
		pthread_mutex_unlock(&c->cq_lock);
		/* A CQE wakes the reaper from ENTER(GETEVENTS). */
		while (!(sqe = aioring_get_sqe(&c->ring)))
			shim_flush(c);
		aioring_prep_nop(sqe);
		sqe->user_data = SHIM_WAKE_UD;
		shim_flush(c);
		/* It exits once nothing is in flight. */
		pthread_join(c->reaper, NULL);
		c->reaper_on = 0;
	}
	pthread_mutex_unlock(&c->sq_lock);

	pthread_mutex_lock(&shim_lock);
	c->users--;
	while (c->users)
		pthread_cond_wait(&shim_users_cond, &shim_lock);
	pthread_mutex_unlock(&shim_lock);

	shim_print_stats(c);
	aioring_queue_exit(&c->ring);
	shim_free(c);
	return 0;
}

/*
 * Is @fd an eventfd? The kernel's eventfd_ctx_fdget() says -EBADF for no
 * file and -EINVAL for another kind; fdinfo of an eventfd has
 * "eventfd-count".
 */
static int shim_check_eventfd(int fd)
{
	char path[64], buf[256];
	ssize_t n;
	int f;

	if (fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)	/* no /proc: the fd exists, take it as an eventfd */
		return 0;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return -EINVAL;
	buf[n] = '\0';
	return strstr(buf, "eventfd-count") ? 0 : -EINVAL;
}

/* iovec array of a vectored iocb: -EINVAL/-EFAULT as import_iovec() */
static int shim_check_iovec(const struct iocb *cb)
{
	struct iovec stack[16], *iov = stack;
	unsigned long i, n = cb->aio_nbytes;
	uint64_t total = 0;
	int ret = 0;

	if (n > SHIM_UIO_MAXIOV)
		return -EINVAL;
	if (n == 0)
		return 0;
	if (n > 16 && !(iov = malloc(n * sizeof(*iov))))
		return -ENOMEM;
	if (shim_peek(iov, (void *)(uintptr_t)cb->aio_buf, n * sizeof(*iov))) {
		ret = -EFAULT;
		goto out;
	}
	for (i = 0; i < n; i++) {
		uint64_t a = (uintptr_t)iov[i].iov_base, l = iov[i].iov_len;

		if ((int64_t)l < 0) {
			ret = -EINVAL;
			goto out;
		}
		if (a + l > SHIM_TASK_SIZE || a + l < a) {
			ret = -EFAULT;
			goto out;
		}
		total += l;
		if (total > SSIZE_MAX) {
			ret = -EINVAL;
			goto out;
		}
	}
out:
	if (iov != stack)
		free(iov);
	return ret;
}

/* CAP_SYS_NICE or CAP_SYS_ADMIN in the effective set (capable()) */
static int shim_capable_rt(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return 0;
	return !!(d[0].effective & ((1U << CAP_SYS_NICE) | (1U << CAP_SYS_ADMIN)));
}

/*
 * IOCB_FLAG_IOPRIO: ioprio_check_cap() as far as every kernel from 5.10
 * on agrees. The class is the top 3 bits: NONE (0) with a level is
 * -EINVAL, RT (1) needs CAP_SYS_NICE or CAP_SYS_ADMIN (-EPERM), BE (2)
 * and IDLE (3) are fine, 4..7 are -EINVAL. Bits 3..12 under BE/RT are
 * hints since 6.5 and -EINVAL before; they are accepted here. The
 * priority itself is not passed on (the module has no per-request
 * priority).
 */
static int shim_check_ioprio(unsigned prio)
{
	unsigned class = (prio >> 13) & 7, level = prio & 7;

	switch (class) {
	case 0:
		return level ? -EINVAL : 0;
	case 1:
		return shim_capable_rt() ? 0 : -EPERM;
	case 2:
	case 3:
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * What io_submit_one() checks before it takes a request (aio_get_req(),
 * whose failure is -EAGAIN): a reserved field, the overflow checks.
 */
static int shim_prep_early(const struct iocb *cb)
{
	if (cb->aio_reserved2)
		return -EINVAL;
	if ((int64_t)cb->aio_nbytes < 0)
		return -EINVAL;
	return 0;
}

/*
 * The checks __io_submit_one() and the opcodes' prep make once the request
 * exists, in their order, with their errors. On success the SQE fields are
 * filled in @sqe and *@resfd holds a dup of the RESFD eventfd (or -1).
 */
static int shim_prep(const struct iocb *cb, struct aioring_sqe *sqe, int *resfd,
		     int poll_ok)
{
	int fd = (int)cb->aio_fildes, fl, acc, ret;

	*resfd = -1;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_PATH))
		return -EBADF;
	if (cb->aio_flags & IOCB_FLAG_RESFD) {
		ret = shim_check_eventfd((int)cb->aio_resfd);
		if (ret)
			return ret;
	}
	acc = fl & O_ACCMODE;
	memset(sqe, 0, sizeof(*sqe));
	sqe->fd = fd;
	switch (cb->aio_lio_opcode) {
	case IOCB_CMD_PREAD:
	case IOCB_CMD_PREADV:
	case IOCB_CMD_PWRITE:
	case IOCB_CMD_PWRITEV: {
		int write = cb->aio_lio_opcode == IOCB_CMD_PWRITE ||
			    cb->aio_lio_opcode == IOCB_CMD_PWRITEV;
		int vec = cb->aio_lio_opcode == IOCB_CMD_PREADV ||
			  cb->aio_lio_opcode == IOCB_CMD_PWRITEV;

		/* aio_prep_rw(): the priority, then the RWF_* flags */
		if (cb->aio_flags & IOCB_FLAG_IOPRIO) {
			ret = shim_check_ioprio(cb->aio_reqprio);
			if (ret)
				return ret;
		}
		if (cb->aio_rw_flags & ~SHIM_RWF_KNOWN)
			return -EOPNOTSUPP;
		if (write ? acc == O_RDONLY : acc == O_WRONLY)
			return -EBADF;
		if (vec) {
			ret = shim_check_iovec(cb);
			if (ret)
				return ret;
			sqe->opcode = write ? AIORING_OP_WRITEV : AIORING_OP_READV;
		} else {
			if (cb->aio_nbytes > UINT32_MAX)
				return -EINVAL;
			if (cb->aio_buf + cb->aio_nbytes > SHIM_TASK_SIZE ||
			    cb->aio_buf + cb->aio_nbytes < cb->aio_buf)
				return -EFAULT;
			sqe->opcode = write ? AIORING_OP_WRITE : AIORING_OP_READ;
		}
		/* rw_verify_area(); the module would take -1 as "current position" */
		if (cb->aio_offset < 0)
			return -EINVAL;
		sqe->addr = cb->aio_buf;
		sqe->len = (uint32_t)cb->aio_nbytes;
		sqe->off = (uint64_t)cb->aio_offset;
		sqe->rw_flags = (uint32_t)cb->aio_rw_flags;
		break;
	}
	case IOCB_CMD_FSYNC:
	case IOCB_CMD_FDSYNC:
		if (cb->aio_buf || cb->aio_offset || cb->aio_nbytes || cb->aio_rw_flags)
			return -EINVAL;
		sqe->opcode = AIORING_OP_FSYNC;
		if (cb->aio_lio_opcode == IOCB_CMD_FDSYNC)
			sqe->fsync_flags = AIORING_FSYNC_DATASYNC;
		break;
	case IOCB_CMD_POLL:
		/* aio_poll(): the events are a 16-bit mask in aio_buf */
		if ((uint16_t)cb->aio_buf != cb->aio_buf)
			return -EINVAL;
		if (cb->aio_offset || cb->aio_nbytes || cb->aio_rw_flags)
			return -EINVAL;
		if (!poll_ok)
			return -EINVAL;
		aioring_prep_poll_add(sqe, fd, (unsigned)cb->aio_buf);
		break;
	default:
		return -EINVAL;
	}
	if (cb->aio_flags & IOCB_FLAG_RESFD) {
		*resfd = fcntl((int)cb->aio_resfd, F_DUPFD_CLOEXEC, 0);
		if (*resfd < 0)
			return -errno;
	}
	return 0;
}

static int shim_start_reaper(struct aioring_aio_ctx *c)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int ret;

	/*
	 * The program's signals are for its own threads: the reaper inherits
	 * a mask blocking all of them, so not even one sent between its
	 * creation and its first instruction can be delivered to it.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	ret = pthread_create(&c->reaper, &attr, shim_reaper, c);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return -ret;
	c->reaper_on = 1;
	return 0;
}

/*
 * Does the module have AIORING_OP_POLL_ADD? Asked once per process with a
 * POLL_REMOVE of nothing: -ENOENT if it polls, -EINVAL from a module
 * without the opcode. Called with sq_lock held and the reaper running.
 */
static int shim_poll_supported(struct aioring_aio_ctx *c)
{
	static int known;	/* 1: yes, -1: no */
	struct aioring_sqe *sqe;

	if (known)
		return known > 0;
	while (!(sqe = aioring_get_sqe(&c->ring)))
		shim_flush(c);
	aioring_prep_poll_remove(sqe, SHIM_PROBE_UD);
	sqe->user_data = SHIM_PROBE_UD;
	pthread_mutex_lock(&c->cq_lock);
	c->probe_res = 1;
	pthread_mutex_unlock(&c->cq_lock);
	shim_flush(c);
	pthread_mutex_lock(&c->cq_lock);
	while (c->probe_res == 1)
		pthread_cond_wait(&c->drained, &c->cq_lock);
	known = c->probe_res == -ENOENT ? 1 : -1;
	pthread_mutex_unlock(&c->cq_lock);
	return known > 0;
}

/*
 * Cancel the pending poll in @slot (or every pending poll, @slot < 0):
 * POLL_REMOVE, whose own CQE is dropped; the poll completes with res 0.
 * Returns how many were cancelled. Called with sq_lock held.
 */
static int shim_cancel_polls(struct aioring_aio_ctx *c, int slot)
{
	struct aioring_sqe *sqe;
	unsigned i;
	int n = 0;

	for (i = 0; i < c->limit; i++) {
		struct shim_req *r = &c->reqs[i];
		int hit;

		if (slot >= 0 && (unsigned)slot != i)
			continue;
		pthread_mutex_lock(&c->cq_lock);
		hit = r->busy && r->poll && !r->cancelled;
		if (hit)
			r->cancelled = 1;
		pthread_mutex_unlock(&c->cq_lock);
		if (!hit)
			continue;
		while (!(sqe = aioring_get_sqe(&c->ring)))
			shim_flush(c);
		aioring_prep_poll_remove(sqe, i);
		sqe->user_data = SHIM_CANCEL_UD;
		n++;
	}
	if (n)
		shim_flush(c);
	return n;
}

/* How many iocbs io_submit reads per process_vm_readv() */
#define SHIM_BATCH	64

/*
 * io_submit: the number of iocbs queued, or the error of the first one if
 * none was; -EINVAL for a bad context or @nr < 0, -EFAULT for a bad array.
 */
static int shim_io_submit(io_context_t ctx, long nr, struct iocb **iocbpp)
{
	struct aioring_aio_ctx *c;
	struct iocb *ptrs[SHIM_BATCH];
	struct iocb cbs[SHIM_BATCH];
	struct iovec l[SHIM_BATCH], r[SHIM_BATCH];
	long done = 0;
	int err = 0, ret, poll_ok = 0;

	if (nr < 0)
		return -EINVAL;
	c = shim_get(ctx);
	if (!c)
		return -EINVAL;
	if (nr > c->ev->nr)
		nr = c->ev->nr;
	pthread_mutex_lock(&c->sq_lock);
	if (c->closing) {
		err = -EINVAL;	/* io_destroy won the race: as lookup_ioctx() */
		goto out;
	}
	if (nr && !c->reaper_on) {
		err = shim_start_reaper(c);
		if (err)
			goto out;
	}
	while (done < nr && !err) {
		long n = nr - done, i, got;
		ssize_t bytes;

		if (n > SHIM_BATCH)
			n = SHIM_BATCH;
		l[0].iov_base = ptrs;
		l[0].iov_len = n * sizeof(ptrs[0]);
		r[0].iov_base = iocbpp + done;
		r[0].iov_len = l[0].iov_len;
		bytes = shim_peek_iov(l, r, 1);
		if (bytes < 0) {
			err = (int)bytes;
			break;
		}
		got = bytes / (ssize_t)sizeof(ptrs[0]);
		if (got < n) {
			n = got;
			err = -EFAULT;	/* after the ones before it */
		}
		for (i = 0; i < n; i++) {
			l[i].iov_base = &cbs[i];
			l[i].iov_len = sizeof(cbs[i]);
			r[i].iov_base = ptrs[i];
			r[i].iov_len = sizeof(cbs[i]);
		}
		bytes = n ? shim_peek_iov(l, r, (unsigned long)n) : 0;
		if (bytes < 0) {
			err = (int)bytes;
			break;
		}
		got = bytes / (ssize_t)sizeof(cbs[0]);
		if (got < n) {
			n = got;
			err = -EFAULT;
		}
		for (i = 0; i < n; i++) {
			struct aioring_sqe tmp, *sqe;
			int resfd, slot, full;

			ret = shim_prep_early(&cbs[i]);
			if (ret) {
				err = ret;
				break;
			}
			/*
			 * A full context is -EAGAIN before the fd, RESFD or
			 * opcode is looked at, as aio_get_req() comes first in
			 * io_submit_one(). With sq_lock held the count can only
			 * go down until the slot is reserved below.
			 */
			pthread_mutex_lock(&c->cq_lock);
			full = shim_full(c);
			pthread_mutex_unlock(&c->cq_lock);
			if (full) {
				err = -EAGAIN;
				break;
			}
			if (cbs[i].aio_lio_opcode == IOCB_CMD_POLL && !poll_ok)
				poll_ok = shim_poll_supported(c);
			ret = shim_prep(&cbs[i], &tmp, &resfd, poll_ok);
			if (!ret && cbs[i].aio_key) {
				/* put_user(KIOCB_KEY, &iocb->aio_key): -EFAULT if read-only */
				static const __u32 key;

				ret = shim_poke(&ptrs[i]->aio_key, &key, sizeof(key));
				if (ret && resfd >= 0)
					close(resfd);
			}
			if (ret) {
				err = ret;
				break;
			}
			/* Reserve a slot in the aio ring: the kernel's reqs_available. */
			pthread_mutex_lock(&c->cq_lock);
			if (shim_full(c)) {
				pthread_mutex_unlock(&c->cq_lock);
				if (resfd >= 0)
					close(resfd);
				err = -EAGAIN;
				break;
			}
			slot = c->free_req;
			c->free_req = c->reqs[slot].next_free;
			c->reqs[slot].data = cbs[i].aio_data;
			c->reqs[slot].obj = (uint64_t)(uintptr_t)ptrs[i];
			c->reqs[slot].resfd = resfd;
			c->reqs[slot].busy = 1;
			c->reqs[slot].poll = cbs[i].aio_lio_opcode == IOCB_CMD_POLL;
			c->inflight++;
			pthread_mutex_unlock(&c->cq_lock);

			while (!(sqe = aioring_get_sqe(&c->ring))) {
				ret = shim_flush(c);
				if (ret)
					fprintf(stderr, "aioring-aio: submit: %s\n", strerror(-ret));
			}
			tmp.user_data = (uint64_t)slot;
			*sqe = tmp;
			done++;
		}
	}
	ret = shim_flush(c);
	if (ret)
		fprintf(stderr, "aioring-aio: submit: %s\n", strerror(-ret));
	/* Requests that completed inline are in the aio ring on return. */
	pthread_mutex_lock(&c->cq_lock);
	shim_drain_other(c);
	pthread_mutex_unlock(&c->cq_lock);
out:
	pthread_mutex_unlock(&c->sq_lock);
	shim_put(c);
	return done ? (int)done : err;
}

static int shim_timespec_ns(const struct timespec *ts, int64_t *ns)
{
	struct timespec t;

	/*
	 * io_getevents does not validate the timespec: it is turned into a
	 * ktime as it is (a tv_nsec of 2e9 is 2 s, a negative one no wait).
	 */
	if (shim_peek(&t, ts, sizeof(t)))
		return -EFAULT;
	if (t.tv_sec > INT64_MAX / 1000000000LL - 2)
		*ns = INT64_MAX / 2;
	else if (t.tv_sec < -(INT64_MAX / 1000000000LL - 2))
		*ns = 0;
	else
		*ns = (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
	if (*ns < 0)
		*ns = 0;
	return 0;
}

static int64_t shim_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/*
 * io_getevents/io_pgetevents: wait until at least @min_nr events are there
 * (or the timeout passes, or a signal arrives) and return up to @nr.
 */
static int shim_getevents(io_context_t ctx, long min_nr, long nr,
			  struct io_event *events, const struct timespec *timeout,
			  const sigset_t *sigmask)
{
	struct aioring_aio_ctx *c;
	int64_t deadline = 0, ns = 0;
	long got = 0;
	int ret = 0, wait_one, efault = 0;

	c = shim_get(ctx);
	if (!c)
		return -EINVAL;
	/*
	 * libaio's io_getevents answers 0 without a system call when the
	 * timeout is zero and the ring is empty, before the kernel would
	 * check the arguments.
	 */
	if (timeout && !timeout->tv_sec && !timeout->tv_nsec) {
		int empty;

		pthread_mutex_lock(&c->cq_lock);
		shim_drain_other(c);
		empty = c->ev->head == c->ev->tail;
		pthread_mutex_unlock(&c->cq_lock);
		if (empty) {
			shim_put(c);
			return 0;
		}
	}
	if (min_nr < 0 || nr < 0 || min_nr > nr) {
		shim_put(c);
		return -EINVAL;
	}
	if (timeout) {
		ret = shim_timespec_ns(timeout, &ns);
		if (ret) {
			shim_put(c);
			return ret;
		}
		deadline = shim_now_ns() + ns;
		if (deadline < ns)
			deadline = INT64_MAX;
	}
	/*
	 * The one intentional difference from the system call. With min_nr 0
	 * the kernel returns at once with what is there; for buffered I/O that
	 * was everything submitted, because kernel AIO did buffered I/O inside
	 * io_submit. Programs (libaio's own harness: sync_submit()) rely on
	 * it: io_submit, then io_getevents(ctx, 0, 1, &ev, 30 s) expecting the
	 * event. Here buffered I/O really is asynchronous, so with min_nr 0, a
	 * nonzero timeout and requests in flight, wait (up to the timeout)
	 * for the first event. A zero or NULL timeout still returns at once.
	 */
	wait_one = min_nr == 0 && nr > 0 && timeout && ns > 0;
	for (;;) {
		struct pollfd pfd;
		struct timespec rel, *relp = NULL;
		int gone;

		pthread_mutex_lock(&c->cq_lock);
		shim_drain_other(c);
		while (got < nr) {
			unsigned nre = c->ev->nr;
			unsigned head = __atomic_load_n(&c->ev->head, __ATOMIC_ACQUIRE);
			unsigned tail = c->ev->tail;
			long k;

			if (head >= nre || head == tail)
				break;
			/* the events up to the tail or the end of the ring */
			k = (long)((tail > head ? tail : nre) - head);
			if (k > nr - got)
				k = nr - got;
			/*
			 * copy_to_user() of aio_read_events_ring(): an unwritable
			 * @events is -EFAULT and the events stay in the ring.
			 */
			if (shim_poke(events + got, &c->ev->io_events[head],
				      (size_t)k * sizeof(*events))) {
				ret = -EFAULT;
				efault = 1;
				break;
			}
			got += k;
			/* The slots may be refilled once head has passed them. */
			__atomic_store_n(&c->ev->head, (head + (unsigned)k) % nre,
					 __ATOMIC_RELEASE);
		}
		gone = c->gone;
		if (c->ev->head == c->ev->tail && !gone)
			shim_bell_reset(c);
		if ((got >= min_nr && !(wait_one && got == 0 && c->inflight)) ||
		    got == nr || efault) {
			pthread_mutex_unlock(&c->cq_lock);
			break;
		}
		pthread_mutex_unlock(&c->cq_lock);
		if (gone) {
			ret = -EINVAL;	/* as read_events() on a dead kioctx */
			break;
		}
		if (timeout) {
			int64_t left = deadline - shim_now_ns();

			if (left <= 0)
				break;
			rel.tv_sec = left / 1000000000LL;
			rel.tv_nsec = left % 1000000000LL;
			relp = &rel;
		}
		pfd.fd = c->bell;
		pfd.events = POLLIN;
		pfd.revents = 0;
		/*
		 * Every failure ends the wait: -EINTR, -EFAULT for an
		 * unreadable sigmask (as the system call's set_user_sigmask()),
		 * -ENOMEM. A bell the program closed under us (closefrom())
		 * would poll as POLLNVAL for ever: -EBADF instead of spinning.
		 */
		if (ppoll(&pfd, 1, relp, sigmask) < 0) {
			ret = -errno;
			break;
		}
		if (pfd.revents & POLLNVAL) {
			ret = -EBADF;
			break;
		}
	}
	shim_put(c);
	if (got)
		return (int)got;
	return ret;
}

static int shim_io_getevents(io_context_t ctx, long min_nr, long nr,
			     struct io_event *events, struct timespec *timeout)
{
	return shim_getevents(ctx, min_nr, nr, events, timeout, NULL);
}

static int shim_io_pgetevents(io_context_t ctx, long min_nr, long nr,
			      struct io_event *events, struct timespec *timeout,
			      sigset_t *sigmask)
{
	return shim_getevents(ctx, min_nr, nr, events, timeout, sigmask);
}

/*
 * io_cancel: as fs/aio.c, only polls can be cancelled: -EINPROGRESS, and
 * the poll's event (res 0) comes through the ring; a read, write or fsync
 * in flight, or an iocb not in flight, is -EINVAL. -EFAULT for an
 * unreadable iocb, -EINVAL for a key io_submit did not set or a bad
 * context. @evt is not written (the kernel ignores it too).
 */
static int shim_io_cancel(io_context_t ctx, struct iocb *iocb, struct io_event *evt)
{
	struct aioring_aio_ctx *c;
	struct iocb cb;
	unsigned i;
	int ret = -EINVAL, slot = -1;

	(void)evt;
	if (shim_peek(&cb, iocb, sizeof(cb)))
		return -EFAULT;
	if (cb.aio_key != 0)
		return -EINVAL;
	c = shim_get(ctx);
	if (!c)
		return -EINVAL;
	pthread_mutex_lock(&c->sq_lock);
	if (c->closing) {
		pthread_mutex_unlock(&c->sq_lock);
		shim_put(c);
		return -EINVAL;
	}
	pthread_mutex_lock(&c->cq_lock);
	for (i = 0; i < c->limit; i++) {
		struct shim_req *r = &c->reqs[i];

		if (r->busy && r->obj == (uint64_t)(uintptr_t)iocb) {
			if (r->poll && !r->cancelled)
				slot = (int)i;
			break;
		}
	}
	pthread_mutex_unlock(&c->cq_lock);
	if (slot >= 0 && shim_cancel_polls(c, slot))
		ret = -EINPROGRESS;
	pthread_mutex_unlock(&c->sq_lock);
	shim_put(c);
	return ret;
}

/* libaio's own helpers, so none of libaio.so.1's code runs. */
static int shim_io_queue_init(int maxevents, io_context_t *ctxp)
{
	if (maxevents <= 0)
		return -EINVAL;
	*ctxp = NULL;
	return shim_io_setup(maxevents, ctxp);
}

static int shim_io_queue_release(io_context_t ctx)
{
	return shim_io_destroy(ctx);
}

typedef void (*shim_io_callback_t)(io_context_t ctx, struct iocb *iocb,
				   long res, long res2);

static int shim_io_queue_run(io_context_t ctx)
{
	static struct timespec zero;
	struct io_event ev;
	int ret;

	while ((ret = shim_io_getevents(ctx, 0, 1, &ev, &zero)) == 1) {
		shim_io_callback_t cb = (shim_io_callback_t)(uintptr_t)ev.data;

		cb(ctx, (struct iocb *)(uintptr_t)ev.obj, (long)ev.res, (long)ev.res2);
	}
	return ret;
}

static int shim_io_queue_wait(io_context_t ctx, struct timespec *timeout)
{
	return shim_io_getevents(ctx, 0, 0, NULL, timeout);
}

/* LIBAIO_0.1 compat versions, as libaio's compat-0_1.c */
static int shim_io_getevents_0_1(io_context_t ctx, long nr, struct io_event *events,
				 const struct timespec *timeout)
{
	return shim_getevents(ctx, 1, nr, events, timeout, NULL);
}

static int shim_io_cancel_0_1(io_context_t ctx, struct iocb *iocb)
{
	struct io_event ev;

	return shim_io_cancel(ctx, iocb, &ev);
}

static int shim_io_queue_wait_0_1(io_context_t ctx, const struct timespec *when)
{
	return shim_getevents(ctx, 0, 0, NULL, when, NULL);
}

/*
 * Exports: the implementations under libaio's versioned names. The
 * compiler must keep them although nothing here calls some of them.
 */
#define SHIM_EXPORTED	SHIM_EXPORT __attribute__((used))

/*
 * Every export runs with thread cancellation disabled: ppoll() in
 * io_getevents, and the open/read/fcntl/usleep calls made with sq_lock
 * held or a user reference taken, are cancellation points, and a thread
 * cancelled there would leave the lock held or the reference taken
 * (io_destroy would then wait for ever). libaio's system calls are not
 * cancellation points either. errno is left as it was, as libaio (which
 * returns -errno and restores errno around syscall()) leaves it.
 */
#define SHIM_CALL(expr) do {						\
	int __cs, __ret, __errno = errno;				\
									\
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &__cs);		\
	__ret = (expr);							\
	pthread_setcancelstate(__cs, NULL);				\
	errno = __errno;						\
	return __ret;							\
} while (0)

SHIM_EXPORTED int aioring_aio_io_setup(int n, io_context_t *ctxp)
{ SHIM_CALL(shim_io_setup(n, ctxp)); }
SYMVER(aioring_aio_io_setup, "io_setup@@LIBAIO_0.4");

SHIM_EXPORTED int aioring_aio_io_destroy(io_context_t ctx)
{ SHIM_CALL(shim_io_destroy(ctx)); }
SYMVER(aioring_aio_io_destroy, "io_destroy@@LIBAIO_0.4");

SHIM_EXPORTED int aioring_aio_io_submit(io_context_t ctx, long nr, struct iocb **ios)
{ SHIM_CALL(shim_io_submit(ctx, nr, ios)); }
SYMVER(aioring_aio_io_submit, "io_submit@@LIBAIO_0.1");

SHIM_EXPORTED int aioring_aio_io_getevents(io_context_t ctx, long min_nr, long nr,
					   struct io_event *events, struct timespec *timeout)
{ SHIM_CALL(shim_io_getevents(ctx, min_nr, nr, events, timeout)); }
SYMVER(aioring_aio_io_getevents, "io_getevents@@LIBAIO_0.4");

SHIM_EXPORTED int aioring_aio_io_getevents_0_1(io_context_t ctx, long nr,
					       struct io_event *events,
					       const struct timespec *timeout)
{ SHIM_CALL(shim_io_getevents_0_1(ctx, nr, events, timeout)); }
SYMVER(aioring_aio_io_getevents_0_1, "io_getevents@LIBAIO_0.1");

SHIM_EXPORTED int aioring_aio_io_pgetevents(io_context_t ctx, long min_nr, long nr,
					    struct io_event *events,
					    struct timespec *timeout, sigset_t *sigmask)
{ SHIM_CALL(shim_io_pgetevents(ctx, min_nr, nr, events, timeout, sigmask)); }
SYMVER(aioring_aio_io_pgetevents, "io_pgetevents@@LIBAIO_0.5");

SHIM_EXPORTED int aioring_aio_io_cancel(io_context_t ctx, struct iocb *iocb,
					struct io_event *evt)
{ SHIM_CALL(shim_io_cancel(ctx, iocb, evt)); }
SYMVER(aioring_aio_io_cancel, "io_cancel@@LIBAIO_0.4");

SHIM_EXPORTED int aioring_aio_io_cancel_0_1(io_context_t ctx, struct iocb *iocb)
{ SHIM_CALL(shim_io_cancel_0_1(ctx, iocb)); }
SYMVER(aioring_aio_io_cancel_0_1, "io_cancel@LIBAIO_0.1");

SHIM_EXPORTED int aioring_aio_io_queue_init(int maxevents, io_context_t *ctxp)
{ SHIM_CALL(shim_io_queue_init(maxevents, ctxp)); }
SYMVER(aioring_aio_io_queue_init, "io_queue_init@@LIBAIO_0.1");

SHIM_EXPORTED int aioring_aio_io_queue_release(io_context_t ctx)
{ SHIM_CALL(shim_io_queue_release(ctx)); }
SYMVER(aioring_aio_io_queue_release, "io_queue_release@@LIBAIO_0.1");

SHIM_EXPORTED int aioring_aio_io_queue_run(io_context_t ctx)
{ SHIM_CALL(shim_io_queue_run(ctx)); }
SYMVER(aioring_aio_io_queue_run, "io_queue_run@@LIBAIO_0.1");

SHIM_EXPORTED int aioring_aio_io_queue_wait(io_context_t ctx, struct timespec *timeout)
{ SHIM_CALL(shim_io_queue_wait(ctx, timeout)); }
SYMVER(aioring_aio_io_queue_wait, "io_queue_wait@@LIBAIO_0.4");

SHIM_EXPORTED int aioring_aio_io_queue_wait_0_1(io_context_t ctx,
						const struct timespec *when)
{ SHIM_CALL(shim_io_queue_wait_0_1(ctx, when)); }
SYMVER(aioring_aio_io_queue_wait_0_1, "io_queue_wait@LIBAIO_0.1");
