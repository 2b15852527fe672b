/* SPDX-License-Identifier: MIT */
/*
 * carddav.c: `mailferry export carddav`: every mailbox's personal address
 * book into an address book collection on a CardDAV server, and (with
 * --directory create) the post office directory into a shared one.
 *
 * The admin (--admin, --password-file; Basic authentication, TLS verified
 * unless --tls-verify no) writes each mailbox's collection, by default
 * <url>/<alias>/contacts/ (--dav-layout), or with --dav-discover yes the
 * home found through /.well-known/ and the admin's home set, with the
 * mailbox's alias in the admin's place, then contacts/.  mailbox_begin makes the
 * collection when it is missing (the principal with MKCOL, the address
 * book with an extended MKCOL), also for a mailbox without an address
 * book.  Each entry and personal list is one vCard resource named by the
 * sha256 of its UID, sent with PUT and If-None-Match: *, so a resource
 * already there (a run killed before its ledger rows were written) is
 * answered 412 and taken as delivered, never written twice.
 *
 * Ledger: each card is its own row (item kind "card", item id the
 * pab_entries.id; the driver's "pab" row for the whole book has the
 * mailbox's id), remote_id "<name> <etag>".  A re-run skips
 * the cards the ledger knows.  A card the server refuses (409: its UID is
 * there under another name; 400, 413, 415 ...) is refused in the ledger
 * with a problem naming it, the others go on, and the book is left out of
 * the ledger so that the next run tries the refused cards again.
 *
 * This file also holds what the CalDAV exporter (caldav.c) shares.
 */
#include "exporters/dav/dav.h"
#include "core/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mf_dav_exp_open(struct mf_dav_exp *x, enum mf_dav_kind kind, struct mf_export *ex,
		    struct mf_store *st, const struct mf_export_opts *o, struct mf_diag *diag)
{
	char *pw = NULL;
	int rc;

	memset(x, 0, sizeof(*x));
	mf_buf_init(&x->coll, MF_BUF_UNBOUNDED);
	x->ex = ex;
	x->st = st;
	x->opts = o;
	x->kind = kind;
	if ((rc = mf_dav_target_parse(&x->t, o->url, kind, diag)) < 0)
		return rc;
	if ((rc = mf_dav_vcard_version(&x->v, o, diag)) < 0)
		return rc;
	/* the layout is part of the target: another layout is another place */
	if (strcmp(mf_dav_layout(o), "%a/%t/") != 0) {
		size_t k = strlen(x->t.id);
		snprintf(x->t.id + k, sizeof(x->t.id) - k, "#%s", mf_dav_layout(o));
	}
	{
		/* the layout is checked before anything is sent */
		struct mf_buf b;
		mf_buf_init(&b, MF_BUF_UNBOUNDED);
		rc = mf_dav_collection(&b, &x->t, mf_dav_layout(o), "x", kind, diag);
		mf_buf_release(&b);
		if (rc < 0)
			return rc;
	}
	if (o->admin && (rc = mf_dav_read_secret(&pw, o->password_file, diag)) < 0)
		return rc;
	rc = mf_dav_open(&x->dav, x->t.base, o->admin, pw, o->tls_verify, diag);
	mf_dav_wipe(&pw);
	if (rc < 0)
		return rc;
	{
		/* reach the server now: a wrong URL, password or certificate
		 * stops the run before the first mailbox */
		static const char *const hdr[] = { "Depth: 0", NULL };
		struct mf_dav_resp r;
		mf_dav_resp_init(&r);
		rc = mf_dav_request(x->dav, &r, "PROPFIND", x->t.path, hdr, NULL, 0, diag);
		if (rc == MF_OK && r.status == 401)
			rc = mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET,
					 "%s%s: the server refuses the login of '%s' (401)", x->t.base,
					 x->t.path, o->admin ? o->admin : "(none)");
		else if (rc == MF_OK && (r.status >= 500 || r.status == 0))
			rc = mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET, "%s%s: HTTP %ld", x->t.base,
					 x->t.path, r.status);
		mf_dav_resp_release(&r);
	}
	if (rc == MF_OK)
		rc = mf_dav_discover(x->dav, &x->t, kind, o, diag);
	return rc;
}

void mf_dav_exp_release(struct mf_dav_exp *x)
{
	mf_dav_close(&x->dav);
	mf_buf_release(&x->coll);
}

int mf_dav_exp_begin(struct mf_dav_exp *x, const struct mf_mailbox *mb, struct mf_diag *diag)
{
	int rc;
	mf_buf_reset(&x->coll);
	if (!mb->alias || !*mb->alias)
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "mailbox '%s' has no alias (run 'mailferry plan')",
				   mb->name ? mb->name : "");
	if ((rc = mf_dav_collection(&x->coll, &x->t, mf_dav_layout(x->opts), mb->alias, x->kind,
				    diag)) < 0)
		return rc;
	return mf_dav_ensure_collection(x->dav, x->coll.data, x->kind, mb->display_name, diag);
}

/* ---- CardDAV ---- */

struct mf_export_ctx {
	struct mf_dav_exp x;
	int directory;
};

static int cd_open(struct mf_export_ctx **out, struct mf_export *ex, struct mf_store *st,
		   const struct mf_export_opts *opts, struct mf_diag *diag)
{
	struct mf_export_ctx *c = mf_xcalloc(1, sizeof(*c));
	int rc = mf_dav_exp_open(&c->x, MF_DAV_CARD, ex, st, opts, diag);
	if (rc < 0) {
		mf_dav_exp_release(&c->x);
		free(c);
		return rc;
	}
	c->directory = mf_dav_directory(opts);
	*out = c;
	return MF_OK;
}

static const char *cd_target(struct mf_export_ctx *c)
{
	return c->x.t.id;
}

static int cd_check_mailbox(struct mf_export_ctx *c, const struct mf_mailbox *mb,
			    struct mf_diag *diag)
{
	return mf_dav_directory_clash(c->x.opts, mb, diag);
}

static int cd_begin(struct mf_export_ctx *c, const struct mf_mailbox *mb,
		    const char *const *folders, size_t n, struct mf_diag *diag)
{
	(void)folders;
	(void)n;
	/* the directory's collection is never a mailbox's (also with --force) */
	if (mf_dav_directory_clash(c->x.opts, mb, diag) < 0)
		return MF_EUSAGE;
	return mf_dav_exp_begin(&c->x, mb, diag);
}

/* PUT one card into coll; outcome counted; *state as mf_dav_put. */
static int put_card(struct mf_dav_exp *x, const char *coll, const struct mf_dav_card *card,
		    int *state, char *remote, size_t remote_cap, char *sha, int64_t *bytes,
		    char *detail, size_t detail_cap, struct mf_diag *diag)
{
	struct mf_buf body, path;
	char name[40], uid[80], etag[200];
	int rc;

	snprintf(uid, sizeof(uid), "urn:uuid:%s", card->uuid);
	mf_dav_resource_name(name, uid, ".vcf");
	mf_buf_init(&body, MF_BUF_UNBOUNDED);
	mf_buf_init(&path, MF_BUF_UNBOUNDED);
	if (mf_vcard_write(&body, x->v, &card->c) < 0) {
		*state = MF_DAV_PUT_REFUSED;
		snprintf(detail, detail_cap, "card too large");
		rc = MF_OK;
		goto out;
	}
	mf_buf_addf(&path, "%s%s", coll, name);
	rc = mf_dav_put(x->dav, state, etag, sizeof(etag), detail, detail_cap, path.data,
			"text/vcard; charset=utf-8", body.data, body.len, diag);
	if (rc == MF_OK) {
		snprintf(remote, remote_cap, "%s %s", name, etag);
		if (sha)
			mf_sha256_hex(sha, body.data, body.len);
		if (bytes)
			*bytes = (int64_t)body.len;
		if (*state == MF_DAV_PUT_NEW)
			x->put_new++;
		else if (*state == MF_DAV_PUT_THERE)
			x->put_there++;
		else
			x->put_refused++;
	}
out:
	mf_buf_release(&body);
	mf_buf_release(&path);
	return rc;
}

static int cd_put_pab(struct mf_export_ctx *c, const struct mf_mailbox *mb,
		      const struct mf_pab_entry *e, size_t n, struct mf_put_result *res,
		      struct mf_diag *diag)
{
	struct mf_dav_exp *x = &c->x;
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_dav_card *cards;
	size_t refused = 0;
	int rc;

	if ((rc = mf_dav_pab_cards(x->st, mb, e, n, &cards, &a, diag)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char remote[256], detail[256], sha[MF_SHA256_HEX];
		int64_t bytes = 0;
		int state;
		struct mf_arena la = MF_ARENA_INIT;
		int known = mf_export_ledger_remote_id(x->ex, "card", cards[i].item_id, &la) != NULL;
		mf_arena_release(&la);
		if (known) {
			x->skipped++;
			continue;
		}
		rc = put_card(x, x->coll.data, &cards[i], &state, remote, sizeof(remote), sha, &bytes,
			      detail, sizeof(detail), diag);
		if (rc < 0)
			goto out;
		if (state == MF_DAV_PUT_REFUSED) {
			char what[400];
			snprintf(what, sizeof(what), "card '%.80s' (pab_entries %lld): %s",
				 cards[i].c.fn ? cards[i].c.fn : "", (long long)cards[i].item_id, detail);
			rc = mf_export_refuse(x->ex, "card", cards[i].item_id, mb->id, what);
			refused++;
		} else {
			rc = mf_export_confirm(x->ex, "card", cards[i].item_id, mb->id, remote, sha,
					       bytes);
		}
		if (rc < 0) {
			rc = mf_diag_set(diag, rc, NULL, MF_NO_OFFSET, "cannot record card %lld",
					 (long long)cards[i].item_id);
			goto out;
		}
	}
	if (refused) {
		/* the book stays out of the ledger (pending, never confirmed), so
		 * the next run comes back for the refused cards and skips the rest */
		res->state = MF_PUT_PENDING;
		mf_export_problem(x->ex, MF_WARNING, "carddav.book-incomplete", mb->id, 0,
				  "%zu of %zu cards refused by the server (each named in its own "
				  "problem); the next run tries them again", refused, n);
	} else {
		res->state = MF_PUT_DELIVERED;
		snprintf(res->remote_id, sizeof(res->remote_id), "%s", x->coll.data);
	}
out:
	mf_arena_release(&a);
	return rc;
}

static int cd_end(struct mf_export_ctx *c, const struct mf_mailbox *mb, int failed,
		  struct mf_diag *diag)
{
	(void)c;
	(void)mb;
	(void)failed;
	(void)diag;
	return MF_OK;
}

/* The post office directory into <url>/directory/contacts/ (the layout
 * with "directory" for the alias; a mailbox of that alias is refused by
 * cd_check_mailbox and cd_begin, so the two never share a collection).  No ledger rows (they belong to a
 * mailbox): If-None-Match makes a re-run send each card once. */
static int cd_finish(struct mf_export_ctx *c, struct mf_diag *diag)
{
	struct mf_dav_exp *x = &c->x;
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_dav_card *cards;
	struct mf_buf coll;
	size_t n, refused = 0;
	int rc;

	if (!c->directory)
		return MF_OK;
	mf_buf_init(&coll, MF_BUF_UNBOUNDED);
	if ((rc = mf_dav_collection(&coll, &x->t, mf_dav_layout(x->opts), MF_DAV_DIRECTORY_NAME,
				    MF_DAV_CARD, diag)) < 0 ||
	    (rc = mf_dav_ensure_collection(x->dav, coll.data, MF_DAV_CARD, "Directory", diag)) < 0 ||
	    (rc = mf_dav_directory_cards(x->st, &cards, &n, &a, diag)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char remote[256], detail[256];
		int state;
		rc = put_card(x, coll.data, &cards[i], &state, remote, sizeof(remote), NULL, NULL,
			      detail, sizeof(detail), diag);
		if (rc < 0)
			goto out;
		if (state == MF_DAV_PUT_REFUSED) {
			mf_export_problem(x->ex, MF_ERROR, "carddav.refused", 0, 0,
					  "directory card '%.80s' (dir_entries %lld): %s",
					  cards[i].c.fn ? cards[i].c.fn : "",
					  (long long)cards[i].item_id, detail);
			refused++;
		}
	}
	/* the others are there; the run still ends with exit 1 (no mailbox
	 * owns these cards, so no FAILED count can say it) */
	if (refused)
		rc = mf_diag_set(diag, MF_ERR, NULL, MF_NO_OFFSET,
				 "%zu of %zu directory cards refused by the server (problems "
				 "carddav.refused); the next run sends them again", refused, n);
out:
	mf_buf_release(&coll);
	mf_arena_release(&a);
	return rc;
}

static void cd_close(struct mf_export_ctx **pc)
{
	struct mf_export_ctx *c = pc ? *pc : NULL;
	if (!c)
		return;
	mf_dav_exp_release(&c->x);
	free(c);
	*pc = NULL;
}

static int cd_verify(struct mf_verify *v, struct mf_diag *diag)
{
	return mf_dav_verify(v, MF_DAV_CARD, diag);
}

const struct mf_exporter mf_exporter_carddav = {
	.name = "carddav",
	.summary = "CardDAV server: an address book collection per mailbox, the directory on request",
	.options = (const struct mf_option[]){
		MF_DAV_OPTION_URL,
		MF_DAV_OPTION_ADMIN,
		MF_DAV_OPTION_PASSWORD_FILE,
		MF_DAV_OPTION_TLS_VERIFY,
		MF_DAV_OPTION_VCARD_VERSION,
		MF_DAV_OPTION_LAYOUT,
		MF_DAV_OPTION_DISCOVER,
		MF_DAV_OPTION_DIRECTORY,
		{ .name = NULL }
	},
	.caps = MF_EXP_NEEDS_URL | MF_EXP_PAB | MF_EXP_DIRECTORY,
	.open = cd_open,
	.target = cd_target,
	.check_mailbox = cd_check_mailbox,
	.mailbox_begin = cd_begin,
	.put_pab = cd_put_pab,
	.mailbox_end = cd_end,
	.finish = cd_finish,
	.close = cd_close,
	.verify = cd_verify,
};
