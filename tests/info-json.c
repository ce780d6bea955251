/* SPDX-License-Identifier: MIT */
/*
 * Description: aioring-info --json prints one strictly valid JSON document
 * (checked by a strict parser here, itself checked on bad documents first)
 * whose facts agree with the system: module loaded or not as
 * /sys/module/aioring says, its version and features as sysfs says, the
 * kernel release as uname says, io_uring available exactly when
 * io_uring_setup(2) works for this test, and, with the module loaded, the
 * ext4 test directory's mount probed with async buffered reads. Without
 * the module (as on the lab's host), it still exits 0, says "loaded":
 * false, and reports no file system as probed. It puts a file in the test
 * directory, so the search for one is what gets exercised there (info-plain
 * sees the directory empty: the O_TMPFILE fallback).
 *
 * AIORING_INFO names the program (default /usr/bin/aioring-info, where
 * the lab's guests have it).
 */
#include <ctype.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "t_helpers.h"

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif

/* ---- a strict JSON parser (RFC 8259), into a small tree ------------------ */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
	enum jtype type;
	bool	b;
	double	num;
	char	*str;			/* J_STR value */
	char	**keys;			/* J_OBJ */
	struct jnode **kids;		/* J_ARR and J_OBJ */
	size_t	nr;
};

struct jparser {
	const char *p;
	const char *err;
	int	depth;
};

static struct jnode *jparse_value(struct jparser *jp);

static void jskip_ws(struct jparser *jp)
{
	while (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r')
		jp->p++;
}

static struct jnode *jnew(enum jtype t)
{
	struct jnode *n = calloc(1, sizeof(*n));

	if (!n)
		t_fail("out of memory");
	n->type = t;
	return n;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A string: escapes decoded to UTF-8; raw control bytes and bad UTF-8 refused. */
static char *jparse_string(struct jparser *jp)
{
	size_t cap = 64, len = 0;
	char *out = malloc(cap);

	if (!out)
		t_fail("out of memory");
	if (*jp->p != '"') {
		jp->err = "expected a string";
		goto err;
	}
	jp->p++;
	for (;;) {
		unsigned char c = *jp->p;
		char enc[4];
		int n = 0, i;

		if (len + 8 > cap && !(out = realloc(out, cap *= 2)))
			t_fail("out of memory");
		if (c == '"') {
			jp->p++;
			break;
		}
		if (c < 0x20) {
			jp->err = c ? "raw control character in a string" : "unterminated string";
			goto err;
		}
		if (c == '\\') {
			unsigned cp = 0;

			jp->p++;
			switch (*jp->p) {
			case '"': case '\\': case '/':
				out[len++] = *jp->p++;
				continue;
			case 'b': out[len++] = '\b'; jp->p++; continue;
			case 'f': out[len++] = '\f'; jp->p++; continue;
			case 'n': out[len++] = '\n'; jp->p++; continue;
			case 'r': out[len++] = '\r'; jp->p++; continue;
			case 't': out[len++] = '\t'; jp->p++; continue;
			case 'u':
				for (i = 1; i <= 4; i++) {
					int h = hexval(jp->p[i]);

					if (h < 0) {
						jp->err = "bad \\u escape";
						goto err;
					}
					cp = cp << 4 | h;
				}
				jp->p += 5;
				if (cp >= 0xd800 && cp <= 0xdfff) {
					/* Surrogates: not produced by aioring-info. */
					jp->err = "surrogate \\u escape";
					goto err;
				}
				if (cp < 0x80) {
					enc[n++] = cp;
				} else if (cp < 0x800) {
					enc[n++] = 0xc0 | cp >> 6;
					enc[n++] = 0x80 | (cp & 0x3f);
				} else {
					enc[n++] = 0xe0 | cp >> 12;
					enc[n++] = 0x80 | ((cp >> 6) & 0x3f);
					enc[n++] = 0x80 | (cp & 0x3f);
				}
				memcpy(out + len, enc, n);
				len += n;
				continue;
			default:
				jp->err = "bad escape";
				goto err;
			}
		}
		/* UTF-8: the lead byte says how many continuation bytes follow. */
		if (c < 0x80)
			n = 1;
		else if (c >= 0xc2 && c <= 0xdf)
			n = 2;
		else if (c >= 0xe0 && c <= 0xef)
			n = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 4;
		else {
			jp->err = "invalid UTF-8";
			goto err;
		}
		for (i = 1; i < n; i++)
			if (((unsigned char)jp->p[i] & 0xc0) != 0x80) {
				jp->err = "invalid UTF-8";
				goto err;
			}
		memcpy(out + len, jp->p, n);
		len += n;
		jp->p += n;
	}
	out[len] = '\0';
	return out;
err:
	free(out);
	return NULL;
}

static struct jnode *jparse_number(struct jparser *jp)
{
	const char *s = jp->p;
	struct jnode *n;

	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (isdigit((unsigned char)*s))
			s++;
	else
		return jp->err = "bad number", NULL;
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return jp->err = "bad fraction", NULL;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return jp->err = "bad exponent", NULL;
		while (isdigit((unsigned char)*s))
			s++;
	}
	n = jnew(J_NUM);
	n->num = strtod(jp->p, NULL);
	jp->p = s;
	return n;
}

static void jadd(struct jnode *n, char *key, struct jnode *kid)
{
	n->kids = realloc(n->kids, (n->nr + 1) * sizeof(*n->kids));
	n->keys = realloc(n->keys, (n->nr + 1) * sizeof(*n->keys));
	if (!n->kids || !n->keys)
		t_fail("out of memory");
	n->kids[n->nr] = kid;
	n->keys[n->nr++] = key;
}

static struct jnode *jparse_container(struct jparser *jp, bool obj)
{
	struct jnode *n = jnew(obj ? J_OBJ : J_ARR);
	char close = obj ? '}' : ']';
	size_t i;

	if (++jp->depth > 64)
		return jp->err = "nested too deep", NULL;
	jp->p++;
	jskip_ws(jp);
	if (*jp->p == close) {
		jp->p++;
		jp->depth--;
		return n;
	}
	for (;;) {
		char *key = NULL;
		struct jnode *kid;

		jskip_ws(jp);
		if (obj) {
			if (!(key = jparse_string(jp)))
				return NULL;
			for (i = 0; i < n->nr; i++)
				if (!strcmp(n->keys[i], key))
					return jp->err = "duplicate key", NULL;
			jskip_ws(jp);
			if (*jp->p++ != ':')
				return jp->err = "expected ':'", NULL;
		}
		if (!(kid = jparse_value(jp)))
			return NULL;
		jadd(n, key, kid);
		jskip_ws(jp);
		if (*jp->p == ',') {
			jp->p++;
			continue;
		}
		if (*jp->p++ != close)
			return jp->err = obj ? "expected ',' or '}'" : "expected ',' or ']'", NULL;
		jp->depth--;
		return n;
	}
}

static struct jnode *jparse_value(struct jparser *jp)
{
	struct jnode *n;

	jskip_ws(jp);
	switch (*jp->p) {
	case '{':
		return jparse_container(jp, true);
	case '[':
		return jparse_container(jp, false);
	case '"':
		n = jnew(J_STR);
		if (!(n->str = jparse_string(jp)))
			return NULL;
		return n;
	case 't':
	case 'f':
	case 'n':
		if (!strncmp(jp->p, "true", 4) || !strncmp(jp->p, "false", 5)) {
			n = jnew(J_BOOL);
			n->b = *jp->p == 't';
			jp->p += n->b ? 4 : 5;
			return n;
		}
		if (!strncmp(jp->p, "null", 4)) {
			jp->p += 4;
			return jnew(J_NULL);
		}
		return jp->err = "bad literal", NULL;
	default:
		return jparse_number(jp);
	}
}

/* The whole text must be one value with only white space around it. */
static struct jnode *jparse(const char *text, const char **err)
{
	struct jparser jp = { .p = text };
	struct jnode *n = jparse_value(&jp);

	if (n) {
		jskip_ws(&jp);
		if (*jp.p) {
			jp.err = "text after the value";
			n = NULL;
		}
	}
	*err = jp.err;
	return n;
}

/* The parser must refuse what is not JSON, or its verdict means nothing. */
static void self_test(void)
{
	static const char *const bad[] = {
		"", "{", "{\"a\": 1,}", "[1, 2,]", "{\"a\" 1}", "{'a': 1}",
		"{\"a\": 01}", "{\"a\": .5}", "{\"a\": tru}", "\"a\nb\"",
		"\"\\x41\"", "{\"a\": 1} x", "{\"a\": 1, \"a\": 2}",
		"\"\xff\"", "[1 2]", "{\"a\": -}", "\"abc",
	};
	static const char *const good[] = {
		"{}", "[]", "{\"a\": [1, -2.5e3, true, false, null, \"\\u00e9\\n\"]}",
		" \"caf\xc3\xa9\" ",
	};
	const char *err;
	size_t i;

	for (i = 0; i < T_ARRAY_SIZE(bad); i++)
		if (jparse(bad[i], &err))
			t_fail("JSON self test: accepted invalid document #%zu", i);
	for (i = 0; i < T_ARRAY_SIZE(good); i++)
		if (!jparse(good[i], &err))
			t_fail("JSON self test: refused valid document #%zu: %s", i, err);
}

/* ---- the report ------------------------------------------------------- */

static struct jnode *get(const struct jnode *obj, const char *key, enum jtype type)
{
	size_t i;

	if (!obj || obj->type != J_OBJ)
		t_fail("looking up \"%s\" in something that is not an object", key);
	for (i = 0; i < obj->nr; i++) {
		if (strcmp(obj->keys[i], key))
			continue;
		if (obj->kids[i]->type != type)
			t_fail("\"%s\": expected JSON type %d, got %d", key, type,
			       obj->kids[i]->type);
		return obj->kids[i];
	}
	t_fail("key \"%s\" missing", key);
}

/* Like get(), but null is allowed too; returns NULL for null. */
static struct jnode *get_or_null(const struct jnode *obj, const char *key, enum jtype type)
{
	size_t i;

	for (i = 0; obj && obj->type == J_OBJ && i < obj->nr; i++)
		if (!strcmp(obj->keys[i], key) && obj->kids[i]->type == J_NULL)
			return NULL;
	return get(obj, key, type);
}

static char *run_info(const char *prog, int *status)
{
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap), cmd[512];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "%s --json", prog);
	f = popen(cmd, "r");
	if (!f || !out)
		t_fail("cannot run %s: %s", cmd, t_errname(errno));
	while ((n = fread(out + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap && !(out = realloc(out, cap *= 2)))
			t_fail("out of memory");
	}
	out[len] = '\0';
	*status = pclose(f);
	return out;
}

static void read_sys(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f || !fgets(buf, len, f))
		t_fail("read %s: %s", path, t_errname(errno));
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

int main(void)
{
	const char *prog = getenv("AIORING_INFO");
	const char *dir = t_test_dir(), *err;
	struct jnode *doc, *m, *feat, *u, *fss, *fs;
	char *text, buf[512], *tok, *save = NULL;
	unsigned char params[120] = { 0 };
	bool loaded, uring_ok, found_dir = false;
	struct utsname uts;
	struct stat st;
	int status;
	long fd;
	size_t i;

	self_test();
	/* A regular file to find on the test directory's file system. */
	if (getenv("AIORING_TEST_DIR"))
		t_create_file(4096, NULL, buf, sizeof(buf));
	if (!prog || !*prog)
		prog = "/usr/bin/aioring-info";
	if (access(prog, X_OK))
		t_fail("%s: %s (set AIORING_INFO to the program)", prog,
		       t_errname(errno));

	text = run_info(prog, &status);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		t_fail("%s --json: expected exit 0, got status 0x%x", prog, status);
	doc = jparse(text, &err);
	if (!doc) {
		fputs(text, stderr);
		t_fail("%s --json: not valid JSON: %s", prog, err);
	}
	if (doc->type != J_OBJ)
		t_fail("the document is not an object");
	get(doc, "aioring_info_version", J_STR);

	/* module */
	loaded = stat("/sys/module/aioring", &st) == 0;
	m = get(doc, "module", J_OBJ);
	if (get(m, "loaded", J_BOOL)->b != loaded)
		t_fail("module.loaded: expected %d (/sys/module/aioring), got %d",
		       loaded, !loaded);
	get(m, "parameters", J_OBJ);
	get(get(m, "device", J_OBJ), "present", J_BOOL);
	feat = get(m, "features", J_ARR);
	if (loaded) {
		read_sys("/sys/module/aioring/version", buf, sizeof(buf));
		if (strcmp(get(m, "version", J_STR)->str, buf))
			t_fail("module.version: expected \"%s\", got \"%s\"", buf,
			       get(m, "version", J_STR)->str);
		read_sys("/sys/module/aioring/parameters/features", buf, sizeof(buf));
		i = 0;
		for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save), i++)
			if (i >= feat->nr || feat->kids[i]->type != J_STR ||
			    strcmp(feat->kids[i]->str, tok))
				t_fail("module.features[%zu]: expected \"%s\"", i, tok);
		if (i != feat->nr || i == 0)
			t_fail("module.features: expected %zu entries (at least one), got %zu",
			       i, feat->nr);
		if (!get(get(m, "parameters", J_OBJ), "no_waitq", J_STR))
			t_fail("module.parameters.no_waitq missing");
	} else {
		t_log("module not loaded: checking the report says so");
	}

	/* kernel */
	uname(&uts);
	if (strcmp(get(get(doc, "kernel", J_OBJ), "release", J_STR)->str, uts.release))
		t_fail("kernel.release: expected \"%s\"", uts.release);

	/* io_uring: the same question, asked independently. */
	fd = syscall(__NR_io_uring_setup, 1, params);
	uring_ok = fd >= 0;
	if (uring_ok)
		close(fd);
	u = get(doc, "io_uring", J_OBJ);
	if (get(u, "available", J_BOOL)->b != uring_ok)
		t_fail("io_uring.available: expected %d (io_uring_setup here: %s), got %d",
		       uring_ok, uring_ok ? "works" : t_errname(errno), !uring_ok);
	get(u, "reason", J_STR);
	get_or_null(u, "io_uring_disabled", J_NUM);
	get_or_null(u, "seccomp", J_NUM);
	if (!uring_ok && !get_or_null(u, "error", J_STR))
		t_fail("io_uring.error: expected a name when unavailable");

	/* filesystems */
	fss = get(doc, "filesystems", J_ARR);
	if (!fss->nr)
		t_fail("filesystems: expected at least one mount");
	for (i = 0; i < fss->nr; i++) {
		const char *status_s, *type;
		struct jnode *rasync;

		fs = fss->kids[i];
		get(fs, "mount_point", J_STR);
		type = get(fs, "type", J_STR)->str;
		status_s = get(fs, "status", J_STR)->str;
		rasync = get_or_null(fs, "rasync", J_BOOL);
		if (strcmp(status_s, "probed") && strcmp(status_s, "not_applicable") &&
		    strcmp(status_s, "unknown"))
			t_fail("filesystems[%zu].status: unexpected \"%s\"", i, status_s);
		if (!strcmp(status_s, "probed") != (rasync != NULL))
			t_fail("filesystems[%zu]: rasync must be a boolean exactly when probed", i);
		if (!strcmp(type, "proc") && strcmp(status_s, "not_applicable"))
			t_fail("filesystems[%zu]: proc: expected not_applicable, got %s", i, status_s);
		if (!loaded && !strcmp(status_s, "probed"))
			t_fail("filesystems[%zu]: probed without the module", i);
		if (strcmp(get(fs, "mount_point", J_STR)->str, dir))
			continue;
		found_dir = true;
		t_log("%s (%s): %s, rasync %s", dir, type, status_s,
		      rasync ? (rasync->b ? "yes" : "no") : "null");
		if (loaded && !strcmp(type, "ext4") && (!rasync || !rasync->b))
			t_fail("%s is ext4: expected probed with rasync true", dir);
		/* The file made below is there to be found (no O_TMPFILE). */
		if (loaded && strcmp(get_or_null(fs, "probe_method", J_STR) ?
				     get(fs, "probe_method", J_STR)->str : "", "file"))
			t_fail("%s: expected probe_method \"file\" (a file exists)", dir);
		if (!loaded && strcmp(get_or_null(fs, "reason", J_STR) ?
				      get(fs, "reason", J_STR)->str : "", "module not loaded"))
			t_fail("%s: expected reason \"module not loaded\"", dir);
	}
	if (loaded && getenv("AIORING_TEST_DIR") && !found_dir)
		t_fail("no filesystems entry for the test directory %s", dir);
	return T_EXIT_PASS;
}
