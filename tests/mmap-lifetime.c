/* SPDX-License-Identifier: MIT */
/*
 * Description: mmap of the ring regions. Before setup EBADFD; an unknown
 * offset or a length beyond the region EINVAL; two mappings of a region
 * share memory; after munmap the address faults; munmap before close and
 * close before munmap are both safe; with no mapping left ENTER still
 * consumes SQEs, and a fresh mapping sees the result.
 */
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "t_helpers.h"

struct maps {
	char *sq, *cq;
	struct aioring_sqe *sqes;
};

static void *map_region(int fd, size_t len, __u64 off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       (off_t)off);

	if (p == MAP_FAILED)
		t_fail("mmap offset 0x%llx length %zu: expected success, got %s",
		       (unsigned long long)off, len, t_errname(errno));
	return p;
}

static void map_all(int fd, const struct aioring_params *p, struct maps *m)
{
	m->sq = map_region(fd, t_sq_ring_size(p), AIORING_OFF_SQ_RING);
	m->cq = map_region(fd, t_cq_ring_size(p), AIORING_OFF_CQ_RING);
	m->sqes = map_region(fd, t_sqes_size(p), AIORING_OFF_SQES);
}

static void unmap_all(const struct aioring_params *p, struct maps *m)
{
	if (munmap(m->sq, t_sq_ring_size(p)) || munmap(m->cq, t_cq_ring_size(p)) ||
	    munmap(m->sqes, t_sqes_size(p)))
		t_fail("munmap: %s", t_errname(errno));
}

#define U32(base, off)	(*(volatile __u32 *)((base) + (off)))

static void expect_mmap_err(int fd, size_t len, __u64 off, int err)
{
	void *p;

	errno = 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
	if (p != MAP_FAILED || errno != err)
		t_fail("mmap offset 0x%llx length %zu: expected %s, got %s",
		       (unsigned long long)off, len, t_errname(err),
		       p == MAP_FAILED ? t_errname(errno) : "a mapping");
}

/* Child: map a ring of its own, unmap it, touch it: must die of SIGSEGV. */
static void touch_after_munmap(void)
{
	struct aioring_params p;
	struct maps m;
	int fd = t_setup_fd(&p, 4, 0);

	map_all(fd, &p, &m);
	if (U32(m.sq, p.sq_off.ring_entries) != 4)
		t_fail("child: ring_entries: expected 4, got %u",
		       U32(m.sq, p.sq_off.ring_entries));
	unmap_all(&p, &m);
	(void)U32(m.sq, p.sq_off.ring_entries);
	fprintf(stderr, "child: read of an unmapped SQ ring did not fault\n");
	exit(2);
}

int main(void)
{
	static const __u64 bad_offsets[] = {
		0x4000000ULL, 0x18000000ULL, 0x20000000ULL, 0x40000000ULL,
		0x80000000ULL, 0xf0000000ULL,
	};
	static const __u64 offsets[] = {
		AIORING_OFF_SQ_RING, AIORING_OFF_CQ_RING, AIORING_OFF_SQES,
	};
	struct aioring_params p;
	struct aioring_sqe *sqe;
	struct aioring_cqe *cqe;
	struct maps m, m2;
	unsigned i, tail, head;
	size_t sizes[3];
	pid_t pid;
	int fd;

	t_require_device();

	/* Before setup */
	fd = t_open_dev();
	for (i = 0; i < T_ARRAY_SIZE(offsets); i++)
		expect_mmap_err(fd, 4096, offsets[i], EBADFD);
	close(fd);

	fd = t_setup_fd(&p, 8, 0);
	sizes[0] = t_sq_ring_size(&p);
	sizes[1] = t_cq_ring_size(&p);
	sizes[2] = t_sqes_size(&p);

	/* Unknown offsets, oversized lengths */
	for (i = 0; i < T_ARRAY_SIZE(bad_offsets); i++)
		expect_mmap_err(fd, 4096, bad_offsets[i], EINVAL);
	for (i = 0; i < T_ARRAY_SIZE(offsets); i++) {
		expect_mmap_err(fd, t_page_round(sizes[i]) + 65536, offsets[i],
				EINVAL);
		expect_mmap_err(fd, 64 << 20, offsets[i], EINVAL);
	}

	/* Two mappings of one region are the same memory. */
	map_all(fd, &p, &m);
	map_all(fd, &p, &m2);
	T_EQ(U32(m.sq, p.sq_off.ring_entries), 8);
	T_EQ(U32(m.cq, p.cq_off.ring_entries), 16);
	m.sqes[3].user_data = 0x1234567890ULL;
	T_EQ_HEX(m2.sqes[3].user_data, 0x1234567890ULL);
	unmap_all(&p, &m2);

	/* Submit through the first mapping: one NOP. */
	tail = U32(m.sq, p.sq_off.tail);
	sqe = &m.sqes[0];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = AIORING_OP_NOP;
	sqe->user_data = 1;
	((__u32 *)(m.sq + p.sq_off.array))[tail & 7] = 0;
	__atomic_store_n((__u32 *)(m.sq + p.sq_off.tail), tail + 1,
			 __ATOMIC_RELEASE);
	T_EQ(t_enter(fd, 1, 1, AIORING_ENTER_GETEVENTS, 0), 1);
	head = U32(m.cq, p.cq_off.head);
	T_EQ(U32(m.cq, p.cq_off.tail), head + 1);
	cqe = (struct aioring_cqe *)(m.cq + p.cq_off.cqes) + (head & 15);
	T_EQ(cqe->user_data, 1);
	T_RES(cqe->res, 0);
	__atomic_store_n((__u32 *)(m.cq + p.cq_off.head), head + 1,
			 __ATOMIC_RELEASE);

	/* Queue a second NOP, then drop every mapping before entering. */
	tail = U32(m.sq, p.sq_off.tail);
	sqe = &m.sqes[1];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = AIORING_OP_NOP;
	sqe->user_data = 2;
	((__u32 *)(m.sq + p.sq_off.array))[tail & 7] = 1;
	__atomic_store_n((__u32 *)(m.sq + p.sq_off.tail), tail + 1,
			 __ATOMIC_RELEASE);
	unmap_all(&p, &m);
	T_EQ(t_enter(fd, 0, 0, 0, 0), 0);
	T_EQ(t_enter(fd, 1, 0, 0, 0), 1);
	T_EQ(t_enter(fd, 0, 1, AIORING_ENTER_GETEVENTS | AIORING_ENTER_TIMEOUT,
		     5000ULL * 1000 * 1000), 0);

	/* A fresh mapping sees the state the kernel kept. */
	map_all(fd, &p, &m);
	T_EQ(U32(m.sq, p.sq_off.head), tail + 1);
	head = U32(m.cq, p.cq_off.head);
	T_EQ(U32(m.cq, p.cq_off.tail), head + 1);
	cqe = (struct aioring_cqe *)(m.cq + p.cq_off.cqes) + (head & 15);
	T_EQ(cqe->user_data, 2);
	T_RES(cqe->res, 0);

	/* Close before munmap: the mapping stays valid memory until unmapped. */
	close(fd);
	T_EQ(U32(m.sq, p.sq_off.ring_entries), 8);
	T_EQ(U32(m.cq, p.cq_off.ring_entries), 16);
	m.sqes[7].user_data = 77;
	T_EQ(m.sqes[7].user_data, 77);
	unmap_all(&p, &m);

	/* munmap before close on another ring */
	fd = t_setup_fd(&p, 4, 0);
	map_all(fd, &p, &m);
	unmap_all(&p, &m);
	T_EQ(t_enter(fd, 0, 0, 0, 0), 0);
	close(fd);

	/* Touching an unmapped ring faults. */
	pid = fork();
	if (pid < 0)
		t_fail("fork: %s", t_errname(errno));
	if (pid == 0)
		touch_after_munmap();
	t_expect_child_signal(pid, SIGSEGV, "touch after munmap");
	return T_EXIT_PASS;
}
