/* SPDX-License-Identifier: MIT */
/*
 * Description: FSYNC on an IOPOLL ring completes with -EINVAL, as in
 * io_uring: a polled ring only takes what can be polled. (It used to
 * answer -EAGAIN, which says "try again" to a request that never can.)
 */
#include <fcntl.h>

#include "t_helpers.h"

int main(void)
{
	struct aioring_params p;
	struct aioring_sqe *sqe;
	struct aioring ring;
	char path[256];
	int fd, ret;

	t_require_device();
	memset(&p, 0, sizeof(p));
	p.flags = AIORING_SETUP_IOPOLL;
	ret = aioring_queue_init_params(4, &ring, &p);
	if (ret)
		t_fail("IOPOLL ring: %s", t_resname(ret));
	fd = t_create_file(4096, NULL, path, sizeof(path));
	sqe = t_get_sqe(&ring);
	aioring_prep_fsync(sqe, fd, 0);
	aioring_sqe_set_data64(sqe, 7);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 7, -EINVAL);
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}
