/* SPDX-License-Identifier: MIT */
/*
 * dav_verify.c: `mailferry verify carddav|caldav`: read every mailbox's
 * collection back and compare it with the staged data.
 *
 * Per collection: one PROPFIND (Depth 1) lists the resources; the count
 * and the names are compared with what the export writes for the mailbox
 * (each card or calendar item under the sha256 of its UID), then the
 * resources are fetched with addressbook-multiget / calendar-multiget
 * REPORTs, BATCH at a time, and each is compared semantically with the
 * card or calendar resource built again from the staging database: the
 * lines are unfolded, unescaped and normalised (property and parameter
 * case, parameter order) and compared per component as multisets, since
 * servers reorder properties and fold lines their own way.  VTIMEZONEs
 * are left out of the comparison (servers may replace them).  One line per
 * mismatch.
 */
#include "exporters/dav/dav.h"
#include "engine/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 100

struct want {
	char name[40];
	char *text;
	size_t len;
	const char *label;          /* for messages: the card's FN or the item's UID */
	int seen;
};

struct vctx {
	struct mf_dav *dav;
	enum mf_dav_kind kind;
	struct mf_verify *mv;
	struct mf_verify_sum *sum;
	const char *what;           /* "carddav" or "caldav" */
};

/* One line per mismatch: "carddav /alias/contacts/: what[: detail]". */
static void mismatch(struct vctx *v, const char *coll, const char *what, const char *detail)
{
	if (detail)
		mf_verify_mismatch(v->mv, "%s %s: %s: %s", v->what, coll, what, detail);
	else
		mf_verify_mismatch(v->mv, "%s %s: %s", v->what, coll, what);
}

static int cmp_want(const void *a, const void *b)
{
	return strcmp(((const struct want *)a)->name, ((const struct want *)b)->name);
}

static struct want *find(struct want *w, size_t n, const char *name)
{
	struct want key;
	memset(&key, 0, sizeof(key));
	snprintf(key.name, sizeof(key.name), "%s", name);
	return bsearch(&key, w, n, sizeof(*w), cmp_want);
}

static int compare_batch(struct vctx *v, const char *coll, struct want *w, size_t nw,
			 char **hrefs, size_t nh, struct mf_diag *diag)
{
	static const char *const hdr[] = { "Depth: 1", "Content-Type: application/xml; charset=utf-8", NULL };
	static const char *const card_kinds[] = { "VCARD", NULL };
	static const char *const cal_kinds[] = { "VEVENT", "VTODO", "VJOURNAL", NULL };
	struct mf_buf b;
	struct mf_dav_resp r;
	struct mf_dav_ms ms;
	int rc;

	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	if (v->kind == MF_DAV_CARD)
		mf_buf_addstr(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<C:addressbook-multiget "
			      "xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:carddav\"><D:prop>"
			      "<D:getetag/><C:address-data/></D:prop>");
	else
		mf_buf_addstr(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<C:calendar-multiget "
			      "xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:prop>"
			      "<D:getetag/><C:calendar-data/></D:prop>");
	for (size_t i = 0; i < nh; i++) {
		mf_buf_addstr(&b, "<D:href>");
		mf_dav_path_encode(&b, hrefs[i]);
		mf_buf_addstr(&b, "</D:href>");
	}
	mf_buf_addstr(&b, v->kind == MF_DAV_CARD ? "</C:addressbook-multiget>\n"
						 : "</C:calendar-multiget>\n");
	mf_dav_resp_init(&r);
	rc = mf_dav_request(v->dav, &r, "REPORT", coll, hdr, b.data, b.len, diag);
	mf_buf_release(&b);
	if (rc < 0)
		goto out;
	if (r.status != 207) {
		char st[32];
		snprintf(st, sizeof(st), "HTTP %ld", r.status);
		mismatch(v, coll, "REPORT multiget answered", st);
		goto out;
	}
	if ((rc = mf_dav_ms_parse(&ms, r.body.data, r.body.len, diag)) < 0)
		goto out;
	for (size_t i = 0; i < ms.n; i++) {
		const struct mf_dav_item *it = &ms.items[i];
		const char *base = strrchr(it->href, '/');
		struct want *x = find(w, nw, base ? base + 1 : it->href);
		struct mf_cl_doc dw, dh;
		struct mf_diag d;
		struct mf_buf why;
		if (!x)
			continue;
		v->sum->items++;
		if (!it->data) {
			mismatch(v, coll, x->label, "the server sends no content");
			continue;
		}
		if (mf_cl_parse(&dh, it->data, it->data_len, 1000000, &d) < 0) {
			mismatch(v, coll, x->label, "the server's copy does not parse");
			continue;
		}
		if (mf_cl_parse(&dw, x->text, x->len, 1000000, &d) < 0) {
			mf_cl_release(&dh);
			mismatch(v, coll, x->label, "the staged item does not parse");
			continue;
		}
		mf_buf_init(&why, MF_BUF_UNBOUNDED);
		if (mf_cl_compare(&dw, &dh, v->kind == MF_DAV_CARD ? card_kinds : cal_kinds, NULL,
				  &why, 5)) {
			/* one line per difference, named by the item */
			char *save = NULL;
			for (char *l = strtok_r(why.data, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
				mismatch(v, coll, x->label, l);
		}
		mf_buf_release(&why);
		mf_cl_release(&dw);
		mf_cl_release(&dh);
	}
	mf_dav_ms_release(&ms);
out:
	mf_dav_resp_release(&r);
	return rc;
}

static int verify_collection(struct vctx *v, const char *coll, struct want *w, size_t nw,
			     struct mf_diag *diag)
{
	static const char *const hdr[] = { "Depth: 1", "Content-Type: application/xml; charset=utf-8", NULL };
	static const char body[] =
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:propfind xmlns:D=\"DAV:\"><D:prop>"
		"<D:getetag/><D:resourcetype/></D:prop></D:propfind>\n";
	struct mf_dav_resp r;
	struct mf_dav_ms ms;
	char **present = NULL;
	size_t np = 0, on_server = 0;
	int rc;

	qsort(w, nw, sizeof(*w), cmp_want);
	v->sum->folders++;
	mf_dav_resp_init(&r);
	rc = mf_dav_request(v->dav, &r, "PROPFIND", coll, hdr, body, sizeof(body) - 1, diag);
	if (rc < 0)
		goto out;
	if (r.status == 404) {
		mismatch(v, coll, "the collection is missing", NULL);
		goto out;
	}
	if (r.status != 207) {
		char st[32];
		snprintf(st, sizeof(st), "HTTP %ld", r.status);
		mismatch(v, coll, "PROPFIND answered", st);
		goto out;
	}
	if ((rc = mf_dav_ms_parse(&ms, r.body.data, r.body.len, diag)) < 0)
		goto out;
	{
		char *cdec = mf_dav_path_decode(coll, strlen(coll));
		for (size_t i = 0; i < ms.n; i++) {
			const struct mf_dav_item *it = &ms.items[i];
			const char *base;
			struct want *x;
			if (it->rtype & MF_DAV_RT_COLLECTION) {
				if (!strcmp(it->href, cdec) &&
				    !(it->rtype & (v->kind == MF_DAV_CARD ? MF_DAV_RT_ADDRESSBOOK
									  : MF_DAV_RT_CALENDAR)))
					mismatch(v, coll, v->kind == MF_DAV_CARD
							       ? "the collection is no address book"
							       : "the collection is no calendar", NULL);
				continue;
			}
			on_server++;
			base = strrchr(it->href, '/');
			base = base ? base + 1 : it->href;
			x = find(w, nw, base);
			if (!x) {
				mismatch(v, coll, base, "on the server, not staged");
				continue;
			}
			if (x->seen++) {
				mismatch(v, coll, base, "listed twice");
				continue;
			}
			present = mf_xreallocarray(present, np + 1, sizeof(*present));
			present[np++] = it->href;
		}
		free(cdec);
	}
	if (on_server != nw) {
		char a[80], b[80];
		snprintf(a, sizeof(a), "%zu resources staged", nw);
		snprintf(b, sizeof(b), "%zu on the server", on_server);
		mismatch(v, coll, a, b);
	}
	for (size_t i = 0; i < nw; i++)
		if (!w[i].seen)
			mismatch(v, coll, w[i].label, "missing on the server");
	for (size_t i = 0; i < np && rc == MF_OK; i += BATCH)
		rc = compare_batch(v, coll, w, nw, present + i, np - i < BATCH ? np - i : BATCH, diag);
	free(present);
	mf_dav_ms_release(&ms);
out:
	mf_dav_resp_release(&r);
	return rc;
}

static void cards_to_want(struct want **w, size_t *nw, const struct mf_dav_card *cards,
			  size_t n, enum mf_vcard_version ver)
{
	*w = mf_xcalloc(n ? n : 1, sizeof(**w));
	*nw = n;
	for (size_t i = 0; i < n; i++) {
		struct mf_buf b;
		char uid[80];
		snprintf(uid, sizeof(uid), "urn:uuid:%s", cards[i].uuid);
		mf_dav_resource_name((*w)[i].name, uid, ".vcf");
		mf_buf_init(&b, MF_BUF_UNBOUNDED);
		mf_vcard_write(&b, ver, &cards[i].c);
		(*w)[i].text = mf_buf_detach(&b, &(*w)[i].len);
		(*w)[i].label = cards[i].c.fn ? cards[i].c.fn : cards[i].uuid;
	}
}

static void want_free(struct want *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i].text);
	free(w);
}

int mf_dav_verify(struct mf_verify *mv, enum mf_dav_kind kind, struct mf_diag *diag)
{
	struct mf_store *st = mf_verify_store(mv);
	const struct mf_export_opts *o = mf_verify_opts(mv);
	struct mf_verify_sum *sum = mf_verify_sum(mv);
	struct mf_dav_target t;
	struct vctx v;
	enum mf_vcard_version ver;
	struct mf_buf coll;
	char *pw = NULL;
	size_t nmb = 0;
	int rc;

	memset(&v, 0, sizeof(v));
	if ((rc = mf_dav_target_parse(&t, o->url, kind, diag)) < 0 ||
	    (rc = mf_dav_vcard_version(&ver, o, diag)) < 0)
		return rc;
	if (o->admin && (rc = mf_dav_read_secret(&pw, o->password_file, diag)) < 0)
		return rc;
	rc = mf_dav_open(&v.dav, t.base, o->admin, pw, o->tls_verify, diag);
	mf_dav_wipe(&pw);
	if (rc == MF_OK)
		rc = mf_dav_discover(v.dav, &t, kind, o, diag);
	if (rc < 0) {
		mf_dav_close(&v.dav);
		return rc;
	}
	v.kind = kind;
	v.mv = mv;
	v.sum = sum;
	v.what = kind == MF_DAV_CARD ? "carddav" : "caldav";
	mf_buf_init(&coll, MF_BUF_UNBOUNDED);
	nmb = mf_verify_count(mv);
	for (size_t i = 0; i < nmb && rc == MF_OK; i++) {
		const struct mf_mailbox *mb = mf_verify_mailbox_at(mv, i);
		struct mf_arena ia = MF_ARENA_INIT;
		struct want *w = NULL;
		size_t nw = 0;
		if (!mb || !mb->alias)
			continue;
		sum->mailboxes++;
		mf_buf_reset(&coll);
		if ((rc = mf_dav_collection(&coll, &t, mf_dav_layout(o), mb->alias, kind, diag)) < 0)
			break;
		if (kind == MF_DAV_CARD) {
			struct mf_pab_entry *e;
			struct mf_dav_card *cards;
			size_t n;
			if ((rc = mf_dav_pab_load(st, mb->id, &e, &n, &ia, diag)) == MF_OK &&
			    (rc = mf_dav_pab_cards(st, mb, e, n, &cards, &ia, diag)) == MF_OK)
				cards_to_want(&w, &nw, cards, n, ver);
		} else {
			struct mf_store_cal_row *c;
			size_t n;
			if ((rc = mf_dav_cal_load(st, mb->id, &c, &n, &ia, diag)) == MF_OK) {
				w = mf_xcalloc(n ? n : 1, sizeof(*w));
				for (size_t k = 0; k < n; k++) {
					struct mf_buf b;
					struct mf_diag d;
					mf_buf_init(&b, MF_BUF_UNBOUNDED);
					if (mf_dav_cal_resource(&b, NULL, c[k].ical, c[k].dtstart, &d) < 0) {
						/* refused by the export: damaged in staging */
						mf_buf_release(&b);
						continue;
					}
					mf_dav_resource_name(w[nw].name, c[k].uid, ".ics");
					w[nw].text = mf_buf_detach(&b, &w[nw].len);
					w[nw].label = mf_arena_strdup(&ia, c[k].uid);
					nw++;
				}
			}
		}
		if (rc == MF_OK)
			rc = verify_collection(&v, coll.data, w, nw, diag);
		want_free(w, nw);
		mf_arena_release(&ia);
	}
	if (rc == MF_OK && kind == MF_DAV_CARD && o->directory_mode &&
	    !strcmp(o->directory_mode, "create")) {
		struct mf_arena ia = MF_ARENA_INIT;
		struct mf_dav_card *cards;
		struct want *w = NULL;
		size_t n, nw = 0;
		mf_buf_reset(&coll);
		if ((rc = mf_dav_collection(&coll, &t, mf_dav_layout(o), MF_DAV_DIRECTORY_NAME, kind,
					    diag)) == MF_OK &&
		    (rc = mf_dav_directory_cards(st, &cards, &n, &ia, diag)) == MF_OK) {
			cards_to_want(&w, &nw, cards, n, ver);
			rc = verify_collection(&v, coll.data, w, nw, diag);
			want_free(w, nw);
		}
		mf_arena_release(&ia);
	}
	mf_buf_release(&coll);
	mf_dav_close(&v.dav);
	return rc;
}
