/* SPDX-License-Identifier: MIT */
/*
 * Description: a ring held only through a cycle is freed when its owner
 * exits. A child sets up a ring, makes it hold one end S2 of a datagram
 * socketpair (a POLL_ADD(POLLPRI) that never fires, or S2 as a registered
 * file), having sent the ring fd over the other end S1 with SCM_RIGHTS: S2's
 * queue now holds the ring, the ring holds S2, and unix GC sees neither
 * (the ring is not a socket). The child closes both sockets and exits with
 * the ring fd still open, so exit_files() closes it. The module must then
 * let go of S2 and the ring be released: /sys/module/aioring/refcnt (one
 * per open ring) returns to what it was before the child. A datagram
 * socket sees no hangup when its peer closes, so the poll would wait for
 * ever otherwise. A third round has the owner close its last ring fd and
 * unmap the ring before it exits, so that only the cycle holds the ring
 * and no close of the ring comes at exit: the ring must go when the
 * owner's mm does. All rounds run as an unprivileged user.
 */
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "t_helpers.h"

/* The child: build the cycle and exit with the ring fd open (or not). */
static void make_cycle(int fixed, int close_first)
{
	struct aioring ring;
	int sv[2];

	t_become_user(T_USER_UID);
	T_SYSOK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	t_ring_init(&ring, 4, 0);
	t_send_fd(sv[0], ring.ring_fd);
	/*
	 * Armed after the send: the socket's wakeup for a new message is
	 * keyed with POLLPRI among others, and a keyed wakeup completes a
	 * poll (as in io_uring).
	 */
	if (fixed) {
		T_RES(aioring_register_files(&ring, &sv[1], 1), 0);
	} else {
		struct aioring_sqe *sqe = t_get_sqe(&ring);

		aioring_prep_poll_add(sqe, sv[1], POLLPRI);
		aioring_sqe_set_data64(sqe, 0x5c);
		t_submit(&ring, 1);
	}
	close(sv[0]);
	close(sv[1]);
	/* The premise: nothing completed the poll. */
	t_expect_no_cqe(&ring);
	if (close_first)
		aioring_queue_exit(&ring);
	_exit(0);
}

static void check(int fixed, int close_first)
{
	const char *what = close_first ? "registered socket, ring closed before exit" :
			   fixed ? "registered socket" : "pending poll";
	long before, now = -1;
	uint64_t deadline;
	pid_t pid;

	/* Rings of earlier tests may still be on their way out. */
	before = t_wait_refcnt(0, 5000);
	if (before < 0)
		t_skip("no /sys/module/aioring/refcnt (module built in?)");
	pid = T_SYSOK(fork());
	if (pid == 0)
		make_cycle(fixed, close_first);
	t_expect_child_exit(pid, 0, what);
	deadline = t_now_ns() + 5000000000ULL;
	while ((now = t_module_refcnt()) != before && t_now_ns() < deadline)
		t_sleep_ms(20);
	if (now != before)
		t_fail("%s: module refcnt %ld 5 s after the owner exited, %ld before: the ring leaked",
		       what, now, before);
}

int main(void)
{
	t_require_device();
	if (getuid() != 0)
		t_skip("needs root to drop privileges");
	check(0, 0);
	check(1, 0);
	check(1, 1);
	return T_EXIT_PASS;
}
