/* SPDX-License-Identifier: MIT */
/*
 * Description: POLL_ADD and POLL_REMOVE behave the same in every
 * submission mode: inline, with AIORING_SQE_ASYNC, on a SQWQ ring (where
 * a poll on a regular file goes through a worker) and on an SQ thread
 * ring with registered files. In each: a pipe poll waits and fires with
 * POLLIN, a regular file is ready at once, and POLL_REMOVE cancels.
 */
#include <poll.h>

#include "t_helpers.h"

struct mode {
	const char *name;
	unsigned setup_flags;
	unsigned sqe_flags;
	int fixed;
};

static void add_poll(struct aioring *ring, const struct mode *m, int fd,
		     unsigned events, uint64_t data)
{
	struct aioring_sqe *sqe = t_get_sqe(ring);

	aioring_prep_poll_add(sqe, fd, events);
	sqe->flags |= m->sqe_flags;
	aioring_sqe_set_data64(sqe, data);
}

static void run_mode(const struct mode *m, int pfd[2], int file)
{
	struct aioring_params p;
	struct aioring_cqe cqe;
	struct aioring_sqe *sqe;
	struct aioring ring;
	int ret, rfd = pfd[0], ffd = file;

	t_log("mode %s", m->name);
	memset(&p, 0, sizeof(p));
	p.flags = m->setup_flags;
	ret = aioring_queue_init_params(8, &ring, &p);
	if (ret)
		t_fail("%s: setup: %s", m->name, t_resname(ret));
	if (m->fixed) {
		T_RES(aioring_register_files(&ring, (int[]){ pfd[0], file }, 2), 0);
		rfd = 0;
		ffd = 1;
	}

	add_poll(&ring, m, rfd, POLLIN, 0x1);
	T_RES(aioring_submit(&ring), 1);
	t_sleep_ms(100);
	t_expect_no_cqe(&ring);
	T_EQ(write(pfd[1], "x", 1), 1);
	t_expect_cqe(&ring, 0x1, POLLIN);
	T_EQ(read(pfd[0], (char[1]){ 0 }, 1), 1);

	add_poll(&ring, m, ffd, POLLIN | POLLOUT | POLLPRI, 0x2);
	T_RES(aioring_submit(&ring), 1);
	t_reap(&ring, &cqe, 1);
	if (cqe.user_data != 0x2 || cqe.res != (POLLIN | POLLOUT))
		t_fail("%s: regular file: expected POLLIN|POLLOUT, got %s",
		       m->name, t_resname(cqe.res));

	add_poll(&ring, m, rfd, POLLIN, 0x3);
	T_RES(aioring_submit(&ring), 1);
	t_sleep_ms(100);
	t_expect_no_cqe(&ring);
	sqe = t_get_sqe(&ring);
	aioring_prep_poll_remove(sqe, 0x3);
	aioring_sqe_set_data64(sqe, 0x4);
	T_RES(aioring_submit(&ring), 1);
	t_expect_cqe(&ring, 0x3, -ECANCELED);
	t_expect_cqe(&ring, 0x4, 0);
	t_expect_no_cqe(&ring);
	aioring_queue_exit(&ring);
}

int main(void)
{
	static const struct mode modes[] = {
		{ "inline", 0, 0, 0 },
		{ "SQE_ASYNC", 0, AIORING_SQE_ASYNC, 0 },
		{ "SQWQ", AIORING_SETUP_SQWQ, 0, 0 },
		{ "SQTHREAD", AIORING_SETUP_SQTHREAD, AIORING_SQE_FIXED_FILE, 1 },
	};
	struct aioring_stats st;
	struct aioring ring;
	int pfd[2], file;
	unsigned i;

	t_require_device();
	T_SYSOK(pipe(pfd));
	file = t_create_file(4096, NULL, NULL, 0);
	for (i = 0; i < T_ARRAY_SIZE(modes); i++)
		run_mode(&modes[i], pfd, file);

	/* On a SQWQ ring the regular-file poll really went to a worker. */
	if (aioring_queue_init(4, &ring, AIORING_SETUP_SQWQ))
		t_fail("SQWQ setup");
	add_poll(&ring, &modes[0], file, POLLIN, 0x5);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 0x5, POLLIN);
	T_RES(aioring_get_stats(&ring, &st), 0);
	T_EQ(st.punted, 1);
	aioring_queue_exit(&ring);

	close(pfd[0]);
	close(pfd[1]);
	close(file);
	return T_EXIT_PASS;
}
