/* SPDX-License-Identifier: MIT */
/*
 * Description: the SQ thread: submissions need no ioctl while it is awake,
 * it sets NEED_WAKEUP after sq_thread_idle and sleeps, a submit wakes it
 * (counted), plain fds are -EBADF (registered files work), SQ_AFF with an
 * offline or out-of-range CPU is -EINVAL, and closing a busy ring or
 * killing its process is clean.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "t_async.h"

static int setup_err(unsigned flags, unsigned cpu, unsigned idle)
{
	struct aioring_params p;
	int fd = t_open_dev(), ret = 0;

	t_params(&p, 4, 0);
	p.flags = flags;
	p.sq_thread_cpu = cpu;
	p.sq_thread_idle = idle;
	if (ioctl(fd, AIORING_IOC_SETUP, &p) < 0)
		ret = errno;
	close(fd);
	return ret;
}

static void sq_ring(struct aioring *ring, unsigned idle_ms)
{
	struct aioring_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.flags = AIORING_SETUP_SQTHREAD;
	p.sq_thread_idle = idle_ms;
	ret = aioring_queue_init_params(8, ring, &p);
	if (ret)
		t_fail("SQTHREAD setup: %s", t_resname(ret));
}

static void busy_child(const char *path, int how)
{
	struct aioring ring;
	unsigned char buf[4096];
	int fd = T_SYSOK(open(path, O_RDONLY));
	unsigned i;

	sq_ring(&ring, 5000);
	T_RES(aioring_register_files(&ring, &fd, 1), 0);
	for (i = 0; ; i++) {
		struct aioring_sqe *sqe = aioring_get_sqe(&ring);
		struct aioring_cqe *cqe;

		if (sqe) {
			aioring_prep_read(sqe, 0, buf, sizeof(buf), 0);
			sqe->flags |= AIORING_SQE_FIXED_FILE;
			aioring_submit(&ring);
		}
		while (aioring_peek_cqe(&ring, &cqe) == 0)
			aioring_cqe_seen(&ring, cqe);
		if (i == 200) {
			if (how == 0)
				aioring_queue_exit(&ring);
			exit(0);
		}
	}
}

int main(void)
{
	struct aioring_stats st;
	struct aioring ring;
	struct aioring_sqe *sqe;
	unsigned char data[4096], buf[4096];
	char path[256];
	unsigned i;
	int fd, round;

	t_require_device();
	t_seed_random();

	/* Bad setups. */
	T_EQ(setup_err(AIORING_SETUP_SQTHREAD | AIORING_SETUP_SQ_AFF, 4096, 0), EINVAL);
	T_EQ(setup_err(AIORING_SETUP_SQTHREAD | AIORING_SETUP_SQ_AFF,
		       (unsigned)sysconf(_SC_NPROCESSORS_CONF), 0), EINVAL);
	T_EQ(setup_err(AIORING_SETUP_SQ_AFF, 0, 0), EINVAL);
	T_EQ(setup_err(0, 1, 0), EINVAL);
	T_EQ(setup_err(0, 0, 100), EINVAL);
	T_EQ(setup_err(AIORING_SETUP_SQTHREAD | AIORING_SETUP_SQWQ, 0, 0), EINVAL);
	T_EQ(setup_err(AIORING_SETUP_SQTHREAD | AIORING_SETUP_SQ_AFF, 0, 0), 0);

	fd = t_create_file(sizeof(data), data, path, sizeof(path));
	sq_ring(&ring, 200);
	T_RES(aioring_register_files(&ring, &fd, 1), 0);

	/* Awake: many submissions, no ENTER for submitting them. */
	for (i = 0; i < 64; i++) {
		struct aioring_cqe *cqe;
		uint64_t t0 = t_now_ns();

		sqe = t_get_sqe(&ring);
		aioring_prep_read(sqe, 0, buf, sizeof(buf), 0);
		sqe->flags |= AIORING_SQE_FIXED_FILE;
		aioring_sqe_set_data64(sqe, i);
		T_RES(aioring_submit(&ring), 1);
		/* Poll the CQ ring without entering the module. */
		while (aioring_peek_cqe(&ring, &cqe) == -EAGAIN)
			if (t_now_ns() - t0 > 5000000000ULL)
				t_fail("no CQE from the SQ thread in 5 s");
		T_EQ(cqe->user_data, i);
		T_EQ(cqe->res, sizeof(buf));
		aioring_cqe_seen(&ring, cqe);
	}
	t_check_buf(buf, data, sizeof(buf), "SQ thread read");
	T_EQ(aioring_get_stats(&ring, &st), 0);
	t_print_stats("awake", &st);
	T_EQ(st.submitted, 64);
	/* Only wakeups, if the thread happened to doze, may have entered. */
	T_CHECK(st.enter_calls <= st.sq_thread_wakeups + 1);

	/* Idle: the thread sleeps and says so. */
	t_sleep_ms(1000);
	T_CHECK(*ring.sq.kflags & AIORING_SQ_NEED_WAKEUP);
	sqe = t_get_sqe(&ring);
	aioring_prep_read(sqe, 0, buf, sizeof(buf), 0);
	sqe->flags |= AIORING_SQE_FIXED_FILE;
	aioring_sqe_set_data64(sqe, 1000);
	T_RES(aioring_submit(&ring), 1);
	t_expect_cqe(&ring, 1000, sizeof(buf));
	T_EQ(aioring_get_stats(&ring, &st), 0);
	t_print_stats("after wakeup", &st);
	T_CHECK(st.sq_thread_wakeups >= 1);

	/* A plain fd: the thread cannot resolve it. */
	sqe = t_get_sqe(&ring);
	aioring_prep_read(sqe, fd, buf, sizeof(buf), 0);
	aioring_sqe_set_data64(sqe, 1001);
	T_RES(aioring_submit(&ring), 1);
	t_expect_cqe(&ring, 1001, -EBADF);
	aioring_queue_exit(&ring);

	/* Busy rings: closed, exited, killed. */
	for (round = 0; round < 6; round++) {
		pid_t pid = fork();

		if (pid < 0)
			t_fail("fork");
		if (pid == 0)
			busy_child(path, round % 3);
		if (round % 3 == 2) {
			t_sleep_ms(50);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		} else {
			t_expect_child_exit(pid, 0, "busy SQ thread ring");
		}
	}
	close(fd);
	return T_EXIT_PASS;
}
