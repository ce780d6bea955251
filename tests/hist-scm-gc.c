/* SPDX-License-Identifier: MIT */
/*
 * Description: io_uring history, class "registered files and SCM_RIGHTS
 * cycles racing with the AF_UNIX garbage collector" (io_uring kept its
 * registered files in a unix socket of its own, and the collector freed
 * them under it: CVE-2022-2602, CVE-2023-6531). 1,000 times, as an
 * unprivileged user: a ring whose fd is in flight on socket a1, a1 in
 * flight on b1 and b1 on a1 (a cycle the collector may take), a1, b1 and
 * a0 registered in the ring, every third round a poll pending on a1;
 * then every descriptor is closed, in random order, while another process
 * (another user) makes and closes a garbage cycle every millisecond, so
 * the collector always runs. One round in 16 or so (chosen at random,
 * never one with a poll) unregisters or updates away the files first:
 * the collector must then free the cycle and with it the ring's last
 * file. The rounds run in
 * batches of 50, each in a process of its own: at the end of a batch the
 * collectable rings must be gone and only the others left (the collector
 * cannot see through a ring), and the process's exit must free those. The
 * module refcount comes back to where it was.
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "t_helpers.h"

#define ROUNDS		1000
#define BATCH		50
/*
 * A collected ring is released in the close that ran the collector, and
 * its release waits up to 500 ms for the ring's idle threads: on 5.10
 * under TCG that is most of a second per ring, so only some rounds are
 * collectable.
 */
#define COLLECT_ONE_IN	16

/*
 * The rounds must fit in the runner's per-test timeout
 * (AIORING_TEST_TIMEOUT, 120 s) less 40 s: 80 s in make check, more on a
 * debug kernel, where a round under KASAN and TCG takes several times as
 * long.
 */
static uint64_t time_cap_ns(void)
{
	const char *env = getenv("AIORING_TEST_TIMEOUT");
	unsigned long t = env ? strtoul(env, NULL, 0) : 0;

	if (t < 120)
		t = 120;
	return (t - 40) * 1000000000ULL;
}

/* Returns 0, or -errno when @tolerant and the kernel refused. */
static int send_fds_ret(int sock, const int *fds, unsigned n, int tolerant)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))];
	char byte = 's';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	if (sendmsg(sock, &msg, MSG_DONTWAIT) == 1)
		return 0;
	if (!tolerant)
		t_fail("sendmsg SCM_RIGHTS: %s", t_errname(errno));
	return -errno;
}

static void send_fds(int sock, const int *fds, unsigned n)
{
	send_fds_ret(sock, fds, n, 0);
}

/*
 * A cycle of two sockets and nothing else: garbage for the collector.
 * The hammer (@tolerant) may outrun the collector and meet the per-user
 * limit on fds in flight (ETOOMANYREFS); it then backs off.
 */
static void make_garbage_ret(int tolerant)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		t_fail("socketpair: %s", t_errname(errno));
	if (send_fds_ret(sv[0], &sv[0], 1, tolerant) ||
	    send_fds_ret(sv[1], &sv[1], 1, tolerant))
		t_sleep_ms(10);
	close(sv[0]);
	close(sv[1]);		/* a close with fds in flight runs the collector */
}

static void make_garbage(void)
{
	make_garbage_ret(0);
}

static void close_shuffled(int *fds, unsigned n)
{
	unsigned i;

	for (i = n - 1; i > 0; i--) {
		unsigned j = (unsigned)t_rand_below(i + 1);
		int x = fds[i];

		fds[i] = fds[j];
		fds[j] = x;
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
}

/* Per batch: module references one ring holds; rounds whose ring stays. */
static long ring_refs;
static unsigned kept;
/* The read ends of the pipes riding with collectable rings. */
static int canaries[BATCH];
static unsigned nr_canaries;

/* On a failure: which of the rings' threads are still there, doing what. */
static void log_ring_threads(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[300], stat[256];
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(stat, sizeof(stat), f) && strstr(stat, "(aioring-"))
			t_log("thread %s", stat);
		fclose(f);
	}
	closedir(d);
}

/*
 * End of a batch: the collectable rings must be gone, the others still
 * there: the refcount is @base plus the kept rings' references.
 */
static void check_collected(long base, unsigned first)
{
	uint64_t deadline = t_now_ns() + 15ULL * 1000 * 1000 * 1000;
	long want = base + ring_refs * (long)kept, now;
	unsigned i, hung = 0;

	while ((now = t_module_refcnt()) != want && t_now_ns() < deadline) {
		make_garbage();
		t_sleep_ms(5);
	}
	for (i = 0; i < nr_canaries; i++) {
		struct pollfd pfd = { .fd = canaries[i], .events = POLLIN };

		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP))
			hung++;
		close(canaries[i]);
	}
	if (now == want)
		return;
	t_log("owner %d; the rings' threads now:", (int)getpid());
	log_ring_threads();
	t_fail("rounds %u-%u: refcnt %ld 15 s after the last, expected %ld (%ld before, %u rings kept of %ld references each, %u collectable): %u of the %u pipes riding with collectable rings hung up (the collector purged them), so %s",
	       first, first + BATCH - 1, now, want, base, kept, ring_refs,
	       nr_canaries, hung, nr_canaries,
	       hung == nr_canaries ? "every collectable ring's file was put, and a ring stayed" :
	       "the collector did not purge them all");
}

/*
 * One round. @collectable: break the ring's hold on the sockets first, so
 * that the collector frees the cycle and the ring with it.
 */
static void round_once(unsigned nr, int collectable)
{
	struct aioring ring;
	int a[2], b[2], fds[5], reg[3], canary[2], ride[2];
	long before = ring_refs ? 0 : t_module_refcnt();

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, a) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, b))
		t_fail("socketpair: %s", t_errname(errno));
	t_ring_init(&ring, 4, 0);
	/* First round of a batch: nothing else is coming or going yet. */
	if (!ring_refs)
		ring_refs = t_module_refcnt() - before;
	/*
	 * The ring rides on a1 with a pipe's write end: when the collector
	 * purges a1, the read end we keep sees the hangup, whatever the
	 * ring does.
	 */
	if (pipe2(canary, O_CLOEXEC))
		t_fail("pipe: %s", t_errname(errno));
	ride[0] = ring.ring_fd;
	ride[1] = canary[1];
	send_fds(a[0], ride, 2);
	close(canary[1]);
	send_fds(b[0], &a[1], 1);		/* a1 on b1 */
	send_fds(a[0], &b[1], 1);		/* b1 on a1: a cycle */
	reg[0] = a[1];
	reg[1] = b[1];
	reg[2] = a[0];
	T_RES(aioring_register_files(&ring, reg, 3), 0);
	/* A pending poll holds a1 (and the ring) itself: not collectable. */
	if (nr % 3 == 0) {
		struct aioring_sqe *sqe = t_get_sqe(&ring);

		collectable = 0;
		aioring_prep_poll_add(sqe, 0, POLLPRI);
		sqe->flags |= AIORING_SQE_FIXED_FILE;
		aioring_sqe_set_data64(sqe, 0x9c);
		t_submit(&ring, 1);
	}
	if (collectable) {
		if (nr & 2) {
			T_RES(aioring_unregister_files(&ring), 0);
		} else {
			int empty[2] = { -1, -1 };

			/* a0 stays: it is not in flight, so no cycle. */
			T_RES(aioring_register_files_update(&ring, 0, empty, 2), 2);
		}
	}
	/* The mappings would hold the ring: only the descriptors remain. */
	munmap(ring.sq.sqes, ring.sq.sqes_sz);
	munmap(ring.cq.ring_ptr, ring.cq.ring_sz);
	munmap(ring.sq.ring_ptr, ring.sq.ring_sz);
	fds[0] = ring.ring_fd;
	fds[1] = a[0];
	fds[2] = a[1];
	fds[3] = b[0];
	fds[4] = b[1];
	close_shuffled(fds, 5);
	make_garbage();
	if (!collectable)
		close(canary[0]);
	if (collectable)
		canaries[nr_canaries++] = canary[0];
	else
		kept++;
}


/*
 * Garbage cycles all along, so that the collector always runs, until the
 * attacker's end of @stop_fd's pipe closes (it cannot signal another user).
 */
static void hammer(int stop_fd)
{
	for (;;) {
		struct pollfd pfd = { .fd = stop_fd, .events = POLLIN };

		make_garbage_ret(1);
		usleep(1000);
		if (poll(&pfd, 1, 0) != 0)
			_exit(0);
	}
}

int main(void)
{
	uint64_t t0, t1, exit_wait_ns = 0, cap = time_cap_ns();
	long base, now;
	pid_t hpid;
	unsigned done = 0;
	int stop[2];
	struct rlimit rl = { 64UL << 20, 64UL << 20 };

	t_require_device();
	if (getuid() != 0)
		t_skip("needs root to drop privileges");
	t_seed_random();
	base = t_wait_refcnt(0, 5000);
	if (base < 0)
		t_skip("no /sys/module/aioring/refcnt (module built in?)");
	/*
	 * The hammer is another user: fds in flight are limited per user
	 * (RLIMIT_NOFILE, then ETOOMANYREFS), and its garbage must not use
	 * up the attacker's allowance while the collector catches up.
	 */
	/* Up to 50 rings at once, charged to RLIMIT_MEMLOCK (64 KiB on 5.10). */
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		t_fail("RLIMIT_MEMLOCK: %s", t_errname(errno));
	T_SYSOK(pipe2(stop, O_CLOEXEC));
	hpid = T_SYSOK(fork());
	if (hpid == 0) {
		close(stop[1]);
		t_become_user(T_USER_UID + 1);
		hammer(stop[0]);
	}
	close(stop[0]);
	t_become_user(T_USER_UID);
	t0 = t_now_ns();
	while (done < ROUNDS && t_now_ns() - t0 < cap) {
		unsigned first = done;
		pid_t pid;

		t_rand64();
		pid = T_SYSOK(fork());

		if (pid == 0) {
			unsigned i;

			/* The parent's generator moved on since the last batch. */
			for (i = first; i < first + BATCH; i++)
				round_once(i, !t_rand_below(COLLECT_ONE_IN));
			check_collected(base, first);
			_exit(T_EXIT_PASS);
		}
		t_expect_child_exit(pid, 0, "batch of rounds");
		done += BATCH;
		/* The owner's exit frees the rings only the cycle held. */
		t1 = t_now_ns();
		now = t_wait_refcnt(base, 10000);
		exit_wait_ns += t_now_ns() - t1;
		if (now != base) {
			t_fail("after %u rounds: module refcnt %ld 10 s after the owner exited, %ld before: rings leaked",
			       done, now, base);
		}
	}
	close(stop[1]);
	waitpid(hpid, NULL, 0);
	t_log("%u rounds in %llu ms, %llu of them waiting for the owners' rings to go",
	      done, (unsigned long long)((t_now_ns() - t0) / 1000000),
	      (unsigned long long)(exit_wait_ns / 1000000));
	if (done < ROUNDS)
		t_fail("only %u of %u rounds within %llu s", done, ROUNDS,
		       (unsigned long long)(cap / 1000000000ULL));
	now = t_wait_refcnt(base, 5000);
	if (now != base)
		t_fail("module refcnt %ld at the end, %ld before", now, base);
	return T_EXIT_PASS;
}
