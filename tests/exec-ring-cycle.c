/* SPDX-License-Identifier: MIT */
/*
 * Description: a ring dies when its owner's address space is replaced by
 * exec, and not when only a vfork()ed child execs. Three rounds, as an
 * unprivileged user:
 *  - mapped: a child keeps the ring mapped but closes its fd, after
 *    sending the fd over one end of a datagram socketpair whose other end
 *    is registered in the ring (a cycle unix GC cannot see), then execs a
 *    program that stays alive. The ring must be freed while that program
 *    runs (module refcnt back to its baseline): the owner's mm went.
 *  - unmapped: a child registers one end S2 of a stream socketpair in the
 *    ring, closes its S2 fd, unmaps the ring and execs with the ring fd and
 *    the other end S1 kept open. The new program's ioctl on the ring gets
 *    EPERM (another mm) and must find the ring dead: the ring lets go of
 *    S2, so S1 reads end-of-file, while the ring fd is still open.
 *  - close-on-exec: the same, but the ring fd is close-on-exec (as
 *    libaioring opens it), so the exec itself closes it, after the old mm
 *    is gone, and the new program does nothing to the ring: S1 must still
 *    read end-of-file.
 * In both unmapped rounds the ring also holds a datagram socket whose
 * queue holds the ring fd, so that no close of the ring fd is its last.
 *  - vfork: the owner vfork()s a child that execs; the owner's mm lives
 *    on, and so must its ring (a NOP still completes).
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "t_helpers.h"

static const char *self_exe = "/proc/self/exe";

static void unmap_ring(struct aioring *ring)
{
	T_SYSOK(munmap(ring->sq.sqes, ring->sq.sqes_sz));
	T_SYSOK(munmap(ring->cq.ring_ptr, ring->cq.ring_sz));
	T_SYSOK(munmap(ring->sq.ring_ptr, ring->sq.ring_sz));
}

/* After the exec of the mapped round: live on until killed. */
static int run_sleeper(void)
{
	for (int i = 0; i < 300; i++)
		t_sleep_ms(100);
	return 3;
}

/*
 * After the exec of the unmapped rounds: S1 came along, and the ring fd
 * too unless it was close-on-exec (-1).
 */
static int run_prober(int ring_fd, int s1)
{
	struct aioring_stats st;
	struct pollfd pfd = { .fd = s1, .events = POLLIN };
	char c;
	int ret;

	ret = ring_fd < 0 ? -1 : ioctl(ring_fd, AIORING_IOC_STATS, &st);
	if (ring_fd >= 0 && (ret != -1 || errno != EPERM)) {
		fprintf(stderr, "STATS from the new image: %d (%s), want EPERM\n",
			ret, t_errname(errno));
		return 1;
	}
	/* The kill runs from a work item: give it a moment. */
	ret = poll(&pfd, 1, 5000);
	if (ret != 1) {
		fprintf(stderr, "S1 not readable 5 s after the exec: the ring still holds S2\n");
		return 1;
	}
	ret = read(s1, &c, 1);
	if (ret != 0) {
		fprintf(stderr, "read of S1: %d (%s), want end-of-file\n",
			ret, t_errname(errno));
		return 1;
	}
	if (ring_fd >= 0)
		close(ring_fd);
	return 0;
}

static void exec_self(const char *role, int a, int b)
{
	char sa[16], sb[16];

	snprintf(sa, sizeof(sa), "%d", a);
	snprintf(sb, sizeof(sb), "%d", b);
	execl(self_exe, "exec-ring-cycle", role, sa, sb, (char *)NULL);
	_exit(4);
}

static void child_mapped(void)
{
	struct aioring ring;
	int sv[2];

	t_become_user(T_USER_UID);
	T_SYSOK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
	t_ring_init(&ring, 4, 0);
	t_send_fd(sv[0], ring.ring_fd);
	T_RES(aioring_register_files(&ring, &sv[1], 1), 0);
	close(sv[0]);
	close(sv[1]);
	/* Only the mapping (and the cycle) holds the ring now. */
	close(ring.ring_fd);
	exec_self("sleeper", 0, 0);
}

static void round_mapped(long before)
{
	uint64_t deadline;
	long now = -1;
	pid_t pid;

	pid = T_SYSOK(fork());
	if (pid == 0)
		child_mapped();
	/* While the exec'd program lives, its exit cannot be what frees the ring. */
	deadline = t_now_ns() + 5000000000ULL;
	while ((now = t_module_refcnt()) != before && t_now_ns() < deadline)
		t_sleep_ms(20);
	kill(pid, SIGKILL);
	t_expect_child_signal(pid, SIGKILL, "mapped: the exec'd sleeper");
	if (now != before)
		t_fail("mapped: module refcnt %ld 5 s after the owner's exec, %ld before: the ring outlived its mm",
		       now, before);
}

static void child_unmapped(int cloexec)
{
	struct aioring ring;
	int sv[2], dv[2], reg[2];

	t_become_user(T_USER_UID);
	T_SYSOK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	T_SYSOK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dv));
	t_ring_init(&ring, 4, 0);
	/* The cycle keeps the ring when the exec closes its fd. */
	t_send_fd(dv[0], ring.ring_fd);
	reg[0] = dv[1];
	reg[1] = sv[1];
	T_RES(aioring_register_files(&ring, reg, 2), 0);
	close(dv[0]);
	close(dv[1]);
	close(sv[1]);
	unmap_ring(&ring);
	/* libaioring opens it O_CLOEXEC; else it goes through exec. */
	if (!cloexec)
		T_SYSOK(fcntl(ring.ring_fd, F_SETFD, 0));
	exec_self("prober", cloexec ? -1 : ring.ring_fd, sv[0]);
}

static void round_unmapped(long before, int cloexec)
{
	const char *what = cloexec ? "close-on-exec" : "unmapped";
	pid_t pid = T_SYSOK(fork());

	if (pid == 0)
		child_unmapped(cloexec);
	t_expect_child_exit(pid, 0, what);
	if (t_wait_refcnt(before, 5000) != before)
		t_fail("%s: module refcnt %ld after the prober exited, %ld before",
		       what, t_module_refcnt(), before);
}

static void round_vfork(long before)
{
	struct aioring ring;
	pid_t pid, owner;
	int status;

	owner = T_SYSOK(fork());
	if (owner == 0) {
		t_become_user(T_USER_UID);
		t_ring_init(&ring, 4, 0);
		pid = vfork();
		if (pid == 0)
			execl(self_exe, "exec-ring-cycle", "true", "0", "0",
			      (char *)NULL), _exit(4);
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			_exit(5);
		/* The shared mm was only left by the child, not torn down. */
		t_nop_roundtrip(&ring, 0x7f);
		aioring_queue_exit(&ring);
		_exit(t_exit_status());
	}
	t_expect_child_exit(owner, 0, "vfork: the ring's owner");
	if (t_wait_refcnt(before, 5000) != before)
		t_fail("vfork: module refcnt %ld, %ld before", t_module_refcnt(), before);
}

int main(int argc, char **argv)
{
	long before;

	if (argc == 4 && !strcmp(argv[1], "sleeper"))
		return run_sleeper();
	if (argc == 4 && !strcmp(argv[1], "prober"))
		return run_prober(atoi(argv[2]), atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "true"))
		return 0;

	t_require_device();
	if (getuid() != 0)
		t_skip("needs root to drop privileges");
	/* Rings of earlier tests may still be on their way out. */
	before = t_wait_refcnt(0, 5000);
	if (before < 0)
		t_skip("no /sys/module/aioring/refcnt (module built in?)");
	round_mapped(before);
	round_unmapped(before, 0);
	round_unmapped(before, 1);
	round_vfork(before);
	return t_exit_status();
}
