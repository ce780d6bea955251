/* SPDX-License-Identifier: MIT */
/*
 * Description: the aioring ABI matches io_uring's where uapi/aioring.h says
 * it does: every SQE, CQE and ring-offset field has io_uring's offset and
 * size, and every opcode, flag, feature and mmap offset constant has its
 * IORING_* value. Checked at compile time and again at run time; needs no
 * device. Also pins the sizes of aioring's own ioctl structures.
 */
#include <stdio.h>
#include <linux/io_uring.h>

#include "t_helpers.h"

#define FSIZE(type, field)	sizeof(((struct type *)0)->field)

struct field_check {
	const char *name;
	size_t a_off, io_off, a_size, io_size;
};

/* Same offset and size in struct A and struct IO, at build and run time. */
#define FIELD(A, IO, af, iof)						\
	_Static_assert(offsetof(struct A, af) == offsetof(struct IO, iof), \
		       #A "." #af " offset");				\
	_Static_assert(FSIZE(A, af) == FSIZE(IO, iof),			\
		       #A "." #af " size");				\
	fields[nr++] = (struct field_check){ #A "." #af,		\
		offsetof(struct A, af), offsetof(struct IO, iof),	\
		FSIZE(A, af), FSIZE(IO, iof) }

struct const_check {
	const char *name;
	unsigned long long a, io;
};

#define CONST(a, io)							\
	_Static_assert((unsigned long long)(a) == (unsigned long long)(io), \
		       #a " == " #io);					\
	consts[nc++] = (struct const_check){ #a, (unsigned long long)(a), \
					     (unsigned long long)(io) }

/* Checks of aioring's own layout: value and what it must be. */
#define OWN(expr, want)							\
	_Static_assert((expr) == (want), #expr);			\
	consts[nc++] = (struct const_check){ #expr,			\
		(unsigned long long)(expr), (unsigned long long)(want) }

int main(void)
{
	struct field_check fields[64];
	struct const_check consts[64];
	unsigned nr = 0, nc = 0, i;

	/* SQE */
	FIELD(aioring_sqe, io_uring_sqe, opcode, opcode);
	FIELD(aioring_sqe, io_uring_sqe, flags, flags);
	FIELD(aioring_sqe, io_uring_sqe, ioprio, ioprio);
	FIELD(aioring_sqe, io_uring_sqe, fd, fd);
	FIELD(aioring_sqe, io_uring_sqe, off, off);
	FIELD(aioring_sqe, io_uring_sqe, addr, addr);
	FIELD(aioring_sqe, io_uring_sqe, len, len);
	FIELD(aioring_sqe, io_uring_sqe, rw_flags, rw_flags);
	FIELD(aioring_sqe, io_uring_sqe, fsync_flags, fsync_flags);
	FIELD(aioring_sqe, io_uring_sqe, poll_events, poll_events);
	FIELD(aioring_sqe, io_uring_sqe, poll32_events, poll32_events);
	FIELD(aioring_sqe, io_uring_sqe, user_data, user_data);
	FIELD(aioring_sqe, io_uring_sqe, buf_index, buf_index);
	FIELD(aioring_sqe, io_uring_sqe, personality, personality);
	FIELD(aioring_sqe, io_uring_sqe, __resv1, splice_fd_in);
	FIELD(aioring_sqe, io_uring_sqe, __resv2[0], addr3);
	FIELD(aioring_sqe, io_uring_sqe, __resv2[1], __pad2[0]);
	/* CQE */
	FIELD(aioring_cqe, io_uring_cqe, user_data, user_data);
	FIELD(aioring_cqe, io_uring_cqe, res, res);
	FIELD(aioring_cqe, io_uring_cqe, flags, flags);
	/* SQ ring offsets (resv2 is user_addr in newer io_uring headers) */
	FIELD(aioring_sqring_offsets, io_sqring_offsets, head, head);
	FIELD(aioring_sqring_offsets, io_sqring_offsets, tail, tail);
	FIELD(aioring_sqring_offsets, io_sqring_offsets, ring_mask, ring_mask);
	FIELD(aioring_sqring_offsets, io_sqring_offsets, ring_entries, ring_entries);
	FIELD(aioring_sqring_offsets, io_sqring_offsets, flags, flags);
	FIELD(aioring_sqring_offsets, io_sqring_offsets, dropped, dropped);
	FIELD(aioring_sqring_offsets, io_sqring_offsets, array, array);
	FIELD(aioring_sqring_offsets, io_sqring_offsets, resv1, resv1);
	/* CQ ring offsets */
	FIELD(aioring_cqring_offsets, io_cqring_offsets, head, head);
	FIELD(aioring_cqring_offsets, io_cqring_offsets, tail, tail);
	FIELD(aioring_cqring_offsets, io_cqring_offsets, ring_mask, ring_mask);
	FIELD(aioring_cqring_offsets, io_cqring_offsets, ring_entries, ring_entries);
	FIELD(aioring_cqring_offsets, io_cqring_offsets, overflow, overflow);
	FIELD(aioring_cqring_offsets, io_cqring_offsets, cqes, cqes);
	FIELD(aioring_cqring_offsets, io_cqring_offsets, flags, flags);
	FIELD(aioring_cqring_offsets, io_cqring_offsets, resv1, resv1);

	/* Whole structures */
	OWN(sizeof(struct aioring_sqe), sizeof(struct io_uring_sqe));
	OWN(sizeof(struct aioring_sqe), 64);
	OWN(sizeof(struct aioring_cqe), sizeof(struct io_uring_cqe));
	OWN(sizeof(struct aioring_cqe), 16);
	OWN(sizeof(struct aioring_sqring_offsets), sizeof(struct io_sqring_offsets));
	OWN(offsetof(struct aioring_sqring_offsets, resv2), 32);
	OWN(sizeof(struct aioring_cqring_offsets), sizeof(struct io_cqring_offsets));
	OWN(offsetof(struct aioring_cqring_offsets, resv2), 32);

	/* Constants with an io_uring counterpart */
	CONST(AIORING_OP_NOP, IORING_OP_NOP);
	CONST(AIORING_OP_READV, IORING_OP_READV);
	CONST(AIORING_OP_WRITEV, IORING_OP_WRITEV);
	CONST(AIORING_OP_FSYNC, IORING_OP_FSYNC);
	CONST(AIORING_OP_POLL_ADD, IORING_OP_POLL_ADD);
	CONST(AIORING_OP_POLL_REMOVE, IORING_OP_POLL_REMOVE);
	CONST(AIORING_OP_READ, IORING_OP_READ);
	CONST(AIORING_OP_WRITE, IORING_OP_WRITE);
	CONST(AIORING_FSYNC_DATASYNC, IORING_FSYNC_DATASYNC);
	CONST(AIORING_SQ_NEED_WAKEUP, IORING_SQ_NEED_WAKEUP);
	CONST(AIORING_SQ_CQ_OVERFLOW, IORING_SQ_CQ_OVERFLOW);
	CONST(AIORING_ENTER_GETEVENTS, IORING_ENTER_GETEVENTS);
	CONST(AIORING_FEAT_NODROP, IORING_FEAT_NODROP);
	CONST(AIORING_FEAT_SUBMIT_STABLE, IORING_FEAT_SUBMIT_STABLE);
	CONST(AIORING_FEAT_RW_CUR_POS, IORING_FEAT_RW_CUR_POS);
	CONST(AIORING_OFF_SQ_RING, IORING_OFF_SQ_RING);
	CONST(AIORING_OFF_CQ_RING, IORING_OFF_CQ_RING);
	CONST(AIORING_OFF_SQES, IORING_OFF_SQES);

	/* aioring's own ABI: sizes the ioctl numbers encode */
	OWN(AIORING_OP_LAST, AIORING_OP_WRITE + 1);
	OWN(sizeof(struct aioring_params), 128);
	OWN(sizeof(struct aioring_enter_args), 48);
	OWN(_IOC_SIZE(AIORING_IOC_SETUP), sizeof(struct aioring_params));
	OWN(_IOC_SIZE(AIORING_IOC_ENTER), sizeof(struct aioring_enter_args));
	OWN(_IOC_DIR(AIORING_IOC_SETUP), _IOC_READ | _IOC_WRITE);
	OWN(_IOC_DIR(AIORING_IOC_ENTER), _IOC_WRITE);
	OWN(AIORING_DROPPED_USER_DATA, ~0ULL);
	OWN(offsetof(struct aioring_params, sq_off), 48);
	OWN(offsetof(struct aioring_params, cq_off), 88);
	OWN(offsetof(struct aioring_enter_args, sigmask), 16);
	OWN(offsetof(struct aioring_enter_args, timeout_ns), 24);
	OWN(offsetof(struct aioring_enter_args, resv), 32);

	for (i = 0; i < nr; i++) {
		if (fields[i].a_off != fields[i].io_off)
			t_error("%s: expected offset %zu (io_uring), got %zu",
				fields[i].name, fields[i].io_off, fields[i].a_off);
		if (fields[i].a_size != fields[i].io_size)
			t_error("%s: expected size %zu (io_uring), got %zu",
				fields[i].name, fields[i].io_size, fields[i].a_size);
	}
	for (i = 0; i < nc; i++)
		if (consts[i].a != consts[i].io)
			t_error("%s: expected 0x%llx, got 0x%llx",
				consts[i].name, consts[i].io, consts[i].a);
	t_log("%u fields and %u constants checked", nr, nc);
	return t_exit_status();
}
