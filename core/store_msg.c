/* SPDX-License-Identifier: MIT */
/* store_msg.c: mailboxes, folders, messages, calendar items and address books (see store.h). */
#include "core/store_priv.h"
#include "core/alias.h"
#include "core/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- mailboxes ---- */

static const char SQL_MB_FIND[] =
	"SELECT id FROM mailboxes WHERE source_id = ?1 AND kind = ?2 AND name = ?3 COLLATE NOCASE";
static const char SQL_ALIAS_TAKEN[] = "SELECT 1 FROM mailboxes WHERE alias = ?1";
static const char SQL_MB_INS[] =
	"INSERT INTO mailboxes(source_id, kind, name, alias, display_name, given_name, surname, "
	"address_type, source_address, deleted, in_directory, comments, created_at) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

struct taken_ctx {
	struct mf_store *st;
	int failed;
};

static int alias_taken(const char *alias, void *payload)
{
	struct taken_ctx *t = payload;
	sqlite3_stmt *s = mf_store_stmt(t->st, SQL_ALIAS_TAKEN, NULL);
	int rc;
	if (!s) {
		t->failed = 1;
		return 0;
	}
	sqlite3_bind_text(s, 1, alias, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		t->failed = 1;
	return rc == SQLITE_ROW;
}

int mf_store_mailbox(struct mf_store *st, int64_t *id_out, int *created_out,
		     int64_t source_id, const struct mf_mailbox *mb,
		     struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MB_FIND, diag);
	char alias[MF_ALIAS_MAX + 1] = "";
	char base[MF_ALIAS_MAX + 1] = "";
	struct taken_ctx tc = { st, 0 };
	unsigned k = 0;
	int rc, have_alias = 0;

	if (created_out)
		*created_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, source_id);
	mf_store_bind_text(s, 2, mb->kind);
	mf_store_bind_text(s, 3, mb->name);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id_out = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return MF_OK;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot look up mailbox");

	if (mb->alias && mf_alias_valid(mb->alias) && !alias_taken(mb->alias, &tc)) {
		snprintf(alias, sizeof(alias), "%s", mb->alias);
		have_alias = 1;
	} else if (mf_alias_base(base, mb->given_name, mb->surname, mb->name)) {
		/* the search resumes after the last namesake (store_alias.c) */
		k = mf_store_alias_hint(st, base);
		if (mf_alias_unique_from(alias, &k, base, alias_taken, &tc) == MF_OK)
			have_alias = 1;
		else
			k = 0;
	}
	if (tc.failed)
		return mf_store_fail(st, diag, "cannot check alias");
	s = mf_store_stmt(st, SQL_MB_INS, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, source_id);
	mf_store_bind_text(s, 2, mb->kind);
	mf_store_bind_text(s, 3, mb->name);
	mf_store_bind_text(s, 4, have_alias ? alias : NULL);
	mf_store_bind_text(s, 5, mb->display_name ? mb->display_name : mb->name);
	mf_store_bind_text(s, 6, mb->given_name);
	mf_store_bind_text(s, 7, mb->surname);
	mf_store_bind_text(s, 8, mb->address_type);
	mf_store_bind_text(s, 9, mb->source_address);
	sqlite3_bind_int(s, 10, mb->deleted ? 1 : 0);
	sqlite3_bind_int(s, 11, mb->in_directory ? 1 : 0);
	mf_store_bind_text(s, 12, mb->comments);
	sqlite3_bind_int64(s, 13, mf_now());
	if ((rc = mf_store_step_done(st, s, diag, "cannot store mailbox")) < 0)
		return rc;
	if (k)
		mf_store_alias_hint_set(st, base, k);
	*id_out = sqlite3_last_insert_rowid(st->db);
	if (created_out)
		*created_out = 1;
	return MF_OK;
}

static const char SQL_MAIL_FILE[] =
	"UPDATE mail_sections SET mail_file_id = ?2, mail_skipped = ?3, reason = ?4 WHERE mailbox_id = ?1";

int mf_store_mail_file(struct mf_store *st, int64_t mailbox_id, int64_t file_id,
		       struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MAIL_FILE, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_id(s, 2, file_id);
	sqlite3_bind_int(s, 3, file_id > 0 ? 0 : 1);
	mf_store_bind_text(s, 4, file_id > 0 ? NULL : "no mail file in the export");
	return mf_store_step_done(st, s, diag, "cannot store mail section");
}

static const char SQL_MB_BY_ALIAS[] = "SELECT id FROM mailboxes WHERE alias = ?1";

int mf_store_mailbox_by_alias(struct mf_store *st, int64_t *id_out,
			      const char *alias, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MB_BY_ALIAS, diag);
	int rc;
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, alias);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id_out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return MF_OK;
	if (rc == SQLITE_DONE)
		return mf_diag_set(diag, MF_ENOTFOUND, NULL, MF_NO_OFFSET,
				   "no mailbox with alias '%s'", alias);
	return mf_store_fail(st, diag, "cannot look up mailbox");
}

#define MB_COLUMNS \
	"m.id, m.kind, m.name, m.alias, m.display_name, m.given_name, m.surname, " \
	"m.address_type, m.source_address, m.deleted, m.in_directory, m.comments, " \
	"m.source_id, ifnull(s.mail_skipped, 1), ifnull(s.mail_file_id, 0) " \
	"FROM mailboxes m LEFT JOIN mail_sections s ON s.mailbox_id = m.id "
static const char SQL_MB_LOAD[] = "SELECT " MB_COLUMNS "WHERE m.id = ?1";
static const char SQL_MB_LIST[] = "SELECT " MB_COLUMNS "ORDER BY m.id";

static void mailbox_row(sqlite3_stmt *s, struct mf_mailbox *mb, struct mf_arena *a)
{
	memset(mb, 0, sizeof(*mb));
	mb->id = sqlite3_column_int64(s, 0);
	mb->kind = mf_store_col_text(s, 1, a);
	mb->name = mf_store_col_text(s, 2, a);
	mb->alias = mf_store_col_text(s, 3, a);
	mb->display_name = mf_store_col_text(s, 4, a);
	mb->given_name = mf_store_col_text(s, 5, a);
	mb->surname = mf_store_col_text(s, 6, a);
	mb->address_type = mf_store_col_text(s, 7, a);
	mb->source_address = mf_store_col_text(s, 8, a);
	mb->deleted = sqlite3_column_int(s, 9);
	mb->in_directory = sqlite3_column_int(s, 10);
	mb->comments = mf_store_col_text(s, 11, a);
	mb->source_id = sqlite3_column_int64(s, 12);
	mb->mail_skipped = sqlite3_column_int(s, 13);
	mb->mail_file_id = sqlite3_column_int64(s, 14);
}

int mf_store_mailbox_load(struct mf_store *st, struct mf_mailbox *out,
			  int64_t id, struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MB_LOAD, diag);
	int rc;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		mailbox_row(s, out, arena);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return MF_OK;
	if (rc == SQLITE_DONE)
		return mf_diag_set(diag, MF_ENOTFOUND, NULL, MF_NO_OFFSET,
				   "no mailbox %lld", (long long)id);
	return mf_store_fail(st, diag, "cannot load mailbox");
}

int mf_store_mailbox_list(struct mf_store *st, struct mf_mailbox **out,
			  size_t *n_out, struct mf_arena *arena,
			  struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MB_LIST, diag);
	struct mf_mailbox *arr = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			struct mf_mailbox *na;
			cap = cap ? cap * 2 : 16;
			na = mf_arena_alloc(arena, cap * sizeof(*na));
			if (n)
				memcpy(na, arr, n * sizeof(*na));
			arr = na;
		}
		mailbox_row(s, &arr[n++], arena);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot list mailboxes");
	*out = arr;
	*n_out = n;
	return MF_OK;
}

/* The export order (engine/export_select.c): alias, or name when there is
 * none, without ASCII case (as strcasecmp), then id.  One pass per run. */
static const char SQL_MB_ORDER[] =
	"SELECT id, alias, name, source_address FROM mailboxes "
	"ORDER BY coalesce(alias, name) COLLATE NOCASE, id";

static const char SQL_MB_EACH[] =
	"SELECT id, alias, name, source_address FROM mailboxes ORDER BY id";

static int mailbox_rows(struct mf_store *st, const char *sql,
			int (*visit)(void *arg, int64_t id, const char *alias, const char *name,
				     const char *source_address),
			void *arg, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, sql, diag);
	int rc, vr = MF_OK;

	if (!s)
		return MF_ESTORE;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		vr = visit(arg, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
			   (const char *)sqlite3_column_text(s, 2),
			   (const char *)sqlite3_column_text(s, 3));
		if (vr < 0)
			break;
	}
	sqlite3_reset(s);
	if (vr < 0)
		return vr;
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot list mailboxes");
	return MF_OK;
}

int mf_store_mailbox_order(struct mf_store *st,
			   int (*visit)(void *arg, int64_t id, const char *alias, const char *name,
					const char *source_address),
			   void *arg, struct mf_diag *diag)
{
	return mailbox_rows(st, SQL_MB_ORDER, visit, arg, diag);
}

int mf_store_mailbox_each(struct mf_store *st,
			  int (*visit)(void *arg, int64_t id, const char *alias, const char *name,
				       const char *source_address),
			  void *arg, struct mf_diag *diag)
{
	return mailbox_rows(st, SQL_MB_EACH, visit, arg, diag);
}

static const char SQL_FOLDER_FIND[] = "SELECT id FROM folders WHERE mailbox_id = ?1 AND path = ?2";
static const char SQL_FOLDER_INS[] =
	"INSERT INTO folders(mailbox_id, path, source_name, special) VALUES (?1, ?2, ?3, ?4)";

int mf_store_folder(struct mf_store *st, int64_t *id_out, int64_t mailbox_id,
		    const char *path, const char *source_name, const char *special,
		    struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_FOLDER_FIND, diag);
	int rc;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, path);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id_out = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return MF_OK;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot look up folder");
	s = mf_store_stmt(st, SQL_FOLDER_INS, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, path);
	mf_store_bind_text(s, 3, source_name ? source_name : path);
	mf_store_bind_text(s, 4, special);
	if ((rc = mf_store_step_done(st, s, diag, "cannot store folder")) < 0)
		return rc;
	*id_out = sqlite3_last_insert_rowid(st->db);
	return MF_OK;
}

/* ---- messages ---- */

static const char SQL_MSG_EXISTS[] =
	"SELECT 1 FROM messages WHERE src_file_id = ?1 AND src_offset = ?2";

int mf_store_message_exists(struct mf_store *st, int64_t file_id, int64_t offset,
			    struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MSG_EXISTS, diag);
	int rc;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, file_id);
	sqlite3_bind_int64(s, 2, offset);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return mf_store_fail(st, diag, "cannot look up message");
}

static const char SQL_MSG_INS[] =
	"INSERT INTO messages(mailbox_id, folder_id, parent_id, src_file_id, src_offset, src_length, "
	"src_sha256, raw_header, charset, sender_name, sender_type, sender_address, sender_raw, "
	"sender_entry_id, subject, date_raw, sent_utc, received_utc, timezone, unread, unsent, "
	"priority, receipt_requested, is_receipt, message_class, message_id, conversation_id, "
	"parent_message_id, size, imported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	"?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, "
	"?28, ?29, ?30)";
static const char SQL_RCPT_INS[] =
	"INSERT INTO recipients(message_id, role, position, display_name, address_type, address, raw, entry_id) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_BODY_INS[] =
	"INSERT INTO body_parts(message_id, position, kind, title, text, size, sha256, raw, "
	"replacements, highlights_removed, src_offset) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
static const char SQL_ATT_INS[] =
	"INSERT INTO attachments(message_id, position, kind, name, title, content_type, data, size, "
	"sha256, original, original_size, original_sha256, format, mac_type, mac_creator, "
	"body_position, nested_message_id, src_offset) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
	"?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";

static int store_message(struct mf_store *st, int64_t *id_out, const struct mf_message *m,
			 int64_t parent_id, int depth, struct mf_diag *diag);

static int store_attachment(struct mf_store *st, int64_t msg_id, const struct mf_message *m,
			    const struct mf_attachment *a, int depth, struct mf_diag *diag)
{
	int64_t nested = 0;
	char sha[MF_SHA256_HEX], osha[MF_SHA256_HEX];
	sqlite3_stmt *s;
	int rc;

	if (a->nested) {
		struct mf_message sub = *a->nested;
		sub.mailbox_id = m->mailbox_id;
		if (!sub.src_file_id)
			sub.src_file_id = m->src_file_id;
		if ((rc = store_message(st, &nested, &sub, msg_id, depth + 1, diag)) < 0)
			return rc;
	}
	s = mf_store_stmt(st, SQL_ATT_INS, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, msg_id);
	sqlite3_bind_int(s, 2, a->position);
	mf_store_bind_text(s, 3, a->kind ? a->kind : "file");
	mf_store_bind_text(s, 4, a->name ? a->name : "attachment.bin");
	mf_store_bind_text(s, 5, a->title);
	mf_store_bind_text(s, 6, a->content_type);
	if (a->has_data) {
		mf_store_bind_blob(s, 7, a->data ? a->data : "", a->size);
		mf_sha256_hex(sha, a->data, a->size);
		sqlite3_bind_text(s, 9, sha, -1, SQLITE_TRANSIENT);
	}
	sqlite3_bind_int64(s, 8, (sqlite3_int64)(a->has_data ? a->size : 0));
	if (a->original) {
		mf_store_bind_blob(s, 10, a->original, a->original_size);
		sqlite3_bind_int64(s, 11, (sqlite3_int64)a->original_size);
		mf_sha256_hex(osha, a->original, a->original_size);
		sqlite3_bind_text(s, 12, osha, -1, SQLITE_TRANSIENT);
	}
	mf_store_bind_text(s, 13, a->format);
	mf_store_bind_text(s, 14, a->mac_type);
	mf_store_bind_text(s, 15, a->mac_creator);
	mf_store_bind_off(s, 16, a->body_position);
	mf_store_bind_id(s, 17, nested);
	mf_store_bind_off(s, 18, a->src_offset);
	return mf_store_step_done(st, s, diag, "cannot store attachment");
}

static int store_message(struct mf_store *st, int64_t *id_out, const struct mf_message *m,
			 int64_t parent_id, int depth, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	char sha[MF_SHA256_HEX];
	int64_t id, size = 0;
	int rc;

	if (depth > 64)
		return mf_diag_set(diag, MF_ETOOBIG, NULL, MF_NO_OFFSET,
				   "forwarded messages nested more than 64 deep");
	for (size_t i = 0; i < m->n_bodies; i++)
		size += (int64_t)m->bodies[i].raw_len;
	for (size_t i = 0; i < m->n_attachments; i++)
		size += (int64_t)(m->attachments[i].has_data ? m->attachments[i].size : 0);
	s = mf_store_stmt(st, SQL_MSG_INS, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, m->mailbox_id);
	mf_store_bind_id(s, 2, parent_id ? 0 : m->folder_id);
	mf_store_bind_id(s, 3, parent_id);
	sqlite3_bind_int64(s, 4, m->src_file_id);
	sqlite3_bind_int64(s, 5, m->src_offset);
	sqlite3_bind_int64(s, 6, m->src_length);
	/* a caller that hashed the bytes itself (a message of gigabytes,
	 * hashed while its pages are given back) passes the digest */
	if (m->src_sha256 && strlen(m->src_sha256) == MF_SHA256_HEX - 1)
		snprintf(sha, sizeof(sha), "%s", m->src_sha256);
	else
		mf_sha256_hex(sha, m->src, m->src ? (size_t)m->src_length : 0);
	sqlite3_bind_text(s, 7, sha, -1, SQLITE_TRANSIENT);
	mf_store_bind_blob(s, 8, m->raw_header ? m->raw_header : "", m->raw_header_len);
	mf_store_bind_text(s, 9, m->charset);
	mf_store_bind_text(s, 10, m->sender_name);
	mf_store_bind_text(s, 11, m->sender_type);
	mf_store_bind_text(s, 12, m->sender_address);
	mf_store_bind_text(s, 13, m->sender_raw);
	mf_store_bind_id(s, 14, m->sender_entry_id);
	mf_store_bind_text(s, 15, m->subject);
	mf_store_bind_text(s, 16, m->date_raw);
	if (m->has_sent)
		sqlite3_bind_int64(s, 17, m->sent_utc);
	if (m->has_received)
		sqlite3_bind_int64(s, 18, m->received_utc);
	mf_store_bind_text(s, 19, m->timezone);
	sqlite3_bind_int(s, 20, m->unread ? 1 : 0);
	sqlite3_bind_int(s, 21, m->unsent ? 1 : 0);
	sqlite3_bind_int(s, 22, m->priority < 0 ? -1 : m->priority > 0 ? 1 : 0);
	sqlite3_bind_int(s, 23, m->receipt_requested ? 1 : 0);
	sqlite3_bind_int(s, 24, m->is_receipt ? 1 : 0);
	mf_store_bind_text(s, 25, m->message_class);
	mf_store_bind_text(s, 26, m->message_id);
	mf_store_bind_text(s, 27, m->conversation_id);
	mf_store_bind_text(s, 28, m->parent_message_id);
	sqlite3_bind_int64(s, 29, size);
	sqlite3_bind_int64(s, 30, mf_now());
	if ((rc = mf_store_step_done(st, s, diag, "cannot store message")) < 0)
		return rc;
	id = sqlite3_last_insert_rowid(st->db);

	for (size_t i = 0; i < m->n_recipients; i++) {
		const struct mf_recipient *r = &m->recipients[i];
		s = mf_store_stmt(st, SQL_RCPT_INS, diag);
		if (!s)
			return MF_ESTORE;
		sqlite3_bind_int64(s, 1, id);
		mf_store_bind_text(s, 2, r->role);
		sqlite3_bind_int(s, 3, (int)i);
		mf_store_bind_text(s, 4, r->display_name);
		mf_store_bind_text(s, 5, r->address_type);
		mf_store_bind_text(s, 6, r->address);
		mf_store_bind_text(s, 7, r->raw ? r->raw : "");
		mf_store_bind_id(s, 8, r->entry_id);
		if ((rc = mf_store_step_done(st, s, diag, "cannot store recipient")) < 0)
			return rc;
	}
	for (size_t i = 0; i < m->n_bodies; i++) {
		const struct mf_body_part *b = &m->bodies[i];
		s = mf_store_stmt(st, SQL_BODY_INS, diag);
		if (!s)
			return MF_ESTORE;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int(s, 2, b->position);
		mf_store_bind_text(s, 3, b->kind ? b->kind : "text");
		mf_store_bind_text(s, 4, b->title);
		sqlite3_bind_text64(s, 5, b->text ? b->text : "", b->text ? b->text_len : 0,
				    SQLITE_STATIC, SQLITE_UTF8);
		sqlite3_bind_int64(s, 6, (sqlite3_int64)b->raw_len);
		mf_sha256_hex(sha, b->raw, b->raw_len);
		sqlite3_bind_text(s, 7, sha, -1, SQLITE_TRANSIENT);
		if (b->keep_raw)
			mf_store_bind_blob(s, 8, b->raw ? b->raw : "", b->raw_len);
		sqlite3_bind_int64(s, 9, (sqlite3_int64)b->replacements);
		sqlite3_bind_int64(s, 10, (sqlite3_int64)b->highlights_removed);
		mf_store_bind_off(s, 11, b->src_offset);
		if ((rc = mf_store_step_done(st, s, diag, "cannot store body")) < 0)
			return rc;
	}
	for (size_t i = 0; i < m->n_attachments; i++)
		if ((rc = store_attachment(st, id, m, &m->attachments[i], depth, diag)) < 0)
			return rc;
	if (id_out)
		*id_out = id;
	return MF_OK;
}

int mf_store_message(struct mf_store *st, int64_t *id_out,
		     const struct mf_message *m, struct mf_diag *diag)
{
	return store_message(st, id_out, m, 0, 0, diag);
}

static const char SQL_MSG_LOAD[] =
	"SELECT g.id, g.mailbox_id, ifnull(g.folder_id, 0), ifnull(g.parent_id, 0), g.src_file_id, "
	"g.src_offset, g.src_length, g.src_sha256, g.raw_header, g.charset, g.sender_name, "
	"g.sender_type, g.sender_address, g.sender_raw, ifnull(g.sender_entry_id, 0), g.subject, "
	"g.date_raw, g.sent_utc, g.received_utc, g.timezone, g.unread, g.unsent, g.priority, "
	"g.receipt_requested, g.is_receipt, g.message_class, g.message_id, g.conversation_id, "
	"g.parent_message_id, g.size, f.path, f.special "
	"FROM messages g LEFT JOIN folders f ON f.id = g.folder_id WHERE g.id = ?1";
static const char SQL_RCPT_LOAD[] =
	"SELECT role, display_name, address_type, address, raw, ifnull(entry_id, 0), position "
	"FROM recipients WHERE message_id = ?1";
static const char SQL_BODY_LOAD[] =
	"SELECT position, kind, title, text, size, sha256, raw, replacements, highlights_removed, "
	"ifnull(src_offset, -1) FROM body_parts WHERE message_id = ?1 ORDER BY position";
/* typeof(), not IS NOT NULL: SQLite answers typeof() from the record's
 * header, while "data IS NOT NULL" loads the whole blob (every overflow
 * page of every attachment read once here and again by att_blob) */
static const char SQL_ATT_LOAD[] =
	"SELECT position, kind, name, title, content_type, size, sha256, typeof(data) <> 'null', "
	"original_size, original_sha256, format, mac_type, mac_creator, ifnull(body_position, -1), "
	"ifnull(nested_message_id, 0), ifnull(src_offset, -1), typeof(original) <> 'null', id "
	"FROM attachments WHERE message_id = ?1 ORDER BY position";

/* An attachment's blob column (the row id) read straight into the arena:
 * SQLite copies the overflow pages into the caller's buffer instead of
 * first building the value in a buffer of its own, so a large attachment
 * is copied once, not twice.  NULL when it cannot be read. */
static void *att_blob(struct mf_store *st, const char *col, int64_t id, struct mf_arena *a,
		      size_t *n)
{
	sqlite3_blob *b = NULL;
	void *p = NULL;
	if (sqlite3_blob_open(st->db, "main", "attachments", col, id, 0, &b) == SQLITE_OK) {
		/* the bytes stored, never more: a size column that disagrees
		 * with its blob (a hand-edited database) must not make this
		 * read past the blob */
		*n = (size_t)sqlite3_blob_bytes(b);
		p = mf_arena_alloc(a, *n ? *n : 1);
		if (*n && sqlite3_blob_read(b, p, (int)*n, 0) != SQLITE_OK)
			p = NULL;
	}
	sqlite3_blob_close(b);
	return p;
}

struct rcpt_pos {
	int pos;
	struct mf_recipient r;
};

static int cmp_rcpt_pos(const void *a, const void *b)
{
	const struct rcpt_pos *x = a, *y = b;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

static int load_message(struct mf_store *st, struct mf_message **out, int64_t id,
			int with_data, struct mf_arena *a, int depth, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MSG_LOAD, diag);
	struct mf_message *m;
	int rc;
	size_t n, cap;

	if (!s)
		return MF_ESTORE;
	if (depth > 64)
		return mf_diag_set(diag, MF_ETOOBIG, NULL, MF_NO_OFFSET, "messages nested too deep");
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		if (rc == SQLITE_DONE)
			return mf_diag_set(diag, MF_ENOTFOUND, NULL, MF_NO_OFFSET,
					   "no message %lld", (long long)id);
		return mf_store_fail(st, diag, "cannot load message");
	}
	m = mf_arena_zalloc(a, sizeof(*m));
	m->id = sqlite3_column_int64(s, 0);
	m->mailbox_id = sqlite3_column_int64(s, 1);
	m->folder_id = sqlite3_column_int64(s, 2);
	m->parent_id = sqlite3_column_int64(s, 3);
	m->src_file_id = sqlite3_column_int64(s, 4);
	m->src_offset = sqlite3_column_int64(s, 5);
	m->src_length = sqlite3_column_int64(s, 6);
	m->src_sha256 = mf_store_col_text(s, 7, a);
	m->raw_header_len = (size_t)sqlite3_column_bytes(s, 8);
	m->raw_header = mf_arena_memdup(a, sqlite3_column_blob(s, 8), m->raw_header_len);
	m->charset = mf_store_col_text(s, 9, a);
	m->sender_name = mf_store_col_text(s, 10, a);
	m->sender_type = mf_store_col_text(s, 11, a);
	m->sender_address = mf_store_col_text(s, 12, a);
	m->sender_raw = mf_store_col_text(s, 13, a);
	m->sender_entry_id = sqlite3_column_int64(s, 14);
	m->subject = mf_store_col_text(s, 15, a);
	m->date_raw = mf_store_col_text(s, 16, a);
	m->has_sent = sqlite3_column_type(s, 17) != SQLITE_NULL;
	m->sent_utc = sqlite3_column_int64(s, 17);
	m->has_received = sqlite3_column_type(s, 18) != SQLITE_NULL;
	m->received_utc = sqlite3_column_int64(s, 18);
	m->timezone = mf_store_col_text(s, 19, a);
	m->unread = sqlite3_column_int(s, 20);
	m->unsent = sqlite3_column_int(s, 21);
	m->priority = sqlite3_column_int(s, 22);
	m->receipt_requested = sqlite3_column_int(s, 23);
	m->is_receipt = sqlite3_column_int(s, 24);
	m->message_class = mf_store_col_text(s, 25, a);
	m->message_id = mf_store_col_text(s, 26, a);
	m->conversation_id = mf_store_col_text(s, 27, a);
	m->parent_message_id = mf_store_col_text(s, 28, a);
	m->size = sqlite3_column_int64(s, 29);
	m->folder_path = mf_store_col_text(s, 30, a);
	m->folder_special = mf_store_col_text(s, 31, a);
	sqlite3_reset(s);

	/* recipients, in the order they were written (position); the table's
	 * key orders them by role first, so they are put back in order here
	 * rather than by an ORDER BY that would sort in a temporary B-tree */
	s = mf_store_stmt(st, SQL_RCPT_LOAD, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	n = cap = 0;
	{
		int *pos = NULL;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			struct mf_recipient *r;
			if (n == cap) {
				struct mf_recipient *na;
				int *np;
				cap = cap ? cap * 2 : 8;
				na = mf_arena_alloc(a, cap * sizeof(*na));
				np = mf_arena_alloc(a, cap * sizeof(*np));
				if (n) {
					memcpy(na, m->recipients, n * sizeof(*na));
					memcpy(np, pos, n * sizeof(*np));
				}
				m->recipients = na;
				pos = np;
			}
			pos[n] = sqlite3_column_int(s, 6);
			r = &m->recipients[n++];
			r->role = mf_store_col_text(s, 0, a);
			r->display_name = mf_store_col_text(s, 1, a);
			r->address_type = mf_store_col_text(s, 2, a);
			r->address = mf_store_col_text(s, 3, a);
			r->raw = mf_store_col_text(s, 4, a);
			r->entry_id = sqlite3_column_int64(s, 5);
		}
		if (n > 1) {
			struct rcpt_pos *v = mf_xmalloc(n * sizeof(*v));
			for (size_t i = 0; i < n; i++) {
				v[i].pos = pos[i];
				v[i].r = m->recipients[i];
			}
			qsort(v, n, sizeof(*v), cmp_rcpt_pos);
			for (size_t i = 0; i < n; i++)
				m->recipients[i] = v[i].r;
			free(v);
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot load recipients");
	m->n_recipients = n;

	/* bodies */
	s = mf_store_stmt(st, SQL_BODY_LOAD, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	n = cap = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_body_part *b;
		if (n == cap) {
			struct mf_body_part *na;
			cap = cap ? cap * 2 : 4;
			na = mf_arena_alloc(a, cap * sizeof(*na));
			if (n)
				memcpy(na, m->bodies, n * sizeof(*na));
			m->bodies = na;
		}
		b = &m->bodies[n++];
		memset(b, 0, sizeof(*b));
		b->position = sqlite3_column_int(s, 0);
		b->kind = mf_store_col_text(s, 1, a);
		b->title = mf_store_col_text(s, 2, a);
		b->text_len = (size_t)sqlite3_column_bytes(s, 3);
		b->text = mf_store_col_text(s, 3, a);
		if (!b->text)
			b->text = "";
		b->raw_len = (size_t)sqlite3_column_int64(s, 4);
		b->sha256 = mf_store_col_text(s, 5, a);
		if (sqlite3_column_type(s, 6) != SQLITE_NULL) {
			b->keep_raw = 1;
			b->raw = mf_arena_memdup(a, sqlite3_column_blob(s, 6),
						 (size_t)sqlite3_column_bytes(s, 6));
		}
		b->replacements = (size_t)sqlite3_column_int64(s, 7);
		b->highlights_removed = (size_t)sqlite3_column_int64(s, 8);
		b->src_offset = sqlite3_column_int64(s, 9);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot load bodies");
	m->n_bodies = n;

	/* attachments */
	s = mf_store_stmt(st, SQL_ATT_LOAD, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	n = cap = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_attachment *t;
		size_t nb;
		if (n == cap) {
			struct mf_attachment *na;
			cap = cap ? cap * 2 : 4;
			na = mf_arena_alloc(a, cap * sizeof(*na));
			if (n)
				memcpy(na, m->attachments, n * sizeof(*na));
			m->attachments = na;
		}
		t = &m->attachments[n++];
		memset(t, 0, sizeof(*t));
		t->position = sqlite3_column_int(s, 0);
		t->kind = mf_store_col_text(s, 1, a);
		t->name = mf_store_col_text(s, 2, a);
		t->title = mf_store_col_text(s, 3, a);
		t->content_type = mf_store_col_text(s, 4, a);
		t->size = (size_t)sqlite3_column_int64(s, 5);
		t->sha256 = mf_store_col_text(s, 6, a);
		t->has_data = sqlite3_column_int(s, 7);
		t->original_size = (size_t)sqlite3_column_int64(s, 8);
		t->original_sha256 = mf_store_col_text(s, 9, a);
		t->format = mf_store_col_text(s, 10, a);
		t->mac_type = mf_store_col_text(s, 11, a);
		t->mac_creator = mf_store_col_text(s, 12, a);
		t->body_position = sqlite3_column_int64(s, 13);
		t->nested_id = sqlite3_column_int64(s, 14);
		t->src_offset = sqlite3_column_int64(s, 15);
		if (with_data && t->has_data &&
		    !(t->data = att_blob(st, "data", sqlite3_column_int64(s, 17), a, &t->size)))
			break;
		if (with_data && sqlite3_column_int(s, 16) &&
		    !(t->original = att_blob(st, "original", sqlite3_column_int64(s, 17), a, &nb)))
			break;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot load attachments");
	m->n_attachments = n;
	for (size_t i = 0; i < n; i++) {
		if (m->attachments[i].nested_id &&
		    (rc = load_message(st, &m->attachments[i].nested,
				       m->attachments[i].nested_id, with_data, a,
				       depth + 1, diag)) < 0)
			return rc;
	}
	*out = m;
	return MF_OK;
}

int mf_store_message_load(struct mf_store *st, struct mf_message **out,
			  int64_t id, int with_data, struct mf_arena *arena,
			  struct mf_diag *diag)
{
	/* one read transaction for the message's statements (and its
	 * attachments' blobs): its parts come from one snapshot, and the
	 * WAL read lock is taken once, not once per statement */
	int mine = !mf_store_in_transaction(st) && !st->read_tx, rc;
	*out = NULL;
	if (mine && (rc = mf_store_read_begin(st, diag)) < 0)
		return rc;
	rc = load_message(st, out, id, with_data, arena, 0, diag);
	if (mine)
		mf_store_read_end(st);
	return rc;
}

/* ---- calendars and address books ---- */

static const char SQL_CAL_INS[] =
	"INSERT INTO calendar_items(mailbox_id, src_file_id, src_offset, kind, uid, summary, "
	"dtstart_utc, timezone, recurring, ical, raw, source_type) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
	"ON CONFLICT(mailbox_id, uid) DO NOTHING";

int mf_store_calendar_item(struct mf_store *st, int64_t *id_out,
			   const struct mf_calendar_item *c, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_CAL_INS, diag);
	int rc;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, c->mailbox_id);
	mf_store_bind_id(s, 2, c->src_file_id);
	mf_store_bind_off(s, 3, c->src_offset);
	mf_store_bind_text(s, 4, c->kind);
	mf_store_bind_text(s, 5, c->uid);
	mf_store_bind_text(s, 6, c->summary);
	if (c->has_dtstart)
		sqlite3_bind_int64(s, 7, c->dtstart_utc);
	mf_store_bind_text(s, 8, c->timezone);
	sqlite3_bind_int(s, 9, c->recurring ? 1 : 0);
	mf_store_bind_text(s, 10, c->ical);
	mf_store_bind_blob(s, 11, c->raw, c->raw_len);
	mf_store_bind_text(s, 12, c->source_type);
	if ((rc = mf_store_step_done(st, s, diag, "cannot store calendar item")) < 0)
		return rc;
	if (id_out)
		*id_out = sqlite3_changes(st->db) ? sqlite3_last_insert_rowid(st->db) : 0;
	return MF_OK;
}

static const char SQL_PAB_INS[] =
	"INSERT INTO pab_entries(mailbox_id, position, kind, display_name, address_type, address, "
	"first_name, last_name, street, city, state, zip, country, title, company, department, "
	"office, assistant, bus_num, bus2_num, assist_num, fax_num, home_num, home2_num, "
	"mobile_num, pager_num, note, src_file_id, src_offset, raw) VALUES (?1, ?2, ?3, ?4, ?5, "
	"?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, "
	"?24, ?25, ?26, ?27, ?28, ?29, ?30)";
static const char SQL_PABM_INS[] =
	"INSERT INTO pab_members(pab_id, position, address, member_pab_id, entry_id) "
	"VALUES (?1, ?2, ?3, ?4, ?5)";

int mf_store_pab_entry(struct mf_store *st, int64_t *id_out,
		       const struct mf_pab_entry *e, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_PAB_INS, diag);
	int64_t id;
	int rc;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, e->mailbox_id);
	sqlite3_bind_int(s, 2, e->position);
	mf_store_bind_text(s, 3, e->kind);
	mf_store_bind_text(s, 4, e->display_name);
	mf_store_bind_text(s, 5, e->address_type);
	mf_store_bind_text(s, 6, e->address);
	for (int i = 0; i < MF_PAB_NFIELDS; i++)
		mf_store_bind_text(s, 7 + i, e->field[i]);
	mf_store_bind_id(s, 28, e->src_file_id);
	mf_store_bind_off(s, 29, e->src_offset);
	mf_store_bind_blob(s, 30, e->raw, e->raw_len);
	if ((rc = mf_store_step_done(st, s, diag, "cannot store address book entry")) < 0)
		return rc;
	id = sqlite3_last_insert_rowid(st->db);
	for (size_t i = 0; i < e->n_members; i++) {
		s = mf_store_stmt(st, SQL_PABM_INS, diag);
		if (!s)
			return MF_ESTORE;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int(s, 2, (int)i);
		mf_store_bind_text(s, 3, e->members[i].address);
		mf_store_bind_id(s, 4, e->members[i].member_pab_id);
		mf_store_bind_id(s, 5, e->members[i].entry_id);
		if ((rc = mf_store_step_done(st, s, diag, "cannot store list member")) < 0)
			return rc;
	}
	if (id_out)
		*id_out = id;
	return MF_OK;
}

/* ---- what an export reads ---- */

static const char SQL_FOLDERS_SORTED[] =
	"SELECT path, special FROM folders WHERE mailbox_id = ?1 ORDER BY path";
static const char SQL_FOLDERS_ANY[] = "SELECT path, special FROM folders WHERE mailbox_id = ?1";

int mf_store_folder_list(struct mf_store *st, struct mf_store_folder **out, size_t *n_out,
			 int64_t mailbox_id, int sorted, struct mf_arena *arena,
			 struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, sorted ? SQL_FOLDERS_SORTED : SQL_FOLDERS_ANY, diag);
	struct mf_store_folder *f = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			struct mf_store_folder *nf;
			cap = cap ? cap * 2 : 16;
			nf = mf_arena_alloc(arena, cap * sizeof(*nf));
			if (n)
				memcpy(nf, f, n * sizeof(*nf));
			f = nf;
		}
		f[n].path = mf_store_col_text(s, 0, arena);
		f[n].special = mf_store_col_text(s, 1, arena);
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot list folders");
	*out = f;
	*n_out = n;
	return MF_OK;
}

static const char SQL_MSG_SELECT[] =
	"SELECT g.id, f.path, d.status, d.remote_id "
	"FROM messages g JOIN folders f ON f.id = g.folder_id "
	"LEFT JOIN deliveries d ON d.target = ?2 AND d.item_kind = 'message' AND d.item_id = g.id "
	"WHERE g.mailbox_id = ?1 AND g.parent_id IS NULL "
	"AND (?3 IS NULL OR coalesce(g.sent_utc, g.received_utc) IS NULL OR coalesce(g.sent_utc, g.received_utc) >= ?3) "
	"AND (?4 IS NULL OR coalesce(g.sent_utc, g.received_utc) IS NULL OR coalesce(g.sent_utc, g.received_utc) < ?4) "
	"ORDER BY f.path, coalesce(g.sent_utc, g.received_utc), g.id";

int mf_store_message_select(struct mf_store *st, int64_t mailbox_id, const char *target,
			    const int64_t *since, const int64_t *until,
			    int (*visit)(void *arg, const struct mf_store_msg_row *row),
			    void *arg, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MSG_SELECT, diag);
	int rc;

	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, target);
	if (since)
		sqlite3_bind_int64(s, 3, *since);
	if (until)
		sqlite3_bind_int64(s, 4, *until);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_store_msg_row r;
		int vr;
		r.id = sqlite3_column_int64(s, 0);
		r.folder = (const char *)sqlite3_column_text(s, 1);
		r.status = (const char *)sqlite3_column_text(s, 2);
		r.remote_id = (const char *)sqlite3_column_text(s, 3);
		r.date_class = 0;
		r.date = 0;
		if ((vr = visit(arg, &r)) < 0) {
			sqlite3_reset(s);
			return vr;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot select messages");
	return MF_OK;
}

/* The same selection in no order, with the sort key: the export sorts it
 * itself in bounded memory (core/extsort.h) where SQLite's sorter would
 * hold every row (temp_store is MEMORY). */
static const char SQL_MSG_SCAN[] =
	"SELECT g.id, f.path, d.status, d.remote_id, coalesce(g.sent_utc, g.received_utc) "
	"FROM messages g JOIN folders f ON f.id = g.folder_id "
	"LEFT JOIN deliveries d ON d.target = ?2 AND d.item_kind = 'message' AND d.item_id = g.id "
	"WHERE g.mailbox_id = ?1 AND g.parent_id IS NULL "
	"AND (?3 IS NULL OR coalesce(g.sent_utc, g.received_utc) IS NULL OR coalesce(g.sent_utc, g.received_utc) >= ?3) "
	"AND (?4 IS NULL OR coalesce(g.sent_utc, g.received_utc) IS NULL OR coalesce(g.sent_utc, g.received_utc) < ?4)";

int mf_store_message_scan(struct mf_store *st, int64_t mailbox_id, const char *target,
			  const int64_t *since, const int64_t *until,
			  int (*visit)(void *arg, const struct mf_store_msg_row *row),
			  void *arg, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MSG_SCAN, diag);
	int rc;

	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, target);
	if (since)
		sqlite3_bind_int64(s, 3, *since);
	if (until)
		sqlite3_bind_int64(s, 4, *until);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_store_msg_row r;
		int vr, t = sqlite3_column_type(s, 4);
		r.id = sqlite3_column_int64(s, 0);
		r.folder = (const char *)sqlite3_column_text(s, 1);
		r.status = (const char *)sqlite3_column_text(s, 2);
		r.remote_id = (const char *)sqlite3_column_text(s, 3);
		r.date_class = t == SQLITE_NULL ? 0 : t == SQLITE_INTEGER || t == SQLITE_FLOAT ? 1 : 2;
		r.date = r.date_class == 1 ? sqlite3_column_int64(s, 4) : 0;
		if ((vr = visit(arg, &r)) < 0) {
			sqlite3_reset(s);
			return vr;
		}
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot select messages");
	return MF_OK;
}

static const char SQL_CAL_PENDING[] =
	"SELECT c.id FROM calendar_items c WHERE c.mailbox_id = ?1 AND NOT EXISTS (SELECT 1 FROM deliveries d "
	"WHERE d.target = ?2 AND d.item_kind = 'calendar' AND d.item_id = c.id AND d.status = 'delivered') "
	"ORDER BY c.id";
static const char SQL_CAL_ALL[] =
	"SELECT c.id FROM calendar_items c WHERE c.mailbox_id = ?1 AND ?2 IS NOT NULL ORDER BY c.id";
static const char SQL_CAL_DELIVERED[] =
	"SELECT c.id FROM calendar_items c WHERE c.mailbox_id = ?1 AND EXISTS (SELECT 1 FROM deliveries d "
	"WHERE d.target = ?2 AND d.item_kind = 'calendar' AND d.item_id = c.id AND d.status = 'delivered') "
	"ORDER BY c.id";

int mf_store_calendar_ids(struct mf_store *st, int64_t **out, size_t *n_out, int64_t mailbox_id,
			  const char *target, int delivered, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, delivered < 0 ? SQL_CAL_ALL : delivered ? SQL_CAL_DELIVERED
						  : SQL_CAL_PENDING, diag);
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*out = NULL;
	*n_out = 0;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	mf_store_bind_text(s, 2, target);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			ids = mf_xreallocarray(ids, cap, sizeof(*ids));
		}
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(ids);
		return mf_store_fail(st, diag, "cannot select calendar items");
	}
	*out = ids;
	*n_out = n;
	return MF_OK;
}

static const char SQL_CAL_ONE[] =
	"SELECT c.id, c.mailbox_id, ifnull(c.src_file_id, 0), ifnull(c.src_offset, -1), "
	"c.kind, c.uid, c.summary, c.dtstart_utc, c.timezone, c.recurring, c.ical, c.raw, "
	"c.source_type FROM calendar_items c WHERE c.id = ?1";

int mf_store_calendar_load(struct mf_store *st, struct mf_calendar_item *c, int64_t id,
			   struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_CAL_ONE, diag);
	int rc;

	memset(c, 0, sizeof(*c));
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? MF_ENOTFOUND
					 : mf_store_fail(st, diag, "cannot load calendar item");
	}
	c->id = sqlite3_column_int64(s, 0);
	c->mailbox_id = sqlite3_column_int64(s, 1);
	c->src_file_id = sqlite3_column_int64(s, 2);
	c->src_offset = sqlite3_column_int64(s, 3);
	c->kind = mf_store_col_text(s, 4, arena);
	c->uid = mf_store_col_text(s, 5, arena);
	c->summary = mf_store_col_text(s, 6, arena);
	c->has_dtstart = sqlite3_column_type(s, 7) != SQLITE_NULL;
	c->dtstart_utc = sqlite3_column_int64(s, 7);
	c->timezone = mf_store_col_text(s, 8, arena);
	c->recurring = sqlite3_column_int(s, 9);
	c->ical = mf_store_col_text(s, 10, arena);
	c->raw_len = (size_t)sqlite3_column_bytes(s, 11);
	c->raw = c->raw_len ? mf_arena_memdup(arena, sqlite3_column_blob(s, 11), c->raw_len) : NULL;
	c->source_type = mf_store_col_text(s, 12, arena);
	sqlite3_reset(s);
	return MF_OK;
}

static const char SQL_PAB_SELECT[] =
	"SELECT id, position, kind, display_name, address_type, address, first_name, last_name, "
	"street, city, state, zip, country, title, company, department, office, assistant, bus_num, "
	"bus2_num, assist_num, fax_num, home_num, home2_num, mobile_num, pager_num, note, "
	"ifnull(src_file_id, 0), ifnull(src_offset, -1) FROM pab_entries WHERE mailbox_id = ?1 ORDER BY position";
static const char SQL_PABM_SELECT[] =
	"SELECT address, ifnull(member_pab_id, 0), ifnull(entry_id, 0) FROM pab_members "
	"WHERE pab_id = ?1 ORDER BY position";

int mf_store_pab_load(struct mf_store *st, struct mf_pab_entry **out, size_t *n_out,
		      int64_t mailbox_id, struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s;
	struct mf_pab_entry *e = NULL;
	size_t n = 0, cap = 0;
	int step;

	*out = NULL;
	*n_out = 0;
	s = mf_store_stmt(st, SQL_PAB_SELECT, diag);
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct mf_pab_entry *p;
		if (n == cap) {
			struct mf_pab_entry *ne;
			cap = cap ? cap * 2 : 16;
			ne = mf_arena_alloc(arena, cap * sizeof(*ne));
			if (n)
				memcpy(ne, e, n * sizeof(*ne));
			e = ne;
		}
		p = &e[n++];
		memset(p, 0, sizeof(*p));
		p->id = sqlite3_column_int64(s, 0);
		p->mailbox_id = mailbox_id;
		p->position = sqlite3_column_int(s, 1);
		p->kind = mf_store_col_text(s, 2, arena);
		p->display_name = mf_store_col_text(s, 3, arena);
		p->address_type = mf_store_col_text(s, 4, arena);
		p->address = mf_store_col_text(s, 5, arena);
		for (int f = 0; f < MF_PAB_NFIELDS; f++)
			p->field[f] = mf_store_col_text(s, 6 + f, arena);
		p->src_file_id = sqlite3_column_int64(s, 27);
		p->src_offset = sqlite3_column_int64(s, 28);
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot load address book");
	for (size_t i = 0; i < n; i++) {
		size_t m = 0, mcap = 0;
		s = mf_store_stmt(st, SQL_PABM_SELECT, diag);
		if (!s)
			return MF_ESTORE;
		sqlite3_bind_int64(s, 1, e[i].id);
		while ((step = sqlite3_step(s)) == SQLITE_ROW) {
			if (m == mcap) {
				struct mf_pab_member *nm;
				mcap = mcap ? mcap * 2 : 8;
				nm = mf_arena_alloc(arena, mcap * sizeof(*nm));
				if (m)
					memcpy(nm, e[i].members, m * sizeof(*nm));
				e[i].members = nm;
			}
			e[i].members[m].address = mf_store_col_text(s, 0, arena);
			e[i].members[m].member_pab_id = sqlite3_column_int64(s, 1);
			e[i].members[m].entry_id = sqlite3_column_int64(s, 2);
			m++;
		}
		sqlite3_reset(s);
		if (step != SQLITE_DONE)
			return mf_store_fail(st, diag, "cannot load address book members");
		e[i].n_members = m;
	}
	*out = e;
	*n_out = n;
	return MF_OK;
}

static const char SQL_MB_ALIAS_EXACT[] =
	"SELECT id, kind, display_name, given_name, surname, source_address FROM mailboxes WHERE alias = ?1";

int mf_store_mailbox_by_alias_exact(struct mf_store *st, struct mf_mailbox *out,
				    const char *alias, struct mf_arena *arena,
				    struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_MB_ALIAS_EXACT, diag);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s)
		return MF_ESTORE;
	mf_store_bind_text(s, 1, alias);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		out->kind = mf_store_col_text(s, 1, arena);
		out->display_name = mf_store_col_text(s, 2, arena);
		out->given_name = mf_store_col_text(s, 3, arena);
		out->surname = mf_store_col_text(s, 4, arena);
		out->source_address = mf_store_col_text(s, 5, arena);
		out->alias = mf_arena_strdup(arena, alias);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return MF_OK;
	return rc == SQLITE_DONE ? MF_ENOTFOUND : mf_store_fail(st, diag, "cannot find mailbox");
}

/* The messages with such a recipient are counted by a subquery, not by
 * count(DISTINCT message_id), whose set of seen ids SQLite keeps in memory
 * (about 100 bytes a message: memory that grew with a mailbox's mail). */
static const char SQL_UNRESOLVED[] =
	"SELECT count(*), ifnull(sum(r.address IS NULL), 0), "
	"(SELECT count(*) FROM messages g2 WHERE g2.mailbox_id = ?1 AND EXISTS "
	"(SELECT 1 FROM recipients r2 WHERE r2.message_id = g2.id AND r2.entry_id IS NULL)), "
	"min(r.raw) "
	"FROM messages g JOIN recipients r ON r.message_id = g.id "
	"WHERE g.mailbox_id = ?1 AND r.entry_id IS NULL";

int mf_store_unresolved_recipients(struct mf_store *st, struct mf_store_unresolved *out,
				   int64_t mailbox_id, struct mf_arena *arena, struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_UNRESOLVED, diag);
	int step;
	memset(out, 0, sizeof(*out));
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		out->n = sqlite3_column_int64(s, 0);
		out->no_address = sqlite3_column_int64(s, 1);
		out->groups = sqlite3_column_int64(s, 2);
		out->example = mf_store_col_text(s, 3, arena);
	}
	sqlite3_reset(s);
	return step == SQLITE_ROW ? MF_OK : mf_store_fail(st, diag, "cannot count recipients");
}
