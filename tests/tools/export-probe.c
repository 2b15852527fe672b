/* SPDX-License-Identifier: MIT */
/*
 * export-probe.c: real processes for the export driver's concurrency and
 * crash tests (tests/cli/runs.sh), with a small file exporter of its own,
 * so those tests do not depend on any real exporter.
 *
 *   export-probe fixture DB [--mailboxes N] [--messages M]
 *       build a staging database: N mailboxes (the third has no mail), M
 *       messages in each of the others, a custom recipient and a list
 *   export-probe export DB DIR [--delay-ms N] [--wait] [--lease-timeout S]
 *                [--log FILE] [--refuse ALIAS] [--die-after N]
 *                [--die-phase written|renamed] [--force] [--mailbox ALIAS]
 *       run mf_export_run with the probe exporter into DIR: one file per
 *       message, DIR/<alias>/<message id>.msg, written atomically (a
 *       temporary file renamed into place), so a repeated delivery replaces
 *       the same file.  --log appends "begin ALIAS PID" and "put ID PID"
 *       lines (O_APPEND).  --refuse makes check_mailbox refuse a mailbox
 *       (the admin cannot act for it).  --die-after N kills this process
 *       with SIGKILL during the N+1st message (after its temporary file is
 *       written, or after the rename).  Prints the summary as JSON; exits 0
 *       ok, 1 problems / leased / preflight failed, 3 fatal.
 *   export-probe verify DB DIR
 *       the target holds exactly the staged messages: one file per
 *       message with the right content, no other message file, and one
 *       'delivered' ledger row per message naming that file.
 */
#include "engine/export.h"
#include "core/store_priv.h"
#include "core/fsutil.h"
#include "core/safename.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the probe exporter ---- */

struct probe {
	char dir[PATH_MAX];
	char target[PATH_MAX + 16];
	char mbdir[PATH_MAX + 160];
	int delay_ms;
	const char *refuse;
	long die_after;              /* -1: never */
	int die_renamed;
	long puts;
	int logfd;
};

static struct probe P = { .die_after = -1, .logfd = -1 };

static void logline(const char *fmt, ...) MF_ATTR_PRINTF(1, 2);
static void logline(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;
	if (P.logfd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(line) && write(P.logfd, line, (size_t)n) != n)
		perror("export-probe: log");
}

static int p_open(struct mf_export_ctx **out, struct mf_export *ex, struct mf_store *st,
		  const struct mf_export_opts *o, struct mf_diag *d)
{
	char real[PATH_MAX];
	(void)ex;
	(void)st;
	if (mf_mkdirs(o->out, 0755, d) < 0)
		return MF_EIO;
	if (!realpath(o->out, real))
		return mf_diag_errno(d, MF_EIO, o->out, "cannot resolve the output folder");
	snprintf(P.dir, sizeof(P.dir), "%s", real);
	snprintf(P.target, sizeof(P.target), "probe:%s", real);
	*out = (struct mf_export_ctx *)&P;
	return MF_OK;
}

static const char *p_target(struct mf_export_ctx *c)
{
	(void)c;
	return P.target;
}

static int p_check(struct mf_export_ctx *c, const struct mf_mailbox *mb, struct mf_diag *d)
{
	(void)c;
	if (P.refuse && mb->alias && mf_strcaseeq(P.refuse, mb->alias))
		return mf_diag_set(d, MF_EREMOTE, NULL, MF_NO_OFFSET,
				   "the admin cannot act for '%s' (permission denied); fix: give the "
				   "admin account the right to act for this mailbox", mb->alias);
	return MF_OK;
}

static int p_begin(struct mf_export_ctx *c, const struct mf_mailbox *mb, const char *const *f,
		   size_t nf, struct mf_diag *d)
{
	char safe[128];
	(void)c;
	(void)f;
	(void)nf;
	mf_safe_filename(safe, sizeof(safe), mb->alias, 64, "mailbox");
	snprintf(P.mbdir, sizeof(P.mbdir), "%s/%s", P.dir, safe);
	logline("begin %s %d\n", safe, (int)getpid());
	return mf_mkdirs(P.mbdir, 0755, d);
}

static void content(struct mf_buf *b, const struct mf_mailbox *mb, const struct mf_message *m)
{
	mf_buf_addf(b, "id: %lld\nmailbox: %s\nsubject: %s\n", (long long)m->id,
		    mb->alias ? mb->alias : "", m->subject ? m->subject : "");
}

static int p_put(struct mf_export_ctx *c, const struct mf_mailbox *mb, const struct mf_message *m,
		 struct mf_put_result *res, struct mf_diag *d)
{
	char path[PATH_MAX + 256], tmp[PATH_MAX + 288];
	struct mf_buf b;
	int fd, rc = MF_OK;
	(void)c;

	if (P.delay_ms) {
		struct timespec ts = { P.delay_ms / 1000, (long)(P.delay_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	snprintf(path, sizeof(path), "%s/%lld.msg", P.mbdir, (long long)m->id);
	snprintf(tmp, sizeof(tmp), "%s/.%lld.msg.tmp.%d", P.mbdir, (long long)m->id, (int)getpid());
	mf_buf_init(&b, 1 << 20);
	content(&b, mb, m);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, b.data, b.len) != (ssize_t)b.len) {
		rc = mf_diag_errno(d, MF_EIO, tmp, "cannot write");
		if (fd >= 0)
			close(fd);
		mf_buf_release(&b);
		return rc;
	}
	close(fd);
	if (P.die_after >= 0 && P.puts == P.die_after && !P.die_renamed)
		raise(SIGKILL);
	if (rename(tmp, path) != 0) {
		mf_buf_release(&b);
		return mf_diag_errno(d, MF_EIO, path, "cannot rename into place");
	}
	logline("put %lld %d\n", (long long)m->id, (int)getpid());
	if (P.die_after >= 0 && P.puts == P.die_after)
		raise(SIGKILL);
	P.puts++;
	res->state = MF_PUT_DELIVERED;
	snprintf(res->remote_id, sizeof(res->remote_id), "%s",
		 path + strlen(P.dir) + 1);
	res->bytes = (int64_t)b.len;
	mf_buf_release(&b);
	return MF_OK;
}

static int p_end(struct mf_export_ctx *c, const struct mf_mailbox *mb, int failed, struct mf_diag *d)
{
	(void)c;
	(void)mb;
	(void)failed;
	(void)d;
	return MF_OK;
}

static void p_close(struct mf_export_ctx **c)
{
	*c = NULL;
}

static const struct mf_exporter probe_exporter = {
	.name = "probe", .summary = "test exporter: one file per message", .caps = MF_EXP_MESSAGES,
	.open = p_open, .target = p_target, .check_mailbox = p_check, .mailbox_begin = p_begin,
	.put_message = p_put, .mailbox_end = p_end, .close = p_close,
};

/* ---- fixture ---- */

static int die(const char *what, const struct mf_diag *d)
{
	char line[1200];
	fprintf(stderr, "export-probe: %s: %s\n", what, mf_diag_format(d, line, sizeof(line)));
	return 3;
}

static int fixture(const char *db, int nmb, int nmsg)
{
	static const char *const names[][3] = {
		{ "Lindqvist, Anna", "Anna", "Lindqvist" },
		{ "Brenner, Paul", "Paul", "Brenner" },
		{ "Okafor, Chidi", "Chidi", "Okafor" },
	};
	struct mf_store *st;
	struct mf_diag d;
	struct mf_source_info src;
	int64_t sid, fid;
	enum mf_file_state fs;
	char sha[65];

	mf_diag_clear(&d);
	if (mf_store_open(&st, db, MF_STORE_CREATE, &d) < 0)
		return die(db, &d);
	memset(&src, 0, sizeof(src));
	src.format = "ccmail";
	src.path = "/sets/SALES01";
	src.postoffice = "SALES01";
	src.codepage = "CP850";
	src.timezone = "Europe/Stockholm";
	if (mf_store_begin(st, &d) < 0 || mf_store_source(st, &sid, &src, &d) < 0)
		return die("source", &d);
	memset(sha, 'a', 64);
	sha[64] = '\0';
	if (mf_store_file_begin(st, &fid, &fs, sid, "mail", "MAIL.TXT", 1000, sha, "CP850", 0, &d) < 0)
		return die("file", &d);
	for (int i = 0; i < nmb; i++) {
		struct mf_mailbox mb;
		char name[64], given[32], sur[32], addr[128];
		int64_t id, inbox, proj;
		memset(&mb, 0, sizeof(mb));
		if (i < 3) {
			snprintf(name, sizeof(name), "%s", names[i][0]);
			snprintf(given, sizeof(given), "%s", names[i][1]);
			snprintf(sur, sizeof(sur), "%s", names[i][2]);
		} else {
			snprintf(name, sizeof(name), "User%02d, Test", i);
			snprintf(given, sizeof(given), "Test");
			snprintf(sur, sizeof(sur), "User%02d", i);
		}
		snprintf(addr, sizeof(addr), "CCMAIL:%s at SALES01", name);
		mb.kind = "mailbox";
		mb.name = name;
		mb.display_name = name;
		mb.given_name = given;
		mb.surname = sur;
		mb.address_type = "CCMAIL";
		mb.source_address = addr;
		mb.in_directory = 1;
		if (mf_store_mailbox(st, &id, NULL, sid, &mb, &d) < 0)
			return die("mailbox", &d);
		if (i == 2)
			continue; /* no mail exported for this one */
		mf_store_mail_file(st, id, fid, &d);
		mf_store_folder(st, &inbox, id, "Inbox", "Inbox", "inbox", &d);
		mf_store_folder(st, &proj, id, "Projects\\Q2", "Projects\\Q2", NULL, &d);
		for (int k = 0; k < nmsg; k++) {
			struct mf_message m;
			struct mf_recipient r;
			struct mf_body_part bp;
			char subj[128], raw[256];
			int64_t mid;
			int64_t off = (int64_t)i * 100000 + k * 100;
			memset(&m, 0, sizeof(m));
			memset(&r, 0, sizeof(r));
			memset(&bp, 0, sizeof(bp));
			snprintf(subj, sizeof(subj), "message %d of %s", k, name);
			snprintf(raw, sizeof(raw), "Message:\r\nSubject: %s\r\n", subj);
			m.mailbox_id = id;
			m.folder_id = k % 3 ? inbox : proj;
			m.src_file_id = fid;
			m.src_offset = off;
			m.src = raw;
			m.src_length = (int64_t)strlen(raw);
			m.raw_header = raw;
			m.raw_header_len = strlen(raw);
			m.subject = subj;
			m.sender_raw = "Brenner, Paul at SALES01";
			m.has_sent = 1;
			m.sent_utc = 858330900 + off;
			r.role = "to";
			r.raw = "Somebody, Unknown at ELSEWHERE";
			m.recipients = &r;
			m.n_recipients = 1;
			bp.kind = "text";
			bp.text = "hello\r\n";
			bp.text_len = 7;
			bp.raw = "hello\r\n";
			bp.raw_len = 7;
			bp.src_offset = -1;
			m.bodies = &bp;
			m.n_bodies = 1;
			if (mf_store_message(st, &mid, &m, &d) < 0)
				return die("message", &d);
		}
	}
	{
		struct mf_dir_entry e;
		int64_t lid;
		memset(&e, 0, sizeof(e));
		e.kind = "custom";
		e.name = "Doe, Jane";
		e.display_name = "Jane Doe";
		e.address_type = "SMTP";
		e.address = "jdoe@example.com";
		e.src_offset = -1;
		if (mf_store_dir_entry(st, NULL, sid, &e, &d) < 0)
			return die("custom recipient", &d);
		e.name = "Sales Team";
		e.display_name = "Sales Team";
		e.kind = "list";
		e.address_type = NULL;
		e.address = NULL;
		if (mf_store_dir_entry(st, &lid, sid, &e, &d) < 0 ||
		    mf_store_list_member(st, lid, 0, "Lindqvist, Anna at SALES01", 0, &d) < 0)
			return die("list", &d);
	}
	if (mf_store_file_end(st, fid, "done", 0, 0, &d) < 0 || mf_store_commit(st, &d) < 0)
		return die("commit", &d);
	mf_store_close(&st);
	return 0;
}

/* ---- export ---- */

static int do_export(const char *db, const char *dir, int argc, char **argv)
{
	struct mf_export_opts o;
	struct mf_export_summary sum;
	struct mf_store *st;
	struct mf_diag d;
	const char *sel[16];
	size_t nsel = 0;
	struct mf_diag d2;
	int rc, exitc;

	memset(&o, 0, sizeof(o));
	o.out = dir;
	o.quiet = 1;
	o.lease_timeout = 120;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--wait"))
			o.wait = 1;
		else if (!strcmp(a, "--force"))
			o.force = 1;
		else if (!strcmp(a, "--delay-ms") && v)
			P.delay_ms = atoi(argv[++i]);
		else if (!strcmp(a, "--lease-timeout") && v)
			o.lease_timeout = atoi(argv[++i]);
		else if (!strcmp(a, "--refuse") && v)
			P.refuse = argv[++i];
		else if (!strcmp(a, "--die-after") && v)
			P.die_after = atol(argv[++i]);
		else if (!strcmp(a, "--die-phase") && v)
			P.die_renamed = !strcmp(argv[++i], "renamed");
		else if (!strcmp(a, "--mailbox") && v && nsel < 16)
			sel[nsel++] = argv[++i];
		else if (!strcmp(a, "--log") && v) {
			P.logfd = open(argv[++i], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
			if (P.logfd < 0) {
				perror(argv[i]);
				return 2;
			}
		} else {
			fprintf(stderr, "export-probe: unknown option '%s'\n", a);
			return 2;
		}
	}
	o.mailboxes = sel;
	o.n_mailboxes = nsel;
	mf_diag_clear(&d);
	if (mf_store_open(&st, db, 0, &d) < 0)
		return die(db, &d);
	rc = mf_export_run(st, &probe_exporter, &o, &sum, &d);
	mf_export_summary_json_print(stdout, st, &sum, "probe", P.target, &d2);
	putchar('\n');
	if (rc < 0 && rc != MF_EBUSY && d.code != MF_OK) {
		char line[1200];
		fprintf(stderr, "export-probe: %s\n", mf_diag_format(&d, line, sizeof(line)));
	}
	if (rc == MF_OK)
		exitc = (sum.failed || sum.mailboxes_failed) ? 1 : 0;
	else if (rc == MF_EBUSY || (rc < 0 && sum.started && rc != MF_ESTORE))
		exitc = 1;
	else
		exitc = 3;
	mf_export_summary_release(&sum);
	mf_store_close(&st);
	if (P.logfd >= 0)
		close(P.logfd);
	return exitc;
}

/* ---- verify ---- */

static int count_msg_files(const char *dir, long *n)
{
	DIR *top = opendir(dir);
	struct dirent *e;
	if (!top)
		return -1;
	while ((e = readdir(top)) != NULL) {
		char sub[PATH_MAX + 260];
		DIR *md;
		struct dirent *f;
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		if (!(md = opendir(sub)))
			continue;
		while ((f = readdir(md)) != NULL) {
			size_t l = strlen(f->d_name);
			if (f->d_name[0] != '.' && l > 4 && !strcmp(f->d_name + l - 4, ".msg"))
				(*n)++;
		}
		closedir(md);
	}
	closedir(top);
	return 0;
}

static int verify(const char *db, const char *dir)
{
	struct mf_store *st;
	struct mf_diag d;
	sqlite3_stmt *s;
	char real[PATH_MAX], target[PATH_MAX + 16];
	long staged = 0, files = 0, bad = 0;

	mf_diag_clear(&d);
	if (mf_store_open(&st, db, 0, &d) < 0)
		return die(db, &d);
	if (!realpath(dir, real)) {
		perror(dir);
		return 3;
	}
	snprintf(target, sizeof(target), "probe:%s", real);
	if (sqlite3_prepare_v2(mf_store_db(st),
			       "SELECT g.id, m.alias, g.subject, "
			       "(SELECT count(*) FROM deliveries d WHERE d.target = ?1 AND d.item_kind = 'message' "
			       " AND d.item_id = g.id AND d.status = 'delivered'), "
			       "(SELECT remote_id FROM deliveries d WHERE d.target = ?1 AND d.item_kind = 'message' "
			       " AND d.item_id = g.id) "
			       "FROM messages g JOIN mailboxes m ON m.id = g.mailbox_id WHERE g.parent_id IS NULL "
			       "ORDER BY g.id", -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "export-probe: %s\n", sqlite3_errmsg(mf_store_db(st)));
		return 3;
	}
	sqlite3_bind_text(s, 1, target, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(s) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(s, 0);
		const char *alias = (const char *)sqlite3_column_text(s, 1);
		const char *subj = (const char *)sqlite3_column_text(s, 2);
		int rows = sqlite3_column_int(s, 3);
		const char *rid = (const char *)sqlite3_column_text(s, 4);
		char path[PATH_MAX + 64], want[512], expect_rid[128];
		char *got = NULL;
		size_t glen = 0;
		struct mf_diag rd;
		staged++;
		snprintf(path, sizeof(path), "%s/%s/%lld.msg", real, alias ? alias : "", id);
		snprintf(want, sizeof(want), "id: %lld\nmailbox: %s\nsubject: %s\n", id,
			 alias ? alias : "", subj ? subj : "");
		snprintf(expect_rid, sizeof(expect_rid), "%s/%lld.msg", alias ? alias : "", id);
		if (mf_read_file(&got, &glen, path, 1 << 20, &rd) < 0) {
			fprintf(stderr, "missing: message %lld (%s)\n", id, path);
			bad++;
		} else if (glen != strlen(want) || memcmp(got, want, glen)) {
			fprintf(stderr, "wrong content: %s\n", path);
			bad++;
		}
		free(got);
		if (rows != 1 || !rid || strcmp(rid, expect_rid)) {
			fprintf(stderr, "ledger: message %lld has %d delivered rows, remote id %s\n", id,
				rows, rid ? rid : "(none)");
			bad++;
		}
	}
	sqlite3_finalize(s);
	if (count_msg_files(real, &files) < 0) {
		perror(real);
		bad++;
	}
	if (files != staged) {
		fprintf(stderr, "the target holds %ld message files, %ld are staged\n", files, staged);
		bad++;
	}
	mf_store_close(&st);
	if (bad)
		return 1;
	printf("ok: %ld messages, each once\n", staged);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "fixture")) {
		int nmb = 4, nmsg = 5;
		for (int i = 3; i + 1 < argc; i += 2) {
			if (!strcmp(argv[i], "--mailboxes"))
				nmb = atoi(argv[i + 1]);
			else if (!strcmp(argv[i], "--messages"))
				nmsg = atoi(argv[i + 1]);
		}
		if (nmb < 3)
			nmb = 3;
		return fixture(argv[2], nmb, nmsg);
	}
	if (argc >= 4 && !strcmp(argv[1], "export"))
		return do_export(argv[2], argv[3], argc - 4, argv + 4);
	if (argc == 4 && !strcmp(argv[1], "verify"))
		return verify(argv[2], argv[3]);
	fprintf(stderr, "usage: export-probe fixture DB [--mailboxes N] [--messages M]\n"
			"       export-probe export DB DIR [options]\n"
			"       export-probe verify DB DIR\n");
	return 2;
}
