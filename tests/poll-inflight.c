/* SPDX-License-Identifier: MIT */
/*
 * Description: pending polls count against the ring's bound on requests
 * held in the kernel (the CQ size): with cq_entries polls waiting, ENTER
 * consumes nothing more and returns -EBUSY, and fdinfo shows them in
 * flight; once an event completes them all, submission works again.
 */
#include <fcntl.h>
#include <poll.h>

#include "t_helpers.h"

static int fdinfo_inflight(int ring_fd)
{
	char path[64], buf[4096];
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ring_fd);
	fd = T_SYSOK(open(path, O_RDONLY));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		t_fail("read %s", path);
	buf[n] = 0;
	p = strstr(buf, "Inflight:");
	if (!p)
		t_fail("no Inflight: in %s", path);
	return atoi(p + strlen("Inflight:"));
}

/*
 * Reap @nr CQEs without submitting: t_reap() waits with
 * aioring_wait_cqe_timeout(), which also submits what the SQ ring holds,
 * and the NOP this test leaves there must stay until it is submitted on
 * purpose.
 */
static void reap_only(struct aioring *ring, struct aioring_cqe *out,
		      unsigned nr)
{
	uint64_t deadline = t_now_ns() + (uint64_t)T_WAIT_MS * 1000000;
	unsigned got = 0;

	while (got < nr) {
		unsigned long long ns = 100000000ULL;
		struct aioring_cqe *cqe;
		int ret;

		if (!aioring_peek_cqe(ring, &cqe)) {
			out[got++] = *cqe;
			aioring_cqe_seen(ring, cqe);
			continue;
		}
		if (t_now_ns() > deadline)
			t_fail("waited %d ms for %u CQEs, got %u", T_WAIT_MS,
			       nr, got);
		ret = aioring_enter(ring->ring_fd, 0, 1,
				    AIORING_ENTER_GETEVENTS, &ns, NULL, 0);
		if (ret < 0 && ret != -ETIME && ret != -EINTR)
			t_fail("ENTER(GETEVENTS): expected 0, got %s",
			       t_resname(ret));
	}
}

int main(void)
{
	struct aioring_cqe cqes[8];
	struct aioring ring;
	struct aioring_sqe *sqe;
	uint64_t deadline;
	unsigned i;
	int pfd[2], ret;

	t_require_device();
	t_ring_init(&ring, 8, 8);
	T_SYSOK(pipe(pfd));

	for (i = 0; i < 8; i++) {
		sqe = t_get_sqe(&ring);
		aioring_prep_poll_add(sqe, pfd[0], POLLIN);
		aioring_sqe_set_data64(sqe, i);
	}
	t_submit(&ring, 8);
	t_expect_no_cqe(&ring);
	T_EQ(fdinfo_inflight(ring.ring_fd), 8);

	sqe = t_get_sqe(&ring);
	aioring_prep_nop(sqe);
	aioring_sqe_set_data64(sqe, 0x99);
	T_RES(aioring_submit(&ring), -EBUSY);

	T_EQ(write(pfd[1], "x", 1), 1);
	reap_only(&ring, cqes, 8);
	for (i = 0; i < 8; i++)
		T_EQ(cqes[i].res, POLLIN);
	/*
	 * The NOP left in the SQ ring goes now. A request is freed just
	 * after its CQE is posted: allow a moment for the last ones.
	 */
	deadline = t_now_ns() + 2000000000ULL;
	while ((ret = aioring_submit(&ring)) == -EBUSY &&
	       t_now_ns() < deadline)
		t_sleep_ms(1);
	T_RES(ret, 1);
	t_expect_cqe(&ring, 0x99, 0);
	while (fdinfo_inflight(ring.ring_fd) && t_now_ns() < deadline)
		t_sleep_ms(1);
	T_EQ(fdinfo_inflight(ring.ring_fd), 0);

	aioring_queue_exit(&ring);
	close(pfd[0]);
	close(pfd[1]);
	return T_EXIT_PASS;
}
