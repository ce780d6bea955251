/* SPDX-License-Identifier: MIT */
/*
 * Description: io_uring history, class "kernel memory mapped for the user
 * freed while still mapped" (CVE-2024-0582: io_uring freed a provided-
 * buffer ring that userspace still had mapped). aioring's kernel-allocated
 * regions are the SQ ring, the SQE array and the CQ ring. Four attacks,
 * as an unprivileged user:
 *  1. close and munmap at random moments, in random order, while two
 *     threads read and write every region (through the kernel, with pipe
 *     I/O, so that a gone mapping is -EFAULT and not a SIGSEGV): a mapping
 *     reads the right ring_entries and keeps what is written until its
 *     munmap starts, and faults once munmap has returned;
 *  2. the owner exits while a CLONE_VM sibling (same mm, another thread
 *     group) keeps entering the ring and touching its mappings: the ioctls
 *     become EOWNERDEAD, the mappings stay valid memory until unmapped,
 *     and an mmap of a region after the ring died is EOWNERDEAD too;
 *  3. a setup whose result cannot be written back (params in a read-only
 *     page) is EFAULT and kills the ring: mmap of every offset is then
 *     EBADFD, the ioctls EOWNERDEAD;
 *  4. another ring registers the SQE array's mapping as a fixed buffer
 *     (EFAULT, or pinned); if pinned, I/O into it after the first ring is
 *     closed and unmapped lands in the pinned pages, and unregistering
 *     frees them.
 * Every ring is freed at the end (module refcount back).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "t_helpers.h"

#define ROUNDS		100
#define ROUNDS_NS	(25ULL * 1000 * 1000 * 1000)

enum { R_SQ, R_SQES, R_CQ, NR_REGIONS };

struct region {
	unsigned char	*p;
	size_t		len;
	__u32		entries_off;	/* ring_entries, or ~0 for the SQEs */
	__u32		entries;
	volatile int	unmapping;	/* munmap() was called */
	volatile int	unmapped;	/* munmap() returned */
};

static struct region regions[NR_REGIONS];
static volatile int stop;

struct toucher {
	pthread_t	thread;
	int		pfd[2];
	unsigned	id;
	volatile unsigned long ok, faults;
};

/*
 * Read @len bytes at @p into @out through the kernel: 0, or -EFAULT if @p
 * is not mapped.
 */
static int kread(struct toucher *t, const void *p, void *out, size_t len)
{
	ssize_t w = write(t->pfd[1], p, len);

	if (w < 0)
		return -errno;
	if ((size_t)w != len || read(t->pfd[0], out, len) != (ssize_t)len)
		t_fail("pipe I/O of %zu bytes: %zd", len, w);
	return 0;
}

/* Write @len bytes of @in to @p through the kernel; 0 or -EFAULT. */
static int kwrite(struct toucher *t, void *p, const void *in, size_t len)
{
	unsigned char junk[64];
	ssize_t r;

	if (write(t->pfd[1], in, len) != (ssize_t)len)
		t_fail("pipe write: %s", t_errname(errno));
	r = read(t->pfd[0], p, len);
	if (r < 0) {
		int err = -errno;

		/* The pipe still holds the bytes: drain them. */
		if (read(t->pfd[0], junk, len) != (ssize_t)len)
			t_fail("pipe drain: %s", t_errname(errno));
		return err;
	}
	if ((size_t)r != len)
		t_fail("pipe read: %zd", r);
	return 0;
}

static void touch_one(struct toucher *t, struct region *r)
{
	int was_unmapped = r->unmapped;
	__u64 v, got = 0;
	__u32 e = 0;
	int ret;

	if (r->entries_off != ~0U) {
		ret = kread(t, r->p + r->entries_off, &e, sizeof(e));
		if (!ret && e != r->entries)
			t_fail("toucher %u: ring_entries %u, expected %u", t->id,
			       e, r->entries);
	} else {
		/* Our own SQE slot: write it, read it back. */
		__u64 *slot = (__u64 *)(r->p + 64 * t->id + 32);

		v = t_rand64();
		ret = kwrite(t, slot, &v, sizeof(v));
		if (!ret)
			ret = kread(t, slot, &got, sizeof(got));
		if (!ret && got != v && !r->unmapping)
			t_fail("toucher %u: SQE slot kept 0x%llx, wrote 0x%llx",
			       t->id, (unsigned long long)got,
			       (unsigned long long)v);
	}
	if (ret && ret != -EFAULT)
		t_fail("toucher %u: %s", t->id, t_errname(-ret));
	if (ret == -EFAULT) {
		if (!r->unmapping)
			t_fail("toucher %u: a region faulted before its munmap",
			       t->id);
		t->faults++;
	} else {
		if (was_unmapped)
			t_fail("toucher %u: a region was readable after munmap returned",
			       t->id);
		t->ok++;
	}
}

static void *toucher_fn(void *arg)
{
	struct toucher *t = arg;

	while (!stop) {
		unsigned i;

		for (i = 0; i < NR_REGIONS; i++)
			touch_one(t, &regions[i]);
	}
	return NULL;
}

static void *map(int fd, size_t len, __u64 off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)off);

	if (p == MAP_FAILED)
		t_fail("mmap 0x%llx: %s", (unsigned long long)off, t_errname(errno));
	return p;
}

/* Attack 1: one ring, torn down at random moments under two touchers. */
static void close_munmap_round(void)
{
	struct toucher t[2];
	struct aioring_params p;
	unsigned order[NR_REGIONS] = { 0, 1, 2 }, i, close_at;
	int fd = t_setup_fd(&p, 4, 0);

	regions[R_SQ] = (struct region){ map(fd, t_sq_ring_size(&p), AIORING_OFF_SQ_RING),
		t_sq_ring_size(&p), p.sq_off.ring_entries, p.sq_entries, 0, 0 };
	regions[R_SQES] = (struct region){ map(fd, t_sqes_size(&p), AIORING_OFF_SQES),
		t_sqes_size(&p), ~0U, 0, 0, 0 };
	regions[R_CQ] = (struct region){ map(fd, t_cq_ring_size(&p), AIORING_OFF_CQ_RING),
		t_cq_ring_size(&p), p.cq_off.ring_entries, p.cq_entries, 0, 0 };
	stop = 0;
	for (i = 0; i < 2; i++) {
		t[i].id = i;
		t[i].ok = t[i].faults = 0;
		T_SYSOK(pipe2(t[i].pfd, O_CLOEXEC));
		if (pthread_create(&t[i].thread, NULL, toucher_fn, &t[i]))
			t_fail("pthread_create");
	}
	/* Both touchers reach the live mappings before anything goes. */
	while (!__atomic_load_n(&t[0].ok, __ATOMIC_RELAXED) ||
	       !__atomic_load_n(&t[1].ok, __ATOMIC_RELAXED))
		sched_yield();
	for (i = NR_REGIONS - 1; i > 0; i--) {
		unsigned j = (unsigned)t_rand_below(i + 1), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	/* Close before the first munmap, between two, or after the last. */
	close_at = (unsigned)t_rand_below(NR_REGIONS + 1);
	for (i = 0; i <= NR_REGIONS; i++) {
		struct region *r;

		usleep((useconds_t)t_rand_below(2000));
		if (i == close_at)
			T_SYSOK(close(fd));
		if (i == NR_REGIONS)
			break;
		r = &regions[order[i]];
		r->unmapping = 1;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		T_SYSOK(munmap(r->p, r->len));
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		r->unmapped = 1;
	}
	usleep(1000);
	stop = 1;
	for (i = 0; i < 2; i++) {
		pthread_join(t[i].thread, NULL);
		close(t[i].pfd[0]);
		close(t[i].pfd[1]);
		if (!t[i].ok)
			t_fail("toucher %u never reached a live mapping", i);
	}
}

/* Attack 2: the sibling that shares the owner's mm. */
struct sibling {
	struct aioring	ring;
	int		result_fd;
	unsigned	sq_entries;
};

static void sibling_fail(struct sibling *s, const char *what, long got)
{
	char msg[160];
	int n = snprintf(msg, sizeof(msg), "FAIL: sibling: %s (got %ld, %s)\n",
			 what, got, t_errname(errno));

	if (write(2, msg, (size_t)n) < 0 || write(s->result_fd, "F", 1) < 0)
		_exit(3);
	_exit(1);
}

static int sibling_fn(void *arg)
{
	struct sibling *s = arg;
	struct aioring *ring = &s->ring;
	uint64_t deadline = t_now_ns() + 10ULL * 1000 * 1000 * 1000;
	volatile __u32 *entries = ring->sq.kring_entries;
	unsigned long nops = 0;
	void *p;
	int ret;

	for (;;) {
		struct aioring_sqe *sqe;

		if (*entries != s->sq_entries)
			sibling_fail(s, "ring_entries changed under a live mapping",
				     *entries);
		ring->sq.sqes[0].user_data = 0x51b;
		if (ring->sq.sqes[0].user_data != 0x51b)
			sibling_fail(s, "SQE memory did not keep a write", 0);
		sqe = aioring_get_sqe(ring);
		if (!sqe)
			sibling_fail(s, "no SQE", 0);
		aioring_prep_nop(sqe);
		ret = aioring_submit_and_wait(ring, 1);
		if (ret == -EOWNERDEAD)
			break;
		if (ret != 1)
			sibling_fail(s, "NOP before the owner died", ret);
		aioring_cq_advance(ring, aioring_cq_ready(ring));
		nops++;
		if (t_now_ns() > deadline)
			sibling_fail(s, "ENTER still works 10 s after the owner exited",
				     (long)nops);
	}
	if (!nops)
		sibling_fail(s, "no NOP completed before the owner died", 0);
	/* Dead: the ioctls say so, the mappings stay memory. */
	errno = 0;
	ret = t_enter(ring->ring_fd, 0, 0, 0, 0);
	if (ret != -1 || errno != EOWNERDEAD)
		sibling_fail(s, "ENTER on a dead ring: expected EOWNERDEAD", ret);
	ret = aioring_register_files(ring, &s->result_fd, 1);
	if (ret != -EOWNERDEAD)
		sibling_fail(s, "REGISTER on a dead ring: expected -EOWNERDEAD", ret);
	if (*entries != s->sq_entries)
		sibling_fail(s, "ring_entries after death", *entries);
	ring->sq.sqes[1].user_data = 0x5eed;
	if (ring->sq.sqes[1].user_data != 0x5eed)
		sibling_fail(s, "SQE memory after death", 0);
	/* An mmap now is refused, as the ioctls are. */
	errno = 0;
	p = mmap(NULL, ring->sq.sqes_sz, PROT_READ | PROT_WRITE, MAP_SHARED,
		 ring->ring_fd, AIORING_OFF_SQES);
	if (p != MAP_FAILED) {
		munmap(p, ring->sq.sqes_sz);
		sibling_fail(s, "mmap after death: expected EOWNERDEAD, it mapped", 0);
	} else if (errno != EOWNERDEAD) {
		sibling_fail(s, "mmap after death: expected EOWNERDEAD", -errno);
	}
	aioring_queue_exit(ring);
	if (write(s->result_fd, "r", 1) != 1)
		_exit(3);
	_exit(0);
}

static void owner_dies_under_sibling(void)
{
	static struct sibling s;
	size_t stack_sz = 256 * 1024;
	char *stack = malloc(stack_sz);
	int pfd[2];
	pid_t owner;
	char res = 0;

	T_SYSOK(pipe2(pfd, O_CLOEXEC));
	owner = T_SYSOK(fork());
	if (owner == 0) {
		close(pfd[0]);
		s.result_fd = pfd[1];
		t_ring_init(&s.ring, 4, 0);
		s.sq_entries = s.ring.sq.ring_entries;
		if (clone(sibling_fn, stack + stack_sz, CLONE_VM | SIGCHLD, &s) < 0)
			t_fail("clone(CLONE_VM): %s", t_errname(errno));
		usleep(50000);
		_exit(0);
	}
	close(pfd[1]);
	t_expect_child_exit(owner, 0, "ring owner");
	/* The sibling is reparented; its verdict comes through the pipe. */
	if (read(pfd[0], &res, 1) != 1)
		t_fail("the CLONE_VM sibling died without a verdict");
	close(pfd[0]);
	if (res != 'r')
		t_fail("the CLONE_VM sibling failed (see above)");
}

/* Attack 3: setup cannot write its result back. */
static void setup_writeback_fails(void)
{
	static const __u64 offs[] = {
		AIORING_OFF_SQ_RING, AIORING_OFF_SQES, AIORING_OFF_CQ_RING,
	};
	struct aioring_params *p;
	struct aioring_stats st;
	unsigned i;
	int fd = t_open_dev();

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		t_fail("mmap: %s", t_errname(errno));
	t_params(p, 4, 0);
	T_SYSOK(mprotect(p, 4096, PROT_READ));
	T_SYSERR(ioctl(fd, AIORING_IOC_SETUP, p), EFAULT);
	for (i = 0; i < T_ARRAY_SIZE(offs); i++) {
		void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			       fd, (off_t)offs[i]);

		if (m != MAP_FAILED || errno != EBADFD)
			t_fail("mmap 0x%llx of a ring whose setup failed: expected EBADFD, got %s",
			       (unsigned long long)offs[i],
			       m == MAP_FAILED ? t_errname(errno) : "a mapping");
	}
	T_SYSERR(t_enter(fd, 1, 0, 0, 0), EOWNERDEAD);
	T_SYSERR(ioctl(fd, AIORING_IOC_STATS, &st), EOWNERDEAD);
	T_SYSERR(ioctl(fd, AIORING_IOC_SETUP, p), EOWNERDEAD);
	close(fd);
	munmap(p, 4096);
}

/* Attack 4: ring A's SQE array as ring B's registered buffer. */
static int file_fd;
static unsigned char file_data[4096];

static void ring_memory_as_fixed_buffer(void)
{
	struct aioring a, b;
	struct aioring_sqe *sqe;
	struct aioring_cqe cqe;
	unsigned char *data = file_data;
	struct iovec iov;
	int fd = file_fd, ret;

	t_ring_init(&a, 64, 0);		/* 4 KiB of SQEs */
	t_ring_init(&b, 4, 0);
	iov.iov_base = a.sq.sqes;
	iov.iov_len = 4096;
	ret = aioring_register_buffers(&b, &iov, 1);
	t_log("registering another ring's SQE array as a buffer: %s",
	      t_resname(ret));
	if (ret == -EFAULT) {
		aioring_queue_exit(&a);
		aioring_queue_exit(&b);
		return;
	}
	T_RES(ret, 0);
	/* Ring A goes, its memory stays pinned by B; I/O lands there. */
	aioring_queue_exit(&a);
	sqe = t_get_sqe(&b);
	aioring_prep_read_fixed(sqe, fd, iov.iov_base, 4096, 0, 0);
	aioring_sqe_set_data64(sqe, 0xa);
	t_submit(&b, 1);
	t_reap(&b, &cqe, 1);
	T_RES(cqe.res, 4096);
	sqe = t_get_sqe(&b);
	aioring_prep_write_fixed(sqe, fd, iov.iov_base, 4096, 4096, 0);
	aioring_sqe_set_data64(sqe, 0xb);
	t_submit(&b, 1);
	t_reap(&b, &cqe, 1);
	T_RES(cqe.res, 4096);
	{
		unsigned char back[4096];

		T_EQ(pread(fd, back, sizeof(back), 4096), 4096);
		t_check_buf(back, data, 4096,
			    "read into a freed ring's pinned pages, written back");
	}
	T_RES(aioring_unregister_buffers(&b), 0);
	aioring_queue_exit(&b);
}

static void attack(void)
{
	uint64_t t0 = t_now_ns();
	unsigned n;

	t_become_user(T_USER_UID);
	for (n = 0; n < ROUNDS && t_now_ns() - t0 < ROUNDS_NS; n++)
		close_munmap_round();
	t_log("%u close/munmap rounds under two touchers", n);
	owner_dies_under_sibling();
	owner_dies_under_sibling();
	setup_writeback_fails();
	ring_memory_as_fixed_buffer();
	exit(T_EXIT_PASS);
}

int main(void)
{
	long before, now;
	pid_t pid;

	t_require_device();
	if (getuid() != 0)
		t_skip("needs root to drop privileges");
	t_seed_random();
	before = t_wait_refcnt(0, 5000);
	if (before < 0)
		t_skip("no /sys/module/aioring/refcnt (module built in?)");
	/* Made by root: the test directory is not the user's. */
	file_fd = t_create_file(8192, NULL, NULL, 0);
	T_EQ(pread(file_fd, file_data, sizeof(file_data), 0), sizeof(file_data));
	/* The CLONE_VM sibling is reparented to us: reap it. */
	signal(SIGCHLD, SIG_DFL);
	T_SYSOK(prctl(PR_SET_CHILD_SUBREAPER, 1));
	pid = T_SYSOK(fork());
	if (pid == 0)
		attack();
	t_expect_child_exit(pid, 0, "attacker");
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	now = t_wait_refcnt(before, 5000);
	if (now != before)
		t_fail("module refcnt %ld 5 s after the attack, %ld before: a ring leaked",
		       now, before);
	return T_EXIT_PASS;
}
