/* SPDX-License-Identifier: MIT */
/*
 * test_plan.c: the target directory snapshot, the plan, the preflight
 * check, leases and the run summary (issue 5).  The concurrency and SIGKILL
 * tests run real processes: tests/cli/runs.sh.
 */
#include "tests/harness.h"
#include "core/store_priv.h"
#include "tests/unit/fixture.h"
#include "tests/unit/tests.h"
#include "engine/check.h"
#include "core/csvrd.h"
#include "engine/export.h"
#include "engine/plan.h"
#include "core/progress.h"
#include "engine/importer.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern const struct mf_importer mf_importer_directory;

/* ---- helpers ---- */

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

/* First column of the first row as text, in a static buffer ("" if none). */
static const char *q_text(struct mf_store *st, const char *sql)
{
	static char buf[4][4096];
	static int k;
	char *out = buf[k++ & 3];
	sqlite3_stmt *s;
	out[0] = '\0';
	if (sqlite3_prepare_v2(mf_store_db(st), sql, -1, &s, NULL) != SQLITE_OK) {
		t_fail(__FILE__, __LINE__, "prepare %s: %s", sql, sqlite3_errmsg(mf_store_db(st)));
		return out;
	}
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(out, 4096, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return out;
}

static void exec(struct mf_store *st, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(mf_store_db(st), sql, NULL, NULL, &err) != SQLITE_OK) {
		t_fail(__FILE__, __LINE__, "%s: %s", sql, err ? err : "?");
		sqlite3_free(err);
	}
}

static const char *write_tmp(const char *name, const char *text)
{
	static char path[4][512];
	static int k;
	char *p = path[k++ & 3];
	FILE *f;
	snprintf(p, 512, "%s/%s", t_tmpdir(), name);
	f = fopen(p, "wb");
	if (!f) {
		t_fail(__FILE__, __LINE__, "cannot write %s", p);
		return p;
	}
	fwrite(text, 1, strlen(text), f);
	fclose(f);
	return p;
}

static int import_dir(struct mf_store *st, const char *csv, struct mf_import_stats *stats,
		      struct mf_diag *d)
{
	struct mf_import_opts o;
	memset(&o, 0, sizeof(o));
	memset(stats, 0, sizeof(*stats));
	mf_diag_clear(d);
	return mf_importer_directory.import(st, write_tmp("gal.csv", csv), &o, stats, d);
}

static int64_t add_mb(struct mf_store *st, int64_t source, const char *kind, const char *name,
		      const char *given, const char *sur)
{
	struct mf_mailbox mb;
	struct mf_diag d;
	char addr[256];
	int64_t id = 0;
	memset(&mb, 0, sizeof(mb));
	snprintf(addr, sizeof(addr), "CCMAIL:%s at SALES01", name);
	mb.kind = kind;
	mb.name = name;
	mb.display_name = name;
	mb.given_name = given;
	mb.surname = sur;
	mb.address_type = "CCMAIL";
	mb.source_address = addr;
	mb.in_directory = 1;
	if (mf_store_mailbox(st, &id, NULL, source, &mb, &d) < 0)
		t_fail(__FILE__, __LINE__, "mailbox %s: %s", name, d.msg);
	return id;
}

static int64_t add_entry(struct mf_store *st, int64_t source, const char *kind, const char *name,
			 const char *type, const char *addr)
{
	struct mf_dir_entry e;
	struct mf_diag d;
	int64_t id = 0;
	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.name = name;
	e.display_name = name;
	e.address_type = type;
	e.address = addr;
	e.src_offset = -1;
	if (mf_store_dir_entry(st, &id, source, &e, &d) < 0)
		t_fail(__FILE__, __LINE__, "entry %s: %s", name, d.msg);
	return id;
}

static int64_t second_source(struct mf_store *st)
{
	struct mf_source_info src;
	struct mf_diag d;
	int64_t id = 0;
	memset(&src, 0, sizeof(src));
	src.format = "ccmail";
	src.path = "/sets/SALES02";
	src.postoffice = "SALES02";
	if (mf_store_source(st, &id, &src, &d) < 0)
		t_fail(__FILE__, __LINE__, "source: %s", d.msg);
	return id;
}

static const char *plan_of(struct mf_store *st, int64_t mailbox_id, struct mf_plan_entry *pe,
			   struct mf_arena *a)
{
	struct mf_diag d;
	if (mf_plan_mailbox_action(st, pe, mailbox_id, a, &d) < 0) {
		t_fail(__FILE__, __LINE__, "plan of %lld: %s", (long long)mailbox_id, d.msg);
		return "?";
	}
	return mf_plan_action_name(pe->action);
}

/* ---- a recording test exporter ---- */

struct rec {
	struct mf_store *st;
	char target[64];
	const char *refuse;          /* check_mailbox refuses this alias */
	int checked, begun, puts;
	char begun_alias[16][24];
	int begun_skipped[16];
	enum mf_plan_action begun_action[16];
	int put_sleep_ms;            /* slow put */
	int64_t beat_seen;           /* heartbeat_at read during a slow put */
	int steal_lease;             /* another run takes the lease during the first put */
	int64_t thief;
	int raise_term_at;           /* raise SIGTERM at this put (1-based) */
	struct mf_arena a;
};

static struct rec R;

static int r_open(struct mf_export_ctx **out, struct mf_export *ex, struct mf_store *st,
		  const struct mf_export_opts *o, struct mf_diag *d)
{
	(void)ex;
	(void)d;
	R.st = st;
	snprintf(R.target, sizeof(R.target), "rec:%s", o->out ? o->out : "");
	*out = (struct mf_export_ctx *)&R;
	return MF_OK;
}

static const char *r_target(struct mf_export_ctx *c)
{
	(void)c;
	return R.target;
}

static int r_check(struct mf_export_ctx *c, const struct mf_mailbox *mb, struct mf_diag *d)
{
	(void)c;
	R.checked++;
	if (R.refuse && mb->alias && !strcmp(mb->alias, R.refuse))
		return mf_diag_set(d, MF_EREMOTE, NULL, MF_NO_OFFSET,
				   "NO [AUTHORIZATIONFAILED] the admin may not log in as %s; fix: grant "
				   "the admin the right to act for this user", mb->alias);
	return MF_OK;
}

static int r_begin(struct mf_export_ctx *c, const struct mf_mailbox *mb, const char *const *f,
		   size_t nf, struct mf_diag *d)
{
	struct mf_plan_entry pe;
	(void)c;
	(void)f;
	(void)nf;
	if (R.begun < 16) {
		snprintf(R.begun_alias[R.begun], sizeof(R.begun_alias[0]), "%s", mb->alias ? mb->alias : "");
		R.begun_skipped[R.begun] = mb->mail_skipped;
		if (mf_plan_mailbox_action(R.st, &pe, mb->id, &R.a, d) < 0)
			return MF_ESTORE;
		R.begun_action[R.begun] = pe.action;
	}
	R.begun++;
	return MF_OK;
}

static int r_put(struct mf_export_ctx *c, const struct mf_mailbox *mb, const struct mf_message *m,
		 struct mf_put_result *res, struct mf_diag *d)
{
	(void)c;
	(void)mb;
	(void)d;
	R.puts++;
	if (R.put_sleep_ms) {
		sqlite3 *db;
		sqlite3_stmt *s;
		struct timespec ts = { R.put_sleep_ms / 1000, (long)(R.put_sleep_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		/* what another process sees now */
		if (sqlite3_open_v2(mf_store_path(R.st), &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
		    sqlite3_prepare_v2(db, "SELECT max(heartbeat_at) FROM runs WHERE kind = 'export' AND status = 'running'",
				       -1, &s, NULL) == SQLITE_OK) {
			if (sqlite3_step(s) == SQLITE_ROW)
				R.beat_seen = sqlite3_column_int64(s, 0);
			sqlite3_finalize(s);
		}
		sqlite3_close(db);
	}
	if (R.steal_lease && R.puts == 1) {
		char sql[256];
		sqlite3 *db;
		snprintf(sql, sizeof(sql), "UPDATE leases SET run_id = %lld WHERE mailbox_id = %lld",
			 (long long)R.thief, (long long)mb->id);
		if (sqlite3_open(mf_store_path(R.st), &db) == SQLITE_OK) {
			sqlite3_busy_timeout(db, 5000);
			sqlite3_exec(db, sql, NULL, NULL, NULL);
		}
		sqlite3_close(db);
	}
	if (R.raise_term_at && R.puts == R.raise_term_at)
		raise(SIGTERM);
	res->state = MF_PUT_DELIVERED;
	snprintf(res->remote_id, sizeof(res->remote_id), "m%lld", (long long)m->id);
	res->bytes = 10;
	return MF_OK;
}

static int r_end(struct mf_export_ctx *c, const struct mf_mailbox *mb, int failed, struct mf_diag *d)
{
	(void)c;
	(void)mb;
	(void)failed;
	(void)d;
	return MF_OK;
}

static void r_close(struct mf_export_ctx **c)
{
	*c = NULL;
}

static const struct mf_exporter rec_exporter = {
	.name = "rec", .summary = "test", .caps = MF_EXP_MESSAGES,
	.open = r_open, .target = r_target, .check_mailbox = r_check, .mailbox_begin = r_begin,
	.put_message = r_put, .mailbox_end = r_end, .close = r_close,
};

static void rec_reset(void)
{
	mf_arena_release(&R.a);
	memset(&R, 0, sizeof(R));
}

static void opts_init(struct mf_export_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->out = "/x";
	o->quiet = 1;
	o->lease_timeout = 120;
}

/* ---- the CSV reader ---- */

static void csv_reader(void)
{
	static const char in[] =
		"a,\"b,c\",\"say \"\"hi\"\"\"\r\n"
		"\n"
		"\"multi\nline\",x\n"
		"\"bad\"x,y\n"
		"next,ok\r"
		"1,2,3,4,5,6,7,8,9,10\n"
		"last,\"never closed\n";
	struct mf_rd r;
	struct mf_csv_rec rec;
	struct mf_diag d;

	mf_rd_init(&r, in, sizeof(in) - 1);
	mf_csv_rec_init(&rec, 64, 8);
	T_EQ_INT(mf_csv_next(&r, &rec, "t.csv", &d), MF_OK);
	T_EQ_INT(rec.nfields, 3);
	T_EQ_STR(mf_csv_field(&rec, 0), "a");
	T_EQ_STR(mf_csv_field(&rec, 1), "b,c");
	T_EQ_STR(mf_csv_field(&rec, 2), "say \"hi\"");
	T_EQ_STR(mf_csv_field(&rec, 7), "");
	T_EQ_INT(mf_csv_next(&r, &rec, "t.csv", &d), MF_OK);   /* empty line skipped */
	T_EQ_STR(mf_csv_field(&rec, 0), "multi\nline");
	T_EQ_INT(rec.number, 2);
	T_EQ_INT(mf_csv_next(&r, &rec, "t.csv", &d), MF_EFORMAT);
	T_EQ_INT(d.offset, 38);
	T_ASSERT(strstr(d.msg, "after the closing quote") != NULL);
	T_EQ_INT(mf_csv_next(&r, &rec, "t.csv", &d), MF_OK);   /* resynchronised */
	T_EQ_STR(mf_csv_field(&rec, 0), "next");
	T_EQ_INT(mf_csv_next(&r, &rec, "t.csv", &d), MF_ETOOBIG); /* 10 fields > 8 */
	T_EQ_INT(mf_csv_next(&r, &rec, "t.csv", &d), MF_EFORMAT); /* never closed */
	T_ASSERT(strstr(d.msg, "never closed") != NULL);
	T_EQ_INT(mf_csv_next(&r, &rec, "t.csv", &d), MF_DONE);
	mf_csv_rec_release(&rec);

	/* a record longer than its bound */
	{
		char big[300];
		memset(big, 'x', sizeof(big));
		big[sizeof(big) - 1] = '\n';
		mf_rd_init(&r, big, sizeof(big));
		mf_csv_rec_init(&rec, 64, 8);
		T_EQ_INT(mf_csv_next(&r, &rec, "t.csv", &d), MF_ETOOBIG);
		T_EQ_INT(mf_csv_next(&r, &rec, "t.csv", &d), MF_DONE);
		mf_csv_rec_release(&rec);
	}
}

static void proxies(void)
{
	struct mf_proxy p;
	struct mf_buf b;

	mf_buf_init(&b, 1024);
	T_EQ_INT(mf_proxy_parse(&p, "MIGRATE:ccmail: Lindqvist, Anna at SALES01 ", 43), MF_OK);
	T_EQ_STR(p.type, "CCMAIL");
	T_EQ_INT(p.migrate, 1);
	T_EQ_INT(p.primary, 0);
	mf_proxy_key(&b, &p, 0);
	T_EQ_STR(b.data, "CCMAIL:Lindqvist, Anna at SALES01");
	mf_buf_reset(&b);
	mf_proxy_key(&b, &p, 1);
	T_EQ_STR(b.data, "CCMAIL:Lindqvist,AnnaatSALES01");
	T_EQ_INT(mf_proxy_parse(&p, "SMTP:a@b.example", 16), MF_OK);
	T_EQ_INT(p.primary, 1);
	T_EQ_INT(p.migrate, 0);
	T_EQ_INT(mf_proxy_parse(&p, "no type here", 12), MF_EFORMAT);
	T_EQ_INT(mf_proxy_parse(&p, "SMTP:", 5), MF_EFORMAT);
	T_EQ_INT(mf_proxy_parse(&p, "THISTYPEISFARTOOLONG:x", 22), MF_EFORMAT);
	mf_buf_release(&b);
}

/* ---- the directory snapshot ---- */

static void directory_snapshot(void)
{
	struct t_fixture f;
	struct mf_import_stats stats;
	struct mf_diag d;

	t_fixture_build(&f);
	T_EQ_INT(import_dir(f.st,
			    "\xEF\xBB\xBF" "Obj-Class,Common-Name,Display-Name,Proxy-Addresses,Comment\r\n"
			    "custom,AnnaL,\"Lindqvist, Anna\",\"SMTP:anna@x.example;CCMAIL:Lindqvist, Anna at SALES01\",\r\n"
			    "Remote,Staff2,Staff,\"X400:c=US;a= ;p=Org;o=Site;s=Staff;g=A;;SMTP:staff@x.example\",hi\r\n"
			    "dist-list,Sales,Sales,,\r\n"
			    "mailbox,,No Alias,garbage;MS:NET/PO/X,\r\n"
			    "mailbox,Two,fields\r\n"
			    "printer,P1,Printer,,\r\n"
			    "mailbox,Ren\xE9,Ren\xE9 Caf\xE9,SMTP:rene@x.example,\r\n"
			    "mailbox,AnnaL,Dup,\"unterminated\r\n", &stats, &d), MF_OK);
	T_EQ_INT(stats.dir_entries, 5);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM target_objects"), 5);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM target_objects WHERE class = 'custom'"), 2);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM target_objects WHERE class = 'dl'"), 1);
	/* X.400 keeps its own ';' */
	T_EQ_STR(q_text(f.st, "SELECT proxy FROM target_proxies x JOIN target_objects o ON o.id = x.object_id "
			      "WHERE o.alias = 'Staff2' AND x.position = 0"),
		 "X400:c=US;a= ;p=Org;o=Site;s=Staff;g=A;");
	T_EQ_STR(q_text(f.st, "SELECT proxy FROM target_proxies x JOIN target_objects o ON o.id = x.object_id "
			      "WHERE o.alias = 'Staff2' AND x.position = 1"), "SMTP:staff@x.example");
	T_EQ_STR(q_text(f.st, "SELECT match_key FROM target_proxies WHERE proxy LIKE 'CCMAIL:%'"),
		 "CCMAIL:Lindqvist, Anna at SALES01");
	/* no alias: kept for its addresses; the bad proxy is left out */
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM target_objects o JOIN target_proxies x ON x.object_id = o.id "
			     "WHERE o.alias IS NULL"), 1);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM problems WHERE code = 'directory.no-alias'"), 1);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM problems WHERE code = 'directory.bad-proxy'"), 1);
	/* damaged records: skipped whole, with their byte offsets */
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM problems WHERE code = 'directory.bad-record'"), 2);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM problems WHERE code = 'directory.bad-record' AND offset > 0 "
			     "AND file LIKE '%gal.csv'"), 2);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM problems WHERE code = 'directory.unknown-class'"), 1);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM problems WHERE code = 'directory.unknown-column'"), 1);
	/* Latin-1 text read as CP1252, with a warning */
	T_EQ_STR(q_text(f.st, "SELECT display_name FROM target_objects WHERE alias LIKE 'Ren%'"),
		 "Ren\xC3\xA9 Caf\xC3\xA9");
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM problems WHERE code = 'directory.not-utf8'"), 1);

	/* importing another snapshot replaces the first whole */
	T_EQ_INT(import_dir(f.st, "class,alias,display_name,proxy_addresses\n"
				  "mailbox,Only,Only One,SMTP:only@x.example\n", &stats, &d), MF_OK);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM target_objects"), 1);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM target_proxies"), 1);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM sources WHERE format = 'directory'"), 1);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM problems WHERE code LIKE 'directory.%'"), 0);

	/* a header without the needed columns is refused, and nothing changes */
	T_EQ_INT(import_dir(f.st, "alias,display_name\nx,y\n", &stats, &d), MF_EFORMAT);
	T_ASSERT(strstr(d.msg, "class") != NULL);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM target_objects"), 1);
	T_EQ_INT(import_dir(f.st, "", &stats, &d), MF_EFORMAT);
	/* control characters and line ends never reach names */
	T_EQ_INT(import_dir(f.st, "class,alias,display_name,proxy_addresses\n"
				  "custom,Ctl,\"Evil\x1b[2J\nName\",SMTP:e@x.example\n", &stats, &d), MF_OK);
	T_EQ_STR(q_text(f.st, "SELECT display_name FROM target_objects"), "Evil?[2J Name");
	/* probe */
	T_EQ_INT(mf_importer_directory.probe(write_tmp("x.csv", "Obj-Class,Common-Name,Display-Name,Proxy-Addresses\n")), 90);
	T_EQ_INT(mf_importer_directory.probe(write_tmp("y.csv", "name,value\n")), 0);
	T_EQ_INT(mf_importer_directory.probe(write_tmp("z.txt", "class,alias,proxy_addresses\n")), 0);
	t_fixture_release(&f);
}

/* ---- every plan outcome ---- */

struct world {
	struct t_fixture f;
	int64_t ambi, taken, cjk, exist, both, near, inlist, board, dup1, dup2;
	int64_t c_jane, c_roe, c_paul, c_roe2, c_none, c_taken, l_sales, l_staff;
};

static const char GAL[] =
	"class,alias,display_name,proxy_addresses\n"
	"custom,AnnaL,\"Lindqvist, Anna\",\"SMTP:anna@sales.example;CCMAIL:Lindqvist, Anna at SALES01\"\n"
	"custom,ChidiO,\"Okafor, Chidi\",\"smtp:chidi@x.example;MIGRATE:CCMAIL:Okafor, Chidi at SALES01\"\n"
	"custom,Ambi1,Ambi One,\"CCMAIL:Ambi, Guous at SALES01\"\n"
	"custom,Ambi2,Ambi Two,\"MIGRATE:ccmail:ambi, guous at sales01\"\n"
	"mailbox,TakenA,Tanja Aken,SMTP:tanja@x.example\n"
	"mailbox,ExistI,\"Exist, Ing\",\"CCMAIL:Exist, Ing at SALES01\"\n"
	"mailbox,BothM1,Both One,\"CCMAIL:Both, Match at SALES01\"\n"
	"custom,BothM2,Both Two,\"CCMAIL:Both, Match at SALES01\"\n"
	"custom,NearM,Near Miss,\"CCMAIL:Near,Miss at SALES01\"\n"
	"dl,InList,In List,\"CCMAIL:In, List at SALES01\"\n"
	"custom,JaneD,Jane Doe,SMTP:jdoe@example.com\n"
	"dl,Staff,All Staff,\"SMTP:staff@x.example;CCMAIL:All Staff at SALES01\"\n";

static void world_build(struct world *w)
{
	struct mf_import_stats stats;
	struct mf_diag d;
	int64_t s2;

	t_fixture_build(&w->f);
	w->ambi = add_mb(w->f.st, w->f.source_id, "mailbox", "Ambi, Guous", "Guous", "Ambi");
	w->taken = add_mb(w->f.st, w->f.source_id, "mailbox", "Taken, Alias", "Alias", "Taken");
	w->cjk = add_mb(w->f.st, w->f.source_id, "mailbox", "\xE5\xB1\xB1\xE7\x94\xB0, \xE5\xA4\xAA\xE9\x83\x8E",
			"\xE5\xA4\xAA\xE9\x83\x8E", "\xE5\xB1\xB1\xE7\x94\xB0");
	w->exist = add_mb(w->f.st, w->f.source_id, "mailbox", "Exist, Ing", "Ing", "Exist");
	w->both = add_mb(w->f.st, w->f.source_id, "mailbox", "Both, Match", "Match", "Both");
	w->near = add_mb(w->f.st, w->f.source_id, "mailbox", "Near, Miss", "Miss", "Near");
	w->inlist = add_mb(w->f.st, w->f.source_id, "mailbox", "In, List", "List", "In");
	w->board = add_mb(w->f.st, w->f.source_id, "public", "#Announcements", NULL, NULL);
	w->dup1 = add_mb(w->f.st, w->f.source_id, "mailbox", "Dup, Licate", "Licate", "Dup");
	s2 = second_source(w->f.st);
	w->dup2 = add_mb(w->f.st, s2, "mailbox", "Dup, Licate", "Licate", "Dup");
	w->c_jane = add_entry(w->f.st, w->f.source_id, "custom", "Doe, Jane", "SMTP", "jdoe@example.com");
	w->c_roe = add_entry(w->f.st, w->f.source_id, "custom", "Roe, Richard", "SMTP", "rr@example.com");
	w->c_paul = add_entry(w->f.st, s2, "custom", "Brenner, Paul", "CCMAIL", "Brenner, Paul at SALES01");
	w->c_roe2 = add_entry(w->f.st, s2, "custom", "Roe, Richard", "SMTP", "RR@example.com");
	w->c_none = add_entry(w->f.st, w->f.source_id, "custom", "Nowhere, Man", NULL, NULL);
	w->c_taken = add_entry(w->f.st, w->f.source_id, "custom", "Taken, Alice", "SMTP", "alice@example.com");
	w->l_sales = add_entry(w->f.st, w->f.source_id, "list", "Sales Team", NULL, NULL);
	w->l_staff = add_entry(w->f.st, w->f.source_id, "list", "All Staff", "CCMAIL", "All Staff at SALES01");
	T_EQ_INT(import_dir(w->f.st, GAL, &stats, &d), MF_OK);
	T_EQ_INT(stats.dir_entries, 12);
}

static void every_outcome(void)
{
	struct world w;
	struct mf_plan_totals t;
	struct mf_plan_entry pe;
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_diag d;
	struct mf_store *st;

	world_build(&w);
	st = w.f.st;
	T_EQ_INT(mf_plan_build(st, NULL, 0, &t, &d), MF_OK);
	T_EQ_INT(t.built, 1);

	/* convert: the mailbox takes the custom recipient's alias */
	T_EQ_STR(plan_of(st, w.f.anna, &pe, &a), "convert");
	T_EQ_STR(pe.alias, "AnnaL");
	T_EQ_STR(pe.object_class, "custom");
	T_EQ_STR(pe.object_alias, "AnnaL");
	T_EQ_STR(q_text(st, "SELECT alias FROM mailboxes WHERE name = 'Lindqvist, Anna'"), "AnnaL");
	/* convert through the MIGRATE: form, for a user with no mail */
	T_EQ_STR(plan_of(st, w.f.empty, &pe, &a), "convert");
	T_EQ_STR(pe.alias, "ChidiO");
	T_EQ_INT(q_int(st, "SELECT mail_skipped FROM mailbox_summary WHERE alias = 'ChidiO'"), 1);
	/* create */
	T_EQ_STR(plan_of(st, w.f.paul, &pe, &a), "create");
	T_EQ_STR(pe.alias, "BrennerP");
	/* exists */
	T_EQ_STR(plan_of(st, w.exist, &pe, &a), "exists");
	T_EQ_STR(pe.alias, "ExistI");
	/* public */
	T_EQ_STR(plan_of(st, w.board, &pe, &a), "public");
	/* two custom recipients match: both named */
	T_EQ_STR(plan_of(st, w.ambi, &pe, &a), "conflict");
	T_EQ_STR(pe.conflict, "plan.ambiguous");
	T_ASSERT(strstr(pe.message, "'Ambi1'") && strstr(pe.message, "'Ambi2'") &&
		 strstr(pe.message, "Ambi, Guous"));
	/* the alias is taken by another object: both named, and the fix */
	T_EQ_STR(plan_of(st, w.taken, &pe, &a), "conflict");
	T_EQ_STR(pe.conflict, "plan.alias-taken");
	T_EQ_STR(pe.object_alias, "TakenA");
	T_ASSERT(strstr(pe.message, "mailbox 'Taken, Alias'") != NULL);
	T_ASSERT(strstr(pe.message, "mailbox 'TakenA' (Tanja Aken <SMTP:tanja@x.example>)") != NULL);
	T_ASSERT(strstr(pe.message, "--alias-map") != NULL);
	/* no alias could be formed */
	T_EQ_STR(plan_of(st, w.cjk, &pe, &a), "conflict");
	T_EQ_STR(pe.conflict, "plan.no-alias");
	T_ASSERT(strstr(pe.message, "\xE5\xB1\xB1\xE7\x94\xB0") && strstr(pe.message, "alias map"));
	/* a mailbox and a custom recipient both carry the address */
	T_EQ_STR(plan_of(st, w.both, &pe, &a), "conflict");
	T_EQ_STR(pe.conflict, "plan.ambiguous");
	T_ASSERT(strstr(pe.message, "'BothM1'") && strstr(pe.message, "'BothM2'"));
	/* differs only in blanks: the Wizard would not match it */
	T_EQ_STR(plan_of(st, w.near, &pe, &a), "conflict");
	T_EQ_STR(pe.conflict, "plan.near-match");
	T_ASSERT(strstr(pe.message, "'NearM'") != NULL);
	/* a list carries the address */
	T_EQ_STR(plan_of(st, w.inlist, &pe, &a), "conflict");
	T_EQ_STR(pe.conflict, "plan.matches-list");
	/* the same address staged twice */
	T_EQ_STR(plan_of(st, w.dup1, &pe, &a), "create");
	T_EQ_STR(plan_of(st, w.dup2, &pe, &a), "conflict");
	T_EQ_STR(pe.conflict, "plan.duplicate-address");
	T_EQ_INT(t.mailboxes, 13);
	T_EQ_INT(t.conflicts, 7);
	T_EQ_INT(t.convert, 2);

	/* custom recipients and lists */
	T_EQ_INT(mf_plan_recipient_action(st, &pe, w.c_jane, &a, &d), MF_OK);
	T_EQ_STR(mf_plan_action_name(pe.action), "exists");
	T_EQ_STR(pe.object_alias, "JaneD");
	T_EQ_INT(mf_plan_recipient_action(st, &pe, w.c_roe, &a, &d), MF_OK);
	T_EQ_STR(mf_plan_action_name(pe.action), "create");
	T_EQ_STR(pe.alias, "RoeR");
	T_EQ_STR(pe.address, "SMTP:rr@example.com");
	T_EQ_INT(mf_plan_recipient_action(st, &pe, w.c_paul, &a, &d), MF_OK);
	T_EQ_STR(mf_plan_action_name(pe.action), "migrated");
	T_EQ_INT(mf_plan_recipient_action(st, &pe, w.c_roe2, &a, &d), MF_OK);
	T_EQ_STR(mf_plan_action_name(pe.action), "duplicate");
	T_EQ_INT(mf_plan_recipient_action(st, &pe, w.c_none, &a, &d), MF_OK);
	T_EQ_STR(mf_plan_action_name(pe.action), "skip");
	/* a new alias avoids the target's and the mailboxes' aliases */
	T_EQ_INT(mf_plan_recipient_action(st, &pe, w.c_taken, &a, &d), MF_OK);
	T_EQ_STR(mf_plan_action_name(pe.action), "create");
	T_EQ_STR(pe.alias, "TakenA2");
	T_EQ_INT(mf_plan_recipient_action(st, &pe, w.l_sales, &a, &d), MF_OK);
	T_EQ_STR(mf_plan_action_name(pe.action), "create");
	T_EQ_STR(pe.alias, "SalesTeam");
	/* a list the target has already */
	T_EQ_INT(mf_plan_recipient_action(st, &pe, w.l_staff, &a, &d), MF_OK);
	T_EQ_STR(mf_plan_action_name(pe.action), "exists");
	T_EQ_STR(pe.object_alias, "Staff");
	T_EQ_INT(mf_plan_recipient_action(st, &pe, 999999, &a, &d), MF_ENOTFOUND);
	{
		struct mf_plan_object *o;
		size_t n;
		int creates = 0;
		T_EQ_INT(mf_plan_objects(st, &o, &n, &a, &d), MF_OK);
		T_EQ_INT(n, 8);
		for (size_t i = 0; i < n; i++)
			creates += o[i].action == MF_PLAN_CREATE;
		T_EQ_INT(creates, 3);
	}
	/* the plan is deterministic: made again, nothing changes */
	{
		char before[4096];
		snprintf(before, sizeof(before), "%s",
			 q_text(st, "SELECT group_concat(mailbox_id || action || ifnull(alias, '') || message, '|') FROM plan_mailboxes"));
		T_EQ_INT(mf_plan_build(st, NULL, 0, &t, &d), MF_OK);
		T_EQ_STR(q_text(st, "SELECT group_concat(mailbox_id || action || ifnull(alias, '') || message, '|') FROM plan_mailboxes"),
			 before);
		T_EQ_INT(t.aliases_changed, 0);
	}
	mf_arena_release(&a);
	t_fixture_release(&w.f);
}

/* The alias conflict blocks the run with a message naming both objects;
 * a custom recipient is converted into a mailbox for a user with no mail. */
static void conflicts_block_the_run(void)
{
	struct world w;
	struct mf_export_opts o;
	struct mf_export_summary s;
	struct mf_diag d;
	const char *ok[] = { "AnnaL", "ChidiO", "BrennerP", "ExistI" };

	world_build(&w);
	rec_reset();
	opts_init(&o);
	/* the export makes the plan itself, finds the conflicts and moves nothing */
	T_ASSERT(mf_export_run(w.f.st, &rec_exporter, &o, &s, &d) < 0);
	T_EQ_INT(s.preflight_failed, 1);
	T_EQ_INT(R.begun, 0);
	T_EQ_INT(R.puts, 0);
	T_EQ_INT(q_int(w.f.st, "SELECT count(*) FROM deliveries"), 0);
	T_EQ_STR(s.status, "failed");
	T_ASSERT(strstr(d.msg, "nothing was exported") != NULL);
	T_EQ_INT(q_int(w.f.st, "SELECT count(*) FROM problems WHERE code = 'check.plan-conflict' "
			       "AND text LIKE '%mailbox ''Taken, Alias''%' AND text LIKE '%mailbox ''TakenA'' (Tanja Aken%'"), 1);
	T_EQ_INT(q_int(w.f.st, "SELECT count(*) FROM problems WHERE code = 'check.plan-conflict'"), 7);
	T_ASSERT(strstr(q_text(w.f.st, "SELECT summary FROM runs WHERE kind = 'export'"),
			"\"preflight\":{\"ok\":false") != NULL);
	mf_export_summary_release(&s);

	/* the mailboxes without a conflict go through; the one with no mail is
	 * begun, told to convert, and marked skipped */
	rec_reset();
	o.mailboxes = ok;
	o.n_mailboxes = 4;
	T_EQ_INT(mf_export_run(w.f.st, &rec_exporter, &o, &s, &d), MF_OK);
	T_EQ_INT(R.begun, 4);
	for (int i = 0; i < 4 && i < R.begun; i++) {
		if (!strcmp(R.begun_alias[i], "ChidiO")) {
			T_EQ_INT(R.begun_skipped[i], 1);
			T_EQ_INT(R.begun_action[i], MF_PLAN_CONVERT);
		}
		if (!strcmp(R.begun_alias[i], "AnnaL"))
			T_EQ_INT(R.begun_action[i], MF_PLAN_CONVERT);
		if (!strcmp(R.begun_alias[i], "BrennerP"))
			T_EQ_INT(R.begun_action[i], MF_PLAN_CREATE);
		if (!strcmp(R.begun_alias[i], "ExistI"))
			T_EQ_INT(R.begun_action[i], MF_PLAN_EXISTS);
	}
	T_EQ_INT(q_int(w.f.st, "SELECT count(*) FROM deliveries d JOIN mailboxes m ON m.id = d.mailbox_id "
			       "WHERE d.item_kind = 'mailbox' AND m.alias = 'ChidiO' AND d.detail = 'mail skipped'"), 1);
	T_EQ_INT(R.puts, 4);
	mf_export_summary_release(&s);

	/* --force exports the conflicting ones too, and says so */
	rec_reset();
	o.mailboxes = NULL;
	o.n_mailboxes = 0;
	o.force = 1;
	T_EQ_INT(mf_export_run(w.f.st, &rec_exporter, &o, &s, &d), MF_OK);
	T_EQ_INT(s.forced, 1);
	T_EQ_INT(R.begun, 13);
	mf_export_summary_release(&s);
	rec_reset();
	t_fixture_release(&w.f);
}

/* ---- the alias map ---- */

static void alias_map(void)
{
	struct world w;
	struct mf_plan_totals t;
	struct mf_plan_entry pe;
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_diag d;
	struct mf_store *st;
	const char *aliases;

	world_build(&w);
	st = w.f.st;
	T_EQ_INT(mf_plan_build(st, NULL, 0, &t, &d), MF_OK);
	aliases = q_text(st, "SELECT group_concat(ifnull(alias, '-'), ',') FROM (SELECT alias FROM mailboxes ORDER BY id)");
	{
		char before[1024];
		snprintf(before, sizeof(before), "%s", aliases);
		/* wrong maps are usage errors that change nothing */
		T_EQ_INT(mf_plan_build(st, write_tmp("m1.csv", "Nobody,X\n"), 0, &t, &d), MF_EUSAGE);
		T_ASSERT(strstr(d.msg, "line 1") && strstr(d.msg, "Nobody"));
		T_EQ_INT(mf_plan_build(st, write_tmp("m2.csv", "\"Taken, Alias\",bad alias\n"), 0, &t, &d), MF_EUSAGE);
		T_ASSERT(strstr(d.msg, "not a valid alias") != NULL);
		T_EQ_INT(mf_plan_build(st, write_tmp("m3.csv", "\"Dup, Licate\",DupL\n"), 0, &t, &d), MF_EUSAGE);
		T_ASSERT(strstr(d.msg, "names 2 mailboxes") != NULL);
		T_EQ_INT(mf_plan_build(st, write_tmp("m4.csv", "\"Taken, Alias\",AliasT\n\"Near, Miss\",aliast\n"), 0, &t, &d), MF_EUSAGE);
		T_ASSERT(strstr(d.msg, "line 2") && strstr(d.msg, "already given"));
		T_EQ_INT(mf_plan_build(st, write_tmp("m5.csv", "\"Taken, Alias\",AliasT\n\"CCMAIL:Taken, Alias at SALES01\",Other\n"), 0, &t, &d), MF_EUSAGE);
		T_ASSERT(strstr(d.msg, "already got an alias") != NULL);
		T_EQ_INT(mf_plan_build(st, write_tmp("m6.csv", "a,b,c\n"), 0, &t, &d), MF_EUSAGE);
		T_EQ_INT(mf_plan_build(st, write_tmp("m7.csv", "\"Taken, Alias\",ThisAliasIsTooLong21x\n"), 0, &t, &d), MF_EUSAGE);
		T_EQ_INT(mf_plan_build(st, write_tmp("m8.csv", "\"Taken, Alias\",\xC3\x85sa\n"), 0, &t, &d), MF_EUSAGE);
		T_EQ_STR(q_text(st, "SELECT group_concat(ifnull(alias, '-'), ',') FROM (SELECT alias FROM mailboxes ORDER BY id)"),
			 before);
		T_EQ_INT(q_int(st, "SELECT count(*) FROM alias_map"), 0);
	}
	/* a good map: by source address (with MIGRATE:), by name; a header line */
	T_EQ_INT(mf_plan_build(st, write_tmp("map.csv",
					      "source_address_or_name,alias\n"
					      "\"MIGRATE:CCMAIL:Taken, Alias at SALES01\",AliasT\n"
					      "\"\xE5\xB1\xB1\xE7\x94\xB0, \xE5\xA4\xAA\xE9\x83\x8E\",YamadaT\n"
					      "# a comment\n"
					      "\"Lindqvist, Anna\",Anna.Lindqvist\n"), 0, &t, &d), MF_OK);
	T_EQ_STR(plan_of(st, w.taken, &pe, &a), "create");
	T_EQ_STR(pe.alias, "AliasT");
	T_EQ_STR(plan_of(st, w.cjk, &pe, &a), "create");
	T_EQ_STR(pe.alias, "YamadaT");
	/* the map wins over the converted custom recipient's alias */
	T_EQ_STR(plan_of(st, w.f.anna, &pe, &a), "convert");
	T_EQ_STR(pe.alias, "Anna.Lindqvist");
	T_EQ_STR(q_text(st, "SELECT alias_from FROM plan_mailboxes WHERE mailbox_id = (SELECT id FROM mailboxes WHERE alias = 'Anna.Lindqvist')"), "map");
	T_EQ_INT(t.conflicts, 5);
	/* the map is kept: an export's own plan (or a plan without --alias-map) uses it */
	exec(st, "INSERT INTO dir_entries(source_id, kind, name) VALUES (1, 'custom', 'New, Entry')");
	T_EQ_INT(mf_plan_is_current(st, &d), 0);
	T_EQ_INT(mf_plan_ensure(st, &t, &d), MF_OK);
	T_EQ_INT(t.built, 1);
	T_EQ_STR(q_text(st, "SELECT alias FROM mailboxes WHERE name = 'Taken, Alias'"), "AliasT");
	T_EQ_INT(mf_plan_is_current(st, &d), 1);
	T_EQ_INT(mf_plan_ensure(st, &t, &d), MF_OK);
	T_EQ_INT(t.built, 0);
	/* another map replaces it: the aliases go back */
	T_EQ_INT(mf_plan_build(st, write_tmp("empty.csv", ""), 0, &t, &d), MF_OK);
	T_EQ_STR(q_text(st, "SELECT alias FROM mailboxes WHERE name = 'Taken, Alias'"), "TakenA");
	T_EQ_STR(q_text(st, "SELECT alias FROM mailboxes WHERE name = 'Lindqvist, Anna'"), "AnnaL");
	T_EQ_INT(q_int(st, "SELECT count(*) FROM mailboxes WHERE alias IS NULL"), 1);
	/* swapping two aliases through the map works (unique index) */
	T_EQ_INT(mf_plan_build(st, write_tmp("swap.csv", "\"Brenner, Paul\",ExistI2\n\"Exist, Ing\",BrennerP\n"), 0, &t, &d), MF_OK);
	T_EQ_STR(q_text(st, "SELECT alias FROM mailboxes WHERE name = 'Exist, Ing'"), "BrennerP");
	mf_arena_release(&a);
	t_fixture_release(&w.f);
}

static void plan_staleness_and_defaults(void)
{
	struct t_fixture f;
	struct mf_plan_totals t;
	struct mf_plan_entry pe;
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_import_stats stats;
	struct mf_diag d;

	t_fixture_build(&f);
	/* without a plan: the defaults */
	T_EQ_INT(mf_plan_is_current(f.st, &d), 0);
	T_EQ_STR(plan_of(f.st, f.anna, &pe, &a), "create");
	T_EQ_INT(pe.planned, 0);
	T_EQ_INT(mf_plan_mailbox_action(f.st, &pe, 424242, &a, &d), MF_ENOTFOUND);
	T_EQ_INT(mf_plan_ensure(f.st, &t, &d), MF_OK);
	T_EQ_INT(t.built, 1);
	T_EQ_INT(t.create, 3);
	T_EQ_STR(plan_of(f.st, f.anna, &pe, &a), "create");
	T_EQ_INT(pe.planned, 1);
	T_EQ_INT(mf_plan_is_current(f.st, &d), 1);
	/* a new snapshot makes it stale */
	T_EQ_INT(import_dir(f.st, "class,alias,display_name,proxy_addresses\n"
				  "custom,AL,A L,\"CCMAIL:Lindqvist, Anna at SALES01\"\n", &stats, &d), MF_OK);
	T_EQ_INT(mf_plan_is_current(f.st, &d), 0);
	T_EQ_INT(mf_plan_ensure(f.st, &t, &d), MF_OK);
	T_EQ_INT(t.convert, 1);
	/* a new mailbox too */
	add_mb(f.st, f.source_id, "mailbox", "Late, Comer", "Comer", "Late");
	T_EQ_INT(mf_plan_is_current(f.st, &d), 0);
	T_EQ_INT(mf_plan_ensure(f.st, &t, &d), MF_OK);
	T_EQ_INT(t.mailboxes, 4);
	/* JSON */
	{
		struct mf_buf b;
		mf_buf_init(&b, MF_BUF_UNBOUNDED);
		T_EQ_INT(mf_plan_json(f.st, &b, NULL, &d), MF_OK);
		T_ASSERT(strstr(b.data, "\"action\":\"convert\"") != NULL);
		T_ASSERT(strstr(b.data, "\"object\":{\"class\":\"custom\",\"alias\":\"AL\"") != NULL);
		T_ASSERT(strstr(b.data, "\"totals\":{\"mailboxes\":4,\"create\":3,\"convert\":1") != NULL);
		mf_buf_release(&b);
	}
	mf_arena_release(&a);
	t_fixture_release(&f);
}

/* ---- preflight ---- */

/* The admin cannot act for one of several mailboxes: the check fails
 * before any message moves, and names that mailbox. */
static void preflight_refuses_one_mailbox(void)
{
	struct t_fixture f;
	struct mf_export_opts o;
	struct mf_export_summary s;
	struct mf_check_report rep;
	struct mf_diag d;
	int found = 0;

	t_fixture_build(&f);
	rec_reset();
	opts_init(&o);
	R.refuse = "BrennerP";
	T_ASSERT(mf_export_run(f.st, &rec_exporter, &o, &s, &d) < 0);
	T_EQ_INT(R.checked, 3);          /* every mailbox was tried ... */
	T_EQ_INT(R.begun, 0);            /* ... before anything moved */
	T_EQ_INT(R.puts, 0);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM deliveries"), 0);
	T_EQ_INT(s.preflight_failed, 1);
	T_EQ_INT(s.preflight.errors, 1);
	for (size_t i = 0; i < s.preflight.n; i++)
		if (s.preflight.items[i].severity == MF_ERROR) {
			found = 1;
			T_EQ_STR(s.preflight.items[i].code, "check.target-refused");
			T_EQ_STR(s.preflight.items[i].alias, "BrennerP");
			T_ASSERT(strstr(s.preflight.items[i].text, "'BrennerP' (Brenner, Paul)") != NULL);
			T_ASSERT(strstr(s.preflight.items[i].text, "fix:") != NULL);
		}
	T_EQ_INT(found, 1);
	T_ASSERT(strstr(d.msg, "BrennerP") != NULL);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM problems p JOIN mailboxes m ON m.id = p.mailbox_id "
			     "WHERE p.code = 'check.target-refused' AND m.alias = 'BrennerP'"), 1);
	T_EQ_STR(q_text(f.st, "SELECT status FROM runs WHERE kind = 'export'"), "failed");
	mf_export_summary_release(&s);

	/* `mailferry check` says the same without a run of the exporter */
	rec_reset();
	R.refuse = "BrennerP";
	mf_check_report_init(&rep);
	T_EQ_INT(mf_export_check(f.st, &rec_exporter, &o, &rep, &d), MF_OK);
	T_EQ_INT(rep.errors, 1);
	T_EQ_INT(rep.target_checked, 3);
	T_EQ_INT(R.begun, 0);
	T_EQ_STR(q_text(f.st, "SELECT status FROM runs WHERE kind = 'check'"), "problems");
	mf_check_report_release(&rep);

	/* once the admin may act for it, everything goes */
	rec_reset();
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_OK);
	T_EQ_INT(R.begun, 3);
	T_EQ_INT(R.puts, 4);
	mf_export_summary_release(&s);
	rec_reset();
	t_fixture_release(&f);
}

static void preflight_staging(void)
{
	struct t_fixture f;
	struct mf_export_opts o;
	struct mf_check_report rep;
	struct mf_diag d;
	int unfinished = 0, unresolved = 0;

	t_fixture_build(&f);
	opts_init(&o);
	rec_reset();
	/* an interrupted import: its mailboxes' mail is incomplete */
	exec(f.st, "UPDATE source_files SET state = 'importing'");
	/* a mailbox without its mail section (only possible by hand) */
	exec(f.st, "DELETE FROM mail_sections WHERE mailbox_id = (SELECT id FROM mailboxes WHERE name = 'Okafor, Chidi')");
	mf_check_report_init(&rep);
	T_EQ_INT(mf_export_check(f.st, NULL, &o, &rep, &d), MF_OK);
	for (size_t i = 0; i < rep.n; i++) {
		if (!strcmp(rep.items[i].code, "check.import-unfinished")) {
			unfinished++;
			T_ASSERT(strstr(rep.items[i].text, "MAIL/ANNA.TXT") != NULL);
			T_ASSERT(strstr(rep.items[i].text, "run the same import again") != NULL);
		}
		if (!strcmp(rep.items[i].code, "check.unresolved-recipients"))
			unresolved++;
	}
	T_EQ_INT(unfinished, 2);
	T_EQ_INT(unresolved, 2);         /* the fixture's bcc one-off, reported */
	T_EQ_INT(rep.errors, 3);
	{
		int section = 0;
		for (size_t i = 0; i < rep.n; i++)
			if (!strcmp(rep.items[i].code, "check.no-mail-section")) {
				section++;
				T_EQ_STR(rep.items[i].alias, "OkaforC");
			}
		T_EQ_INT(section, 1);
	}
	mf_check_report_release(&rep);
	/* with --no-mail the recipients are not checked */
	o.no_mail = 1;
	mf_check_report_init(&rep);
	T_EQ_INT(mf_export_check(f.st, NULL, &o, &rep, &d), MF_OK);
	for (size_t i = 0; i < rep.n; i++)
		T_ASSERT(strcmp(rep.items[i].code, "check.unresolved-recipients") != 0);
	mf_check_report_release(&rep);
	/* an unknown alias in the selection */
	{
		const char *bad[] = { "Nobody" };
		o.mailboxes = bad;
		o.n_mailboxes = 1;
		mf_check_report_init(&rep);
		T_EQ_INT(mf_export_check(f.st, NULL, &o, &rep, &d), MF_EUSAGE);
		mf_check_report_release(&rep);
	}
	t_fixture_release(&f);
}

/* ---- leases and runs ---- */

static int64_t fake_run(struct mf_store *st, const char *host, int pid, int64_t beat_age)
{
	struct mf_diag d;
	int64_t id = 0;
	char sql[512];
	mf_store_run_begin(st, &id, "export", "rec", "rec:/x", NULL, &d);
	snprintf(sql, sizeof(sql), "UPDATE runs SET host = '%s', pid = %d, heartbeat_at = %lld WHERE id = %lld",
		 host, pid, (long long)(mf_now() - beat_age), (long long)id);
	exec(st, sql);
	return id;
}

static void hold(struct mf_store *st, int64_t mailbox, int64_t run)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO leases VALUES (%lld, 'rec:/x', %lld, 0)",
		 (long long)mailbox, (long long)run);
	exec(st, sql);
}

static char *my_host(void)
{
	static char h[256];
	if (gethostname(h, sizeof(h)) != 0)
		snprintf(h, sizeof(h), "localhost");
	h[sizeof(h) - 1] = '\0';
	return h;
}

static void leases_never_on_guesswork(void)
{
	struct t_fixture f;
	struct mf_export_opts o;
	struct mf_export_summary s;
	struct mf_diag d;
	int64_t mine, other_host, stale;
	char q[256];

	t_fixture_build(&f);
	opts_init(&o);
	rec_reset();
	/* a run that claims this very process's pid (a recycled pid looks
	 * alive) and beats: its lease is not taken */
	mine = fake_run(f.st, my_host(), (int)getpid(), 0);
	hold(f.st, f.anna, mine);
	/* a run on another host that beats: not taken either */
	other_host = fake_run(f.st, "elsewhere.example", 1, 5);
	hold(f.st, f.paul, other_host);
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_EBUSY);
	T_EQ_INT(s.mailboxes_leased, 2);
	T_EQ_INT(R.begun, 1);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM runs WHERE status = 'interrupted'"), 0);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM run_mailboxes WHERE state = 'leased' AND run_id = "
		       "(SELECT max(id) FROM runs WHERE kind = 'export')"), 2);
	mf_export_summary_release(&s);
	/* the other host's run falls silent beyond the timeout: provably gone */
	snprintf(q, sizeof(q), "UPDATE runs SET heartbeat_at = %lld WHERE id = %lld",
		 (long long)(mf_now() - 121), (long long)other_host);
	exec(f.st, q);
	rec_reset();
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_EBUSY);
	T_EQ_INT(s.mailboxes_leased, 1);
	snprintf(q, sizeof(q), "SELECT status FROM runs WHERE id = %lld", (long long)other_host);
	T_EQ_STR(q_text(f.st, q), "interrupted");
	snprintf(q, sizeof(q), "SELECT status FROM runs WHERE id = %lld", (long long)mine);
	T_EQ_STR(q_text(f.st, q), "running");
	mf_export_summary_release(&s);
	/* a finished run's leftover lease is free */
	stale = fake_run(f.st, my_host(), (int)getpid(), 0);
	mf_store_run_end(f.st, stale, "ok", NULL, &d);
	hold(f.st, f.anna, stale);
	rec_reset();
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_OK);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM leases"), 0);
	mf_export_summary_release(&s);
	t_fixture_release(&f);
}

/* --wait: a mailbox held by a live run is waited for, then exported. */
static void wait_for_a_lease(void)
{
	struct t_fixture f;
	struct mf_export_opts o;
	struct mf_export_summary s;
	struct mf_diag d;
	int64_t run, t0;
	pid_t child;

	t_fixture_build(&f);
	opts_init(&o);
	rec_reset();
	child = fork();
	if (child == 0) {
		struct timespec ts = { 1, 200000000L };
		nanosleep(&ts, NULL);
		_exit(0);
	}
	run = fake_run(f.st, my_host(), (int)child, 0);
	hold(f.st, f.anna, run);
	/* without --wait it is skipped */
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_EBUSY);
	T_EQ_INT(s.mailboxes_leased, 1);
	mf_export_summary_release(&s);
	/* with --wait the run waits for the holder to go, then takes it */
	rec_reset();
	o.wait = 1;
	t0 = mf_now_ms();
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_OK);
	waitpid(child, NULL, 0);
	T_ASSERT(mf_now_ms() - t0 >= 900);
	T_EQ_INT(s.mailboxes_leased, 0);
	T_EQ_INT(R.puts, 3);             /* Anna's three messages */
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM deliveries WHERE item_kind = 'message' AND status = 'delivered'"), 4);
	mf_export_summary_release(&s);
	t_fixture_release(&f);
}

/* The heartbeat goes on while one put takes long; a run whose lease is
 * taken over stops that mailbox at its next ledger write. */
static void heartbeat_and_lost_lease(void)
{
	struct t_fixture f;
	struct mf_export_opts o;
	struct mf_export_summary s;
	struct mf_diag d;
	const char *one[] = { "BrennerP" };
	int64_t t0;

	t_fixture_build(&f);
	opts_init(&o);
	rec_reset();
	o.lease_timeout = 2;             /* beat every 0.5 s */
	o.mailboxes = one;
	o.n_mailboxes = 1;
	R.put_sleep_ms = 1600;
	exec(f.st, "UPDATE runs SET heartbeat_at = 0");
	t0 = mf_now();
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_OK);
	T_ASSERT(R.beat_seen >= t0 + 1);
	mf_export_summary_release(&s);

	rec_reset();
	o.mailboxes = NULL;
	o.n_mailboxes = 0;
	o.lease_timeout = 120;
	R.steal_lease = 1;
	R.thief = fake_run(f.st, "elsewhere.example", 1, 0);
	exec(f.st, "DELETE FROM deliveries");
	T_ASSERT(mf_export_run(f.st, &rec_exporter, &o, &s, &d) < 0);
	T_EQ_INT(s.mailboxes_failed, 1);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM problems WHERE code = 'export.mailbox-failed' "
			     "AND text LIKE '%another run took over%'"), 1);
	/* the first message was recorded (a fact), the rest left to the thief */
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM deliveries d JOIN mailboxes m ON m.id = d.mailbox_id "
			     "WHERE m.alias = 'BrennerP' AND d.item_kind = 'message'"), 1);
	mf_export_summary_release(&s);
	rec_reset();
	t_fixture_release(&f);
}

/* The caller's handler: the library installs none, it polls opts->stop. */
static volatile sig_atomic_t term_flag;
static void on_term(int sig)
{
	(void)sig;
	term_flag = 1;
}

/* SIGTERM stops after the current message; the run resumes. */
static void interrupted_and_resumed(void)
{
	struct t_fixture f;
	struct mf_export_opts o;
	struct mf_export_summary s;
	struct mf_diag d;
	struct sigaction sa, old;

	t_fixture_build(&f);
	opts_init(&o);
	rec_reset();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, &old);
	term_flag = 0;
	o.stop = &term_flag;
	R.raise_term_at = 2;
	T_ASSERT(mf_export_run(f.st, &rec_exporter, &o, &s, &d) < 0);
	sigaction(SIGTERM, &old, NULL);
	term_flag = 0;
	T_EQ_INT(s.interrupted, 1);
	T_EQ_STR(s.status, "interrupted");
	T_EQ_INT(R.puts, 2);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM deliveries WHERE item_kind = 'message'"), 2);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM leases"), 0);
	T_EQ_STR(q_text(f.st, "SELECT status FROM runs WHERE kind = 'export'"), "interrupted");
	mf_export_summary_release(&s);
	rec_reset();
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_OK);
	T_EQ_INT(R.puts, 2);
	T_EQ_INT(s.already, 2);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM deliveries WHERE item_kind = 'message' AND status = 'delivered'"), 4);
	mf_export_summary_release(&s);
	rec_reset();
	t_fixture_release(&f);
}

/* Every run ends with a summary per mailbox, printed and stored. */
static void run_summary(void)
{
	struct t_fixture f;
	struct mf_export_opts o;
	struct mf_export_summary s;
	struct mf_diag d;
	struct mf_buf b;
	const char *stored;

	t_fixture_build(&f);
	opts_init(&o);
	rec_reset();
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_OK);
	T_EQ_INT(s.n_mbox, 3);
	T_EQ_STR(s.status, "ok");
	T_EQ_INT(s.attachments, 2);
	T_EQ_INT(s.bytes, 40);
	T_EQ_INT(s.planned, 4);
	/* stored: the totals and the preflight; the mailboxes are rows of
	 * run_mailboxes (flat memory however many there are) */
	mf_buf_init(&b, MF_BUF_UNBOUNDED);
	mf_export_summary_json(&b, &s, "rec", "rec:/x");
	stored = q_text(f.st, "SELECT summary FROM runs WHERE kind = 'export'");
	T_EQ_STR(stored, b.data);
	T_ASSERT(strstr(b.data, "\"mailboxes\":[") == NULL);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM run_mailboxes"), 3);
	mf_buf_release(&b);
	/* printed: the same with every mailbox, read back from the store */
	{
		char *mem = NULL;
		size_t ml = 0;
		FILE *mf = open_memstream(&mem, &ml);
		T_ASSERT(mf != NULL);
		T_EQ_INT(mf_export_summary_json_print(mf, f.st, &s, "rec", "rec:/x", &d), MF_OK);
		fclose(mf);
		mf_buf_init(&b, MF_BUF_UNBOUNDED);
		mf_buf_addstr(&b, mem);
		free(mem);
	}
	T_ASSERT(strstr(b.data, "\"status\":\"ok\",\"mailboxes\":[{") != NULL);
	T_ASSERT(strstr(b.data, "{\"alias\":\"LindqvistA\",\"mailbox_id\":1,\"action\":\"create\",\"planned\":3,"
			"\"delivered\":3,\"already\":0,\"failed\":0,\"bytes\":30,\"attachments\":2,"
			"\"calendar_items\":0,\"problems\":0,\"state\":\"done\"}") != NULL);
	T_ASSERT(strstr(b.data, "\"totals\":{\"mailboxes\":3,") != NULL);
	T_ASSERT(strstr(b.data, "\"preflight\":{\"ok\":true") != NULL);
	mf_buf_release(&b);
	mf_export_summary_release(&s);
	t_fixture_release(&f);
}

/* --since/--until select by date; messages with an unknown date are kept. */
static void since_until(void)
{
	struct t_fixture f;
	struct mf_export_opts o;
	struct mf_export_summary s;
	struct mf_diag d;

	t_fixture_build(&f);
	opts_init(&o);
	rec_reset();
	/* the fixture's messages are sent at 858330900 + 0, 100, 200, 300 */
	exec(f.st, "UPDATE messages SET sent_utc = NULL, received_utc = NULL WHERE subject = 'Third'");
	o.has_since = 1;
	o.since = 858330900 + 50;
	o.has_until = 1;
	o.until = 858330900 + 250;
	T_EQ_INT(mf_export_run(f.st, &rec_exporter, &o, &s, &d), MF_OK);
	T_EQ_INT(R.puts, 2);             /* "Re: Budget" (100) and the undated "Third" */
	T_EQ_INT(s.planned, 2);
	T_EQ_INT(q_int(f.st, "SELECT count(*) FROM deliveries d JOIN messages g ON g.id = d.item_id "
			     "WHERE d.item_kind = 'message' AND g.subject IN ('Re: Budget', 'Third')"), 2);
	mf_export_summary_release(&s);
	rec_reset();
	t_fixture_release(&f);
}

const struct t_case t_plan[] = {
	{ "plan/CSV reader: quotes, bounds, damaged records", csv_reader },
	{ "plan/proxy addresses", proxies },
	{ "plan/directory snapshot: columns, damage, replacement", directory_snapshot },
	{ "plan/every outcome for mailboxes, custom recipients and lists", every_outcome },
	{ "plan/conflicts block the run naming both objects; no-mail user converted", conflicts_block_the_run },
	{ "plan/alias map: validated, kept, replaced", alias_map },
	{ "plan/stale plans are made again; defaults without a plan", plan_staleness_and_defaults },
	{ "plan/preflight: the admin cannot act for one mailbox, nothing moves", preflight_refuses_one_mailbox },
	{ "plan/preflight: staging consistency", preflight_staging },
	{ "plan/leases: taken over only from provably gone runs", leases_never_on_guesswork },
	{ "plan/leases: --wait waits for the holder", wait_for_a_lease },
	{ "plan/heartbeat during a long put; a lost lease stops the mailbox", heartbeat_and_lost_lease },
	{ "plan/interrupted run resumes", interrupted_and_resumed },
	{ "plan/run summary printed and stored", run_summary },
	{ "plan/--since and --until keep undated messages", since_until },
	{ NULL, NULL }
};
