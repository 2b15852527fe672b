/* SPDX-License-Identifier: MIT */
/*
 * vcard_export.c: `mailferry export vcard`: address books as vCard files.
 *
 *   DIR/<alias>.vcf      a mailbox's personal address book (every entry and
 *                        personal list), for each mailbox that has one
 *   DIR/directory.vcf    with --directory create: the post office
 *                        directory (custom recipients and public lists);
 *                        a mailbox aliased "directory" is then refused
 *                        (preflight), never overwritten
 *
 * vCard 4.0 (RFC 6350) unless --vcard-version 3.0.  Cards are written by
 * vcard.c; UIDs are name-based UUIDs, REV the time the source file was
 * staged, so the same staging database always gives the same bytes.
 * Files are written under a temporary name and renamed (exporters/files/files.h);
 * the book is confirmed to the ledger after the file system is synced.
 */
#include "exporters/dav/dav.h"
#include "exporters/files/files.h"
#include "core/fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mf_export_ctx {
	struct mf_files f;
	enum mf_vcard_version v;
	int directory;
};

int mf_dav_vcard_version(enum mf_vcard_version *v, const struct mf_export_opts *o,
			 struct mf_diag *diag)
{
	const char *ver = mf_opt_str(o->values, "vcard-version");
	*v = MF_VCARD_40;
	if (!ver || !strcmp(ver, "4.0") || !strcmp(ver, "4"))
		*v = MF_VCARD_40;
	else if (!strcmp(ver, "3.0") || !strcmp(ver, "3"))
		*v = MF_VCARD_30;
	else
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "--vcard-version wants 3.0 or 4.0, not '%s'", ver);
	return MF_OK;
}

const char *mf_dav_layout(const struct mf_export_opts *o)
{
	const char *l = mf_opt_str(o->values, "dav-layout");
	return l && *l ? l : "%a/%t/";
}

int mf_dav_directory(const struct mf_export_opts *o)
{
	const char *d = mf_opt_str(o->values, "directory");
	return d && !strcmp(d, "create");
}

int mf_dav_directory_clash(const struct mf_export_opts *o, const struct mf_mailbox *mb,
			   struct mf_diag *diag)
{
	if (!mf_dav_directory(o) || !mb->alias || !mf_strcaseeq(mb->alias, MF_DAV_DIRECTORY_NAME))
		return MF_OK;
	return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
			   "the alias '%s' names the post office directory's address book "
			   "(--directory create); give the mailbox another alias (plan "
			   "--alias-map) or leave the directory out", mb->alias);
}

static int vc_open(struct mf_export_ctx **out, struct mf_export *ex, struct mf_store *st,
		   const struct mf_export_opts *opts, struct mf_diag *diag)
{
	struct mf_export_ctx *c;
	enum mf_vcard_version v;
	int rc;

	if ((rc = mf_dav_vcard_version(&v, opts, diag)) < 0)
		return rc;
	c = mf_xcalloc(1, sizeof(*c));
	c->v = v;
	c->directory = mf_dav_directory(opts);
	rc = mf_files_open(&c->f, v == MF_VCARD_40 ? "vcard" : "vcard3", 1, ex, st, opts, diag);
	if (rc < 0) {
		mf_files_release(&c->f);
		free(c);
		return rc;
	}
	*out = c;
	return MF_OK;
}

static const char *vc_target(struct mf_export_ctx *c)
{
	return c->f.target;
}

static int vc_mailbox_begin(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			    const char *const *folders, size_t n, struct mf_diag *diag)
{
	char name[128];
	(void)folders;
	(void)n;
	/* the name must be usable before anything is written */
	if (mf_dav_directory_clash(c->f.opts, mb, diag) < 0)
		return MF_EUSAGE;
	return mf_files_mailbox_name(name, sizeof(name), mb, diag);
}

static int vc_check_mailbox(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			    struct mf_diag *diag)
{
	return mf_dav_directory_clash(c->f.opts, mb, diag);
}

static int write_cards(struct mf_buf *out, enum mf_vcard_version v,
		       const struct mf_dav_card *cards, size_t n, struct mf_diag *diag)
{
	for (size_t i = 0; i < n; i++)
		if (mf_vcard_write(out, v, &cards[i].c) < 0)
			return mf_diag_set(diag, MF_ETOOBIG, NULL, MF_NO_OFFSET,
					   "card '%.80s' too large", cards[i].c.fn ? cards[i].c.fn : "");
	return MF_OK;
}

static int vc_put_pab(struct mf_export_ctx *c, const struct mf_mailbox *mb,
		      const struct mf_pab_entry *e, size_t n, struct mf_put_result *res,
		      struct mf_diag *diag)
{
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_dav_card *cards;
	struct mf_buf out;
	char name[128], *rel = NULL, *path = NULL;
	int rc;

	if ((rc = mf_files_mailbox_name(name, sizeof(name), mb, diag)) < 0)
		return rc;
	if ((rc = mf_dav_pab_cards(c->f.st, mb, e, n, &cards, &a, diag)) < 0) {
		mf_arena_release(&a);
		return rc;
	}
	mf_buf_init(&out, MF_BUF_UNBOUNDED);
	rc = write_cards(&out, c->v, cards, n, diag);
	if (rc == MF_OK) {
		rel = mf_xasprintf("%s%s.vcf", mf_files_is_public(mb) ? "public/" : "", name);
		path = mf_xasprintf("%s/%s", c->f.root, rel);
		if (mf_files_is_public(mb)) {
			char *d = mf_xasprintf("%s/public", c->f.root);
			rc = mf_mkdirs(d, 0755, diag);
			free(d);
		}
		if (rc == MF_OK)
			rc = mf_files_write(path, NULL, out.data, out.len, -1, diag);
	}
	if (rc == MF_OK)
		mf_files_pending(&c->f, res, "pab", mb->id, mb->id, rel, out.data, out.len);
	mf_buf_release(&out);
	mf_arena_release(&a);
	free(rel);
	free(path);
	return rc;
}

static int vc_mailbox_end(struct mf_export_ctx *c, const struct mf_mailbox *mb, int failed,
			  struct mf_diag *diag)
{
	(void)mb;
	if (failed) {
		mf_files_drop(&c->f);
		return MF_OK;
	}
	return mf_files_flush(&c->f, 1, diag);
}

static int vc_finish(struct mf_export_ctx *c, struct mf_diag *diag)
{
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_dav_card *cards;
	struct mf_buf out;
	size_t n;
	char *path;
	int rc;

	if (!c->directory)
		return MF_OK;
	if ((rc = mf_dav_directory_cards(c->f.st, &cards, &n, &a, diag)) < 0) {
		mf_arena_release(&a);
		return rc;
	}
	mf_buf_init(&out, MF_BUF_UNBOUNDED);
	rc = write_cards(&out, c->v, cards, n, diag);
	path = mf_xasprintf("%s/" MF_DAV_DIRECTORY_NAME ".vcf", c->f.root);
	if (rc == MF_OK)
		rc = mf_write_atomic(path, out.data, out.len, 0644, 1, diag);
	free(path);
	mf_buf_release(&out);
	mf_arena_release(&a);
	return rc;
}

static void vc_close(struct mf_export_ctx **pc)
{
	struct mf_export_ctx *c = pc ? *pc : NULL;
	if (!c)
		return;
	mf_files_release(&c->f);
	free(c);
	*pc = NULL;
}

const struct mf_exporter mf_exporter_vcard = {
	.name = "vcard",
	.summary = "vCard file per address book (4.0, or 3.0), the directory on request",
	.options = (const struct mf_option[]){
		MF_OPTION_OUT,
		MF_DAV_OPTION_VCARD_VERSION,
		MF_DAV_OPTION_DIRECTORY,
		{ .name = NULL }
	},
	.caps = MF_EXP_NEEDS_OUT | MF_EXP_PAB | MF_EXP_DIRECTORY | MF_EXP_ID_ORDER,
	.open = vc_open,
	.target = vc_target,
	.check_mailbox = vc_check_mailbox,
	.mailbox_begin = vc_mailbox_begin,
	.put_pab = vc_put_pab,
	.mailbox_end = vc_mailbox_end,
	.finish = vc_finish,
	.close = vc_close,
	.verify = mf_dav_vcard_verify,
};
