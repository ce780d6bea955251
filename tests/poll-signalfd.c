/* SPDX-License-Identifier: MIT */
/*
 * Description: POLL_ADD on a signalfd is refused with -EOPNOTSUPP in its
 * CQE, armed or not. A signalfd's poll reports the signals of whoever
 * calls it and its wakeups carry no key, so the module, which looks at
 * the file from a kworker (or the SQ thread), would see that thread's
 * signals, never the submitter's: the poll would never complete. The
 * refusal holds whether a signal is pending or not (no answer that
 * depends on timing), for a plain descriptor and a registered one, and
 * the ring keeps working.
 */
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>

#include "t_helpers.h"

static void poll_sfd(struct aioring *ring, int fd, int fixed, uint64_t ud)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);

	aioring_prep_poll_add(sqe, fd, POLLIN);
	if (fixed)
		sqe->flags |= AIORING_SQE_FIXED_FILE;
	aioring_sqe_set_data64(sqe, ud);
	t_submit(ring, 1);
	t_expect_cqe(ring, ud, -EOPNOTSUPP);
}

int main(void)
{
	struct aioring ring;
	struct signalfd_siginfo si;
	sigset_t mask;
	int sfd;

	t_require_device();
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	T_SYSOK(sigprocmask(SIG_BLOCK, &mask, NULL));
	sfd = T_SYSOK(signalfd(-1, &mask, SFD_NONBLOCK));
	t_ring_init(&ring, 4, 0);

	/* Nothing pending: it used to stay armed for ever. */
	poll_sfd(&ring, sfd, 0, 1);
	/* Pending: refused all the same. */
	T_SYSOK(raise(SIGUSR1));
	poll_sfd(&ring, sfd, 0, 2);
	T_RES(aioring_register_files(&ring, &sfd, 1), 0);
	poll_sfd(&ring, 0, 1, 3);
	/* The refusal consumed nothing: the signal is still there. */
	T_EQ(read(sfd, &si, sizeof(si)), sizeof(si));
	T_EQ(si.ssi_signo, SIGUSR1);

	t_nop_roundtrip(&ring, 4);
	t_expect_no_cqe(&ring);
	aioring_queue_exit(&ring);
	close(sfd);
	return T_EXIT_PASS;
}
