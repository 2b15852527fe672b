/* SPDX-License-Identifier: MIT */
/*
 * msmail_directory.c: the MS Mail importer's directory: users.csv (the
 * file map), directory/pol.txt (local users become mailboxes), the gateway
 * lists directory/gw-*.txt and directory/groups.txt (lists and members),
 * and the lookup table addresses are resolved with.
 */
#include "importers/msmail/msmail_imp.h"
#include "core/bits.h"
#include "core/extsort.h"
#include "core/store_import.h"

/* ---- directory ---- */

/* The users met so far live in the store (core/store_msdir.h), not in
 * memory: a site of 100,000 users costs no more memory than a small one. */

static int read_users(struct msm *s)
{
	struct mapped f;
	char *abs = msi_resolve(s, "users.csv", 0, MF_ERROR, "users file");
	struct mf_msusers u;
	struct mf_msuser row;
	int64_t file_id;
	enum mf_file_state state;
	int rc, store_rc = MF_OK;

	if (!abs)
		return mf_diag_set(s->diag, MF_ENOTFOUND, "users.csv", MF_NO_OFFSET,
				   "the bundle has no users.csv (required)");
	rc = msi_map_file(s, &f, abs);
	free(abs);
	if (rc < 0)
		return rc;
	if ((rc = msi_begin_file(s, &f, "users", "UTF-8", 0, &file_id, &state)) < 0 ||
	    (rc = mf_store_msuser_reset(s->st, s->diag)) < 0)
		goto out;
	if (state == MF_FILE_CHANGED) {
		rc = mf_diag_set(s->diag, MF_EFORMAT, f.rel, MF_NO_OFFSET,
				 "users.csv changed since it was imported into this staging database");
		goto out;
	}
	msi_set_file(s, f.rel);
	mf_msusers_init(&u, f.map.data, f.map.len, msi_on_problem, s);
	mf_map_watch(&f.map, &u.csv.rd);
	while ((rc = mf_msusers_next(&u, &row)) == MF_OK) {
		struct mf_store_msuser x;
		int found;
		char *mbx = msi_utf8_dup(s, row.mailbox, row.offset);
		if ((found = mf_store_msuser_find(s->st, &x, mbx, s->diag)) != 0) {
			mf_store_msuser_release(&x);
			if (found > 0)
				msi_problem(s, MF_WARNING, "msmail.users-duplicate", row.offset,
					    "mailbox %s listed twice in users.csv; the first row is used",
					    mbx);
			free(mbx);
			if (found < 0) {
				store_rc = found;
				break;
			}
			continue;
		}
		if (strlen(mbx) > 10)
			msi_problem(s, MF_WARNING, "msmail.users-value", row.offset,
				    "mailbox name %s is longer than MS Mail's 10 characters", mbx);
		x.seq = ++s->n_users;
		x.mailbox = mbx;
		x.inbox_messages = -1;
		x.full_name = msi_utf8_dup(s, row.full_name, row.offset);
		x.mail_dir = msi_utf8_dup(s, row.mail_dir, row.offset);
		x.calendar = msi_utf8_dup(s, row.calendar, row.offset);
		x.hexid = msi_utf8_dup(s, row.hexid, row.offset);
		x.deleted = row.deleted;
		x.in_csv = 1;
		x.csv_offset = row.offset;
		store_rc = mf_store_msuser_add(s->st, &x, s->diag);
		mf_store_msuser_release(&x);
		if (store_rc < 0)
			break;
	}
	mf_msusers_release(&u);
	if (store_rc < 0) {
		rc = store_rc;
		goto out;
	}
	if (rc == MF_EFORMAT) {
		rc = mf_diag_set(s->diag, MF_EFORMAT, f.rel, 0,
				 "users.csv has no header row with a 'mailbox' column");
		goto out;
	}
	rc = state == MF_FILE_DONE ? MF_OK : mf_store_file_end(s->st, file_id, "done", 0, 0, s->diag);
out:
	mf_map_close(&f.map);
	return rc;
}

/* Stage the mailbox of u (find or create). */
static int stage_mailbox(struct msm *s, struct mf_store_msuser *u, const char *network,
			 const char *postoffice, const char *mailbox, int in_directory)
{
	struct mf_mailbox mb;
	const char *display = u->dir_name && *u->dir_name ? u->dir_name
			    : u->full_name && *u->full_name ? u->full_name : mailbox;
	const char *g, *sn;
	size_t gl, sl;
	char *given, *sur, *addr, *hexid = NULL;
	int created = 0, rc;

	memset(&mb, 0, sizeof(mb));
	mf_name_split(display, &g, &gl, &sn, &sl);
	given = gl ? mf_xstrndup(g, gl) : NULL;
	sur = sl ? mf_xstrndup(sn, sl) : NULL;
	addr = mf_xasprintf("MS:%s/%s/%s", network, postoffice, mailbox);
	mb.kind = "mailbox";
	mb.name = mailbox;
	mb.display_name = display;
	mb.given_name = given;
	mb.surname = sur;
	mb.address_type = "MS";
	mb.source_address = addr;
	mb.deleted = u->deleted;
	mb.in_directory = in_directory;
	if (u->hexid && *u->hexid)
		hexid = mf_xasprintf("hexid %s", u->hexid);
	mb.comments = hexid;
	rc = mf_store_mailbox(s->st, &u->mailbox_id, &created, s->source_id, &mb, s->diag);
	free(given);
	free(sur);
	free(addr);
	free(hexid);
	if (rc == MF_OK)
		s->stats->mailboxes++;
	return rc;
}

/* Does a deleted user's export still hold mail or a calendar? */
static int has_content(struct msm *s, const struct mf_store_msuser *u)
{
	int found = 0;
	if (u->mail_dir && *u->mail_dir) {
		char *abs = msi_resolve(s, u->mail_dir, 0, MF_INFO, "");
		DIR *d = abs ? opendir(abs) : NULL;
		struct dirent *de;
		while (d && (de = readdir(d)) && !found) {
			size_t n = strlen(de->d_name);
			struct stat sb;
			char *p;
			if (n < 6 || !mf_strcaseeq(de->d_name + n - 5, ".mmff"))
				continue;
			p = mf_xasprintf("%s/%s", abs, de->d_name);
			if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
			    msi_inside_root(s, p))
				found = 1;
			free(p);
		}
		if (d)
			closedir(d);
		free(abs);
	}
	if (!found && u->calendar && *u->calendar) {
		char *abs = msi_resolve(s, u->calendar, 0, MF_INFO, "");
		found = abs != NULL;
		free(abs);
	}
	return found;
}

int msi_store_po(struct msm *s, const char *name, const char *network, const char *kind,
		 const char *type)
{
	return mf_store_postoffice(s->st, NULL, s->source_id, name, network, kind, type, NULL,
				   s->diag);
}

/* One IMPORT -X entry (pol.txt or gw-*.txt). */
static int dir_entry(struct msm *s, const struct mf_msdir_line *l, int64_t file_id,
		     int write, const char *gw_type)
{
	struct mf_dir_entry e;
	char type[24], *name, *addr_s = NULL, *comments = NULL, *po = NULL, *g = NULL, *sn = NULL;
	struct mf_span addr;
	const char *gp, *sp;
	size_t gl, sl;
	int rc = MF_OK;

	mf_arena_reset(&s->arena);
	memset(&e, 0, sizeof(e));
	name = msi_span_utf8(s, l->name);
	if (!l->address.len) {
		msi_problem(s, MF_WARNING, "msmail.dir-no-address", l->offset,
			    "directory entry '%s' has no address; skipped", name);
		return MF_OK;
	}
	if (l->layout == MF_MSDIR_GUESSED)
		msi_problem(s, MF_INFO, "msmail.dir-columns", l->offset,
			    "entry not in fixed columns or TAB-separated; address taken from the first "
			    "TYPE: token");
	msi_addr_split(type, &addr, (const char *)l->address.p, l->address.len);
	if (!type[0]) {
		if (gw_type) {
			snprintf(type, sizeof(type), "%s", gw_type);
		} else {
			msi_problem(s, MF_WARNING, "msmail.dir-address", l->offset,
				    "address '%.*s' has no type and is not NET/PO/MAILBOX; staged as a "
				    "custom recipient without type", (int)(l->address.len > 60 ? 60 :
				    l->address.len), (const char *)l->address.p);
		}
	} else if (!memchr(l->address.p, ':', l->address.len) && !gw_type) {
		msi_problem(s, MF_INFO, "msmail.dir-address", l->offset,
			    "address without a type read as native MS Mail (PCM)");
	}
	addr_s = msi_span_utf8(s, addr);
	if (l->templ.len)
		comments = msi_span_utf8(s, l->templ);
	mf_name_split(name, &gp, &gl, &sp, &sl);
	g = gl ? mf_arena_strndup(&s->arena, gp, gl) : NULL;
	sn = sl ? mf_arena_strndup(&s->arena, sp, sl) : NULL;
	e.name = name;
	e.display_name = name;
	e.given_name = g;
	e.surname = sn;
	e.address_type = type[0] ? type : NULL;
	e.address = addr_s;
	e.location = mf_arena_strndup(&s->arena, &l->code, 1);
	e.comments = comments;
	e.src_file_id = file_id;
	e.src_offset = (int64_t)l->offset;
	e.raw = l->raw.p;
	e.raw_len = l->raw.len;
	e.kind = "custom";
	if (!strcmp(type, "MS")) {
		struct mf_msaddr ma;
		if (mf_msaddr_parse(&ma, (const char *)addr.p, addr.len) != MF_OK) {
			msi_problem(s, MF_WARNING, "msmail.dir-address", l->offset,
				    "MS Mail address '%s' is not NETWORK/POSTOFFICE/MAILBOX; staged as a "
				    "custom recipient", addr_s);
		} else {
			char *net = mf_arena_strndup(&s->arena, (const char *)ma.network.p, ma.network.len);
			char *mbx = mf_arena_strndup(&s->arena, (const char *)ma.mailbox.p, ma.mailbox.len);
			po = mf_arena_strndup(&s->arena, (const char *)ma.postoffice.p, ma.postoffice.len);
			e.postoffice = po;
			if (ma.overlong)
				msi_problem(s, MF_WARNING, "msmail.dir-address", l->offset,
					    "a part of '%s' is longer than MS Mail's 10 characters", addr_s);
			if (mf_strcaseeq(net, s->mx.network) && mf_strcaseeq(po, s->mx.postoffice)) {
				struct mf_store_msuser u;
				int found = mf_store_msuser_find(s->st, &u, mbx, s->diag);
				if (found < 0)
					return found;
				if (found && u.in_pol) {
					msi_problem(s, MF_WARNING, "msmail.dir-duplicate", l->offset,
						    "mailbox %s listed twice in pol.txt", mbx);
				} else {
					if (!found) {
						u.seq = ++s->n_users;
						u.mailbox = mf_xstrdup(mbx);
						u.inbox_messages = -1;
					} else if (u.deleted) {
						msi_problem(s, MF_WARNING, "msmail.users-deleted-listed", u.csv_offset,
							    "mailbox %s is marked deleted in users.csv but listed in "
							    "pol.txt; staged as deleted", mbx);
					}
					u.in_pol = 1;
					free(u.dir_name);
					u.dir_name = mf_xstrdup(name);
					if ((rc = stage_mailbox(s, &u, s->mx.network, s->mx.postoffice, mbx, 1)) < 0 ||
					    (rc = (found ? mf_store_msuser_update : mf_store_msuser_add)(s->st, &u,
													 s->diag)) < 0) {
						mf_store_msuser_release(&u);
						return rc;
					}
				}
				e.kind = "user";
				e.mailbox_id = u.mailbox_id;
				mf_store_msuser_release(&u);
			} else if (write && (rc = msi_store_po(s, po, net, "remote", NULL)) < 0) {
				return rc;
			}
		}
	} else if (write && type[0] && (rc = msi_store_po(s, type, NULL, "gateway", type)) < 0) {
		return rc;
	}
	if (!write)
		return MF_OK;
	rc = mf_store_dir_entry(s->st, NULL, s->source_id, &e, s->diag);
	if (rc == MF_OK)
		s->stats->dir_entries++;
	return rc;
}

static int read_dir_file(struct msm *s, const char *abs, const char *role, const char *gw_type)
{
	struct mapped f;
	struct mf_msdir d;
	struct mf_msdir_line l;
	int64_t file_id;
	enum mf_file_state state;
	int rc = msi_map_file(s, &f, abs);
	int write;

	if (rc < 0)
		return rc;
	if ((rc = msi_begin_file(s, &f, role, s->cp, 0, &file_id, &state)) < 0)
		goto out;
	if (state == MF_FILE_CHANGED && !gw_type) {
		/* the postoffice list decides who is a mailbox: no mixing */
		rc = mf_diag_set(s->diag, MF_EFORMAT, f.rel, MF_NO_OFFSET,
				 "pol.txt changed since it was imported into this staging database");
		goto out;
	}
	write = state == MF_FILE_NEW || state == MF_FILE_RESUME;
	msi_set_file(s, f.rel);
	mf_msdir_init(&d, f.map.data, f.map.len, write ? msi_on_problem : NULL, s);
	mf_map_watch(&f.map, &d.rd);
	while (mf_msdir_next(&d, &l) == MF_OK) {
		if (l.code == 'A' || l.code == 'a') {
			if ((rc = dir_entry(s, &l, file_id, write, gw_type)) < 0)
				goto out;
		} else if (l.code == '#') {
			continue;
		} else if (write) {
			msi_problem(s, MF_WARNING, "msmail.dir-code", l.offset,
				    "line with transaction code '%c' is not an entry of an extract; ignored",
				    l.code >= 0x20 && l.code < 0x7f ? l.code : '?');
		}
	}
	if (write && (rc = mf_store_file_end(s->st, file_id, "done", 0, 0, s->diag)) < 0)
		goto out;
	rc = MF_OK;
out:
	mf_map_close(&f.map);
	return rc;
}

struct dir_keys {
	struct msm *s;
	struct mf_arena arena;      /* one row's keys */
};

static int dir_add(void *ctx, const struct mf_store_dir_row *r)
{
	struct dir_keys *k = ctx;
	const char *d = r->display_name ? r->display_name : r->name;
	int rc = MF_OK;
	mf_arena_reset(&k->arena);
	if (r->address) {
		char *pre = mf_xasprintf("%s:", r->address_type ? r->address_type : "");
		rc = mf_store_msdir_put(k->s->st, msi_make_key(&k->arena, pre, r->address,
							       strlen(r->address)), r->id, d, k->s->diag);
		free(pre);
	}
	if (rc == MF_OK && r->name)
		rc = mf_store_msdir_put(k->s->st, msi_make_key(&k->arena, "N:", r->name,
							       strlen(r->name)), r->id, d, k->s->diag);
	return rc;
}

/* (Re)build the look-up keys from the staged directory of this source: in
 * the store (core/store_msdir.h), first entry by id wins. */
static int load_dir(struct msm *s)
{
	struct dir_keys k = { s, MF_ARENA_INIT };
	int rc = mf_store_msdir_reset(s->st, s->diag);
	if (rc == MF_OK)
		rc = mf_store_dir_scan(s->st, s->source_id, dir_add, &k, s->diag);
	mf_arena_release(&k.arena);
	s->dir_loaded = rc == MF_OK;
	return rc;
}

/* The entry of key, copied into the arena; NULL when absent (a store
 * failure is remembered: the caller's next check stops the import). */
static const struct dent *dir_get(struct msm *s, const char *key)
{
	int64_t id;
	char *display;
	struct dent *e;
	int rc = mf_store_msdir_get(s->st, &id, &display, key, s->diag);
	if (rc < 0)
		s->store_failed = 1;
	if (rc <= 0)
		return NULL;
	e = mf_arena_alloc(&s->arena, sizeof(*e));
	e->id = id;
	e->display = display ? mf_arena_strdup(&s->arena, display) : NULL;
	free(display);
	return e;
}

/* Look an address ("[TYPE:]address" or a name, UTF-8) up in the directory. */
const struct dent *msi_lookup(struct msm *s, const char *v)
{
	char type[24], *k;
	struct mf_span addr;
	const struct dent *e = NULL;
	msi_addr_split(type, &addr, v, strlen(v));
	if (addr.len) {
		char pre[32];
		snprintf(pre, sizeof(pre), "%s:", type);
		k = msi_make_key(&s->arena, pre, (const char *)addr.p, addr.len);
		e = dir_get(s, k);
		if (!e && !type[0]) {
			k = msi_make_key(&s->arena, "N:", (const char *)addr.p, addr.len);
			e = dir_get(s, k);
		}
	}
	return e;
}

/*
 * Group members are looked up in the order of their look-up keys, not in
 * the groups' order: in the groups' order each look-up reads a random page
 * of the directory keys (a temporary table that outgrows its page cache
 * with the directory) and the foreign-key check of each resolved
 * list_members row a random page of dir_entries: 228,000 page reads at
 * 100,000 users for 125,000 members, none at 10,000 (issue 15).  A member
 * is stored unresolved as it is read and its look-up queued (core/extsort:
 * bounded memory); the queue is read back in key order and each member
 * found gets its entry.  The warnings for members not found are written
 * afterwards in the file's order, as when each member was looked up as it
 * was read.  A member whose key is longer than MEMBER_KEY bytes is looked
 * up at once.
 */
#define MEMBER_KEY 120
#define MEMBER_RUN 2048 /* queued members held in memory (about 300 KiB) */

struct member_todo {
	int64_t list_id;
	int32_t position;
	uint32_t seq;      /* the member's number in the file's order */
	uint16_t len;
	uint8_t untyped;   /* no TYPE: given: the name is tried after the address */
	char key[MEMBER_KEY]; /* the first look-up key (msi_make_key) */
};

/* the order of the keys' table (BINARY: bytes, then length), then seq */
static int cmp_member(const void *pa, const void *pb, void *arg)
{
	const struct member_todo *a = pa, *b = pb;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->key, b->key, n);
	(void)arg;
	if (c)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Queue the look-up of member addr of list_id at position (1 queued, 0
 * not: its key is too long, look it up at once; < 0 error). */
static int member_queue(struct msm *s, struct mf_extsort *q, const char *addr, int64_t list_id,
			int position, uint32_t seq)
{
	char type[24], pre[32];
	struct mf_span a;
	struct member_todo t;
	const char *k;
	size_t kl;
	msi_addr_split(type, &a, addr, strlen(addr));
	if (!a.len)
		return 0;
	snprintf(pre, sizeof(pre), "%s:", type);
	k = msi_make_key(&s->arena, pre, (const char *)a.p, a.len);
	kl = strlen(k);
	if (kl > MEMBER_KEY)
		return 0;
	memset(&t, 0, sizeof(t));
	t.list_id = list_id;
	t.position = position;
	t.seq = seq;
	t.len = (uint16_t)kl;
	t.untyped = !type[0];
	memcpy(t.key, k, kl);
	return mf_extsort_add(q, &t, s->diag) < 0 ? MF_EIO : 1;
}

/* The queued look-ups in key order (as msi_lookup: the address, then for
 * an untyped one the name). */
static int members_resolve(struct msm *s, struct mf_extsort *q, struct mf_bits *miss)
{
	struct member_todo t;
	int rc;

	if ((rc = mf_extsort_finish(q, s->diag)) < 0)
		return rc;
	while ((rc = mf_extsort_next(q, &t, s->diag)) == 1) {
		char *k = mf_arena_alloc(&s->arena, (size_t)t.len + 2);
		const struct dent *e;
		memcpy(k, t.key, t.len);
		k[t.len] = '\0';
		e = dir_get(s, k);
		if (!e && t.untyped) {
			/* ":ADDRESS" -> "N:ADDRESS": the key is made already */
			memmove(k + 1, k, (size_t)t.len + 1);
			k[0] = 'N';
			e = dir_get(s, k);
		}
		if (s->store_failed)
			return MF_ESTORE;
		if (!e)
			mf_bits_set(miss, t.seq);
		else if ((rc = mf_store_list_member_entry(s->st, t.list_id, t.position, e->id,
							  s->diag)) < 0)
			return rc;
		mf_arena_reset(&s->arena);
	}
	return rc < 0 ? rc : MF_OK;
}

/* Is l a group definition (G, or R read as one)? */
static int group_line(const struct mf_msdir_line *l)
{
	return l->code == 'G' || l->code == 'g' || l->code == 'R' || l->code == 'r';
}

/*
 * groups.txt in two passes over the mapped file: the first stages the
 * groups (and says what is wrong with the file), the second resolves and
 * stores the members against the whole directory, groups included.  The
 * members are read again rather than held: a large site has more members
 * than users.  Only the lists' ids are kept (one per group, in file order).
 */
static int read_groups(struct msm *s, const char *abs)
{
	struct mapped f;
	struct mf_msdir d;
	struct mf_msdir_line l;
	int64_t file_id, list_id = 0, *lists = NULL;
	size_t n_lists = 0, cap_lists = 0, g;
	enum mf_file_state state;
	int rc = msi_map_file(s, &f, abs), position = 0;
	struct mf_extsort *queue = NULL;
	/* the members not found, by their number in the file's order */
	struct mf_bits miss = MF_BITS_INIT;
	uint32_t seq = 0;

	if (rc < 0)
		return rc;
	if ((rc = msi_begin_file(s, &f, "groups", s->cp, 0, &file_id, &state)) < 0)
		goto out;
	if (state != MF_FILE_NEW && state != MF_FILE_RESUME)
		goto out;
	msi_set_file(s, f.rel);
	mf_msdir_init(&d, f.map.data, f.map.len, msi_on_problem, s);
	mf_map_watch(&f.map, &d.rd);
	while (mf_msdir_next(&d, &l) == MF_OK) {
		mf_arena_reset(&s->arena);
		if (l.code == '#')
			continue;
		if (group_line(&l)) {
			struct mf_dir_entry e;
			char type[24];
			struct mf_span addr;
			if (l.code == 'R' || l.code == 'r')
				msi_problem(s, MF_WARNING, "msmail.group-code", l.offset,
					    "'R' (replace group) in an extract; read as a group definition");
			memset(&e, 0, sizeof(e));
			msi_addr_split(type, &addr, (const char *)l.address.p, l.address.len);
			e.kind = "list";
			e.name = msi_span_utf8(s, l.name);
			e.display_name = e.name;
			e.address_type = type[0] ? type : NULL;
			e.address = addr.len ? msi_span_utf8(s, addr) : NULL;
			if (!strcmp(type, "MS")) {
				struct mf_msaddr ma;
				if (mf_msaddr_parse(&ma, (const char *)addr.p, addr.len) == MF_OK)
					e.postoffice = mf_arena_strndup(&s->arena, (const char *)ma.postoffice.p,
									ma.postoffice.len);
			}
			e.location = mf_arena_strndup(&s->arena, &l.code, 1);
			e.src_file_id = file_id;
			e.src_offset = (int64_t)l.offset;
			e.raw = l.raw.p;
			e.raw_len = l.raw.len;
			if ((rc = mf_store_dir_entry(s->st, &list_id, s->source_id, &e, s->diag)) < 0)
				goto out;
			s->stats->dir_entries++;
			if (n_lists == cap_lists) {
				cap_lists = cap_lists ? cap_lists * 2 : 64;
				lists = mf_xreallocarray(lists, cap_lists, sizeof(*lists));
			}
			lists[n_lists++] = list_id;
		} else if (l.code == 'A' || l.code == 'a') {
			if (!list_id)
				msi_problem(s, MF_WARNING, "msmail.group-syntax", l.offset,
					    "member line before any group ('G') line; ignored");
		} else {
			msi_problem(s, MF_WARNING, "msmail.group-code", l.offset,
				    "group line with code '%c' ignored (an extract has G, A and # lines)",
				    l.code >= 0x20 && l.code < 0x7f ? l.code : '?');
		}
	}
	/* members resolve against the whole directory, groups included */
	if ((rc = load_dir(s)) < 0)
		goto out;
	/* the second pass: the same lines (the parser is pure), told nothing;
	 * members stored unresolved, their look-ups queued */
	queue = mf_extsort_new(sizeof(struct member_todo), MEMBER_RUN, cmp_member, NULL, NULL);
	mf_msdir_init(&d, f.map.data, f.map.len, NULL, s);
	mf_map_watch(&f.map, &d.rd);
	g = 0;
	list_id = 0;
	while (mf_msdir_next(&d, &l) == MF_OK) {
		const struct dent *e = NULL;
		const char *addr;
		int queued;
		mf_arena_reset(&s->arena);
		if (group_line(&l)) {
			list_id = g < n_lists ? lists[g++] : 0;
			position = 0;
			continue;
		}
		if ((l.code != 'A' && l.code != 'a') || !list_id)
			continue;
		addr = msi_span_utf8(s, l.address.len ? l.address : l.name);
		if ((queued = member_queue(s, queue, addr, list_id, position, seq)) < 0) {
			rc = queued;
			goto out;
		}
		if (!queued && !(e = msi_lookup(s, addr)))
			mf_bits_set(&miss, seq);
		seq++;
		if ((rc = mf_store_list_member(s->st, list_id, position++, addr, e ? e->id : 0,
					       s->diag)) < 0)
			goto out;
	}
	/* the third: the look-ups in key order */
	if ((rc = members_resolve(s, queue, &miss)) < 0)
		goto out;
	/* the fourth: the members not found, in the file's order */
	if (miss.count) {
		mf_msdir_init(&d, f.map.data, f.map.len, NULL, s);
		mf_map_watch(&f.map, &d.rd);
		g = 0;
		list_id = 0;
		seq = 0;
		while (mf_msdir_next(&d, &l) == MF_OK) {
			const char *addr;
			mf_arena_reset(&s->arena);
			if (group_line(&l)) {
				list_id = g < n_lists ? lists[g++] : 0;
				continue;
			}
			if ((l.code != 'A' && l.code != 'a') || !list_id)
				continue;
			if (!mf_bits_has(&miss, seq++))
				continue;
			addr = msi_span_utf8(s, l.address.len ? l.address : l.name);
			msi_problem(s, MF_WARNING, "msmail.member-unresolved", l.offset,
				    "group member '%s' is not in the directory", addr);
		}
	}
	rc = mf_store_file_end(s->st, file_id, "done", 0, 0, s->diag);
out:
	mf_extsort_free(queue);
	mf_bits_free(&miss);
	free(lists);
	mf_map_close(&f.map);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files in dir whose name matches prefix*suffix (case-insensitive), sorted. */
static char **list_files(const char *dir, const char *prefix, const char *suffix, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	*n = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name), pl = strlen(prefix), sl = strlen(suffix);
		char *p;
		struct stat sb;
		if (de->d_name[0] == '.' || l < pl + sl || !mf_strncaseeq(de->d_name, prefix, pl) ||
		    !mf_strcaseeq(de->d_name + l - sl, suffix))
			continue;
		p = mf_xasprintf("%s/%s", dir, de->d_name);
		if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			free(p);
			continue;
		}
		free(p);
		v = mf_xreallocarray(v, *n + 1, sizeof(*v));
		v[(*n)++] = mf_xstrdup(de->d_name);
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), name_cmp);
	return v;
}

void msi_free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int msi_read_directory(struct msm *s)
{
	char *abs, *dir;
	int rc;
	char **gw;
	size_t n_gw;

	if ((rc = read_users(s)) < 0)
		return rc;
	abs = msi_resolve(s, "directory/pol.txt", 0, MF_ERROR, "");
	if (!abs)
		return mf_diag_set(s->diag, MF_ENOTFOUND, "directory/pol.txt", MF_NO_OFFSET,
				   "the bundle has no directory/pol.txt (required)");
	rc = read_dir_file(s, abs, "directory", NULL);
	free(abs);
	if (rc < 0)
		return rc;
	/* users.csv rows that pol.txt does not list */
	msi_set_file(s, "users.csv");
	{
		struct mf_store_msuser u;
		int64_t seq = 0;
		while ((rc = mf_store_msuser_next(s->st, &u, seq, s->diag)) == 1) {
			seq = u.seq;
			if (u.in_pol) {
				mf_store_msuser_release(&u);
				continue;
			}
			if (u.deleted && !has_content(s, &u)) {
				msi_problem(s, MF_INFO, "msmail.deleted-no-mail", u.csv_offset,
					    "deleted mailbox %s has no mail or calendar in the export; not "
					    "migrated", u.mailbox);
				mf_store_msuser_release(&u);
				continue;
			}
			if (!u.deleted)
				msi_problem(s, MF_WARNING, "msmail.user-not-in-directory", u.csv_offset,
					    "mailbox %s is in users.csv but not in pol.txt; staged as a "
					    "mailbox outside the directory", u.mailbox);
			if ((rc = stage_mailbox(s, &u, s->mx.network, s->mx.postoffice, u.mailbox, 0)) >= 0)
				rc = mf_store_msuser_update(s->st, &u, s->diag);
			mf_store_msuser_release(&u);
			if (rc < 0)
				return rc;
		}
		if (rc < 0)
			return rc;
		rc = MF_OK;
	}
	/* gateway lists */
	dir = msi_resolve(s, "directory", 0, MF_INFO, "");
	gw = dir ? list_files(dir, "gw-", ".txt", &n_gw) : NULL;
	if (!dir)
		n_gw = 0;
	for (size_t i = 0; i < n_gw && rc >= 0; i++) {
		char type[24], *p = mf_xasprintf("%s/%s", dir, gw[i]);
		size_t tl = strlen(gw[i]) - 7;
		mf_addrtype_canonical(type, gw[i] + 3, tl);
		if (msi_inside_root(s, p)) {
			rc = read_dir_file(s, p, "gateway", type);
		} else {
			msi_set_file(s, msi_rel_of(s, p));
			msi_problem(s, MF_ERROR, "msmail.bad-path", MF_NO_OFFSET,
				    "a symbolic link that leads outside the bundle; not read");
		}
		free(p);
	}
	msi_free_list(gw, n_gw);
	free(dir);
	if (rc < 0)
		return rc;
	abs = msi_resolve(s, "directory/groups.txt", 0, MF_INFO, "");
	if (abs) {
		rc = read_groups(s, abs);
		free(abs);
		if (rc < 0)
			return rc;
	}
	/* groups.txt, read last, loaded the keys already when it was read:
	 * only its members came after, and they are no entries */
	return s->dir_loaded ? MF_OK : load_dir(s);
}
