/* SPDX-License-Identifier: MIT */
/*
 * maildir.c: `mailferry export maildir`: one Maildir++ per mailbox.
 *
 *   DIR/<alias>/{cur,new,tmp}                 the inbox
 *   DIR/<alias>/.Sent Items/{cur,new,tmp}     folder "Sent Items"
 *   DIR/<alias>/.Projects.Q2/...              folder "Projects\Q2" (and
 *                                             ".Projects" for its parent)
 *   DIR/public/.<alias>/...                   a public folder (bulletin
 *                                             board); its subfolders
 *                                             DIR/public/.<alias>.<sub>
 *
 * Folder names are as Dovecot's Maildir++ layout reads them: levels joined
 * by '.', each level in IMAP modified UTF-7 (core/utf7.h), with '.', '/'
 * and control characters inside a level replaced by '_' (Maildir++ cannot
 * hold them; docs/decisions.md).  Subfolders carry the "maildirfolder"
 * marker file.
 *
 * Messages are written to tmp/ and renamed into cur/ as
 *     <time>.M<16 hex>.mailferry,S=<size>,W=<size with CR LF>:2,<flags>
 * where the hex digits come from the staged identity (mf_mime_staged_id):
 * the same message always gets the same name, so delivering it again
 * after a crash replaces the first copy.  Flags: S read, D draft (unsent),
 * F flagged (high priority, with --flag-urgent).  The file's modification
 * time is the message's received (else sent) date, which Dovecot reports
 * as the IMAP INTERNALDATE.
 */
#include "engine/exporter.h"
#include "exporters/files/files.h"
#include "core/fsutil.h"
#include "core/utf7.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Longest folder directory name (one path component) we write. */
#define DIRNAME_MAX 250
/* Longest level before encoding (UTF-8 bytes). */
#define LEVEL_MAX 80

struct mf_export_ctx {
	struct mf_files f;
	char *mbox_dir;          /* absolute: DIR/<alias> or DIR/public */
	char *pub_prefix;        /* public mailbox: ".<alias>" encoded; else NULL */
};

static int md_open(struct mf_export_ctx **out, struct mf_export *ex, struct mf_store *st,
		   const struct mf_export_opts *opts, struct mf_diag *diag)
{
	struct mf_export_ctx *c = mf_xcalloc(1, sizeof(*c));
	int rc = mf_files_open(&c->f, "maildir", 0, ex, st, opts, diag);
	if (rc < 0) {
		mf_files_release(&c->f);
		free(c);
		return rc;
	}
	*out = c;
	return MF_OK;
}

static const char *md_target(struct mf_export_ctx *c)
{
	return c->f.target;
}

/* Append one level, made safe and encoded. */
static int add_level(struct mf_buf *out, const char *p, size_t n)
{
	char tmp[LEVEL_MAX + 8];
	size_t k = 0;

	/* cut at a character boundary */
	if (n > LEVEL_MAX) {
		n = LEVEL_MAX;
		while (n && ((unsigned char)p[n] & 0xC0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		tmp[k++] = (c < 0x20 || c == 0x7f || c == '.' || c == '/') ? '_' : (char)c;
	}
	tmp[k] = '\0';
	if (k == 0 || tmp[0] == '~') {
		if (k == 0)
			tmp[k++] = '_';
		else
			tmp[0] = '_';
		tmp[k] = '\0';
	}
	if (mf_utf7_imap_encode(out, tmp, k) != MF_OK) {
		/* not UTF-8: keep the ASCII bytes only */
		for (size_t i = 0; i < k; i++)
			mf_buf_addch(out, (unsigned char)tmp[i] < 0x80 ? tmp[i] : '_');
	}
	return MF_OK;
}

/*
 * The folder directory name (relative to the Maildir++ root) for staged
 * path `path` ('\' between levels, `len` bytes): "" for the inbox of a
 * personal mailbox, ".Sent Items", ".INBOX.Sub", ".<alias>.X" for public.
 * MF_ETOOBIG when the name would pass DIRNAME_MAX.
 */
static int folder_dir(struct mf_buf *out, const struct mf_export_ctx *c, const char *path,
		      size_t len)
{
	size_t i = 0;
	int first = 1;

	mf_buf_reset(out);
	if (c->pub_prefix)
		mf_buf_addstr(out, c->pub_prefix);
	if (mf_files_is_inbox(path, len)) {
		i = 5;
		if (i < len && path[i] == '\\')
			i++;
		if (i >= len)
			return MF_OK;           /* the inbox itself */
		if (!c->pub_prefix)
			mf_buf_addstr(out, ".INBOX");
	}
	while (i <= len) {
		size_t j = i;
		while (j < len && path[j] != '\\')
			j++;
		mf_buf_addch(out, '.');
		add_level(out, path + i, j - i);
		first = 0;
		i = j + 1;
	}
	(void)first;
	return out->len > DIRNAME_MAX ? MF_ETOOBIG : MF_OK;
}

static int make_maildir(const char *dir, int marker, struct mf_diag *diag)
{
	static const char *const sub[] = { "cur", "new", "tmp" };
	int rc;
	for (int i = 0; i < 3; i++) {
		char *p = mf_xasprintf("%s/%s", dir, sub[i]);
		rc = mf_mkdirs(p, 0755, diag);
		free(p);
		if (rc < 0)
			return rc;
	}
	if (marker) {
		char *p = mf_xasprintf("%s/maildirfolder", dir);
		int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			rc = mf_diag_errno(diag, MF_EIO, p, "cannot create");
		else
			close(fd);
		free(p);
		if (rc < 0)
			return rc;
	}
	return MF_OK;
}

/* Create the folder for staged path[0..len) and, first, its parents. */
static int make_folder(struct mf_export_ctx *c, const char *path, size_t len,
		       struct mf_diag *diag)
{
	struct mf_buf d;
	int rc;

	/* the parent first (which makes its own parent): the last '\' */
	{
		size_t i = len;
		while (i > 0 && path[i - 1] != '\\')
			i--;
		if (i > 1 && (rc = make_folder(c, path, i - 1, diag)) < 0)
			return rc;
	}
	mf_buf_init(&d, MF_BUF_LINE_MAX);
	rc = folder_dir(&d, c, path, len);
	if (rc == MF_OK) {
		char *p = mf_xasprintf("%s%s%s", c->mbox_dir, d.len ? "/" : "", d.data);
		rc = make_maildir(p, d.len > 0, diag);
		free(p);
	} else {
		rc = MF_OK; /* too long: its messages are refused one by one */
	}
	mf_buf_release(&d);
	return rc;
}

static int md_mailbox_begin(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			    const char *const *folders, size_t n, struct mf_diag *diag)
{
	char name[128];
	int rc;

	mf_free(&c->mbox_dir);
	mf_free(&c->pub_prefix);
	if ((rc = mf_files_mailbox_name(name, sizeof(name), mb, diag)) < 0)
		return rc;
	if (mf_files_is_public(mb)) {
		struct mf_buf pre;
		mf_buf_init(&pre, MF_BUF_LINE_MAX);
		mf_buf_addch(&pre, '.');
		add_level(&pre, name, strlen(name));
		c->pub_prefix = mf_buf_detach(&pre, NULL);
		mf_buf_release(&pre);
		c->mbox_dir = mf_xasprintf("%s/public", c->f.root);
		if ((rc = make_maildir(c->mbox_dir, 0, diag)) < 0)
			return rc;
	} else {
		c->mbox_dir = mf_xasprintf("%s/%s", c->f.root, name);
	}
	/* the inbox always exists, then every folder */
	if ((rc = make_folder(c, "Inbox", 5, diag)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if ((rc = make_folder(c, folders[i], strlen(folders[i]), diag)) < 0)
			return rc;
	return MF_OK;
}

static int md_put_message(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			  const struct mf_message *m, struct mf_put_result *res,
			  struct mf_diag *diag)
{
	struct mf_buf d;
	char hex[17], flags[8], fname[160];
	char *dir = NULL, *path = NULL, *tmpdir = NULL;
	const char *fp = m->folder_path ? m->folder_path : "Inbox";
	int64_t t = mf_files_message_time(m);
	size_t vsize, k = 0;
	int rc;

	mf_buf_init(&d, MF_BUF_LINE_MAX);
	if (folder_dir(&d, c, fp, strlen(fp)) != MF_OK) {
		mf_files_refuse(&c->f, res, "maildir.folder-name-too-long", mb, m,
				"folder '%.120s' makes a Maildir++ name longer than %d bytes", fp,
				DIRNAME_MAX);
		mf_buf_release(&d);
		return MF_OK;
	}
	if ((rc = mf_files_build(&c->f, m, mb, res, diag)) != MF_OK) {
		mf_buf_release(&d);
		return rc == MF_SKIP ? MF_OK : rc;
	}
	vsize = c->f.msg.len;
	for (size_t i = 0; i < c->f.msg.len; i++)
		if (c->f.msg.data[i] == '\n')
			vsize++;
	/* flags in ASCII order */
	if (m->unsent)
		flags[k++] = 'D';
	if (c->f.opts->flag_urgent && m->priority > 0)
		flags[k++] = 'F';
	if (!m->unread)
		flags[k++] = 'S';
	flags[k] = '\0';
	mf_files_message_hex(hex, 16, m);
	snprintf(fname, sizeof(fname), "%lld.M%s.mailferry,S=%zu,W=%zu:2,%s",
		 (long long)(t >= 0 ? t : 0), hex, c->f.msg.len, vsize, flags);
	dir = mf_xasprintf("%s%s%s", c->mbox_dir, d.len ? "/" : "", d.data);
	tmpdir = mf_xasprintf("%s/tmp", dir);
	path = mf_xasprintf("%s/cur/%s", dir, fname);
	rc = mf_files_write(path, tmpdir, c->f.msg.data, c->f.msg.len, t, diag);
	if (rc == MF_OK) {
		char *rel = mf_xasprintf("%s/cur/%s", dir + strlen(c->f.root) + 1, fname);
		mf_files_pending(&c->f, res, "message", m->id, mb->id,
				 strlen(rel) < sizeof(res->remote_id) ? rel : fname,
				 c->f.msg.data, c->f.msg.len);
		free(rel);
		rc = mf_files_flush(&c->f, 0, diag);
	}
	free(dir);
	free(tmpdir);
	free(path);
	mf_buf_release(&d);
	return rc;
}

static int md_mailbox_end(struct mf_export_ctx *c, const struct mf_mailbox *mb, int failed,
			  struct mf_diag *diag)
{
	(void)mb;
	if (failed) {
		mf_files_drop(&c->f);
		return MF_OK;
	}
	return mf_files_flush(&c->f, 1, diag);
}

static void md_close(struct mf_export_ctx **pc)
{
	struct mf_export_ctx *c = pc ? *pc : NULL;
	if (!c)
		return;
	mf_files_release(&c->f);
	free(c->mbox_dir);
	free(c->pub_prefix);
	free(c);
	*pc = NULL;
}

/* For verify (verify_files.c): the folder directory of staged path, relative
 * to DIR, exactly as md_mailbox_begin and md_put_message name it. */
int mf_maildir_folder_rel(struct mf_buf *out, const struct mf_mailbox *mb, const char *path,
			  struct mf_diag *diag)
{
	struct mf_export_ctx c;
	struct mf_buf d, pre;
	char name[128];
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = mf_files_mailbox_name(name, sizeof(name), mb, diag)) < 0)
		return rc;
	mf_buf_init(&pre, MF_BUF_LINE_MAX);
	mf_buf_init(&d, MF_BUF_LINE_MAX);
	if (mf_files_is_public(mb)) {
		mf_buf_addch(&pre, '.');
		add_level(&pre, name, strlen(name));
		c.pub_prefix = pre.data;
	}
	rc = folder_dir(&d, &c, path, strlen(path));
	if (rc == MF_OK) {
		mf_buf_addstr(out, mf_files_is_public(mb) ? "public" : name);
		if (d.len)
			mf_buf_addf(out, "/%s", d.data);
	}
	mf_buf_release(&pre);
	mf_buf_release(&d);
	return rc;
}

const struct mf_exporter mf_exporter_maildir = {
	.name = "maildir",
	.summary = "Maildir++ folders, one per mailbox (Dovecot layout)",
	.options = (const struct mf_option[]){
		MF_OPTION_OUT,
		MF_OPTION_KEEP_RAW_HEADERS,
		{ .name = NULL }
	},
	.caps = MF_EXP_NEEDS_OUT | MF_EXP_MESSAGES | MF_EXP_ID_ORDER,
	.open = md_open,
	.target = md_target,
	.mailbox_begin = md_mailbox_begin,
	.put_message = md_put_message,
	.mailbox_end = md_mailbox_end,
	.close = md_close,
	.verify = mf_files_verify_maildir,
};
