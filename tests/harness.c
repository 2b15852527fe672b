/* SPDX-License-Identifier: MIT */
/* harness.c: the unit-test runner (see harness.h). */
#include "tests/harness.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int failures_in_case;
static char tmpdir[256];
static const char *srcdir = ".";

void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	failures_in_case++;
}

const char *t_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/mf-test-XXXXXX", base ? base : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(2);
		}
	}
	return tmpdir;
}

const char *t_srcpath(const char *rel)
{
	static char buf[4][1024];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", srcdir, rel);
	return buf[k];
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

int t_run(const struct t_case *const *tables, int argc, char **argv);

int t_run(const struct t_case *const *tables, int argc, char **argv)
{
	const char *filter = NULL;
	int passed = 0, failed = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-s") && i + 1 < argc)
			filter = argv[++i];
		else if (!strcmp(argv[i], "-C") && i + 1 < argc)
			srcdir = argv[++i];
	}
	for (size_t t = 0; tables[t]; t++) {
		for (const struct t_case *c = tables[t]; c->name; c++) {
			if (filter && !strstr(c->name, filter))
				continue;
			failures_in_case = 0;
			tmpdir[0] = '\0';
			c->fn();
			if (tmpdir[0] && !getenv("T_KEEP"))
				nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
			if (failures_in_case) {
				printf("FAIL - %s\n", c->name);
				failed++;
			} else {
				printf("ok - %s\n", c->name);
				passed++;
			}
			fflush(stdout);
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : (passed ? 0 : 1);
}
