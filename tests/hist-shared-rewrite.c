/* SPDX-License-Identifier: MIT */
/*
 * Description: io_uring history, class "values read from shared ring
 * memory used after a check" (io_uring's 2026 SQE_MIXED index bug checked
 * the logical head but used the physical slot; its ring resize took masks
 * from shared memory). A second thread rewrites, as fast as it can, what
 * userspace can write while ENTER and the SQ thread read it: the SQ array
 * (indexes in and out of range), the SQEs (whole or torn, among variants
 * that each complete with a known result), the SQ head, ring_mask,
 * ring_entries, flags and dropped fields, and on the completion side the
 * CQ head, ring_mask, ring_entries, overflow and flags. The main thread
 * also stores SQ tails a ring or more ahead and behind. ENTER never
 * consumes more than asked, nor more than one ring; every consumed SQE
 * gets exactly one CQE, with a user_data and result one of the variants
 * could have produced; and once the rewriting stops and the user-owned
 * fields are set right, the ring works. Inline, worker (SQE_ASYNC) and SQ
 * thread rings, as an unprivileged user.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/uio.h>

#include "t_async.h"

#define ENTRIES		16
#define FILE_SIZE	8192
#define PHASE_NS	(3ULL * 1000 * 1000 * 1000)
#define UD_BASE		0x1000ULL
#define NR_VARIANTS	9

static struct aioring ring;
static struct aioring_sqe variants[NR_VARIANTS];
static unsigned char *bigbuf;		/* 64 KiB, with 64 KiB either side */
static int file_fd;
static volatile int stop;
static enum { SQ_SIDE, CQ_SIDE, SQ_THREAD_SIDE } side;
static unsigned long nr_rewrites;

static void make_variants(int sqthread)
{
	struct aioring_sqe *v = variants;
	unsigned i;

	memset(variants, 0, sizeof(variants));
	/* 0: NOP (fd too, so that a torn SQE names only these fds) */
	v[0].opcode = AIORING_OP_NOP;
	/* 1: NOP with a reserved field set: -EINVAL */
	v[1].opcode = AIORING_OP_NOP;
	v[1].__resv2[0] = 1;
	/* 2: READ of any length at a small offset: 0..FILE_SIZE */
	v[2].opcode = AIORING_OP_READ;
	v[2].addr = (uintptr_t)bigbuf;
	v[2].len = 0xffffffffU;
	v[2].off = 4096;
	/* 3: unknown opcode */
	v[3].opcode = 99;
	/* 4: bad fd */
	v[4].opcode = AIORING_OP_READ;
	v[4].fd = -1;
	v[4].addr = (uintptr_t)bigbuf;
	v[4].len = 512;
	/* 5: READ_FIXED partly outside buffer 0 */
	v[5].opcode = AIORING_OP_READ_FIXED;
	v[5].addr = (uintptr_t)bigbuf + 65536 - 100;
	v[5].len = 4096;
	/* 6: READ_FIXED inside */
	v[6].opcode = AIORING_OP_READ_FIXED;
	v[6].addr = (uintptr_t)bigbuf + 8192;
	v[6].len = 8192;
	/* 7: READ of registered file 0, through a worker */
	v[7].opcode = AIORING_OP_READ;
	v[7].flags = AIORING_SQE_FIXED_FILE | AIORING_SQE_ASYNC;
	v[7].addr = (uintptr_t)bigbuf + 16384;
	v[7].len = 4096;
	/* 8: a registered file index out of range */
	v[8].opcode = AIORING_OP_READ;
	v[8].flags = AIORING_SQE_FIXED_FILE;
	v[8].fd = 12345;
	v[8].addr = (uintptr_t)bigbuf;
	v[8].len = 64;
	/*
	 * One fd number for all: registered file file_fd is file_fd, so a
	 * torn SQE can only name it, -1 or 12345, never stdin.
	 */
	for (i = 0; i < NR_VARIANTS; i++) {
		if (i != 4 && i != 8)
			v[i].fd = file_fd;
		if (sqthread && v[i].opcode != AIORING_OP_NOP && v[i].opcode != 99)
			v[i].flags |= AIORING_SQE_FIXED_FILE;
		v[i].user_data = UD_BASE + i;
	}
}

/* Could any mix of the variants have completed like this? */
static void check_cqe(const struct aioring_cqe *cqe)
{
	__s32 r = cqe->res;

	if (cqe->user_data == AIORING_DROPPED_USER_DATA) {
		if (r != -ERANGE)
			t_fail("dropped slot's CQE: res %s", t_resname(r));
		return;
	}
	if (cqe->user_data < UD_BASE || cqe->user_data >= UD_BASE + NR_VARIANTS)
		t_fail("CQE with user_data 0x%llx, which no SQE had",
		       (unsigned long long)cqe->user_data);
	if ((r < 0 || r > FILE_SIZE) && r != -EINVAL && r != -EBADF &&
	    r != -EFAULT)
		t_fail("CQE 0x%llx: res %s, which no variant gives",
		       (unsigned long long)cqe->user_data, t_resname(r));
	if (cqe->flags)
		t_fail("CQE flags 0x%x", cqe->flags);
}

static void *rewriter(void *arg)
{
	(void)arg;
	while (!stop) {
		uint64_t r = t_rand64();
		unsigned slot = r & (ENTRIES - 1);

		switch (side) {
		case SQ_SIDE:
		case SQ_THREAD_SIDE:
			switch ((r >> 8) % 8) {
			case 0:
			case 1:
				/* An index, in range or up to a ring out. */
				__atomic_store_n(&ring.sq.array[slot],
						 (unsigned)((r >> 16) % (2 * ENTRIES)),
						 __ATOMIC_RELAXED);
				break;
			case 2:
			case 3: {
				/* A variant, whole or torn at a random byte. */
				const struct aioring_sqe *v =
					&variants[(r >> 16) % NR_VARIANTS];
				size_t n = (r >> 24) & 1 ? sizeof(*v) : (r >> 32) % 64;

				memcpy((void *)&ring.sq.sqes[slot], v, n);
				break;
			}
			case 4:
				if (side == SQ_SIDE)
					*(volatile unsigned *)ring.sq.khead = (unsigned)(r >> 16);
				break;
			case 5:
				*(volatile unsigned *)ring.sq.kring_mask = (unsigned)(r >> 16);
				*(volatile unsigned *)ring.sq.kring_entries = (unsigned)(r >> 40);
				break;
			case 6:
				*(volatile unsigned *)ring.sq.kflags = (unsigned)(r >> 16);
				break;
			case 7:
				*(volatile unsigned *)ring.sq.kdropped = (unsigned)(r >> 16);
				break;
			}
			break;
		case CQ_SIDE:
			switch ((r >> 8) % 4) {
			case 0:
				*(volatile unsigned *)ring.cq.khead = (unsigned)(r >> 16);
				break;
			case 1:
				*(volatile unsigned *)ring.cq.kring_mask = (unsigned)(r >> 16);
				*(volatile unsigned *)ring.cq.kring_entries = (unsigned)(r >> 40);
				break;
			case 2:
				*(volatile unsigned *)ring.cq.koverflow = (unsigned)(r >> 16);
				break;
			case 3:
				*(volatile unsigned *)ring.cq.kflags = (unsigned)(r >> 16);
				break;
			}
			break;
		}
		nr_rewrites++;
	}
	return NULL;
}

static pthread_t start_rewriter(int what)
{
	pthread_t th;

	side = what;
	stop = 0;
	if (pthread_create(&th, NULL, rewriter, NULL))
		t_fail("pthread_create");
	return th;
}

static void stop_rewriter(pthread_t th)
{
	stop = 1;
	pthread_join(th, NULL);
}

/* Put back what the module wrote at setup and what userspace owns. */
static void restore_fields(void)
{
	unsigned i;

	*ring.sq.kring_mask = ENTRIES - 1;
	*ring.sq.kring_entries = ENTRIES;
	*ring.cq.kring_mask = ring.cq.ring_entries - 1;
	*ring.cq.kring_entries = ring.cq.ring_entries;
	*ring.cq.koverflow = 0;
	*ring.cq.kflags = 0;
	*ring.sq.kflags = 0;
	for (i = 0; i < ENTRIES; i++)
		ring.sq.array[i] = i;
}

/* Reap what the CQ holds (CQ head is ours in this phase); returns how many. */
static unsigned reap(void)
{
	unsigned head = *ring.cq.khead, n = 0;
	unsigned tail = __atomic_load_n(ring.cq.ktail, __ATOMIC_ACQUIRE);

	for (; head != tail; head++, n++)
		check_cqe(&ring.cq.cqes[head & ring.cq.ring_mask]);
	__atomic_store_n(ring.cq.khead, head, __ATOMIC_RELEASE);
	return n;
}

static int enter(unsigned to_submit, unsigned min_complete, unsigned flags,
		 unsigned long long timeout_ns)
{
	int ret = t_enter(ring.ring_fd, to_submit, min_complete, flags, timeout_ns);

	return ret < 0 ? -errno : ret;
}

/* Phase A: the submission side rewritten under ENTER. */
static void sq_side(void)
{
	unsigned head = *ring.sq.khead, tail = head, i;
	unsigned long consumed = 0, reaped = 0, enters = 0;
	uint64_t t0 = t_now_ns();
	pthread_t th;

	th = start_rewriter(SQ_SIDE);
	while (t_now_ns() - t0 < PHASE_NS) {
		unsigned pending = tail - head, k, to_submit;
		int ret;

		k = (unsigned)t_rand_below(ENTRIES - pending + 1);
		for (i = 0; i < k; i++)
			ring.sq.array[(tail + i) & (ENTRIES - 1)] =
				(tail + i) & (ENTRIES - 1);
		tail += k;
		__atomic_store_n(ring.sq.ktail, tail, __ATOMIC_RELEASE);
		pending = tail - head;
		to_submit = (unsigned)t_rand_below(pending + 4);
		ret = enter(to_submit, 0, 0, 0);
		enters++;
		if (ret == -EBUSY || ret == -EAGAIN)
			ret = 0;
		if (ret < 0)
			t_fail("ENTER(%u) with %u pending: %s", to_submit, pending,
			       t_errname(-ret));
		if ((unsigned)ret > to_submit || (unsigned)ret > pending)
			t_fail("ENTER(%u) with %u pending consumed %d", to_submit,
			       pending, ret);
		head += (unsigned)ret;
		consumed += (unsigned)ret;
		reaped += reap();
	}
	stop_rewriter(th);
	restore_fields();

	/* Tails from nowhere: never more than one ring per ENTER. */
	{
		static const unsigned ahead[] = {
			ENTRIES + 1, 4 * ENTRIES, 0x80000000U, 0xffffffffU,
		};

		for (i = 0; i < T_ARRAY_SIZE(ahead); i++) {
			int ret;

			__atomic_store_n(ring.sq.ktail, head + ahead[i],
					 __ATOMIC_RELEASE);
			ret = enter(0xffffffffU, 0, 0, 0);
			if (ret == -EBUSY)
				ret = 0;
			if (ret < 0 || ret > ENTRIES)
				t_fail("ENTER with a tail %u ahead: %s (at most %u)",
				       ahead[i], t_resname(ret), ENTRIES);
			head += (unsigned)ret;
			consumed += (unsigned)ret;
			/* Everything so far must complete: no more than the CQ holds. */
			{
				uint64_t dl = t_now_ns() + 10ULL * 1000 * 1000 * 1000;

				while (reaped < consumed && t_now_ns() < dl) {
					reaped += reap();
					if (reaped < consumed)
						enter(0, 1, AIORING_ENTER_GETEVENTS |
						      AIORING_ENTER_TIMEOUT, 10000000);
				}
			}
		}
		tail = head;
		__atomic_store_n(ring.sq.ktail, tail, __ATOMIC_RELEASE);
	}
	/* Every consumed SQE gets its CQE, workers included. */
	{
		uint64_t dl = t_now_ns() + 10ULL * 1000 * 1000 * 1000;

		while (reaped < consumed && t_now_ns() < dl) {
			enter(0, 1, AIORING_ENTER_GETEVENTS | AIORING_ENTER_TIMEOUT,
			      10000000);
			reaped += reap();
		}
	}
	t_sleep_ms(50);
	reaped += reap();
	if (reaped != consumed)
		t_fail("SQ side: %lu SQEs consumed, %lu CQEs", consumed, reaped);
	T_EQ(*ring.sq.khead, head);
	t_log("SQ side: %lu ENTERs, %lu SQEs, %lu rewrites", enters, consumed,
	      nr_rewrites);
}

/* A NOP through the raw ring: the ring works. */
static void raw_roundtrip(uint64_t ud)
{
	unsigned tail = *ring.sq.ktail, head;
	struct aioring_cqe *cqe;
	int ret;

	memset(&ring.sq.sqes[0], 0, sizeof(ring.sq.sqes[0]));
	ring.sq.sqes[0].user_data = ud;
	ring.sq.array[tail & (ENTRIES - 1)] = 0;
	__atomic_store_n(ring.sq.ktail, tail + 1, __ATOMIC_RELEASE);
	ret = enter(1, 1, AIORING_ENTER_GETEVENTS | AIORING_ENTER_TIMEOUT,
		    5000ULL * 1000 * 1000);
	if (ret != 1)
		t_fail("NOP after the rewriting: ENTER %s", t_resname(ret));
	head = *ring.cq.khead;
	T_EQ(__atomic_load_n(ring.cq.ktail, __ATOMIC_ACQUIRE), head + 1);
	cqe = &ring.cq.cqes[head & ring.cq.ring_mask];
	T_EQ_HEX(cqe->user_data, ud);
	T_RES(cqe->res, 0);
	__atomic_store_n(ring.cq.khead, head + 1, __ATOMIC_RELEASE);
}

/* Phase B: the completion side rewritten under ENTER's wait. */
static void cq_side(void)
{
	unsigned head = *ring.sq.khead, tail = head, i;
	unsigned long consumed = 0, enters = 0;
	uint64_t t0 = t_now_ns();
	pthread_t th;

	for (i = 0; i < ENTRIES; i++) {
		memset(&ring.sq.sqes[i], 0, sizeof(ring.sq.sqes[i]));
		ring.sq.sqes[i].user_data = UD_BASE;
	}
	nr_rewrites = 0;
	th = start_rewriter(CQ_SIDE);
	while (t_now_ns() - t0 < PHASE_NS) {
		unsigned k = (unsigned)t_rand_below(ENTRIES + 1) - (tail - head);
		unsigned min = (unsigned)(t_rand_below(4) ? t_rand_below(64) :
					  0xffffffffU);
		int ret;

		if ((int)k < 0)
			k = 0;
		tail += k;
		__atomic_store_n(ring.sq.ktail, tail, __ATOMIC_RELEASE);
		ret = enter(tail - head, min, AIORING_ENTER_GETEVENTS |
			    AIORING_ENTER_TIMEOUT, 1000000);
		enters++;
		if (ret == -EBUSY || ret == -ETIME || ret == -EAGAIN)
			ret = 0;
		if (ret < 0 || (unsigned)ret > tail - head)
			t_fail("ENTER(%u, min %u) under CQ rewriting: %s",
			       tail - head, min, t_resname(ret));
		head += (unsigned)ret;
		consumed += (unsigned)ret;
	}
	stop_rewriter(th);
	restore_fields();
	/* Let the module post what it holds: CQ head at its tail, then flush. */
	for (i = 0; i < 1000; i++) {
		__atomic_store_n(ring.cq.khead,
				 __atomic_load_n(ring.cq.ktail, __ATOMIC_ACQUIRE),
				 __ATOMIC_RELEASE);
		if (tail != head) {
			int ret = enter(tail - head, 0, 0, 0);

			if (ret > 0)
				head += (unsigned)ret;
		}
		enter(0, 0, AIORING_ENTER_GETEVENTS, 0);
		if (tail == head &&
		    !(*ring.sq.kflags & AIORING_SQ_CQ_OVERFLOW) &&
		    *ring.cq.khead == *ring.cq.ktail) {
			t_sleep_ms(20);
			if (*ring.cq.khead == *ring.cq.ktail)
				break;
		}
	}
	if (i == 1000)
		t_fail("the CQ did not settle after the rewriting stopped");
	raw_roundtrip(0xc0ffee);
	t_log("CQ side: %lu ENTERs, %lu SQEs, %lu rewrites", enters, consumed,
	      nr_rewrites);
}

/* Phase C: an SQ thread reads the rewritten SQ ring on its own. */
static void sq_thread_side(void)
{
	unsigned head = *ring.sq.khead, tail = head, i;
	unsigned long consumed, reaped = 0;
	uint64_t t0 = t_now_ns();
	pthread_t th;

	nr_rewrites = 0;
	th = start_rewriter(SQ_THREAD_SIDE);
	while (t_now_ns() - t0 < PHASE_NS) {
		unsigned khead = __atomic_load_n(ring.sq.khead, __ATOMIC_ACQUIRE);

		if (tail - khead > ENTRIES)
			t_fail("SQ thread: head %u beyond tail %u", khead, tail);
		if (khead == tail) {
			unsigned k = 1 + (unsigned)t_rand_below(ENTRIES);

			for (i = 0; i < k; i++)
				ring.sq.array[(tail + i) & (ENTRIES - 1)] =
					(tail + i) & (ENTRIES - 1);
			tail += k;
			__atomic_store_n(ring.sq.ktail, tail, __ATOMIC_RELEASE);
		}
		enter(0, 1, AIORING_ENTER_SQ_WAKEUP | AIORING_ENTER_GETEVENTS |
		      AIORING_ENTER_TIMEOUT, 1000000);
		reaped += reap();
	}
	stop_rewriter(th);
	restore_fields();
	{
		uint64_t dl = t_now_ns() + 10ULL * 1000 * 1000 * 1000;

		while (__atomic_load_n(ring.sq.khead, __ATOMIC_ACQUIRE) != tail &&
		       t_now_ns() < dl)
			enter(0, 0, AIORING_ENTER_SQ_WAKEUP, 0), t_sleep_ms(1);
	}
	consumed = *ring.sq.khead - head;
	if (*ring.sq.khead != tail)
		t_fail("SQ thread: head %u, tail %u 10 s after the rewriting",
		       *ring.sq.khead, tail);
	{
		uint64_t dl = t_now_ns() + 10ULL * 1000 * 1000 * 1000;

		while (reaped < consumed && t_now_ns() < dl) {
			enter(0, 1, AIORING_ENTER_GETEVENTS | AIORING_ENTER_TIMEOUT,
			      10000000);
			reaped += reap();
		}
	}
	t_sleep_ms(50);
	reaped += reap();
	if (reaped != consumed)
		t_fail("SQ thread: %lu SQEs consumed, %lu CQEs", consumed, reaped);
	t_log("SQ thread: %lu SQEs, %lu rewrites", consumed, nr_rewrites);
}

static void setup_ring(unsigned flags)
{
	struct aioring_params p;
	struct iovec iov = { bigbuf, 65536 };
	int fds[64];
	unsigned i;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	if (flags & AIORING_SETUP_SQTHREAD)
		p.sq_thread_idle = 10;
	if (aioring_queue_init_params(ENTRIES, &ring, &p) < 0)
		t_fail("ring setup, flags 0x%x", flags);
	T_EQ(ring.sq.ring_entries, ENTRIES);
	for (i = 0; i < T_ARRAY_SIZE(fds); i++)
		fds[i] = -1;
	T_CHECK(file_fd < (int)T_ARRAY_SIZE(fds));
	fds[file_fd] = file_fd;
	T_RES(aioring_register_files(&ring, fds, (unsigned)file_fd + 1), 0);
	T_RES(aioring_register_buffers(&ring, &iov, 1), 0);
	make_variants(!!(flags & AIORING_SETUP_SQTHREAD));
	for (i = 0; i < ENTRIES; i++)
		ring.sq.sqes[i] = variants[i % NR_VARIANTS];
}

int main(void)
{
	struct rlimit rl = { 64UL << 20, 64UL << 20 };
	unsigned char *area;
	pid_t pid;

	t_require_device();
	if (getuid() != 0)
		t_skip("needs root to drop privileges");
	t_seed_random();
	file_fd = t_create_file(FILE_SIZE, NULL, NULL, 0);
	pid = T_SYSOK(fork());
	if (pid) {
		t_expect_child_exit(pid, 0, "attacker");
		return T_EXIT_PASS;
	}
	/* Ring and buffer are charged to RLIMIT_MEMLOCK (64 KiB on 5.10). */
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		t_fail("RLIMIT_MEMLOCK: %s", t_errname(errno));
	t_become_user(T_USER_UID);
	area = t_aligned_alloc(4096, 3 * 65536);
	memset(area, 0, 3 * 65536);
	bigbuf = area + 65536;

	setup_ring(0);
	sq_side();
	raw_roundtrip(0x5a5a);
	cq_side();
	aioring_queue_exit(&ring);

	setup_ring(AIORING_SETUP_SQTHREAD);
	sq_thread_side();
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}
