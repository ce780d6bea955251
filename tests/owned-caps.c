/* SPDX-License-Identifier: MIT */
/*
 * Description: the admin's per-user caps hold, with a clear errno and no
 * hang. With max_rings_per_user at 3, an unprivileged user's fourth open
 * of /dev/aioring fails with EMFILE, and succeeds once one of the three is
 * closed (the count follows close). With max_workers_per_user at 1 and
 * two worker-mode rings of 4 workers each, 32 punted reads on each ring
 * all complete (the cap queues work, it fails none), and together the two
 * rings never show more than 1 + 1 + 1 workers (each ring's first is not
 * counted against the cap). The parameters are restored afterwards.
 */
#include <sys/wait.h>

#include "t_async.h"

#define PARAM_DIR "/sys/module/aioring/parameters/"
#define NR 32

static char file_path[256];

static unsigned get_param(const char *name)
{
	char path[256], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		t_fail("%s: %s", path, t_errname(errno));
	fclose(f);
	return (unsigned)strtoul(buf, NULL, 10);
}

static void set_param(const char *name, unsigned v)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%u\n", v) < 0 || fclose(f))
		t_fail("writing %u to %s: %s", v, path, t_errname(errno));
}

static void rings_child(void)
{
	int fds[3], i, fd;

	t_become_user(T_USER_UID);
	for (i = 0; i < 3; i++)
		fds[i] = t_open_dev();
	fd = open("/dev/aioring", O_RDWR);
	if (fd >= 0 || errno != EMFILE)
		t_fail("4th ring with max_rings_per_user=3: expected EMFILE, got %s",
		       fd >= 0 ? "success" : t_errname(errno));
	close(fds[0]);
	fd = t_open_dev();
	close(fd);
	_exit(0);
}

static void workers_child(void)
{
	static char bufs[2][NR][4096];
	struct aioring rings[2];
	struct aioring_params p;
	int fd, r, i, seen = 0, most = 0;

	t_become_user(T_USER_UID);
	fd = T_SYSOK(open(file_path, O_RDONLY));
	for (r = 0; r < 2; r++) {
		memset(&p, 0, sizeof(p));
		p.flags = AIORING_SETUP_SQWQ;
		p.max_workers = 4;
		T_RES(aioring_queue_init_params(NR, &rings[r], &p), 0);
		for (i = 0; i < NR; i++) {
			struct aioring_sqe *sqe = t_get_sqe(&rings[r]);

			aioring_prep_read(sqe, fd, bufs[r][i], 4096,
					  (uint64_t)i * 4096);
			aioring_sqe_set_data64(sqe, i);
		}
		t_submit(&rings[r], NR);
	}
	while (seen < 2 * NR) {
		long w = t_fdinfo_num(rings[0].ring_fd, "Workers") +
			 t_fdinfo_num(rings[1].ring_fd, "Workers");
		struct aioring_cqe *cqe;

		if (w > most)
			most = w;
		for (r = 0; r < 2; r++) {
			while (!aioring_peek_cqe(&rings[r], &cqe)) {
				if (cqe->res != 4096)
					t_fail("ring %d read %llu: %s", r,
					       (unsigned long long)cqe->user_data,
					       t_resname(cqe->res));
				aioring_cqe_seen(&rings[r], cqe);
				seen++;
			}
		}
		t_sleep_ms(1);
	}
	if (most > 3)
		t_fail("%d workers on two rings with max_workers_per_user=1", most);
	t_log("at most %d workers on the two rings; all %d reads completed",
	      most, 2 * NR);
	_exit(0);
}

static void run(void (*fn)(void), const char *what)
{
	pid_t pid = T_SYSOK(fork());

	if (pid == 0)
		fn();
	t_expect_child_exit(pid, 0, what);
}

int main(void)
{
	unsigned rings, workers;

	t_require_device();
	if (getuid() != 0)
		t_skip("needs root to set parameters and drop privileges");
	rings = get_param("max_rings_per_user");
	workers = get_param("max_workers_per_user");
	t_create_file(NR * 4096, NULL, file_path, sizeof(file_path));

	set_param("max_rings_per_user", 3);
	run(rings_child, "max_rings_per_user");
	set_param("max_rings_per_user", rings);

	set_param("max_workers_per_user", 1);
	run(workers_child, "max_workers_per_user");
	set_param("max_workers_per_user", workers);
	return T_EXIT_PASS;
}
