/* SPDX-License-Identifier: MIT */
/* test_core.c: buf, rd, arena, alias, fsutil. */
#include "tests/harness.h"
#include "tests/unit/tests.h"
#include "core/alias.h"
#include "core/arena.h"
#include "core/bits.h"
#include "core/buf.h"
#include "core/extsort.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/rd.h"
#include "core/safename.h"
#include "core/strmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

static void buf_bounds(void)
{
	struct mf_buf b;
	mf_buf_init(&b, 8);
	T_EQ_STR(b.data, "");
	T_EQ_INT(mf_buf_addstr(&b, "abcd"), MF_OK);
	T_EQ_INT(mf_buf_addf(&b, "%d", 1234), MF_OK);
	T_EQ_STR(b.data, "abcd1234");
	T_EQ_INT(mf_buf_addch(&b, 'x'), MF_ETOOBIG);
	T_EQ_STR(b.data, "abcd1234");
	mf_buf_truncate(&b, 2);
	T_EQ_STR(b.data, "ab");
	{
		size_t n;
		char *p = mf_buf_detach(&b, &n);
		T_EQ_STR(p, "ab");
		T_EQ_INT(n, 2);
		free(p);
	}
	T_EQ_INT(b.len, 0);
	mf_buf_release(&b);
}

static void rd_lines(void)
{
	static const char in[] = "one\r\ntwo\nthree\rfour";
	struct mf_rd r;
	struct mf_span l;
	enum mf_eol e;

	mf_rd_init(&r, in, sizeof(in) - 1);
	T_EQ_INT(mf_rd_line(&r, &l, &e, MF_EOLS_ANY, 100), MF_OK);
	T_EQ_MEM(l.p, l.len, "one", 3);
	T_EQ_INT(e, MF_EOL_CRLF);
	T_EQ_INT(mf_rd_line(&r, &l, &e, MF_EOLS_ANY, 100), MF_OK);
	T_EQ_MEM(l.p, l.len, "two", 3);
	T_EQ_INT(e, MF_EOL_LF);
	T_EQ_INT(mf_rd_line(&r, &l, &e, MF_EOLS_ANY, 100), MF_OK);
	T_EQ_MEM(l.p, l.len, "three", 5);
	T_EQ_INT(e, MF_EOL_CR);
	T_EQ_INT(mf_rd_line(&r, &l, &e, MF_EOLS_ANY, 100), MF_OK);
	T_EQ_MEM(l.p, l.len, "four", 4);
	T_EQ_INT(e, MF_EOL_NONE);
	T_EQ_INT(mf_rd_line(&r, &l, &e, MF_EOLS_ANY, 100), MF_DONE);

	/* a lone CR is data in LF mode; a line over max is refused */
	mf_rd_init(&r, in, sizeof(in) - 1);
	mf_rd_line(&r, &l, &e, MF_EOLS_LF_CRLF, 100);
	T_EQ_INT(mf_rd_line(&r, &l, &e, MF_EOLS_LF_CRLF, 100), MF_OK);
	T_EQ_INT(mf_rd_line(&r, &l, &e, MF_EOLS_LF_CRLF, 100), MF_OK);
	T_EQ_MEM(l.p, l.len, "three\rfour", 10);
	mf_rd_init(&r, in, sizeof(in) - 1);
	T_EQ_INT(mf_rd_line(&r, &l, &e, MF_EOLS_ANY, 2), MF_ETOOBIG);
	T_EQ_INT(mf_rd_offset(&r), 0);
}

static void rd_binary_and_find(void)
{
	static const unsigned char bin[] = { 0x12, 0x34, 0x56, 0x78, 0x9a };
	static const char text[] = "xx Message: no\r\nText item: a\nMESSAGE: yes\n";
	static const char *const words[] = { "Message:", "Text item:", NULL };
	struct mf_rd r;
	uint64_t off;
	int i;

	mf_rd_init(&r, bin, sizeof(bin));
	T_EQ_INT(mf_rd_be16(&r), 0x1234);
	T_EQ_INT(mf_rd_le16(&r), 0x7856);
	T_EQ_INT(r.err, MF_OK);
	T_EQ_INT(mf_rd_be32(&r), 0);
	T_EQ_INT(r.err, MF_EFORMAT);

	mf_rd_init(&r, text, sizeof(text) - 1);
	i = mf_rd_find_line_with(&r, 1, words, &off);
	T_EQ_INT(i, 1);
	T_EQ_INT(off, 16);
	mf_rd_seek(&r, off);
	i = mf_rd_find_line_with(&r, 0, words, &off);
	T_EQ_INT(i, 0);
	T_EQ_INT(off, 29);
	mf_rd_seek(&r, off);
	T_EQ_INT(mf_rd_find_line_with(&r, 0, words, &off), MF_ENOTFOUND);
	/* NULL input is an empty input */
	mf_rd_init(&r, NULL, 0);
	T_ASSERT(mf_rd_eof(&r));
}

static void arena_basic(void)
{
	struct mf_arena a = MF_ARENA_INIT;
	char *s = mf_arena_strdup(&a, "hello");
	void *big = mf_arena_alloc(&a, 1 << 20);
	T_EQ_STR(s, "hello");
	T_ASSERT(big != NULL);
	T_ASSERT(mf_arena_strdup(&a, NULL) == NULL);
	mf_arena_reset(&a);
	T_EQ_INT(a.total, 0);
	mf_arena_release(&a);
}

static void strmap_basic(void)
{
	struct mf_strmap m, c;
	char key[32];
	uint64_t v = 0;
	int created = 0;

	mf_strmap_init(&m, MF_STRMAP_NOCASE);
	T_EQ_INT(mf_strmap_get(&m, "x", &v), 0);
	T_EQ_INT(mf_strmap_add(&m, "Lindqvist, Anna", 7), 1);
	T_EQ_INT(mf_strmap_add(&m, "LINDQVIST, ANNA", 8), 0);    /* first wins */
	T_EQ_INT(mf_strmap_get(&m, "lindqvist, anna", &v), 1);
	T_EQ_INT((int)v, 7);
	T_EQ_INT(mf_strmap_get(&m, "lindqvist,anna", NULL), 0);
	T_EQ_INT(mf_strmap_get(&m, "L\xc3\x96w", NULL), 0);
	*mf_strmap_ref(&m, "\xc3\x96", &created) = 3;
	T_EQ_INT(created, 1);
	T_EQ_INT(mf_strmap_get(&m, "\xc3\xb6", NULL), 0);         /* ASCII only */
	mf_strmap_release(&m);
	T_EQ_INT(mf_strmap_get(&m, "Lindqvist, Anna", NULL), 0);

	mf_strmap_init(&c, MF_STRMAP_COPY);                    /* grows, copies */
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		mf_strmap_set(&c, key, (uint64_t)i * 3);
	}
	mf_strmap_set(&c, "k17", 1);                           /* replaces */
	T_EQ_INT((int)c.n, 5000);
	T_EQ_INT(mf_strmap_get(&c, "k4999", &v), 1);
	T_EQ_INT((int)v, 4999 * 3);
	T_EQ_INT(mf_strmap_get(&c, "k17", &v), 1);
	T_EQ_INT((int)v, 1);
	T_EQ_INT(mf_strmap_get(&c, "K17", NULL), 0);             /* exact */
	mf_strmap_release(&c);
}

static void alias_rules(void)
{
	char out[MF_ALIAS_MAX + 1];
	const char *g, *s;
	size_t gl, sl;

	mf_name_split("Smith, John", &g, &gl, &s, &sl);
	T_EQ_MEM(s, sl, "Smith", 5);
	T_EQ_MEM(g, gl, "John", 4);
	mf_name_split("Jane van Doe", &g, &gl, &s, &sl);
	T_EQ_MEM(s, sl, "Doe", 3);
	T_EQ_MEM(g, gl, "Jane van", 8);
	mf_name_split("ERAMIREZ", &g, &gl, &s, &sl);
	T_EQ_MEM(s, sl, "ERAMIREZ", 8);
	T_EQ_INT(gl, 0);

	T_EQ_INT(mf_alias_base(out, "John", "Smith", NULL), 6);
	T_EQ_STR(out, "SmithJ");
	mf_alias_base(out, "Åsa", "Ångström", NULL);
	T_EQ_STR(out, "AngstromA");
	mf_alias_base(out, "X", "Abcdefghijklmnopqrstuvwxyz", NULL);
	T_EQ_STR(out, "AbcdefghijklmnopqrsX");
	T_EQ_INT(mf_alias_base(out, NULL, "日本", "日本"), 0);
	mf_alias_base(out, NULL, NULL, "#Announcements");
	T_EQ_STR(out, "Announcements");
	T_ASSERT(mf_alias_valid("SmithJ"));
	T_ASSERT(!mf_alias_valid("Smith J"));
	T_ASSERT(!mf_alias_valid("abcdefghijklmnopqrstu"));
	T_ASSERT(!mf_alias_valid(""));
}

static int taken_smith(const char *a, void *p)
{
	(void)p;
	return !strcmp(a, "SmithJ") || !strcmp(a, "SmithJ2") ||
	       !strcmp(a, "AbcdefghijklmnopqrsX");
}

static void alias_unique(void)
{
	char out[MF_ALIAS_MAX + 1];
	T_EQ_INT(mf_alias_unique(out, "SmithJ", taken_smith, NULL), MF_OK);
	T_EQ_STR(out, "SmithJ3");
	T_EQ_INT(mf_alias_unique(out, "AbcdefghijklmnopqrsX", taken_smith, NULL), MF_OK);
	T_EQ_STR(out, "Abcdefghijklmnopqrs2");
	T_EQ_INT(mf_alias_unique(out, "", taken_smith, NULL), MF_ENOTFOUND);
}

/* The plan's numbering: a search started past the number used last for
 * the same base gives what a search from the start gives, as long as the
 * aliases taken are only ever added to. */
static int taken_list(const char *a, void *p)
{
	const char *const *set = p;
	for (; *set; set++)
		if (!strcasecmp(*set, a))
			return 1;
	return 0;
}

static void alias_unique_from(void)
{
	char out[MF_ALIAS_MAX + 1], full[MF_ALIAS_MAX + 1];
	static char taken[8][MF_ALIAS_MAX + 1];
	const char *set[16] = { "SmithJ3", "smithj5", NULL };
	size_t n = 2;
	unsigned k = 0;
	/* base free: it is used, number 1 */
	T_EQ_INT(mf_alias_unique_from(out, &k, "SmithJ", taken_list, set), MF_OK);
	T_EQ_STR(out, "SmithJ");
	T_EQ_INT(k, 1);
	for (int i = 0; i < 5; i++) {
		set[n++] = strcpy(taken[i], out);
		set[n] = NULL;
		k++;
		T_EQ_INT(mf_alias_unique_from(out, &k, "SmithJ", taken_list, set), MF_OK);
		T_EQ_INT(mf_alias_unique(full, "SmithJ", taken_list, set), MF_OK);
		T_EQ_STR(out, full);
	}
	T_EQ_STR(out, "SmithJ8");           /* 2, 4, 6, 7, 8: 3 and 5 were taken */
	T_EQ_INT(k, 8);
	k = 0;
	T_EQ_INT(mf_alias_unique_from(out, &k, "AbcdefghijklmnopqrsX", taken_smith, NULL), MF_OK);
	T_EQ_STR(out, "Abcdefghijklmnopqrs2");
	T_EQ_INT(k, 2);
	k = 12;                             /* a longer number shortens the base */
	T_EQ_INT(mf_alias_unique_from(out, &k, "AbcdefghijklmnopqrsX", taken_smith, NULL), MF_OK);
	T_EQ_STR(out, "Abcdefghijklmnopqr12");
	k = 5;
	T_EQ_INT(mf_alias_unique_from(out, &k, "", taken_smith, NULL), MF_ENOTFOUND);
}

static void fold(void)
{
	struct mf_buf b;
	mf_buf_init(&b, 100);
	mf_ascii_fold(&b, "Ærø £5 “q” 日", strlen("Ærø £5 “q” 日"), '?');
	T_EQ_STR(b.data, "AEro L5 \"q\" ?");
	mf_buf_release(&b);
}

static void hash_known(void)
{
	char hex[MF_SHA256_HEX];
	struct mf_sha256 h;
	mf_sha256_hex(hex, "abc", 3);
	T_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	mf_sha256_init(&h);
	mf_sha256_update(&h, "a", 1);
	mf_sha256_update(&h, "bc", 2);
	mf_sha256_final(&h, hex);
	T_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* mf_sha256_fd: a file with holes hashes as its bytes read back (the
 * holes as zeros), at the start, the middle and the end; a file without
 * holes; an empty one. */
static void hash_fd_sparse(void)
{
	static const size_t len = 300000;
	const char *dir = t_tmpdir();
	char p[512], want[MF_SHA256_HEX], got[MF_SHA256_HEX];
	unsigned char *img = calloc(1, len);
	int64_t size = -1;
	int fd;

	for (int shape = 0; shape < 4; shape++) {
		memset(img, 0, len);
		snprintf(p, sizeof(p), "%s/sparse-%d", dir, shape);
		fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
		T_ASSERT(fd >= 0);
		if (shape == 3) {          /* empty */
			T_ASSERT(mf_sha256_fd(fd, got, &size) == 0);
			mf_sha256_hex(want, "", 0);
			T_EQ_STR(got, want);
			T_ASSERT(size == 0);
			close(fd);
			continue;
		}
		/* data at 5000 and 200000; shape 0: a hole at the end too,
		 * shape 1: data up to the end, shape 2: no holes at all */
		for (size_t i = 0; i < 700; i++) {
			img[5000 + i] = (unsigned char)(i * 7 + 1);
			img[200000 + i] = (unsigned char)(i * 13 + 3);
		}
		if (shape >= 1)
			memset(img + len - 100, 0xAB, 100);
		if (shape == 2) {
			T_ASSERT(pwrite(fd, img, len, 0) == (ssize_t)len);
		} else {
			T_ASSERT(pwrite(fd, img + 5000, 700, 5000) == 700);
			T_ASSERT(pwrite(fd, img + 200000, 700, 200000) == 700);
			if (shape == 1)
				T_ASSERT(pwrite(fd, img + len - 100, 100, (off_t)(len - 100)) == 100);
			else
				T_ASSERT(ftruncate(fd, (off_t)len) == 0);
		}
		mf_sha256_hex(want, img, len);
		T_ASSERT(mf_sha256_fd(fd, got, &size) == 0);
		T_EQ_STR(got, want);
		T_ASSERT(size == (int64_t)len);
		close(fd);
		/* by path: the same digest; a small file (buffer of its size) */
		size = -1;
		T_ASSERT(mf_sha256_file(p, got, &size) == MF_OK);
		T_EQ_STR(got, want);
		T_ASSERT(size == (int64_t)len);
	}
	snprintf(p, sizeof(p), "%s/small", dir);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	T_ASSERT(fd >= 0 && write(fd, "abc", 3) == 3);
	close(fd);
	T_ASSERT(mf_sha256_file(p, got, &size) == MF_OK);
	T_EQ_STR(got, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	T_ASSERT(size == 3);
	/* a symbolic link is not followed; a missing file is MF_ENOTFOUND */
	{
		char link[512];
		snprintf(link, sizeof(link), "%s/link", dir);
		T_ASSERT(symlink(p, link) == 0);
		T_ASSERT(mf_sha256_file(link, got, &size) == MF_EIO);
	}
	snprintf(p, sizeof(p), "%s/missing", dir);
	T_ASSERT(mf_sha256_file(p, got, &size) == MF_ENOTFOUND);
	free(img);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static void paths(void)
{
	const char *dir = t_tmpdir();
	char p[512], *out = NULL;
	struct mf_diag d;

	snprintf(p, sizeof(p), "%s/set", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/set/MAIL", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/set/MAIL/ANNA.TXT", dir);
	write_file(p, "x");
	snprintf(p, sizeof(p), "%s/outside.txt", dir);
	write_file(p, "secret");
	snprintf(p, sizeof(p), "%s/set/link.txt", dir);
	{
		char target[512];
		snprintf(target, sizeof(target), "%s/outside.txt", dir);
		T_EQ_INT(symlink(target, p), 0);
	}
	snprintf(p, sizeof(p), "%s/set", dir);

	T_EQ_INT(mf_path_resolve(&out, p, "mail\\anna.txt", &d), MF_OK);
	T_ASSERT(out && strstr(out, "/set/MAIL/ANNA.TXT"));
	free(out);
	T_EQ_INT(mf_path_resolve(&out, p, "../outside.txt", &d), MF_EFORMAT);
	T_EQ_INT(mf_path_resolve(&out, p, "/etc/passwd", &d), MF_EFORMAT);
	T_EQ_INT(mf_path_resolve(&out, p, "link.txt", &d), MF_EFORMAT);
	T_ASSERT(strstr(d.msg, "outside") != NULL);
	T_EQ_INT(mf_path_resolve(&out, p, "MAIL/NONE.TXT", &d), MF_ENOTFOUND);
	T_EQ_INT(mf_path_resolve(&out, p, "MAIL/A\x01.TXT", &d), MF_EFORMAT);
	T_ASSERT(out == NULL);
	/* links inside the folder resolve to their target's real path; a
	 * path of plain names is its own real path (no realpath call) */
	{
		char q[600], *real = realpath(p, NULL), *want = NULL, *o2 = NULL;
		snprintf(q, sizeof(q), "%s/in.txt", p);
		T_EQ_INT(symlink("MAIL/ANNA.TXT", q), 0);
		snprintf(q, sizeof(q), "%s/dir", p);
		T_EQ_INT(symlink("MAIL", q), 0);
		T_ASSERT(real != NULL);
		want = mf_xasprintf("%s/MAIL/ANNA.TXT", real);
		const char *names[] = { "MAIL/ANNA.TXT", "./MAIL//ANNA.TXT", "in.txt",
					"dir/ANNA.TXT", "dir/anna.txt", "mail/anna.txt" };
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			T_EQ_INT(mf_path_resolve(&out, p, names[i], &d), MF_OK);
			T_EQ_INT(mf_path_resolve_real(&o2, real, names[i], &d), MF_OK);
			T_ASSERT(out && o2 && !strcmp(out, want) && !strcmp(o2, want));
			free(out);
			free(o2);
		}
		T_EQ_INT(mf_path_resolve_real(&out, real, "link.txt", &d), MF_EFORMAT);
		T_EQ_INT(mf_path_resolve_real(&out, real, "../outside.txt", &d), MF_EFORMAT);
		T_EQ_INT(mf_path_resolve_real(&out, real, "NONE", &d), MF_ENOTFOUND);
		T_ASSERT(out == NULL);
		free(want);
		free(real);
	}
}

static void atomic_write(void)
{
	const char *dir = t_tmpdir();
	char p[512];
	struct mf_diag d;
	struct mf_map m;

	snprintf(p, sizeof(p), "%s/a/b/c", dir);
	T_EQ_INT(mf_mkdirs(p, 0755, &d), MF_OK);
	snprintf(p, sizeof(p), "%s/a/b/c/file.txt", dir);
	T_EQ_INT(mf_write_atomic(p, "hello", 5, 0644, 0, &d), MF_OK);
	T_EQ_INT(mf_map_open(&m, p, &d), MF_OK);
	T_EQ_MEM(m.data, m.len, "hello", 5);
	mf_map_release_before(&m, 5);
	mf_map_close(&m);
	snprintf(p, sizeof(p), "%s/missing/file.txt", dir);
	T_ASSERT(mf_write_atomic(p, "x", 1, 0644, 0, &d) == MF_EIO);
	T_ASSERT(strstr(d.file, "missing") != NULL);
	T_EQ_INT(mf_map_open(&m, dir, &d), MF_EFORMAT);
}

/* mkdir -p below an open folder: an existing folder, a new one, missing
 * parents, and a level that is a file (the error names the full path). */
static void mkdirs_at(void)
{
	const char *dir = t_tmpdir();
	char p[512];
	struct mf_diag d;
	struct stat sb;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	T_ASSERT(fd >= 0);
	T_EQ_INT(mf_mkdirs_at(fd, dir, "one", 0755, &d), MF_OK);
	T_EQ_INT(mf_mkdirs_at(fd, dir, "one", 0755, &d), MF_OK);
	T_EQ_INT(mf_mkdirs_at(fd, dir, "two/three/four", 0755, &d), MF_OK);
	snprintf(p, sizeof(p), "%s/two/three/four", dir);
	T_ASSERT(stat(p, &sb) == 0 && S_ISDIR(sb.st_mode));
	T_EQ_INT(mf_mkdirs_at(fd, dir, "two/three/five", 0755, &d), MF_OK);
	snprintf(p, sizeof(p), "%s/two/three/five", dir);
	T_ASSERT(stat(p, &sb) == 0 && S_ISDIR(sb.st_mode));
	snprintf(p, sizeof(p), "%s/one/file", dir);
	T_EQ_INT(mf_write_atomic(p, "x", 1, 0644, 0, &d), MF_OK);
	T_EQ_INT(mf_mkdirs_at(fd, dir, "one/file/six/seven", 0755, &d), MF_EIO);
	T_ASSERT(strstr(d.file, dir) != NULL && strstr(d.file, "one/file") != NULL);
	close(fd);
}

/* A FIFO (or device) in a set is refused at once, not waited on. */
static void map_refuses_fifo(void)
{
	char p[512];
	struct mf_diag d;
	struct mf_map m;
	snprintf(p, sizeof(p), "%s/fifo", t_tmpdir());
	T_EQ_INT(mkfifo(p, 0600), 0);
	alarm(10); /* a blocking open would hang the test run */
	T_EQ_INT(mf_map_open(&m, p, &d), MF_EFORMAT);
	alarm(0);
	T_ASSERT(strstr(d.msg, "not a regular file") != NULL);
}

static size_t passed_bytes;
static void count_passed(void *ctx, const unsigned char *from, const unsigned char *to)
{
	(void)ctx;
	T_ASSERT(to > from);
	passed_bytes += (size_t)(to - from);
}

/* Scanning for a line is linear in lone CRs (it was quadratic: each CR
 * searched the rest of the input for an LF), and a long scan tells the
 * reader's owner what it passed over. */
static void rd_scan_linear(void)
{
	size_t n = (size_t)3 * MF_RD_PASS_CHUNK;
	unsigned char *big = malloc(n + 16);
	struct mf_rd r;
	uint64_t off = 0;
	static const char *const words[] = { "Message:", NULL };
	T_ASSERT(big != NULL);
	memset(big, '\r', n);
	memcpy(big + n, "Message:\r\n", 10);
	mf_rd_init(&r, big, n + 10);
	T_ASSERT(r.passed == NULL);
	r.passed = count_passed;
	alarm(20);
	T_EQ_INT(mf_rd_find_line_with(&r, 1, words, &off), 0);
	alarm(0);
	T_EQ_INT(off, n);
	T_ASSERT(passed_bytes >= 2 * MF_RD_PASS_CHUNK);
	/* a sub reader inherits the hook */
	{
		struct mf_rd sub;
		T_EQ_INT(mf_rd_sub(&r, 8, &sub), MF_OK);
		T_ASSERT(sub.passed == count_passed);
	}
	/* no line end at all: one scan, told in chunks */
	passed_bytes = 0;
	memset(big, 'x', n);
	mf_rd_init(&r, big, n);
	r.passed = count_passed;
	T_EQ_INT(mf_rd_find_line_with(&r, 1, words, &off), MF_ENOTFOUND);
	T_ASSERT(passed_bytes >= 2 * MF_RD_PASS_CHUNK);
	free(big);
}

static void parse_u64(void)
{
	uint64_t v;
	T_EQ_INT(mf_parse_u64(&v, "123", 3, UINT64_MAX), MF_OK);
	T_EQ_INT(v, 123);
	T_EQ_INT(mf_parse_u64(&v, "", 0, UINT64_MAX), MF_EFORMAT);
	T_EQ_INT(mf_parse_u64(&v, " 1", 2, UINT64_MAX), MF_EFORMAT);
	T_EQ_INT(mf_parse_u64(&v, "-1", 2, UINT64_MAX), MF_EFORMAT);
	T_EQ_INT(mf_parse_u64(&v, "18446744073709551616", 20, UINT64_MAX), MF_ETOOBIG);
	T_EQ_INT(mf_parse_u64(&v, "2147483648", 10, INT32_MAX), MF_ETOOBIG);
}

static void safe_names(void)
{
	char out[256];
	char longname[400];
	T_EQ_STR(mf_safe_filename(out, sizeof(out), "../../etc/passwd", 255, "x"), "passwd");
	T_EQ_STR(mf_safe_filename(out, sizeof(out), "C:\\CONFIG.SYS", 255, "x"), "CONFIG.SYS");
	T_EQ_STR(mf_safe_filename(out, sizeof(out), "CON", 255, "x"), "_CON");
	T_EQ_STR(mf_safe_filename(out, sizeof(out), "lpt1.txt", 255, "x"), "_lpt1.txt");
	T_EQ_STR(mf_safe_filename(out, sizeof(out), "COM10.txt", 255, "x"), "COM10.txt");
	T_EQ_STR(mf_safe_filename(out, sizeof(out), "..", 255, "attachment.bin"), "attachment.bin");
	T_EQ_STR(mf_safe_filename(out, sizeof(out), NULL, 255, "attachment.bin"), "attachment.bin");
	T_EQ_STR(mf_safe_filename(out, sizeof(out), "a\x01" "b?c*.txt", 255, "x"), "a_b_c_.txt");
	T_EQ_STR(mf_safe_filename(out, sizeof(out), " .hidden. ", 255, "x"), "hidden");
	memset(longname, 'a', 300);
	strcpy(longname + 300, ".doc");
	mf_safe_filename(out, sizeof(out), longname, 100, "x");
	T_EQ_INT(strlen(out), 100);
	T_ASSERT(strcmp(out + 96, ".doc") == 0);
	/* a cut never splits a UTF-8 character */
	mf_safe_filename(out, sizeof(out), "ééééé", 9, "x");
	T_EQ_STR(out, "éééé");
	T_ASSERT(mf_filename_is_safe("report.txt", 255));
	T_ASSERT(!mf_filename_is_safe("../x", 255));
}


/* core/extsort: runs spilled to an unlinked file and merged give the same
 * order as sorting in memory; a selection that fits one run never spills;
 * a spill file that cannot be created is an error naming it. */
struct es_rec {
	uint32_t k;
	uint32_t seq;
};

static int es_cmp(const void *a, const void *b, void *arg)
{
	const struct es_rec *x = a, *y = b;
	(void)arg;
	if (x->k != y->k)
		return x->k < y->k ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static int es_cmp_q(const void *a, const void *b)
{
	return es_cmp(a, b, NULL);
}

static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void es_run(size_t n, size_t run, size_t want_runs)
{
	struct mf_extsort *s = mf_extsort_new(sizeof(struct es_rec), run, es_cmp, NULL, t_tmpdir());
	struct es_rec *ref = malloc(n ? n * sizeof(*ref) : 1), r;
	struct mf_diag d;
	uint32_t x = 12345;
	size_t got = 0;
	int rc, ok = 1;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		ref[i].k = (x >> 8) % 1000;  /* many equal keys: seq decides */
		ref[i].seq = (uint32_t)i;
		T_EQ_INT(mf_extsort_add(s, &ref[i], &d), MF_OK);
	}
	T_EQ_INT(mf_extsort_finish(s, &d), MF_OK);
	T_EQ_INT(mf_extsort_runs(s), want_runs);
	T_EQ_INT(mf_extsort_count(s), n);
	/* the spill file is unlinked as soon as it is made */
	T_EQ_INT(dir_entries(t_tmpdir()), 0);
	qsort(ref, n, sizeof(*ref), es_cmp_q);
	while ((rc = mf_extsort_next(s, &r, &d)) == 1) {
		if (got >= n || r.k != ref[got].k || r.seq != ref[got].seq)
			ok = 0;
		got++;
	}
	T_EQ_INT(rc, 0);
	T_EQ_INT(got, n);
	T_ASSERT(ok);
	mf_extsort_free(s);
	free(ref);
}

static void extsort_order(void)
{
	es_run(0, 100, 0);
	es_run(1, 100, 0);
	es_run(100, 100, 0);        /* exactly one run: in memory */
	es_run(101, 100, 2);        /* one record over: two runs on disk */
	es_run(50000, 100, 500);    /* many runs merged */
	es_run(50000, 8192, 7);
}

static void extsort_spill_fails(void)
{
	char dir[600];
	struct mf_extsort *s;
	struct es_rec r = { 1, 1 };
	struct mf_diag d;
	int rc = MF_OK;
	snprintf(dir, sizeof(dir), "%s/no-such-dir", t_tmpdir());
	s = mf_extsort_new(sizeof(r), 4, es_cmp, NULL, dir);
	for (int i = 0; i < 10 && rc == MF_OK; i++)
		rc = mf_extsort_add(s, &r, &d);
	T_EQ_INT(rc, MF_EIO);
	T_ASSERT(strstr(d.file, "no-such-dir/mailferry-sort.") != NULL);
	T_ASSERT(strstr(d.msg, "spill file") != NULL);
	/* unusable from then on, but freed cleanly */
	T_EQ_INT(mf_extsort_next(s, &r, &d), MF_EIO);
	mf_extsort_free(s);
}

/* core/bits: set, test, growth across words, each bit counted once */
static void bits_basic(void)
{
	struct mf_bits b = MF_BITS_INIT;
	T_EQ_INT(mf_bits_has(&b, 0), 0);
	T_EQ_INT(mf_bits_has(&b, 1000000), 0);
	mf_bits_set(&b, 0);
	mf_bits_set(&b, 63);
	mf_bits_set(&b, 64);
	mf_bits_set(&b, 100000);
	mf_bits_set(&b, 64);
	T_EQ_INT(b.count, 4);
	T_EQ_INT(mf_bits_has(&b, 0), 1);
	T_EQ_INT(mf_bits_has(&b, 1), 0);
	T_EQ_INT(mf_bits_has(&b, 63), 1);
	T_EQ_INT(mf_bits_has(&b, 64), 1);
	T_EQ_INT(mf_bits_has(&b, 65), 0);
	T_EQ_INT(mf_bits_has(&b, 99999), 0);
	T_EQ_INT(mf_bits_has(&b, 100000), 1);
	T_EQ_INT(mf_bits_has(&b, 100001), 0);
	mf_bits_free(&b);
	T_EQ_INT(mf_bits_has(&b, 0), 0);
	T_EQ_INT(b.count, 0);
}

const struct t_case t_core[] = {
	{ "core/bits", bits_basic },
	{ "core/safe file names", safe_names },
	{ "core/buf bounds", buf_bounds },
	{ "core/rd lines", rd_lines },
	{ "core/rd binary and token search", rd_binary_and_find },
	{ "core/arena", arena_basic },
	{ "core/strmap", strmap_basic },
	{ "core/alias rules", alias_rules },
	{ "core/alias unique", alias_unique },
	{ "core/alias unique, from a number", alias_unique_from },
	{ "core/ascii fold", fold },
	{ "core/sha256", hash_known },
	{ "core/sha256 of a file with holes, by fd and by path", hash_fd_sparse },
	{ "core/path resolve stays inside the set", paths },
	{ "core/atomic write and map", atomic_write },
	{ "core/mkdirs below an open folder", mkdirs_at },
	{ "core/parse_u64", parse_u64 },
	{ "core/map refuses a FIFO without blocking", map_refuses_fifo },
	{ "core/rd scans are linear and tell what they passed", rd_scan_linear },
	{ "core/extsort spilled runs merge in order", extsort_order },
	{ "core/extsort spill file cannot be created", extsort_spill_fails },
	{ NULL, NULL }
};
