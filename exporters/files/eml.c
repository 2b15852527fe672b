/* SPDX-License-Identifier: MIT */
/*
 * eml.c: `mailferry export eml`: one .eml file per message in folder trees.
 *
 *   DIR/<alias>/Inbox/19970314-081500_Budget review_3f2a9c01b7de.eml
 *   DIR/<alias>/Projects/Q2/...            (folder "Projects\Q2")
 *   DIR/public/<alias>/Inbox/...           (a public folder)
 *
 * A file name is the message's date (UTC, "undated" when unknown), its
 * subject made safe and cut to 60 bytes, and 12 hex digits of its staged
 * identity: readable, sorted by date, and the same for the same message
 * in every run, so a re-delivery replaces the file.  Lines end in CR LF
 * (RFC 5322's form, which Outlook and Windows Mail expect of .eml files).
 * The file's modification time is the message's date.
 */
#include "engine/exporter.h"
#include "exporters/files/files.h"
#include "core/date.h"
#include "core/fsutil.h"
#include "core/safename.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_LIMIT 3800

struct mf_export_ctx {
	struct mf_files f;
	char *mbox_rel;          /* "<alias>" or "public/<alias>" */
};

static int eml_open(struct mf_export_ctx **out, struct mf_export *ex, struct mf_store *st,
		    const struct mf_export_opts *opts, struct mf_diag *diag)
{
	struct mf_export_ctx *c = mf_xcalloc(1, sizeof(*c));
	int rc = mf_files_open(&c->f, "eml", 1, ex, st, opts, diag);
	if (rc < 0) {
		mf_files_release(&c->f);
		free(c);
		return rc;
	}
	c->f.barrier = 1;
	*out = c;
	return MF_OK;
}

static const char *eml_target(struct mf_export_ctx *c)
{
	return c->f.target;
}

/* A folder's path relative to the output folder (made and written through
 * its descriptor, f.root_fd). */
static char *folder_rel(struct mf_export_ctx *c, const char *staged)
{
	struct mf_buf b;
	mf_buf_init(&b, MF_BUF_LINE_MAX);
	mf_buf_addf(&b, "%s/", c->mbox_rel);
	mf_files_folder_path(&b, staged);
	return mf_buf_detach(&b, NULL);
}

/* The length of root/rel: what PATH_LIMIT bounds. */
static size_t full_len(const struct mf_export_ctx *c, const char *rel)
{
	return strlen(c->f.root) + 1 + strlen(rel);
}

static int eml_mailbox_begin(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			     const char *const *folders, size_t n, struct mf_diag *diag)
{
	char name[128];
	int rc;

	mf_free(&c->mbox_rel);
	if ((rc = mf_files_mailbox_name(name, sizeof(name), mb, diag)) < 0)
		return rc;
	c->mbox_rel = mf_files_is_public(mb) ? mf_xasprintf("public/%s", name) : mf_xstrdup(name);
	for (size_t i = 0; i <= n; i++) {
		char *d = folder_rel(c, i < n ? folders[i] : "Inbox");
		rc = full_len(c, d) < PATH_LIMIT ? mf_mkdirs_at(c->f.root_fd, c->f.root, d, 0755, diag)
						 : MF_OK;
		free(d);
		if (rc < 0)
			return rc;
	}
	return MF_OK;
}

/* "19970314-081500_<subject>_<hex12>.eml" */
static void file_name(char *out, size_t cap, const struct mf_message *m)
{
	char date[32], subj[64], hex[13];
	int64_t t = m->has_sent ? m->sent_utc : m->has_received ? m->received_utc : -1;

	if (t >= 0) {
		struct mf_civil cv;
		mf_utc_to_civil(&cv, t);
		snprintf(date, sizeof(date), "%04d%02d%02d-%02d%02d%02d", cv.year % 10000,
			 cv.month, cv.day, cv.hour, cv.min, cv.sec);
	} else {
		snprintf(date, sizeof(date), "undated");
	}
	mf_safe_filename(subj, sizeof(subj), m->subject, 60, "no subject");
	mf_files_message_hex(hex, 12, m);
	snprintf(out, cap, "%s_%s_%s.eml", date, subj, hex);
}

static int eml_put_message(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			   const struct mf_message *m, struct mf_put_result *res,
			   struct mf_diag *diag)
{
	const char *fp = m->folder_path ? m->folder_path : "Inbox";
	char *dir = folder_rel(c, fp), *rel = NULL;
	char name[160];
	int rc;

	file_name(name, sizeof(name), m);
	rel = mf_xasprintf("%s/%s", dir, name);
	if (full_len(c, rel) >= PATH_LIMIT) {
		mf_files_refuse(&c->f, res, "eml.path-too-long", mb, m,
				"folder '%.120s' makes a path too long for the file system", fp);
		rc = MF_OK;
		goto out;
	}
	if ((rc = mf_files_build(&c->f, m, mb, res, diag)) != MF_OK) {
		rc = rc == MF_SKIP ? MF_OK : rc;
		goto out;
	}
	if ((rc = mf_mkdirs_at(c->f.root_fd, c->f.root, dir, 0755, diag)) < 0)
		goto out;
	rc = mf_files_write_rel(&c->f, rel, c->f.msg.data, c->f.msg.len, mf_files_message_time(m),
				diag);
	if (rc == MF_OK) {
		mf_files_pending(&c->f, res, "message", m->id, mb->id,
				 strlen(rel) < sizeof(res->remote_id) ? rel : name,
				 c->f.msg.data, c->f.msg.len);
		rc = mf_files_flush(&c->f, 0, diag);
	}
out:
	free(dir);
	free(rel);
	return rc;
}

static int eml_mailbox_end(struct mf_export_ctx *c, const struct mf_mailbox *mb, int failed,
			   struct mf_diag *diag)
{
	(void)mb;
	if (failed) {
		mf_files_drop(&c->f);
		return MF_OK;
	}
	return mf_files_flush(&c->f, 1, diag);
}

static void eml_close(struct mf_export_ctx **pc)
{
	struct mf_export_ctx *c = pc ? *pc : NULL;
	if (!c)
		return;
	mf_files_release(&c->f);
	free(c->mbox_rel);
	free(c);
	*pc = NULL;
}

/* The driver's sync barrier (files.h, Durability). */
static int eml_sync(struct mf_export_ctx *c, struct mf_diag *diag)
{
	return mf_files_sync(&c->f, diag);
}

const struct mf_exporter mf_exporter_eml = {
	.name = "eml",
	.summary = "one .eml file per message, in folder trees",
	.options = (const struct mf_option[]){
		MF_OPTION_OUT,
		MF_OPTION_KEEP_RAW_HEADERS,
		{ .name = NULL }
	},
	.caps = MF_EXP_NEEDS_OUT | MF_EXP_MESSAGES | MF_EXP_ID_ORDER,
	.open = eml_open,
	.target = eml_target,
	.mailbox_begin = eml_mailbox_begin,
	.put_message = eml_put_message,
	.mailbox_end = eml_mailbox_end,
	.close = eml_close,
	.verify = mf_files_verify_eml,
	.sync = eml_sync,
};
