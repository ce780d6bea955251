/* SPDX-License-Identifier: MIT */
/*
 * Description: io_uring history, class "registered-buffer bounds". The
 * attacks that broke io_uring's fixed buffers, on aioring's: a zero-length
 * READ_FIXED/WRITE_FIXED at the exact end of a registered buffer (io_uring
 * walked past its bvec table this way, fixed in 2026), one byte past it,
 * addresses and lengths that wrap (64-bit, and 32-bit truncation), a
 * buffer made of one page mapped sixteen times and one made of huge pages,
 * including one huge page mapped twice (CVE-2023-2598: io_uring coalesced
 * such pages into one bvec and read past the folio). Every in-bounds
 * request moves exactly the right bytes (a write from an aliased buffer
 * must write the aliased page, never its physical neighbours), every
 * other one is -EFAULT, and bytes next to each buffer stay untouched. Runs
 * as an unprivileged user; the root parent reserves huge pages in
 * /proc/sys/vm/nr_hugepages and restores the count. Without huge pages the
 * checks before them still run, then the test skips.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "t_helpers.h"

#define PG		4096UL
#define HPAGE		(2UL << 20)
#define FILE_SIZE	(512UL * 1024)
#define NR_HUGE		3		/* two for a span, one mapped twice */
#define CANARY		0x5a

static unsigned char *file_data;
static int bfd, dfd;			/* buffered, O_DIRECT (or -1) */
static struct aioring ring;

static int fixed(int op, int fd, const void *addr, unsigned len, __u64 off,
		 unsigned idx)
{
	struct aioring_sqe *sqe = t_get_sqe(&ring);
	struct aioring_cqe cqe;

	if (op == AIORING_OP_READ_FIXED)
		aioring_prep_read_fixed(sqe, fd, (void *)addr, len, off, (int)idx);
	else
		aioring_prep_write_fixed(sqe, fd, addr, len, off, (int)idx);
	aioring_sqe_set_data64(sqe, 0xf1);
	t_submit(&ring, 1);
	t_reap(&ring, &cqe, 1);
	T_EQ(cqe.user_data, 0xf1);
	return cqe.res;
}

#define EXPECT(what, got, exp) do {					\
	int _g = (got), _x = (exp);					\
	if (_g != _x)							\
		t_error("%s: expected %s, got %s", what,		\
			t_resname(_x), t_resname(_g));			\
} while (0)

static void *map_fixed_at(void *at, size_t len, int fd, off_t off)
{
	void *p = mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		       fd, off);

	if (p == MAP_FAILED)
		t_fail("mmap %zu at %p: %s", len, at, t_errname(errno));
	return p;
}

/* PROT_NONE address space of @len, aligned to @align. */
static unsigned char *reserve(size_t len, size_t align)
{
	unsigned char *p = mmap(NULL, len + align, PROT_NONE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				-1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		t_fail("reserve %zu: %s", len, t_errname(errno));
	a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	return (unsigned char *)a;
}

/*
 * The bounds of buffer @idx, [@start, @start + @len): zero length at both
 * ends and one byte past each, for reads and writes, buffered and (if the
 * buffer is aligned) O_DIRECT.
 */
static void check_edges(const char *what, unsigned idx, unsigned char *start,
			size_t len)
{
	unsigned char *end = start + len;
	char msg[128];

#define CASE(res, op, fd, addr, l) do {					\
	snprintf(msg, sizeof(msg), "%s: %s %s at %s%+ld len %u", what,	\
		 op == AIORING_OP_READ_FIXED ? "READ_FIXED" : "WRITE_FIXED", \
		 fd == dfd ? "O_DIRECT" : "buffered",			\
		 (addr) >= end ? "end" : "start",			\
		 (long)((addr) >= end ? (addr) - end : (addr) - start),	\
		 (unsigned)(l));					\
	EXPECT(msg, fixed(op, fd, addr, l, 0, idx), res);		\
} while (0)
	CASE(0, AIORING_OP_READ_FIXED, bfd, end, 0);
	CASE(0, AIORING_OP_WRITE_FIXED, bfd, end, 0);
	CASE(0, AIORING_OP_READ_FIXED, bfd, start, 0);
	CASE(-EFAULT, AIORING_OP_READ_FIXED, bfd, end, 1);
	CASE(-EFAULT, AIORING_OP_READ_FIXED, bfd, end + 1, 0);
	CASE(-EFAULT, AIORING_OP_READ_FIXED, bfd, end + PG, 0);
	CASE(-EFAULT, AIORING_OP_WRITE_FIXED, bfd, end, 1);
	CASE(-EFAULT, AIORING_OP_READ_FIXED, bfd, start - 1, 1);
	CASE(-EFAULT, AIORING_OP_READ_FIXED, bfd, start - 1, 0);
	CASE(-EFAULT, AIORING_OP_READ_FIXED, bfd, start, (unsigned)len + 1);
	if (dfd >= 0 && !((uintptr_t)end % 512)) {
		CASE(0, AIORING_OP_READ_FIXED, dfd, end, 0);
		CASE(0, AIORING_OP_WRITE_FIXED, dfd, end, 0);
	}
#undef CASE
	/* The last byte, read: exactly one byte lands, the right one. */
	end[-1] = ~file_data[7];
	snprintf(msg, sizeof(msg), "%s: READ_FIXED of the last byte", what);
	EXPECT(msg, fixed(AIORING_OP_READ_FIXED, bfd, end - 1, 1, 7, idx), 1);
	if (end[-1] != file_data[7])
		t_error("%s: last byte 0x%02x, expected 0x%02x", what, end[-1],
			file_data[7]);
}

/* Wrapping and truncating arithmetic on [addr, addr + len). */
static void check_wrap(unsigned idx, unsigned char *start, size_t len)
{
	static const struct { __u64 delta; unsigned len; const char *what; } c[] = {
		{ 1ULL << 32, 0, "start + 2^32 (equal in 32 bits)" },
		{ 1ULL << 32, 16, "start + 2^32, len 16" },
		{ 1ULL << 63, 0, "start + 2^63" },
		{ -(1ULL << 32), 16, "start - 2^32" },
		{ 0, 0xffffffffU, "len 0xffffffff" },
		{ 0, 0x80000000U, "len 2^31" },
	};
	__u64 s = (uintptr_t)start;
	unsigned i;
	char msg[128];

	for (i = 0; i < T_ARRAY_SIZE(c); i++) {
		snprintf(msg, sizeof(msg), "READ_FIXED %s", c[i].what);
		EXPECT(msg, fixed(AIORING_OP_READ_FIXED, bfd,
				  (void *)(uintptr_t)(s + c[i].delta), c[i].len,
				  0, idx), -EFAULT);
	}
	/* Ends that wrap around 2^64 to land before or in the buffer. */
	EXPECT("READ_FIXED addr ~0 - 10 len 100",
	       fixed(AIORING_OP_READ_FIXED, bfd, (void *)(~0UL - 10), 100, 0, idx),
	       -EFAULT);
	EXPECT("READ_FIXED addr 2^64 - 2^32 + start len 2^32 - 1",
	       fixed(AIORING_OP_READ_FIXED, bfd,
		     (void *)(uintptr_t)(s - (1ULL << 32) + 1), 0xffffffffU, 0,
		     idx), -EFAULT);
	EXPECT("READ_FIXED addr 0 len 0",
	       fixed(AIORING_OP_READ_FIXED, bfd, NULL, 0, 0, idx), -EFAULT);
	(void)len;
}

static void check_canary(const unsigned char *p, size_t n, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != CANARY) {
			t_error("%s: byte %zu next to the buffer changed to 0x%02x",
				what, i, p[i]);
			return;
		}
}

/* Plain buffers, edges of every kind, and the wrap cases. */
static void plain_buffers(void)
{
	unsigned char *area = reserve(16 * PG, PG), *b[4];
	struct iovec iov[4];
	unsigned i;

	area = mmap(area, 16 * PG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (area == MAP_FAILED)
		t_fail("mmap: %s", t_errname(errno));
	memset(area, CANARY, 16 * PG);
	b[0] = area + PG;		iov[0].iov_len = 2 * PG;	/* aligned both ends */
	b[1] = area + 4 * PG + 100;	iov[1].iov_len = 5000;		/* ends mid-page */
	b[2] = area + 8 * PG + 4095;	iov[2].iov_len = 1;		/* one byte, page end */
	b[3] = area + 10 * PG;		iov[3].iov_len = PG;		/* last of the table */
	for (i = 0; i < 4; i++)
		iov[i].iov_base = b[i];
	T_RES(aioring_register_buffers(&ring, iov, 4), 0);
	for (i = 0; i < 4; i++) {
		char what[32];

		snprintf(what, sizeof(what), "buffer %u", i);
		check_edges(what, i, b[i], iov[i].iov_len);
	}
	/* A whole buffer, and one across its page boundary. */
	EXPECT("READ_FIXED all of buffer 1",
	       fixed(AIORING_OP_READ_FIXED, bfd, b[1], 5000, 3 * PG, 1), 5000);
	t_check_buf(b[1], file_data + 3 * PG, 5000, "buffer 1");
	EXPECT("READ_FIXED buffer 0 across its page boundary",
	       fixed(AIORING_OP_READ_FIXED, bfd, b[0] + PG - 7, 14, 100, 0), 14);
	t_check_buf(b[0] + PG - 7, file_data + 100, 14, "buffer 0 middle");
	check_canary(area, PG, "before buffer 0");
	check_canary(b[0] + 2 * PG, PG, "after buffer 0");
	check_canary(b[1] + 5000, 16, "after buffer 1");
	check_canary(b[1] - 16, 16, "before buffer 1");
	check_canary(b[2] + 1, PG, "after buffer 2");
	check_canary(b[3] + PG, PG, "after buffer 3");

	check_wrap(1, b[1], 5000);
	EXPECT("READ_FIXED buf_index 4 (== nr)",
	       fixed(AIORING_OP_READ_FIXED, bfd, b[0], 1, 0, 4), -EFAULT);
	EXPECT("READ_FIXED buf_index 0x8000",
	       fixed(AIORING_OP_READ_FIXED, bfd, b[0], 1, 0, 0x8000), -EFAULT);
	EXPECT("READ_FIXED buf_index 0xffff",
	       fixed(AIORING_OP_READ_FIXED, bfd, b[0], 1, 0, 0xffff), -EFAULT);
	/* Buffer 1's range through buffer 0's index: outside it. */
	EXPECT("READ_FIXED buffer 1's range with index 0",
	       fixed(AIORING_OP_READ_FIXED, bfd, b[1], 16, 0, 0), -EFAULT);
	T_RES(aioring_unregister_buffers(&ring), 0);
	EXPECT("READ_FIXED at the end after unregister",
	       fixed(AIORING_OP_READ_FIXED, bfd, b[0] + 2 * PG, 0, 0, 0), -EFAULT);

	/* Registering ranges that wrap, or that go on to the top. */
	iov[0].iov_base = (void *)(~0UL - PG + 1);
	iov[0].iov_len = 2 * PG;
	EXPECT("register a buffer wrapping 2^64",
	       aioring_register_buffers(&ring, iov, 1), -EOVERFLOW);
	/* Ends at the very top without wrapping: not user memory. */
	iov[0].iov_base = (void *)(~0UL - 10);
	iov[0].iov_len = 10;
	EXPECT("register [2^64 - 11, 2^64 - 1)",
	       aioring_register_buffers(&ring, iov, 1), -EFAULT);
	iov[0].iov_base = (void *)(~0UL - PG + 1);
	iov[0].iov_len = PG - 1;
	EXPECT("register the last page but one byte",
	       aioring_register_buffers(&ring, iov, 1), -EFAULT);
	iov[0].iov_base = b[0];
	iov[0].iov_len = (1UL << 30) + 1;
	EXPECT("register 1 GiB + 1", aioring_register_buffers(&ring, iov, 1),
	       -EINVAL);
	iov[0].iov_len = ~0UL;
	EXPECT("register 2^64 - 1 bytes", aioring_register_buffers(&ring, iov, 1),
	       -EINVAL);
	/* None of those left a table behind. */
	EXPECT("unregister after refused registrations",
	       aioring_unregister_buffers(&ring), -ENXIO);
	munmap(area, 16 * PG);
}

/* One page mapped sixteen times: the CVE-2023-2598 shape, small pages. */
static void aliased_pages(void)
{
	unsigned char *base = reserve(16 * PG, PG), *chk;
	struct iovec iov[2];
	int mfd, i;

	mfd = memfd_create("hist-alias", MFD_CLOEXEC);
	if (mfd < 0)
		t_fail("memfd_create: %s", t_errname(errno));
	T_SYSOK(ftruncate(mfd, PG));
	for (i = 0; i < 16; i++)
		map_fixed_at(base + i * PG, PG, mfd, 0);
	memset(base, 0, PG);
	iov[0].iov_base = base;
	iov[0].iov_len = 16 * PG;
	iov[1].iov_base = base + PG - 100;	/* across one alias seam */
	iov[1].iov_len = 200;
	T_RES(aioring_register_buffers(&ring, iov, 2), 0);

	/* Buffered: copies run in order, so the last 4 KiB is what stays. */
	EXPECT("READ_FIXED 64 KiB into one page mapped 16 times",
	       fixed(AIORING_OP_READ_FIXED, bfd, base, 16 * PG, 0, 0), 16 * PG);
	t_check_buf(base, file_data + 15 * PG, PG, "aliased page after read");
	/* Each 4 KiB written must be the page itself, never its neighbours. */
	t_fill_random(base, PG);
	EXPECT("WRITE_FIXED 64 KiB from one page mapped 16 times",
	       fixed(AIORING_OP_WRITE_FIXED, bfd, base, 16 * PG, 64 * PG, 0),
	       16 * PG);
	chk = malloc(16 * PG);
	T_EQ(pread(bfd, chk, 16 * PG, 64 * PG), 16 * PG);
	for (i = 0; i < 16; i++)
		t_check_buf(chk + i * PG, base, PG, "file written from alias");
	memcpy(file_data + 64 * PG, chk, 16 * PG);
	/* Across the seam: bytes 3996..4095, then 0..99 of the same page. */
	EXPECT("READ_FIXED across an alias seam",
	       fixed(AIORING_OP_READ_FIXED, bfd, base + PG - 100, 200, 2 * PG, 1),
	       200);
	t_check_buf(base + PG - 100, file_data + 2 * PG, 100, "seam, first half");
	t_check_buf(base, file_data + 2 * PG + 100, 100, "seam, second half");
	check_edges("aliased buffer", 0, base, 16 * PG);
	check_edges("seam buffer", 1, base + PG - 100, 200);
	if (dfd >= 0)
		EXPECT("O_DIRECT READ_FIXED into one page mapped 16 times",
		       fixed(AIORING_OP_READ_FIXED, dfd, base, 16 * PG, 0, 0),
		       16 * PG);
	T_RES(aioring_unregister_buffers(&ring), 0);
	for (i = 0; i < 16; i++)
		munmap(base + i * PG, PG);
	close(mfd);
	free(chk);
}

/*
 * Huge pages: two consecutive ones (a buffer spanning both and one across
 * their seam) and one huge page mapped twice. Returns 0 if there are none.
 */
static int huge_pages(void)
{
	unsigned char *span = reserve(2 * HPAGE, HPAGE);
	unsigned char *twice = reserve(2 * HPAGE, HPAGE), *chk;
	struct iovec iov[3];
	int mfd, afd;

	mfd = memfd_create("hist-huge", MFD_CLOEXEC | MFD_HUGETLB);
	if (mfd < 0) {
		t_log("memfd_create(MFD_HUGETLB): %s", t_errname(errno));
		return 0;
	}
	afd = memfd_create("hist-huge-alias", MFD_CLOEXEC | MFD_HUGETLB);
	if (afd < 0 || ftruncate(mfd, 2 * HPAGE) || ftruncate(afd, HPAGE))
		t_fail("hugetlb memfd: %s", t_errname(errno));
	if (mmap(span, 2 * HPAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED | MAP_POPULATE, mfd, 0) == MAP_FAILED) {
		t_log("mmap of two huge pages: %s", t_errname(errno));
		return 0;
	}
	/* MAP_POPULATE does not fail when the pool is empty: touch. */
	if (fallocate(mfd, 0, 0, 2 * HPAGE) || fallocate(afd, 0, 0, HPAGE)) {
		t_log("fallocate of %d huge pages: %s", NR_HUGE, t_errname(errno));
		return 0;
	}
	map_fixed_at(twice, HPAGE, afd, 0);
	map_fixed_at(twice + HPAGE, HPAGE, afd, 0);
	memset(span, 0, 2 * HPAGE);
	memset(twice, 0, HPAGE);

	iov[0].iov_base = span;
	iov[0].iov_len = 2 * HPAGE;
	iov[1].iov_base = span + HPAGE - 3 * PG - 1;	/* across the seam, unaligned */
	iov[1].iov_len = 6 * PG + 2;
	iov[2].iov_base = twice;
	iov[2].iov_len = 2 * HPAGE;
	T_RES(aioring_register_buffers(&ring, iov, 3), 0);

	/* Span: the file lands exactly where asked, on both sides. */
	EXPECT("READ_FIXED 512 KiB across two huge pages",
	       fixed(AIORING_OP_READ_FIXED, bfd, span + HPAGE - FILE_SIZE / 2,
		     FILE_SIZE, 0, 0), FILE_SIZE);
	t_check_buf(span + HPAGE - FILE_SIZE / 2, file_data, FILE_SIZE,
		    "two huge pages");
	EXPECT("READ_FIXED across the seam, unaligned",
	       fixed(AIORING_OP_READ_FIXED, bfd, iov[1].iov_base, 6 * PG + 2,
		     PG, 1), 6 * PG + 2);
	t_check_buf(iov[1].iov_base, file_data + PG, 6 * PG + 2, "seam buffer");
	if (dfd >= 0) {
		EXPECT("O_DIRECT READ_FIXED of 256 KiB at the end of two huge pages",
		       fixed(AIORING_OP_READ_FIXED, dfd,
			     span + 2 * HPAGE - FILE_SIZE / 2, FILE_SIZE / 2, 0, 0),
		       FILE_SIZE / 2);
		t_check_buf(span + 2 * HPAGE - FILE_SIZE / 2, file_data,
			    FILE_SIZE / 2, "O_DIRECT into huge pages");
	}
	check_edges("huge span", 0, span, 2 * HPAGE);
	check_edges("huge seam buffer", 1, iov[1].iov_base, iov[1].iov_len);

	/* One huge page twice: a write across the seam writes the same page. */
	t_fill_random(twice, HPAGE);
	EXPECT("WRITE_FIXED 8 KiB across a huge page mapped twice",
	       fixed(AIORING_OP_WRITE_FIXED, bfd, twice + HPAGE - PG, 2 * PG,
		     100 * PG, 2), 2 * PG);
	chk = malloc(2 * PG);
	T_EQ(pread(bfd, chk, 2 * PG, 100 * PG), 2 * PG);
	t_check_buf(chk, twice + HPAGE - PG, PG, "huge alias, first half");
	t_check_buf(chk + PG, twice, PG, "huge alias, second half");
	memcpy(file_data + 100 * PG, chk, 2 * PG);
	EXPECT("READ_FIXED 512 KiB into the second mapping of a huge page",
	       fixed(AIORING_OP_READ_FIXED, bfd, twice + 2 * HPAGE - FILE_SIZE,
		     FILE_SIZE, 0, 2), FILE_SIZE);
	t_check_buf(twice + HPAGE - FILE_SIZE, file_data, FILE_SIZE,
		    "huge alias, seen through the first mapping");
	check_edges("huge page mapped twice", 2, twice, 2 * HPAGE);
	T_RES(aioring_unregister_buffers(&ring), 0);
	munmap(span, 2 * HPAGE);
	munmap(twice, 2 * HPAGE);
	close(mfd);
	close(afd);
	free(chk);
	return 1;
}

static int child(void)
{
	struct rlimit rl = { 256UL << 20, 256UL << 20 };
	int have_huge;

	/* Pinned pages are charged to RLIMIT_MEMLOCK (64 KiB by default on 5.10). */
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		t_fail("RLIMIT_MEMLOCK: %s", t_errname(errno));
	t_become_user(T_USER_UID);
	t_ring_init(&ring, 8, 0);
	plain_buffers();
	aliased_pages();
	have_huge = huge_pages();
	aioring_queue_exit(&ring);
	if (t_nr_errors)
		return T_EXIT_FAIL;
	if (!have_huge)
		t_skip("no huge pages to be had: the checks without them passed");
	return T_EXIT_PASS;
}

/* Read or write /proc/sys/vm/nr_hugepages; -1 if it cannot. */
static long nr_hugepages(long set)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", set < 0 ? "r" : "w");
	long n = -1;

	if (!f)
		return -1;
	if (set < 0 ? fscanf(f, "%ld", &n) != 1 : fprintf(f, "%ld\n", set) < 0)
		n = -1;
	else if (set >= 0)
		n = set;
	if (fclose(f))
		n = -1;
	return n;
}

int main(void)
{
	long old_huge, got = -1;
	char path[256];
	int status;
	pid_t pid;

	t_require_device();
	if (getuid() != 0)
		t_skip("needs root to reserve huge pages and drop privileges");
	t_seed_random();
	file_data = malloc(FILE_SIZE);
	bfd = t_create_file(FILE_SIZE, file_data, path, sizeof(path));
	dfd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (dfd < 0)
		t_log("no O_DIRECT on %s: %s", t_test_dir(), t_errname(errno));

	old_huge = nr_hugepages(-1);
	if (old_huge >= 0 && nr_hugepages(old_huge + NR_HUGE) >= 0)
		got = nr_hugepages(-1) - old_huge;
	t_log("huge pages: %ld before, %ld reserved for the test", old_huge, got);

	pid = T_SYSOK(fork());
	if (pid == 0)
		exit(child());
	status = t_wait_child(pid, 100000);
	if (old_huge >= 0 && nr_hugepages(old_huge) != old_huge)
		t_error("could not restore nr_hugepages to %ld", old_huge);
	if (!WIFEXITED(status))
		t_fail("child died: status 0x%x", status);
	if (t_nr_errors)
		return T_EXIT_FAIL;
	return WEXITSTATUS(status);
}
