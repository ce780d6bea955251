/* SPDX-License-Identifier: MIT */
/*
 * Description: AIORING_IOC_SETUP parameter handling: SQ/CQ sizes rounded
 * up to powers of two and bounded, the default CQ size, the features and
 * ring offsets written back, and the errors: EINVAL for bad sizes, unknown
 * flags, nonzero reserved or unused fields; EFAULT for a bad pointer;
 * EBUSY for a second setup; ENOTTY for a wrong ioctl size or number.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "t_helpers.h"

#define FEAT_REQUIRED (AIORING_FEAT_NODROP | AIORING_FEAT_SUBMIT_STABLE | \
		       AIORING_FEAT_RW_CUR_POS | AIORING_FEAT_MM_OWNED)

/* Setup must succeed and report these sizes; the rings must agree. */
static void expect_sizes(unsigned sq_in, unsigned cq_in, unsigned sq_out,
			 unsigned cq_out)
{
	struct aioring_params p;
	int fd = t_setup_fd(&p, sq_in, cq_in);
	size_t sq_sz = t_sq_ring_size(&p), cq_sz = t_cq_ring_size(&p);
	unsigned *sqr, *cqr;
	char *sqp, *cqp;

	if (p.sq_entries != sq_out || p.cq_entries != cq_out)
		t_fail("setup sq %u cq %u: expected sq %u cq %u, got sq %u cq %u",
		       sq_in, cq_in, sq_out, cq_out, p.sq_entries, p.cq_entries);
	if ((p.features & FEAT_REQUIRED) != FEAT_REQUIRED)
		t_fail("features: expected at least 0x%x, got 0x%x",
		       FEAT_REQUIRED, p.features);
	T_EQ(p.flags, 0);

	/* Offsets: in bounds, 4-byte aligned, distinct. */
	{
		__u32 so[] = { p.sq_off.head, p.sq_off.tail, p.sq_off.ring_mask,
			       p.sq_off.ring_entries, p.sq_off.flags,
			       p.sq_off.dropped, p.sq_off.array };
		__u32 co[] = { p.cq_off.head, p.cq_off.tail, p.cq_off.ring_mask,
			       p.cq_off.ring_entries, p.cq_off.overflow,
			       p.cq_off.flags, p.cq_off.cqes };
		unsigned i, j;

		for (i = 0; i < T_ARRAY_SIZE(so); i++) {
			if (so[i] % 4 || so[i] + 4 > sq_sz)
				t_fail("sq_off field %u: offset %u misaligned or outside %zu",
				       i, so[i], sq_sz);
			for (j = 0; j < i; j++)
				if (so[i] == so[j])
					t_fail("sq_off fields %u and %u share offset %u",
					       j, i, so[i]);
		}
		for (i = 0; i < T_ARRAY_SIZE(co); i++) {
			if (co[i] % 4 || co[i] + 4 > cq_sz)
				t_fail("cq_off field %u: offset %u misaligned or outside %zu",
				       i, co[i], cq_sz);
			for (j = 0; j < i; j++)
				if (co[i] == co[j])
					t_fail("cq_off fields %u and %u share offset %u",
					       j, i, co[i]);
		}
		if (p.cq_off.cqes % 16)
			t_fail("cq_off.cqes %u: expected 16-byte alignment",
			       p.cq_off.cqes);
	}

	sqp = mmap(NULL, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   AIORING_OFF_SQ_RING);
	cqp = mmap(NULL, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   AIORING_OFF_CQ_RING);
	if (sqp == MAP_FAILED || cqp == MAP_FAILED)
		t_fail("mmap rings of sq %u cq %u: %s", sq_out, cq_out,
		       t_errname(errno));
	sqr = (unsigned *)sqp;
	cqr = (unsigned *)cqp;
	T_EQ(sqr[p.sq_off.ring_entries / 4], sq_out);
	T_EQ(sqr[p.sq_off.ring_mask / 4], sq_out - 1);
	T_EQ(sqr[p.sq_off.head / 4], sqr[p.sq_off.tail / 4]);
	T_EQ(sqr[p.sq_off.flags / 4], 0);
	T_EQ(sqr[p.sq_off.dropped / 4], 0);
	T_EQ(cqr[p.cq_off.ring_entries / 4], cq_out);
	T_EQ(cqr[p.cq_off.ring_mask / 4], cq_out - 1);
	T_EQ(cqr[p.cq_off.head / 4], cqr[p.cq_off.tail / 4]);
	T_EQ(cqr[p.cq_off.overflow / 4], 0);
	munmap(sqp, sq_sz);
	munmap(cqp, cq_sz);
	close(fd);
}

/* Setup of @p on a fresh fd must fail with @err. */
static void expect_setup_err(struct aioring_params *p, int err,
			     const char *what)
{
	int fd = t_open_dev();

	errno = 0;
	if (ioctl(fd, AIORING_IOC_SETUP, p) != -1 || errno != err)
		t_fail("setup with %s: expected -1/%s, got %s", what,
		       t_errname(err), errno ? t_errname(errno) : "success");
	close(fd);
}

static void expect_size_err(unsigned sq, unsigned cq)
{
	struct aioring_params p;
	char what[64];

	t_params(&p, sq, cq);
	snprintf(what, sizeof(what), "sq_entries %u cq_entries %u", sq, cq);
	expect_setup_err(&p, EINVAL, what);
}

int main(void)
{
	struct aioring_params p;
	unsigned i;
	int fd;

	t_require_device();

	/* Sizes */
	expect_sizes(1, 0, 1, 2);
	expect_sizes(2, 0, 2, 4);
	expect_sizes(3, 0, 4, 8);
	expect_sizes(100, 0, 128, 256);
	expect_sizes(AIORING_MAX_ENTRIES, 0, AIORING_MAX_ENTRIES,
		     2 * AIORING_MAX_ENTRIES);
	expect_sizes(4, 4, 4, 4);
	expect_sizes(4, 5, 4, 8);
	expect_sizes(8, 1000, 8, 1024);
	expect_sizes(1, AIORING_MAX_CQ_ENTRIES, 1, AIORING_MAX_CQ_ENTRIES);

	expect_size_err(0, 0);
	expect_size_err(0, 8);
	expect_size_err(AIORING_MAX_ENTRIES + 1, 0);
	expect_size_err(2 * AIORING_MAX_ENTRIES, 0);
	expect_size_err(0x80000000U, 0);
	expect_size_err(0xffffffffU, 0);
	expect_size_err(8, 4);
	expect_size_err(16, 1);
	expect_size_err(4, AIORING_MAX_CQ_ENTRIES + 1);
	expect_size_err(4, 2 * AIORING_MAX_CQ_ENTRIES);
	expect_size_err(4, 0xffffffffU);

	/* Flags, reserved and unused fields */
	for (i = 0; i < 32; i++) {
		char what[32];

		if ((1U << i) & AIORING_SETUP_FLAGS_SUPPORTED)
			continue;
		t_params(&p, 4, 0);
		p.flags = 1U << i;
		snprintf(what, sizeof(what), "flags 0x%x", p.flags);
		expect_setup_err(&p, EINVAL, what);
	}
	for (i = 0; i < T_ARRAY_SIZE(p.resv); i++) {
		char what[32];

		t_params(&p, 4, 0);
		p.resv[i] = 1;
		snprintf(what, sizeof(what), "resv[%u] = 1", i);
		expect_setup_err(&p, EINVAL, what);
	}
	t_params(&p, 4, 0);
	p.resv[4] = 0x80000000U;
	expect_setup_err(&p, EINVAL, "resv[4] = 0x80000000");
	t_params(&p, 4, 0);
	p.sq_thread_cpu = 1;
	expect_setup_err(&p, EINVAL, "sq_thread_cpu = 1");
	t_params(&p, 4, 0);
	p.sq_thread_idle = 1000;
	expect_setup_err(&p, EINVAL, "sq_thread_idle = 1000");
	t_params(&p, 4, 0);

	/* Bad pointers */
	expect_setup_err(NULL, EFAULT, "NULL params");
	expect_setup_err((void *)8, EFAULT, "params at 0x8");
	expect_setup_err(t_fault_page(0), EFAULT, "params in an unmapped page");
	expect_setup_err((void *)(uintptr_t)T_KERNEL_ADDR, EFAULT,
			 "params at a kernel address");

	/* Second setup on the same fd */
	fd = t_setup_fd(&p, 4, 0);
	t_params(&p, 4, 0);
	T_SYSERR(ioctl(fd, AIORING_IOC_SETUP, &p), EBUSY);
	t_params(&p, 8, 0);
	T_SYSERR(ioctl(fd, AIORING_IOC_SETUP, &p), EBUSY);
	close(fd);

	/* Wrong ioctl size or number */
	fd = t_open_dev();
	{
		/* Big enough for any size encoded below; sq_entries = 4. */
		__u32 big[64] = { 4 };
		char small[64] = { 0 };

		T_SYSERR(ioctl(fd, _IOWR(AIORING_IOC_MAGIC, 1, char[64]), big),
			 ENOTTY);
		T_SYSERR(ioctl(fd, _IOWR(AIORING_IOC_MAGIC, 1, char[256]), big),
			 ENOTTY);
		T_SYSERR(ioctl(fd, _IOR(AIORING_IOC_MAGIC, 1,
					struct aioring_params), &p), ENOTTY);
		T_SYSERR(ioctl(fd, _IOW(AIORING_IOC_MAGIC, 2, char[16]), small),
			 ENOTTY);
		T_SYSERR(ioctl(fd, _IO(AIORING_IOC_MAGIC, 3), 0), ENOTTY);
		T_SYSERR(ioctl(fd, _IOWR(AIORING_IOC_MAGIC, 99, int), small),
			 ENOTTY);
		T_SYSERR(ioctl(fd, _IOWR(0xAA, 1, struct aioring_params), &p),
			 ENOTTY);
		T_SYSERR(ioctl(fd, TCGETS, small), ENOTTY);
	}
	/* None of that set the ring up: the fd takes a setup now. */
	t_params(&p, 4, 0);
	T_SYSOK(ioctl(fd, AIORING_IOC_SETUP, &p));
	T_EQ(p.sq_entries, 4);
	T_EQ(p.cq_entries, 8);
	close(fd);
	return T_EXIT_PASS;
}
