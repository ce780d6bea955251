/* SPDX-License-Identifier: MIT */
/*
 * Description: aioring-info blames seccomp when a filter refuses
 * io_uring_setup(2), as container runtimes' default profiles do: under a
 * filter returning EPERM, and one returning ENOSYS, the report says
 * "available: no", names the errno, and gives a reason naming the seccomp
 * filter; it still exits 0. Without a filter (the parent), io_uring must be
 * available for the test to mean anything, else it skips.
 *
 * AIORING_INFO names the program (default /usr/bin/aioring-info).
 */
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "t_helpers.h"

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif

static const char *prog;

/* In a child: filter io_uring_setup to -@err, run aioring-info, check it. */
static void run_filtered(int err, const char *name)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fprog = { .len = T_ARRAY_SIZE(insns), .filter = insns };
	char cmd[512], out[16384], want[64];
	size_t len = 0, n;
	int status;
	FILE *f;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog))
		t_fail("%s: installing the seccomp filter: %s", name, t_errname(errno));
	/* The filter works: the same call here fails as intended. */
	T_SYSERR(syscall(__NR_io_uring_setup, 1, (char[120]){ 0 }), err);

	snprintf(cmd, sizeof(cmd), "%s", prog);
	f = popen(cmd, "r");
	if (!f)
		t_fail("%s: popen %s: %s", name, prog, t_errname(errno));
	while ((n = fread(out + len, 1, sizeof(out) - 1 - len, f)) > 0)
		len += n;
	out[len] = '\0';
	status = pclose(f);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		t_fail("%s: expected exit 0, got status 0x%x", name, status);
	if (!strstr(out, "\n  available:              no\n")) {
		fputs(out, stderr);
		t_fail("%s: expected 'available: no'", name);
	}
	snprintf(want, sizeof(want), "fails with %s under a seccomp filter", name);
	if (!strstr(out, want)) {
		fputs(out, stderr);
		t_fail("%s: expected a reason containing '%s'", name, want);
	}
	exit(T_EXIT_PASS);
}

int main(void)
{
	static const struct { int err; const char *name; } cases[] = {
		{ EPERM, "EPERM" },
		{ ENOSYS, "ENOSYS" },
	};
	size_t i;
	long fd;

#ifndef __x86_64__
	t_skip("the filter here is written for x86-64 only");
#endif
	prog = getenv("AIORING_INFO");
	if (!prog || !*prog)
		prog = "/usr/bin/aioring-info";
	if (access(prog, X_OK))
		t_fail("%s: %s (set AIORING_INFO to the program)", prog, t_errname(errno));
	fd = syscall(__NR_io_uring_setup, 1, (char[120]){ 0 });
	if (fd < 0)
		t_skip("io_uring_setup fails here already (%s)", t_errname(errno));
	close(fd);

	for (i = 0; i < T_ARRAY_SIZE(cases); i++) {
		pid_t pid = fork();

		if (pid < 0)
			t_fail("fork: %s", t_errname(errno));
		if (pid == 0)
			run_filtered(cases[i].err, cases[i].name);
		t_expect_child_exit(pid, T_EXIT_PASS, cases[i].name);
	}
	return T_EXIT_PASS;
}
