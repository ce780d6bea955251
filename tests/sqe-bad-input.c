/* SPDX-License-Identifier: MIT */
/*
 * Description: every SQE the module must refuse completes with the right
 * -errno in its CQE and the right user_data: unknown opcodes, sqe->flags,
 * nonzero reserved fields, NOP with arguments, bad file descriptors or
 * access modes, faulting buffers and iovec arrays, overflowing or negative
 * offsets, too many iovecs, unknown or unsupported rw_flags, bad fsync
 * flags. The ring keeps working afterwards.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <linux/fs.h>
#include <sys/uio.h>

#include "t_helpers.h"

#define FILE_SIZE	8192
#define MAX_CASES	256

struct bad_case {
	char name[80];
	struct aioring_sqe sqe;
	int res;
	int seen;
};

static struct bad_case cases[MAX_CASES];
static unsigned nr_cases;

static struct aioring_sqe *add(int res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A new case: zeroed SQE to fill, expected CQE res. */
static struct aioring_sqe *add(int res, const char *fmt, ...)
{
	struct bad_case *c;
	va_list ap;

	if (nr_cases == MAX_CASES)
		t_fail("too many cases");
	c = &cases[nr_cases++];
	va_start(ap, fmt);
	vsnprintf(c->name, sizeof(c->name), fmt, ap);
	va_end(ap);
	c->res = res;
	return &c->sqe;
}

static void rw(struct aioring_sqe *sqe, int op, int fd, const void *addr,
	       unsigned len, __u64 off)
{
	sqe->opcode = (__u8)op;
	sqe->fd = fd;
	sqe->addr = (__u64)(uintptr_t)addr;
	sqe->len = len;
	sqe->off = off;
}

int main(void)
{
	static const int ops[] = {
		AIORING_OP_READ, AIORING_OP_WRITE, AIORING_OP_READV,
		AIORING_OP_WRITEV,
	};
	static const char *const op_names[] = {
		[AIORING_OP_READ] = "READ", [AIORING_OP_WRITE] = "WRITE",
		[AIORING_OP_READV] = "READV", [AIORING_OP_WRITEV] = "WRITEV",
	};
	struct aioring ring;
	struct aioring_sqe *sqe;
	char path[256];
	static char buf[FILE_SIZE], filedata[FILE_SIZE];
	static struct iovec iov1[1], many[1025], bad_iov[1];
	unsigned char *onebyte;
	void *unmapped, *protnone;
	int fd, rdonly, wronly, closed_fd, pipefd[2];
	unsigned i, j, done;

	t_require_device();
	t_seed_random();
	t_ring_init(&ring, 64, 0);

	fd = t_create_file(FILE_SIZE, filedata, path, sizeof(path));
	rdonly = open(path, O_RDONLY | O_CLOEXEC);
	wronly = open(path, O_WRONLY | O_CLOEXEC);
	if (pipe(pipefd))
		t_fail("pipe: %s", t_errname(errno));
	/* Last fd opened, so no later open can reuse its number. */
	closed_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (rdonly < 0 || wronly < 0 || closed_fd < 0)
		t_fail("open %s: %s", path, t_errname(errno));
	close(closed_fd);
	unmapped = t_fault_page(0);
	protnone = t_fault_page(1);
	iov1[0].iov_base = buf;
	iov1[0].iov_len = 512;
	bad_iov[0].iov_base = unmapped;
	bad_iov[0].iov_len = 512;
	onebyte = malloc(1025);
	for (i = 0; i < T_ARRAY_SIZE(many); i++) {
		many[i].iov_base = onebyte + i;
		many[i].iov_len = 1;
	}

	/* Unknown opcodes: the gaps, the end, far beyond. */
	for (i = AIORING_OP_POLL_REMOVE + 1; i < AIORING_OP_READ; i++) {
		sqe = add(-EINVAL, "opcode %u", i);
		sqe->opcode = (__u8)i;
		sqe->fd = fd;
	}
	for (i = AIORING_OP_LAST; i < 256; i += (i < 32 ? 1 : 37)) {
		sqe = add(-EINVAL, "opcode %u", i);
		sqe->opcode = (__u8)i;
		sqe->fd = fd;
	}
	sqe = add(-EINVAL, "opcode 255");
	sqe->opcode = 255;

	/* sqe->flags: every bit the module does not support. */
	for (i = 0; i < 8; i++) {
		if ((1U << i) & AIORING_SQE_FLAGS_SUPPORTED)
			continue;
		sqe = add(-EINVAL, "NOP flags 0x%x", 1U << i);
		sqe->flags = (__u8)(1U << i);
		sqe = add(-EINVAL, "READ flags 0x%x", 1U << i);
		rw(sqe, AIORING_OP_READ, fd, buf, 512, 0);
		sqe->flags = (__u8)(1U << i);
	}

	/* Reserved fields, on a NOP and on a READ that is otherwise fine. */
	for (i = 0; i < 2; i++) {
		const char *what = i ? "READ" : "NOP";
#define RESV(field, val) do {						\
		sqe = add(-EINVAL, "%s %s = %s", what, #field, #val);	\
		if (i)							\
			rw(sqe, AIORING_OP_READ, fd, buf, 512, 0);	\
		sqe->field = val;					\
	} while (0)
		RESV(ioprio, 1);
		RESV(ioprio, 0x8000);
		RESV(buf_index, 1);
		RESV(personality, 1);
		RESV(__resv1, 1);
		RESV(__resv1, -1);
		RESV(__resv2[0], 1);
		RESV(__resv2[1], 1ULL << 63);
#undef RESV
	}

	/* NOP ignores fd but takes no arguments. */
	sqe = add(0, "NOP fd 12345");
	sqe->fd = 12345;
	sqe = add(-EINVAL, "NOP addr");
	sqe->addr = (__u64)(uintptr_t)buf;
	sqe = add(-EINVAL, "NOP len");
	sqe->len = 1;
	sqe = add(-EINVAL, "NOP off");
	sqe->off = 1;
	sqe = add(-EINVAL, "NOP rw_flags");
	sqe->rw_flags = 1;

	/* Bad file descriptors and access modes */
	for (i = 0; i < T_ARRAY_SIZE(ops); i++) {
		int op = ops[i];
		int vec = op == AIORING_OP_READV || op == AIORING_OP_WRITEV;
		const void *addr = vec ? (const void *)iov1 : (const void *)buf;
		unsigned len = vec ? 1 : 512;
		int is_read = op == AIORING_OP_READ || op == AIORING_OP_READV;

		rw(add(-EBADF, "%s fd -1", op_names[op]), op, -1, addr, len, 0);
		rw(add(-EBADF, "%s closed fd", op_names[op]), op, closed_fd,
		   addr, len, 0);
		rw(add(-EBADF, "%s fd 99999", op_names[op]), op, 99999, addr,
		   len, 0);
		rw(add(-EBADF, "%s fd INT_MIN", op_names[op]), op, INT32_MIN,
		   addr, len, 0);
		rw(add(-EBADF, "%s on an %s fd", op_names[op],
		       is_read ? "O_WRONLY" : "O_RDONLY"), op,
		   is_read ? wronly : rdonly, addr, len, 0);
	}
	sqe = add(-EBADF, "FSYNC fd -1");
	rw(sqe, AIORING_OP_FSYNC, -1, NULL, 0, 0);
	sqe = add(-EBADF, "FSYNC closed fd");
	rw(sqe, AIORING_OP_FSYNC, closed_fd, NULL, 0, 0);

	/* Faulting buffers */
	rw(add(-EFAULT, "READ into an unmapped page"), AIORING_OP_READ, fd,
	   unmapped, 512, 0);
	rw(add(-EFAULT, "READ into a PROT_NONE page"), AIORING_OP_READ, fd,
	   protnone, 512, 0);
	rw(add(-EFAULT, "READ into a kernel address"), AIORING_OP_READ, fd,
	   (void *)(uintptr_t)T_KERNEL_ADDR, 512, 0);
	rw(add(-EFAULT, "WRITE from an unmapped page"), AIORING_OP_WRITE, fd,
	   unmapped, 512, 0);
	rw(add(-EFAULT, "WRITE from a kernel address"), AIORING_OP_WRITE, fd,
	   (void *)(uintptr_t)T_KERNEL_ADDR, 512, 0);
	rw(add(-EFAULT, "READV with an unmapped iovec array"), AIORING_OP_READV,
	   fd, unmapped, 1, 0);
	rw(add(-EFAULT, "READV with a kernel iovec array"), AIORING_OP_READV,
	   fd, (void *)(uintptr_t)T_KERNEL_ADDR, 1, 0);
	rw(add(-EFAULT, "WRITEV with an unmapped iovec array"),
	   AIORING_OP_WRITEV, fd, unmapped, 1, 0);
	rw(add(-EFAULT, "READV into an unmapped buffer"), AIORING_OP_READV,
	   fd, bad_iov, 1, 0);

	/* Offsets */
	for (i = 0; i < T_ARRAY_SIZE(ops); i++) {
		int op = ops[i];
		int vec = op == AIORING_OP_READV || op == AIORING_OP_WRITEV;
		const void *addr = vec ? (const void *)iov1 : (const void *)buf;
		unsigned len = vec ? 1 : 4096;

		if (vec)
			iov1[0].iov_len = 4096;
		rw(add(-EINVAL, "%s off INT64_MAX - 100 + len overflows",
		       op_names[op]), op, fd, addr, len, INT64_MAX - 100);
		rw(add(-EINVAL, "%s off -2", op_names[op]), op, fd, addr, len,
		   (__u64)-2);
		rw(add(-EINVAL, "%s off INT64_MIN", op_names[op]), op, fd, addr,
		   len, 1ULL << 63);
	}

	/* iovec count */
	rw(add(-EINVAL, "READV 1025 iovecs"), AIORING_OP_READV, fd, many,
	   1025, 0);
	rw(add(-EINVAL, "WRITEV 1025 iovecs"), AIORING_OP_WRITEV, fd, many,
	   1025, 0);
	rw(add(-EINVAL, "READV 0xffffffff iovecs"), AIORING_OP_READV, fd, many,
	   0xffffffffU, 0);
	rw(add(1024, "READV 1024 iovecs of one byte"), AIORING_OP_READV, fd,
	   many, 1024, 0);

	/* rw_flags */
	for (i = 0; i < T_ARRAY_SIZE(ops); i++) {
		int op = ops[i];
		int vec = op == AIORING_OP_READV || op == AIORING_OP_WRITEV;
		const void *addr = vec ? (const void *)iov1 : (const void *)buf;
		unsigned len = vec ? 1 : 512;

		sqe = add(-EOPNOTSUPP, "%s rw_flags 0x80000000", op_names[op]);
		rw(sqe, op, fd, addr, len, 0);
		sqe->rw_flags = 0x80000000U;
		sqe = add(-EOPNOTSUPP, "%s rw_flags 0x40000000", op_names[op]);
		rw(sqe, op, fd, addr, len, 0);
		sqe->rw_flags = 0x40000000U;
		sqe = add(-EINVAL, "%s RWF_HIPRI", op_names[op]);
		rw(sqe, op, fd, addr, len, 0);
		sqe->rw_flags = RWF_HIPRI;
	}

	/* FSYNC */
	sqe = add(-EINVAL, "FSYNC fsync_flags 0x2");
	rw(sqe, AIORING_OP_FSYNC, fd, NULL, 0, 0);
	sqe->fsync_flags = 2;
	sqe = add(-EINVAL, "FSYNC fsync_flags 0x80000001");
	rw(sqe, AIORING_OP_FSYNC, fd, NULL, 0, 0);
	sqe->fsync_flags = 0x80000001U;
	sqe = add(-EINVAL, "FSYNC addr");
	rw(sqe, AIORING_OP_FSYNC, fd, buf, 0, 0);
	sqe = add(-EINVAL, "FSYNC on a pipe");
	rw(sqe, AIORING_OP_FSYNC, pipefd[0], NULL, 0, 0);

	/* Submit everything, one ring's worth at a time, each tagged. */
	for (done = 0; done < nr_cases;) {
		unsigned batch = nr_cases - done;

		if (batch > ring.sq.ring_entries)
			batch = ring.sq.ring_entries;
		for (i = 0; i < batch; i++) {
			sqe = t_get_sqe(&ring);
			*sqe = cases[done + i].sqe;
			sqe->user_data = 0xbad0000ULL + done + i;
		}
		t_submit(&ring, (int)batch);
		for (i = 0; i < batch; i++) {
			struct aioring_cqe cqe;
			__u64 idx;

			t_reap(&ring, &cqe, 1);
			idx = cqe.user_data - 0xbad0000ULL;
			if (idx >= nr_cases) {
				t_error("CQE with unknown user_data 0x%llx res %s",
					(unsigned long long)cqe.user_data,
					t_resname(cqe.res));
				continue;
			}
			if (cases[idx].seen++)
				t_error("%s: CQE posted twice", cases[idx].name);
			if (cqe.res != cases[idx].res)
				t_error("%s: expected res %s, got %s",
					cases[idx].name,
					t_resname(cases[idx].res),
					t_resname(cqe.res));
			if (cqe.flags)
				t_error("%s: expected CQE flags 0, got 0x%x",
					cases[idx].name, cqe.flags);
		}
		done += batch;
	}
	for (j = 0; j < nr_cases; j++)
		if (!cases[j].seen)
			t_error("%s: no CQE", cases[j].name);
	t_expect_no_cqe(&ring);
	t_log("%u bad SQEs checked", nr_cases);

	/* The file is untouched by the refused writes, the ring works. */
	if (pread(fd, buf, FILE_SIZE, 0) != FILE_SIZE)
		t_fail("pread: %s", t_errname(errno));
	t_check_buf(buf, filedata, FILE_SIZE, "file after refused writes");
	t_nop_roundtrip(&ring, 1);
	sqe = t_get_sqe(&ring);
	memset(buf, 0, sizeof(buf));
	aioring_prep_read(sqe, fd, buf, 4096, 4096);
	aioring_sqe_set_data64(sqe, 2);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 2, 4096);
	t_check_buf(buf, filedata + 4096, 4096, "READ after the bad SQEs");
	t_check_buf(onebyte, filedata, 1024, "READV of 1024 one-byte iovecs");
	aioring_queue_exit(&ring);
	return t_exit_status();
}
