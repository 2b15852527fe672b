/* SPDX-License-Identifier: MIT */
/*
 * ccmail_stage.c: the cc:Mail importer's directory files: DIRECTRY.TXT
 * (entries, mailboxes, aliases), LISTS.TXT, the private directories,
 * USERS.CSV (the file map) and the files nobody named.
 */
#include "importers/ccmail/ccmail_imp.h"
#include "core/bits.h"
#include "core/extsort.h"

/* ---- directory ---- */

struct alias_todo {
	int64_t id;
	char *target;
	uint64_t offset;
};

/* "HQPO" / "SMTPLINK jdoe@example.com": the post office and the rest. */
static void split_addr(struct mf_span addr, struct mf_span *po, struct mf_span *rest)
{
	size_t i = 0;
	addr = mf_span_trim(addr);
	while (i < addr.len && addr.p[i] != ' ' && addr.p[i] != '\t')
		i++;
	po->p = addr.p;
	po->len = i;
	rest->p = addr.p + i;
	rest->len = addr.len - i;
	*rest = mf_span_trim(*rest);
}

static int span_has(struct mf_span s, unsigned char c)
{
	return s.len && memchr(s.p, c, s.len) != NULL;
}

int cci_stage_directory(struct imp *im, const char *real)
{
	struct mf_map map;
	struct ccx_recs recs;
	struct ccx_record rec;
	struct mf_arena ra = MF_ARENA_INIT;
	enum mf_file_state state;
	int64_t file_id;
	struct alias_todo *al = NULL;
	size_t nal = 0;
	char **gw = NULL;
	size_t ngw = 0;
	const char *rel = cci_rel_of(im, real);
	int rc;

	rc = cci_open_file(im, real, "directory", 0, &map, &file_id, &state);
	if (rc == MF_SKIP)
		return MF_OK;
	if (rc < 0)
		return rc;
	/* pass 1: gateway post offices (entries holding Internet addresses) */
	ccx_recs_init(&recs, map.data, map.len, "directory", NULL, NULL);
	mf_map_watch(&map, &recs.rd);
	while (ccx_recs_next(&recs, &rec, &ra) == MF_OK) {
		const struct ccx_field *a = ccx_record_get(&rec, "Addr");
		struct mf_span po, rest;
		if (!a)
			continue;
		split_addr(a->value, &po, &rest);
		if (po.len && span_has(rest, '@')) {
			char *n = cci_to_utf8(im, po, &ra);
			size_t i;
			for (i = 0; i < ngw; i++)
				if (mf_strcaseeq(gw[i], n))
					break;
			if (i == ngw) {
				gw = mf_xreallocarray(gw, ngw + 1, sizeof(*gw));
				gw[ngw++] = mf_xstrdup(n);
			}
		}
		mf_arena_reset(&ra);
	}
	if ((rc = mf_store_begin(im->st, im->diag)) < 0)
		goto out;
	if ((rc = mf_store_postoffice(im->st, NULL, im->source_id, im->po, NULL, "local", NULL,
				      NULL, im->diag)) < 0)
		goto fail;
	for (size_t i = 0; i < ngw; i++)
		if ((rc = mf_store_postoffice(im->st, NULL, im->source_id, gw[i], NULL, "gateway",
					      "SMTP", NULL, im->diag)) < 0)
			goto fail;

	ccx_recs_init(&recs, map.data, map.len, "directory", mf_pending_fn, &im->pend);
	mf_map_watch(&map, &recs.rd);
	while (ccx_recs_next(&recs, &rec, &ra) == MF_OK) {
		const struct ccx_field *fn = ccx_record_get(&rec, "Name");
		const struct ccx_field *fl = ccx_record_get(&rec, "Locn");
		const struct ccx_field *fa = ccx_record_get(&rec, "Addr");
		const struct ccx_field *fc = ccx_record_get(&rec, "Comments");
		struct mf_dir_entry e;
		char *name, *given, *sur;
		int64_t eid = 0, mbid = 0;
		char c = 0;

		cci_pend_flush(im, rel, 0, 0, NULL); /* syntax problems of the record */
		if (!fn || fn->value.len == 0) {
			cci_problemf(im, MF_WARNING, "ccmail.dir-no-name", rel, (int64_t)rec.offset, 0,
				     "directory record without a Name: ignored");
			mf_arena_reset(&ra);
			continue;
		}
		name = cci_to_utf8(im, fn->value, &ra);
		cci_split_names(name, &ra, &given, &sur);
		memset(&e, 0, sizeof(e));
		e.name = name;
		e.display_name = cci_display_of(name, &ra);
		e.given_name = given;
		e.surname = sur;
		e.location = fl ? cci_to_utf8(im, fl->value, &ra) : NULL;
		e.comments = fc && fc->value.len ? cci_to_utf8(im, fc->value, &ra) : NULL;
		e.src_file_id = file_id;
		e.src_offset = (int64_t)rec.offset;
		e.raw = rec.raw.p;
		e.raw_len = rec.raw.len;
		if (fl && fl->value.len == 1)
			c = (char)fl->value.p[0];
		if (!strchr("LRlr", c ? c : '-')) {
			/* post offices and aliases are not people */
			e.given_name = e.surname = NULL;
			e.display_name = name;
		}
		if ((rc = mf_store_dir_name_taken(im->st, im->source_id, name, im->diag)) < 0)
			goto fail;
		if (rc == 1 && c != 'A' && c != 'a')
			cci_problemf(im, MF_WARNING, "ccmail.dir-duplicate", rel, (int64_t)rec.offset, 0,
				     "name '%s' is already in the directory: both entries kept", name);
		switch (c) {
		case 'L':
		case 'R': {
			struct mf_mailbox mb;
			memset(&mb, 0, sizeof(mb));
			mb.kind = "mailbox";
			mb.name = name;
			mb.display_name = e.display_name;
			mb.given_name = given;
			mb.surname = sur;
			mb.address_type = "CCMAIL";
			mb.source_address = cci_strf(&ra, "CCMAIL:%s at %s", name, im->po);
			mb.in_directory = 1;
			mb.comments = e.comments;
			if ((rc = mf_store_mailbox(im->st, &mbid, NULL, im->source_id, &mb, im->diag)) < 0)
				goto fail;
			e.kind = "user";
			e.address_type = "CCMAIL";
			e.address = cci_strf(&ra, "%s at %s", name, im->po);
			e.postoffice = im->po;
			e.mailbox_id = mbid;
			break;
		}
		case 'l':
		case 'r': {
			struct mf_span po = { NULL, 0 }, rest = { NULL, 0 };
			e.kind = "custom";
			if (fa)
				split_addr(fa->value, &po, &rest);
			if (!po.len) {
				cci_problemf(im, MF_WARNING, "ccmail.dir-bad-addr", rel, (int64_t)rec.offset, 0,
					     "user of another post office without an Addr: post office unknown");
				e.address_type = "CCMAIL";
				e.address = name;
				break;
			}
			e.postoffice = cci_to_utf8(im, po, &ra);
			if (span_has(rest, '@')) {
				e.address_type = "SMTP";
				e.address = cci_to_utf8(im, rest, &ra);
			} else {
				/* the foreign alias name, when there is one, is the
				 * name the user has at that post office */
				e.address_type = "CCMAIL";
				e.address = cci_strf(&ra, "%s at %s", rest.len ? cci_to_utf8(im, rest, &ra) : name,
						     e.postoffice);
			}
			break;
		}
		case 'P':
		case 'p': {
			int is_gw = 0;
			for (size_t i = 0; i < ngw; i++)
				if (mf_strcaseeq(gw[i], name))
					is_gw = 1;
			e.kind = "postoffice";
			e.postoffice = name;
			if (!mf_strcaseeq(name, im->po) &&
			    (rc = mf_store_postoffice(im->st, NULL, im->source_id, name, NULL,
						      is_gw ? "gateway" : "remote", is_gw ? "SMTP" : NULL,
						      e.comments, im->diag)) < 0)
				goto fail;
			break;
		}
		case 'A':
		case 'a':
			e.kind = "alias";
			e.address_type = "CCMAIL";
			e.address = cci_strf(&ra, "%s at %s", name, im->po);
			e.postoffice = im->po;
			break;
		default:
			cci_problemf(im, MF_WARNING, "ccmail.dir-bad-locn", rel, (int64_t)rec.offset, 0,
				     "directory entry '%s' has no known Locn code: kept as a custom recipient",
				     name);
			e.kind = "custom";
			e.address_type = "CCMAIL";
			e.address = cci_strf(&ra, "%s at %s", name, im->po);
			break;
		}
		if ((rc = mf_store_dir_entry(im->st, &eid, im->source_id, &e, im->diag)) < 0)
			goto fail;
		im->stats->dir_entries++;
		if (c == 'A' || c == 'a') {
			al = mf_xreallocarray(al, nal + 1, sizeof(*al));
			al[nal].id = eid;
			al[nal].target = fa && fa->value.len ? cci_to_utf8(im, fa->value, &ra) : NULL;
			if (al[nal].target)
				al[nal].target = mf_xstrdup(al[nal].target);
			al[nal].offset = rec.offset;
			nal++;
		}
		mf_arena_reset(&ra);
	}
	if ((rc = cci_pend_flush(im, rel, 0, 0, NULL)) < 0)
		goto fail;
	for (size_t i = 0; i < nal; i++) {
		int64_t target = 0;
		if (al[i].target &&
		    (rc = mf_store_dir_named(im->st, &target, im->source_id, al[i].target, im->diag)) < 0)
			goto fail;
		if (!target) {
			cci_problemf(im, MF_WARNING, "ccmail.alias-unresolved", rel, (int64_t)al[i].offset, 0,
				     "alias names '%s', which is not in the directory",
				     al[i].target ? al[i].target : "");
			continue;
		}
		if ((rc = mf_store_dir_set_alias(im->st, al[i].id, target, im->diag)) < 0)
			goto fail;
	}
	if ((rc = mf_store_file_end(im->st, file_id, "done", 0, 0, im->diag)) < 0 ||
	    (rc = mf_store_commit(im->st, im->diag)) < 0)
		goto fail;
	rc = MF_OK;
	goto out;
fail:
	mf_store_rollback(im->st);
	mf_pending_clear(&im->pend);
out:
	for (size_t i = 0; i < nal; i++)
		free(al[i].target);
	free(al);
	for (size_t i = 0; i < ngw; i++)
		free(gw[i]);
	free(gw);
	mf_arena_release(&ra);
	mf_map_close(&map);
	return rc;
}

/* ---- mailing lists (LISTS.TXT) ---- */

/* Resolve a list member written as an address: *id_out, 0 when not found. */
static int member_entry(struct imp *im, int64_t *id_out, struct mf_span raw, struct mf_arena *a)
{
	struct addr_out ao;
	int rc = cci_resolve_addr(im, raw, &ao, a);
	*id_out = rc < 0 ? 0 : ao.entry_id;
	return rc;
}

/*
 * List members are looked up in the order of their names, not in the
 * lists' order: in the lists' order each look-up reads a random leaf of
 * the name index and a random page of dir_entries (the entry, then the
 * foreign-key check of its list_members row), which outgrow the import's
 * page cache with the directory (300,000 page reads at 100,000 users,
 * issue 15).  In name order the name index is read once from end to end,
 * and so are the entries when the directory was staged in name order or
 * in runs of it.  A member is stored unresolved as it is read and its
 * look-up queued (core/extsort: bounded memory); the queue is read back
 * in name order and each member found gets its entry.  The warnings for
 * members not found are written afterwards in the lists' order, as when
 * each member was looked up as it was read.  A member longer than
 * MEMBER_KEY bytes is looked up at once.
 */
#define MEMBER_KEY 96
#define MEMBER_RUN 4096 /* queued members held in memory, per queue (about 480 KiB) */

struct member_todo {
	int64_t entry;   /* pass 3b: the one entry of its name */
	int64_t list_id;
	int32_t position;
	uint32_t seq;    /* the member's number in the lists' order */
	uint16_t len;
	unsigned char value[MEMBER_KEY]; /* the member as written (source bytes) */
};

static int cmp_member(const void *pa, const void *pb, void *arg)
{
	const struct member_todo *a = pa, *b = pb;
	size_t n = a->len < b->len ? a->len : b->len;
	(void)arg;
	for (size_t i = 0; i < n; i++) {
		int ca = a->value[i], cb = b->value[i];
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Store the members of the lists ids[0..nids) (0: a list not staged), the
 * records of recs; each member found has its entry set by pass 3. */
static int members_queue(struct imp *im, struct ccx_recs *recs, const int64_t *ids, size_t nids,
			 struct mf_extsort *queue, struct mf_bits *miss, struct mf_arena *ra)
{
	struct ccx_record rec;
	uint32_t seq = 0;
	int rc;

	for (size_t k = 0; k < nids && ccx_recs_next(recs, &rec, ra) == MF_OK; k++) {
		int pos = 0;
		for (size_t i = 0; ids[k] && i < rec.n_fields; i++) {
			const struct ccx_field *f = &rec.fields[i];
			int64_t eid = 0;
			char *addr;
			if (!mf_span_eq_ci(f->label, "Member"))
				continue;
			addr = cci_to_utf8(im, f->value, ra);
			if (f->value.len <= MEMBER_KEY) {
				struct member_todo t;
				memset(&t, 0, sizeof(t));
				t.list_id = ids[k];
				t.position = pos;
				t.seq = seq;
				t.len = (uint16_t)f->value.len;
				memcpy(t.value, f->value.p, f->value.len);
				if ((rc = mf_extsort_add(queue, &t, im->diag)) < 0)
					return rc;
			} else {
				if ((rc = member_entry(im, &eid, f->value, ra)) < 0)
					return rc;
				if (!eid)
					mf_bits_set(miss, seq);
			}
			seq++;
			if ((rc = mf_store_list_member(im->st, ids[k], pos++, addr, eid, im->diag)) < 0)
				return rc;
		}
		mf_arena_reset(ra);
	}
	return MF_OK;
}

static int cmp_entry(const void *pa, const void *pb, void *arg)
{
	const struct member_todo *a = pa, *b = pb;
	(void)arg;
	if (a->entry != b->entry)
		return a->entry < b->entry ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* A member's entry found (eid) or not (0). */
static int member_set(struct imp *im, const struct member_todo *t, int64_t eid,
		      struct mf_bits *miss)
{
	if (!eid) {
		mf_bits_set(miss, t->seq);
		return MF_OK;
	}
	return mf_store_list_member_entry(im->st, t->list_id, t->position, eid, im->diag);
}

/*
 * The queued look-ups: in name order (3a), the name index alone for the
 * one entry of each name (cci_dir_candidate), queued again; then in the
 * order of those entries' ids (3b), each entry's row and its list_members
 * update, whose foreign-key check reads the same row: dir_entries is read
 * from end to end once instead of a random page a member (58,000 of the
 * 100k import's 77,000 page reads).  The rest is looked up at once.
 */
static int members_resolve(struct imp *im, struct mf_extsort *queue, struct mf_bits *miss,
			   struct mf_arena *ra)
{
	struct mf_extsort *by_entry;
	struct member_todo t;
	int rc;

	if ((rc = mf_extsort_finish(queue, im->diag)) < 0)
		return rc;
	by_entry = mf_extsort_new(sizeof(struct member_todo), MEMBER_RUN, cmp_entry, NULL, NULL);
	while ((rc = mf_extsort_next(queue, &t, im->diag)) == 1) {
		struct mf_span v = { t.value, t.len };
		int64_t eid;
		rc = cci_dir_candidate(im, v, &t.entry, ra);
		mf_arena_reset(ra);
		if (rc < 0)
			goto out;
		if (rc == 1) {
			if ((rc = mf_extsort_add(by_entry, &t, im->diag)) < 0)
				goto out;
			continue;
		}
		if ((rc = member_entry(im, &eid, v, ra)) < 0)
			goto out;
		mf_arena_reset(ra);
		if ((rc = member_set(im, &t, eid, miss)) < 0)
			goto out;
	}
	if (rc < 0 || (rc = mf_extsort_finish(by_entry, im->diag)) < 0)
		goto out;
	while ((rc = mf_extsort_next(by_entry, &t, im->diag)) == 1) {
		struct mf_span v = { t.value, t.len };
		int64_t eid = t.entry;
		rc = cci_dir_confirm(im, v, t.entry, ra);
		mf_arena_reset(ra);
		if (rc == 0)
			rc = member_entry(im, &eid, v, ra);
		mf_arena_reset(ra);
		if (rc < 0 || (rc = member_set(im, &t, eid, miss)) < 0)
			goto out;
	}
out:
	mf_extsort_free(by_entry);
	return rc < 0 ? rc : MF_OK;
}

/* The warnings for the members not found, in the lists' order. */
static void members_warn(struct imp *im, struct ccx_recs *recs, const int64_t *ids, size_t nids,
			 const struct mf_bits *miss, const char *rel, struct mf_arena *ra)
{
	struct ccx_record rec;
	size_t seq = 0;

	for (size_t k = 0; k < nids && ccx_recs_next(recs, &rec, ra) == MF_OK; k++) {
		for (size_t i = 0; ids[k] && i < rec.n_fields; i++) {
			const struct ccx_field *f = &rec.fields[i];
			if (!mf_span_eq_ci(f->label, "Member"))
				continue;
			if (mf_bits_has(miss, seq++))
				cci_problemf(im, MF_WARNING, "ccmail.list-member-unresolved", rel,
					     (int64_t)f->offset, 0,
					     "list member '%s' is not in the directory: kept as written",
					     cci_to_utf8(im, f->value, ra));
		}
		mf_arena_reset(ra);
	}
}

int cci_stage_lists(struct imp *im, const char *real)
{
	struct mf_map map;
	struct ccx_recs recs;
	struct ccx_record rec;
	struct mf_arena ra = MF_ARENA_INIT;
	struct mf_extsort *queue = NULL;
	/* the members not found, by their number in the lists' order */
	struct mf_bits miss = MF_BITS_INIT;
	enum mf_file_state state;
	int64_t file_id, *ids = NULL;
	size_t nids = 0;
	const char *rel = cci_rel_of(im, real);
	int rc;

	rc = cci_open_file(im, real, "lists", 0, &map, &file_id, &state);
	if (rc == MF_SKIP)
		return MF_OK;
	if (rc < 0)
		return rc;
	if ((rc = mf_store_begin(im->st, im->diag)) < 0)
		goto out;
	/* pass 1: the lists themselves, so members may name other lists */
	ccx_recs_init(&recs, map.data, map.len, "list", mf_pending_fn, &im->pend);
	mf_map_watch(&map, &recs.rd);
	while (ccx_recs_next(&recs, &rec, &ra) == MF_OK) {
		const struct ccx_field *fn = ccx_record_get(&rec, "List");
		const struct ccx_field *fc = ccx_record_get(&rec, "Comments");
		struct mf_dir_entry e;
		int64_t eid = 0;
		ids = mf_xreallocarray(ids, nids + 1, sizeof(*ids));
		ids[nids++] = 0;
		if (!fn || !fn->value.len) {
			cci_problemf(im, MF_WARNING, "ccmail.dir-no-name", rel, (int64_t)rec.offset, 0,
				     "list record without a List: name ignored");
			mf_arena_reset(&ra);
			continue;
		}
		memset(&e, 0, sizeof(e));
		e.kind = "list";
		e.name = cci_to_utf8(im, fn->value, &ra);
		e.display_name = e.name;
		e.address_type = "CCMAIL";
		e.address = cci_strf(&ra, "%s at %s", e.name, im->po);
		e.postoffice = im->po;
		e.comments = fc && fc->value.len ? cci_to_utf8(im, fc->value, &ra) : NULL;
		e.src_file_id = file_id;
		e.src_offset = (int64_t)rec.offset;
		e.raw = rec.raw.p;
		e.raw_len = rec.raw.len;
		if ((rc = mf_store_dir_entry(im->st, &eid, im->source_id, &e, im->diag)) < 0)
			goto fail;
		im->stats->dir_entries++;
		ids[nids - 1] = eid;
		mf_arena_reset(&ra);
	}
	if ((rc = cci_pend_flush(im, rel, 0, 0, NULL)) < 0)
		goto fail;
	/* pass 2: members, stored unresolved, their look-ups queued */
	queue = mf_extsort_new(sizeof(struct member_todo), MEMBER_RUN, cmp_member, NULL, NULL);
	ccx_recs_init(&recs, map.data, map.len, "list", NULL, NULL);
	mf_map_watch(&map, &recs.rd);
	if ((rc = members_queue(im, &recs, ids, nids, queue, &miss, &ra)) < 0)
		goto fail;
	/* pass 3: the look-ups in name order */
	if ((rc = members_resolve(im, queue, &miss, &ra)) < 0)
		goto fail;
	/* pass 4: the members not found */
	if (miss.count) {
		ccx_recs_init(&recs, map.data, map.len, "list", NULL, NULL);
		mf_map_watch(&map, &recs.rd);
		members_warn(im, &recs, ids, nids, &miss, rel, &ra);
	}
	if ((rc = mf_store_file_end(im->st, file_id, "done", 0, 0, im->diag)) < 0 ||
	    (rc = mf_store_commit(im->st, im->diag)) < 0)
		goto fail;
	rc = MF_OK;
	goto out;
fail:
	mf_store_rollback(im->st);
	mf_pending_clear(&im->pend);
out:
	mf_extsort_free(queue);
	mf_bits_free(&miss);
	free(ids);
	mf_arena_release(&ra);
	mf_map_close(&map);
	return rc;
}

/* ---- private directories ---- */

struct pabname {
	char *name;
	int64_t id;
};

int cci_stage_pab(struct imp *im, const char *real, int64_t mailbox_id)
{
	struct mf_map map;
	struct ccx_recs recs;
	struct ccx_record rec;
	struct mf_arena ra = MF_ARENA_INIT;
	enum mf_file_state state;
	int64_t file_id;
	struct pabname *names = NULL;
	size_t nnames = 0;
	const char *rel = cci_rel_of(im, real);
	int rc, pos, pass;

	rc = cci_open_file(im, real, "pab", mailbox_id, &map, &file_id, &state);
	if (rc == MF_SKIP)
		return MF_OK;
	if (rc < 0)
		return rc;
	if ((rc = mf_store_begin(im->st, im->diag)) < 0)
		goto out;
	/* pass 0: private addresses; pass 1: private mailing lists */
	for (pass = 0; pass < 2; pass++) {
		ccx_recs_init(&recs, map.data, map.len, "private directory",
			      pass == 0 ? mf_pending_fn : NULL, &im->pend);
		mf_map_watch(&map, &recs.rd);
		pos = 0;
		while (ccx_recs_next(&recs, &rec, &ra) == MF_OK) {
			const struct ccx_field *fl = ccx_record_get(&rec, "List");
			const struct ccx_field *fn = ccx_record_get(&rec, "Name");
			const struct ccx_field *fa = ccx_record_get(&rec, "Addr");
			const struct ccx_field *fc = ccx_record_get(&rec, "Comments");
			struct mf_pab_entry pe;
			int64_t id = 0;
			int mypos = pos++;

			if (pass == 0 && (rc = cci_pend_flush(im, rel, mailbox_id, 0, NULL)) < 0)
				goto fail;
			if ((pass == 0) != (fl == NULL)) {
				mf_arena_reset(&ra);
				continue;
			}
			memset(&pe, 0, sizeof(pe));
			pe.mailbox_id = mailbox_id;
			pe.position = mypos;
			pe.src_file_id = file_id;
			pe.src_offset = (int64_t)rec.offset;
			pe.raw = rec.raw.p;
			pe.raw_len = rec.raw.len;
			pe.field[MF_PAB_NOTE] = fc && fc->value.len ? cci_to_utf8(im, fc->value, &ra) : NULL;
			if (pass == 0) {
				char *name, *given, *sur;
				if (!fn || !fn->value.len) {
					cci_problemf(im, MF_WARNING, "ccmail.dir-no-name", rel,
						     (int64_t)rec.offset, mailbox_id,
						     "private directory record without a Name: ignored");
					mf_arena_reset(&ra);
					continue;
				}
				name = cci_to_utf8(im, fn->value, &ra);
				cci_split_names(name, &ra, &given, &sur);
				pe.kind = "entry";
				pe.display_name = name;
				pe.field[MF_PAB_FIRST] = given;
				pe.field[MF_PAB_LAST] = sur;
				if (fa && fa->value.len) {
					struct mf_span po, rest;
					split_addr(fa->value, &po, &rest);
					if (span_has(rest, '@')) {
						pe.address_type = "SMTP";
						pe.address = cci_to_utf8(im, rest, &ra);
					} else if (span_has(po, '@')) {
						pe.address_type = "SMTP";
						pe.address = cci_to_utf8(im, po, &ra);
					} else {
						pe.address_type = "CCMAIL";
						pe.address = cci_strf(&ra, "%s at %s",
								      rest.len ? cci_to_utf8(im, rest, &ra) : name,
								      cci_to_utf8(im, po, &ra));
					}
				} else {
					struct dent e;
					if ((rc = cci_dir_lookup(im, &e, cci_cspan(name), cci_cspan(NULL), &ra)) < 0)
						goto fail;
					if (rc == 1 && (e.atype || e.addr)) {
						pe.address_type = e.atype;
						pe.address = e.addr;
					} else {
						cci_problemf(im, MF_WARNING, "ccmail.pab-no-address", rel,
							     (int64_t)rec.offset, mailbox_id,
							     "private address '%s' has no Addr and is not in the "
							     "directory: no address known", name);
					}
				}
				if ((rc = mf_store_pab_entry(im->st, &id, &pe, im->diag)) < 0)
					goto fail;
				names = mf_xreallocarray(names, nnames + 1, sizeof(*names));
				names[nnames].name = mf_xstrdup(name);
				names[nnames].id = id;
				nnames++;
			} else {
				size_t nm = 0;
				pe.kind = "dl";
				pe.display_name = cci_to_utf8(im, fl->value, &ra);
				for (size_t i = 0; i < rec.n_fields; i++)
					nm += mf_span_eq_ci(rec.fields[i].label, "Member");
				pe.members = mf_arena_zalloc(&ra, (nm ? nm : 1) * sizeof(*pe.members));
				for (size_t i = 0; i < rec.n_fields; i++) {
					const struct ccx_field *f = &rec.fields[i];
					struct mf_pab_member *pm;
					struct mf_ccaddr ca;
					char *addr;
					if (!mf_span_eq_ci(f->label, "Member"))
						continue;
					pm = &pe.members[pe.n_members++];
					addr = cci_to_utf8(im, f->value, &ra);
					pm->address = addr;
					if (mf_ccaddr_parse(&ca, addr, strlen(addr)) == MF_OK)
						for (size_t j = 0; j < nnames; j++)
							if (mf_addr_eq_ci(ca.name, cci_cspan(names[j].name)) ||
							    mf_strcaseeq(addr, names[j].name)) {
								pm->member_pab_id = names[j].id;
								break;
							}
					if (!pm->member_pab_id &&
					    (rc = member_entry(im, &pm->entry_id, f->value, &ra)) < 0)
						goto fail;
					if (!pm->member_pab_id && !pm->entry_id)
						cci_problemf(im, MF_WARNING, "ccmail.pab-member-unresolved", rel,
							     (int64_t)f->offset, mailbox_id,
							     "private list member '%s' is neither a private address "
							     "nor in the directory: kept as written", addr);
				}
				if ((rc = mf_store_pab_entry(im->st, &id, &pe, im->diag)) < 0)
					goto fail;
				if (fl && !fl->value.len)
					cci_problemf(im, MF_WARNING, "ccmail.dir-no-name", rel,
						     (int64_t)rec.offset, mailbox_id,
						     "private list without a name");
			}
			mf_arena_reset(&ra);
		}
	}
	if ((rc = cci_pend_flush(im, rel, mailbox_id, 0, NULL)) < 0 ||
	    (rc = mf_store_file_end(im->st, file_id, "done", 0, 0, im->diag)) < 0 ||
	    (rc = mf_store_commit(im->st, im->diag)) < 0)
		goto fail;
	rc = MF_OK;
	goto out;
fail:
	mf_store_rollback(im->st);
	mf_pending_clear(&im->pend);
out:
	for (size_t i = 0; i < nnames; i++)
		free(names[i].name);
	free(names);
	mf_arena_release(&ra);
	mf_map_close(&map);
	return rc;
}

/* ---- USERS.CSV ---- */

void cci_jobs_release(struct jobs *js)
{
	for (size_t i = 0; i < js->n; i++) {
		free(js->j[i].name);
		free(js->j[i].file);
		free(js->j[i].pab);
	}
	free(js->j);
	free(js->seen);
	memset(js, 0, sizeof(*js));
}

/* 1 when mailbox id had a row already, else marks it and 0 (a bit per
 * id: 12.5 KB at 100,000 mailboxes, where a map of the ids held 5 MB) */
static int seen_before(struct jobs *js, int64_t id)
{
	size_t w = (size_t)((uint64_t)id / 64);
	uint64_t bit = UINT64_C(1) << ((uint64_t)id % 64);
	if (w >= js->nseen) {
		size_t n = js->nseen ? js->nseen : 64;
		while (n <= w)
			n *= 2;
		js->seen = mf_xreallocarray(js->seen, n, sizeof(*js->seen));
		memset(js->seen + js->nseen, 0, (n - js->nseen) * sizeof(*js->seen));
		js->nseen = n;
	}
	if (js->seen[w] & bit)
		return 1;
	js->seen[w] |= bit;
	return 0;
}

/* Resolve a file named in USERS.CSV; NULL (with a problem) when it cannot
 * be used. */
static char *resolve_listed(struct imp *im, const char *rel_users, uint64_t off,
			    const char *what, const char *name, int64_t mailbox_id)
{
	char *real = NULL;
	struct mf_diag d;
	int rc;
	mf_diag_clear(&d);
	rc = mf_path_resolve(&real, im->root, name, &d);
	if (rc == MF_ENOTFOUND) {
		cci_problemf(im, MF_ERROR, "ccmail.file-missing", rel_users, (int64_t)off, mailbox_id,
			     "%s file '%s' does not exist in the set", what, name);
		return NULL;
	}
	if (rc < 0) {
		cci_problemf(im, MF_ERROR, "ccmail.file-bad-path", rel_users, (int64_t)off, mailbox_id,
			     "%s file '%s' cannot be used: %s", what, name, d.msg);
		return NULL;
	}
	if (cci_mark_used(im, real)) {
		cci_problemf(im, MF_ERROR, "ccmail.file-reused", rel_users, (int64_t)off, mailbox_id,
			     "%s file '%s' is named twice: only its first row is imported", what, name);
		free(real);
		return NULL;
	}
	return real;
}

int cci_stage_users(struct imp *im, const char *real, struct jobs *js)
{
	struct mf_map map;
	struct ccx_csv csv;
	struct ccx_csv_row row;
	struct mf_arena ra = MF_ARENA_INIT;
	enum mf_file_state state;
	int64_t file_id = 0;
	int col[4] = { 0, 1, 2, 3 }; /* kind, name, file, pab */
	int first = 1, fresh, rc;
	const char *rel = cci_rel_of(im, real);

	rc = cci_open_file(im, real, "users", 0, &map, &file_id, &state);
	fresh = rc == MF_OK;
	if (rc == MF_SKIP) {
		/* read again for the file list; rows were staged before */
		if ((rc = mf_map_open(&map, real, im->diag)) < 0)
			return rc;
	} else if (rc < 0) {
		return rc;
	}
	if ((rc = mf_store_begin(im->st, im->diag)) < 0)
		goto out;
	ccx_csv_init(&csv, map.data, map.len, fresh ? mf_pending_fn : NULL, &im->pend);
	mf_map_watch(&map, &csv.rd);
	while (ccx_csv_next(&csv, &row, &ra) == MF_OK) {
		const char *f[4] = { "", "", "", "" };
		struct mf_mailbox mb;
		struct job jb;
		int64_t mbid = 0;
		int created = 0;

		if ((rc = cci_pend_flush(im, rel, 0, 0, NULL)) < 0)
			goto fail;
		if (first) {
			static const char *const want[4] = { "kind", "name", "file", "pab" };
			int found = 0;
			first = 0;
			for (int k = 0; k < 4; k++) {
				col[k] = -1;
				for (size_t i = 0; i < row.n_fields; i++)
					if (mf_strcaseeq(mf_span_trim(cci_cspan(row.fields[i])).len ==
							 strlen(row.fields[i]) ? row.fields[i] : "",
							 want[k])) {
						col[k] = (int)i;
						found++;
						break;
					}
			}
			if (col[0] < 0 || col[1] < 0) {
				if (fresh)
					cci_problemf(im, MF_WARNING, "ccmail.users-header", rel, 0, 0,
						     "USERS.CSV has no header row 'kind,name,file,pab': "
						     "columns taken in that order");
				for (int k = 0; k < 4; k++)
					col[k] = k;
				if (found == 0)
					goto data_row; /* this row is data */
			}
			mf_arena_reset(&ra);
			continue;
		}
data_row:
		if (row.has_nul) {
			/* the names would be cut at the NUL ("Holm,\0 Lars" read as
			 * "Holm,", a file name cut before "\0../..") */
			if (fresh)
				cci_problemf(im, MF_WARNING, "ccmail.users-bad-row", rel, (int64_t)row.nul_offset, 0,
					     "row with a NUL byte ignored");
			mf_arena_reset(&ra);
			continue;
		}
		for (int k = 0; k < 4; k++)
			if (col[k] >= 0 && (size_t)col[k] < row.n_fields)
				f[k] = row.fields[col[k]];
		memset(&mb, 0, sizeof(mb));
		memset(&jb, 0, sizeof(jb));
		{
			struct mf_span nm = mf_span_trim(cci_cspan(f[1]));
			if (!nm.len) {
				if (fresh)
					cci_problemf(im, MF_WARNING, "ccmail.users-bad-row", rel, (int64_t)row.offset, 0,
						     "row without a name ignored");
				mf_arena_reset(&ra);
				continue;
			}
			jb.name = cci_to_utf8(im, nm, &ra);
		}
		if (mf_strcaseeq(f[0], "mailbox")) {
			char *given, *sur;
			int in_dir;
			if ((in_dir = mf_store_dir_name_taken(im->st, im->source_id, jb.name, im->diag)) < 0) {
				rc = in_dir;
				goto fail;
			}
			cci_split_names(jb.name, &ra, &given, &sur);
			mb.kind = "mailbox";
			mb.name = jb.name;
			mb.display_name = cci_display_of(jb.name, &ra);
			mb.given_name = given;
			mb.surname = sur;
			mb.address_type = "CCMAIL";
			mb.source_address = cci_strf(&ra, "CCMAIL:%s at %s", jb.name, im->po);
			mb.in_directory = in_dir;
			if ((rc = mf_store_mailbox(im->st, &mbid, &created, im->source_id, &mb, im->diag)) < 0)
				goto fail;
			if (!in_dir && fresh)
				cci_problemf(im, MF_WARNING, "ccmail.user-not-in-directory", rel,
					     (int64_t)row.offset, mbid,
					     "'%s' is not in the directory: migrated as a mailbox all the same",
					     jb.name);
		} else if (mf_strcaseeq(f[0], "bboard")) {
			char *bname = jb.name;
			if (bname[0] != '#') {
				if (fresh)
					cci_problemf(im, MF_WARNING, "ccmail.users-bad-row", rel, (int64_t)row.offset, 0,
						     "bulletin board name '%s' without '#': '#' added", bname);
				bname = cci_strf(&ra, "#%s", bname);
			}
			jb.name = bname;
			jb.board = 1;
			mb.kind = "public";
			mb.name = bname;
			mb.display_name = bname + 1;
			mb.address_type = "CCMAIL";
			mb.source_address = cci_strf(&ra, "CCMAIL:%s at %s", bname, im->po);
			mb.in_directory = 1;
			if ((rc = mf_store_mailbox(im->st, &mbid, &created, im->source_id, &mb, im->diag)) < 0)
				goto fail;
			if (fresh) {
				struct mf_dir_entry e;
				memset(&e, 0, sizeof(e));
				e.kind = "bboard";
				e.name = bname;
				e.display_name = bname + 1;
				e.address_type = "CCMAIL";
				e.address = cci_strf(&ra, "%s at %s", bname, im->po);
				e.postoffice = im->po;
				e.mailbox_id = mbid;
				e.src_file_id = file_id;
				e.src_offset = (int64_t)row.offset;
				if ((rc = mf_store_dir_entry(im->st, NULL, im->source_id, &e, im->diag)) < 0)
					goto fail;
				im->stats->dir_entries++;
			}
		} else {
			if (fresh)
				cci_problemf(im, MF_WARNING, "ccmail.users-bad-row", rel, (int64_t)row.offset, 0,
					     "unknown kind '%s' (mailbox or bboard): row ignored", f[0]);
			mf_arena_reset(&ra);
			continue;
		}
		jb.mailbox_id = mbid;
		if (mbid > 0 && seen_before(js, mbid)) {
			if (fresh)
				cci_problemf(im, MF_WARNING, "ccmail.users-duplicate", rel,
					     (int64_t)row.offset, mbid,
					     "'%s' has a row already: this row is ignored", jb.name);
			mbid = 0;
		}
		if (!mbid) {
			mf_arena_reset(&ra);
			continue;
		}
		{
			struct mf_span fs = mf_span_trim(cci_cspan(f[2])), ps = mf_span_trim(cci_cspan(f[3]));
			char *fname = mf_arena_strndup(&ra, (const char *)fs.p, fs.len);
			char *pname = mf_arena_strndup(&ra, (const char *)ps.p, ps.len);
			jb.name = mf_xstrdup(jb.name);
			jb.file = *fname ? resolve_listed(im, rel, row.offset, "message", fname, mbid) : NULL;
			jb.pab = *pname ? resolve_listed(im, rel, row.offset, "private directory", pname, mbid)
					: NULL;
		}
		if (!jb.file && !jb.pab) {
			/* nothing more to read for this mailbox */
			free(jb.name);
			mf_arena_reset(&ra);
			continue;
		}
		if (js->n == js->cap) {
			js->cap = js->cap ? js->cap * 2 : 64;
			js->j = mf_xreallocarray(js->j, js->cap, sizeof(*js->j));
		}
		js->j[js->n++] = jb;
		mf_arena_reset(&ra);
	}
	if ((rc = cci_pend_flush(im, rel, 0, 0, NULL)) < 0)
		goto fail;
	if (fresh && (rc = mf_store_file_end(im->st, file_id, "done", 0, 0, im->diag)) < 0)
		goto fail;
	if ((rc = mf_store_commit(im->st, im->diag)) < 0)
		goto fail;
	rc = MF_OK;
	goto out;
fail:
	mf_store_rollback(im->st);
	mf_pending_clear(&im->pend);
out:
	mf_arena_release(&ra);
	mf_map_close(&map);
	return rc;
}

/* ---- files nobody named ---- */

void cci_scan_unreferenced(struct imp *im, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *p, *real;
		struct stat sb;
		if (de->d_name[0] == '.')
			continue;
		p = mf_xasprintf("%s/%s", dir, de->d_name);
		real = realpath(p, NULL);
		if (real && stat(real, &sb) == 0) {
			if (S_ISDIR(sb.st_mode) && depth < 4)
				cci_scan_unreferenced(im, real, depth + 1);
			else if (S_ISREG(sb.st_mode) && !cci_mark_used(im, real))
				cci_problemf(im, MF_WARNING, "ccmail.file-unreferenced", cci_rel_of(im, real), 0, 0,
					     "file is not named in USERS.CSV: not imported");
		}
		free(real);
		free(p);
	}
	closedir(d);
}
