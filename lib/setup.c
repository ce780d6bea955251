/* SPDX-License-Identifier: MIT */
/*
 * Ring setup and teardown: open /dev/aioring, AIORING_IOC_SETUP, and map
 * the SQ ring, the SQE array and the CQ ring at their fixed offsets.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "libaioring.h"

static void aioring_unmap_rings(struct aioring *ring)
{
	if (ring->sq.sqes && ring->sq.sqes != MAP_FAILED)
		munmap(ring->sq.sqes, ring->sq.sqes_sz);
	if (ring->cq.ring_ptr && ring->cq.ring_ptr != MAP_FAILED)
		munmap(ring->cq.ring_ptr, ring->cq.ring_sz);
	if (ring->sq.ring_ptr && ring->sq.ring_ptr != MAP_FAILED)
		munmap(ring->sq.ring_ptr, ring->sq.ring_sz);
}

static int aioring_mmap_rings(int fd, const struct aioring_params *p,
			      struct aioring *ring)
{
	struct aioring_sq *sq = &ring->sq;
	struct aioring_cq *cq = &ring->cq;
	char *sqp, *cqp;

	sq->ring_sz = p->sq_off.array + p->sq_entries * sizeof(unsigned);
	sqp = mmap(NULL, sq->ring_sz, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_POPULATE, fd, AIORING_OFF_SQ_RING);
	if (sqp == MAP_FAILED)
		return -errno;
	sq->ring_ptr = sqp;

	sq->sqes_sz = p->sq_entries * sizeof(struct aioring_sqe);
	sq->sqes = mmap(NULL, sq->sqes_sz, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_POPULATE, fd, AIORING_OFF_SQES);
	if (sq->sqes == MAP_FAILED) {
		int ret = -errno;

		sq->sqes = NULL;
		aioring_unmap_rings(ring);
		return ret;
	}

	cq->ring_sz = p->cq_off.cqes + p->cq_entries * sizeof(struct aioring_cqe);
	cqp = mmap(NULL, cq->ring_sz, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_POPULATE, fd, AIORING_OFF_CQ_RING);
	if (cqp == MAP_FAILED) {
		int ret = -errno;

		aioring_unmap_rings(ring);
		return ret;
	}
	cq->ring_ptr = cqp;

	sq->khead = (unsigned *)(sqp + p->sq_off.head);
	sq->ktail = (unsigned *)(sqp + p->sq_off.tail);
	sq->kring_mask = (unsigned *)(sqp + p->sq_off.ring_mask);
	sq->kring_entries = (unsigned *)(sqp + p->sq_off.ring_entries);
	sq->kflags = (unsigned *)(sqp + p->sq_off.flags);
	sq->kdropped = (unsigned *)(sqp + p->sq_off.dropped);
	sq->array = (unsigned *)(sqp + p->sq_off.array);
	sq->ring_mask = *sq->kring_mask;
	sq->ring_entries = *sq->kring_entries;
	sq->sqe_head = sq->sqe_tail = *sq->ktail;

	cq->khead = (unsigned *)(cqp + p->cq_off.head);
	cq->ktail = (unsigned *)(cqp + p->cq_off.tail);
	cq->kring_mask = (unsigned *)(cqp + p->cq_off.ring_mask);
	cq->kring_entries = (unsigned *)(cqp + p->cq_off.ring_entries);
	cq->koverflow = (unsigned *)(cqp + p->cq_off.overflow);
	cq->kflags = (unsigned *)(cqp + p->cq_off.flags);
	cq->cqes = (struct aioring_cqe *)(cqp + p->cq_off.cqes);
	cq->ring_mask = *cq->kring_mask;
	cq->ring_entries = *cq->kring_entries;
	return 0;
}

int aioring_queue_init_params(unsigned entries, struct aioring *ring,
			      struct aioring_params *p)
{
	/* The library reports errors as -errno and leaves errno alone. */
	int saved_errno = errno;
	int fd, ret;

	memset(ring, 0, sizeof(*ring));
	ring->ring_fd = -1;
	p->sq_entries = entries;

	fd = open(AIORING_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		errno = saved_errno;
		return ret;
	}
	if (ioctl(fd, AIORING_IOC_SETUP, p) < 0) {
		ret = -errno;
		goto err_close;
	}
	ret = aioring_mmap_rings(fd, p, ring);
	if (ret)
		goto err_close;
	ring->ring_fd = fd;
	ring->flags = p->flags;
	ring->features = p->features;
	errno = saved_errno;
	return 0;

err_close:
	close(fd);
	memset(ring, 0, sizeof(*ring));
	ring->ring_fd = -1;
	errno = saved_errno;
	return ret;
}

int aioring_queue_init(unsigned entries, struct aioring *ring, unsigned flags)
{
	struct aioring_params p;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	return aioring_queue_init_params(entries, ring, &p);
}

void aioring_queue_exit(struct aioring *ring)
{
	int saved_errno = errno;

	if (ring->ring_fd < 0)
		return;
	aioring_unmap_rings(ring);
	close(ring->ring_fd);
	memset(ring, 0, sizeof(*ring));
	ring->ring_fd = -1;
	errno = saved_errno;
}
