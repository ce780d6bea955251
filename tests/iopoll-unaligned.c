/* SPDX-License-Identifier: MIT */
/*
 * Description: polled submission never waits for the ring's own polled
 * I/O. On an IOPOLL ring over ext4 on a device with poll queues, one ENTER
 * submits a polled O_DIRECT READ (4 KiB at 0 of a 1 MiB file) and then an
 * unaligned O_DIRECT WRITE past EOF (512 bytes at 1 MiB + 512), and waits
 * for both. ext4 makes an unaligned write wait for the inode's direct I/O
 * in flight: the READ, which only this ENTER polls. Before the fix the
 * WRITE was issued blocking in ENTER, which slept until the device's I/O
 * timeout and the READ failed with -ETIMEDOUT; now it goes to a worker
 * that polls for itself, ENTER returns at once, and the CQEs carry 4096
 * and 512 (io_uring on the same kernel: 8-17 ms, 4096 and 512).
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "t_async.h"

#define FILE_SIZE	(1 << 20)
#define ENTER_MAX_MS	1000

int main(void)
{
	const char *dir = getenv("AIORING_TEST_DIR_POLL");
	struct aioring_params p;
	struct aioring_cqe cqe;
	struct aioring_sqe *sqe;
	struct aioring ring;
	unsigned char *rbuf, *wbuf, *data, check[512];
	uint64_t t0, ms;
	char path[256];
	struct stat st;
	int fd, ret, i, seen = 0;

	t_require_device();
	if (!dir)
		t_skip("no AIORING_TEST_DIR_POLL (ext4 on a null_blk with poll queues)");
	setenv("AIORING_TEST_DIR", dir, 1);
	data = malloc(FILE_SIZE);
	fd = t_create_file(FILE_SIZE, data, path, sizeof(path));
	fsync(fd);
	close(fd);
	fd = open(path, O_RDWR | O_DIRECT);
	if (fd < 0)
		t_fail("open O_DIRECT: %s", t_errname(errno));
	rbuf = t_aligned_alloc(4096, 4096);
	wbuf = t_aligned_alloc(4096, 4096);
	t_fill_random(wbuf, 512);

	memset(&p, 0, sizeof(p));
	p.flags = AIORING_SETUP_IOPOLL;
	ret = aioring_queue_init_params(4, &ring, &p);
	if (ret)
		t_fail("IOPOLL setup: %s", t_resname(ret));
	sqe = t_get_sqe(&ring);
	aioring_prep_read(sqe, fd, rbuf, 4096, 0);
	aioring_sqe_set_data64(sqe, 1);
	sqe = t_get_sqe(&ring);
	aioring_prep_write(sqe, fd, wbuf, 512, FILE_SIZE + 512);
	aioring_sqe_set_data64(sqe, 2);
	t_publish(&ring);

	t0 = t_now_ns();
	ret = t_enter(ring.ring_fd, 2, 2,
		      AIORING_ENTER_GETEVENTS | AIORING_ENTER_TIMEOUT,
		      60ULL * 1000000000);
	ms = (t_now_ns() - t0) / 1000000;
	t_log("ENTER (polled READ, then unaligned WRITE past EOF) returned %d after %llu ms",
	      ret, (unsigned long long)ms);
	if (ret != 2)
		t_fail("ENTER: expected 2, got %d (%s)", ret,
		       ret < 0 ? t_errname(errno) : "-");
	if (ms > ENTER_MAX_MS)
		t_error("ENTER took %llu ms: it waited for its own polled READ",
			(unsigned long long)ms);
	for (i = 0; i < 2; i++) {
		t_reap(&ring, &cqe, 1);
		if (cqe.user_data == 1 && cqe.res == 4096)
			seen |= 1;
		else if (cqe.user_data == 2 && cqe.res == 512)
			seen |= 2;
		else
			t_error("CQE user_data %llu: %s",
				(unsigned long long)cqe.user_data,
				t_resname(cqe.res));
	}
	if (seen == 3) {
		t_check_buf(rbuf, data, 4096, "polled READ");
		T_SYSOK(fstat(fd, &st));
		T_EQ(st.st_size, FILE_SIZE + 1024);
		close(fd);
		fd = T_SYSOK(open(path, O_RDONLY));
		T_EQ(pread(fd, check, 512, FILE_SIZE + 512), 512);
		t_check_buf(check, wbuf, 512, "unaligned WRITE");
	}
	close(fd);
	aioring_queue_exit(&ring);
	return t_exit_status();
}
