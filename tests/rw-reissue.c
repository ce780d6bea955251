/* SPDX-License-Identifier: MIT */
/*
 * Description: an -EAGAIN that the block layer returns through
 * ->ki_complete for a nonblocking attempt is aioring's to retry, not the
 * user's result. On a raw null_blk with one tag and 1 ms latency, 32
 * O_DIRECT READs and then 32 WRITEs submitted in one ENTER each get
 * REQ_NOWAIT bios that find no tag; every one must complete in full, the
 * data must be right, and only RWF_NOWAIT reads may see -EAGAIN. Both on a
 * plain ring and on an IOPOLL ring (a device without poll queues
 * completes polled bios by interrupt). Before the fix those CQEs carried
 * -EAGAIN.
 */
#include <fcntl.h>
#include <sys/uio.h>

#include "t_async.h"

#define BS	4096
#define NR	32

static unsigned run(struct aioring *ring, int fd, int op, unsigned char *bufs,
		    int rwf, const char *what)
{
	struct aioring_cqe cqe;
	unsigned i, eagain = 0;

	for (i = 0; i < NR; i++) {
		struct aioring_sqe *sqe = t_get_sqe(ring);

		if (op == AIORING_OP_READ)
			aioring_prep_read(sqe, fd, bufs + (size_t)i * BS, BS,
					  (uint64_t)i * BS);
		else
			aioring_prep_write(sqe, fd, bufs + (size_t)i * BS, BS,
					   (uint64_t)i * BS);
		sqe->rw_flags = rwf;
		aioring_sqe_set_data64(sqe, i);
	}
	t_submit(ring, NR);
	for (i = 0; i < NR; i++) {
		t_reap(ring, &cqe, 1);
		if (cqe.res == -EAGAIN && rwf)
			eagain++;
		else if (cqe.res != BS)
			t_error("%s %llu: expected %d, got %s", what,
				(unsigned long long)cqe.user_data, BS,
				t_resname(cqe.res));
	}
	return eagain;
}

int main(void)
{
	const char *dev = getenv("AIORING_TEST_SHALLOW_DEV");
	unsigned char *wbuf, *rbuf;
	struct aioring_params p;
	struct aioring ring;
	unsigned k, eagain;
	int fd, ret;

	t_require_device();
	if (!dev)
		t_skip("no AIORING_TEST_SHALLOW_DEV (a one-tag null_blk)");
	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0)
		t_fail("open %s: %s", dev, t_errname(errno));
	wbuf = t_aligned_alloc(BS, NR * BS);
	rbuf = t_aligned_alloc(BS, NR * BS);

	for (k = 0; k < 2; k++) {
		const char *what = k ? "IOPOLL" : "plain";

		memset(&p, 0, sizeof(p));
		p.flags = k ? AIORING_SETUP_IOPOLL : 0;
		ret = aioring_queue_init_params(NR, &ring, &p);
		if (ret)
			t_fail("%s setup: %s", what, t_resname(ret));
		t_fill_random(wbuf, NR * BS);
		run(&ring, fd, AIORING_OP_WRITE, wbuf, 0, what);
		memset(rbuf, 0, NR * BS);
		run(&ring, fd, AIORING_OP_READ, rbuf, 0, what);
		t_check_buf(rbuf, wbuf, NR * BS, what);
		/* The user's own RWF_NOWAIT keeps its -EAGAIN. */
		eagain = run(&ring, fd, AIORING_OP_READ, rbuf, RWF_NOWAIT, what);
		t_log("%s ring: %u of %d RWF_NOWAIT reads got -EAGAIN%s", what,
		      eagain, NR, eagain ? "" :
		      " (the device never refused one: the retry path may not have been taken)");
		aioring_queue_exit(&ring);
	}
	close(fd);
	return t_exit_status();
}
