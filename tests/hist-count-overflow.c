/* SPDX-License-Identifier: MIT */
/*
 * Description: io_uring history, class "length arithmetic on user-given
 * counts" (io_uring's provide-buffers count × length overflow checks,
 * fixed in 5.10.37, and the many size_mul/struct_size fixes since). Every
 * count × size of the ABI at its maximum and just past it, as an
 * unprivileged user: 16384 SQ and 32768 CQ entries, mapped and used to the
 * last slot; 1024 registered buffers of 1 GiB (ENOMEM under the memlock
 * limit, EFAULT with no limit, and the charge given back either way);
 * 1024 buffers on one page; 32768 registered files used and updated at the
 * last slot, offsets and counts that wrap; a READ of 4 GiB - 1 bytes;
 * READV of 1024 iovecs of 2^46 bytes each and of 1024 × 4 MiB (more
 * than 32 bits); FSYNC ranges at the top of loff_t; to_submit and
 * min_complete of 2^32 - 1; and ENTER timeouts of 2^63 ns and more, which
 * must not wrap into the past (an immediate -ETIME).
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>

#include "t_helpers.h"

#define FILE_SIZE	8192
#define GIB		(1UL << 30)

static int file_fd;
static unsigned char file_data[FILE_SIZE];

static void set_memlock(rlim_t soft)
{
	struct rlimit rl;

	getrlimit(RLIMIT_MEMLOCK, &rl);
	rl.rlim_cur = soft;
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		t_fail("RLIMIT_MEMLOCK %llu: %s", (unsigned long long)soft,
		       t_errname(errno));
}

static int one(struct aioring *ring, struct aioring_sqe *tmpl)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);
	struct aioring_cqe cqe;

	*sqe = *tmpl;
	sqe->user_data = 0xc0;
	t_submit(ring, 1);
	t_reap(ring, &cqe, 1);
	T_EQ(cqe.user_data, 0xc0);
	return cqe.res;
}

#define EXPECT(what, got, exp) do {					\
	long long _g = (got), _x = (exp);				\
	if (_g != _x)							\
		t_error("%s: expected %s, got %s", what,		\
			t_resname(_x), t_resname(_g));			\
} while (0)

static void expect_setup(unsigned sq, unsigned cq, unsigned flags,
			 unsigned idle, unsigned cpu, int err)
{
	struct aioring_params p;
	int fd = t_open_dev();

	t_params(&p, sq, cq);
	p.flags = flags;
	p.sq_thread_idle = idle;
	p.sq_thread_cpu = cpu;
	errno = 0;
	if (ioctl(fd, AIORING_IOC_SETUP, &p) != -1 || errno != err)
		t_error("setup sq %u cq %u flags 0x%x idle %u cpu %u: expected %s, got %s",
			sq, cq, flags, idle, cpu, t_errname(err),
			errno ? t_errname(errno) : "success");
	close(fd);
}

/* The largest ring, used to its last SQE and CQE slots. */
static void ring_sizes(void)
{
	struct aioring_params p;
	struct aioring ring;
	unsigned i;
	long cap = -1;
	FILE *f;

	memset(&p, 0, sizeof(p));
	p.cq_entries = AIORING_MAX_CQ_ENTRIES - 1;
	p.max_workers = 0xffffffffU;
	if (aioring_queue_init_params(AIORING_MAX_ENTRIES - 1, &ring, &p) < 0)
		t_fail("setup of the largest ring failed");
	T_EQ(p.sq_entries, AIORING_MAX_ENTRIES);
	T_EQ(p.cq_entries, AIORING_MAX_CQ_ENTRIES);
	f = fopen("/sys/module/aioring/parameters/max_workers", "r");
	if (f && fscanf(f, "%ld", &cap) == 1 && (long)p.max_workers > cap)
		t_error("max_workers 2^32 - 1 became %u, over the cap %ld",
			p.max_workers, cap);
	if (f)
		fclose(f);
	if (!p.max_workers)
		t_error("max_workers 2^32 - 1 became 0");
	/* Fill the SQ: SQE slot i at ring position i, the last one last. */
	for (i = 0; i < AIORING_MAX_ENTRIES; i++) {
		struct aioring_sqe *sqe = aioring_get_sqe(&ring);

		if (!sqe)
			t_fail("no SQE %u of %u", i, AIORING_MAX_ENTRIES);
		aioring_prep_nop(sqe);
		aioring_sqe_set_data64(sqe, i);
	}
	T_EQ(t_publish(&ring), AIORING_MAX_ENTRIES);
	T_EQ(t_enter(ring.ring_fd, 0xffffffffU, 0, 0, 0), AIORING_MAX_ENTRIES);
	/* 16384 CQEs of 32768: wait for all of them, and for 2^32 - 1 (capped). */
	T_EQ(t_enter(ring.ring_fd, 0, AIORING_MAX_ENTRIES, AIORING_ENTER_GETEVENTS, 0), 0);
	T_EQ(aioring_cq_ready(&ring), AIORING_MAX_ENTRIES);
	T_EQ(ring.cq.cqes[AIORING_MAX_ENTRIES - 1].user_data, AIORING_MAX_ENTRIES - 1);
	/* Fill the CQ to its last slot: then min_complete 2^32 - 1 is met. */
	for (i = 0; i < AIORING_MAX_ENTRIES; i++)
		aioring_prep_nop(aioring_get_sqe(&ring));
	T_EQ(t_publish(&ring), AIORING_MAX_ENTRIES);
	T_EQ(t_enter(ring.ring_fd, AIORING_MAX_ENTRIES, 0xffffffffU,
		     AIORING_ENTER_GETEVENTS | AIORING_ENTER_TIMEOUT,
		     10ULL * 1000 * 1000 * 1000), AIORING_MAX_ENTRIES);
	T_EQ(aioring_cq_ready(&ring), AIORING_MAX_CQ_ENTRIES);
	T_EQ(t_enter(ring.ring_fd, 0, 0xffffffffU, AIORING_ENTER_GETEVENTS, 0), 0);
	aioring_cq_advance(&ring, AIORING_MAX_CQ_ENTRIES);
	t_nop_roundtrip(&ring, 1);
	aioring_queue_exit(&ring);

	expect_setup(AIORING_MAX_ENTRIES + 1, 0, 0, 0, 0, EINVAL);
	expect_setup(0x80000001U, 0, 0, 0, 0, EINVAL);	/* rounds up past 2^32 */
	expect_setup(0xfffffffeU, 0, 0, 0, 0, EINVAL);
	expect_setup(4, AIORING_MAX_CQ_ENTRIES + 1, 0, 0, 0, EINVAL);
	expect_setup(4, 0x80000001U, 0, 0, 0, EINVAL);
	/* sq 16384 makes a default CQ of exactly the maximum. */
	{
		int fd = t_setup_fd(&p, AIORING_MAX_ENTRIES, 0);

		T_EQ(p.cq_entries, AIORING_MAX_CQ_ENTRIES);
		close(fd);
	}
	expect_setup(4, 0, AIORING_SETUP_SQTHREAD, 0xffffffffU, 0, EINVAL);
	expect_setup(4, 0, AIORING_SETUP_SQTHREAD | AIORING_SETUP_SQ_AFF, 0,
		     0xffffffffU, EINVAL);
	expect_setup(4, 0, AIORING_SETUP_SQTHREAD | AIORING_SETUP_SQ_AFF, 0,
		     0x80000000U, EINVAL);
	/* The largest ring under a small memlock limit: ENOMEM, not a wrap. */
	set_memlock(256 * 1024);
	expect_setup(AIORING_MAX_ENTRIES, AIORING_MAX_CQ_ENTRIES, 0, 0, 0, ENOMEM);
	set_memlock(64UL << 20);
}

static void buffers(void)
{
	static struct iovec iov[AIORING_MAX_REG_BUFFERS + 1];
	unsigned char *page = t_aligned_alloc(4096, 4096);
	struct aioring_sqe sqe;
	struct aioring ring;
	void *gib;
	unsigned i;

	gib = mmap(NULL, GIB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (gib == MAP_FAILED)
		t_fail("reserve 1 GiB: %s", t_errname(errno));
	t_ring_init(&ring, 4, 0);
	for (i = 0; i < T_ARRAY_SIZE(iov); i++) {
		iov[i].iov_base = gib;
		iov[i].iov_len = GIB;
	}
	/* 1024 × 1 GiB: 2^28 pages charged at once; over the limit. */
	EXPECT("1024 buffers of 1 GiB under a 64 MiB limit",
	       aioring_register_buffers(&ring, iov, AIORING_MAX_REG_BUFFERS), -ENOMEM);
	/* With no limit the charge passes; the pin fails; all is given back. */
	set_memlock(RLIM_INFINITY);
	EXPECT("1024 buffers of 1 GiB (PROT_NONE) with no limit",
	       aioring_register_buffers(&ring, iov, AIORING_MAX_REG_BUFFERS), -EFAULT);
	set_memlock(64 * 1024);
	iov[0].iov_base = page;
	iov[0].iov_len = 4096;
	EXPECT("one page under a 64 KiB limit after the failures (charge given back)",
	       aioring_register_buffers(&ring, iov, 1), 0);
	T_RES(aioring_unregister_buffers(&ring), 0);
	set_memlock(64UL << 20);

	EXPECT("1025 buffers", aioring_register_buffers(&ring, iov, 1025), -EINVAL);
	EXPECT("2^32 - 1 buffers", aioring_register_buffers(&ring, iov, 0xffffffffU),
	       -EINVAL);
	EXPECT("1024 buffers from a NULL array",
	       aioring_register_buffers(&ring, NULL, AIORING_MAX_REG_BUFFERS), -EFAULT);
	iov[0].iov_len = GIB + 1;
	EXPECT("a buffer of 1 GiB + 1", aioring_register_buffers(&ring, iov, 1), -EINVAL);
	iov[0].iov_len = 1UL << 63;
	EXPECT("a buffer of 2^63", aioring_register_buffers(&ring, iov, 1), -EINVAL);
	iov[0].iov_len = ~0UL;
	EXPECT("a buffer of 2^64 - 1", aioring_register_buffers(&ring, iov, 1), -EINVAL);

	/* 1024 buffers, all the same page: every index works. */
	for (i = 0; i < AIORING_MAX_REG_BUFFERS; i++) {
		iov[i].iov_base = page;
		iov[i].iov_len = 4096;
	}
	T_RES(aioring_register_buffers(&ring, iov, AIORING_MAX_REG_BUFFERS), 0);
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = AIORING_OP_READ_FIXED;
	sqe.fd = file_fd;
	sqe.addr = (uintptr_t)page;
	sqe.len = 4096;
	sqe.buf_index = AIORING_MAX_REG_BUFFERS - 1;
	memset(page, 0, 4096);
	EXPECT("READ_FIXED into buffer 1023", one(&ring, &sqe), 4096);
	t_check_buf(page, file_data, 4096, "buffer 1023");
	sqe.buf_index = AIORING_MAX_REG_BUFFERS;
	EXPECT("READ_FIXED into buffer 1024", one(&ring, &sqe), -EFAULT);
	T_RES(aioring_unregister_buffers(&ring), 0);
	aioring_queue_exit(&ring);
	munmap(gib, GIB);
	free(page);
}

static void files(void)
{
	static int fds[AIORING_MAX_REG_FILES + 1];
	struct aioring_sqe sqe;
	struct aioring ring;
	unsigned char buf[512];
	unsigned i;

	t_ring_init(&ring, 4, 0);
	for (i = 0; i < T_ARRAY_SIZE(fds); i++)
		fds[i] = -1;
	EXPECT("32769 files", aioring_register_files(&ring, fds, AIORING_MAX_REG_FILES + 1),
	       -EINVAL);
	EXPECT("2^32 - 1 files", aioring_register_files(&ring, fds, 0xffffffffU), -EINVAL);
	EXPECT("32768 files from a NULL array",
	       aioring_register_files(&ring, NULL, AIORING_MAX_REG_FILES), -EFAULT);
	T_RES(aioring_register_files(&ring, fds, AIORING_MAX_REG_FILES), 0);

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = AIORING_OP_READ;
	sqe.flags = AIORING_SQE_FIXED_FILE;
	sqe.addr = (uintptr_t)buf;
	sqe.len = sizeof(buf);
	sqe.fd = AIORING_MAX_REG_FILES - 1;
	EXPECT("READ of empty slot 32767", one(&ring, &sqe), -EBADF);
	EXPECT("update slot 32767", aioring_register_files_update(
		       &ring, AIORING_MAX_REG_FILES - 1, &file_fd, 1), 1);
	EXPECT("READ of slot 32767", one(&ring, &sqe), sizeof(buf));
	t_check_buf(buf, file_data, sizeof(buf), "slot 32767");
	sqe.fd = AIORING_MAX_REG_FILES;
	EXPECT("READ of slot 32768", one(&ring, &sqe), -EBADF);
	sqe.fd = INT_MIN;
	EXPECT("READ of slot INT_MIN", one(&ring, &sqe), -EBADF);
	EXPECT("update slots 32767..32768", aioring_register_files_update(
		       &ring, AIORING_MAX_REG_FILES - 1, fds, 2), -EINVAL);
	EXPECT("update 1 slot at 2^32 - 1", aioring_register_files_update(
		       &ring, 0xffffffffU, fds, 1), -EINVAL);
	EXPECT("update 2^32 - 1 slots at 1", aioring_register_files_update(
		       &ring, 1, fds, 0xffffffffU), -EINVAL);
	EXPECT("update 2^32 - 1 slots at 0", aioring_register_files_update(
		       &ring, 0, fds, 0xffffffffU), -EINVAL);
	/* All of them at once, back to empty. */
	EXPECT("update all 32768 slots", aioring_register_files_update(
		       &ring, 0, fds, AIORING_MAX_REG_FILES), AIORING_MAX_REG_FILES);
	sqe.fd = AIORING_MAX_REG_FILES - 1;
	EXPECT("READ of slot 32767 after emptying", one(&ring, &sqe), -EBADF);
	T_RES(aioring_unregister_files(&ring), 0);
	/* 32768 references to one file, taken and dropped. */
	for (i = 0; i < AIORING_MAX_REG_FILES; i++)
		fds[i] = file_fd;
	T_RES(aioring_register_files(&ring, fds, AIORING_MAX_REG_FILES), 0);
	EXPECT("READ of slot 32767 of 32768 copies", one(&ring, &sqe), sizeof(buf));
	T_RES(aioring_unregister_files(&ring), 0);
	aioring_queue_exit(&ring);
}

static void rw_lengths(void)
{
	static struct iovec iov[1024];
	unsigned char *buf = t_aligned_alloc(4096, 65536);
	struct aioring_sqe sqe;
	struct aioring ring;
	unsigned i;

	t_ring_init(&ring, 4, 0);
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = AIORING_OP_READ;
	sqe.fd = file_fd;
	sqe.addr = (uintptr_t)buf;
	sqe.len = 0xffffffffU;
	EXPECT("READ of 2^32 - 1 bytes from an 8 KiB file", one(&ring, &sqe), FILE_SIZE);
	t_check_buf(buf, file_data, FILE_SIZE, "READ of 2^32 - 1");

	/* 1024 × 2^46: 2^56 bytes asked, each iovec still user memory. */
	for (i = 0; i < T_ARRAY_SIZE(iov); i++) {
		iov[i].iov_base = buf;
		iov[i].iov_len = 1UL << 46;
	}
	sqe.opcode = AIORING_OP_READV;
	sqe.addr = (uintptr_t)iov;
	sqe.len = 1024;
	memset(buf, 0, FILE_SIZE);
	EXPECT("READV of 1024 iovecs of 2^46", one(&ring, &sqe), FILE_SIZE);
	t_check_buf(buf, file_data, FILE_SIZE, "READV of 2^56 bytes");
	/* SSIZE_MAX from a user address runs into the kernel: as readv(2). */
	iov[0].iov_len = SSIZE_MAX;
	EXPECT("READV with an iovec of SSIZE_MAX", one(&ring, &sqe), -EFAULT);
	for (i = 0; i < T_ARRAY_SIZE(iov); i++)
		iov[i].iov_len = 4UL << 20;
	memset(buf, 0, FILE_SIZE);
	EXPECT("READV of 1024 × 4 MiB (2^32 in all)", one(&ring, &sqe), FILE_SIZE);
	t_check_buf(buf, file_data, FILE_SIZE, "READV of 2^32 bytes");
	iov[1].iov_len = (size_t)SSIZE_MAX + 1;
	EXPECT("READV with an iovec of SSIZE_MAX + 1", one(&ring, &sqe), -EINVAL);
	iov[1].iov_len = ~(size_t)0;
	EXPECT("READV with an iovec of 2^64 - 1", one(&ring, &sqe), -EINVAL);

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = AIORING_OP_FSYNC;
	sqe.fd = file_fd;
	sqe.off = LLONG_MAX;
	sqe.len = 0xffffffffU;
	EXPECT("FSYNC off LLONG_MAX len 2^32 - 1", one(&ring, &sqe), -EINVAL);
	sqe.off = LLONG_MAX - 0xffffffffULL;
	EXPECT("FSYNC ending at LLONG_MAX", one(&ring, &sqe), 0);
	sqe.off = LLONG_MAX;
	sqe.len = 0;
	EXPECT("FSYNC off LLONG_MAX len 0", one(&ring, &sqe), 0);
	sqe.off = 1ULL << 63;
	EXPECT("FSYNC off 2^63", one(&ring, &sqe), -EINVAL);
	aioring_queue_exit(&ring);
	free(buf);
}

static volatile int alarmed;

static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

/* Timeouts that overflow ktime_get() + timeout_ns must not end at once. */
static void timeouts(void)
{
	static const __u64 big[] = {
		0xffffffffffffffffULL, 1ULL << 63, (1ULL << 63) - 1,
		(1ULL << 63) - 1000000000ULL,
	};
	struct aioring ring;
	unsigned i;

	t_ring_init(&ring, 4, 0);
	t_signal(SIGALRM, on_alarm, 0);
	for (i = 0; i < T_ARRAY_SIZE(big); i++) {
		uint64_t t0 = t_now_ns(), ms;
		int ret, err;

		alarmed = 0;
		t_alarm_ms(300);
		errno = 0;
		ret = t_enter(ring.ring_fd, 0, 1, AIORING_ENTER_GETEVENTS |
			      AIORING_ENTER_TIMEOUT, big[i]);
		err = errno;
		t_alarm_ms(0);
		ms = (t_now_ns() - t0) / 1000000;
		/* Waiting until the signal, or refusing the value, are both sane. */
		if (ret == -1 && (err == EINTR || err == EINVAL) &&
		    (err == EINVAL || ms >= 250))
			continue;
		t_error("ENTER wait with timeout_ns 0x%llx: expected EINTR at the 300 ms alarm (or EINVAL), got %s after %llu ms",
			(unsigned long long)big[i],
			ret == -1 ? t_errname(err) : "success",
			(unsigned long long)ms);
	}
	t_expect_no_cqe(&ring);
	aioring_queue_exit(&ring);
}

int main(void)
{
	struct rlimit rl = { 64UL << 20, RLIM_INFINITY };
	pid_t pid;

	t_require_device();
	if (getuid() != 0)
		t_skip("needs root to drop privileges");
	t_seed_random();
	file_fd = t_create_file(FILE_SIZE, file_data, NULL, 0);
	pid = T_SYSOK(fork());
	if (pid) {
		t_expect_child_exit(pid, 0, "attacker");
		return T_EXIT_PASS;
	}
	/* Soft 64 MiB, no hard limit, so the user can lift it for one case. */
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		t_fail("RLIMIT_MEMLOCK: %s", t_errname(errno));
	t_become_user(T_USER_UID);
	ring_sizes();
	buffers();
	files();
	rw_lengths();
	timeouts();
	return t_exit_status();
}
