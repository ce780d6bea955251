// SPDX-License-Identifier: MIT
/*
 * aioring-info: what an admin needs to know about aioring on this machine,
 * in one command.
 *
 *   - the module: loaded or not, its version, the kernel interfaces its
 *     build found (module/probe.sh), its parameters and /dev/aioring; when
 *     it is not loaded, the same facts read from an installed aioring.ko;
 *   - the kernel (uname);
 *   - io_uring: whether io_uring_setup(2) works for this process and, if
 *     not, why (kernel.io_uring_disabled, a seccomp filter, not built);
 *   - every mounted file system: whether a buffered read there can complete
 *     without a worker (async buffered reads, "RASYNC"), as the module
 *     itself judges an open file on it (AIORING_IOC_PROBE_FILE).
 *
 * Plain text by default, JSON with --json (keys in aioring-info(1)). It
 * only reads, and exits 0 whenever it printed its report, including when
 * the module is missing: that is information, not an error. 2 is a usage
 * error, 1 a failure to write the report.
 *
 * It is linked statically so it runs in the busybox test guests too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "aioring.h"

#ifndef AIORING_VERSION
#define AIORING_VERSION "unknown"
#endif
#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425	/* the same number on every architecture */
#endif

#define SYS_MODULE	"/sys/module/aioring"
#define MAX_PARAMS	32
/* Bounds of the search for a readable regular file on each mount. */
#define SEARCH_MAX_DIRS		64
#define SEARCH_MAX_ENTRIES	2000
#define SEARCH_MAX_DEPTH	4

struct param {
	char	name[64];
	char	value[256];
};

struct module_info {
	bool	loaded;
	const char *source;		/* "sysfs", "file" or NULL */
	char	file[PATH_MAX];		/* the installed module read, if any */
	char	version[64];
	char	srcversion[64];
	char	features[512];
	char	note[PATH_MAX + 128];	/* why something is missing */
	struct param params[MAX_PARAMS];
	int	nr_params;

	bool	dev_present;
	struct stat dev_st;
	int	dev_open_err;		/* 0: opened; else errno */
	int	ring_fd;		/* open /dev/aioring, or -1 */
};

struct uring_info {
	bool	available;
	int	err;			/* errno of io_uring_setup(2) */
	char	reason[512];
	long	disabled;		/* kernel.io_uring_disabled; -1 absent */
	long	group;			/* kernel.io_uring_group; LONG_MIN absent */
	char	config[8];		/* CONFIG_IO_URING: "y", "n" or "" */
	long	seccomp;		/* Seccomp: of /proc/self/status; -1 unknown */
	long	seccomp_filters;
};

enum fs_status { FS_PROBED, FS_NOT_APPLICABLE, FS_UNKNOWN };

struct fs_info {
	char	mnt[PATH_MAX];
	char	type[64];
	char	source[256];
	enum fs_status status;
	char	reason[256];
	char	probe_file[PATH_MAX];
	bool	tmpfile;		/* probed an unnamed O_TMPFILE */
	unsigned caps;			/* AIORING_FILE_* when FS_PROBED */
};

static struct module_info mod = { .ring_fd = -1 };
static struct uring_info uring;
static struct utsname uts;
static struct fs_info *fss;
static size_t nr_fss;

/* ---- small helpers ------------------------------------------------------ */

/* Read a small text file, without the trailing newline. 0 or -errno. */
static int read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static long read_long(const char *path, long absent)
{
	char buf[64], *end;
	long v;

	if (read_text(path, buf, sizeof(buf)))
		return absent;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf)
		return absent;
	return v;
}

/* Copy, truncating to fit: every field here has a sane bound. */
static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Run argv (no shell) and capture its standard output, trimmed. 0 if it
 * exited 0, else -1.
 */
static int run_capture(char *const argv[], char *out, size_t len)
{
	int pipefd[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(pipefd[1], STDOUT_FILENO);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (got < len - 1 &&
	       (n = read(pipefd[0], out + got, len - 1 - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		got += n;
	}
	out[got] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	while (got > 0 && (out[got - 1] == '\n' || out[got - 1] == ' '))
		out[--got] = '\0';
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- the module ------------------------------------------------------- */

static int param_cmp(const void *a, const void *b)
{
	return strcmp(((const struct param *)a)->name,
		      ((const struct param *)b)->name);
}

static void module_from_sysfs(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	mod.source = "sysfs";
	read_text(SYS_MODULE "/version", mod.version, sizeof(mod.version));
	read_text(SYS_MODULE "/srcversion", mod.srcversion,
		  sizeof(mod.srcversion));
	read_text(SYS_MODULE "/parameters/features", mod.features,
		  sizeof(mod.features));

	dir = opendir(SYS_MODULE "/parameters");
	if (!dir)
		return;
	while ((de = readdir(dir)) && mod.nr_params < MAX_PARAMS) {
		struct param *p = &mod.params[mod.nr_params];

		if (de->d_name[0] == '.')
			continue;
		copy_str(p->name, sizeof(p->name), de->d_name);
		snprintf(path, sizeof(path), SYS_MODULE "/parameters/%s",
			 de->d_name);
		if (read_text(path, p->value, sizeof(p->value)))
			copy_str(p->value, sizeof(p->value), "(unreadable)");
		mod.nr_params++;
	}
	closedir(dir);
	qsort(mod.params, mod.nr_params, sizeof(mod.params[0]), param_cmp);
}

/*
 * The .modinfo section of an uncompressed ELF64 module: "key=value\0..."
 * strings. Returns 0 and fills version, srcversion and features, or -1.
 */
static int modinfo_from_elf(const char *path)
{
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	const char *shstr, *p, *end;
	unsigned char *buf = NULL;
	struct stat st;
	int fd, ret = -1;
	size_t size, i;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || st.st_size < (off_t)sizeof(*eh) ||
	    st.st_size > 256 << 20)
		goto out;
	size = st.st_size;
	buf = malloc(size);
	if (!buf || read(fd, buf, size) != (ssize_t)size)
		goto out;
	eh = (const Elf64_Ehdr *)buf;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shoff > size ||
	    (size - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum ||
	    eh->e_shstrndx >= eh->e_shnum)
		goto out;
	sh = (const Elf64_Shdr *)(buf + eh->e_shoff);
	if (sh[eh->e_shstrndx].sh_offset > size)
		goto out;
	shstr = (const char *)buf + sh[eh->e_shstrndx].sh_offset;
	for (i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset ||
		    sh[i].sh_name >= size - sh[eh->e_shstrndx].sh_offset)
			continue;
		if (strcmp(shstr + sh[i].sh_name, ".modinfo"))
			continue;
		p = (const char *)buf + sh[i].sh_offset;
		end = p + sh[i].sh_size;
		while (p < end) {
			size_t n = strnlen(p, end - p);
			char entry[1024];

			snprintf(entry, sizeof(entry), "%.*s", (int)n, p);
			if (!strncmp(entry, "version=", 8))
				copy_str(mod.version, sizeof(mod.version), entry + 8);
			else if (!strncmp(entry, "srcversion=", 11))
				copy_str(mod.srcversion, sizeof(mod.srcversion), entry + 11);
			else if (!strncmp(entry, "features=", 9))
				copy_str(mod.features, sizeof(mod.features), entry + 9);
			p += n + 1;
		}
		ret = 0;
		break;
	}
out:
	free(buf);
	close(fd);
	return ret;
}

/* A compressed module: ask modinfo(8), which decompresses. */
static int modinfo_from_tool(const char *path)
{
	char *argv[] = { "modinfo", "-F", NULL, (char *)path, NULL };

	argv[2] = "version";
	if (run_capture(argv, mod.version, sizeof(mod.version)))
		return -1;
	argv[2] = "srcversion";
	run_capture(argv, mod.srcversion, sizeof(mod.srcversion));
	argv[2] = "features";
	run_capture(argv, mod.features, sizeof(mod.features));
	return 0;
}

static bool is_module_name(const char *base)
{
	static const char *const names[] = {
		"aioring.ko", "aioring.ko.xz", "aioring.ko.zst", "aioring.ko.gz",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(base, names[i]))
			return true;
	return false;
}

static int find_cb(const char *path, const struct stat *st, int type,
		   struct FTW *ftw)
{
	(void)st;
	if (type == FTW_F && is_module_name(path + ftw->base)) {
		copy_str(mod.file, sizeof(mod.file), path);
		return 1;
	}
	return 0;
}

/*
 * Where modprobe would look: /lib/modules/<release>/, updates/ first (DKMS
 * installs there and depmod ranks it first). Symlinks (build, source) are
 * not followed.
 */
static bool find_installed(void)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "/lib/modules/%s/updates", uts.release);
	if (nftw(dir, find_cb, 16, FTW_PHYS) == 1)
		return true;
	snprintf(dir, sizeof(dir), "/lib/modules/%s", uts.release);
	return nftw(dir, find_cb, 16, FTW_PHYS) == 1;
}

static void module_from_file(const char *forced)
{
	size_t n;
	int ret;

	if (forced) {
		copy_str(mod.file, sizeof(mod.file), forced);
	} else if (!find_installed()) {
		snprintf(mod.note, sizeof(mod.note),
			 "no installed aioring.ko under /lib/modules/%s",
			 uts.release);
		return;
	}
	n = strlen(mod.file);
	if (n > 3 && !strcmp(mod.file + n - 3, ".ko"))
		ret = modinfo_from_elf(mod.file);
	else
		ret = modinfo_from_tool(mod.file);
	if (ret) {
		snprintf(mod.note, sizeof(mod.note), "cannot read the module information of %s",
			 mod.file);
		return;
	}
	mod.source = "file";
}

static void probe_module(const char *forced_file)
{
	struct stat st;

	mod.loaded = stat(SYS_MODULE, &st) == 0;
	if (mod.loaded)
		module_from_sysfs();
	else
		module_from_file(forced_file);

	mod.dev_present = stat(AIORING_DEVICE, &mod.dev_st) == 0;
	mod.ring_fd = open(AIORING_DEVICE, O_RDWR | O_CLOEXEC);
	mod.dev_open_err = mod.ring_fd < 0 ? errno : 0;
}

/* ---- io_uring ----------------------------------------------------------- */

/* CONFIG_IO_URING from /boot/config-<release> or /proc/config.gz. */
static void probe_config(void)
{
	char path[PATH_MAX], line[256];
	char *argv[] = { "gzip", "-dc", "/proc/config.gz", NULL };
	static char gz[1 << 20];
	const char *p;
	FILE *f;

	snprintf(path, sizeof(path), "/boot/config-%s", uts.release);
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "CONFIG_IO_URING=", 16))
				copy_str(uring.config, sizeof(uring.config), "y");
			else if (!strncmp(line, "# CONFIG_IO_URING is not set", 28))
				copy_str(uring.config, sizeof(uring.config), "n");
		}
		fclose(f);
		return;
	}
	if (access("/proc/config.gz", R_OK) || run_capture(argv, gz, sizeof(gz)))
		return;
	if ((p = strstr(gz, "\nCONFIG_IO_URING=")))
		copy_str(uring.config, sizeof(uring.config), "y");
	else if ((p = strstr(gz, "# CONFIG_IO_URING is not set")))
		copy_str(uring.config, sizeof(uring.config), "n");
}

static void probe_seccomp(void)
{
	char line[256];
	FILE *f;

	uring.seccomp = -1;
	uring.seccomp_filters = -1;
	f = fopen("/proc/self/status", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Seccomp:", 8))
			uring.seccomp = strtol(line + 8, NULL, 10);
		else if (!strncmp(line, "Seccomp_filters:", 16))
			uring.seccomp_filters = strtol(line + 16, NULL, 10);
	}
	fclose(f);
}

static void probe_io_uring(void)
{
	/* struct io_uring_params is 120 bytes; zeroed means no flags. */
	unsigned char params[120];
	char filters[64] = "";
	long fd;

	uring.disabled = read_long("/proc/sys/kernel/io_uring_disabled", -1);
	uring.group = read_long("/proc/sys/kernel/io_uring_group", LONG_MIN);
	probe_seccomp();
	probe_config();
	if (uring.seccomp_filters >= 0)
		snprintf(filters, sizeof(filters), ", %ld filter(s)",
			 uring.seccomp_filters);

	memset(params, 0, sizeof(params));
	fd = syscall(__NR_io_uring_setup, 1, params);
	if (fd >= 0) {
		close(fd);
		uring.available = true;
		copy_str(uring.reason, sizeof(uring.reason),
			 "io_uring_setup(2) works for this process");
		return;
	}
	uring.err = errno;

	if (uring.err == EPERM && uring.disabled == 2) {
		copy_str(uring.reason, sizeof(uring.reason),
			 "disabled by kernel.io_uring_disabled=2");
	} else if (uring.err == EPERM && uring.disabled == 1) {
		snprintf(uring.reason, sizeof(uring.reason),
			 "disabled by kernel.io_uring_disabled=1 for processes outside kernel.io_uring_group (gid %ld) without CAP_SYS_ADMIN",
			 uring.group);
	} else if (uring.err == ENOSYS && !strcmp(uring.config, "n")) {
		copy_str(uring.reason, sizeof(uring.reason),
			 "not built: the kernel config has no CONFIG_IO_URING");
	} else if (uring.seccomp == 2) {
		snprintf(uring.reason, sizeof(uring.reason),
			 "io_uring_setup(2) fails with %s under a seccomp filter (Seccomp: 2%s), which most likely refuses it%s",
			 strerrorname_np(uring.err) ?: "an error", filters,
			 !strcmp(uring.config, "y") ? "; the kernel has CONFIG_IO_URING=y" : "");
	} else if (uring.err == ENOSYS) {
		copy_str(uring.reason, sizeof(uring.reason),
			 !strcmp(uring.config, "y") ?
			 "io_uring_setup(2) fails with ENOSYS although the kernel config has CONFIG_IO_URING=y" :
			 "not built: the kernel has no io_uring (CONFIG_IO_URING)");
	} else if (uring.err == EPERM) {
		copy_str(uring.reason, sizeof(uring.reason),
			 "io_uring_setup(2) fails with EPERM; neither kernel.io_uring_disabled nor a seccomp filter explains it (a security module may)");
	} else {
		snprintf(uring.reason, sizeof(uring.reason),
			 "io_uring_setup(2) fails with %s (%s)",
			 strerrorname_np(uring.err) ?: "an error", strerror(uring.err));
	}
}

/* ---- file systems ---------------------------------------------------- */

/* File systems with no file data to read: not applicable. */
static bool pseudo_fs(const char *type)
{
	static const char *const pseudo[] = {
		"proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2",
		"debugfs", "tracefs", "securityfs", "pstore", "bpf", "configfs",
		"mqueue", "hugetlbfs", "fusectl", "binfmt_misc", "autofs",
		"efivarfs", "rpc_pipefs", "nsfs", "selinuxfs", "nfsd",
	};
	size_t i;

	for (i = 0; i < sizeof(pseudo) / sizeof(pseudo[0]); i++)
		if (!strcmp(type, pseudo[i]))
			return true;
	return false;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/*
 * A readable regular file on the file system of @root (device @dev),
 * breadth first, not crossing into other mounts, within the SEARCH_*
 * bounds. Returns an open fd and its path, or -1.
 */
static int find_file(const char *root, dev_t dev, char *found, size_t len)
{
	char (*queue)[PATH_MAX];
	unsigned head = 0, tail = 0, entries = 0;
	unsigned depth[SEARCH_MAX_DIRS];
	int ret = -1;

	queue = malloc(sizeof(*queue) * SEARCH_MAX_DIRS);
	if (!queue)
		return -1;
	copy_str(queue[tail], PATH_MAX, root);
	depth[tail++] = 0;
	while (head < tail && ret < 0 && entries < SEARCH_MAX_ENTRIES) {
		const char *dir = queue[head];
		unsigned d = depth[head++];
		struct dirent *de;
		DIR *dp = opendir(dir);

		if (!dp)
			continue;
		while ((de = readdir(dp)) && ret < 0 &&
		       entries++ < SEARCH_MAX_ENTRIES) {
			char path[PATH_MAX];
			struct stat st;
			int fd;

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (snprintf(path, sizeof(path), "%s%s%s", dir,
				     dir[strlen(dir) - 1] == '/' ? "" : "/",
				     de->d_name) >= (int)sizeof(path))
				continue;
			if (lstat(path, &st) || st.st_dev != dev)
				continue;
			if (S_ISDIR(st.st_mode)) {
				if (d + 1 < SEARCH_MAX_DEPTH && tail < SEARCH_MAX_DIRS) {
					copy_str(queue[tail], PATH_MAX, path);
					depth[tail++] = d + 1;
				}
				continue;
			}
			if (!S_ISREG(st.st_mode))
				continue;
			/* O_NOFOLLOW/O_NONBLOCK: never a symlink, never hang. */
			fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
				  O_NOCTTY | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_dev != dev) {
				close(fd);
				continue;
			}
			copy_str(found, len, path);
			ret = fd;
		}
		closedir(dp);
	}
	free(queue);
	return ret;
}

static void probe_fs(struct fs_info *fs, dev_t dev)
{
	struct aioring_probe_file pf;
	struct stat st;
	int fd;

	if (pseudo_fs(fs->type)) {
		fs->status = FS_NOT_APPLICABLE;
		copy_str(fs->reason, sizeof(fs->reason), "pseudo file system");
		return;
	}
	fs->status = FS_UNKNOWN;
	if (mod.ring_fd < 0) {
		if (!mod.loaded)
			copy_str(fs->reason, sizeof(fs->reason), "module not loaded");
		else
			snprintf(fs->reason, sizeof(fs->reason), "cannot open %s: %s",
				 AIORING_DEVICE, strerror(mod.dev_open_err));
		return;
	}
	if (stat(fs->mnt, &st)) {
		snprintf(fs->reason, sizeof(fs->reason), "cannot stat the mount point: %s",
			 strerror(errno));
		return;
	}
	if (st.st_dev != dev) {
		copy_str(fs->reason, sizeof(fs->reason),
			 "mount point covered by another mount");
		return;
	}
	fd = find_file(fs->mnt, dev, fs->probe_file, sizeof(fs->probe_file));
	if (fd < 0) {
		/*
		 * An empty file system (a fresh one, a tmpfs): where this user
		 * may write, an unnamed file answers as well. It has no name,
		 * so it vanishes at close and nobody else ever sees it.
		 */
		fd = open(fs->mnt, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd >= 0 && (fstat(fd, &st) || st.st_dev != dev)) {
			close(fd);
			fd = -1;
		}
		if (fd < 0) {
			copy_str(fs->reason, sizeof(fs->reason),
				 "no readable regular file");
			return;
		}
		fs->tmpfile = true;
	}
	memset(&pf, 0, sizeof(pf));
	pf.fd = fd;
	if (ioctl(mod.ring_fd, AIORING_IOC_PROBE_FILE, &pf)) {
		snprintf(fs->reason, sizeof(fs->reason), "%s",
			 errno == ENOTTY ?
			 "the loaded module has no AIORING_IOC_PROBE_FILE" :
			 strerror(errno));
		fs->probe_file[0] = '\0';
	} else {
		fs->status = FS_PROBED;
		fs->caps = pf.caps;
	}
	close(fd);
}

static void probe_filesystems(void)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char *fields[10], *sep, *save = NULL, *tok;
		unsigned maj, min;
		struct fs_info *fs;
		int n = 0;

		/* id parent maj:min root mount-point opts [optional...] - type source sopts */
		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		for (tok = strtok_r(line, " ", &save); tok && n < 5;
		     tok = strtok_r(NULL, " ", &save))
			fields[n++] = tok;
		save = NULL;
		for (tok = strtok_r(sep + 3, " \n", &save); tok && n < 7;
		     tok = strtok_r(NULL, " \n", &save))
			fields[n++] = tok;
		if (n < 7 || sscanf(fields[2], "%u:%u", &maj, &min) != 2)
			continue;
		fs = realloc(fss, (nr_fss + 1) * sizeof(*fss));
		if (!fs)
			break;
		fss = fs;
		fs = &fss[nr_fss++];
		memset(fs, 0, sizeof(*fs));
		unescape(fields[4]);
		unescape(fields[6]);
		copy_str(fs->mnt, sizeof(fs->mnt), fields[4]);
		copy_str(fs->type, sizeof(fs->type), fields[5]);
		copy_str(fs->source, sizeof(fs->source), fields[6]);
		probe_fs(fs, makedev(maj, min));
	}
	free(line);
	fclose(f);
}

/* ---- output: plain text ------------------------------------------------- */

static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

/* "  key:   " with the values aligned. */
static void KEY(const char *k)
{
	printf("  %s:%*s", k, (int)(23 - strlen(k)), "");
}

static void print_plain(void)
{
	int i;
	size_t j, w = 5;

	printf("aioring-info %s\n\nModule\n", AIORING_VERSION);
	KEY("loaded");
	printf("%s\n", mod.loaded ? "yes" : "no: the aioring module is not loaded");
	if (!mod.loaded) {
		KEY("installed module");
		printf("%s\n", mod.file[0] ? mod.file : "none found");
	}
	if (mod.note[0]) {
		KEY("note");
		printf("%s\n", mod.note);
	}
	if (mod.source) {
		KEY("version");
		printf("%s\n", mod.version[0] ? mod.version : "(none)");
		KEY("srcversion");
		printf("%s\n", mod.srcversion[0] ? mod.srcversion : "(none)");
		KEY("build features");
		printf("%s\n", mod.features[0] ? mod.features : "(none recorded)");
	}
	KEY("device");
	if (mod.dev_present)
		printf("%s (mode %04o, uid %u, gid %u), %s\n", AIORING_DEVICE,
		       mod.dev_st.st_mode & 07777, mod.dev_st.st_uid,
		       mod.dev_st.st_gid,
		       mod.dev_open_err ? strerror(mod.dev_open_err) : "opens");
	else
		printf("%s absent\n", AIORING_DEVICE);
	if (mod.nr_params) {
		printf("  parameters:\n");
		for (i = 0; i < mod.nr_params; i++)
			printf("    %-20s %s\n", mod.params[i].name,
			       mod.params[i].value);
	}

	printf("\nKernel\n");
	KEY("release");
	printf("%s\n", uts.release);
	KEY("version");
	printf("%s\n", uts.version);
	KEY("machine");
	printf("%s\n", uts.machine);

	printf("\nio_uring\n");
	KEY("available");
	printf("%s\n", uring.available ? "yes" : "no");
	KEY(uring.available ? "detail" : "reason");
	printf("%s\n", uring.reason);
	KEY("io_uring_disabled");
	if (uring.disabled >= 0)
		printf("%ld\n", uring.disabled);
	else
		printf("(no such sysctl: kernel before 6.6)\n");
	if (uring.group != LONG_MIN) {
		KEY("io_uring_group");
		printf("%ld\n", uring.group);
	}
	KEY("CONFIG_IO_URING");
	printf("%s\n", uring.config[0] ? uring.config : "(kernel config not readable)");
	KEY("seccomp");
	if (uring.seccomp < 0)
		printf("(unknown)\n");
	else if (uring.seccomp_filters >= 0)
		printf("%ld (%ld filters)\n", uring.seccomp, uring.seccomp_filters);
	else
		printf("%ld\n", uring.seccomp);

	printf("\nFile systems: async buffered reads (RASYNC)\n");
	for (j = 0; j < nr_fss; j++)
		if (strlen(fss[j].mnt) > w)
			w = strlen(fss[j].mnt);
	if (w > 40)
		w = 40;
	printf("  %-*s %-10s %s\n", (int)w, "MOUNT", "TYPE", "RASYNC");
	for (j = 0; j < nr_fss; j++) {
		const struct fs_info *fs = &fss[j];
		unsigned c = fs->caps;

		printf("  %-*s %-10s ", (int)w, fs->mnt, fs->type);
		if (fs->status == FS_NOT_APPLICABLE)
			printf("n/a (%s)\n", fs->reason);
		else if (fs->status == FS_UNKNOWN)
			printf("unknown (%s)\n", fs->reason);
		else
			printf("%-3s    waitq=%s nowait=%s wasync=%s iopoll=%s async=%s\n",
			       yesno(c & AIORING_FILE_BUF_RASYNC),
			       yesno(c & AIORING_FILE_WAITQ),
			       yesno(c & AIORING_FILE_NOWAIT),
			       yesno(c & AIORING_FILE_BUF_WASYNC),
			       yesno(c & AIORING_FILE_IOPOLL),
			       yesno(c & AIORING_FILE_ASYNC));
	}
}

/* ---- output: JSON ------------------------------------------------------- */

/* Length of a valid UTF-8 sequence at s, or 0. */
static int utf8_len(const unsigned char *s)
{
	int n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	else if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A JSON string; bytes that are not UTF-8 become U+FFFD. */
static void jstr(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	while (*p) {
		int n;

		switch (*p) {
		case '"': fputs("\\\"", stdout); p++; continue;
		case '\\': fputs("\\\\", stdout); p++; continue;
		case '\n': fputs("\\n", stdout); p++; continue;
		case '\t': fputs("\\t", stdout); p++; continue;
		case '\r': fputs("\\r", stdout); p++; continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			printf("\\u%04x", *p++);
			continue;
		}
		n = utf8_len(p);
		if (!n) {
			fputs("\\ufffd", stdout);
			p++;
			continue;
		}
		fwrite(p, 1, n, stdout);
		p += n;
	}
	putchar('"');
}

static void jkey(const char *k, int indent, bool first)
{
	printf("%s\n%*s", first ? "" : ",", indent, "");
	jstr(k);
	fputs(": ", stdout);
}

static void jkstr(const char *k, const char *v, int indent, bool first)
{
	jkey(k, indent, first);
	jstr(v);
}

static void jkbool(const char *k, bool v, int indent)
{
	jkey(k, indent, false);
	fputs(v ? "true" : "false", stdout);
}

/* A nonempty string or null. */
static const char *or_null(const char *s)
{
	return s && s[0] ? s : NULL;
}

static void print_features_json(void)
{
	char buf[sizeof(mod.features)], *tok, *save = NULL;
	bool first = true;

	copy_str(buf, sizeof(buf), mod.features);
	fputs("[", stdout);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		fputs(first ? "" : ", ", stdout);
		jstr(tok);
		first = false;
	}
	fputs("]", stdout);
}

static void print_json(void)
{
	char mode[8];
	size_t j;
	int i;

	fputs("{", stdout);
	jkstr("aioring_info_version", AIORING_VERSION, 2, true);

	jkey("module", 2, false);
	fputs("{", stdout);
	jkey("loaded", 4, true);
	fputs(mod.loaded ? "true" : "false", stdout);
	jkstr("source", mod.source, 4, false);
	jkstr("file", or_null(mod.file), 4, false);
	jkstr("version", mod.source ? or_null(mod.version) : NULL, 4, false);
	jkstr("srcversion", mod.source ? or_null(mod.srcversion) : NULL, 4, false);
	jkey("features", 4, false);
	print_features_json();
	jkey("parameters", 4, false);
	fputs("{", stdout);
	for (i = 0; i < mod.nr_params; i++)
		jkstr(mod.params[i].name, mod.params[i].value, 6, i == 0);
	printf("%s}", mod.nr_params ? "\n    " : "");
	jkey("device", 4, false);
	fputs("{", stdout);
	jkstr("path", AIORING_DEVICE, 6, true);
	jkbool("present", mod.dev_present, 6);
	snprintf(mode, sizeof(mode), "%04o", mod.dev_st.st_mode & 07777);
	jkstr("mode", mod.dev_present ? mode : NULL, 6, false);
	jkey("uid", 6, false);
	if (mod.dev_present)
		printf("%u", mod.dev_st.st_uid);
	else
		fputs("null", stdout);
	jkey("gid", 6, false);
	if (mod.dev_present)
		printf("%u", mod.dev_st.st_gid);
	else
		fputs("null", stdout);
	jkbool("opens", mod.dev_open_err == 0, 6);
	jkstr("open_error", mod.dev_open_err ? strerror(mod.dev_open_err) : NULL, 6, false);
	fputs("\n    }", stdout);
	jkstr("note", or_null(mod.note), 4, false);
	fputs("\n  }", stdout);

	jkey("kernel", 2, false);
	fputs("{", stdout);
	jkstr("release", uts.release, 4, true);
	jkstr("version", uts.version, 4, false);
	jkstr("machine", uts.machine, 4, false);
	fputs("\n  }", stdout);

	jkey("io_uring", 2, false);
	fputs("{", stdout);
	jkey("available", 4, true);
	fputs(uring.available ? "true" : "false", stdout);
	jkstr("error", uring.available ? NULL : strerrorname_np(uring.err), 4, false);
	jkstr("reason", uring.reason, 4, false);
	jkey("io_uring_disabled", 4, false);
	if (uring.disabled >= 0)
		printf("%ld", uring.disabled);
	else
		fputs("null", stdout);
	jkey("io_uring_group", 4, false);
	if (uring.group != LONG_MIN)
		printf("%ld", uring.group);
	else
		fputs("null", stdout);
	jkstr("config_io_uring", or_null(uring.config), 4, false);
	jkey("seccomp", 4, false);
	if (uring.seccomp >= 0)
		printf("%ld", uring.seccomp);
	else
		fputs("null", stdout);
	jkey("seccomp_filters", 4, false);
	if (uring.seccomp_filters >= 0)
		printf("%ld", uring.seccomp_filters);
	else
		fputs("null", stdout);
	fputs("\n  }", stdout);

	jkey("filesystems", 2, false);
	fputs("[", stdout);
	for (j = 0; j < nr_fss; j++) {
		const struct fs_info *fs = &fss[j];
		static const char *const status[] = {
			[FS_PROBED] = "probed",
			[FS_NOT_APPLICABLE] = "not_applicable",
			[FS_UNKNOWN] = "unknown",
		};
		static const struct { const char *key; unsigned bit; } caps[] = {
			{ "rasync", AIORING_FILE_BUF_RASYNC },
			{ "waitq", AIORING_FILE_WAITQ },
			{ "nowait", AIORING_FILE_NOWAIT },
			{ "wasync", AIORING_FILE_BUF_WASYNC },
			{ "iopoll", AIORING_FILE_IOPOLL },
			{ "async", AIORING_FILE_ASYNC },
		};
		size_t k;

		printf("%s\n    {", j ? "," : "");
		jkstr("mount_point", fs->mnt, 6, true);
		jkstr("type", fs->type, 6, false);
		jkstr("source", fs->source, 6, false);
		jkstr("status", status[fs->status], 6, false);
		jkstr("reason", or_null(fs->reason), 6, false);
		jkstr("probe_file", or_null(fs->probe_file), 6, false);
		jkstr("probe_method", fs->status != FS_PROBED ? NULL :
		      fs->tmpfile ? "tmpfile" : "file", 6, false);
		jkey("caps", 6, false);
		if (fs->status == FS_PROBED)
			printf("%u", fs->caps);
		else
			fputs("null", stdout);
		for (k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
			jkey(caps[k].key, 6, false);
			if (fs->status == FS_PROBED)
				fputs(fs->caps & caps[k].bit ? "true" : "false", stdout);
			else
				fputs("null", stdout);
		}
		fputs("\n    }", stdout);
	}
	printf("%s]\n}\n", nr_fss ? "\n  " : "");
}

/* ---- main ---------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: aioring-info [--json] [--module FILE]\n"
		"Report the aioring module, the kernel, io_uring's availability\n"
		"and async buffered reads on every mounted file system.\n"
		"\n"
		"  -j, --json         JSON instead of text\n"
		"  -m, --module FILE  when the module is not loaded, describe FILE\n"
		"                     instead of the installed aioring.ko\n"
		"  -V, --version      print the version and exit\n"
		"  -h, --help         this text\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "module", required_argument, NULL, 'm' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *module_file = NULL;
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "jm:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'm':
			module_file = optarg;
			break;
		case 'V':
			printf("aioring-info %s\n", AIORING_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "aioring-info: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	uname(&uts);
	probe_module(module_file);
	probe_io_uring();
	probe_filesystems();
	if (mod.ring_fd >= 0)
		close(mod.ring_fd);

	if (json)
		print_json();
	else
		print_plain();
	free(fss);
	if (fflush(stdout) || ferror(stdout)) {
		perror("aioring-info: writing the report");
		return 1;
	}
	return 0;
}
