/* SPDX-License-Identifier: MIT */
/*
 * Description: aioring's own fuzzer, over the whole ABI, as an
 * unprivileged member of the device's group. Random SQEs (every opcode and
 * unknown ones, every flag and field, every kind of fd: regular, O_DIRECT,
 * on a slow device, a polled block device, pipes, sockets, eventfd, pty,
 * timerfd, signalfd, epoll, memfd, directories, O_PATH, rings, closed and
 * absurd numbers; registered files; buffers near and inside guard pages,
 * read-only, NULL, kernel and non-canonical addresses; iovec arrays of any
 * size), random setup parameters, ENTER arguments, REGISTER, STATS,
 * PROBE_FILE, unknown ioctls and mmaps, while other threads register and
 * unregister, signal, fork and close rings under the submitters, and rounds
 * end by draining, closing or unmapping with I/O in flight, exit, exec or
 * SIGKILL. Several rings and threads run at once, in two processes.
 *
 * Invariants, checked as it goes: every CQE names an SQE that was
 * submitted, none gets two, each SQE consumed gets one (checked when a
 * round drains), dropped SQ slots give exactly one -ERANGE each; results
 * are valid errnos or plausible byte counts, and exactly what the ABI says
 * where it says (an unknown opcode, flag or reserved field, a bad fd, a
 * bad registration, bad ENTER/REGISTER/PROBE/SETUP arguments); ENTER
 * consumes what it says it consumed and never waits longer than its
 * timeout; a forked child gets -EPERM; no round hangs and no task stays in
 * D state. At the end (root) everything is back at the baseline: module
 * refcount, aior_req objects, pinned pages, vmalloc areas, ring threads
 * and the user's locked memory (tests/fuzz-baseline.h).
 *
 *   fuzz [--ops N] [--seed S] [--replay ROUND] [--time SEC] [--procs P]
 *
 * An operation is one SQE, or one ioctl, mmap, munmap, fork, close or
 * exec of the ABI. Defaults follow the runner's per-test timeout (AIORING_TEST_TIMEOUT,
 * 120 s): under it (make check) 100000 operations within at most 70 s;
 * with a longer one (make check-debug: 600 s; make fuzz) 1000000 within
 * the timeout less 60 s. The seed comes from the clock. AIORING_FUZZ_OPS,
 * AIORING_FUZZ_SEED, AIORING_FUZZ_TIME and AIORING_FUZZ_REPLAY override
 * them, and so do the options; AIORING_FUZZ_TRACE=1 prints a line as each
 * round starts (make fuzz does), for a kernel that falls over mid-run. The count reached and the seed are printed at the end.
 * Every round is generated from (seed, round) alone, so "--seed S
 * --replay R" runs that one round again; a failing invariant prints both.
 * Threads interleave as the scheduler likes, so a replay repeats the same
 * operations, not necessarily the same interleaving.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>

#include "fuzz-baseline.h"

#ifndef RWF_HIPRI
#define RWF_HIPRI	0x1
#define RWF_DSYNC	0x2
#define RWF_SYNC	0x4
#define RWF_NOWAIT	0x8
#define RWF_APPEND	0x10
#endif
#define FZ_RWF_OK	(RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND)
#define FZ_POLL_OK	(POLLIN | POLLPRI | POLLOUT | POLLERR | POLLHUP | POLLNVAL | \
			 POLLRDNORM | POLLRDBAND | POLLWRNORM | POLLWRBAND | \
			 POLLMSG | POLLRDHUP)

#define MAX_RINGS	3
#define POOL_PAGES	32
#define FILE_SIZE	(256 * 1024)
#define IO_SPAN		(4 << 20)	/* file offsets used, mostly */
#define UD_MAGIC	0xf022ULL
#define ANY		INT_MIN		/* any valid errno or plausible count */
#define EXPECT_REMOVE	(INT_MIN + 1)	/* POLL_REMOVE of a poll: 0, ENOENT, EALREADY */
#define CLOSED_FD	1000		/* never open in a round */

/* Knobs, from the command line and the environment. */
static uint64_t opt_ops = 100000, opt_seed;
static long long opt_replay = -1;
static unsigned opt_time, opt_procs = 2, opt_slack_ms = 3000;
static unsigned opt_round_timeout = 30, opt_trace;
static int opt_only_ring = -1;
static const char *self_exe = "/proc/self/exe";

/* Shared by every process of the run (MAP_SHARED). */
struct shared {
	atomic_ullong	ops, sqes, cqes, exact, rounds, next_round;
	atomic_ullong	enter_max_over_ns;
	atomic_uint	failed, stop;
	atomic_llong	first_failed_round;
	atomic_ullong	ends[6];
};
static struct shared *sh;

/* ---------------------------------------------------------------- rng */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	/* splitmix64: every (seed, round, thread) a stream of its own. */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static int chance(struct rng *r, unsigned pct)
{
	return below(r, 100) < pct;
}

static void rng_init(struct rng *r, uint64_t seed, uint64_t round, uint64_t stream)
{
	r->s = seed ^ (round * 0xd1342543de82ef95ULL) ^ (stream << 56);
	rnd(r);
}

/* ---------------------------------------------------------- a round */

enum end_mode { END_DRAIN, END_CLOSE, END_MUNMAP, END_EXIT, END_KILL, END_EXEC };
static const char *const end_names[] = { "drain", "close", "munmap", "exit", "kill", "exec" };

struct plan {
	unsigned	nrings;
	unsigned	ops;		/* per ring thread */
	int		chaos;		/* a thread that registers, signals, forks, closes */
	int		chaos_register;	/* ... and registers: registration model off */
	enum end_mode	end;
	unsigned	end_at;		/* op of thread 0 at which exit/kill/exec comes */
};

static void plan_round(struct plan *pl, uint64_t round)
{
	struct rng r;
	unsigned e;

	rng_init(&r, opt_seed, round, 0xff);
	pl->nrings = 1 + below(&r, MAX_RINGS);
	pl->ops = 16 + below(&r, 240);
	pl->chaos = chance(&r, 50);
	pl->chaos_register = pl->chaos && chance(&r, 50);
	e = below(&r, 100);
	pl->end = e < 55 ? END_DRAIN : e < 67 ? END_CLOSE : e < 77 ? END_MUNMAP :
		  e < 83 ? END_EXIT : e < 95 ? END_KILL : END_EXEC;
	pl->end_at = below(&r, pl->ops);
}

/* fd kinds a round opens; the SQE generator picks among them. */
enum fkind {
	FK_REG, FK_REG_RO, FK_DIO, FK_SLOW, FK_SLOW_DIO, FK_POLLDEV,
	FK_PIPE_R, FK_PIPE_W, FK_PIPE_NB_R, FK_SOCK_A, FK_SOCK_B, FK_EVENTFD,
	FK_PTY_M, FK_PTY_S, FK_NULL, FK_ZERO, FK_DIR, FK_OPATH, FK_MEMFD,
	FK_TIMERFD, FK_SIGNALFD, FK_EPOLL, FK_RING, FK_CLOSED, FK_NEG, FK_HUGE,
	FK_NR
};

struct pool {
	int	fd[FK_NR];
	char	*buf;		/* POOL_PAGES pages, a PROT_NONE page each side */
	char	*ro;		/* one read-only page */
	char	*filemap;	/* a page of a regular file, MAP_SHARED */
	char	*shm;		/* a page of the memfd, MAP_SHARED */
	int	devnull;	/* what a "closed" ring fd becomes (dup2) */
};

/* Paths the root parent prepared, per process slot. */
static char reg_path[MAX_RINGS + 8][256], slow_path[MAX_RINGS + 8][256];
static int polldev_fd = -1;
static const char *test_dir;

struct track {
	uint8_t		op;
	uint8_t		state;		/* 0 unused, 1 published, 2 completed */
	uint8_t		dep;		/* expect came from the registration model */
	int8_t		kind;		/* the file's kind, for messages; -1 none */
	uint8_t		sqe_flags;
	uint8_t		removes;	/* POLL_REMOVEs of it that completed */
	int32_t		rmres;		/* the last one's result */
	uint32_t	target;		/* POLL_REMOVE: the seq it names, or ~0 */
	uint16_t	pollev;
	uint32_t	sqpos;		/* SQ tail when published */
	int32_t		expect;		/* -errno, ANY or EXPECT_REMOVE */
	uint32_t	maxres;
};

struct fring {
	int		idx;
	int		fd;
	int		ok;		/* set up and mapped */
	atomic_int	closed;		/* fd now points at /dev/null */
	int		unmapped;
	struct aioring_params p;
	char		*sq_ptr, *cq_ptr;
	struct aioring_sqe *sqes;
	size_t		sq_sz, cq_sz, sqes_sz;
	unsigned	*khead, *ktail, *kflags, *kdropped, *array;
	unsigned	*cqhead, *cqtail;
	struct aioring_cqe *cqes;
	unsigned	mask, entries, cqmask;
	unsigned	tail;
	struct iovec	(*iovs)[8];	/* per SQ slot, stable until consumed */
	/* tracking */
	struct track	*tr;
	unsigned	nseq, cap, gen_cap;
	unsigned	pub_dropped, seen_dropped;
	unsigned	pending_polls;	/* POLL_ADDs published, no CQE yet */
	uint64_t	ncqe;
	uint64_t	last_submitted;
	/* the registration model, exact unless the chaos thread registers too */
	int		model;
	int		nbufs;
	struct iovec	bufs[4];
	int		nfiles;		/* -1: no table */
	int8_t		files[16];	/* fkind per slot, -1 empty */
};

struct thr {
	int		id;
	struct rng	r;
	struct fring	*fr;
	pthread_t	th;
	pid_t		tid;
	unsigned	op;
};

static uint64_t cur_round;
static struct plan plan;
static struct pool pool;
static struct fring rings[MAX_RINGS];
static struct thr thrs[MAX_RINGS + 1];
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned proc_slot;

static void fz_fail(struct thr *t, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

static void fz_fail(struct thr *t, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	fprintf(stderr, "fuzz: FAIL seed 0x%llx round %llu (thread %d, op %u, %s end): ",
		(unsigned long long)opt_seed, (unsigned long long)cur_round,
		t ? t->id : -1, t ? t->op : 0, end_names[plan.end]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nfuzz: replay with: fuzz --seed 0x%llx --replay %llu\n",
		(unsigned long long)opt_seed, (unsigned long long)cur_round);
	fflush(stderr);
	_exit(1);
}

static void count_op(void)
{
	atomic_fetch_add_explicit(&sh->ops, 1, memory_order_relaxed);
}

/* ------------------------------------------------------------ the pool */

static void pool_open(struct pool *p, struct rng *r)
{
	struct itimerspec its = { { 0, 1000000 }, { 0, 1000000 } };
	struct termios tio;
	sigset_t ss;
	char *m;
	int sv[2], pf[2];

	for (int i = 0; i < FK_NR; i++)
		p->fd[i] = -1;
	p->fd[FK_REG] = open(reg_path[proc_slot], O_RDWR);
	if (p->fd[FK_REG] >= 0 && ftruncate(p->fd[FK_REG], FILE_SIZE))
		fz_fail(NULL, "ftruncate: %s", t_errname(errno));
	p->fd[FK_REG_RO] = open(reg_path[proc_slot], O_RDONLY);
	p->fd[FK_DIO] = open(reg_path[proc_slot], O_RDWR | O_DIRECT);
	if (slow_path[proc_slot][0]) {
		p->fd[FK_SLOW] = open(slow_path[proc_slot], O_RDWR);
		if (p->fd[FK_SLOW] >= 0 && ftruncate(p->fd[FK_SLOW], FILE_SIZE))
			fz_fail(NULL, "ftruncate: %s", t_errname(errno));
		p->fd[FK_SLOW_DIO] = open(slow_path[proc_slot], O_RDWR | O_DIRECT);
	}
	p->fd[FK_POLLDEV] = polldev_fd;
	if (!pipe(pf)) {
		p->fd[FK_PIPE_R] = pf[0];
		p->fd[FK_PIPE_W] = pf[1];
	}
	if (!pipe2(pf, O_NONBLOCK)) {
		p->fd[FK_PIPE_NB_R] = pf[0];
		close(pf[1]);	/* a read end nobody writes: EOF, or EAGAIN? EOF */
	}
	if (!socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		p->fd[FK_SOCK_A] = sv[0];
		p->fd[FK_SOCK_B] = sv[1];
	}
	p->fd[FK_EVENTFD] = eventfd(0, 0);
	p->fd[FK_PTY_M] = posix_openpt(O_RDWR | O_NOCTTY);
	if (p->fd[FK_PTY_M] >= 0 && !grantpt(p->fd[FK_PTY_M]) &&
	    !unlockpt(p->fd[FK_PTY_M])) {
		p->fd[FK_PTY_S] = open(ptsname(p->fd[FK_PTY_M]), O_RDWR | O_NOCTTY);
		/* Raw: a read of the slave needs no newline, and nothing echoes. */
		if (p->fd[FK_PTY_S] >= 0 && !tcgetattr(p->fd[FK_PTY_S], &tio)) {
			cfmakeraw(&tio);
			tcsetattr(p->fd[FK_PTY_S], TCSANOW, &tio);
		}
	}
	p->fd[FK_NULL] = open("/dev/null", O_RDWR);
	p->fd[FK_ZERO] = open("/dev/zero", O_RDWR);
	p->fd[FK_DIR] = open(test_dir, O_RDONLY | O_DIRECTORY);
	p->fd[FK_OPATH] = open(reg_path[proc_slot], O_PATH);
	p->fd[FK_MEMFD] = memfd_create("fuzz", 0);
	if (p->fd[FK_MEMFD] >= 0 && ftruncate(p->fd[FK_MEMFD], 65536))
		fz_fail(NULL, "ftruncate memfd: %s", t_errname(errno));
	p->fd[FK_TIMERFD] = timerfd_create(CLOCK_MONOTONIC, 0);
	if (p->fd[FK_TIMERFD] >= 0)
		timerfd_settime(p->fd[FK_TIMERFD], 0, &its, NULL);
	sigemptyset(&ss);
	sigaddset(&ss, SIGUSR2);
	p->fd[FK_SIGNALFD] = signalfd(-1, &ss, 0);
	p->fd[FK_EPOLL] = epoll_create1(0);
	p->fd[FK_RING] = open(AIORING_DEVICE, O_RDWR);
	p->fd[FK_CLOSED] = CLOSED_FD;
	close(CLOSED_FD);
	p->fd[FK_NEG] = -1 - (int)below(r, 3);
	p->fd[FK_HUGE] = 1 << 30;
	p->devnull = open("/dev/null", O_RDWR);

	m = mmap(NULL, (POOL_PAGES + 2) * 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		fz_fail(NULL, "mmap pool: %s", t_errname(errno));
	mprotect(m, 4096, PROT_NONE);
	mprotect(m + (POOL_PAGES + 1) * 4096, 4096, PROT_NONE);
	p->buf = m + 4096;
	memset(p->buf, 0x5a, POOL_PAGES * 4096);
	p->ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p->filemap = p->fd[FK_REG] >= 0 ?
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd[FK_REG], 0) :
		MAP_FAILED;
	p->shm = p->fd[FK_MEMFD] >= 0 ?
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd[FK_MEMFD], 0) :
		MAP_FAILED;
	if (p->filemap != MAP_FAILED)
		p->filemap[0] = 1;
	if (p->shm != MAP_FAILED)
		p->shm[0] = 1;
}

/* An fd of the pool: its kind, or -1 when the number is not open (bad). */
static int pick_kind(struct rng *r)
{
	static const uint8_t common[] = {
		FK_REG, FK_REG, FK_REG, FK_DIO, FK_DIO, FK_SLOW, FK_SLOW_DIO,
		FK_POLLDEV, FK_PIPE_R, FK_PIPE_W, FK_SOCK_A, FK_SOCK_B,
		FK_EVENTFD, FK_PTY_M, FK_ZERO, FK_MEMFD, FK_TIMERFD,
	};

	if (chance(r, 75))
		return common[below(r, sizeof(common))];
	return below(r, FK_NR);
}

static int kind_bad(int k)
{
	return pool.fd[k] < 0 || k == FK_OPATH || k == FK_CLOSED ||
	       k == FK_NEG || k == FK_HUGE;
}

/* ------------------------------------------------------------ a ring */

static long fz_ioctl(struct fring *fr, unsigned long cmd, void *arg)
{
	count_op();
	return ioctl(fr->fd, cmd, arg) < 0 ? -errno : 0;
}

static long fz_ioctl_ret(int fd, unsigned long cmd, void *arg)
{
	long ret;

	count_op();
	ret = ioctl(fd, cmd, arg);
	return ret < 0 ? -errno : ret;
}

/*
 * Random setup parameters, with at most one defect whose -EINVAL setup
 * must give; returns the expected result (0 allows -ENOMEM too).
 */
static int gen_params(struct rng *r, struct aioring_params *p, int ncpu)
{
	static const unsigned ents[] = { 1, 2, 3, 4, 7, 8, 16, 32, 64, 100, 128 };
	static const unsigned modes[] = {
		0, 0, AIORING_SETUP_SQWQ, AIORING_SETUP_IOPOLL,
		AIORING_SETUP_SQTHREAD, AIORING_SETUP_SQTHREAD | AIORING_SETUP_SQ_AFF,
		AIORING_SETUP_SQTHREAD | AIORING_SETUP_IOPOLL,
	};

	memset(p, 0, sizeof(*p));
	p->sq_entries = ents[below(r, sizeof(ents) / sizeof(ents[0]))];
	if (chance(r, 30))
		p->cq_entries = p->sq_entries + below(r, 3 * p->sq_entries);
	p->flags = modes[below(r, sizeof(modes) / sizeof(modes[0]))];
	if (p->flags & AIORING_SETUP_SQTHREAD)
		p->sq_thread_idle = below(r, 30);
	if (p->flags & AIORING_SETUP_SQ_AFF)
		p->sq_thread_cpu = below(r, ncpu);
	if (chance(r, 30))
		p->max_workers = below(r, 6);
	if (!chance(r, 12))
		return 0;
	switch (below(r, 10)) {
	case 0:
		p->flags |= 1U << (3 + below(r, 13));
		break;
	case 1:
		p->resv[below(r, 5)] = 1 + below(r, 1000);
		break;
	case 2:
		p->sq_entries = chance(r, 50) ? 0 : AIORING_MAX_ENTRIES + 1 + below(r, 1 << 20);
		break;
	case 3:
		if (p->sq_entries < 2)
			p->sq_entries = 2;
		p->cq_entries = 1 + below(r, p->sq_entries - 1);
		break;
	case 4:
		p->cq_entries = AIORING_MAX_CQ_ENTRIES + 1 + below(r, 1000);
		break;
	case 5:
		p->flags &= ~AIORING_SETUP_SQ_AFF;
		p->sq_thread_cpu = 1 + below(r, 4);
		break;
	case 6:
		p->flags &= ~AIORING_SETUP_SQTHREAD & ~AIORING_SETUP_SQ_AFF;
		p->sq_thread_idle = 1 + below(r, 100);
		break;
	case 7:
		p->flags = AIORING_SETUP_SQ_AFF;
		p->sq_thread_idle = 0;
		p->sq_thread_cpu = 0;
		break;
	case 8:
		p->flags = AIORING_SETUP_SQWQ |
			   (chance(r, 50) ? AIORING_SETUP_SQTHREAD : AIORING_SETUP_IOPOLL);
		p->sq_thread_idle = 0;
		p->sq_thread_cpu = 0;
		break;
	case 9:
		/* An offline CPU is EINVAL: one this machine cannot have. */
		p->flags = AIORING_SETUP_SQTHREAD | AIORING_SETUP_SQ_AFF;
		p->sq_thread_cpu = 4096 + below(r, 1000);
		break;
	}
	return -EINVAL;
}

static void ring_unmap(struct fring *fr)
{
	if (fr->unmapped || !fr->ok)
		return;
	munmap(fr->sq_ptr, fr->sq_sz);
	munmap(fr->sqes, fr->sqes_sz);
	munmap(fr->cq_ptr, fr->cq_sz);
	fr->unmapped = 1;
	count_op();
}

/* Open, fuzz SETUP (and the ioctls before it), map. */
static void ring_create(struct thr *t, struct fring *fr)
{
	struct aioring_enter_args ea = { 0 };
	struct aioring_params p;
	struct rng *r = &t->r;
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int tries, exp;
	long ret;

	memset(fr, 0, sizeof(*fr));
	fr->idx = t->id;
	fr->fd = -1;
	fr->nfiles = -1;
	fr->model = !plan.chaos_register;
	/*
	 * Room for every SQE the ops may make (gen_cap), and beyond it for
	 * the drain's POLL_REMOVEs: one per pending poll, fewer than
	 * cq_entries / 2 (gen_sqe), cq_entries at most AIORING_MAX_CQ_ENTRIES.
	 */
	fr->gen_cap = plan.ops * 8 + 64;
	fr->cap = fr->gen_cap + AIORING_MAX_CQ_ENTRIES / 2 + 8;
	fr->tr = calloc(fr->cap, sizeof(*fr->tr));
	for (tries = 0; tries < 4; tries++) {
		if (fr->fd >= 0)
			close(fr->fd);
		count_op();
		fr->fd = open(AIORING_DEVICE, O_RDWR | O_CLOEXEC);
		if (fr->fd < 0) {
			/* Rings of killed rounds may still count against the cap. */
			if (errno == EMFILE || errno == ENFILE)
				return;
			fz_fail(t, "open %s: %s", AIORING_DEVICE, t_errname(errno));
		}
		/* Before SETUP everything but SETUP is -EBADFD. */
		if (chance(r, 20)) {
			ret = fz_ioctl(fr, AIORING_IOC_ENTER, &ea);
			if (ret != -EBADFD)
				fz_fail(t, "ENTER before SETUP: %s, expected -EBADFD", t_resname(ret));
		}
		if (chance(r, 5)) {
			ret = fz_ioctl(fr, AIORING_IOC_SETUP, chance(r, 50) ? NULL :
				       (void *)(uintptr_t)T_KERNEL_ADDR);
			if (ret != -EFAULT)
				fz_fail(t, "SETUP with a bad pointer: %s, expected -EFAULT",
					t_resname(ret));
			continue;
		}
		exp = gen_params(r, &p, ncpu);
		ret = fz_ioctl(fr, AIORING_IOC_SETUP, &p);
		if (exp && ret != exp)
			fz_fail(t, "SETUP (flags 0x%x, sq %u, cq %u, cpu %u, idle %u): %s, expected %s",
				p.flags, p.sq_entries, p.cq_entries, p.sq_thread_cpu,
				p.sq_thread_idle, t_resname(ret), t_resname(exp));
		if (!exp && ret && ret != -ENOMEM)
			fz_fail(t, "SETUP (flags 0x%x, sq %u, cq %u, cpu %u, idle %u, workers %u): %s",
				p.flags, p.sq_entries, p.cq_entries, p.sq_thread_cpu,
				p.sq_thread_idle, p.max_workers, t_resname(ret));
		if (!ret)
			break;
	}
	if (tries == 4) {
		/* A failed SETUP may leave a dead ring: no more of it. */
		close(fr->fd);
		fr->fd = -1;
		return;
	}
	/* A second SETUP is -EBUSY. */
	if (chance(r, 10)) {
		struct aioring_params q = p;

		ret = fz_ioctl(fr, AIORING_IOC_SETUP, &q);
		if (ret != -EBUSY)
			fz_fail(t, "second SETUP: %s, expected -EBUSY", t_resname(ret));
	}
	fr->p = p;
	fr->sq_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	fr->sqes_sz = p.sq_entries * sizeof(struct aioring_sqe);
	fr->cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct aioring_cqe);
	count_op();
	fr->sq_ptr = mmap(NULL, fr->sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED,
			  fr->fd, AIORING_OFF_SQ_RING);
	fr->sqes = mmap(NULL, fr->sqes_sz, PROT_READ | PROT_WRITE, MAP_SHARED,
			fr->fd, AIORING_OFF_SQES);
	fr->cq_ptr = mmap(NULL, fr->cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED,
			  fr->fd, AIORING_OFF_CQ_RING);
	if (fr->sq_ptr == MAP_FAILED || fr->sqes == MAP_FAILED || fr->cq_ptr == MAP_FAILED)
		fz_fail(t, "mapping a ring: %s", t_errname(errno));
	fr->khead = (unsigned *)(fr->sq_ptr + p.sq_off.head);
	fr->ktail = (unsigned *)(fr->sq_ptr + p.sq_off.tail);
	fr->kflags = (unsigned *)(fr->sq_ptr + p.sq_off.flags);
	fr->kdropped = (unsigned *)(fr->sq_ptr + p.sq_off.dropped);
	fr->array = (unsigned *)(fr->sq_ptr + p.sq_off.array);
	fr->cqhead = (unsigned *)(fr->cq_ptr + p.cq_off.head);
	fr->cqtail = (unsigned *)(fr->cq_ptr + p.cq_off.tail);
	fr->cqes = (struct aioring_cqe *)(fr->cq_ptr + p.cq_off.cqes);
	fr->entries = p.sq_entries;
	fr->mask = *(unsigned *)(fr->sq_ptr + p.sq_off.ring_mask);
	fr->cqmask = *(unsigned *)(fr->cq_ptr + p.cq_off.ring_mask);
	if (fr->mask != p.sq_entries - 1 || fr->cqmask != p.cq_entries - 1)
		fz_fail(t, "ring masks %u/%u for %u/%u entries", fr->mask, fr->cqmask,
			p.sq_entries, p.cq_entries);
	fr->tail = *fr->ktail;
	fr->iovs = calloc(p.sq_entries, sizeof(*fr->iovs));
	fr->ok = 1;
}

static int ring_sqthread(struct fring *fr)
{
	return fr->p.flags & AIORING_SETUP_SQTHREAD;
}

static int ring_iopoll(struct fring *fr)
{
	return fr->p.flags & AIORING_SETUP_IOPOLL;
}

/* ------------------------------------------------- CQEs and their check */

static int valid_errno(int res)
{
	return res < 0 && res >= -133;
}

static void check_cqe(struct thr *t, struct fring *fr, const struct aioring_cqe *c)
{
	uint64_t ud = c->user_data;
	struct track *tr;
	unsigned seq;

	if (ud == AIORING_DROPPED_USER_DATA) {
		if (c->res != -ERANGE)
			fz_fail(t, "ring %d: a dropped SQ slot's CQE has res %s, expected -ERANGE",
				fr->idx, t_resname(c->res));
		if (++fr->seen_dropped > fr->pub_dropped)
			fz_fail(t, "ring %d: %u dropped-slot CQEs for %u bad SQ slots",
				fr->idx, fr->seen_dropped, fr->pub_dropped);
		return;
	}
	seq = ud & 0xffffffffffULL;
	if ((ud >> 48) != UD_MAGIC || ((ud >> 40) & 0xff) != (unsigned)fr->idx ||
	    seq >= fr->nseq || !fr->tr[seq].state)
		fz_fail(t, "ring %d: CQE user_data 0x%llx res %s names no SQE submitted",
			fr->idx, (unsigned long long)ud, t_resname(c->res));
	tr = &fr->tr[seq];
	if (tr->state == 2)
		fz_fail(t, "ring %d: SQE %u (opcode %u) got a second CQE, res %s",
			fr->idx, seq, tr->op, t_resname(c->res));
	if (c->flags)
		fz_fail(t, "ring %d: SQE %u: CQE flags 0x%x, none are defined",
			fr->idx, seq, c->flags);
	if (tr->expect == EXPECT_REMOVE) {
		if (c->res != 0 && c->res != -ENOENT && c->res != -EALREADY)
			fz_fail(t, "ring %d: POLL_REMOVE %u: %s, expected 0, -ENOENT or -EALREADY",
				fr->idx, seq, t_resname(c->res));
	} else if (tr->expect != ANY) {
		atomic_fetch_add_explicit(&sh->exact, 1, memory_order_relaxed);
		if (c->res != tr->expect)
			fz_fail(t, "ring %d: SQE %u (opcode %u): %s, expected %s",
				fr->idx, seq, tr->op, t_resname(c->res), t_resname(tr->expect));
	} else if (c->res < 0) {
		if (!valid_errno(c->res))
			fz_fail(t, "ring %d: SQE %u (opcode %u): res %d is no errno",
				fr->idx, seq, tr->op, c->res);
	} else if (tr->op == AIORING_OP_POLL_ADD) {
		if (!c->res || (c->res & ~(tr->pollev | POLLERR | POLLHUP)))
			fz_fail(t, "ring %d: POLL_ADD %u for 0x%x: mask 0x%x",
				fr->idx, seq, tr->pollev, c->res);
	} else if ((uint32_t)c->res > tr->maxres) {
		fz_fail(t, "ring %d: SQE %u (opcode %u): %d bytes for at most %u",
			fr->idx, seq, tr->op, c->res, tr->maxres);
	}
	if (tr->op == AIORING_OP_POLL_ADD)
		fr->pending_polls--;
	if (tr->op == AIORING_OP_POLL_REMOVE && tr->target < fr->nseq) {
		fr->tr[tr->target].removes++;
		fr->tr[tr->target].rmres = c->res;
	}
	tr->state = 2;
	fr->ncqe++;
	atomic_fetch_add_explicit(&sh->cqes, 1, memory_order_relaxed);
}

static unsigned reap(struct thr *t, struct fring *fr)
{
	unsigned head, tail, n = 0;

	if (!fr->ok || fr->unmapped)
		return 0;
	head = *fr->cqhead;
	/* Pairs with the kernel's store-release of the CQ tail. */
	tail = __atomic_load_n(fr->cqtail, __ATOMIC_ACQUIRE);
	if (tail - head > fr->p.cq_entries)
		fz_fail(t, "ring %d: CQ tail %u head %u: more than %u CQEs",
			fr->idx, tail, head, fr->p.cq_entries);
	while (head != tail) {
		check_cqe(t, fr, &fr->cqes[head & fr->cqmask]);
		head++;
		n++;
	}
	/* Pairs with the kernel's load-acquire of the CQ head. */
	__atomic_store_n(fr->cqhead, head, __ATOMIC_RELEASE);
	return n;
}

/* --------------------------------------------------------- SQE making */

static uint64_t rand_off(struct rng *r)
{
	switch (below(r, 12)) {
	case 0:
		return -1ULL;			/* the file position */
	case 1:
		return (uint64_t)-2 - below(r, 1000);	/* negative: EINVAL */
	case 2:
		return 1ULL << (40 + below(r, 23));	/* far */
	case 3:
		return FILE_SIZE - below(r, 8192);	/* around EOF */
	default:
		return below(r, IO_SPAN) & ~(chance(r, 70) ? 4095ULL : 0);
	}
}

/* A buffer of the pool, or worse; *maxlen is what a transfer can reach. */
static uint64_t rand_buf(struct rng *r, uint32_t *len)
{
	char *end = pool.buf + POOL_PAGES * 4096;
	uint32_t l;

	l = chance(r, 60) ? 512U << below(r, 4) : 1 + below(r, chance(r, 90) ? 16384 : 65536);
	if (chance(r, 2))
		l = 0x7ffff000 + below(r, 0x1000);
	*len = l;
	switch (below(r, 20)) {
	case 0:
		return (uint64_t)(uintptr_t)(end - below(r, 4096));	/* into the guard */
	case 1:
		return (uint64_t)(uintptr_t)(pool.buf - 4096 + below(r, 4096));
	case 2:
		return 0;
	case 3:
		return T_KERNEL_ADDR + below(r, 1 << 20);
	case 4:
		return 0x8000000000000000ULL + below(r, 1 << 20);	/* non-canonical */
	case 5:
		return (uint64_t)(uintptr_t)pool.ro;
	case 6:
		if (pool.shm != MAP_FAILED)
			return (uint64_t)(uintptr_t)pool.shm;
		/* fall through */
	default: {
		uint64_t off = below(r, POOL_PAGES * 4096);

		if (chance(r, 60))
			off &= ~4095ULL;
		else if (chance(r, 50))
			off &= ~511ULL;
		return (uint64_t)(uintptr_t)(pool.buf + off);
	}
	}
}

static void set_expect(struct track *tr, int exp)
{
	if (tr->expect == ANY)
		tr->expect = exp;
}

/*
 * Fill @sqe at SQ slot @slot and say what its CQE may be, following the
 * checks the ABI states, in the order the module makes them: opcode,
 * flags, reserved fields, the file, then the opcode's own fields.
 */
static void gen_sqe(struct thr *t, struct fring *fr, struct aioring_sqe *sqe,
		    unsigned slot, struct track *tr, uint64_t ud)
{
	static const uint8_t ops[] = {
		AIORING_OP_NOP, AIORING_OP_READ, AIORING_OP_READ, AIORING_OP_READ,
		AIORING_OP_WRITE, AIORING_OP_WRITE, AIORING_OP_READV, AIORING_OP_WRITEV,
		AIORING_OP_READ_FIXED, AIORING_OP_WRITE_FIXED, AIORING_OP_FSYNC,
		AIORING_OP_POLL_ADD, AIORING_OP_POLL_ADD, AIORING_OP_POLL_REMOVE,
	};
	struct rng *r = &t->r;
	int kind = -1, fixed = 0, known_file = 1, op, i;
	uint32_t len;

	memset(sqe, 0, sizeof(*sqe));
	op = chance(r, 92) ? ops[below(r, sizeof(ops))] : (int)below(r, 256);
	sqe->opcode = op;
	sqe->user_data = ud;
	tr->op = op;
	tr->expect = ANY;
	tr->maxres = 0;
	tr->dep = 0;
	tr->kind = -1;
	tr->target = ~0U;
	tr->removes = 0;

	/* The file: by fd, or a registered slot. */
	fixed = chance(r, ring_sqthread(fr) ? 85 : 20);
	if (fixed) {
		sqe->flags |= AIORING_SQE_FIXED_FILE;
		i = (int)below(r, 18) - 1;
		sqe->fd = i;
		tr->dep = 1;
		if (!fr->model)
			known_file = 0;
		else if (fr->nfiles < 0 || i < 0 || i >= fr->nfiles || fr->files[i] < 0)
			kind = -1;
		else
			kind = fr->files[i];
	} else {
		kind = pick_kind(r);
		sqe->fd = pool.fd[kind];
		if (kind_bad(kind) || ring_sqthread(fr))
			kind = -1;
	}
	if (chance(r, 15))
		sqe->flags |= AIORING_SQE_ASYNC;
	tr->kind = kind;

	switch (op) {
	case AIORING_OP_NOP:
		if (chance(r, 10))
			switch (below(r, 5)) {
			case 0: sqe->addr = 1 + below(r, 1000); break;
			case 1: sqe->len = 1 + below(r, 1000); break;
			case 2: sqe->off = 1 + below(r, 1000); break;
			case 3: sqe->rw_flags = 1 + below(r, 1000); break;
			case 4: sqe->buf_index = 1 + below(r, 1000); break;
			}
		break;
	case AIORING_OP_READ:
	case AIORING_OP_WRITE:
		sqe->addr = rand_buf(r, &len);
		sqe->len = len;
		tr->maxres = len;
		break;
	case AIORING_OP_READV:
	case AIORING_OP_WRITEV: {
		struct iovec *iov = fr->iovs[slot];
		unsigned n = below(r, 9);

		tr->maxres = 0;
		for (unsigned k = 0; k < n; k++) {
			iov[k].iov_base = (void *)(uintptr_t)rand_buf(r, &len);
			iov[k].iov_len = len;
			tr->maxres += len > 0x7ffff000 - tr->maxres ?
				      0x7ffff000 - tr->maxres : len;
		}
		sqe->addr = (uint64_t)(uintptr_t)iov;
		sqe->len = n;
		if (chance(r, 5)) {
			sqe->len = chance(r, 50) ? 1025 + below(r, 100000) : 1 + below(r, 8);
			sqe->addr = rand_buf(r, &len);
			tr->maxres = 0x7ffff000;
		}
		break;
	}
	case AIORING_OP_READ_FIXED:
	case AIORING_OP_WRITE_FIXED: {
		int b = fr->nbufs ? (int)below(r, fr->nbufs + 1) : 0;

		sqe->buf_index = chance(r, 95) ? (unsigned)b : below(r, 65536);
		if (b < fr->nbufs && chance(r, 85)) {
			struct iovec *iv = &fr->bufs[b];
			uint64_t o = below(r, iv->iov_len);

			sqe->addr = (uint64_t)(uintptr_t)iv->iov_base + o;
			sqe->len = below(r, iv->iov_len - o + (chance(r, 10) ? 100 : 1));
		} else {
			sqe->addr = rand_buf(r, &len);
			sqe->len = len;
		}
		tr->maxres = sqe->len;
		break;
	}
	case AIORING_OP_FSYNC:
		sqe->fsync_flags = chance(r, 90) ? below(r, 2) : rnd(r);
		if (chance(r, 30)) {
			sqe->off = rand_off(r);
			sqe->len = below(r, 1 << 20);
		}
		if (chance(r, 5))
			sqe->addr = 1;
		break;
	case AIORING_OP_POLL_ADD:
		/*
		 * Polls that never fire hold CQ-sized room in the kernel: keep
		 * them under half of it, or nothing could be submitted, not
		 * even the POLL_REMOVE that ends them (ENTER says -EBUSY).
		 */
		if (fr->pending_polls >= fr->p.cq_entries / 2) {
			sqe->opcode = tr->op = op = AIORING_OP_NOP;
			break;
		}
		fr->pending_polls++;
		sqe->poll32_events = chance(r, 95) ?
			(uint32_t)(rnd(r) & (POLLIN | POLLOUT | POLLPRI | POLLRDHUP |
					     POLLRDNORM | POLLWRNORM)) :
			(uint32_t)rnd(r);
		tr->pollev = sqe->poll32_events;
		if (chance(r, 5))
			sqe->len = 1;
		break;
	case AIORING_OP_POLL_REMOVE: {
		/* Mostly a poll of ours, possibly long done. */
		unsigned k = fr->nseq ? below(r, fr->nseq) : 0;

		if (chance(r, 80)) {
			for (unsigned n = 0; n < fr->nseq; n++, k = (k + 1) % fr->nseq)
				if (fr->tr[k].op == AIORING_OP_POLL_ADD &&
				    fr->tr[k].state == 1)
					break;
			sqe->addr = (UD_MAGIC << 48) | ((uint64_t)fr->idx << 40) | k;
			tr->target = k;
		} else {
			sqe->addr = rnd(r) & ~(0xffffULL << 48);
		}
		break;
	}
	default:
		sqe->addr = rnd(r);
		sqe->len = rnd(r);
		sqe->off = rnd(r);
		break;
	}
	if (op == AIORING_OP_READ || op == AIORING_OP_WRITE || op == AIORING_OP_READV ||
	    op == AIORING_OP_WRITEV || op == AIORING_OP_READ_FIXED ||
	    op == AIORING_OP_WRITE_FIXED) {
		sqe->off = rand_off(r);
		if (chance(r, 20))
			sqe->rw_flags = 1U << below(r, 5);
		if (chance(r, 3))
			sqe->rw_flags = rnd(r);
		if (chance(r, 3))
			sqe->buf_index = 1 + below(r, 4);
	}
	/* One defect the ABI names, sometimes. */
	if (chance(r, 6))
		switch (below(r, 6)) {
		case 0: sqe->flags |= 1U << (1 + below(r, 7)); break;
		case 1: sqe->ioprio = 1 + below(r, 7); break;
		case 2: sqe->personality = 1 + below(r, 100); break;
		case 3: sqe->__resv1 = 1 + below(r, 100); break;
		case 4: sqe->__resv2[below(r, 2)] = 1 + rnd(r) % 1000; break;
		case 5: sqe->flags |= 1U << (5 + below(r, 3)); break;
		}

	tr->sqe_flags = sqe->flags;
	/* What the module must say, in its order of checks. */
	if (op >= AIORING_OP_LAST || (op > AIORING_OP_POLL_REMOVE && op < AIORING_OP_READ)) {
		set_expect(tr, -EINVAL);
		return;
	}
	if (sqe->flags & ~AIORING_SQE_FLAGS_SUPPORTED) {
		set_expect(tr, -EINVAL);
		return;
	}
	if (sqe->ioprio || sqe->personality || sqe->__resv1 || sqe->__resv2[0] ||
	    sqe->__resv2[1]) {
		set_expect(tr, -EINVAL);
		return;
	}
	if (op != AIORING_OP_NOP && op != AIORING_OP_POLL_REMOVE) {
		if (!known_file)
			return;
		if (kind < 0) {
			set_expect(tr, -EBADF);
			return;
		}
	}
	switch (op) {
	case AIORING_OP_NOP:
		set_expect(tr, sqe->addr || sqe->len || sqe->off || sqe->rw_flags ||
			       sqe->buf_index ? -EINVAL : 0);
		break;
	case AIORING_OP_POLL_ADD:
		if (ring_iopoll(fr) || sqe->off || sqe->addr || sqe->len || sqe->buf_index ||
		    (sqe->poll32_events & ~FZ_POLL_OK) || kind == FK_RING)
			set_expect(tr, -EINVAL);
		else if (kind == FK_SIGNALFD)
			set_expect(tr, -EOPNOTSUPP);
		break;
	case AIORING_OP_POLL_REMOVE:
		if (ring_iopoll(fr) || sqe->off || sqe->len || sqe->poll32_events ||
		    sqe->buf_index)
			set_expect(tr, -EINVAL);
		else if ((sqe->addr >> 48) != UD_MAGIC)
			set_expect(tr, -ENOENT);
		else
			tr->expect = EXPECT_REMOVE;
		break;
	case AIORING_OP_FSYNC:
		if (ring_iopoll(fr) || sqe->addr || sqe->buf_index ||
		    (sqe->fsync_flags & ~AIORING_FSYNC_DATASYNC) || (int64_t)sqe->off < 0)
			set_expect(tr, -EINVAL);
		break;
	default: {
		int fixedbuf = op == AIORING_OP_READ_FIXED || op == AIORING_OP_WRITE_FIXED;

		if (sqe->rw_flags & ~FZ_RWF_OK)
			set_expect(tr, -EOPNOTSUPP);
		else if (kind == FK_SIGNALFD)
			set_expect(tr, -EOPNOTSUPP);
		else if (sqe->rw_flags & RWF_HIPRI)
			set_expect(tr, -EINVAL);
		else if (sqe->buf_index && !fixedbuf)
			set_expect(tr, -EINVAL);
		else if (sqe->off != -1ULL && (int64_t)sqe->off < 0)
			set_expect(tr, -EINVAL);
		else if (fixedbuf && fr->model) {
			int b = sqe->buf_index;
			uint64_t s, e;

			tr->dep = 1;
			if (b >= fr->nbufs) {
				set_expect(tr, -EFAULT);
				break;
			}
			s = (uint64_t)(uintptr_t)fr->bufs[b].iov_base;
			e = s + fr->bufs[b].iov_len;
			if (sqe->addr < s || sqe->addr + sqe->len > e)
				set_expect(tr, -EFAULT);
		}
		break;
	}
	}
}

/* ------------------------------------------------------ ENTER, checked */

static void on_sigusr1(int sig)
{
	(void)sig;
}

/*
 * ENTER with valid arguments; checks what it returns against how far the
 * SQ head moved, and the time it took against its timeout.
 */
static long do_enter(struct thr *t, struct fring *fr, unsigned to_submit,
		     unsigned min_complete, unsigned flags, uint64_t timeout_ns,
		     int with_sigmask)
{
	struct aioring_enter_args ea = { 0 };
	unsigned head0 = 0, head1;
	uint64_t t0, took, limit;
	sigset_t ss;
	long ret;

	ea.to_submit = to_submit;
	ea.min_complete = min_complete;
	ea.flags = flags;
	if (flags & AIORING_ENTER_TIMEOUT)
		ea.timeout_ns = timeout_ns;
	if (with_sigmask) {
		sigemptyset(&ss);
		sigaddset(&ss, SIGUSR1);
		ea.sigmask = (uint64_t)(uintptr_t)&ss;
		ea.sigsz = T_KSIGSET_SIZE;
	}
	/* Never a wait without an end: requests may be stuck for good. */
	if ((flags & AIORING_ENTER_GETEVENTS) && min_complete &&
	    !(flags & AIORING_ENTER_TIMEOUT))
		fz_fail(t, "internal: an ENTER that could wait forever");
	if (!fr->unmapped)
		head0 = __atomic_load_n(fr->khead, __ATOMIC_ACQUIRE);
	t0 = t_now_ns();
	ret = fz_ioctl_ret(fr->fd, AIORING_IOC_ENTER, &ea);
	took = t_now_ns() - t0;
	limit = (uint64_t)opt_slack_ms * 1000000 +
		((flags & AIORING_ENTER_TIMEOUT) ? timeout_ns : 0);
	if (took > limit)
		fz_fail(t, "ring %d: ENTER(to_submit %u, min_complete %u, flags 0x%x, timeout %llu ns) took %llu ms",
			fr->idx, to_submit, min_complete, flags,
			(unsigned long long)timeout_ns, (unsigned long long)(took / 1000000));
	if ((flags & AIORING_ENTER_TIMEOUT) && took > timeout_ns) {
		unsigned long long over = took - timeout_ns, m;

		m = atomic_load(&sh->enter_max_over_ns);
		while (over > m && !atomic_compare_exchange_weak(&sh->enter_max_over_ns, &m, over))
			;
	}
	if (atomic_load(&fr->closed))
		return ret;
	if (ret < 0 && ret != -ETIME && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN)
		fz_fail(t, "ring %d: ENTER(to_submit %u, min_complete %u, flags 0x%x): %s",
			fr->idx, to_submit, min_complete, flags, t_resname(ret));
	if (fr->unmapped || ring_sqthread(fr)) {
		if (ret > 0 && ring_sqthread(fr))
			fz_fail(t, "ring %d: ENTER on an SQ thread ring consumed %ld", fr->idx, ret);
		return ret;
	}
	head1 = __atomic_load_n(fr->khead, __ATOMIC_ACQUIRE);
	if (ret >= 0 && head1 - head0 != (unsigned)ret)
		fz_fail(t, "ring %d: ENTER returned %ld but the SQ head moved by %u",
			fr->idx, ret, head1 - head0);
	if (ret < 0 && head1 != head0)
		fz_fail(t, "ring %d: ENTER failed (%s) but consumed %u SQEs",
			fr->idx, t_resname(ret), head1 - head0);
	if (ret > (long)to_submit || head1 - head0 > fr->tail - head0)
		fz_fail(t, "ring %d: ENTER consumed %u of %u published, to_submit %u",
			fr->idx, head1 - head0, fr->tail - head0, to_submit);
	return ret;
}

/* ENTER with one defect the ABI names; nothing may be consumed. */
static void bad_enter(struct thr *t, struct fring *fr)
{
	struct aioring_enter_args ea = { 0 };
	struct rng *r = &t->r;
	sigset_t ss;
	long ret, exp = -EINVAL;
	void *arg = &ea;

	ea.to_submit = below(r, 4);
	sigemptyset(&ss);
	switch (below(r, 7)) {
	case 0:
		ea.flags = 1U << (2 + below(r, 6));
		break;
	case 1:
		ea.flags = 1U << (9 + below(r, 23));
		break;
	case 2:
		ea.resv[below(r, 2)] = 1 + below(r, 100);
		break;
	case 3:
		ea.timeout_ns = 1 + below(r, 1000);
		break;
	case 4:
		ea.sigmask = (uint64_t)(uintptr_t)&ss;
		ea.sigsz = chance(r, 50) ? 0 : 1 + below(r, 200);
		if (ea.sigsz == T_KSIGSET_SIZE)
			ea.sigsz = 9;
		break;
	case 5:
		ea.sigsz = T_KSIGSET_SIZE;
		break;
	case 6:
		arg = chance(r, 50) ? NULL : (void *)(uintptr_t)T_KERNEL_ADDR;
		exp = -EFAULT;
		break;
	}
	ret = fz_ioctl_ret(fr->fd, AIORING_IOC_ENTER, arg);
	if (atomic_load(&fr->closed))
		return;
	if (ret != exp)
		fz_fail(t, "ring %d: ENTER(flags 0x%x, resv %llu/%llu, timeout %llu, sigsz %u%s): %s, expected %s",
			fr->idx, ea.flags, (unsigned long long)ea.resv[0],
			(unsigned long long)ea.resv[1], (unsigned long long)ea.timeout_ns,
			ea.sigsz, arg == &ea ? "" : ", bad pointer", t_resname(ret),
			t_resname(exp));
}

/* A sigmask pointing at a guard page, with GETEVENTS: -EFAULT, or 0. */

/* ------------------------------------------------------------ submit */

static void submit_batch(struct thr *t, struct fring *fr)
{
	struct rng *r = &t->r;
	unsigned head, space, n, k, flags = 0, minc = 0;
	uint64_t tmo = 0;

	if (!fr->ok || fr->unmapped)
		return;
	head = __atomic_load_n(fr->khead, __ATOMIC_ACQUIRE);
	if (fr->tail - head > fr->entries)
		fz_fail(t, "ring %d: SQ head %u is past our tail %u", fr->idx, head, fr->tail);
	space = fr->entries - (fr->tail - head);
	n = 1 + below(r, chance(r, 70) ? 8 : 16);
	if (n > space)
		n = space;
	if (fr->nseq + n >= fr->gen_cap)
		n = 0;
	for (k = 0; k < n; k++) {
		unsigned pos = fr->tail, slot = pos & fr->mask;
		struct track *tr;

		if (chance(r, 2)) {
			/* An index past the SQE array: dropped, one -ERANGE. */
			fr->array[slot] = fr->entries + below(r, 1U << 31);
			fr->pub_dropped++;
		} else {
			tr = &fr->tr[fr->nseq];
			gen_sqe(t, fr, &fr->sqes[slot], slot, tr,
				(UD_MAGIC << 48) | ((uint64_t)fr->idx << 40) | fr->nseq);
			tr->sqpos = pos;
			tr->state = 1;
			fr->nseq++;
			fr->array[slot] = slot;
		}
		fr->tail++;
		atomic_fetch_add_explicit(&sh->sqes, 1, memory_order_relaxed);
		count_op();
	}
	/* Pairs with the kernel's load-acquire of the SQ tail. */
	__atomic_store_n(fr->ktail, fr->tail, __ATOMIC_RELEASE);

	if (ring_sqthread(fr)) {
		if ((__atomic_load_n(fr->kflags, __ATOMIC_ACQUIRE) & AIORING_SQ_NEED_WAKEUP) ||
		    chance(r, 10))
			do_enter(t, fr, 0, 0, AIORING_ENTER_SQ_WAKEUP, 0, 0);
		return;
	}
	if (chance(r, 50)) {
		flags |= AIORING_ENTER_GETEVENTS;
		minc = below(r, n + 2);
		if (minc || chance(r, 50)) {
			flags |= AIORING_ENTER_TIMEOUT;
			tmo = below(r, 5) ? below(r, 3000000) : below(r, 30000000);
		}
	}
	do_enter(t, fr, chance(r, 90) ? fr->tail - head : below(r, fr->tail - head + 4),
		 minc, flags, tmo, chance(r, 10));
}

/* Fill the CQ past its size with NOPs, then reap: parked completions. */
static void overflow(struct thr *t, struct fring *fr)
{
	unsigned rounds = 2 + below(&t->r, 3);

	if (!fr->ok || fr->unmapped || ring_sqthread(fr))
		return;
	for (unsigned i = 0; i < rounds; i++) {
		unsigned head = __atomic_load_n(fr->khead, __ATOMIC_ACQUIRE);
		unsigned space = fr->entries - (fr->tail - head), k;

		if (fr->nseq + space >= fr->gen_cap)
			return;
		for (k = 0; k < space; k++) {
			unsigned slot = fr->tail & fr->mask;
			struct aioring_sqe *sqe = &fr->sqes[slot];
			struct track *tr = &fr->tr[fr->nseq];

			memset(sqe, 0, sizeof(*sqe));
			sqe->opcode = AIORING_OP_NOP;
			sqe->user_data = (UD_MAGIC << 48) | ((uint64_t)fr->idx << 40) | fr->nseq;
			tr->op = AIORING_OP_NOP;
			tr->expect = 0;
			tr->sqpos = fr->tail;
			tr->state = 1;
			fr->nseq++;
			fr->array[slot] = slot;
			fr->tail++;
			atomic_fetch_add_explicit(&sh->sqes, 1, memory_order_relaxed);
			count_op();
		}
		__atomic_store_n(fr->ktail, fr->tail, __ATOMIC_RELEASE);
		do_enter(t, fr, space, 0, 0, 0, 0);
	}
}

/* ------------------------------------------------------ registration */

/*
 * A buffer to register, and the error it must give (0: fine). *@early
 * says the error is one of those found before anything is charged or
 * pinned (NULL, empty, over 1 GiB); the others come from the pin.
 */
static int gen_regbuf(struct rng *r, struct iovec *iov, int *early)
{
	uint64_t off;

	*early = 0;

	switch (below(r, 14)) {
	case 0:
		iov->iov_base = NULL;
		iov->iov_len = 4096;
		*early = 1;
		return -EFAULT;
	case 1:
		iov->iov_base = pool.buf;
		iov->iov_len = 0;
		*early = 1;
		return -EFAULT;
	case 2:
		iov->iov_base = pool.buf + POOL_PAGES * 4096 - 4096;
		iov->iov_len = 4097 + below(r, 4096);		/* into the guard */
		return -EFAULT;
	case 3:
		iov->iov_base = pool.ro;
		iov->iov_len = 4096;
		return -EFAULT;
	case 4:
		iov->iov_base = pool.buf;
		iov->iov_len = (1ULL << 30) + 1 + below(r, 1 << 20);
		*early = 1;
		return -EINVAL;
	case 5:
		if (pool.filemap == MAP_FAILED)
			break;
		iov->iov_base = pool.filemap;
		iov->iov_len = 1 + below(r, 4096);
		return -EOPNOTSUPP;
	case 6:
		if (pool.shm == MAP_FAILED)
			break;
		iov->iov_base = pool.shm;
		iov->iov_len = 1 + below(r, 4096);
		return 0;
	}
	off = below(r, POOL_PAGES * 4096 - 1);
	iov->iov_base = pool.buf + off;
	iov->iov_len = 1 + below(r, POOL_PAGES * 4096 - off);
	return 0;
}

/*
 * @nr fds to register: kinds[i] is the slot's file kind, -1 for an empty
 * slot (fd -1); bad[i] says the kernel must refuse that fd (-EBADF): not
 * open, O_PATH, or a ring. Returns the index of the first bad one, or -1.
 */
static int gen_regfiles(struct rng *r, int32_t *fds, int8_t *kinds, uint8_t *bad,
			unsigned nr)
{
	int first = -1;

	for (unsigned i = 0; i < nr; i++) {
		int k = chance(r, 15) ? FK_NEG : pick_kind(r);

		fds[i] = k == FK_NEG && chance(r, 50) ? -1 : pool.fd[k];
		kinds[i] = fds[i] == -1 ? -1 : k;
		bad[i] = fds[i] != -1 && (kind_bad(k) || k == FK_RING);
		if (bad[i] && first < 0)
			first = i;
	}
	return first;
}

static void reg_op(struct thr *t, struct fring *fr, int sloppy)
{
	struct aioring_register_args ra = { 0 };
	struct rng *r = &t->r;
	struct iovec iov[5];
	int32_t fds[20];
	int8_t kinds[20];
	uint8_t bad[20];
	int exp = 0, alt = 0;
	long ret;
	unsigned nr;

	if (!fr->ok)
		return;
	switch (below(r, 9)) {
	case 0:
	case 1: {
		int first_early = 0, first_pin = 0;

		/*
		 * Every buffer is checked, in order, before anything is charged
		 * (NULL or empty: -EFAULT, over 1 GiB: -EINVAL); then the
		 * charge (-ENOMEM over the limit); then the pins, in order.
		 */
		nr = 1 + below(r, 4);
		for (unsigned i = 0; i < nr; i++) {
			int early, e = gen_regbuf(r, &iov[i], &early);

			if (early && !first_early)
				first_early = e;
			else if (!early && !first_pin)
				first_pin = e;
		}
		exp = first_early ? first_early : first_pin;
		alt = first_early ? 0 : -ENOMEM;
		ra.opcode = AIORING_REGISTER_BUFFERS;
		ra.nr = nr;
		ra.arg = (uint64_t)(uintptr_t)iov;
		if (chance(r, 5)) {
			ra.nr = chance(r, 50) ? 0 : AIORING_MAX_REG_BUFFERS + 1 + below(r, 100);
			exp = -EINVAL;
			alt = 0;
		} else if (chance(r, 5)) {
			ra.arg = chance(r, 50) ? 0 : T_KERNEL_ADDR;
			exp = -EFAULT;
			alt = 0;
		}
		if (fr->nbufs) {
			exp = -EBUSY;
			alt = 0;
		}
		break;
	}
	case 2:
		ra.opcode = AIORING_UNREGISTER_BUFFERS;
		exp = fr->nbufs ? 0 : -ENXIO;
		if (chance(r, 5)) {
			ra.nr = 1;
			exp = -EINVAL;
		}
		break;
	case 3:
	case 4:
		nr = 1 + below(r, 16);
		exp = gen_regfiles(r, fds, kinds, bad, nr) >= 0 ? -EBADF : 0;
		ra.opcode = AIORING_REGISTER_FILES;
		ra.nr = nr;
		ra.arg = (uint64_t)(uintptr_t)fds;
		if (chance(r, 5)) {
			ra.nr = chance(r, 50) ? 0 : AIORING_MAX_REG_FILES + 1 + below(r, 100);
			exp = -EINVAL;
		} else if (chance(r, 5)) {
			ra.arg = chance(r, 50) ? 0 : T_KERNEL_ADDR;
			exp = -EFAULT;
		}
		if (fr->nfiles >= 0)
			exp = -EBUSY;
		break;
	case 5:
		ra.opcode = AIORING_UNREGISTER_FILES;
		exp = fr->nfiles >= 0 ? 0 : -ENXIO;
		if (chance(r, 5)) {
			ra.arg = 1;
			exp = -EINVAL;
		}
		break;
	case 6:
	case 7: {
		int first;

		nr = 1 + below(r, 4);
		ra.opcode = AIORING_REGISTER_FILES_UPDATE;
		ra.offset = below(r, 18);
		ra.nr = nr;
		ra.arg = (uint64_t)(uintptr_t)fds;
		first = gen_regfiles(r, fds, kinds, bad, nr);
		if (fr->nfiles < 0)
			exp = -ENXIO;
		else if (ra.offset >= (unsigned)fr->nfiles || nr > fr->nfiles - ra.offset)
			exp = -EINVAL;
		else	/* the slots before the first bad fd are replaced */
			exp = first < 0 ? (int)nr : first ? first : -EBADF;
		break;
	}
	default:
		/* Defects checked before anything else. */
		switch (below(r, 4)) {
		case 0: ra.opcode = 4 + below(r, 2); break;	/* io_uring's, not ours */
		case 1: ra.opcode = 7 + below(r, 100); break;
		case 2: ra.resv1 = 1; ra.opcode = below(r, 7); break;
		case 3: ra.offset = 1 + below(r, 10); ra.opcode = below(r, 4); break;
		}
		exp = -EINVAL;
		if (chance(r, 10)) {
			ret = fz_ioctl(fr, AIORING_IOC_REGISTER,
				       chance(r, 50) ? NULL : (void *)(uintptr_t)T_KERNEL_ADDR);
			if (!atomic_load(&fr->closed) && ret != -EFAULT)
				fz_fail(t, "ring %d: REGISTER with a bad pointer: %s",
					fr->idx, t_resname(ret));
			return;
		}
		break;
	}
	ret = fz_ioctl_ret(fr->fd, AIORING_IOC_REGISTER, &ra);
	if (atomic_load(&fr->closed))
		return;
	if (sloppy || !fr->model) {
		if (ret < 0 && !valid_errno(ret))
			fz_fail(t, "ring %d: REGISTER opcode %u: %ld", fr->idx, ra.opcode, ret);
		if (ret > 0 && (ra.opcode != AIORING_REGISTER_FILES_UPDATE || ret > ra.nr))
			fz_fail(t, "ring %d: REGISTER opcode %u nr %u: %ld", fr->idx,
				ra.opcode, ra.nr, ret);
		return;
	}
	if (ret != exp && !(alt && ret == alt))
		fz_fail(t, "ring %d: REGISTER opcode %u nr %u offset %u (buffers %d, files %d): %s, expected %s",
			fr->idx, ra.opcode, ra.nr, ra.offset, fr->nbufs, fr->nfiles,
			t_resname(ret), t_resname(exp));
	if (ret < 0)
		return;
	/*
	 * The model follows. SQEs published before may be consumed after
	 * (an SQ thread, or ENTER with a smaller to_submit): what they
	 * expected from the old tables no longer holds.
	 */
	for (unsigned s = 0; s < fr->nseq; s++)
		if (fr->tr[s].state == 1 && fr->tr[s].dep && fr->tr[s].expect != EXPECT_REMOVE)
			fr->tr[s].expect = ANY;
	switch (ra.opcode) {
	case AIORING_REGISTER_BUFFERS:
		fr->nbufs = ra.nr;
		memcpy(fr->bufs, iov, ra.nr * sizeof(iov[0]));
		break;
	case AIORING_UNREGISTER_BUFFERS:
		fr->nbufs = 0;
		break;
	case AIORING_REGISTER_FILES:
		fr->nfiles = ra.nr;
		memcpy(fr->files, kinds, ra.nr);
		break;
	case AIORING_UNREGISTER_FILES:
		fr->nfiles = -1;
		break;
	case AIORING_REGISTER_FILES_UPDATE:
		memcpy(fr->files + ra.offset, kinds, ret);
		break;
	}
}

/* ------------------------------------------------- other ioctls, mmap */

static void stats_op(struct thr *t, struct fring *fr)
{
	struct aioring_stats st;
	long ret;

	if (chance(&t->r, 10)) {
		ret = fz_ioctl(fr, AIORING_IOC_STATS, chance(&t->r, 50) ? NULL :
			       (void *)(uintptr_t)(pool.buf - 64));
		if (!atomic_load(&fr->closed) && fr->ok && ret != -EFAULT)
			fz_fail(t, "ring %d: STATS into a bad pointer: %s", fr->idx, t_resname(ret));
		return;
	}
	ret = fz_ioctl(fr, AIORING_IOC_STATS, &st);
	if (atomic_load(&fr->closed))
		return;
	if (!fr->ok) {
		if (ret != -EBADFD && fr->fd >= 0)
			fz_fail(t, "ring %d: STATS before SETUP: %s", fr->idx, t_resname(ret));
		return;
	}
	if (ret)
		fz_fail(t, "ring %d: STATS: %s", fr->idx, t_resname(ret));
	/* Counters only grow (checked by the ring's own thread). */
	if (t->fr == fr) {
		if (st.submitted < fr->last_submitted)
			fz_fail(t, "ring %d: stats.submitted went from %llu to %llu", fr->idx,
				(unsigned long long)fr->last_submitted,
				(unsigned long long)st.submitted);
		fr->last_submitted = st.submitted;
	}
	for (unsigned i = 0; i < 5; i++)
		if (st.resv[i])
			fz_fail(t, "ring %d: stats.resv[%u] = %llu", fr->idx, i,
				(unsigned long long)st.resv[i]);
}

static void probe_op(struct thr *t, struct fring *fr)
{
	struct aioring_probe_file pf = { 0 };
	struct rng *r = &t->r;
	int k = pick_kind(r);
	long ret, exp;

	pf.fd = pool.fd[k];
	pf.caps = rnd(r);
	exp = kind_bad(k) ? -EBADF : 0;
	if (chance(r, 10)) {
		switch (below(r, 3)) {
		case 0: pf.flags = 1 + below(r, 100); break;
		case 1: pf.resv1 = 1; break;
		case 2: pf.resv[below(r, 3)] = 1; break;
		}
		exp = -EINVAL;
	}
	ret = fz_ioctl(fr, AIORING_IOC_PROBE_FILE, &pf);
	if (atomic_load(&fr->closed) || fr->fd < 0)
		return;
	if (ret != exp)
		fz_fail(t, "PROBE_FILE of kind %d (fd %d): %s, expected %s", k, pf.fd,
			t_resname(ret), t_resname(exp));
	if (!ret && (pf.caps & ~0x3fU))
		fz_fail(t, "PROBE_FILE: unknown caps 0x%x", pf.caps);
}

static void ioctl_op(struct thr *t, struct fring *fr)
{
	struct rng *r = &t->r;
	char buf[512];
	unsigned long cmd;
	long ret;

	do {
		unsigned dir = below(r, 4), nr = below(r, 16), size = below(r, 256);

		cmd = chance(r, 80) ? _IOC(dir, AIORING_IOC_MAGIC, nr, size) :
				      _IOC(dir, below(r, 256), nr, size);
	} while (cmd == AIORING_IOC_SETUP || cmd == AIORING_IOC_ENTER ||
		 cmd == AIORING_IOC_STATS || cmd == AIORING_IOC_REGISTER ||
		 cmd == AIORING_IOC_PROBE_FILE ||
		 /* the VFS's own: FIOCLEX, FIONBIO, FIOASYNC, FIFREEZE... */
		 _IOC_TYPE(cmd) == 'T' || _IOC_TYPE(cmd) == 'X' || _IOC_TYPE(cmd) == 'f' ||
		 _IOC_TYPE(cmd) == 0x94 || _IOC_TYPE(cmd) == 0x15 || _IOC_TYPE(cmd) == 0);
	memset(buf, 0, sizeof(buf));
	ret = fz_ioctl(fr, cmd, buf);
	if (atomic_load(&fr->closed) || fr->fd < 0)
		return;
	if (ret != -ENOTTY)
		fz_fail(t, "ring %d: ioctl 0x%lx: %s, expected -ENOTTY", fr->idx, cmd,
			t_resname(ret));
}

static void mmap_op(struct thr *t, struct fring *fr)
{
	static const uint64_t offs[] = {
		AIORING_OFF_SQ_RING, AIORING_OFF_SQES, AIORING_OFF_CQ_RING,
	};
	struct rng *r = &t->r;
	uint64_t off;
	size_t size, len;
	int exp_ok = 1, prot, flags;
	void *m;

	if (!fr->ok || atomic_load(&fr->closed))
		return;
	off = offs[below(r, 3)];
	size = off == AIORING_OFF_SQ_RING ? fr->sq_sz : off == AIORING_OFF_SQES ?
	       fr->sqes_sz : fr->cq_sz;
	size = (size + 4095) & ~4095UL;
	len = 1 + below(r, size);
	if (chance(r, 20)) {
		len = size + 4096 * (1 + below(r, 4));
		exp_ok = 0;
	}
	if (chance(r, 15)) {
		off = chance(r, 50) ? off + 4096 * (1 + below(r, 8)) : rnd(r) & ~4095ULL & 0x7fffffffffffULL;
		if (off != AIORING_OFF_SQ_RING && off != AIORING_OFF_SQES &&
		    off != AIORING_OFF_CQ_RING)
			exp_ok = 0;
	}
	prot = chance(r, 70) ? PROT_READ | PROT_WRITE : PROT_READ;
	flags = prot == PROT_READ && chance(r, 30) ? MAP_PRIVATE : MAP_SHARED;
	count_op();
	m = mmap(NULL, len, prot, flags, fr->fd, off);
	if (atomic_load(&fr->closed)) {
		if (m != MAP_FAILED)
			munmap(m, len);
		return;
	}
	if (exp_ok && m == MAP_FAILED)
		fz_fail(t, "ring %d: mmap(len %zu, off 0x%llx, prot %d, flags %d): %s",
			fr->idx, len, (unsigned long long)off, prot, flags, t_errname(errno));
	if (!exp_ok && m != MAP_FAILED)
		fz_fail(t, "ring %d: mmap(len %zu, off 0x%llx) succeeded", fr->idx, len,
			(unsigned long long)off);
	if (m == MAP_FAILED)
		return;
	/* The ring mappings are never inherited, and that cannot be undone. */
	if (chance(r, 30) && madvise(m, 4096, MADV_DOFORK) != -1)
		fz_fail(t, "ring %d: MADV_DOFORK on a ring mapping succeeded", fr->idx);
	if (mremap(m, len, len + 4096 * 16, 0) != MAP_FAILED)
		fz_fail(t, "ring %d: a ring mapping grew with mremap", fr->idx);
	munmap(m, len);
}

/*
 * A child sees the rings' fds but not their memory; every ioctl and mmap
 * of a ring from it is -EPERM, and its close disturbs nobody. It may exec.
 */
static void fork_op(struct thr *t)
{
	struct rng *r = &t->r;
	int do_exec = chance(r, 30);
	pid_t pid;
	int st;

	count_op();
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		struct aioring_enter_args ea = { 0 };
		struct aioring_stats stt;
		struct aioring_params p = { 0 };
		struct aioring_register_args ra = { 0 };

		p.sq_entries = 4;
		ra.opcode = AIORING_UNREGISTER_FILES;
		for (int i = 0; i < (int)plan.nrings; i++) {
			struct fring *fr = &rings[i];
			int code = 20 + i;

			if (!fr->ok || atomic_load(&fr->closed))
				continue;
			/* A ring fd closed meanwhile by the chaos thread: skip. */
			if (ioctl(fr->fd, AIORING_IOC_STATS, &stt) != -1 || errno != EPERM) {
				if (errno == ENOTTY)
					continue;
				_exit(code);
			}
			if (ioctl(fr->fd, AIORING_IOC_ENTER, &ea) != -1 || errno != EPERM)
				_exit(code);
			if (ioctl(fr->fd, AIORING_IOC_SETUP, &p) != -1 || errno != EPERM)
				_exit(code);
			if (ioctl(fr->fd, AIORING_IOC_REGISTER, &ra) != -1 || errno != EPERM)
				_exit(code);
			if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, fr->fd, 0) != MAP_FAILED ||
			    errno != EPERM)
				_exit(code + 10);
			close(fr->fd);
		}
		if (do_exec) {
			execl(self_exe, "fuzz", "--exec-child", (char *)NULL);
			_exit(40);
		}
		_exit(0);
	}
	while (waitpid(pid, &st, 0) != pid)
		if (errno != EINTR)
			fz_fail(t, "waitpid: %s", t_errname(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fz_fail(t, "forked child: status 0x%x (20+N: ring N's ioctl was not -EPERM, "
			"30+N: its mmap, 40: exec failed)", st);
}

/* The round's own end: exit, SIGKILL or exec with everything in flight. */
static void end_now(struct thr *t)
{
	atomic_fetch_add(&sh->ends[plan.end], 1);
	switch (plan.end) {
	case END_EXIT:
		_exit(0);
	case END_KILL:
		kill(getpid(), SIGKILL);
		for (;;)
			pause();
	case END_EXEC: {
		sigset_t ss;

		/*
		 * A SIGUSR1 of the chaos thread may be pending for this thread:
		 * it would outlive exec and kill the new image. Blocked, the
		 * new image ignores it first.
		 */
		sigemptyset(&ss);
		sigaddset(&ss, SIGUSR1);
		pthread_sigmask(SIG_BLOCK, &ss, NULL);
		execl(self_exe, "fuzz", "--exec-child", (char *)NULL);
	}
		fz_fail(t, "exec %s: %s", self_exe, t_errname(errno));
	default:
		break;
	}
}

/* ---------------------------------------------------------- threads */

static void *ring_thread(void *arg)
{
	struct thr *t = arg;
	struct fring *fr = t->fr;
	struct rng *r = &t->r;

	t->tid = syscall(SYS_gettid);
	if (opt_only_ring >= 0 && opt_only_ring != t->id)
		return NULL;
	for (t->op = 0; t->op < plan.ops; t->op++) {
		unsigned w = below(r, 100);

		if (atomic_load(&sh->stop))
			break;
		if (t->id == 0 && t->op == plan.end_at &&
		    (plan.end == END_EXIT || plan.end == END_KILL || plan.end == END_EXEC))
			end_now(t);
		if (!fr->ok || fr->fd < 0) {
			/* No ring: ioctls on nothing much. */
			if (fr->fd >= 0)
				stats_op(t, fr);
			continue;
		}
		if (w < 45)
			submit_batch(t, fr);
		else if (w < 65)
			reap(t, fr);
		else if (w < 71) {
			if (!ring_sqthread(fr) || chance(r, 50))
				do_enter(t, fr, 0, below(r, 4),
					 AIORING_ENTER_GETEVENTS | AIORING_ENTER_TIMEOUT,
					 below(r, 5000000), chance(r, 20));
			reap(t, fr);
		} else if (w < 75)
			bad_enter(t, fr);
		else if (w < 84)
			reg_op(t, fr, 0);
		else if (w < 87)
			stats_op(t, fr);
		else if (w < 89)
			probe_op(t, fr);
		else if (w < 91)
			ioctl_op(t, fr);
		else if (w < 94)
			mmap_op(t, fr);
		else if (w < 96)
			fork_op(t);
		else if (w < 97)
			overflow(t, fr);
		else
			reap(t, fr);
	}
	return NULL;
}

static void *chaos_thread(void *arg)
{
	struct thr *t = arg;
	struct rng *r = &t->r;
	unsigned ops = plan.ops / 2 + 1;
	int closed_one = 0;

	t->tid = syscall(SYS_gettid);
	for (t->op = 0; t->op < ops; t->op++) {
		struct fring *fr = &rings[below(r, plan.nrings)];
		unsigned w = below(r, 100);

		if (atomic_load(&sh->stop))
			break;
		if (w < 40 && plan.chaos_register) {
			reg_op(t, fr, 1);
		} else if (w < 55) {
			stats_op(t, fr);
		} else if (w < 70) {
			/* Interrupt a ring thread, maybe mid-ENTER. */
			struct thr *v = &thrs[below(r, plan.nrings)];

			if (v->tid)
				pthread_kill(v->th, SIGUSR1);
		} else if (w < 75) {
			fork_op(t);
		} else if (w < 78 && !closed_one && fr->ok && chance(r, 50)) {
			/*
			 * Close a ring under its submitter, maybe mid-ENTER: dup2
			 * over its fd, so the number stays valid (/dev/null) and
			 * nothing else ever lands on it.
			 */
			atomic_store(&fr->closed, 1);
			count_op();
			dup2(pool.devnull, fr->fd);
			closed_one = 1;
		} else {
			sched_yield();
			usleep(below(r, 300));
		}
	}
	return NULL;
}

/* ------------------------------------------------------------ drain */

/*
 * Make every pollable file ready, so no request stays stuck: data for
 * pending reads on one call, room for pending writes (and an eventfd
 * counter reset) on the next. Non-blocking from here on; a request that
 * meets O_NONBLOCK completes with -EAGAIN, which is fine.
 */
static void unstick(unsigned pass)
{
	static char junk[65536];
	static const int fds[] = {
		FK_PIPE_W, FK_PIPE_R, FK_SOCK_A, FK_SOCK_B, FK_PTY_M, FK_PTY_S,
		FK_EVENTFD,
	};
	uint64_t one = 1;

	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		int fd = pool.fd[fds[i]];

		if (fd < 0)
			continue;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		if (fds[i] == FK_EVENTFD) {
			if (pass & 1 ? read(fd, &one, 8) : write(fd, &one, 8))
				continue;
		} else if (pass & 1) {
			if (fds[i] != FK_PIPE_W && read(fd, junk, sizeof(junk)))
				continue;
		} else if (fds[i] != FK_PIPE_R && write(fd, "0123456789abcdef", 16)) {
			continue;
		}
	}
}

/*
 * The round drains: every pending poll is removed, every pollable file
 * made ready, and then every SQE the kernel consumed must have its one
 * CQE within 10 s, and the stats and dropped counters must agree.
 */
static void drain(struct thr *t)
{
	uint64_t deadline = t_now_ns() + 10000000000ULL;
	unsigned pass = 0;

	for (unsigned i = 0; i < plan.nrings; i++) {
		struct fring *fr = &rings[i];

		if (!fr->ok || fr->unmapped || atomic_load(&fr->closed))
			continue;
		/* Remove what may wait for ever: every poll not completed. */
		for (unsigned s = 0; s < fr->nseq && !ring_iopoll(fr); s++) {
			unsigned head = __atomic_load_n(fr->khead, __ATOMIC_ACQUIRE);
			unsigned slot;
			struct aioring_sqe *sqe;
			struct track *tr;

			if (fr->tr[s].op != AIORING_OP_POLL_ADD || fr->tr[s].state != 1)
				continue;
			if (fr->nseq >= fr->cap)
				fz_fail(t, "internal: no room to track a POLL_REMOVE");
			while (fr->entries - (fr->tail - head) == 0) {
				unstick(pass++);
				if (ring_sqthread(fr))
					do_enter(t, fr, 0, 1, AIORING_ENTER_SQ_WAKEUP |
						 AIORING_ENTER_GETEVENTS | AIORING_ENTER_TIMEOUT,
						 2000000, 0);
				else
					do_enter(t, fr, fr->tail - head, 1,
						 AIORING_ENTER_GETEVENTS | AIORING_ENTER_TIMEOUT,
						 2000000, 0);
				reap(t, fr);
				if (t_now_ns() > deadline)
					fz_fail(t, "ring %d (flags 0x%x, sq %u, cq %u): the SQ does not drain (%u polls pending, inflight %ld)",
						fr->idx, fr->p.flags, fr->p.sq_entries, fr->p.cq_entries,
						fr->pending_polls, t_fdinfo_num(fr->fd, "Inflight"));
				head = __atomic_load_n(fr->khead, __ATOMIC_ACQUIRE);
			}
			slot = fr->tail & fr->mask;
			sqe = &fr->sqes[slot];
			tr = &fr->tr[fr->nseq];
			memset(sqe, 0, sizeof(*sqe));
			sqe->opcode = AIORING_OP_POLL_REMOVE;
			sqe->addr = (UD_MAGIC << 48) | ((uint64_t)fr->idx << 40) | s;
			sqe->user_data = (UD_MAGIC << 48) | ((uint64_t)fr->idx << 40) | fr->nseq;
			if (ring_sqthread(fr))
				sqe->flags = 0;
			tr->op = AIORING_OP_POLL_REMOVE;
			tr->expect = EXPECT_REMOVE;
			tr->target = s;
			tr->removes = 0;
			tr->sqpos = fr->tail;
			tr->state = 1;
			fr->nseq++;
			fr->array[slot] = slot;
			fr->tail++;
			atomic_fetch_add_explicit(&sh->sqes, 1, memory_order_relaxed);
			__atomic_store_n(fr->ktail, fr->tail, __ATOMIC_RELEASE);
		}
	}
	for (;;) {
		int pending = 0;

		unstick(pass++);
		for (unsigned i = 0; i < plan.nrings; i++) {
			struct fring *fr = &rings[i];
			unsigned head;

			if (!fr->ok || fr->unmapped || atomic_load(&fr->closed))
				continue;
			head = __atomic_load_n(fr->khead, __ATOMIC_ACQUIRE);
			if (ring_sqthread(fr))
				do_enter(t, fr, 0, 1, AIORING_ENTER_SQ_WAKEUP |
					 AIORING_ENTER_GETEVENTS | AIORING_ENTER_TIMEOUT,
					 2000000, 0);
			else
				do_enter(t, fr, fr->tail - head, 1,
					 AIORING_ENTER_GETEVENTS | AIORING_ENTER_TIMEOUT,
					 2000000, 0);
			reap(t, fr);
			head = __atomic_load_n(fr->khead, __ATOMIC_ACQUIRE);
			if (head != fr->tail)
				pending++;
			for (unsigned s = 0; s < fr->nseq; s++)
				if (fr->tr[s].state == 1)
					pending++;
			if (fr->seen_dropped != fr->pub_dropped)
				pending++;
		}
		if (!pending)
			break;
		if (t_now_ns() > deadline) {
			for (unsigned i = 0; i < plan.nrings; i++) {
				struct fring *fr = &rings[i];
				unsigned head;

				if (!fr->ok || fr->unmapped || atomic_load(&fr->closed))
					continue;
				head = __atomic_load_n(fr->khead, __ATOMIC_ACQUIRE);
				for (unsigned s = 0; s < fr->nseq; s++) {
					struct track *tr = &fr->tr[s];

					if (tr->state != 1)
						continue;
					fz_fail(t, "ring %d (flags 0x%x): SQE %u (opcode %u, file kind %d, SQE flags 0x%x, poll events 0x%x, %u POLL_REMOVEs of it done, the last %s, %s) has no CQE 10 s after the drain began",
						fr->idx, fr->p.flags, s, tr->op, tr->kind,
						tr->sqe_flags, tr->pollev, tr->removes,
						tr->removes ? t_resname(tr->rmres) : "-",
						(int)(tr->sqpos - head) < 0 ? "consumed" :
						"never consumed");
				}
				if (head != fr->tail)
					fz_fail(t, "ring %d (flags 0x%x): SQ head %u, tail %u: not consumed",
						fr->idx, fr->p.flags, head, fr->tail);
				if (fr->seen_dropped != fr->pub_dropped)
					fz_fail(t, "ring %d: %u -ERANGE CQEs for %u dropped SQ slots",
						fr->idx, fr->seen_dropped, fr->pub_dropped);
			}
			fz_fail(t, "the drain does not end");
		}
	}
	/* Every consumed slot is counted, and every dropped one. */
	for (unsigned i = 0; i < plan.nrings; i++) {
		struct fring *fr = &rings[i];
		struct aioring_stats st;

		if (!fr->ok || fr->unmapped || atomic_load(&fr->closed))
			continue;
		if (*fr->kdropped != fr->pub_dropped)
			fz_fail(t, "ring %d: SQ dropped %u, %u bad slots", fr->idx,
				*fr->kdropped, fr->pub_dropped);
		if (fz_ioctl(fr, AIORING_IOC_STATS, &st) == 0 &&
		    st.submitted != *fr->khead)
			fz_fail(t, "ring %d: stats.submitted %llu, SQ head %u", fr->idx,
				(unsigned long long)st.submitted, *fr->khead);
	}
}

/* ------------------------------------------------------------ a round */

static int run_round(uint64_t round)
{
	struct sigaction sa = { 0 };
	struct rng r;

	cur_round = round;
	plan_round(&plan, round);
	rng_init(&r, opt_seed, round, 0xfe);
	sa.sa_handler = on_sigusr1;	/* no SA_RESTART: ENTER sees -EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	pool_open(&pool, &r);

	for (unsigned i = 0; i < plan.nrings; i++) {
		thrs[i].id = i;
		rng_init(&thrs[i].r, opt_seed, round, i);
		thrs[i].fr = &rings[i];
		ring_create(&thrs[i], &rings[i]);
	}
	for (unsigned i = 0; i < plan.nrings; i++)
		if (pthread_create(&thrs[i].th, NULL, ring_thread, &thrs[i]))
			fz_fail(NULL, "pthread_create");
	if (plan.chaos) {
		struct thr *c = &thrs[plan.nrings];

		c->id = plan.nrings;
		rng_init(&c->r, opt_seed, round, 0x80);
		if (pthread_create(&c->th, NULL, chaos_thread, c))
			fz_fail(NULL, "pthread_create");
	}
	for (unsigned i = 0; i < plan.nrings + !!plan.chaos; i++)
		pthread_join(thrs[i].th, NULL);

	/* A thread meant to end the round may not have got there. */
	if (plan.end == END_EXIT || plan.end == END_KILL || plan.end == END_EXEC)
		end_now(&thrs[0]);
	switch (plan.end) {
	case END_DRAIN:
		drain(&thrs[0]);
		for (unsigned i = 0; i < plan.nrings; i++) {
			ring_unmap(&rings[i]);
			close(rings[i].fd);
		}
		break;
	case END_CLOSE:
		for (unsigned i = 0; i < plan.nrings; i++) {
			close(rings[i].fd);
			ring_unmap(&rings[i]);
		}
		break;
	case END_MUNMAP:
		for (unsigned i = 0; i < plan.nrings; i++) {
			ring_unmap(&rings[i]);
			close(rings[i].fd);
		}
		break;
	default:
		break;
	}
	atomic_fetch_add(&sh->ends[plan.end], 1);
	return 0;
}

/* ------------------------------------------------------- supervisors */

static void supervisor(unsigned slot, uint64_t t_end)
{
	proc_slot = slot;
	for (;;) {
		uint64_t round;
		struct plan pl;
		pid_t pid;
		int st, killed = 0;
		uint64_t deadline;

		if (atomic_load(&sh->stop) || atomic_load(&sh->failed))
			break;
		if (opt_replay < 0 && (atomic_load(&sh->ops) >= opt_ops || t_now_ns() > t_end))
			break;
		round = opt_replay >= 0 ? (uint64_t)opt_replay :
			atomic_fetch_add(&sh->next_round, 1);
		plan_round(&pl, round);
		if (opt_trace)
			fprintf(stderr, "fuzz: round %llu (%s end) starts\n",
				(unsigned long long)round, end_names[pl.end]);
		fflush(stderr);
		pid = fork();
		if (pid < 0) {
			t_log("fork: %s", t_errname(errno));
			t_sleep_ms(100);
			continue;
		}
		if (pid == 0)
			_exit(run_round(round));
		deadline = t_now_ns() + (uint64_t)opt_round_timeout * 1000000000ULL;
		for (;;) {
			pid_t w = waitpid(pid, &st, WNOHANG);

			if (w == pid)
				break;
			if (t_now_ns() > deadline) {
				if (killed)
					break;
				fprintf(stderr, "fuzz: FAIL seed 0x%llx round %llu: hung for %u s (%s end); "
					"replay with: fuzz --seed 0x%llx --replay %llu\n",
					(unsigned long long)opt_seed, (unsigned long long)round,
					opt_round_timeout, end_names[pl.end],
					(unsigned long long)opt_seed, (unsigned long long)round);
				atomic_fetch_add(&sh->failed, 1);
				kill(pid, SIGKILL);
				killed = 1;
				deadline = t_now_ns() + 10000000000ULL;
			}
			usleep(2000);
		}
		if (killed) {
			if (waitpid(pid, &st, WNOHANG) != pid)
				fprintf(stderr, "fuzz: round %llu does not die of SIGKILL\n",
					(unsigned long long)round);
			atomic_store(&sh->first_failed_round, (long long)round);
			break;
		}
		atomic_fetch_add(&sh->rounds, 1);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			;
		else if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && pl.end == END_KILL)
			;
		else {
			if (!(WIFEXITED(st) && WEXITSTATUS(st) == 1))
				fprintf(stderr, "fuzz: FAIL seed 0x%llx round %llu: the round ended with status 0x%x (%s end); "
					"replay with: fuzz --seed 0x%llx --replay %llu\n",
					(unsigned long long)opt_seed, (unsigned long long)round, st,
					end_names[pl.end], (unsigned long long)opt_seed,
					(unsigned long long)round);
			atomic_fetch_add(&sh->failed, 1);
			atomic_store(&sh->first_failed_round, (long long)round);
			break;
		}
		if (opt_replay >= 0)
			break;
	}
	_exit(0);
}

/* The end of an exec'd round: a new image, and one ring of its own. */
static int exec_child(void)
{
	struct aioring ring;
	sigset_t ss;

	signal(SIGUSR1, SIG_IGN);
	sigemptyset(&ss);
	sigaddset(&ss, SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &ss, NULL);

	if (aioring_queue_init(4, &ring, 0) == 0) {
		t_nop_roundtrip(&ring, 7);
		aioring_queue_exit(&ring);
	}
	return 0;
}

static uint64_t parse_u64(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	if (!*s || *end) {
		fprintf(stderr, "fuzz: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct fz_keeper keeper;
	struct fz_base before;
	struct rlimit rl = { 64 << 20, 64 << 20 };
	pid_t sup[8];
	uint64_t t0, t_end, last_scan = 0, last_note;
	struct fz_dwatch dw = { 0 };
	unsigned i, alive;
	const char *env;
	char path[300];

	if (argc == 2 && !strcmp(argv[1], "--exec-child"))
		return exec_child();
	opt_seed = t_now_ns() ^ ((uint64_t)getpid() << 32);
	/* Sized to the runner's timeout, with a margin for the checks. */
	if ((env = getenv("AIORING_TEST_TIMEOUT")) && strtoul(env, NULL, 0) > 120) {
		opt_ops = 1000000;
		opt_time = strtoul(env, NULL, 0) - 60;
	} else {
		opt_ops = 100000;
		opt_time = 70;
	}
	if ((env = getenv("AIORING_FUZZ_OPS")))
		opt_ops = parse_u64(env);
	if ((env = getenv("AIORING_FUZZ_SEED")))
		opt_seed = parse_u64(env);
	if ((env = getenv("AIORING_FUZZ_TIME")))
		opt_time = parse_u64(env);
	if ((env = getenv("AIORING_FUZZ_REPLAY")) && *env)
		opt_replay = parse_u64(env);
	/* Minimising a replay: only this ring's thread runs its operations. */
	if ((env = getenv("AIORING_FUZZ_ONLY_RING")) && *env)
		opt_only_ring = parse_u64(env);
	/* A line per round: which rounds ran when the kernel fell over. */
	if ((env = getenv("AIORING_FUZZ_TRACE")))
		opt_trace = parse_u64(env);
	for (int a = 1; a < argc; a++) {
		const char *v = a + 1 < argc ? argv[a + 1] : NULL;

		if (!v) {
			fprintf(stderr, "usage: fuzz [--ops N] [--seed S] [--replay ROUND] [--time SEC] [--procs P]\n");
			return 2;
		}
		if (!strcmp(argv[a], "--ops"))
			opt_ops = parse_u64(v);
		else if (!strcmp(argv[a], "--seed"))
			opt_seed = parse_u64(v);
		else if (!strcmp(argv[a], "--replay"))
			opt_replay = parse_u64(v);
		else if (!strcmp(argv[a], "--time"))
			opt_time = parse_u64(v);
		else if (!strcmp(argv[a], "--procs"))
			opt_procs = parse_u64(v);
		else {
			fprintf(stderr, "fuzz: unknown option %s\n", argv[a]);
			return 2;
		}
		a++;
	}
	if (opt_procs < 1 || opt_procs > 8)
		opt_procs = 2;
	if (opt_replay >= 0)
		opt_procs = 1;
	t_log("seed 0x%llx, %llu operations, at most %u s, %u processes%s",
	      (unsigned long long)opt_seed, (unsigned long long)opt_ops, opt_time, opt_procs,
	      opt_replay >= 0 ? ", replaying one round" : "");
	t_log("replay a round with: fuzz --seed 0x%llx --replay ROUND",
	      (unsigned long long)opt_seed);

	t_require_device();
	if (getuid() != 0)
		t_skip("needs root, to measure the baselines and drop privileges");
	if (t_module_refcnt() < 0)
		t_skip("no /sys/module/aioring/refcnt");
	if (readlink("/proc/self/exe", path, sizeof(path) - 1) > 0)
		self_exe = strdup(path);
	test_dir = t_test_dir();
	for (i = 0; i < opt_procs; i++) {
		int fd;

		snprintf(reg_path[i], sizeof(reg_path[i]), "%s/fuzz.%d.%u", test_dir,
			 (int)getpid(), i);
		fd = T_SYSOK(open(reg_path[i], O_RDWR | O_CREAT | O_TRUNC, 0666));
		T_SYSOK(fchmod(fd, 0666));
		T_SYSOK(ftruncate(fd, FILE_SIZE));
		close(fd);
		env = getenv("AIORING_TEST_DIR_SLOW");
		if (env) {
			snprintf(slow_path[i], sizeof(slow_path[i]), "%s/fuzz.%d.%u", env,
				 (int)getpid(), i);
			fd = open(slow_path[i], O_RDWR | O_CREAT | O_TRUNC, 0666);
			if (fd < 0 || fchmod(fd, 0666) || ftruncate(fd, FILE_SIZE))
				slow_path[i][0] = 0;
			if (fd >= 0)
				close(fd);
		}
	}
	/* Root's: the fuzzers inherit it (block devices are root:disk). */
	env = getenv("AIORING_TEST_POLL_DEV");
	if (env)
		polldev_fd = open(env, O_RDWR | O_DIRECT);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		t_fail("mmap: %s", t_errname(errno));
	atomic_store(&sh->first_failed_round, -1);

	/* Rings of earlier tests may still be on their way out. */
	t_wait_refcnt(0, 10000);
	fz_keeper_start(&keeper, T_USER_UID);
	fz_measure(&before, &keeper);
	fz_print_base("before", &before);
	if (before.memlock < 0)
		t_log("no memlock headroom measure (a ring could not be set up as uid %d)",
		      T_USER_UID);

	/* The fuzzers' own limit; the keeper keeps its 1 MiB. */
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		t_log("RLIMIT_MEMLOCK: %s", t_errname(errno));
	t0 = t_now_ns();
	t_end = t0 + (uint64_t)opt_time * 1000000000ULL;
	for (i = 0; i < opt_procs; i++) {
		sup[i] = fork();
		if (sup[i] < 0)
			t_fail("fork: %s", t_errname(errno));
		if (sup[i] == 0) {
			t_become_user(T_USER_UID);
			supervisor(i, t_end);
		}
	}
	/*
	 * Watch: no task of the test user, and no ring thread, may stay in
	 * D state (three scans in a row, 2 s apart); the supervisors find
	 * hung rounds themselves.
	 */
	alive = opt_procs;
	last_note = t_now_ns();
	while (alive) {
		/* A line now and then: a long run keeps the console alive. */
		if (t_now_ns() - last_note > 30000000000ULL) {
			last_note = t_now_ns();
			t_log("%.0f s: %llu operations, %llu rounds", (last_note - t0) / 1e9,
			      (unsigned long long)atomic_load(&sh->ops),
			      (unsigned long long)atomic_load(&sh->rounds));
		}
		for (i = 0; i < opt_procs; i++) {
			int st;

			if (sup[i] > 0 && waitpid(sup[i], &st, WNOHANG) == sup[i]) {
				sup[i] = 0;
				alive--;
			}
		}
		if (t_now_ns() - last_scan > 2000000000ULL) {
			last_scan = t_now_ns();
			if (fz_dscan(&dw, program_invocation_short_name, 3)) {
				t_error("tasks in D state for 4 s or more (seed 0x%llx, rounds up to %llu started)",
					(unsigned long long)opt_seed,
					(unsigned long long)atomic_load(&sh->next_round));
				atomic_store(&sh->stop, 1);
			}
		}
		if (t_now_ns() > t_end + (uint64_t)(opt_round_timeout + 30) * 1000000000ULL) {
			t_error("the run did not end %u s after its time", opt_round_timeout + 30);
			fz_dump_dstate();
			for (i = 0; i < opt_procs; i++)
				if (sup[i] > 0)
					kill(sup[i], SIGKILL);
			break;
		}
		t_sleep_ms(50);
	}
	t_log("seed 0x%llx: %llu operations in %llu rounds, %.1f s: %llu SQEs, %llu CQEs checked (%llu against an exact result); "
	      "ends: drain %llu, close %llu, munmap %llu, exit %llu, kill %llu, exec %llu; "
	      "ENTER past its timeout by at most %llu ms",
	      (unsigned long long)opt_seed, (unsigned long long)atomic_load(&sh->ops),
	      (unsigned long long)atomic_load(&sh->rounds), (t_now_ns() - t0) / 1e9,
	      (unsigned long long)atomic_load(&sh->sqes), (unsigned long long)atomic_load(&sh->cqes),
	      (unsigned long long)atomic_load(&sh->exact),
	      (unsigned long long)atomic_load(&sh->ends[0]), (unsigned long long)atomic_load(&sh->ends[1]),
	      (unsigned long long)atomic_load(&sh->ends[2]), (unsigned long long)atomic_load(&sh->ends[3]),
	      (unsigned long long)atomic_load(&sh->ends[4]), (unsigned long long)atomic_load(&sh->ends[5]),
	      (unsigned long long)atomic_load(&sh->enter_max_over_ns) / 1000000);
	if (atomic_load(&sh->failed))
		t_error("%u round(s) failed; first: seed 0x%llx round %lld "
			"(fuzz --seed 0x%llx --replay %lld)", atomic_load(&sh->failed),
			(unsigned long long)opt_seed, atomic_load(&sh->first_failed_round),
			(unsigned long long)opt_seed, atomic_load(&sh->first_failed_round));
	else if (opt_replay < 0 && atomic_load(&sh->ops) < opt_ops)
		t_log("time budget reached: %llu of %llu operations",
		      (unsigned long long)atomic_load(&sh->ops), (unsigned long long)opt_ops);

	/* Everything of the run must go, and no task stay stuck. */
	fz_check_base(&before, &keeper, 15000, "after the run");
	if (fz_count_tasks("aioring-", 1, 0) > 0) {
		t_sleep_ms(3000);
		if (fz_count_tasks("aioring-", 1, 1) > 0) {
			t_error("ring threads in D state after the run");
			fz_dump_dstate();
		}
	}
	fz_keeper_stop(&keeper);
	for (i = 0; i < opt_procs; i++) {
		unlink(reg_path[i]);
		if (slow_path[i][0])
			unlink(slow_path[i]);
	}
	return t_exit_status();
}
