/* SPDX-License-Identifier: MIT */
/*
 * Description: every aioring_prep_* helper fills exactly the SQE fields
 * it should (checked field by field, all others zero), sqe_set_data and
 * sqe_set_data64 set user_data, cqe_get_data returns it; then the
 * prepared SQEs run and do what they say (the poll helpers are only
 * checked field by field here).
 */
#include <poll.h>
#include <sys/uio.h>

#include "t_helpers.h"

struct want {
	__u8 opcode;
	__s32 fd;
	__u64 off, addr;
	__u32 len, rw_flags;
};

static void *fd_ptr(int fd)
{
	return (void *)(uintptr_t)(0x1000 + fd);
}

static void check_sqe(const struct aioring_sqe *sqe, const struct want *w,
		      const char *what)
{
#define FIELD(f, v) do {						\
	if ((unsigned long long)sqe->f != (unsigned long long)(v))	\
		t_fail("%s: sqe->%s: expected 0x%llx, got 0x%llx", what, #f, \
		       (unsigned long long)(v), (unsigned long long)sqe->f); \
} while (0)
	FIELD(opcode, w->opcode);
	FIELD(flags, 0);
	FIELD(ioprio, 0);
	FIELD(fd, w->fd);
	FIELD(off, w->off);
	FIELD(addr, w->addr);
	FIELD(len, w->len);
	FIELD(rw_flags, w->rw_flags);
	FIELD(user_data, 0);
	FIELD(buf_index, 0);
	FIELD(personality, 0);
	FIELD(__resv1, 0);
	FIELD(__resv2[0], 0);
	FIELD(__resv2[1], 0);
#undef FIELD
}

/* Submit the one prepared SQE, wait, check the CQE's data and res. */
static void run(struct aioring *ring, void *data, int res, const char *what)
{
	struct aioring_cqe cqe;

	T_RES(aioring_submit_and_wait(ring, 1), 1);
	t_reap(ring, &cqe, 1);
	if (aioring_cqe_get_data(&cqe) != data)
		t_fail("%s: expected cqe_get_data %p, got %p", what, data,
		       aioring_cqe_get_data(&cqe));
	if (cqe.res != res)
		t_fail("%s: expected res %s, got %s", what, t_resname(res),
		       t_resname(cqe.res));
}

int main(void)
{
	static unsigned char filedata[16384];
	unsigned char wbuf[1000], rbuf[1000], v1[300], v2[200], r1[300], r2[200];
	struct iovec wiov[2] = { { v1, sizeof(v1) }, { v2, sizeof(v2) } };
	struct iovec riov[2] = { { r1, sizeof(r1) }, { r2, sizeof(r2) } };
	struct aioring ring;
	struct aioring_sqe *sqe;
	int fd;

	t_require_device();
	t_seed_random();
	fd = t_create_file(sizeof(filedata), filedata, NULL, 0);
	t_ring_init(&ring, 8, 0);
	t_fill_random(wbuf, sizeof(wbuf));
	t_fill_random(v1, sizeof(v1));
	t_fill_random(v2, sizeof(v2));

	sqe = t_get_sqe(&ring);
	aioring_prep_nop(sqe);
	check_sqe(sqe, &(struct want){ AIORING_OP_NOP, -1, 0, 0, 0, 0 }, "prep_nop");
	aioring_sqe_set_data(sqe, &ring);
	T_EQ_HEX(sqe->user_data, (uintptr_t)&ring);
	run(&ring, &ring, 0, "NOP");

	sqe = t_get_sqe(&ring);
	aioring_prep_write(sqe, fd, wbuf, sizeof(wbuf), 4096);
	check_sqe(sqe, &(struct want){ AIORING_OP_WRITE, fd, 4096,
				       (uintptr_t)wbuf, sizeof(wbuf), 0 },
		  "prep_write");
	aioring_sqe_set_data(sqe, wbuf);
	run(&ring, wbuf, sizeof(wbuf), "WRITE");

	sqe = t_get_sqe(&ring);
	aioring_prep_read(sqe, fd, rbuf, sizeof(rbuf), 4096);
	check_sqe(sqe, &(struct want){ AIORING_OP_READ, fd, 4096,
				       (uintptr_t)rbuf, sizeof(rbuf), 0 },
		  "prep_read");
	aioring_sqe_set_data(sqe, rbuf);
	run(&ring, rbuf, sizeof(rbuf), "READ");
	t_check_buf(rbuf, wbuf, sizeof(wbuf), "READ of the WRITE");

	sqe = t_get_sqe(&ring);
	aioring_prep_writev(sqe, fd, wiov, 2, 10000);
	check_sqe(sqe, &(struct want){ AIORING_OP_WRITEV, fd, 10000,
				       (uintptr_t)wiov, 2, 0 },
		  "prep_writev");
	aioring_sqe_set_data(sqe, wiov);
	run(&ring, wiov, 500, "WRITEV");

	sqe = t_get_sqe(&ring);
	aioring_prep_readv(sqe, fd, riov, 2, 10000);
	check_sqe(sqe, &(struct want){ AIORING_OP_READV, fd, 10000,
				       (uintptr_t)riov, 2, 0 },
		  "prep_readv");
	aioring_sqe_set_data(sqe, riov);
	run(&ring, riov, 500, "READV");
	t_check_buf(r1, v1, sizeof(v1), "READV iovec 0 of the WRITEV");
	t_check_buf(r2, v2, sizeof(v2), "READV iovec 1 of the WRITEV");

	sqe = t_get_sqe(&ring);
	aioring_prep_fsync(sqe, fd, 0);
	check_sqe(sqe, &(struct want){ AIORING_OP_FSYNC, fd, 0, 0, 0, 0 },
		  "prep_fsync");
	aioring_sqe_set_data64(sqe, 0x0123456789abcdefULL);
	T_EQ_HEX(sqe->user_data, 0x0123456789abcdefULL);
	run(&ring, (void *)(uintptr_t)0x0123456789abcdefULL, 0, "FSYNC");

	sqe = t_get_sqe(&ring);
	aioring_prep_fsync(sqe, fd, AIORING_FSYNC_DATASYNC);
	check_sqe(sqe, &(struct want){ AIORING_OP_FSYNC, fd, 0, 0, 0,
				       AIORING_FSYNC_DATASYNC },
		  "prep_fsync datasync");
	T_EQ(sqe->fsync_flags, AIORING_FSYNC_DATASYNC);
	aioring_sqe_set_data(sqe, NULL);
	run(&ring, NULL, 0, "FSYNC DATASYNC");

	/* prep_rw with the file position (fd's position is 0) */
	sqe = t_get_sqe(&ring);
	aioring_prep_rw(AIORING_OP_READ, sqe, fd, rbuf, 7, -1ULL);
	check_sqe(sqe, &(struct want){ AIORING_OP_READ, fd, -1ULL,
				       (uintptr_t)rbuf, 7, 0 }, "prep_rw");
	aioring_sqe_set_data(sqe, fd_ptr(fd));
	run(&ring, fd_ptr(fd), 7, "READ at the file position");
	t_check_buf(rbuf, filedata, 7, "READ at the file position");
	T_EQ(lseek(fd, 0, SEEK_CUR), 7);

	/*
	 * The poll helpers, field by field only (tests/poll-*.c run them):
	 * prepared on the stack so no SQE is left unsubmitted in the ring.
	 * poll32_events shares the rw_flags slot; on big-endian hosts its
	 * 16-bit halves are swapped, as io_uring wants.
	 */
	{
		struct aioring_sqe psqe;
		unsigned mask = POLLIN | POLLRDHUP;

		memset(&psqe, 0, sizeof(psqe));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		mask = (mask << 16) | (mask >> 16);
#endif
		aioring_prep_poll_add(&psqe, fd, POLLIN | POLLRDHUP);
		check_sqe(&psqe, &(struct want){ AIORING_OP_POLL_ADD, fd, 0, 0,
						 0, mask }, "prep_poll_add");
		T_EQ_HEX(psqe.poll32_events, mask);

		memset(&psqe, 0, sizeof(psqe));
		aioring_prep_poll_remove(&psqe, 0xfedcba9876543210ULL);
		check_sqe(&psqe, &(struct want){ AIORING_OP_POLL_REMOVE, -1, 0,
						 0xfedcba9876543210ULL, 0, 0 },
			  "prep_poll_remove");
	}

	t_expect_no_cqe(&ring);
	aioring_queue_exit(&ring);
	close(fd);
	return T_EXIT_PASS;
}
