/* SPDX-License-Identifier: MIT */
/* test_store.c: the staging store. */
#include "tests/harness.h"
#include "core/store_priv.h"
#include "tests/unit/fixture.h"
#include "tests/unit/tests.h"
#include "core/arena.h"
#include "core/hash.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int64_t q_int(struct mf_store *st, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;
	if (sqlite3_prepare_v2(mf_store_db(st), sql, -1, &s, NULL) != SQLITE_OK) {
		t_fail(__FILE__, __LINE__, "prepare %s: %s", sql, sqlite3_errmsg(mf_store_db(st)));
		return -1;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void open_create(void)
{
	struct mf_store *st = NULL;
	struct mf_diag d;
	char path[512];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/new.db", t_tmpdir());
	T_EQ_INT(mf_store_open(&st, path, 0, &d), MF_ENOTFOUND);
	T_EQ_INT(mf_store_open(&st, path, MF_STORE_CREATE, &d), MF_OK);
	T_EQ_INT(stat(path, &sb), 0);
	T_EQ_INT(sb.st_mode & 0777, 0600);
	T_EQ_INT(q_int(st, "PRAGMA user_version"), mf_store_schema_version());
	T_EQ_INT(q_int(st, "PRAGMA foreign_keys"), 1);
	T_EQ_INT(q_int(st, "SELECT count(*) FROM sqlite_schema WHERE name = 'mailbox_summary'"), 1);
	mf_store_close(&st);
	T_ASSERT(st == NULL);
	/* reopening applies nothing twice */
	T_EQ_INT(mf_store_open(&st, path, MF_STORE_CREATE, &d), MF_OK);
	T_EQ_INT(q_int(st, "PRAGMA journal_mode = WAL"), 0);
	mf_store_close(&st);
	T_EQ_INT(stat(path, &sb), 0);
	/* not a database */
	snprintf(path, sizeof(path), "%s/junk.db", t_tmpdir());
	{
		FILE *f = fopen(path, "w");
		fputs("this is not sqlite, just some text long enough to be read", f);
		fclose(f);
	}
	T_EQ_INT(mf_store_open(&st, path, 0, &d), MF_ESTORE);
}

static void empty_mailbox_has_mail_section(void)
{
	struct t_fixture f;
	t_fixture_build(&f);
	/* the mailbox with zero messages still has its mail section row */
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id "
			     "WHERE b.name = 'Okafor, Chidi'"), 0);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM mail_sections s JOIN mailboxes b ON b.id = s.mailbox_id "
			     "WHERE b.name = 'Okafor, Chidi'"), 1);
	T_EQ_INT(q_int(f.st, "SELECT mail_skipped FROM mail_sections s JOIN mailboxes b ON b.id = s.mailbox_id "
			     "WHERE b.name = 'Okafor, Chidi'"), 1);
	T_EQ_INT(q_int(f.st, "SELECT has_mail_section FROM mailbox_summary WHERE alias = 'OkaforC'"), 1);
	T_EQ_INT(q_int(f.st, "SELECT messages FROM mailbox_summary WHERE alias = 'OkaforC'"), 0);
	/* every mailbox has exactly one */
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM mailboxes b LEFT JOIN mail_sections s ON s.mailbox_id = b.id "
			     "WHERE s.mailbox_id IS NULL"), 0);
	/* it cannot be removed while the mailbox exists... */
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM mail_sections"), 3);
	t_fixture_release(&f);
}

static void aliases_and_summary(void)
{
	struct t_fixture f;
	struct mf_mailbox mb;
	struct mf_diag d;
	int64_t id, id2;
	int created;

	t_fixture_build(&f);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM mailboxes WHERE alias IN ('LindqvistA','BrennerP','OkaforC')"), 3);
	/* same source name again: found, not duplicated */
	memset(&mb, 0, sizeof(mb));
	mb.kind = "mailbox";
	mb.name = "LINDQVIST, anna";
	mb.address_type = "CCMAIL";
	mb.source_address = "x";
	T_EQ_INT(mf_store_mailbox(f.st, &id, &created, f.source_id, &mb, &d), MF_OK);
	T_EQ_INT(id, f.anna);
	T_EQ_INT(created, 0);
	/* a namesake gets a numbered alias */
	mb.name = "Lindqvist, Axel";
	mb.given_name = "Axel";
	mb.surname = "Lindqvist";
	T_EQ_INT(mf_store_mailbox(f.st, &id2, &created, f.source_id, &mb, &d), MF_OK);
	T_EQ_INT(created, 1);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM mailboxes WHERE alias = 'LindqvistA2'"), 1);
	/* a name with no ASCII letters gets no alias (the plan reports it) */
	mb.name = "日本";
	mb.given_name = NULL;
	mb.surname = NULL;
	T_EQ_INT(mf_store_mailbox(f.st, &id2, &created, f.source_id, &mb, &d), MF_OK);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM mailboxes WHERE alias IS NULL"), 1);
	/* summary figures */
	T_EQ_INT(q_int(f.st, "SELECT messages FROM mailbox_summary WHERE alias = 'LindqvistA'"), 3);
	T_EQ_INT(q_int(f.st, "SELECT attachments FROM mailbox_summary WHERE alias = 'LindqvistA'"), 2);
	T_EQ_INT(q_int(f.st, "SELECT messages FROM folder_summary WHERE alias = 'LindqvistA' AND path = 'Inbox'"), 2);
	T_EQ_INT(mf_store_mailbox_by_alias(f.st, &id, "lindqvista", &d), MF_OK);
	T_EQ_INT(id, f.anna);
	T_EQ_INT(mf_store_mailbox_by_alias(f.st, &id, "nobody", &d), MF_ENOTFOUND);
	t_fixture_release(&f);
}

static void message_round_trip(void)
{
	struct t_fixture f;
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_message *m;
	struct mf_diag d;
	char sha[MF_SHA256_HEX];

	t_fixture_build(&f);
	T_EQ_INT(mf_store_message_load(f.st, &m, f.msg[0], 1, &a, &d), MF_OK);
	T_EQ_STR(m->subject, "Budget review");
	T_EQ_STR(m->folder_path, "Inbox");
	T_EQ_STR(m->folder_special, "inbox");
	T_EQ_INT(m->has_sent, 1);
	T_EQ_INT(m->sent_utc, 858330900);
	T_EQ_INT(m->n_recipients, 2);
	T_EQ_STR(m->recipients[1].role, "bcc");
	T_EQ_STR(m->recipients[1].raw, "jdoe@example.com at SMTPLINK");
	T_EQ_INT(m->n_bodies, 1);
	T_EQ_STR(m->bodies[0].text, "hello\r\n");
	mf_sha256_hex(sha, "hello\r\n", 7);
	T_EQ_STR(m->bodies[0].sha256, sha);
	T_EQ_INT(m->n_attachments, 2);
	T_EQ_MEM(m->attachments[0].data, m->attachments[0].size, "\x00\x01\x02binary", 9);
	mf_sha256_hex(sha, "\x00\x01\x02binary", 9);
	T_EQ_STR(m->attachments[0].sha256, sha);
	T_ASSERT(m->attachments[1].nested != NULL);
	T_EQ_STR(m->attachments[1].nested->subject, "Forwarded");
	T_EQ_STR(m->attachments[1].nested->bodies[0].text, "inner text");
	T_EQ_INT(m->attachments[1].nested->parent_id, f.msg[0]);
	T_EQ_INT(m->size, 7 + 9);
	/* nested messages are not counted as messages of the mailbox */
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM messages"), 5);
	T_EQ_INT(mf_store_message_exists(f.st, f.file_id, 0, &d), 1);
	T_EQ_INT(mf_store_message_exists(f.st, f.file_id, 7, &d), 0);
	/* without data */
	mf_arena_reset(&a);
	T_EQ_INT(mf_store_message_load(f.st, &m, f.msg[0], 0, &a, &d), MF_OK);
	T_ASSERT(m->attachments[0].data == NULL && m->attachments[0].has_data);
	T_EQ_INT(mf_store_message_load(f.st, &m, 9999, 1, &a, &d), MF_ENOTFOUND);
	mf_arena_release(&a);
	t_fixture_release(&f);
}

static void problems_once(void)
{
	struct t_fixture f;
	t_fixture_build(&f);
	for (int i = 0; i < 3; i++)
		T_EQ_INT(mf_store_problemf(f.st, MF_WARNING, "ccmail.size-mismatch", "MAIL/ANNA.TXT",
					   1234, f.anna, 0, "size %d", 5), MF_OK);
	mf_store_problemf(f.st, MF_ERROR, "ccmail.no-contents", "MAIL/ANNA.TXT", 99, 0, 0, "x");
	mf_store_problemf(f.st, MF_INFO, "export.note", NULL, -1, 0, 0, "x");
	mf_store_problemf(f.st, MF_INFO, "export.note", NULL, -1, 0, 0, "x");
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM problems WHERE code = 'ccmail.size-mismatch'"), 1);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM problems WHERE code = 'export.note'"), 2);
	T_EQ_INT(q_int(f.st, "SELECT count FROM problem_summary WHERE code = 'ccmail.no-contents'"), 1);
	{
		int64_t c[3];
		struct mf_diag d;
		T_EQ_INT(mf_store_problem_counts(f.st, c, &d), MF_OK);
		T_EQ_INT(c[MF_ERROR], 1);
		T_EQ_INT(c[MF_WARNING], 1);
		T_EQ_INT(c[MF_INFO], 2);
	}
	t_fixture_release(&f);
}

static void file_states(void)
{
	struct t_fixture f;
	struct mf_diag d;
	enum mf_file_state s;
	int64_t id, id2;

	t_fixture_build(&f);
	T_EQ_INT(mf_store_file_begin(f.st, &id, &s, f.source_id, "mail", "MAIL/PAUL.TXT", 10,
				     "aaaa", "CP850", f.paul, &d), MF_OK);
	T_EQ_INT(s, MF_FILE_NEW);
	T_EQ_INT(mf_store_file_begin(f.st, &id2, &s, f.source_id, "mail", "MAIL/PAUL.TXT", 10,
				     "aaaa", "CP850", f.paul, &d), MF_OK);
	T_EQ_INT(s, MF_FILE_RESUME);
	T_EQ_INT(id2, id);
	mf_store_file_end(f.st, id, "done", 3, 1, &d);
	mf_store_file_begin(f.st, &id2, &s, f.source_id, "mail", "MAIL/PAUL.TXT", 10, "aaaa",
			    "CP850", f.paul, &d);
	T_EQ_INT(s, MF_FILE_DONE);
	mf_store_file_begin(f.st, &id2, &s, f.source_id, "mail", "MAIL/PAUL.TXT", 10, "bbbb",
			    "CP850", f.paul, &d);
	T_EQ_INT(s, MF_FILE_CHANGED);
	t_fixture_release(&f);
}

static void runs_rows(void)
{
	struct t_fixture f;
	struct mf_diag d;
	int64_t run;
	t_fixture_build(&f);
	T_EQ_INT(mf_store_run_begin(f.st, &run, "export", "maildir", "/out", "{}", &d), MF_OK);
	T_EQ_INT(mf_store_run_heartbeat(f.st, run, &d), MF_OK);
	T_EQ_INT(mf_store_run_end(f.st, run, "ok", "{\"x\":1}", &d), MF_OK);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM runs WHERE status = 'ok' AND finished_at IS NOT NULL"), 1);
	/* a bad status is refused by the schema */
	T_ASSERT(mf_store_run_end(f.st, run, "whatever", NULL, &d) == MF_ESTORE);
	t_fixture_release(&f);
}

/* Every ```sql block of docs/staging.md runs against a populated store. */
static void doc_queries(void)
{
	struct t_fixture f;
	FILE *fp = fopen(t_srcpath("docs/staging.md"), "r");
	char line[4096], sql[16384];
	int in = 0, n = 0;
	size_t len = 0;

	T_ASSERT(fp != NULL);
	if (!fp)
		return;
	t_fixture_build(&f);
	mf_store_problemf(f.st, MF_WARNING, "ccmail.size-mismatch", "MAIL/ANNA.TXT", 12, f.anna, 0, "x");
	while (fgets(line, sizeof(line), fp)) {
		if (!in && !strncmp(line, "```sql", 6)) {
			in = 1;
			len = 0;
			sql[0] = '\0';
			continue;
		}
		if (in && !strncmp(line, "```", 3)) {
			sqlite3_stmt *s = NULL;
			int rc, rows = 0;
			in = 0;
			n++;
			rc = sqlite3_prepare_v2(mf_store_db(f.st), sql, -1, &s, NULL);
			if (rc != SQLITE_OK) {
				t_fail(__FILE__, __LINE__, "docs/staging.md query %d: %s\n%s", n,
				       sqlite3_errmsg(mf_store_db(f.st)), sql);
				continue;
			}
			while ((rc = sqlite3_step(s)) == SQLITE_ROW)
				rows++;
			if (rc != SQLITE_DONE)
				t_fail(__FILE__, __LINE__, "docs/staging.md query %d failed: %s", n,
				       sqlite3_errmsg(mf_store_db(f.st)));
			sqlite3_finalize(s);
			continue;
		}
		if (in && len + strlen(line) < sizeof(sql)) {
			memcpy(sql + len, line, strlen(line) + 1);
			len += strlen(line);
		}
	}
	fclose(fp);
	T_ASSERT(n >= 12);
	t_fixture_release(&f);
}

static const char *stage_smith(struct mf_store *st, int64_t sid, char alias[32])
{
	struct mf_mailbox mb;
	struct mf_diag d;
	char name[32], addr[48];
	int64_t id = 0;
	static int n;
	memset(&mb, 0, sizeof(mb));
	snprintf(name, sizeof(name), "JSMITH%d", ++n);
	snprintf(addr, sizeof(addr), "MS:NET/PO/%s", name);
	mb.address_type = "MS";
	mb.source_address = addr;
	mb.kind = "mailbox";
	mb.name = name;
	mb.display_name = "John Smith";
	mb.given_name = "John";
	mb.surname = "Smith";
	alias[0] = '\0';
	if (mf_store_mailbox(st, &id, NULL, sid, &mb, &d) != MF_OK) {
		t_fail(__FILE__, __LINE__, "mf_store_mailbox: %s", d.msg);
		return "";
	}
	{
		sqlite3_stmt *s;
		char sql[96];
		snprintf(sql, sizeof(sql), "SELECT alias FROM mailboxes WHERE id = %lld", (long long)id);
		if (sqlite3_prepare_v2(mf_store_db(st), sql, -1, &s, NULL) == SQLITE_OK) {
			if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
				snprintf(alias, 32, "%s", (const char *)sqlite3_column_text(s, 0));
			sqlite3_finalize(s);
		}
	}
	return alias;
}

/* Namesakes: the search for a free alias resumes after the last one
 * (core/store_alias.c) and gives what a full search gives, also after an
 * alias was freed in the transaction, by a rollback or outside it. */
static void alias_namesakes(void)
{
	struct mf_store *st = NULL;
	struct mf_diag d;
	struct mf_source_info src;
	char path[512], a[32];
	int64_t sid = 0;

	snprintf(path, sizeof(path), "%s/alias.db", t_tmpdir());
	T_EQ_INT(mf_store_open(&st, path, MF_STORE_CREATE, &d), MF_OK);
	memset(&src, 0, sizeof(src));
	src.format = "msmail";
	src.path = "/x";
	T_EQ_INT(mf_store_source(st, &sid, &src, &d), MF_OK);
	T_EQ_INT(mf_store_begin(st, &d), MF_OK);
	T_EQ_STR(stage_smith(st, sid, a), "SmithJ");
	T_EQ_STR(stage_smith(st, sid, a), "SmithJ2");
	T_EQ_STR(stage_smith(st, sid, a), "SmithJ3");
	/* freed inside the transaction: found again */
	T_EQ_INT(mf_store_exec(st, "UPDATE mailboxes SET alias = 'Other' WHERE alias = 'SmithJ2'", &d),
		 MF_OK);
	T_EQ_STR(stage_smith(st, sid, a), "SmithJ2");
	T_EQ_STR(stage_smith(st, sid, a), "SmithJ4");
	T_EQ_INT(mf_store_commit(st, &d), MF_OK);
	/* freed between transactions, by another connection */
	{
		struct mf_store *other = NULL;
		T_EQ_INT(mf_store_open(&other, path, 0, &d), MF_OK);
		T_EQ_INT(mf_store_exec(other, "DELETE FROM mailboxes WHERE alias = 'SmithJ3'", &d),
			 MF_OK);
		mf_store_close(&other);
	}
	T_EQ_INT(mf_store_begin(st, &d), MF_OK);
	T_EQ_STR(stage_smith(st, sid, a), "SmithJ3");
	T_EQ_STR(stage_smith(st, sid, a), "SmithJ5");
	T_EQ_STR(stage_smith(st, sid, a), "SmithJ6");
	mf_store_rollback(st);
	/* rolled back: SmithJ3, 5 and 6 are free again */
	T_EQ_INT(mf_store_begin(st, &d), MF_OK);
	T_EQ_STR(stage_smith(st, sid, a), "SmithJ3");
	T_EQ_STR(stage_smith(st, sid, a), "SmithJ5");
	T_EQ_INT(mf_store_commit(st, &d), MF_OK);
	/* outside a transaction */
	T_EQ_STR(stage_smith(st, sid, a), "SmithJ6");
	T_EQ_INT(q_int(st, "SELECT count(*) FROM mailboxes WHERE alias LIKE 'SmithJ%'"), 6);
	mf_store_close(&st);
}

/* Heap in use outside SQLite (the page cache grows with the rows staged
 * until it is full): the arenas' and the mapped blocks', less SQLite's. */
static int64_t heap_outside_sqlite(void)
{
	struct mallinfo2 mi = mallinfo2();
	return (int64_t)(mi.uordblks + mi.hblkhd) - (int64_t)sqlite3_memory_used();
}

static const char *stage_named(struct mf_store *st, int64_t sid, const char *surname,
			       const char *given, int n, char alias[32])
{
	struct mf_mailbox mb;
	struct mf_diag d;
	char name[64], addr[96];
	int64_t id = 0;
	sqlite3_stmt *s;

	memset(&mb, 0, sizeof(mb));
	snprintf(name, sizeof(name), "%s, %s %d", surname, given, n);
	snprintf(addr, sizeof(addr), "MS:NET/PO/U%d", n);
	mb.address_type = "MS";
	mb.source_address = addr;
	mb.kind = "mailbox";
	mb.name = name;
	mb.given_name = given;
	mb.surname = surname;
	alias[0] = '\0';
	if (mf_store_mailbox(st, &id, NULL, sid, &mb, &d) != MF_OK) {
		t_fail(__FILE__, __LINE__, "mf_store_mailbox: %s", d.msg);
		return "";
	}
	if (sqlite3_prepare_v2(mf_store_db(st), "SELECT alias FROM mailboxes WHERE id = ?1", -1, &s,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, id);
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
			snprintf(alias, 32, "%s", (const char *)sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
	}
	return alias;
}

/* The hints of where an alias search resumes are a fixed table (issue 15):
 * 20,000 people with a surname of their own, staged in one transaction
 * (as an import stages them) between the namesakes of three others, grow
 * the heap outside SQLite by less than 512 KiB (one hint per base took
 * about 2 MiB), and the namesakes still get the aliases a full search
 * gives, in order. */
static void alias_hints_bounded(void)
{
	enum { N = 20000, HOT = 3, EVERY = 500 };
	struct mf_store *st = NULL;
	struct mf_diag d;
	struct mf_source_info src;
	char path[512], a[32], want[32], sur[32];
	static const char *const hot[HOT] = { "Berg", "Holm", "Novak" };
	int64_t sid = 0, before, grown = 0;
	int ok = 1, k[HOT] = { 0, 0, 0 };

	snprintf(path, sizeof(path), "%s/hints.db", t_tmpdir());
	T_EQ_INT(mf_store_open(&st, path, MF_STORE_CREATE, &d), MF_OK);
	memset(&src, 0, sizeof(src));
	src.format = "msmail";
	src.path = "/x";
	T_EQ_INT(mf_store_source(st, &sid, &src, &d), MF_OK);
	T_EQ_INT(mf_store_begin(st, &d), MF_OK);
	before = heap_outside_sqlite();
	for (int i = 0; i < N; i++) {
		snprintf(sur, sizeof(sur), "Solo%dq", i);   /* a base of its own */
		stage_named(st, sid, sur, "Anna", i, a);
		if (i % EVERY == 0) {
			int h = (i / EVERY) % HOT;
			stage_named(st, sid, hot[h], "Erik", N + i, a);
			if (++k[h] == 1)
				snprintf(want, sizeof(want), "%sE", hot[h]);
			else
				snprintf(want, sizeof(want), "%sE%d", hot[h], k[h]);
			if (strcmp(a, want)) {
				t_fail(__FILE__, __LINE__, "namesake %d of %s: alias '%s', want '%s'",
				       k[h], hot[h], a, want);
				ok = 0;
				break;
			}
		}
		if (heap_outside_sqlite() - before > grown)
			grown = heap_outside_sqlite() - before;
	}
	T_ASSERT(ok);
	T_EQ_INT(k[0] + k[1] + k[2], N / EVERY);
	/* (an allocator that reports nothing, a sanitizer's: 0 both times) */
	if (grown >= (512 << 10))
		t_fail(__FILE__, __LINE__, "the heap outside SQLite grew by %lld bytes",
		       (long long)grown);
	T_EQ_INT(mf_store_commit(st, &d), MF_OK);
	mf_store_close(&st);
}

/* Alias look-ups run (tracing the store's connection). */
static int count_alias_lookups(unsigned type, void *ctx, void *stmt, void *x)
{
	const char *sql = sqlite3_sql(stmt);
	(void)type;
	(void)x;
	if (sql && !strcmp(sql, "SELECT 1 FROM mailboxes WHERE alias = ?1"))
		(*(int64_t *)ctx)++;
	return 0;
}

/* The folded FNV-1a of core/store_alias.c, to find bases that share a set. */
static uint32_t fold_hash(const char *b)
{
	uint32_t x = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)b; *p; p++)
		x = (x ^ (uint32_t)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p)) * 16777619u;
	return x;
}

/* Bases whose hashes clash keep their hints (issue 15, import msmail at
 * 100k): eight bases with the same low 12 bits of hash (one slot each in
 * the old one-slot-per-hash table of 4,096, one set here), 40 namesakes
 * each staged in turn, cost one look-up per namesake and one more per
 * base (its own name, taken by the first); with the hints evicting each
 * other it was 820 per base.  The aliases are still a full search's. */
static void alias_hints_clash(void)
{
	enum { BASES = 8, EACH = 40 };
	struct mf_store *st = NULL;
	struct mf_diag d;
	struct mf_source_info src;
	char path[512], a[32], want[256], sur[BASES][24], cand[32];
	int64_t sid = 0, lookups = 0;
	int nb = 0, ok = 1;
	static uint16_t seen[4096][BASES];
	static uint8_t nseen[4096];

	/* the first eight surnames "Clash<i>q" whose base ("Clash<i>qE") share
	 * the low 12 bits of hash */
	memset(nseen, 0, sizeof(nseen));
	for (int i = 0; i < 65536 && !nb; i++) {
		unsigned slot;
		snprintf(cand, sizeof(cand), "Clash%dqE", i);
		slot = fold_hash(cand) & 4095u;
		seen[slot][nseen[slot]++] = (uint16_t)i;
		if (nseen[slot] == BASES)
			for (nb = 0; nb < BASES; nb++)
				snprintf(sur[nb], sizeof(sur[nb]), "Clash%dq", seen[slot][nb]);
	}
	T_EQ_INT(nb, BASES);

	snprintf(path, sizeof(path), "%s/clash.db", t_tmpdir());
	T_EQ_INT(mf_store_open(&st, path, MF_STORE_CREATE, &d), MF_OK);
	memset(&src, 0, sizeof(src));
	src.format = "msmail";
	src.path = "/x";
	T_EQ_INT(mf_store_source(st, &sid, &src, &d), MF_OK);
	T_EQ_INT(mf_store_begin(st, &d), MF_OK);
	sqlite3_trace_v2(mf_store_db(st), SQLITE_TRACE_PROFILE, count_alias_lookups, &lookups);
	for (int k = 1; k <= EACH && ok; k++) {
		for (int b = 0; b < BASES && ok; b++) {
			stage_named(st, sid, sur[b], "Erik", k * BASES + b, a);
			if (k == 1)
				snprintf(want, sizeof(want), "%sE", sur[b]);
			else
				snprintf(want, sizeof(want), "%sE%d", sur[b], k);
			if (strcmp(a, want)) {
				t_fail(__FILE__, __LINE__, "namesake %d of %s: alias '%s', want '%s'",
				       k, sur[b], a, want);
				ok = 0;
			}
		}
	}
	sqlite3_trace_v2(mf_store_db(st), 0, NULL, NULL);
	T_ASSERT(ok);
	if (lookups > BASES * (EACH + 1))
		t_fail(__FILE__, __LINE__, "%lld alias look-ups for %d namesakes (at most %d)",
		       (long long)lookups, BASES * EACH, BASES * (EACH + 1));
	T_EQ_INT(mf_store_commit(st, &d), MF_OK);
	mf_store_close(&st);
}

const struct t_case t_store[] = {
	{ "store/alias hints: bases whose hashes clash keep their hints", alias_hints_clash },
	{ "store/alias hints: a fixed table, namesakes among 20,000 bases", alias_hints_bounded },
	{ "store/namesakes' aliases: the search resumes, freed aliases are found", alias_namesakes },
	{ "store/docs/staging.md example queries", doc_queries },
	{ "store/create with mode 0600 and schema", open_create },
	{ "store/a mailbox with zero messages has its mail section", empty_mailbox_has_mail_section },
	{ "store/aliases and summary views", aliases_and_summary },
	{ "store/message round trip with nested message", message_round_trip },
	{ "store/problems about a file are recorded once", problems_once },
	{ "store/source file states", file_states },
	{ "store/runs", runs_rows },
	{ NULL, NULL }
};
