/* SPDX-License-Identifier: MIT */
/* fsutil.c: safe input paths, file mapping, atomic output (see fsutil.h). */
#include "core/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static int inside(const char *root_real, const char *path_real)
{
	size_t n = strlen(root_real);
	if (strncmp(root_real, path_real, n) != 0)
		return 0;
	return path_real[n] == '\0' || path_real[n] == '/' ||
	       (n == 1 && root_real[0] == '/');
}

/* The checks of rel that need no file: MF_OK or MF_EFORMAT. */
static int rel_check(const char *rel, struct mf_diag *diag)
{
	size_t rl = strlen(rel);
	if (rl == 0 || rel[0] == '/' || rel[0] == '\\' ||
	    (rl >= 2 && rel[1] == ':'))
		return mf_diag_set(diag, MF_EFORMAT, rel, MF_NO_OFFSET,
				   "path must be relative to the set folder");
	for (size_t i = 0; i < rl; i++)
		if ((unsigned char)rel[i] < 0x20)
			return mf_diag_set(diag, MF_EFORMAT, rel, MF_NO_OFFSET,
					   "control byte in file name");
	return MF_OK;
}

/* mf_path_resolve below root_real (what realpath() returned for root). */
static int resolve_in(char **out, const char *root_real, const char *rel,
		      struct mf_diag *diag)
{
	char *cur = NULL, *copy = NULL, *real = NULL;
	int rc, linked = 0;

	*out = NULL;
	if ((rc = rel_check(rel, diag)) < 0)
		goto out;
	cur = mf_xstrdup(root_real);
	copy = mf_xstrdup(rel);
	for (char *p = copy; *p; p++)
		if (*p == '\\')
			*p = '/';
	{
		char *save = NULL;
		for (char *comp = strtok_r(copy, "/", &save); comp;
		     comp = strtok_r(NULL, "/", &save)) {
			char *next;
			struct stat st;
			if (!strcmp(comp, "."))
				continue;
			if (!strcmp(comp, "..")) {
				mf_diag_set(diag, MF_EFORMAT, rel, MF_NO_OFFSET,
					    "path leaves the set folder ('..')");
				rc = MF_EFORMAT;
				goto out;
			}
			next = mf_xasprintf("%s/%s", cur, comp);
			if (lstat(next, &st) == 0) {
				linked |= S_ISLNK(st.st_mode);
			} else {
				/* DOS names: find a case-insensitive match */
				DIR *d = opendir(cur);
				struct dirent *de;
				char *found = NULL;
				if (d) {
					while ((de = readdir(d))) {
						if (mf_strcaseeq(de->d_name, comp)) {
							found = mf_xstrdup(de->d_name);
							break;
						}
					}
					closedir(d);
				}
				free(next);
				if (!found) {
					mf_diag_set(diag, MF_ENOTFOUND, rel, MF_NO_OFFSET,
						    "no such file in the set");
					rc = MF_ENOTFOUND;
					goto out;
				}
				next = mf_xasprintf("%s/%s", cur, found);
				free(found);
				linked = 1;     /* not looked at: realpath decides */
			}
			free(cur);
			cur = next;
		}
	}
	/* no component was a symbolic link (lstat of each), none is "." or
	 * "..": the path is real already; a realpath() would read every
	 * component again (a readlink each: a set read back checks three
	 * files a mailbox) */
	if (!linked && strcmp(root_real, "/") != 0)
		real = mf_xstrdup(cur);
	else
		real = realpath(cur, NULL);
	if (!real) {
		rc = mf_diag_errno(diag, MF_ENOTFOUND, rel, "cannot resolve");
		goto out;
	}
	if (!inside(root_real, real)) {
		mf_diag_set(diag, MF_EFORMAT, rel, MF_NO_OFFSET,
			    "path leads outside the set folder (symbolic link to '%s')", real);
		rc = MF_EFORMAT;
		goto out;
	}
	*out = real;
	real = NULL;
	rc = MF_OK;
out:
	free(cur);
	free(copy);
	free(real);
	return rc;
}

int mf_path_resolve_real(char **out, const char *root_real, const char *rel,
			 struct mf_diag *diag)
{
	*out = NULL;
	return resolve_in(out, root_real, rel, diag);
}

int mf_path_resolve(char **out, const char *root, const char *rel,
		    struct mf_diag *diag)
{
	char *root_real;
	int rc;

	*out = NULL;
	/* rel first: the folder's error only for a name that could be in it */
	if ((rc = rel_check(rel, diag)) < 0)
		return rc;
	root_real = realpath(root, NULL);
	if (!root_real)
		return mf_diag_errno(diag, MF_EIO, root, "cannot open folder");
	rc = resolve_in(out, root_real, rel, diag);
	free(root_real);
	return rc;
}

int mf_map_open(struct mf_map *m, const char *path, struct mf_diag *diag)
{
	struct stat st;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->data = (const unsigned char *)"";
	/* O_NONBLOCK: a FIFO or a device in a set must not block the open;
	 * only a regular file is mapped (below) */
	m->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (m->fd < 0)
		return mf_diag_errno(diag, MF_EIO, path, "cannot open");
	if (fstat(m->fd, &st) != 0) {
		int rc = mf_diag_errno(diag, MF_EIO, path, "cannot stat");
		mf_map_close(m);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		mf_map_close(m);
		return mf_diag_set(diag, MF_EFORMAT, path, MF_NO_OFFSET,
				   "not a regular file");
	}
	m->path = mf_xstrdup(path);
	if (st.st_size > 0) {
		void *p;
		if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
			mf_map_close(m);
			return mf_diag_set(diag, MF_ETOOBIG, path, MF_NO_OFFSET,
					   "file too large to map");
		}
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, m->fd, 0);
		if (p == MAP_FAILED) {
			int rc = mf_diag_errno(diag, MF_EIO, path, "cannot map");
			mf_map_close(m);
			return rc;
		}
		madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
		m->data = p;
		m->len = (size_t)st.st_size;
	}
	return MF_OK;
}

void mf_map_release_before(struct mf_map *m, uint64_t off)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t n;
	if (!m->len || pg <= 0)
		return;
	if (off > m->len)
		off = m->len;
	n = (size_t)off - ((size_t)off % (size_t)pg);
	if (n)
		madvise((void *)m->data, n, MADV_DONTNEED);
}

static void map_passed(void *ctx, const unsigned char *from, const unsigned char *to)
{
	const struct mf_map *m = ctx;
	long pg = sysconf(_SC_PAGESIZE);
	size_t a, b;
	if (pg <= 0 || !m->len || from < m->data || to > m->data + m->len || to <= from)
		return;
	/* whole pages inside [from, to) only */
	a = (size_t)(from - m->data);
	b = (size_t)(to - m->data);
	a = (a + (size_t)pg - 1) / (size_t)pg * (size_t)pg;
	b = b / (size_t)pg * (size_t)pg;
	if (b > a)
		madvise((void *)(m->data + a), b - a, MADV_DONTNEED);
}

void mf_map_watch(struct mf_map *m, struct mf_rd *r)
{
	r->passed = map_passed;
	r->passed_ctx = m;
}

void mf_map_close(struct mf_map *m)
{
	if (m->len)
		munmap((void *)m->data, m->len);
	if (m->fd >= 0)
		close(m->fd);
	free(m->path);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->data = (const unsigned char *)"";
}

int mf_read_file(char **out, size_t *len_out, const char *path, size_t max,
		 struct mf_diag *diag)
{
	struct mf_map m;
	int rc = mf_map_open(&m, path, diag);
	*out = NULL;
	if (rc < 0)
		return rc;
	if (m.len > max) {
		mf_map_close(&m);
		return mf_diag_set(diag, MF_ETOOBIG, path, MF_NO_OFFSET,
				   "file is larger than %zu bytes", max);
	}
	*out = mf_xstrndup((const char *)m.data, m.len);
	if (len_out)
		*len_out = m.len;
	mf_map_close(&m);
	return MF_OK;
}

int mf_write_atomic(const char *path, const void *data, size_t len, int mode,
		    int do_fsync, struct mf_diag *diag)
{
	const char *slash = strrchr(path, '/');
	char *tmp;
	int fd, rc = MF_OK;
	const unsigned char *p = data;
	size_t left = len;

	if (slash)
		tmp = mf_xasprintf("%.*s/.%s.tmp.%ld", (int)(slash - path), path,
				   slash + 1, (long)getpid());
	else
		tmp = mf_xasprintf(".%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = mf_diag_errno(diag, MF_EIO, path, "cannot create");
		free(tmp);
		return rc;
	}
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = mf_diag_errno(diag, MF_EIO, path, "cannot write");
			break;
		}
		p += w;
		left -= (size_t)w;
	}
	if (rc == MF_OK && do_fsync && fsync(fd) != 0)
		rc = mf_diag_errno(diag, MF_EIO, path, "cannot sync");
	if (close(fd) != 0 && rc == MF_OK)
		rc = mf_diag_errno(diag, MF_EIO, path, "cannot close");
	if (rc == MF_OK && rename(tmp, path) != 0)
		rc = mf_diag_errno(diag, MF_EIO, path, "cannot rename into place");
	if (rc != MF_OK)
		unlink(tmp);
	free(tmp);
	return rc;
}

static int mkdir_at_fail(const char *root, const char *rel, struct mf_diag *diag)
{
	int e = errno, rc;
	char *full = root ? mf_xasprintf("%s/%s", root, rel) : mf_xstrdup(rel);
	errno = e;
	rc = mf_diag_errno(diag, MF_EIO, full, "cannot create folder");
	free(full);
	return rc;
}

int mf_mkdirs_at(int dirfd, const char *root, const char *rel, int mode, struct mf_diag *diag)
{
	char *p;
	int rc = MF_OK;

	if (mkdirat(dirfd, rel, (mode_t)mode) == 0 || errno == EEXIST)
		return MF_OK;
	if (errno != ENOENT)
		return mkdir_at_fail(root, rel, diag);
	/* a parent is missing: every level in turn */
	p = mf_xstrdup(rel);
	for (char *s = p + 1; *p; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdirat(dirfd, p, (mode_t)mode) != 0 && errno != EEXIST) {
				rc = mkdir_at_fail(root, p, diag);
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return rc;
}

int mf_mkdirs(const char *path, int mode, struct mf_diag *diag)
{
	return mf_mkdirs_at(AT_FDCWD, NULL, path, mode, diag);
}

int mf_target_instance(char out[33], const char *dir, struct mf_diag *diag)
{
	char *path = mf_xasprintf("%s/.mailferry-target", dir);
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = mf_read_file(&text, &len, path, 4096, NULL);
	if (rc != MF_OK) {
		/* write a fresh id under a temporary name, then link it into
		 * place: link fails when another run got there first, and then
		 * its id is the one everybody uses */
		unsigned char r[16];
		char id[34], *tmp = mf_xasprintf("%s/.mailferry-target.%ld", dir, (long)getpid());
		static const char hexd[] = "0123456789abcdef";
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
			free(tmp);
			free(path);
			return mf_diag_errno(diag, MF_EIO, dir, "cannot get random bytes");
		}
		for (int i = 0; i < 16; i++) {
			id[2 * i] = hexd[r[i] >> 4];
			id[2 * i + 1] = hexd[r[i] & 15];
		}
		id[32] = '\n';
		id[33] = '\0';
		rc = mf_write_atomic(tmp, id, 33, 0644, 1, diag);
		if (rc == MF_OK && link(tmp, path) != 0 && errno != EEXIST)
			rc = mf_diag_errno(diag, MF_EIO, path, "cannot create");
		unlink(tmp);
		free(tmp);
		if (rc == MF_OK)
			rc = mf_read_file(&text, &len, path, 4096, diag);
	}
	if (rc == MF_OK) {
		size_t n = 0;
		while (n < len && n < 32 && ((text[n] >= '0' && text[n] <= '9') ||
					     (text[n] >= 'a' && text[n] <= 'f')))
			n++;
		if (n != 32)
			rc = mf_diag_set(diag, MF_EFORMAT, path, 0,
					 "not a mailferry target marker (32 hex digits expected)");
		else {
			memcpy(out, text, 32);
			out[32] = '\0';
		}
	}
	free(text);
	free(path);
	return rc;
}
