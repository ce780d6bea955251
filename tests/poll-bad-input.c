/* SPDX-License-Identifier: MIT */
/*
 * Description: POLL_ADD and POLL_REMOVE reject what they do not define
 * with -EINVAL in the CQE, arming nothing: event bits outside poll(2)'s
 * (io_uring's EPOLLEXCLUSIVE/EPOLLET/EPOLLONESHOT, the kernel-internal
 * POLLFREE, unknown bits), io_uring's multishot and update flags in len,
 * nonzero off, addr, buf_index, ioprio, personality and reserved fields,
 * unknown SQE flags, a poll on a ring's own fd (it would pin the ring),
 * and either opcode on an IOPOLL ring.
 */
#include <poll.h>

#include "t_helpers.h"

enum field { F_NONE, F_EVENTS, F_LEN, F_OFF, F_ADDR, F_BUF_INDEX, F_IOPRIO,
	     F_PERSONALITY, F_RESV1, F_RESV2_0, F_RESV2_1, F_FLAGS };

static const char *const field_names[] = {
	"none", "events", "len", "off", "addr", "buf_index", "ioprio",
	"personality", "__resv1", "__resv2[0]", "__resv2[1]", "flags",
};

static void set_field(struct aioring_sqe *sqe, enum field f, uint64_t v)
{
	switch (f) {
	case F_NONE:						break;
	case F_EVENTS:		sqe->poll32_events = v;		break;
	case F_LEN:		sqe->len = v;			break;
	case F_OFF:		sqe->off = v;			break;
	case F_ADDR:		sqe->addr = v;			break;
	case F_BUF_INDEX:	sqe->buf_index = v;		break;
	case F_IOPRIO:		sqe->ioprio = v;		break;
	case F_PERSONALITY:	sqe->personality = v;		break;
	case F_RESV1:		sqe->__resv1 = v;		break;
	case F_RESV2_0:		sqe->__resv2[0] = v;		break;
	case F_RESV2_1:		sqe->__resv2[1] = v;		break;
	case F_FLAGS:		sqe->flags |= v;		break;
	}
}

/* A POLL_ADD on the empty pipe with one field set must be -EINVAL. */
static void bad_add(struct aioring *ring, int fd, enum field f, uint64_t v,
		    int res)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);
	struct aioring_cqe cqe;

	aioring_prep_poll_add(sqe, fd, POLLIN);
	set_field(sqe, f, v);
	aioring_sqe_set_data64(sqe, 0xadd);
	t_submit(ring, 1);
	t_reap(ring, &cqe, 1);
	if (cqe.res != res)
		t_fail("POLL_ADD with %s 0x%llx: expected %s, got %s",
		       field_names[f], (unsigned long long)v, t_resname(res),
		       t_resname(cqe.res));
}

static void bad_remove(struct aioring *ring, enum field f, uint64_t v)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);
	struct aioring_cqe cqe;

	aioring_prep_poll_remove(sqe, 0x7);
	set_field(sqe, f, v);
	aioring_sqe_set_data64(sqe, 0x4e);
	t_submit(ring, 1);
	t_reap(ring, &cqe, 1);
	if (cqe.res != -EINVAL)
		t_fail("POLL_REMOVE with %s 0x%llx: expected -EINVAL, got %s",
		       field_names[f], (unsigned long long)v,
		       t_resname(cqe.res));
}

int main(void)
{
	static const uint32_t bad_events[] = {
		1U << 28 /* EPOLLEXCLUSIVE */, 1U << 31 /* EPOLLET */,
		1U << 30 /* EPOLLONESHOT */, 1U << 29 /* EPOLLWAKEUP */,
		0x4000 /* POLLFREE */, 0x8000 /* POLL_BUSY_LOOP */,
		0x1000 /* POLLREMOVE */, 0x800, 1U << 16,
	};
	static const struct { enum field f; uint64_t v; } bad[] = {
		{ F_LEN, 1 /* IORING_POLL_ADD_MULTI */ },
		{ F_LEN, 2 /* IORING_POLL_UPDATE_EVENTS */ },
		{ F_OFF, 1 }, { F_ADDR, 0x1000 }, { F_BUF_INDEX, 1 },
		{ F_IOPRIO, 1 }, { F_PERSONALITY, 1 }, { F_RESV1, 1 },
		{ F_RESV2_0, 1 }, { F_RESV2_1, 1 }, { F_FLAGS, 1U << 1 },
		{ F_FLAGS, 1U << 7 },
	};
	struct aioring ring;
	struct aioring_sqe *sqe;
	unsigned i;
	int pfd[2];

	t_require_device();
	t_ring_init(&ring, 4, 0);
	T_SYSOK(pipe(pfd));

	/* A valid poll on the pipe waits: no -EINVAL for it. */
	for (i = 0; i < T_ARRAY_SIZE(bad_events); i++)
		bad_add(&ring, pfd[0], F_EVENTS, POLLIN | bad_events[i], -EINVAL);
	for (i = 0; i < T_ARRAY_SIZE(bad); i++)
		bad_add(&ring, pfd[0], bad[i].f, bad[i].v, -EINVAL);
	bad_add(&ring, ring.ring_fd, F_NONE, 0, -EINVAL);

	bad_remove(&ring, F_LEN, 1);
	bad_remove(&ring, F_OFF, 1);
	bad_remove(&ring, F_EVENTS, POLLIN);
	bad_remove(&ring, F_BUF_INDEX, 1);
	bad_remove(&ring, F_IOPRIO, 1);
	bad_remove(&ring, F_RESV2_0, 1);

	/* Nothing was armed: a write wakes nobody, the ring is idle. */
	T_EQ(write(pfd[1], "x", 1), 1);
	t_nop_roundtrip(&ring, 0x1);
	t_expect_no_cqe(&ring);
	/* And every poll(2) event is accepted. */
	sqe = t_get_sqe(&ring);
	aioring_prep_poll_add(sqe, pfd[0], POLLIN | POLLPRI | POLLOUT | POLLERR |
			      POLLHUP | POLLNVAL | POLLRDNORM | POLLRDBAND |
			      POLLWRNORM | POLLWRBAND | POLLMSG | POLLRDHUP);
	aioring_sqe_set_data64(sqe, 0x600d);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 0x600d, POLLIN | POLLRDNORM);
	aioring_queue_exit(&ring);

	/* IOPOLL rings complete only what they poll: no POLL_ADD. */
	if (aioring_queue_init(4, &ring, AIORING_SETUP_IOPOLL))
		t_fail("IOPOLL ring setup failed");
	bad_add(&ring, pfd[0], F_NONE, 0, -EINVAL);
	bad_remove(&ring, F_NONE, 0);
	aioring_queue_exit(&ring);

	close(pfd[0]);
	close(pfd[1]);
	return T_EXIT_PASS;
}
