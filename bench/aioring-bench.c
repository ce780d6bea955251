/* SPDX-License-Identifier: MIT */
/*
 * aioring-bench: one workload, one engine, one result line; or a table of
 * result lines with ratios to io_uring.
 *
 * Modelled on fio's t/io_uring: the ring engines drive the rings directly
 * (the SQ tail, the SQE array and the CQ ring), with the same loop for
 * io_uring and aioring, because aioring's rings have io_uring's layout; only
 * the enter call differs (io_uring_enter(2) against AIORING_IOC_ENTER). liburing
 * is used for io_uring's setup and mappings, libaioring for aioring's.
 *
 *   aioring-bench run [options]       one run, prints a "BENCH ..." line
 *   aioring-bench report [FILE]       reads BENCH lines, prints the table
 *
 * Engines: psync (QD threads, each doing pread: psync is QD1 per thread, as
 * fio's psync with numjobs=QD), libaio (io_submit/io_getevents), io_uring,
 * aioring (-m inline|sqwq). Workloads: nop (NOP submit+complete), read
 * (random reads of -b bytes over the file or device, each block once per
 * pass: offsets come from a random permutation, as fio's random map).
 *
 * Measured over the timed part of the run only (setup and warming excluded):
 * IOPS; process CPU per I/O (getrusage of the whole process: it includes
 * io_uring's io-wq threads, which belong to the process, but not aioring's
 * kernel worker threads or any softirq work done on behalf of others);
 * system CPU per I/O (busy time of every CPU from /proc/stat, which counts
 * everything, and also the noise of an otherwise idle guest); enter calls
 * per I/O (io_uring_enter / AIORING_IOC_ENTER, io_submit + io_getevents,
 * pread). For aioring rings the AIORING_IOC_STATS counters of the run show
 * which path the requests took.
 *
 * Absolute numbers under QEMU without KVM mean little: compare engines
 * within one guest run, through the ratios.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libaio.h>
#include <stdarg.h>
#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "aioring.h"
#include "libaioring.h"

#ifndef BLKGETSIZE64
#define BLKGETSIZE64 _IOR(0x12, 114, size_t)
#endif

/* P5 needs the SQ thread and IOPOLL; built without them it reports n/a. */
#if defined(AIORING_SETUP_SQTHREAD) && defined(AIORING_SETUP_IOPOLL)
#define BENCH_AIORING_SQTHREAD 1
#endif

enum engine { E_PSYNC, E_LIBAIO, E_IO_URING, E_AIORING };
enum workload { W_NOP, W_READ };

struct opts {
	const char *label;	/* P1..P5, copied into the result line */
	enum engine engine;
	enum workload wl;
	const char *mode;	/* aioring: inline, sqwq, sqthread */
	const char *file;
	unsigned qd, bs, batch_submit, batch_complete;
	double secs;
	uint64_t max_ios;
	bool direct, cold, warm, sqpoll, iopoll;
	unsigned workers;	/* aioring max_workers; 0 = module default */
	double limit_iops;	/* physical limit, shown as a percentage */
};

/* ---- shared state of one run ---- */

static struct opts o = {
	.label = "-", .engine = E_IO_URING, .wl = W_READ, .mode = "inline",
	.qd = 32, .bs = 4096, .secs = 5.0,
};
static int fd = -1;
static uint64_t nblocks;		/* blocks of bs in the file */
static uint32_t *perm;			/* random permutation of the blocks */
static atomic_uint_fast64_t next_idx;	/* next entry of perm to read */
static char *bufs;			/* qd buffers of bs bytes */
static double t_end;			/* CLOCK_MONOTONIC seconds */
static atomic_bool stop;
static uint64_t n_enter;		/* enter-type system calls */
static uint64_t n_errors;		/* completions with an unexpected result */
static int first_error;
static char extra[512];			/* engine-specific note for the line */
static bool fixed_file;			/* SQEs name registered file 0 */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "aioring-bench: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* "Not available" is a result, not a failure: P5 before the SQ thread. */
static void not_available(const char *why)
{
	printf("BENCH %s engine=%s na=1 why=%s\n", o.label,
	       o.engine == E_AIORING ? "aioring" : "io_uring", why);
	fflush(stdout);
	exit(0);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static uint64_t next_offset(void)
{
	uint64_t i = atomic_fetch_add_explicit(&next_idx, 1, memory_order_relaxed);

	return (uint64_t)perm[i % nblocks] * o.bs;
}

static bool time_up(uint64_t done)
{
	if (atomic_load_explicit(&stop, memory_order_relaxed))
		return true;
	if ((o.max_ios && done >= o.max_ios) || now() >= t_end) {
		atomic_store(&stop, true);
		return true;
	}
	return false;
}

static void check_res(long res, long want)
{
	if (res == want)
		return;
	if (!n_errors++)
		first_error = (int)res;
}

/* ---- CPU accounting ---- */

struct cpu_sample {
	double t;
	double proc;			/* process user+sys seconds */
	unsigned long long busy, total;	/* /proc/stat, all CPUs, USER_HZ */
};

static void cpu_sample(struct cpu_sample *s)
{
	unsigned long long v[10] = { 0 };
	struct rusage ru;
	FILE *f;
	int i;

	getrusage(RUSAGE_SELF, &ru);
	s->proc = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		  ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	s->busy = s->total = 0;
	f = fopen("/proc/stat", "r");
	if (f) {
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &v[7], &v[8], &v[9]) >= 8) {
			/* guest time is already in user; idle and iowait are idle */
			for (i = 0; i < 8; i++)
				s->total += v[i];
			s->busy = s->total - v[3] - v[4];
		}
		fclose(f);
	}
	s->t = now();
}

/* ---- file preparation ---- */

static void drop_caches(void)
{
	int f;

	sync();
	f = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (f < 0 || write(f, "3\n", 2) != 2)
		die("cannot drop caches: %s", strerror(errno));
	close(f);
}

/* Percentage of the file's pages in the page cache (mincore). */
static double resident_pct(uint64_t size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), n, i, in = 0;
	unsigned char *vec;
	void *p;

	if (!size)
		return -1;
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	n = (size + pg - 1) / pg;
	vec = malloc(n);
	if (vec && mincore(p, size, vec) == 0)
		for (i = 0; i < n; i++)
			in += vec[i] & 1;
	else
		in = (size_t)-1;
	free(vec);
	munmap(p, size);
	return in == (size_t)-1 ? -1 : 100.0 * in / n;
}

static uint64_t open_target(void)
{
	struct stat st;
	uint64_t size = 0;
	int flags = O_RDONLY | (o.direct ? O_DIRECT : 0);

	if (o.wl == W_NOP)
		return 0;
	if (!o.file)
		die("read workloads need -f FILE");
	if (o.cold)
		drop_caches();
	fd = open(o.file, flags);
	if (fd < 0)
		die("open %s: %s", o.file, strerror(errno));
	if (fstat(fd, &st))
		die("fstat: %s", strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size))
			die("BLKGETSIZE64: %s", strerror(errno));
	} else {
		size = st.st_size;
	}
	nblocks = size / o.bs;
	if (!nblocks || nblocks > UINT32_MAX)
		die("%s: %" PRIu64 " blocks of %u bytes: unusable", o.file,
		    nblocks, o.bs);
	/* Random access: no readahead around each read (fio does the same). */
	if (!o.direct)
		posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	if (o.warm) {
		/* Bring the whole file into the page cache. */
		int wfd = open(o.file, O_RDONLY);
		char *b = malloc(1 << 20);

		if (wfd < 0 || !b)
			die("warm %s", o.file);
		posix_fadvise(wfd, 0, 0, POSIX_FADV_WILLNEED);
		while (read(wfd, b, 1 << 20) > 0)
			;
		free(b);
		close(wfd);
	}
	return size;
}

static void make_perm(void)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid(), i, j;
	uint32_t t;

	if (o.wl == W_NOP)
		return;
	perm = malloc(nblocks * sizeof(*perm));
	if (!perm)
		die("no memory for %" PRIu64 " offsets", nblocks);
	for (i = 0; i < nblocks; i++)
		perm[i] = (uint32_t)i;
	for (i = nblocks - 1; i > 0; i--) {
		j = xorshift(&s) % (i + 1);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
}

/* ---- psync: QD threads of pread ---- */

struct pthr {
	pthread_t th;
	char *buf;
	uint64_t done, errors;
	int first_error;
};

static void *psync_thread(void *arg)
{
	struct pthr *p = arg;
	ssize_t r;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		r = pread(fd, p->buf, o.bs, next_offset());
		if (r != (ssize_t)o.bs && !p->errors++)
			p->first_error = r < 0 ? -errno : (int)r;
		p->done++;
	}
	return NULL;
}

static uint64_t run_psync(void)
{
	struct pthr *t = calloc(o.qd, sizeof(*t));
	uint64_t done = 0;
	unsigned i;

	if (o.wl == W_NOP)
		not_available("psync-has-no-nop");
	for (i = 0; i < o.qd; i++) {
		t[i].buf = bufs + (size_t)i * o.bs;
		if (pthread_create(&t[i].th, NULL, psync_thread, &t[i]))
			die("pthread_create");
	}
	for (;;) {
		double left = t_end - now();
		uint64_t sum = 0;

		if (o.max_ios) {
			for (i = 0; i < o.qd; i++)
				sum += t[i].done;
			if (sum >= o.max_ios)
				break;
		}
		if (left <= 0)
			break;
		usleep(left > 0.05 ? 50000 : (useconds_t)(left * 1e6));
	}
	atomic_store(&stop, true);
	for (i = 0; i < o.qd; i++) {
		pthread_join(t[i].th, NULL);
		done += t[i].done;
		if (t[i].errors && !n_errors)
			first_error = t[i].first_error;
		n_errors += t[i].errors;
	}
	n_enter = done;
	free(t);
	return done;
}

/* ---- libaio ---- */

static uint64_t run_libaio(void)
{
	io_context_t ctx = 0;
	struct iocb *cbs = calloc(o.qd, sizeof(*cbs));
	struct iocb **ptrs = calloc(o.qd, sizeof(*ptrs));
	struct io_event *ev = calloc(o.qd, sizeof(*ev));
	unsigned *freelist = calloc(o.qd, sizeof(*freelist));
	unsigned nfree = o.qd, inflight = 0, i, n;
	uint64_t done = 0;
	int r;

	if (o.wl == W_NOP)
		not_available("libaio-has-no-nop");
	r = io_setup(o.qd, &ctx);
	if (r)
		die("io_setup: %s", strerror(-r));
	for (i = 0; i < o.qd; i++)
		freelist[i] = i;
	for (;;) {
		bool up = time_up(done);

		n = 0;
		while (!up && nfree && n < o.batch_submit) {
			unsigned b = freelist[--nfree];

			io_prep_pread(&cbs[b], fd, bufs + (size_t)b * o.bs, o.bs,
				      next_offset());
			cbs[b].data = (void *)(uintptr_t)b;
			ptrs[n++] = &cbs[b];
		}
		if (n) {
			n_enter++;
			r = io_submit(ctx, n, ptrs);
			if (r < 0)
				die("io_submit: %s", strerror(-r));
			/* give back what was not taken */
			for (i = r; i < n; i++)
				freelist[nfree++] = (unsigned)(uintptr_t)ptrs[i]->data;
			inflight += r;
		}
		if (!inflight) {
			if (up)
				break;
			continue;
		}
		n_enter++;
		r = io_getevents(ctx, o.batch_complete < inflight ?
				 o.batch_complete : inflight, o.qd, ev, NULL);
		if (r < 0) {
			if (r == -EINTR)
				continue;
			die("io_getevents: %s", strerror(-r));
		}
		for (i = 0; i < (unsigned)r; i++) {
			check_res((long)ev[i].res, o.bs);
			freelist[nfree++] = (unsigned)(uintptr_t)ev[i].data;
		}
		inflight -= r;
		done += r;
	}
	io_destroy(ctx);
	return done;
}

/* ---- the ring engines: io_uring and aioring share one loop ---- */

struct ring {
	unsigned *sq_head, *sq_tail, *sq_flags, *sq_array;
	unsigned sq_mask;
	struct aioring_sqe *sqes;	/* io_uring's SQE has this layout */
	unsigned *cq_head, *cq_tail;
	struct aioring_cqe *cqes;	/* and io_uring's CQE this one */
	unsigned cq_mask;
	int fd;
	bool aioring;
	bool sqpoll;			/* a kernel thread consumes the SQ */
	struct io_uring uring;
	struct aioring aring;
};

static int ring_enter(struct ring *r, unsigned to_submit, unsigned min_complete,
		      unsigned flags)
{
	int ret;

	n_enter++;
	if (r->aioring) {
		struct aioring_enter_args a = {
			.to_submit = to_submit,
			.min_complete = min_complete,
			.flags = flags,
		};

		ret = ioctl(r->fd, AIORING_IOC_ENTER, &a);
	} else {
		ret = (int)syscall(__NR_io_uring_enter, r->fd, to_submit,
				   min_complete, flags, NULL, 0);
	}
	return ret < 0 ? -errno : ret;
}

static void ring_setup_io_uring(struct ring *r)
{
	struct io_uring_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	if (o.sqpoll) {
		p.flags |= IORING_SETUP_SQPOLL;
		p.sq_thread_idle = 1000;
	}
	if (o.iopoll)
		p.flags |= IORING_SETUP_IOPOLL;
	ret = io_uring_queue_init_params(o.qd, &r->uring, &p);
	if (ret == -EINVAL || ret == -EPERM || ret == -EOPNOTSUPP)
		not_available(ret == -EPERM ? "setup-EPERM" : "setup-EINVAL");
	if (ret)
		die("io_uring_queue_init_params: %s (io_uring_disabled?)",
		    strerror(-ret));
	if (o.sqpoll && fd >= 0) {
		ret = io_uring_register_files(&r->uring, &fd, 1);
		if (ret)
			die("io_uring_register_files: %s", strerror(-ret));
		fixed_file = true;
	}
	r->fd = r->uring.ring_fd;
	r->sq_head = r->uring.sq.khead;
	r->sq_tail = r->uring.sq.ktail;
	r->sq_flags = r->uring.sq.kflags;
	r->sq_array = r->uring.sq.array;
	r->sq_mask = r->uring.sq.ring_mask;
	r->sqes = (struct aioring_sqe *)r->uring.sq.sqes;
	r->cq_head = r->uring.cq.khead;
	r->cq_tail = r->uring.cq.ktail;
	r->cqes = (struct aioring_cqe *)r->uring.cq.cqes;
	r->cq_mask = r->uring.cq.ring_mask;
	r->sqpoll = o.sqpoll;
	snprintf(extra, sizeof(extra), " mode=%s",
		 o.sqpoll ? (o.iopoll ? "sqpoll+iopoll" : "sqpoll") :
		 (o.iopoll ? "iopoll" : "default"));
}

static void ring_setup_aioring(struct ring *r)
{
	struct aioring_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	if (!strcmp(o.mode, "sqwq")) {
		p.flags = AIORING_SETUP_SQWQ;
	} else if (!strcmp(o.mode, "sqthread")) {
#ifdef BENCH_AIORING_SQTHREAD
		p.flags = AIORING_SETUP_SQTHREAD;
		p.sq_thread_idle = 1000;
#else
		not_available("no-AIORING_SETUP_SQTHREAD/IOPOLL-in-uapi");
#endif
	} else if (strcmp(o.mode, "inline")) {
		die("aioring mode %s: inline, sqwq or sqthread", o.mode);
	}
	if (o.iopoll) {
#ifdef BENCH_AIORING_SQTHREAD
		p.flags |= AIORING_SETUP_IOPOLL;
#else
		not_available("no-AIORING_SETUP_IOPOLL-in-uapi");
#endif
	}
	p.max_workers = o.workers;
	ret = aioring_queue_init_params(o.qd, &r->aring, &p);
	if (ret == -EINVAL && p.flags)
		not_available("setup-EINVAL");
	if (ret)
		die("aioring setup (%s): %s", o.mode, strerror(-ret));
#ifdef AIORING_IOC_REGISTER
	/*
	 * The SQ thread cannot resolve the process's fds: it needs registered
	 * files. (io_uring's P5 row registers its file too, for parity.)
	 */
	if (!strcmp(o.mode, "sqthread") && fd >= 0) {
		ret = aioring_register_files(&r->aring, &fd, 1);
		if (ret == -EINVAL || ret == -ENOTTY)
			not_available("register-files-EINVAL");
		if (ret)
			die("aioring_register_files: %s", strerror(-ret));
		fixed_file = true;
	}
#endif
	r->aioring = true;
	r->fd = r->aring.ring_fd;
	r->sq_head = r->aring.sq.khead;
	r->sq_tail = r->aring.sq.ktail;
	r->sq_flags = r->aring.sq.kflags;
	r->sq_array = r->aring.sq.array;
	r->sq_mask = r->aring.sq.ring_mask;
	r->sqes = r->aring.sq.sqes;
	r->cq_head = r->aring.cq.khead;
	r->cq_tail = r->aring.cq.ktail;
	r->cqes = r->aring.cq.cqes;
	r->cq_mask = r->aring.cq.ring_mask;
	r->sqpoll = !strcmp(o.mode, "sqthread");
	snprintf(extra, sizeof(extra), " mode=%s%s workers=%u", o.mode,
		 o.iopoll ? "+iopoll" : "", p.max_workers);
}

static void ring_exit(struct ring *r)
{
	if (r->aioring)
		aioring_queue_exit(&r->aring);
	else
		io_uring_queue_exit(&r->uring);
}

/* Wake the SQ thread if it sleeps: the only enter an SQPOLL ring needs. */
static void ring_kick(struct ring *r)
{
	unsigned flags;

	/* Order the tail store before reading the flag, as liburing does. */
	atomic_thread_fence(memory_order_seq_cst);
	flags = __atomic_load_n(r->sq_flags, __ATOMIC_RELAXED);
	if (!(flags & AIORING_SQ_NEED_WAKEUP))
		return;
	if (r->aioring) {
#ifdef AIORING_ENTER_SQ_WAKEUP
		ring_enter(r, 0, 0, AIORING_ENTER_SQ_WAKEUP);
#else
		ring_enter(r, 0, 0, 0);
#endif
	} else {
		ring_enter(r, 0, 0, IORING_ENTER_SQ_WAKEUP);
	}
}

static uint64_t run_ring(struct ring *r)
{
	unsigned *freelist = calloc(o.qd, sizeof(*freelist));
	unsigned nfree = o.qd, inflight = 0, unsubmitted = 0, i, n;
	unsigned tail = *r->sq_tail;
	uint64_t done = 0;
	bool up = false;
	int ret;

	for (i = 0; i < o.qd; i++)
		freelist[i] = i;
	for (;;) {
		if (!up)
			up = time_up(done);
		/* Fill the SQ ring up to the queue depth. */
		n = 0;
		while (!up && nfree && n < o.batch_submit) {
			unsigned idx = tail & r->sq_mask;
			struct aioring_sqe *sqe = &r->sqes[idx];
			unsigned b = freelist[--nfree];

			memset(sqe, 0, sizeof(*sqe));
			if (o.wl == W_NOP) {
				sqe->opcode = AIORING_OP_NOP;
				sqe->fd = -1;
			} else {
				sqe->opcode = AIORING_OP_READ;
				sqe->fd = fd;
#ifdef AIORING_SQE_FIXED_FILE
				/* same bit as IOSQE_FIXED_FILE */
				if (fixed_file) {
					sqe->flags = AIORING_SQE_FIXED_FILE;
					sqe->fd = 0;
				}
#endif
				sqe->off = next_offset();
				sqe->addr = (uint64_t)(uintptr_t)(bufs + (size_t)b * o.bs);
				sqe->len = o.bs;
			}
			sqe->user_data = b;
			r->sq_array[idx] = idx;
			tail++;
			n++;
		}
		if (n) {
			/*
			 * Publish the SQEs: pairs with the kernel's
			 * load-acquire of the SQ tail.
			 */
			__atomic_store_n(r->sq_tail, tail, __ATOMIC_RELEASE);
			unsubmitted += n;
		}
		if (r->sqpoll) {
			inflight += unsubmitted;
			if (unsubmitted)
				ring_kick(r);
			unsubmitted = 0;
		} else if (unsubmitted || inflight) {
			unsigned want = inflight + unsubmitted;

			if (want > o.batch_complete)
				want = o.batch_complete;
			ret = ring_enter(r, unsubmitted, want,
					 AIORING_ENTER_GETEVENTS);
			if (ret < 0 && ret != -EINTR && ret != -EAGAIN &&
			    ret != -EBUSY && ret != -ETIME)
				die("enter: %s", strerror(-ret));
			if (ret > 0) {
				unsubmitted -= ret;
				inflight += ret;
			}
		}
		/* Reap: pairs with the kernel's store-release of the CQ tail. */
		{
			unsigned head = *r->cq_head;
			unsigned ctail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);

			for (; head != ctail; head++) {
				struct aioring_cqe *cqe = &r->cqes[head & r->cq_mask];

				if (cqe->user_data >= o.qd) {
					check_res(cqe->res, -99999);
					continue;
				}
				check_res(cqe->res, o.wl == W_NOP ? 0 : (long)o.bs);
				freelist[nfree++] = (unsigned)cqe->user_data;
				inflight--;
				done++;
			}
			/* The CQEs are read before the kernel may reuse them. */
			__atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
		}
		if (up && !inflight && !unsubmitted)
			break;
	}
	free(freelist);
	return done;
}

static void aioring_stats_read(struct ring *r, struct aioring_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (r->aioring && ioctl(r->fd, AIORING_IOC_STATS, s))
		memset(s, 0, sizeof(*s));
}

/* ---- one run ---- */

static enum engine parse_engine(const char *s)
{
	if (!strcmp(s, "psync"))
		return E_PSYNC;
	if (!strcmp(s, "libaio"))
		return E_LIBAIO;
	if (!strcmp(s, "io_uring"))
		return E_IO_URING;
	if (!strcmp(s, "aioring"))
		return E_AIORING;
	die("unknown engine %s (psync, libaio, io_uring, aioring)", s);
}

static const char *engine_name(void)
{
	static char name[64];

	switch (o.engine) {
	case E_PSYNC:
		return "psync";
	case E_LIBAIO:
		return "libaio";
	case E_IO_URING:
		if (o.sqpoll)
			return o.iopoll ? "io_uring-sqpoll-iopoll" : "io_uring-sqpoll";
		return o.iopoll ? "io_uring-iopoll" : "io_uring";
	case E_AIORING:
		snprintf(name, sizeof(name), "aioring-%s%s", o.mode,
			 o.iopoll ? "-iopoll" : "");
		return name;
	}
	return "?";
}

static void usage(void)
{
	fprintf(stderr,
"usage: aioring-bench run -e ENGINE [options]\n"
"       aioring-bench report [FILE]\n"
"  -L LABEL    workload label for the result line (P1..P5)\n"
"  -e ENGINE   psync | libaio | io_uring | aioring\n"
"  -m MODE     aioring mode: inline | sqwq | sqthread\n"
"  -w WL       nop | read (default read)\n"
"  -f FILE     file or block device to read\n"
"  -q QD       queue depth (default 32; psync: threads)\n"
"  -b BS       block size (default 4096)\n"
"  -s N        submit at most N per enter (default QD)\n"
"  -c N        wait for N completions per enter (default 1)\n"
"  -t SECS     run time (default 5)\n"
"  -n IOS      stop after this many I/Os as well\n"
"  -D          O_DIRECT\n"
"  -C          cold: sync and drop the page cache before the run\n"
"  -W          warm: read the whole file before the run\n"
"  -P          SQ polling thread (io_uring SQPOLL)\n"
"  -I          IOPOLL\n"
"  -k N        aioring max_workers (0: module default)\n"
"  -l IOPS     the physical limit, shown as a percentage\n");
	exit(2);
}

static int cmd_run(int argc, char **argv)
{
	struct aioring_stats s0, s1;
	struct cpu_sample c0, c1;
	struct ring ring;
	uint64_t size, done = 0;
	double res_before = -1, secs, ios;
	int c;

	while ((c = getopt(argc, argv, "L:e:m:w:f:q:b:s:c:t:n:DCWPIk:l:")) != -1) {
		switch (c) {
		case 'L': o.label = optarg; break;
		case 'e': o.engine = parse_engine(optarg); break;
		case 'm': o.mode = optarg; break;
		case 'w':
			if (!strcmp(optarg, "nop"))
				o.wl = W_NOP;
			else if (!strcmp(optarg, "read"))
				o.wl = W_READ;
			else
				usage();
			break;
		case 'f': o.file = optarg; break;
		case 'q': o.qd = (unsigned)atoi(optarg); break;
		case 'b': o.bs = (unsigned)atoi(optarg); break;
		case 's': o.batch_submit = (unsigned)atoi(optarg); break;
		case 'c': o.batch_complete = (unsigned)atoi(optarg); break;
		case 't': o.secs = atof(optarg); break;
		case 'n': o.max_ios = strtoull(optarg, NULL, 0); break;
		case 'D': o.direct = true; break;
		case 'C': o.cold = true; break;
		case 'W': o.warm = true; break;
		case 'P': o.sqpoll = true; break;
		case 'I': o.iopoll = true; break;
		case 'k': o.workers = (unsigned)atoi(optarg); break;
		case 'l': o.limit_iops = atof(optarg); break;
		default: usage();
		}
	}
	if (!o.qd || !o.bs || o.secs <= 0)
		usage();
	if (!o.batch_submit || o.batch_submit > o.qd)
		o.batch_submit = o.qd;
	if (!o.batch_complete)
		o.batch_complete = 1;
	if (o.engine == E_AIORING && (o.sqpoll))
		o.mode = "sqthread";

	size = open_target();
	make_perm();
	if (posix_memalign((void **)&bufs, 4096, (size_t)o.qd * o.bs))
		die("no memory for buffers");
	memset(bufs, 0, (size_t)o.qd * o.bs);

	memset(&ring, 0, sizeof(ring));
	if (o.engine == E_IO_URING)
		ring_setup_io_uring(&ring);
	else if (o.engine == E_AIORING)
		ring_setup_aioring(&ring);
	else if (o.sqpoll || o.iopoll)
		not_available("engine-has-no-sqpoll");

	if (size && !o.direct)
		res_before = resident_pct(size);
	aioring_stats_read(&ring, &s0);
	cpu_sample(&c0);
	t_end = c0.t + o.secs;
	switch (o.engine) {
	case E_PSYNC:
		done = run_psync();
		break;
	case E_LIBAIO:
		done = run_libaio();
		break;
	default:
		done = run_ring(&ring);
		break;
	}
	cpu_sample(&c1);
	aioring_stats_read(&ring, &s1);

	secs = c1.t - c0.t;
	ios = done ? (double)done : 1;
	printf("BENCH %s engine=%s qd=%u iops=%.1f ios=%" PRIu64 " secs=%.2f"
	       " proc_us=%.2f sys_us=%.2f cpu_util=%.0f%% enters=%.4f errors=%" PRIu64,
	       o.label, engine_name(), o.qd, done / secs, done, secs,
	       (c1.proc - c0.proc) * 1e6 / ios,
	       (c1.busy - c0.busy) * 1e6 / sysconf(_SC_CLK_TCK) / ios,
	       c1.total > c0.total ?
	       100.0 * (c1.busy - c0.busy) / (c1.total - c0.total) *
	       sysconf(_SC_NPROCESSORS_ONLN) : 0.0,
	       n_enter / ios, n_errors);
	if (n_errors)
		printf(" first_error=%d", first_error);
	if (res_before >= 0)
		printf(" cached_before=%.1f%%", res_before);
	if (o.limit_iops > 0)
		printf(" of_limit=%.1f%%", 100.0 * done / secs / o.limit_iops);
	if (o.wl == W_READ && done > nblocks)
		printf(" wrapped=1");
	if (ring.aioring)
		printf(" stats=sub:%llu,inline:%llu,waitq:%llu,retries:%llu,"
		       "punted:%llu,eagain:%llu,async:%llu,overflow:%llu,sqwake:%llu,"
		       "iopoll:%llu,enters:%llu",
		       (unsigned long long)(s1.submitted - s0.submitted),
		       (unsigned long long)(s1.completed_inline - s0.completed_inline),
		       (unsigned long long)(s1.completed_waitq - s0.completed_waitq),
		       (unsigned long long)(s1.waitq_retries - s0.waitq_retries),
		       (unsigned long long)(s1.punted - s0.punted),
		       (unsigned long long)(s1.eagain - s0.eagain),
		       (unsigned long long)(s1.completed_async - s0.completed_async),
		       (unsigned long long)(s1.cq_overflow - s0.cq_overflow),
		       (unsigned long long)(s1.sq_thread_wakeups - s0.sq_thread_wakeups),
		       (unsigned long long)(s1.iopoll_reaped - s0.iopoll_reaped),
		       (unsigned long long)(s1.enter_calls - s0.enter_calls));
	printf("%s\n", extra);
	fflush(stdout);
	if (o.engine == E_IO_URING || o.engine == E_AIORING)
		ring_exit(&ring);
	return n_errors ? 1 : 0;
}

/* ---- report: the table ---- */

struct row {
	char label[16], engine[48], mode[32], stats[256];
	double iops, proc_us, sys_us, enters, of_limit, cached, qd;
	bool na, has_limit, has_cached, wrapped;
	char why[96];
	unsigned long long errors;
	int nrep;		/* runs merged into this row */
	double lo, hi;		/* their lowest and highest IOPS */
};

static const char *kv(const char *line, const char *key, char *out, size_t n)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	e = p + strcspn(p, " \n");
	snprintf(out, n, "%.*s", (int)(e - p), p);
	return out;
}

static const struct row *find_ref(const struct row *rows, int n, const char *label,
				  const char *engine)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(rows[i].label, label) && !strcmp(rows[i].engine, engine) &&
		    !rows[i].na && rows[i].iops > 0)
			return &rows[i];
	return NULL;
}

static const struct row *find_ref_prefix(const struct row *rows, int n,
					 const char *label, const char *prefix)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(rows[i].label, label) &&
		    !strncmp(rows[i].engine, prefix, strlen(prefix)) &&
		    !rows[i].na && rows[i].iops > 0)
			return &rows[i];
	return NULL;
}

/*
 * The QD1 run of a latency-bound workload ("P3-qd1" for "P3"): the latency
 * one request really sees in this guest, emulated timers included.
 */
static const struct row *qd1_ref(const struct row *rows, int n, const char *label)
{
	char l[32];

	snprintf(l, sizeof(l), "%.20s-qd1", label);
	return find_ref_prefix(rows, n, l, "io_uring");
}

static void verdict(const char *what, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void verdict(const char *what, bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("  %-6s %-48s ", ok ? "met" : "MISSED", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int cmp_iops(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return x->iops < y->iops ? -1 : x->iops > y->iops;
}

/*
 * Rounds (BENCH_REPEAT) give several rows per workload and engine: keep
 * the median one (by IOPS, the lower of the two middles), in the order the
 * pairs first appeared, with the IOPS range of all. Returns the new count.
 */
static int merge_repeats(struct row *rows, int n)
{
	static struct row out[256], same[256];
	bool used[256] = { false };
	int i, j, m = 0, k;

	for (i = 0; i < n; i++) {
		if (used[i])
			continue;
		k = 0;
		for (j = i; j < n; j++) {
			if (used[j] || strcmp(rows[j].label, rows[i].label) ||
			    strcmp(rows[j].engine, rows[i].engine))
				continue;
			used[j] = true;
			same[k++] = rows[j];
		}
		qsort(same, k, sizeof(same[0]), cmp_iops);
		out[m] = same[(k - 1) / 2];
		out[m].nrep = k;
		out[m].lo = same[0].iops;
		out[m].hi = same[k - 1].iops;
		m++;
	}
	memcpy(rows, out, m * sizeof(out[0]));
	return m;
}

static int cmd_report(int argc, char **argv)
{
	static struct row rows[256];
	char line[2048], v[256], last[16] = "";
	FILE *f = stdin;
	int n = 0, i;

	if (argc > 1 && !(f = fopen(argv[1], "r")))
		die("%s: %s", argv[1], strerror(errno));
	while (n < 256 && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "BENCH ");
		struct row *r = &rows[n];

		if (!p)
			continue;
		memset(r, 0, sizeof(*r));
		if (sscanf(p, "BENCH %15s", r->label) != 1)
			continue;
		p += 5;	/* keys are matched with a leading space */
		if (!kv(p, "engine", r->engine, sizeof(r->engine)))
			continue;
		if (kv(p, "na", v, sizeof(v))) {
			r->na = true;
			kv(p, "why", r->why, sizeof(r->why));
			n++;
			continue;
		}
		r->iops = kv(p, "iops", v, sizeof(v)) ? atof(v) : 0;
		r->qd = kv(p, "qd", v, sizeof(v)) ? atof(v) : 0;
		r->proc_us = kv(p, "proc_us", v, sizeof(v)) ? atof(v) : 0;
		r->sys_us = kv(p, "sys_us", v, sizeof(v)) ? atof(v) : 0;
		r->enters = kv(p, "enters", v, sizeof(v)) ? atof(v) : 0;
		r->errors = kv(p, "errors", v, sizeof(v)) ? strtoull(v, NULL, 0) : 0;
		if (kv(p, "of_limit", v, sizeof(v))) {
			r->has_limit = true;
			r->of_limit = atof(v);
		}
		if (kv(p, "cached_before", v, sizeof(v))) {
			r->has_cached = true;
			r->cached = atof(v);
		}
		r->wrapped = kv(p, "wrapped", v, sizeof(v)) != NULL;
		kv(p, "stats", r->stats, sizeof(r->stats));
		n++;
	}

	n = merge_repeats(rows, n);
	printf("%-6s %-24s %9s %6s %8s %8s %6s %8s  %s\n", "", "engine", "IOPS",
	       "xIOPS", "procCPU", "sysCPU", "xCPU", "enters", "notes");
	printf("%-6s %-24s %9s %6s %8s %8s %6s %8s  %s\n", "", "", "",
	       "/uring", "us/IO", "us/IO", "/uring", "/IO", "");
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i], *ref, *q1;
		char notes[512] = "";
		size_t l = 0;

		if (strcmp(last, r->label)) {
			if (*last)
				putchar('\n');
			snprintf(last, sizeof(last), "%.15s", r->label);
		}
		if (r->na) {
			printf("%-6s %-24s %9s  not available (%s)\n", r->label,
			       r->engine, "-", r->why);
			continue;
		}
		ref = find_ref(rows, n, r->label, "io_uring");
		if (!ref)
			ref = find_ref_prefix(rows, n, r->label, "io_uring");
		if (r->has_limit)
			l += snprintf(notes + l, sizeof(notes) - l, "%.1f%% of QD/lat ", r->of_limit);
		if (r->has_limit && r->qd > 1 && (q1 = qd1_ref(rows, n, r->label)))
			l += snprintf(notes + l, sizeof(notes) - l, "(%.0f%% of QD x QD1-IOPS) ",
				      100.0 * r->iops / (r->qd * q1->iops));
		if (r->has_cached)
			l += snprintf(notes + l, sizeof(notes) - l, "cached %.0f%% ", r->cached);
		if (r->wrapped)
			l += snprintf(notes + l, sizeof(notes) - l, "(reread blocks) ");
		if (r->errors)
			l += snprintf(notes + l, sizeof(notes) - l, "ERRORS %llu ", r->errors);
		if (r->nrep > 1)
			l += snprintf(notes + l, sizeof(notes) - l, "median of %d (%.0f-%.0f) ",
				      r->nrep, r->lo, r->hi);
		if (*r->stats)
			snprintf(notes + l, sizeof(notes) - l, "%s", r->stats);
		printf("%-6s %-24s %9.0f %6.2f %8.1f %8.1f %6.2f %8.3f  %s\n",
		       r->label, r->engine, r->iops,
		       ref ? r->iops / ref->iops : 0.0, r->proc_us, r->sys_us,
		       ref && ref->sys_us > 0 ? r->sys_us / ref->sys_us : 0.0,
		       r->enters, notes);
	}

	printf("\nTargets (from the issue; ratios within this guest run):\n");
	{
		const char *lbl[] = { "P1", "P2", "P3", "P4" };
		const char *modes[] = { "aioring-inline", "aioring-sqwq" };
		unsigned k, m;

		for (k = 0; k < 4; k++) {
			const struct row *u = find_ref(rows, n, lbl[k], "io_uring");

			for (m = 0; m < 2; m++) {
				const struct row *a = find_ref(rows, n, lbl[k], modes[m]);
				char what[96];

				if (!u || !a)
					continue;
				snprintf(what, sizeof(what), "%s %s IOPS >= 1.0x io_uring",
					 lbl[k], modes[m]);
				verdict(what, a->iops >= u->iops, "%.2fx", a->iops / u->iops);
			}
		}
		{
			const struct row *a = find_ref(rows, n, "P3", "aioring-inline");
			const struct row *w = find_ref(rows, n, "P3", "aioring-sqwq");

			const struct row *q1 = qd1_ref(rows, n, "P3");

			if (a && a->has_limit)
				verdict("P3 aioring-inline >= 90% of QD/latency",
					a->of_limit >= 90.0, "%.1f%%", a->of_limit);
			if (a && q1 && a->qd > 1)
				verdict("  (same against QD x measured QD1 IOPS)",
					a->iops >= 0.9 * a->qd * q1->iops, "%.1f%%",
					100.0 * a->iops / (a->qd * q1->iops));
			if (a && w && w->sys_us > 0)
				verdict("P3 inline sysCPU/IO <= 0.8x aioring-sqwq",
					a->sys_us <= 0.8 * w->sys_us, "%.2fx (proc %.2fx)",
					a->sys_us / w->sys_us,
					w->proc_us > 0 ? a->proc_us / w->proc_us : 0.0);
		}
		{
			const struct row *a = find_ref_prefix(rows, n, "P5", "aioring");

			if (a)
				verdict("P5 aioring ioctls/IO <= 0.01", a->enters <= 0.01,
					"%.4f", a->enters);
			else
				verdict("P5 aioring ioctls/IO <= 0.01", false,
					"not available");
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "report"))
		return cmd_report(argc - 1, argv + 1);
	usage();
}
