/* SPDX-License-Identifier: MIT */
/* files.c: what the file exporters share (see files.h). */
#include "exporters/files/files.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/progress.h"
#include "core/safename.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mf_files_open(struct mf_files *f, const char *format, int crlf,
		  struct mf_export *ex, struct mf_store *st,
		  const struct mf_export_opts *opts, struct mf_diag *diag)
{
	char real[PATH_MAX];
	int rc;

	memset(f, 0, sizeof(*f));
	f->root_fd = -1;
	if (!opts->out || !*opts->out)
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "%s needs --out DIR", format);
	if ((rc = mf_mkdirs(opts->out, 0755, diag)) < 0)
		return rc;
	if (!realpath(opts->out, real))
		return mf_diag_errno(diag, MF_EIO, opts->out, "cannot resolve");
	if (access(real, W_OK) != 0)
		return mf_diag_errno(diag, MF_EIO, real, "cannot write into");
	f->root_fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->root_fd < 0)
		return mf_diag_errno(diag, MF_EIO, real, "cannot open");
	f->ex = ex;
	f->st = st;
	f->opts = opts;
	f->root = mf_xstrdup(real);
	{
		char inst[33];
		if ((rc = mf_target_instance(inst, real, diag)) < 0) {
			close(f->root_fd);
			f->root_fd = -1;
			return rc;
		}
		f->target = mf_xasprintf("%s:%s#%s", format, real, inst);
	}
	mf_mime_opts_init(&f->mime);
	f->mime.crlf = crlf;
	f->mime.bcc = 1;
	f->mime.raw_headers = opts->keep_raw_headers ? MF_MIME_RAW_PART : MF_MIME_RAW_NONE;
	mf_buf_init(&f->msg, MF_BUF_UNBOUNDED);
	f->last_flush_ms = mf_now_ms();
	return MF_OK;
}

void mf_files_release(struct mf_files *f)
{
	mf_files_drop(f);
	free(f->pend);
	f->pend = NULL;
	f->cap_pend = 0;
	if (f->root_fd >= 0)
		close(f->root_fd);
	f->root_fd = -1;
	mf_free(&f->root);
	mf_free(&f->target);
	mf_buf_release(&f->msg);
}

int mf_files_is_public(const struct mf_mailbox *mb)
{
	return mb->kind && !strcmp(mb->kind, "public");
}

int mf_files_mailbox_name(char *out, size_t cap, const struct mf_mailbox *mb,
			  struct mf_diag *diag)
{
	if (mb->alias && *mb->alias) {
		if (!mf_files_is_public(mb) && mf_strcaseeq(mb->alias, "public"))
			return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
					   "mailbox '%s': the alias 'public' names the folder of "
					   "public folders in file exports; give the mailbox another "
					   "alias (plan --alias-map)", mb->name ? mb->name : "");
		/* aliases are [A-Za-z0-9._-] and never start with '.' (store CHECK),
		 * but pass them through the same filter as every other name */
		mf_safe_filename(out, cap, mb->alias, 64, "mailbox");
		return MF_OK;
	}
	{
		char safe[80];
		mf_safe_filename(safe, sizeof(safe), mb->name, 48, "mailbox");
		snprintf(out, cap, "%s-%lld", safe, (long long)mb->id);
	}
	return MF_OK;
}

int mf_files_is_inbox(const char *p, size_t len)
{
	size_t n = 0;
	while (n < len && p[n] != '\\')
		n++;
	return n == 5 && mf_strncaseeq(p, "inbox", 5);
}

int mf_files_folder_path(struct mf_buf *out, const char *staged)
{
	const char *p = staged ? staged : "";
	int first = 1, rc;

	for (;;) {
		const char *e = strchr(p, '\\');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char level[MF_FILES_LEVEL_MAX + 1], tmp[4096];
		if (n >= sizeof(tmp))
			n = sizeof(tmp) - 1;
		memcpy(tmp, p, n);
		tmp[n] = '\0';
		/* '/' inside a level is a character of the name, not a separator */
		for (char *q = tmp; *q; q++)
			if (*q == '/')
				*q = '_';
		mf_safe_filename(level, sizeof(level), tmp, MF_FILES_LEVEL_MAX, "_");
		if (!first && (rc = mf_buf_addch(out, '/')) < 0)
			return rc;
		if ((rc = mf_buf_addstr(out, level)) < 0)
			return rc;
		first = 0;
		if (!e)
			break;
		p = e + 1;
	}
	return MF_OK;
}

/* Write data to tmp and rename it to path, both relative to dirfd;
 * shown names the file in diag. */
static int write_at(int dirfd, const char *path, const char *tmp, const char *shown,
		    const void *data, size_t len, int64_t mtime, struct mf_diag *diag)
{
	const unsigned char *p = data;
	size_t left = len;
	int fd, rc = MF_OK;

	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return mf_diag_errno(diag, MF_EIO, shown, "cannot create");
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = mf_diag_errno(diag, MF_EIO, shown, "cannot write");
			break;
		}
		p += w;
		left -= (size_t)w;
	}
	if (rc == MF_OK && mtime >= 0) {
		struct timespec ts[2];
		ts[0].tv_sec = ts[1].tv_sec = (time_t)mtime;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		if (futimens(fd, ts) != 0)
			rc = mf_diag_errno(diag, MF_EIO, shown, "cannot set the time of");
	}
	if (close(fd) != 0 && rc == MF_OK)
		rc = mf_diag_errno(diag, MF_EIO, shown, "cannot close");
	if (rc == MF_OK && renameat(dirfd, tmp, dirfd, path) != 0)
		rc = mf_diag_errno(diag, MF_EIO, shown, "cannot rename into place");
	if (rc != MF_OK)
		unlinkat(dirfd, tmp, 0);
	return rc;
}

/* ".<name>.tmp.<pid>" in path's own folder */
static char *tmp_beside(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash)
		return mf_xasprintf("%.*s/.%s.tmp.%ld", (int)(slash - path), path, slash + 1,
				    (long)getpid());
	return mf_xasprintf(".%s.tmp.%ld", path, (long)getpid());
}

int mf_files_write(const char *path, const char *tmp_dir, const void *data,
		   size_t len, int64_t mtime, struct mf_diag *diag)
{
	const char *slash = strrchr(path, '/');
	char *tmp;
	int rc;

	if (tmp_dir)
		tmp = mf_xasprintf("%s/%s", tmp_dir, slash ? slash + 1 : path);
	else
		tmp = tmp_beside(path);
	rc = write_at(AT_FDCWD, path, tmp, path, data, len, mtime, diag);
	free(tmp);
	return rc;
}

int mf_files_write_rel(struct mf_files *f, const char *rel, const void *data, size_t len,
		       int64_t mtime, struct mf_diag *diag)
{
	char *tmp = tmp_beside(rel), *shown = mf_xasprintf("%s/%s", f->root, rel);
	int rc = write_at(f->root_fd, rel, tmp, shown, data, len, mtime, diag);
	free(tmp);
	free(shown);
	return rc;
}

void mf_files_pending(struct mf_files *f, struct mf_put_result *res, const char *kind,
		      int64_t item_id, int64_t mailbox_id, const char *remote_id,
		      const void *data, size_t len)
{
	char hex[MF_SHA256_HEX];
	mf_sha256_hex(hex, data, len);
	mf_files_pending_sum(f, res, kind, item_id, mailbox_id, remote_id, hex, len);
}

void mf_files_pending_sum(struct mf_files *f, struct mf_put_result *res, const char *kind,
			  int64_t item_id, int64_t mailbox_id, const char *remote_id,
			  const char sha256[MF_SHA256_HEX], size_t len)
{
	struct mf_files_pending *p;

	if (f->n_pend == f->cap_pend) {
		f->cap_pend = f->cap_pend ? f->cap_pend * 2 : 64;
		f->pend = mf_xreallocarray(f->pend, f->cap_pend, sizeof(*f->pend));
	}
	p = &f->pend[f->n_pend++];
	p->kind = kind;
	p->item_id = item_id;
	p->mailbox_id = mailbox_id;
	p->remote_id = mf_xstrdup(remote_id);
	memcpy(p->sha256, sha256, sizeof(p->sha256));
	p->bytes = (int64_t)len;
	res->state = MF_PUT_PENDING;
	snprintf(res->remote_id, sizeof(res->remote_id), "%s", remote_id);
	memcpy(res->sha256, p->sha256, sizeof(res->sha256));
	res->bytes = (int64_t)len;
}

int mf_files_flush(struct mf_files *f, int force, struct mf_diag *diag)
{
	int64_t now = mf_now_ms();
	int rc = MF_OK;

	if (!f->n_pend)
		return MF_OK;
	if (!f->barrier) {
		if (!force && f->n_pend < 500 && now - f->last_flush_ms < 2000)
			return MF_OK;
		if ((rc = mf_files_sync(f, diag)) < 0)
			return rc;
	}
	for (size_t i = 0; i < f->n_pend && rc == MF_OK; i++) {
		struct mf_files_pending *p = &f->pend[i];
		rc = mf_export_confirm(f->ex, p->kind, p->item_id, p->mailbox_id, p->remote_id,
				       p->sha256, p->bytes);
		if (rc < 0)
			mf_diag_set(diag, rc, NULL, MF_NO_OFFSET,
				    "cannot record the delivery of %s %lld", p->kind,
				    (long long)p->item_id);
	}
	mf_files_drop(f);
	f->last_flush_ms = now;
	return rc;
}

int mf_files_sync(struct mf_files *f, struct mf_diag *diag)
{
	if (syncfs(f->root_fd) != 0)
		return mf_diag_errno(diag, MF_EIO, f->root, "cannot sync");
	return MF_OK;
}

void mf_files_drop(struct mf_files *f)
{
	for (size_t i = 0; i < f->n_pend; i++)
		free(f->pend[i].remote_id);
	f->n_pend = 0;
}

int64_t mf_files_message_time(const struct mf_message *m)
{
	if (m->has_received)
		return m->received_utc;
	if (m->has_sent)
		return m->sent_utc;
	return -1;
}

void mf_files_message_hex(char *out, size_t n, const struct mf_message *m)
{
	char sid[MF_MIME_STAGED_ID_MAX], hex[MF_SHA256_HEX];
	if (n > 64)
		n = 64;
	mf_mime_staged_id(sid, m);
	mf_sha256_hex(hex, sid, strlen(sid));
	memcpy(out, hex, n);
	out[n] = '\0';
}

void mf_files_refuse(struct mf_files *f, struct mf_put_result *res, const char *code,
		     const struct mf_mailbox *mb, const struct mf_message *m,
		     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
	res->state = MF_PUT_REFUSED;
	mf_export_problem(f->ex, MF_ERROR, code, mb->id, m ? m->id : 0, "%s", res->detail);
}

int mf_files_build(struct mf_files *f, const struct mf_message *m,
		   const struct mf_mailbox *mb, struct mf_put_result *res,
		   struct mf_diag *diag)
{
	struct mf_diag d;
	int rc;

	mf_buf_reset(&f->msg);
	mf_diag_clear(&d);
	rc = mf_mime_build(&f->msg, m, mb, &f->mime, &d);
	if (rc == MF_ETOOBIG || rc == MF_EFORMAT) {
		mf_files_refuse(f, res, "mime.build-failed", mb, m, "message %lld: %.200s",
				(long long)m->id, d.msg);
		return MF_SKIP;
	}
	if (rc < 0)
		*diag = d;
	return rc;
}
