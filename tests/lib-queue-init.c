/* SPDX-License-Identifier: MIT */
/*
 * Description: aioring_queue_init / aioring_queue_init_params /
 * aioring_queue_exit. Sizes, features and ring pointers are filled in;
 * bad parameters return -EINVAL (not -1) and leave errno and the ring
 * untouched; exit is idempotent and init/exit cycles leak no fds.
 */
#include <fcntl.h>

#include "t_helpers.h"

#define FEAT_REQUIRED (AIORING_FEAT_NODROP | AIORING_FEAT_SUBMIT_STABLE | \
		       AIORING_FEAT_RW_CUR_POS | AIORING_FEAT_MM_OWNED)

static void expect_init_err(unsigned entries, struct aioring_params *p,
			    int err, const char *what)
{
	struct aioring ring;
	int ret;

	memset(&ring, 0xaa, sizeof(ring));
	errno = 1234;
	ret = p ? aioring_queue_init_params(entries, &ring, p)
		: aioring_queue_init(entries, &ring, 0);
	if (ret != -err)
		t_fail("%s: expected %s, got %s", what, t_resname(-err),
		       t_resname(ret));
	if (errno != 1234)
		t_fail("%s: expected errno untouched (1234), got %s", what,
		       t_errname(errno));
	T_EQ(ring.ring_fd, -1);
	/* Exit on a failed ring is a no-op. */
	aioring_queue_exit(&ring);
}

static int lowest_free_fd(void)
{
	int fd = dup(0);

	if (fd < 0)
		fd = open("/dev/null", O_RDONLY);
	close(fd);
	return fd;
}

int main(void)
{
	struct aioring_params p;
	struct aioring ring;
	int ret, i, fd_before;

	t_require_device();

	errno = 1234;
	ret = aioring_queue_init(8, &ring, 0);
	T_RES(ret, 0);
	T_EQ(errno, 1234);
	T_CHECK(ring.ring_fd >= 0);
	T_CHECK(fcntl(ring.ring_fd, F_GETFD) & FD_CLOEXEC);
	T_EQ(ring.sq.ring_entries, 8);
	T_EQ(ring.sq.ring_mask, 7);
	T_EQ(*ring.sq.kring_entries, 8);
	T_EQ(*ring.sq.kring_mask, 7);
	T_EQ(ring.cq.ring_entries, 16);
	T_EQ(ring.cq.ring_mask, 15);
	T_EQ(*ring.cq.kring_entries, 16);
	T_EQ(ring.flags, 0);
	if ((ring.features & FEAT_REQUIRED) != FEAT_REQUIRED)
		t_fail("features: expected at least 0x%x, got 0x%x",
		       FEAT_REQUIRED, ring.features);
	T_CHECK(ring.sq.sqes != NULL);
	T_EQ(aioring_sq_space_left(&ring), 8);
	T_EQ(aioring_sq_ready(&ring), 0);
	T_EQ(aioring_cq_ready(&ring), 0);
	T_CHECK(!aioring_cq_has_overflow(&ring));
	t_nop_roundtrip(&ring, 1);
	errno = 1234;
	aioring_queue_exit(&ring);
	T_EQ(errno, 1234);
	T_EQ(ring.ring_fd, -1);
	aioring_queue_exit(&ring);	/* twice is fine */

	/* init_params: entries win over p->sq_entries; sizes written back */
	memset(&p, 0, sizeof(p));
	p.sq_entries = 1000;
	p.cq_entries = 64;
	T_RES(aioring_queue_init_params(5, &ring, &p), 0);
	T_EQ(p.sq_entries, 8);
	T_EQ(p.cq_entries, 64);
	T_EQ(ring.cq.ring_entries, 64);
	T_EQ(ring.features, p.features);
	T_CHECK(p.sq_off.array != 0 && p.cq_off.cqes != 0);
	t_nop_roundtrip(&ring, 2);
	aioring_queue_exit(&ring);

	/* Errors come back as -errno */
	expect_init_err(0, NULL, EINVAL, "entries 0");
	expect_init_err(AIORING_MAX_ENTRIES + 1, NULL, EINVAL, "entries 16385");
	expect_init_err(0xffffffffU, NULL, EINVAL, "entries 0xffffffff");
	{
		struct aioring r;

		errno = 1234;
		T_RES(aioring_queue_init(4, &r, 1U << 30), -EINVAL);
		T_EQ(errno, 1234);
	}
	memset(&p, 0, sizeof(p));
	p.cq_entries = 2;
	expect_init_err(8, &p, EINVAL, "cq_entries below sq_entries");
	memset(&p, 0, sizeof(p));
	p.resv[0] = 1;
	expect_init_err(8, &p, EINVAL, "resv[0] set");
	memset(&p, 0, sizeof(p));
	p.sq_thread_idle = 1;
	expect_init_err(8, &p, EINVAL, "sq_thread_idle set");

	/* Many cycles, no fd or mapping left behind */
	fd_before = lowest_free_fd();
	for (i = 0; i < 100; i++) {
		T_RES(aioring_queue_init(4 << (i % 4), &ring, 0), 0);
		aioring_queue_exit(&ring);
	}
	T_EQ(lowest_free_fd(), fd_before);
	return T_EXIT_PASS;
}
