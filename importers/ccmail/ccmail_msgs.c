/* SPDX-License-Identifier: MIT */
/*
 * ccmail_msgs.c: the cc:Mail importer's message files: folders, the
 * conversion of a parsed message into its staging record, and the loop over
 * one message export file (importers/toolkit.h's staged-file loop).
 */
#include "importers/ccmail/ccmail_imp.h"

/* ---- folders ---- */

struct folder_map {
	const char *target;          /* NULL: skip (system folder) */
	const char *special;
	int unsent;
	int system;
};

static const struct {
	const char *source, *target, *special;
	int unsent, system;
} folder_rules[] = {
	{ "Inbox", "Inbox", "inbox", 0, 0 },
	{ "Message Log", "Sent Items", "sent", 0, 0 },
	{ "Drafts", "Drafts", "drafts", 1, 0 },
	{ "Trash", "Deleted Items", "trash", 0, 0 },
	{ "Clipboard", NULL, NULL, 0, 1 },
	{ "Stationery", NULL, NULL, 0, 1 },
	{ "Preferences", NULL, NULL, 0, 1 },
	{ "Rules", NULL, NULL, 0, 1 },
};

/* Normalise a folder value: levels separated by '\', empty levels
 * dropped.  *repaired says whether anything was dropped. */
static char *folder_path(const char *v, struct mf_arena *a, int *repaired)
{
	size_t n = strlen(v), o = 0;
	char *out = mf_arena_alloc(a, n + 1);
	int need_sep = 0;

	*repaired = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && v[j] != '\\')
			j++;
		{
			struct mf_span lvl = mf_span_trim((struct mf_span){ (const unsigned char *)v + i, j - i });
			if (lvl.len == 0) {
				if (j < n || i < n)
					*repaired = 1;
			} else {
				if (need_sep)
					out[o++] = '\\';
				memcpy(out + o, lvl.p, lvl.len);
				o += lvl.len;
				need_sep = 1;
				if (lvl.len != j - i)
					*repaired = 1;
			}
		}
		i = j + 1;
	}
	out[o] = '\0';
	return out;
}

/* ---- message conversion ---- */

struct msg_ctx {
	struct imp *im;
	int64_t file_id, mailbox_id;
	const char *file;            /* relative path, for problems */
	struct mf_rd all;            /* the whole file */
	const char *board;           /* bulletin board folder, or NULL */
};

/* The largest value SQLite stores by default (SQLITE_MAX_LENGTH), less a margin. */
#define CCMAIL_MAX_BLOB 999000000u

/* Messages this large are hashed here, giving their pages back as it goes
 * (the store would hash them in one piece: their whole size in memory). */
#define CCMAIL_HASH_OWN ((uint64_t)64 << 20)

static int fail_text(struct imp *im, const char *file, uint64_t off, const char *what)
{
	return mf_diag_set(im->diag, MF_ETOOBIG, file, off, "%s", what);
}

static struct mf_span span_at(const struct mf_rd *all, uint64_t off, uint64_t len)
{
	struct mf_rd t = *all;
	struct mf_span s = { NULL, 0 };
	if (mf_rd_seek(&t, off) == MF_OK)
		mf_rd_bytes(&t, (size_t)len, &s);
	return s;
}

static struct mf_buf *body_buf(struct imp *im, size_t i)
{
	if (i >= im->nbodies) {
		im->bodies = mf_xreallocarray(im->bodies, i + 1, sizeof(*im->bodies));
		while (im->nbodies <= i)
			mf_buf_init(&im->bodies[im->nbodies++], MF_BUF_TEXT_MAX);
	}
	mf_buf_reset(&im->bodies[i]);
	return &im->bodies[i];
}

static void mac4(char out[5], const char in[5])
{
	for (int i = 0; i < 4; i++) {
		unsigned char c = (unsigned char)in[i];
		out[i] = c >= 0x20 && c < 0x7F ? (char)c : '?';
	}
	out[4] = '\0';
}

static int has_dot(const char *s)
{
	const char *d = strrchr(s, '.');
	return d && d[1] != '\0';
}

/* Build the staging record of a parsed message (recursively for nested
 * ones).  *nbody counts body buffers used so far. */
static int convert(struct msg_ctx *mc, const struct ccm_message *cm, int depth,
		   struct mf_message *m, size_t *nbody)
{
	struct imp *im = mc->im;
	struct mf_arena *a = &im->arena;
	const struct ccm_header *h;
	size_t nrcpt = 0, rcap = 0;
	int seen_from = 0, seen_date = 0, seen_subject = 0, seen_folder = 0;
	int seen_prio = 0, seen_status = 0, seen_receipt = 0;

	memset(m, 0, sizeof(*m));
	m->mailbox_id = mc->mailbox_id;
	m->src_file_id = mc->file_id;
	m->src_offset = (int64_t)cm->offset;
	m->src_length = (int64_t)(cm->end - cm->offset);
	m->src = span_at(&mc->all, cm->offset, cm->end - cm->offset).p;
	m->raw_header = cm->raw_header.p;
	m->raw_header_len = cm->raw_header.len;
	m->charset = im->cp;
	m->timezone = im->tz;

	for (size_t i = 0; i < cm->n_headers; i++) {
		const struct ccm_header *hd = &cm->headers[i];
		struct mf_span k = hd->keyword;
		int *seen = NULL;
		if (mf_span_eq_ci(k, "From"))
			seen = &seen_from;
		else if (mf_span_eq_ci(k, "Date"))
			seen = &seen_date;
		else if (mf_span_eq_ci(k, "Subject"))
			seen = &seen_subject;
		else if (mf_span_eq_ci(k, "Folder"))
			seen = &seen_folder;
		else if (mf_span_eq_ci(k, "Priority"))
			seen = &seen_prio;
		else if (mf_span_eq_ci(k, "Status"))
			seen = &seen_status;
		else if (mf_span_eq_ci(k, "Receipt"))
			seen = &seen_receipt;
		if (seen) {
			if (*seen)
				mf_pending_add(&im->pend, MF_WARNING, "ccmail.header-duplicate", hd->offset,
					       "repeated header: the first one is used");
			(*seen)++;
			continue;
		}
		if (mf_span_eq_ci(k, "To") || mf_span_eq_ci(k, "Cc") || mf_span_eq_ci(k, "Bcc")) {
			struct mf_span parts[64];
			size_t n = 0;
			const char *role = mf_span_eq_ci(k, "To") ? "to" : mf_span_eq_ci(k, "Cc") ? "cc" : "bcc";
			mf_ccaddr_split(parts, MF_ARRAY_LEN(parts), &n, (const char *)hd->value.p,
					hd->value.len);
			if (n > MF_ARRAY_LEN(parts)) {
				/* too many on one line: keep the line as one raw recipient */
				parts[0] = hd->value;
				n = 1;
				mf_pending_add(&im->pend, MF_WARNING, "ccmail.too-many", hd->offset,
					       "more than 64 addresses on one header line: kept as one");
			}
			if (n == 0) {
				mf_pending_add(&im->pend, MF_WARNING, "ccmail.damaged-address", hd->offset,
					       "empty address line");
				continue;
			}
			for (size_t j = 0; j < n; j++) {
				struct addr_out ao;
				struct mf_recipient *rc;
				int lrc = cci_resolve_addr(im, parts[j], &ao, a);
				if (lrc < 0)
					return lrc;
				if (ao.damaged) {
					mf_pending_add(&im->pend, MF_WARNING, "ccmail.damaged-address", hd->offset,
						       "address without a name (\" at PO\"): kept as written");
					if (n == 1)
						ao.raw = cci_to_utf8(im, hd->raw_value, a);
				}
				if (nrcpt == rcap) {
					struct mf_recipient *nr;
					rcap = rcap ? rcap * 2 : 8;
					nr = mf_arena_alloc(a, rcap * sizeof(*nr));
					if (nrcpt)
						memcpy(nr, m->recipients, nrcpt * sizeof(*nr));
					m->recipients = nr;
				}
				rc = &m->recipients[nrcpt++];
				memset(rc, 0, sizeof(*rc));
				rc->role = role;
				rc->display_name = ao.display;
				rc->address_type = ao.type;
				rc->address = ao.address;
				rc->raw = ao.raw;
				rc->entry_id = ao.entry_id;
			}
		}
	}
	m->n_recipients = nrcpt;

	if ((h = ccm_header_find(cm, "From", 0))) {
		struct addr_out ao;
		int lrc = cci_resolve_addr(im, h->value, &ao, a);
		if (lrc < 0)
			return lrc;
		if (ao.damaged) {
			mf_pending_add(&im->pend, MF_WARNING, "ccmail.damaged-address", h->offset,
				       "sender without a name (\" at PO\"): kept as written");
			ao.raw = cci_to_utf8(im, h->raw_value, a);
		}
		m->sender_raw = ao.raw;
		m->sender_name = ao.display;
		m->sender_type = ao.type;
		m->sender_address = ao.address;
		m->sender_entry_id = ao.entry_id;
	} else {
		mf_pending_add(&im->pend, MF_WARNING, "ccmail.no-sender", cm->offset,
			       "message has no From: line: sender unknown");
	}
	if ((h = ccm_header_find(cm, "Subject", 0)))
		m->subject = cci_to_utf8(im, h->value, a);
	if ((h = ccm_header_find(cm, "Date", 0))) {
		struct mf_civil c;
		int64_t t;
		m->date_raw = cci_to_utf8(im, h->value, a);
		if (mf_date_parse(&c, NULL, (const char *)h->value.p, h->value.len, im->order) == MF_OK &&
		    mf_tz_local_to_utc(&t, im->tz, &c) == MF_OK) {
			m->has_sent = m->has_received = 1;
			m->sent_utc = m->received_utc = t;
		} else {
			static const char *const on[] = { "mdy", "dmy", "ymd" };
			const char *other = NULL;
			for (int o = 0; o < 3 && !other; o++)
				if ((enum mf_date_order)o != im->order &&
				    mf_date_parse(&c, NULL, (const char *)h->value.p, h->value.len,
						  (enum mf_date_order)o) == MF_OK)
					other = on[o];
			mf_pending_add(&im->pend, MF_WARNING, "ccmail.date-invalid", h->offset,
				       other ? "date is not a valid date in the set's date order (it would be in "
					       "another order): staged as unknown, kept as written"
					     : "date is not a valid date: staged as unknown, kept as written");
		}
	} else if (depth == 0) {
		mf_pending_add(&im->pend, MF_INFO, "ccmail.no-date", cm->offset,
			       "message has no Date: line: its date is unknown");
	}
	if ((h = ccm_header_find(cm, "Priority", 0))) {
		if (mf_span_eq_ci(h->value, "Urgent") || mf_span_eq_ci(h->value, "High"))
			m->priority = 1;
		else if (mf_span_eq_ci(h->value, "Low"))
			m->priority = -1;
		else if (!mf_span_eq_ci(h->value, "Normal"))
			mf_pending_add(&im->pend, MF_WARNING, "ccmail.bad-value", h->offset,
				       "unknown Priority value: normal used");
	}
	if ((h = ccm_header_find(cm, "Status", 0))) {
		if (mf_span_eq_ci(h->value, "Unread"))
			m->unread = 1;
		else if (!mf_span_eq_ci(h->value, "Read"))
			mf_pending_add(&im->pend, MF_WARNING, "ccmail.bad-value", h->offset,
				       "unknown Status value: read used");
	}
	if ((h = ccm_header_find(cm, "Receipt", 0))) {
		if (mf_span_eq_ci(h->value, "Yes"))
			m->receipt_requested = 1;
		else if (!mf_span_eq_ci(h->value, "No"))
			mf_pending_add(&im->pend, MF_WARNING, "ccmail.bad-value", h->offset,
				       "unknown Receipt value: no receipt used");
	}

	/* items */
	{
		size_t nb = 0, na = 0;
		m->bodies = mf_arena_zalloc(a, (cm->n_items ? cm->n_items : 1) * sizeof(*m->bodies));
		m->attachments = mf_arena_zalloc(a, (cm->n_items ? cm->n_items : 1) * sizeof(*m->attachments));
		for (size_t i = 0; i < cm->n_items; i++) {
			const struct ccm_item *it = &cm->items[i];
			if (it->kind == CCM_ITEM_TEXT) {
				struct mf_body_part *b = &m->bodies[nb++];
				struct mf_buf *tb = body_buf(im, (*nbody)++);
				struct mf_span src = it->payload;
				size_t hl = 0, repl = 0;
				/* its UTF-8 is at least as long: say so before reading
				 * gigabytes (a 4 GiB item took minutes and its size in memory) */
				if (src.len > MF_BUF_TEXT_MAX)
					return fail_text(im, mc->file, it->payload_offset, "text item too large");
				for (size_t j = 0; j < src.len; j++)
					if (src.p[j] == 0x1E || src.p[j] == 0x1F)
						hl++;
				if (hl) {
					/* convert the runs between highlight bytes */
					size_t run = 0;
					for (size_t j = 0; j <= src.len; j++) {
						if (j == src.len || src.p[j] == 0x1E || src.p[j] == 0x1F) {
							if (j > run &&
							    mf_charset_to_utf8(im->cs, src.p + run, j - run, tb, &repl) < 0)
								return fail_text(im, mc->file, it->payload_offset,
										 "text item too large");
							run = j + 1;
						}
					}
					mf_pending_add(&im->pend, MF_INFO, "ccmail.highlights-removed", it->payload_offset,
						       "highlight bytes (0x1E/0x1F) removed from a text item");
				} else if (mf_charset_to_utf8(im->cs, src.p, src.len, tb, &repl) < 0) {
					return fail_text(im, mc->file, it->payload_offset, "text item too large");
				}
				if (repl)
					mf_pending_add(&im->pend, MF_WARNING, "ccmail.charset-replacement", it->payload_offset,
						       "bytes with no mapping in the code page replaced by U+FFFD; raw bytes kept");
				if (im->sample.len < 65536) {
					size_t take = src.len < 65536 - im->sample.len ? src.len : 65536 - im->sample.len;
					mf_buf_add(&im->sample, src.p, take);
				}
				b->position = (int)i;
				b->kind = mf_span_starts_ci(src, "{\\rtf") ? "rtf" : "text";
				b->title = it->title.len ? cci_to_utf8(im, it->title, a) : NULL;
				b->text = tb->data;
				b->text_len = tb->len;
				b->raw = src.p ? (const void *)src.p : (const void *)"";
				b->raw_len = src.len;
				b->keep_raw = hl || repl;
				b->replacements = repl;
				b->highlights_removed = hl;
				b->src_offset = (int64_t)it->payload_offset;
				continue;
			}
			{
				struct mf_attachment *at = &m->attachments[na++];
				struct mf_span fname = ccm_title_filename(it->title);
				const char *name = fname.len ? cci_to_utf8(im, fname, a) : NULL;
				at->position = (int)i;
				at->kind = ccm_item_kind_name(it->kind);
				at->title = it->title.len ? cci_to_utf8(im, it->title, a) : NULL;
				at->body_position = -1;
				at->src_offset = (int64_t)it->payload_offset;
				if (!it->no_data) {
					at->data = it->payload.p ? (const void *)it->payload.p : (const void *)"";
					at->size = it->payload.len;
					at->has_data = 1;
				}
				switch (it->kind) {
				case CCM_ITEM_FILE: {
					struct ccm_macbin mb;
					if (at->has_data && ccm_macbin_decode(&mb, it->payload)) {
						char t4[5], c4[5];
						at->original = it->payload.p;
						at->original_size = it->payload.len;
						at->data = mb.data.p ? (const void *)mb.data.p : (const void *)"";
						at->size = mb.data.len;
						at->format = "macbinary";
						mac4(t4, mb.type);
						mac4(c4, mb.creator);
						at->mac_type = mf_arena_strdup(a, t4);
						at->mac_creator = mf_arena_strdup(a, c4);
						if (!name && mb.name.len) {
							struct mf_buf nb2;
							struct mf_charset *mac = NULL;
							mf_buf_init(&nb2, 1024);
							if (mf_charset_open(&mac, "MACINTOSH", NULL) == MF_OK) {
								mf_charset_to_utf8(mac, mb.name.p, mb.name.len, &nb2, NULL);
								mf_charset_free(&mac);
								name = mf_arena_strndup(a, nb2.data, nb2.len);
							}
							mf_buf_release(&nb2);
						}
						mf_pending_add(&im->pend, MF_INFO, "ccmail.macbinary", it->payload_offset,
							       "MacBinary II attachment decoded: data fork staged, original kept");
					}
					if (!name)
						name = "attachment.bin";
					break;
				}
				case CCM_ITEM_FAX:
					if (!name)
						name = "fax.pcx";
					else if (!has_dot(name))
						name = cci_strf(a, "%s.pcx", name);
					break;
				case CCM_ITEM_GRAPHICS:
					if (!name)
						name = "graphics.bin";
					break;
				case CCM_ITEM_SOUND:
					if (!name)
						name = "sound.bin";
					break;
				case CCM_ITEM_MESSAGE:
					if (it->nested) {
						struct mf_message *nm = mf_arena_zalloc(a, sizeof(*nm));
						int rc = convert(mc, it->nested, depth + 1, nm, nbody);
						if (rc < 0)
							return rc;
						at->nested = nm;
						if (!it->raw_too) {
							at->has_data = 0;
							at->data = NULL;
							at->size = 0;
						}
						if (!name)
							name = nm->subject && *nm->subject ? nm->subject
											   : "Forwarded message";
					} else if (!name) {
						name = "Forwarded message";
					}
					break;
				default:
					break;
				}
				if (at->has_data && (at->size > CCMAIL_MAX_BLOB ||
						     at->original_size > CCMAIL_MAX_BLOB)) {
					/* over SQLite's largest value: staged by name only */
					mf_pending_add(&im->pend, MF_ERROR, "ccmail.too-large", it->offset,
						       "attachment larger than a staged value can be (999,000,000 "
						       "bytes): staged without its bytes (they stay in the export)");
					at->has_data = 0;
					at->data = NULL;
					at->size = 0;
					at->original = NULL;
					at->original_size = 0;
					at->format = NULL;
				}
				at->name = name;
			}
		}
		m->n_bodies = nb;
		m->n_attachments = na;
	}
	return MF_OK;
}

/* ---- message files ---- */

static int is_system_folder(const char *path, const char **which)
{
	for (size_t i = 0; i < MF_ARRAY_LEN(folder_rules); i++) {
		size_t n = strlen(folder_rules[i].source);
		if (folder_rules[i].system && !strncasecmp(path, folder_rules[i].source, n) &&
		    (path[n] == '\0' || path[n] == '\\')) {
			*which = folder_rules[i].source;
			return 1;
		}
	}
	return 0;
}

struct fcache {
	char *path;
	int64_t id;
};

static int folder_for(struct imp *im, struct msg_ctx *mc, const struct ccm_message *cm,
		      struct mf_message *m, struct fcache *fc, size_t *nfc, int *skip)
{
	const struct ccm_header *h = ccm_header_find(cm, "Folder", 0);
	const char *path = "Inbox", *target, *special = NULL, *source;
	int repaired = 0, rc;

	*skip = 0;
	if (mc->board) {
		path = mc->board;
	} else if (h) {
		char *v = cci_to_utf8(im, h->value, &im->arena);
		path = folder_path(v, &im->arena, &repaired);
		if (repaired)
			mf_pending_add(&im->pend, MF_WARNING, "ccmail.folder-repaired", h->offset,
				       "empty folder levels or blanks around '\\' removed");
		if (!*path)
			path = "Inbox";
	}
	source = path;
	target = path;
	if (!mc->board) {
		const char *sys;
		for (size_t i = 0; i < MF_ARRAY_LEN(folder_rules); i++) {
			if (!folder_rules[i].system && mf_strcaseeq(path, folder_rules[i].source)) {
				target = folder_rules[i].target;
				special = folder_rules[i].special;
				m->unsent = folder_rules[i].unsent;
				break;
			}
		}
		if (is_system_folder(path, &sys)) {
			if (!im->opts->keep_system_folders) {
				mf_pending_add(&im->pend, MF_INFO, "ccmail.system-folder", cm->offset,
					       "message in a client system folder skipped "
					       "(--keep-system-folders keeps it)");
				*skip = 1;
				return MF_OK;
			}
		}
	}
	for (size_t i = 0; i < *nfc; i++)
		if (!strcmp(fc[i].path, target)) {
			m->folder_id = fc[i].id;
			return MF_OK;
		}
	rc = mf_store_folder(im->st, &m->folder_id, mc->mailbox_id, target, source, special,
			     im->diag);
	if (rc < 0)
		return rc;
	if (*nfc < 64) {
		fc[*nfc].path = mf_xstrdup(target);
		fc[*nfc].id = m->folder_id;
		(*nfc)++;
	}
	return MF_OK;
}

/* Import one message export file for a mailbox. */
int cci_import_messages(struct imp *im, const char *real, const char *role,
			int64_t mailbox_id, const char *label, const char *board)
{
	struct mf_map map;
	struct ccm_parser p;
	struct msg_ctx mc;
	struct mf_progress pg;
	enum mf_file_state state;
	struct fcache fc[64];
	size_t nfc = 0;
	int64_t file_id = 0;
	struct mf_staged sf;
	int rc;
	const char *rel = cci_rel_of(im, real);

	rc = cci_open_file(im, real, role, mailbox_id, &map, &file_id, &state);
	if (rc == MF_SKIP) {
		if (state == MF_FILE_DONE)
			return mf_store_mail_file(im->st, mailbox_id, file_id, im->diag);
		return MF_OK;
	}
	if (rc < 0)
		return rc;
	if ((rc = mf_store_mail_file(im->st, mailbox_id, file_id, im->diag)) < 0)
		goto out;
	memset(&mc, 0, sizeof(mc));
	mc.im = im;
	mc.file_id = file_id;
	mc.mailbox_id = mailbox_id;
	mc.file = rel;
	mc.board = board;
	mf_rd_init(&mc.all, map.data, map.len);
	mf_buf_reset(&im->sample);
	ccm_parser_init(&p, map.data, map.len, mf_pending_fn, &im->pend);
	mf_map_watch(&map, &p.rd);
	mf_progress_begin(&pg, label, 0, (int64_t)map.len, im->opts->quiet);
	mf_staged_init(&sf, im->st, &map, im->diag);
	sf.file_id = file_id;
	sf.state = state;
	if ((rc = mf_staged_begin(&sf)) < 0)
		goto out;
	for (;;) {
		struct ccm_message cm;
		struct mf_message m;
		int64_t id = 0;
		size_t nbody = 0;
		int skip;
		char item[64];

		mf_arena_reset(&im->arena);
		rc = ccm_parser_next(&p, &cm, &im->arena);
		if (rc == MF_DONE)
			break;
		snprintf(item, sizeof(item), "message at offset %llu", (unsigned long long)cm.offset);
		if (rc == MF_SKIP) {
			mf_staged_skip(&sf, cm.offset);
			im->stats->messages_skipped++;
			if ((rc = cci_pend_flush(im, rel, mailbox_id, 0, item)) < 0)
				goto fail;
			continue;
		}
		if ((rc = mf_staged_exists(&sf, cm.offset)) < 0)
			goto fail;
		if (rc == 1) {
			mf_pending_clear(&im->pend);
			continue;
		}
		rc = convert(&mc, &cm, 0, &m, &nbody);
		if (rc < 0) {
			/* a text too large for memory: skip the message, go on */
			mf_pending_add(&im->pend, MF_ERROR, "ccmail.message-damaged", cm.offset, im->diag->msg);
			mf_diag_clear(im->diag);
			mf_staged_skip(&sf, cm.offset);
			im->stats->messages_skipped++;
			if ((rc = cci_pend_flush(im, rel, mailbox_id, 0, item)) < 0)
				goto fail;
			continue;
		}
		if ((rc = folder_for(im, &mc, &cm, &m, fc, &nfc, &skip)) < 0)
			goto fail;
		if (skip) {
			if ((rc = cci_pend_flush(im, rel, mailbox_id, 0, item)) < 0)
				goto fail;
			continue;
		}
		if (cm.end - cm.offset > CCMAIL_HASH_OWN) {
			char *sha = mf_arena_alloc(&im->arena, MF_SHA256_HEX);
			cci_hash_range(&map, cm.offset, cm.end - cm.offset, sha);
			m.src_sha256 = sha;
		}
		if ((rc = mf_store_message(im->st, &id, &m, im->diag)) < 0)
			goto fail;
		if ((rc = cci_pend_flush(im, rel, mailbox_id, id, NULL)) < 0)
			goto fail;
		im->stats->messages++;
		if ((rc = mf_staged_next(&sf, cm.end)) < 0)
			goto fail;
		if (rc == 1)
			mf_progress_update(&pg, sf.staged, (int64_t)cm.end);
	}
	/* what the parser reported after the last message (a file holding no
	 * message at all, trailing bytes) belongs to this file, not the next */
	if ((rc = cci_pend_flush(im, rel, mailbox_id, 0, NULL)) < 0)
		goto fail;
	{
		const char *why = mf_charset_suspect(im->cp, im->sample.data, im->sample.len);
		if (why && (rc = cci_problemf(im, MF_WARNING, "ccmail.codepage-suspect", rel, 0, mailbox_id,
					      "code page %s declared, but %s", im->cp, why)) < 0)
			goto fail;
	}
	if ((rc = mf_staged_end(&sf)) < 0)
		goto fail;
	mf_progress_end(&pg);
	if (sf.skipped)
		mf_progress_note(&pg, "%s: %lld messages, %lld damaged and skipped (%s)", label,
				 (long long)sf.staged, (long long)sf.skipped, rel);
	else
		mf_progress_note(&pg, "%s: %lld messages (%s)", label, (long long)sf.staged, rel);
	rc = MF_OK;
	goto out;
fail:
	mf_staged_rollback(&sf);
	mf_pending_clear(&im->pend);
	mf_progress_end(&pg);
out:
	for (size_t i = 0; i < nfc; i++)
		free(fc[i].path);
	mf_map_close(&map);
	return rc;
}
