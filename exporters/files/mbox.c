/* SPDX-License-Identifier: MIT */
/*
 * mbox.c: `mailferry export mbox`: one mboxrd file per folder.
 *
 *   DIR/<alias>/Inbox.mbox, DIR/<alias>/Sent Items.mbox,
 *   DIR/<alias>/Projects/Q2.mbox (folder "Projects\Q2"),
 *   DIR/public/<alias>/Inbox.mbox (a public folder)
 *
 * Each message is "From <sender> <asctime UTC>", its header block with
 * Status: (R read, O old) and X-Status: (F flagged with --flag-urgent,
 * T draft) added, its body, and an empty line.  mboxrd quoting: every line
 * that starts with zero or more '>' followed by "From " gets one more '>'
 * (a reader that knows mboxrd removes exactly one).  Lines end in LF.
 *
 * Resuming.  A message's ledger remote_id is "<file>@<start>+<length>"
 * (<file> relative to DIR, or "#<hash>" when too long).  Before anything
 * is appended to a file in a run, the file is cut back to the end of the
 * last message the ledger records for it: whatever a crashed run appended
 * after that is removed and written again, never duplicated.  Deliveries
 * are confirmed only after the file system is synced (exporters/files/files.h).
 */
#include "engine/exporter.h"
#include "exporters/files/files.h"
#include "core/date.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define PATH_LIMIT 3800

struct end_rec {
	char *key;
	int64_t end;
};

struct mf_export_ctx {
	struct mf_files f;
	char *mbox_rel;          /* "<alias>" or "public/<alias>" */
	struct end_rec *ends;    /* ledger: last recorded end per file key */
	size_t n_ends, cap_ends;
	char **prepared;         /* file keys cut back in this mailbox */
	size_t n_prep, cap_prep;
	int fd;                  /* current file */
	char *cur_rel;
	int64_t cur_end;
	struct mf_buf entry;     /* the From line of the entry being written */
	char xstatus[32];        /* its X-Status line, or "" */
	struct iovec *iov;       /* the entry as pieces (add_entry) */
	size_t n_iov, cap_iov;
	size_t entry_len;
};

static int mb_open(struct mf_export_ctx **out, struct mf_export *ex, struct mf_store *st,
		   const struct mf_export_opts *opts, struct mf_diag *diag)
{
	struct mf_export_ctx *c = mf_xcalloc(1, sizeof(*c));
	int rc = mf_files_open(&c->f, "mbox", 0, ex, st, opts, diag);
	c->fd = -1;
	if (rc < 0) {
		mf_files_release(&c->f);
		free(c);
		return rc;
	}
	mf_buf_init(&c->entry, MF_BUF_UNBOUNDED);
	c->f.barrier = 1;
	*out = c;
	return MF_OK;
}

static const char *mb_target(struct mf_export_ctx *c)
{
	return c->f.target;
}

/* The ledger key of a file: its relative path, or "#<hash>" if long. */
static char *file_key(const char *rel)
{
	char hex[65];
	if (strlen(rel) <= 200)
		return mf_xstrdup(rel);
	mf_sha256_hex(hex, rel, strlen(rel));
	return mf_xasprintf("#%.32s", hex);
}

static void forget_mailbox(struct mf_export_ctx *c)
{
	for (size_t i = 0; i < c->n_ends; i++)
		free(c->ends[i].key);
	c->n_ends = 0;
	for (size_t i = 0; i < c->n_prep; i++)
		free(c->prepared[i]);
	c->n_prep = 0;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	mf_free(&c->cur_rel);
	mf_free(&c->mbox_rel);
}

/* Parse "<key>@<start>+<len>". */
static int parse_remote(const char *r, char **key_out, int64_t *end_out)
{
	const char *at = strrchr(r, '@'), *plus;
	uint64_t start, len;
	if (!at || !(plus = strchr(at, '+')))
		return MF_EFORMAT;
	if (mf_parse_u64(&start, at + 1, (size_t)(plus - at - 1), INT64_MAX / 2) < 0 ||
	    mf_parse_u64(&len, plus + 1, strlen(plus + 1), INT64_MAX / 2) < 0)
		return MF_EFORMAT;
	*key_out = mf_xstrndup(r, (size_t)(at - r));
	*end_out = (int64_t)(start + len);
	return MF_OK;
}

/* The end of each file as the ledger records it (the highest start+len
 * of the messages delivered into it). */
static int load_ends(struct mf_export_ctx *c, int64_t mailbox_id, struct mf_diag *diag)
{
	struct mf_arena a = MF_ARENA_INIT;
	const char **ids;
	size_t n;
	int rc;

	rc = mf_export_ledger_remote_ids(c->f.ex, mailbox_id, NULL, &ids, &n, &a, diag);
	for (size_t k = 0; rc == MF_OK && k < n; k++) {
		char *key;
		int64_t end;
		size_t i;
		if (parse_remote(ids[k], &key, &end) < 0)
			continue;
		for (i = 0; i < c->n_ends; i++)
			if (!strcmp(c->ends[i].key, key))
				break;
		if (i < c->n_ends) {
			if (end > c->ends[i].end)
				c->ends[i].end = end;
			free(key);
			continue;
		}
		if (c->n_ends == c->cap_ends) {
			c->cap_ends = c->cap_ends ? c->cap_ends * 2 : 16;
			c->ends = mf_xreallocarray(c->ends, c->cap_ends, sizeof(*c->ends));
		}
		c->ends[c->n_ends].key = key;
		c->ends[c->n_ends].end = end;
		c->n_ends++;
	}
	mf_arena_release(&a);
	return rc;
}

/* "DIR-relative path of the file for staged folder path". */
static char *folder_rel(struct mf_export_ctx *c, const char *staged)
{
	struct mf_buf b;
	mf_buf_init(&b, MF_BUF_LINE_MAX);
	mf_buf_addstr(&b, c->mbox_rel);
	mf_buf_addch(&b, '/');
	mf_files_folder_path(&b, staged);
	mf_buf_addstr(&b, ".mbox");
	return mf_buf_detach(&b, NULL);
}

/*
 * Open (creating) the file rel and, the first time in this mailbox, cut it
 * back to the ledger's last recorded end.  Returns the fd (>= 0) with
 * *end_out its size, or a negative code.
 */
static int open_file(struct mf_export_ctx *c, const struct mf_mailbox *mb, const char *rel,
		     int64_t *end_out, struct mf_diag *diag)
{
	char *path = mf_xasprintf("%s/%s", c->f.root, rel);
	char *key = file_key(rel);
	struct stat sb;
	int fd, rc, seen = 0;

	/* relative to the output folder: no look-up of the folders above it */
	{
		char *dir = mf_xstrdup(rel), *slash = strrchr(dir, '/');
		rc = MF_OK;
		if (slash) {
			*slash = '\0';
			rc = mf_mkdirs_at(c->f.root_fd, c->f.root, dir, 0755, diag);
		}
		free(dir);
		if (rc < 0)
			goto out;
	}
	fd = openat(c->f.root_fd, rel, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		rc = mf_diag_errno(diag, MF_EIO, path, "cannot open");
		goto out;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		rc = mf_diag_errno(diag, MF_EIO, path, "not a regular file:");
		close(fd);
		goto out;
	}
	for (size_t i = 0; i < c->n_prep; i++)
		if (!strcmp(c->prepared[i], key))
			seen = 1;
	if (!seen) {
		int64_t want = 0;
		for (size_t i = 0; i < c->n_ends; i++)
			if (!strcmp(c->ends[i].key, key))
				want = c->ends[i].end;
		if (sb.st_size > want) {
			if (ftruncate(fd, (off_t)want) != 0) {
				rc = mf_diag_errno(diag, MF_EIO, path, "cannot cut back");
				close(fd);
				goto out;
			}
			mf_export_problem(c->f.ex, MF_INFO, "mbox.cut-back", mb->id, 0,
					  "%s: %lld bytes after the last recorded message removed "
					  "(left by an interrupted run; written again)", rel,
					  (long long)(sb.st_size - want));
			sb.st_size = (off_t)want;
		} else if (sb.st_size < want) {
			mf_export_problem(c->f.ex, MF_WARNING, "mbox.shorter-than-ledger", mb->id, 0,
					  "%s is %lld bytes but the ledger records messages up to "
					  "byte %lld: the file was changed outside mailferry",
					  rel, (long long)sb.st_size, (long long)want);
		}
		if (c->n_prep == c->cap_prep) {
			c->cap_prep = c->cap_prep ? c->cap_prep * 2 : 16;
			c->prepared = mf_xreallocarray(c->prepared, c->cap_prep, sizeof(*c->prepared));
		}
		c->prepared[c->n_prep++] = key;
		key = NULL;
	}
	*end_out = (int64_t)sb.st_size;
	rc = fd;
out:
	free(key);
	free(path);
	return rc;
}

static int mb_mailbox_begin(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			    const char *const *folders, size_t n, struct mf_diag *diag)
{
	char name[128];
	int rc;

	forget_mailbox(c);
	if ((rc = mf_files_mailbox_name(name, sizeof(name), mb, diag)) < 0)
		return rc;
	c->mbox_rel = mf_files_is_public(mb) ? mf_xasprintf("public/%s", name) : mf_xstrdup(name);
	if ((rc = load_ends(c, mb->id, diag)) < 0)
		return rc;
	for (size_t i = 0; i <= n; i++) {
		char *rel = folder_rel(c, i < n ? folders[i] : "Inbox");
		int64_t end;
		if (strlen(rel) + strlen(c->f.root) < PATH_LIMIT) {
			rc = open_file(c, mb, rel, &end, diag);
			if (rc >= 0) {
				close(rc);
				rc = MF_OK;
			}
		}
		free(rel);
		if (rc < 0)
			return rc;
	}
	return MF_OK;
}

/* "From sender Www Mmm dd hh:mm:ss yyyy\n" */
static void from_line(struct mf_buf *b, const struct mf_message *m, const struct mf_mailbox *mb,
		      const struct mf_mime_opts *o)
{
	static const char *const wd[] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
	static const char *const mn[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct mf_buf name, addr;
	struct mf_civil cv;
	int64_t t = m->has_sent ? m->sent_utc : m->has_received ? m->received_utc : 0;
	int64_t days;

	mf_buf_init(&name, MF_BUF_LINE_MAX);
	mf_buf_init(&addr, MF_BUF_LINE_MAX);
	if (!(m->sender_raw || m->sender_address) ||
	    mf_mime_address(&name, &addr, m->sender_name, m->sender_type, m->sender_address,
			    m->sender_raw, mb, o) != MF_OK) {
		mf_buf_reset(&addr);
		mf_buf_addstr(&addr, "MAILER-DAEMON");
	}
	mf_utc_to_civil(&cv, t);
	days = mf_days_from_civil(cv.year, cv.month, cv.day);
	mf_buf_addf(b, "From %s %s %s %2d %02d:%02d:%02d %04d\n", addr.data,
		    wd[((days % 7) + 7) % 7], mn[cv.month - 1], cv.day, cv.hour, cv.min, cv.sec,
		    cv.year);
	mf_buf_release(&name);
	mf_buf_release(&addr);
}

/* One more piece of the entry being written. */
static void piece(struct mf_export_ctx *c, const void *p, size_t n)
{
	if (!n)
		return;
	if (c->n_iov == c->cap_iov) {
		c->cap_iov = c->cap_iov ? c->cap_iov * 2 : 64;
		c->iov = mf_xreallocarray(c->iov, c->cap_iov, sizeof(*c->iov));
	}
	c->iov[c->n_iov].iov_base = (void *)p;
	c->iov[c->n_iov].iov_len = n;
	c->n_iov++;
	c->entry_len += n;
}

/* The Status lines (status, then X-Status when there is one). */
static void status_pieces(struct mf_export_ctx *c, const char *status)
{
	piece(c, status, strlen(status));
	piece(c, c->xstatus, strlen(c->xstatus));
}

/*
 * The entry of the built message (c->f.msg) as pieces (c->iov), not a
 * copy: the From line (c->entry), the message's own bytes in spans, the
 * Status lines after its header block, a '>' before every line that
 * starts with zero or more '>' and "From " (found line by line with
 * memchr, which is vectorised: memmem for "From " costs more than the
 * copy it replaced), and the closing empty line.
 */
static void add_entry(struct mf_export_ctx *c, const struct mf_message *m,
		      const struct mf_mailbox *mb)
{
	static const char gt[] = ">", nl[] = "\n";
	const char *start = c->f.msg.data, *end = start + c->f.msg.len;
	const char *hdr_end, *cur = start, *h;
	const char *status = m->unread ? "Status: O\n" : "Status: RO\n";
	char xs[4];
	size_t k = 0;
	int status_due = 1;

	mf_buf_reset(&c->entry);
	c->n_iov = 0;
	c->entry_len = 0;
	from_line(&c->entry, m, mb, &c->f.mime);
	if (c->f.msg.len && start[0] == '\n') {
		hdr_end = start;
	} else {
		const char *q = memmem(start, c->f.msg.len, "\n\n", 2);
		hdr_end = q ? q + 1 : end;
	}
	if (m->unsent)
		xs[k++] = 'T';
	if (c->f.opts->flag_urgent && m->priority > 0)
		xs[k++] = 'F';
	xs[k] = '\0';
	c->xstatus[0] = '\0';
	if (k)
		snprintf(c->xstatus, sizeof(c->xstatus), "X-Status: %s\n", xs);
	piece(c, c->entry.data, c->entry.len);
	/* the Status lines go where the header block ends: before the empty
	 * line, or after everything when there is none; that empty line never
	 * needs a '>', so the two kinds of insertion never meet */
	for (const char *ls = start; ls < end; ls = h) {
		const char *q = ls;
		while (q < end && *q == '>')
			q++;
		h = memchr(q, '\n', (size_t)(end - q));
		h = h ? h + 1 : end;
		if ((size_t)(end - q) < 5 || memcmp(q, "From ", 5))
			continue;
		if (status_due && hdr_end <= ls && hdr_end < end) {
			piece(c, cur, (size_t)(hdr_end - cur));
			status_pieces(c, status);
			cur = hdr_end;
			status_due = 0;
		}
		piece(c, cur, (size_t)(ls - cur));
		piece(c, gt, 1);
		cur = ls;
	}
	if (status_due && hdr_end < end) {
		piece(c, cur, (size_t)(hdr_end - cur));
		status_pieces(c, status);
		cur = hdr_end;
		status_due = 0;
	}
	piece(c, cur, (size_t)(end - cur));
	if (status_due) {       /* header block with no body */
		status_pieces(c, status);
	}
	{
		const struct iovec *last = &c->iov[c->n_iov - 1];
		if (((const char *)last->iov_base)[last->iov_len - 1] != '\n')
			piece(c, nl, 1);
	}
	piece(c, nl, 1);
}

/* Write the pieces at off (pwritev, as many at a time as the system
 * takes) and hash them.  0, or -1 with errno. */
static int write_entry(struct mf_export_ctx *c, int64_t off, char sha[MF_SHA256_HEX])
{
	struct mf_sha256 h;
	struct iovec *v = c->iov;
	size_t n = c->n_iov;

	mf_sha256_init(&h);
	for (size_t i = 0; i < n; i++)
		mf_sha256_update(&h, v[i].iov_base, v[i].iov_len);
	mf_sha256_final(&h, sha);
	while (n) {
		int cnt = n > IOV_MAX ? IOV_MAX : (int)n;
		ssize_t w = pwritev(c->fd, v, cnt, (off_t)off);
		size_t left;
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		off += w;
		left = (size_t)w;
		while (n && left >= v->iov_len) {
			left -= v->iov_len;
			v++;
			n--;
		}
		if (n && left) {
			v->iov_base = (char *)v->iov_base + left;
			v->iov_len -= left;
		}
	}
	return 0;
}

static int mb_put_message(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			  const struct mf_message *m, struct mf_put_result *res,
			  struct mf_diag *diag)
{
	const char *fp = m->folder_path ? m->folder_path : "Inbox";
	char *rel = folder_rel(c, fp);
	char sha[MF_SHA256_HEX];
	int rc;

	if (strlen(rel) + strlen(c->f.root) >= PATH_LIMIT) {
		mf_files_refuse(&c->f, res, "mbox.path-too-long", mb, m,
				"folder '%.120s' makes a path too long for the file system", fp);
		free(rel);
		return MF_OK;
	}
	if (!c->cur_rel || strcmp(c->cur_rel, rel)) {
		if (c->fd >= 0)
			close(c->fd);
		mf_free(&c->cur_rel);
		c->fd = open_file(c, mb, rel, &c->cur_end, diag);
		if (c->fd < 0) {
			rc = c->fd;
			goto out;
		}
		c->cur_rel = mf_xstrdup(rel);
	}
	if ((rc = mf_files_build(&c->f, m, mb, res, diag)) != MF_OK) {
		rc = rc == MF_SKIP ? MF_OK : rc;
		goto out;
	}
	add_entry(c, m, mb);
	if (write_entry(c, c->cur_end, sha) != 0) {
		rc = mf_diag_errno(diag, MF_EIO, rel, "cannot write");
		if (ftruncate(c->fd, (off_t)c->cur_end) != 0) {
			/* the next run cuts it back */
		}
		goto out;
	}
	{
		char *key = file_key(rel);
		char rid[256];
		snprintf(rid, sizeof(rid), "%s@%" PRId64 "+%zu", key, c->cur_end, c->entry_len);
		free(key);
		mf_files_pending_sum(&c->f, res, "message", m->id, mb->id, rid, sha, c->entry_len);
	}
	c->cur_end += (int64_t)c->entry_len;
	rc = mf_files_flush(&c->f, 0, diag);
out:
	free(rel);
	return rc;
}

static int mb_mailbox_end(struct mf_export_ctx *c, const struct mf_mailbox *mb, int failed,
			  struct mf_diag *diag)
{
	int rc = MF_OK;
	(void)mb;
	if (failed)
		mf_files_drop(&c->f);
	else
		rc = mf_files_flush(&c->f, 1, diag);
	forget_mailbox(c);
	return rc;
}

static void mb_close(struct mf_export_ctx **pc)
{
	struct mf_export_ctx *c = pc ? *pc : NULL;
	if (!c)
		return;
	forget_mailbox(c);
	free(c->ends);
	free(c->prepared);
	mf_buf_release(&c->entry);
	free(c->iov);
	mf_files_release(&c->f);
	free(c);
	*pc = NULL;
}

/* The driver's sync barrier (files.h, Durability). */
static int mb_sync(struct mf_export_ctx *c, struct mf_diag *diag)
{
	return mf_files_sync(&c->f, diag);
}

const struct mf_exporter mf_exporter_mbox = {
	.name = "mbox",
	.summary = "mboxrd files, one per folder",
	.options = (const struct mf_option[]){
		MF_OPTION_OUT,
		MF_OPTION_KEEP_RAW_HEADERS,
		{ .name = NULL }
	},
	.caps = MF_EXP_NEEDS_OUT | MF_EXP_MESSAGES | MF_EXP_ID_ORDER,
	.open = mb_open,
	.target = mb_target,
	.mailbox_begin = mb_mailbox_begin,
	.put_message = mb_put_message,
	.mailbox_end = mb_mailbox_end,
	.close = mb_close,
	.verify = mf_files_verify_mbox,
	.sync = mb_sync,
};
