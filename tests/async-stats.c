/* SPDX-License-Identifier: MIT */
/*
 * Description: AIORING_IOC_STATS and fdinfo report the per-ring counters:
 * -EBADFD before setup, exact counts after a batch of NOPs, and the same
 * numbers in /proc/self/fdinfo.
 */
#include <fcntl.h>

#include "t_async.h"

#define NR 40

static unsigned long long fdinfo_field(int fd, const char *name)
{
	char path[64], line[256];
	unsigned long long v = ~0ULL;
	size_t len = strlen(name);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		t_fail("open %s: %s", path, t_errname(errno));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':')
			v = strtoull(line + len + 1, NULL, 10);
	fclose(f);
	if (v == ~0ULL)
		t_fail("%s: no %s field", path, name);
	return v;
}

int main(void)
{
	struct aioring_stats st;
	struct aioring ring;
	unsigned i;
	int fd;

	t_require_device();

	fd = t_open_dev();
	T_SYSERR(ioctl(fd, AIORING_IOC_STATS, &st), EBADFD);
	close(fd);

	t_ring_mode(&ring, 8, 0);
	T_CHECK(ring.features & AIORING_FEAT_STATS);
	T_SYSERR(ioctl(ring.ring_fd, AIORING_IOC_STATS, (void *)8), EFAULT);
	t_stats(&ring, &st);
	T_EQ(st.submitted, 0);
	for (i = 0; i < NR; i++)
		t_nop_roundtrip(&ring, i);
	t_stats(&ring, &st);
	t_print_stats("nops", &st);
	T_EQ(st.submitted, NR);
	T_EQ(st.completed_inline, NR);
	T_EQ(st.punted, 0);
	T_EQ(st.completed_waitq, 0);
	for (i = 0; i < T_ARRAY_SIZE(st.resv); i++)
		T_EQ(st.resv[i], 0);
	T_EQ(fdinfo_field(ring.ring_fd, "Submitted"), NR);
	T_EQ(fdinfo_field(ring.ring_fd, "CompletedInline"), NR);
	T_EQ(fdinfo_field(ring.ring_fd, "SqEntries"), 8);
	aioring_queue_exit(&ring);
	return T_EXIT_PASS;
}
