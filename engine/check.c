/* SPDX-License-Identifier: MIT */
/* check.c: the preflight check (see check.h). */
#include "engine/check.h"
#include "core/json.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void mf_check_report_init(struct mf_check_report *r)
{
	memset(r, 0, sizeof(*r));
}

void mf_check_report_release(struct mf_check_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->items[i].alias);
		free(r->items[i].text);
	}
	free(r->items);
	memset(r, 0, sizeof(*r));
}

#define add mf_check_report_add

void mf_check_report_add(struct mf_check_report *r, enum mf_severity sev, const char *code,
			 const struct mf_mailbox *mb, const char *fmt, ...)
{
	struct mf_check_item *it;
	struct mf_buf b;
	va_list ap;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->items = mf_xreallocarray(r->items, r->cap, sizeof(*r->items));
	}
	it = &r->items[r->n++];
	memset(it, 0, sizeof(*it));
	it->severity = sev;
	it->code = code;
	if (mb) {
		it->mailbox_id = mb->id;
		it->alias = mf_xstrdup(mb->alias ? mb->alias : mb->name);
	}
	mf_buf_init(&b, 16384);
	va_start(ap, fmt);
	mf_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	it->text = mf_buf_detach(&b, NULL);
	if (sev == MF_ERROR)
		r->errors++;
	else if (sev == MF_WARNING)
		r->warnings++;
	else
		r->infos++;
}

static const char *who(const struct mf_mailbox *mb, char *buf, size_t len)
{
	snprintf(buf, len, "mailbox '%s' (%s <%s>)", mb->alias ? mb->alias : "(no alias)",
		 mb->name ? mb->name : "", mb->source_address ? mb->source_address : "");
	return buf;
}

static const char SQL_SECTION[] = "SELECT count(*) FROM mail_sections WHERE mailbox_id = ?1";
static const char SQL_FILES[] =
	"SELECT f.path, f.state, s.path FROM source_files f JOIN sources s ON s.id = f.source_id "
	"WHERE f.state <> 'done' AND (f.mailbox_id = ?1 OR f.id = "
	"(SELECT mail_file_id FROM mail_sections WHERE mailbox_id = ?1)) ORDER BY f.id";
static const char SQL_UNRESOLVED[] =
	"SELECT count(*), ifnull(sum(r.address IS NULL), 0), count(DISTINCT r.message_id), min(r.raw) "
	"FROM messages g JOIN recipients r ON r.message_id = g.id "
	"WHERE g.mailbox_id = ?1 AND r.entry_id IS NULL";
static const char SQL_LIST_UNRESOLVED[] =
	"SELECT count(*), count(DISTINCT m.list_id), min(l.name || ': ' || m.address) "
	"FROM list_members m JOIN dir_entries l ON l.id = m.list_id WHERE m.entry_id IS NULL";
static const char SQL_SKIPPED[] =
	"SELECT count(*), min(e.name) FROM plan_recipients p JOIN dir_entries e ON e.id = p.entry_id "
	"WHERE p.action = 'skip'";
static const char SQL_LEASE_OF[] =
	"SELECT r.id, r.host, r.pid, r.heartbeat_at, r.status FROM leases l JOIN runs r ON r.id = l.run_id "
	"WHERE l.mailbox_id = ?1 AND l.target = ?2";

static int mailbox_checks(struct mf_store *st, const struct mf_mailbox *mb,
			  const struct mf_export_opts *opts, struct mf_check_report *rep,
			  struct mf_arena *arena, struct mf_diag *diag)
{
	char w[1024];
	sqlite3_stmt *s;
	struct mf_plan_entry pe;
	int rc, step;

	who(mb, w, sizeof(w));
	/* the mail section */
	if (!(s = mf_store_stmt(st, SQL_SECTION, diag)))
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mb->id);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW && sqlite3_column_int64(s, 0) == 0)
		add(rep, MF_ERROR, "check.no-mail-section", mb,
		    "%s has no mail section, so the target would not get its mailbox; fix: run "
		    "the import of its post office again", w);
	sqlite3_reset(s);
	if (step != SQLITE_ROW)
		return mf_store_fail(st, diag, "cannot read mail sections");
	/* its files */
	if (!(s = mf_store_stmt(st, SQL_FILES, diag)))
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mb->id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(s, 0);
		const char *state = (const char *)sqlite3_column_text(s, 1);
		const char *src = (const char *)sqlite3_column_text(s, 2);
		if (state && !strcmp(state, "failed"))
			add(rep, MF_WARNING, "check.import-failed", mb,
			    "%s: its file '%s' of %s could not be read (see the problems of the import); "
			    "what was staged from it is exported", w, path ? path : "", src ? src : "");
		else
			add(rep, MF_ERROR, "check.import-unfinished", mb,
			    "%s: the import of its file '%s' of %s did not finish, so its mail is "
			    "incomplete; fix: run the same import again (it resumes)", w,
			    path ? path : "", src ? src : "");
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot read source files");
	/* the plan */
	if ((rc = mf_plan_mailbox_action(st, &pe, mb->id, arena, diag)) < 0)
		return rc;
	if (pe.action == MF_PLAN_CONFLICT)
		add(rep, MF_ERROR, "check.plan-conflict", mb, "%s (%s)",
		    pe.message ? pe.message : w, pe.conflict ? pe.conflict : "plan conflict");
	/* recipients */
	if (opts && opts->no_mail)
		return MF_OK;
	if (!(s = mf_store_stmt(st, SQL_UNRESOLVED, diag)))
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mb->id);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW && sqlite3_column_int64(s, 0) > 0) {
		long long n = sqlite3_column_int64(s, 0), noaddr = sqlite3_column_int64(s, 1);
		long long msgs = sqlite3_column_int64(s, 2);
		const char *ex = (const char *)sqlite3_column_text(s, 3);
		add(rep, MF_WARNING, "check.unresolved-recipients", mb,
		    "%s: %lld recipients of %lld messages are not in the directory (for example "
		    "'%s'); they keep their address as written", w, n, msgs, ex ? ex : "");
		if (noaddr)
			add(rep, MF_WARNING, "check.unaddressed-recipients", mb,
			    "%s: %lld recipients have no address at all, only a name; the target "
			    "shows them as written but cannot reply to them", w, noaddr);
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW)
		return mf_store_fail(st, diag, "cannot count recipients");
	return MF_OK;
}

/* Has pid exited?  It does not exist, or it is a zombie (Linux /proc). */
static int pid_gone(int64_t pid)
{
	char path[64], buf[512];
	FILE *f;
	size_t n;
	const char *rp;

	if (pid <= 0)
		return 0;
	if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%lld/stat", (long long)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) S ...": the state follows the last ')' */
	rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
}

int mf_run_owner_gone(const char *host, int64_t pid, int64_t heartbeat,
		      const char *status, int timeout)
{
	char me[256];

	if (status && strcmp(status, "running") != 0)
		return 1;
	if (gethostname(me, sizeof(me)) != 0)
		snprintf(me, sizeof(me), "localhost");
	me[sizeof(me) - 1] = '\0';
	if (host && !strcmp(host, me) && pid_gone(pid))
		return 1;
	return mf_now() - heartbeat > (timeout > 0 ? timeout : 120);
}

int mf_check_run(struct mf_store *st, const struct mf_mailbox *mbs, size_t n,
		 const struct mf_exporter *exp, struct mf_export_ctx *ctx,
		 const char *target, const struct mf_export_opts *opts,
		 struct mf_check_report *rep, struct mf_diag *diag)
{
	struct mf_arena arena = MF_ARENA_INIT;
	sqlite3_stmt *s;
	int rc = MF_OK, step;

	if ((rc = mf_plan_ensure(st, &rep->plan, diag)) < 0)
		return rc;
	for (size_t i = 0; i < n && rc == MF_OK; i++) {
		const struct mf_mailbox *mb = &mbs[i];
		mf_arena_reset(&arena);
		rep->mailboxes++;
		rc = mailbox_checks(st, mb, opts, rep, &arena, diag);
		if (rc < 0)
			break;
		if (target && (s = mf_store_stmt(st, SQL_LEASE_OF, diag)) != NULL) {
			sqlite3_bind_int64(s, 1, mb->id);
			mf_store_bind_text(s, 2, target);
			if (sqlite3_step(s) == SQLITE_ROW) {
				int timeout = opts && opts->lease_timeout > 0 ? opts->lease_timeout : 120;
				long long run = sqlite3_column_int64(s, 0);
				const char *host = (const char *)sqlite3_column_text(s, 1);
				long long pid = sqlite3_column_int64(s, 2);
				if (!mf_run_owner_gone(host, pid, sqlite3_column_int64(s, 3),
						       (const char *)sqlite3_column_text(s, 4), timeout))
					add(rep, MF_INFO, "check.leased", mb,
					    "mailbox '%s' is being exported to this target by run %lld "
					    "(pid %lld on %s); an export now skips it, or waits with --wait",
					    mb->alias ? mb->alias : mb->name, run, pid, host ? host : "?");
			}
			sqlite3_reset(s);
		}
		if (exp && ctx && exp->check_mailbox) {
			struct mf_diag d;
			char line[1200];
			mf_diag_clear(&d);
			rep->target_checked++;
			if (exp->check_mailbox(ctx, mb, &d) < 0)
				add(rep, MF_ERROR, "check.target-refused", mb,
				    "mailbox '%s' (%s): the target cannot take it: %s",
				    mb->alias ? mb->alias : "(no alias)", mb->name ? mb->name : "",
				    d.msg[0] ? mf_diag_format(&d, line, sizeof(line)) : "no reason given");
		}
	}
	mf_arena_release(&arena);
	if (rc < 0)
		return rc;
	/* once for the whole store */
	if (!(s = mf_store_stmt(st, SQL_LIST_UNRESOLVED, diag)))
		return MF_ESTORE;
	step = sqlite3_step(s);
	if (step == SQLITE_ROW && sqlite3_column_int64(s, 0) > 0) {
		const char *ex = (const char *)sqlite3_column_text(s, 2);
		add(rep, MF_WARNING, "check.unresolved-list-members", NULL,
		    "%lld members of %lld lists are not in the directory (for example '%s'); "
		    "they are kept as written", (long long)sqlite3_column_int64(s, 0),
		    (long long)sqlite3_column_int64(s, 1), ex ? ex : "");
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW)
		return mf_store_fail(st, diag, "cannot count list members");
	if (!(s = mf_store_stmt(st, SQL_SKIPPED, diag)))
		return MF_ESTORE;
	step = sqlite3_step(s);
	if (step == SQLITE_ROW && sqlite3_column_int64(s, 0) > 0) {
		const char *ex = (const char *)sqlite3_column_text(s, 1);
		add(rep, MF_WARNING, "check.recipients-skipped", NULL,
		    "%lld custom recipients or lists cannot be created on the target (for example "
		    "'%s': no address or no alias); see 'mailferry plan'",
		    (long long)sqlite3_column_int64(s, 0), ex ? ex : "");
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW)
		return mf_store_fail(st, diag, "cannot count plan");
	if (rep->plan.map_unused)
		add(rep, MF_WARNING, "check.alias-map-unused", NULL,
		    "%lld lines of the alias map name no mailbox (or more than one) now; they are "
		    "not used; fix: give 'mailferry plan --alias-map FILE' a corrected map",
		    (long long)rep->plan.map_unused);
	return MF_OK;
}

int mf_check_report_json(struct mf_buf *b, const struct mf_check_report *r)
{
	mf_buf_addch(b, '{');
	mf_json_key(b, "ok", 1);
	mf_buf_addstr(b, r->errors ? "false" : "true");
	mf_json_kv_int(b, "errors", r->errors, 0);
	mf_json_kv_int(b, "warnings", r->warnings, 0);
	mf_json_kv_int(b, "infos", r->infos, 0);
	mf_json_kv_int(b, "mailboxes", r->mailboxes, 0);
	mf_json_kv_int(b, "target_checked", r->target_checked, 0);
	mf_json_key(b, "items", 0);
	mf_buf_addch(b, '[');
	for (size_t i = 0; i < r->n; i++) {
		const struct mf_check_item *it = &r->items[i];
		if (i)
			mf_buf_addch(b, ',');
		mf_buf_addch(b, '{');
		mf_json_kv_str(b, "severity", mf_severity_name(it->severity), 1);
		mf_json_kv_str(b, "code", it->code, 0);
		mf_json_kv_str(b, "alias", it->alias, 0);
		mf_json_kv_str(b, "text", it->text, 0);
		mf_buf_addch(b, '}');
	}
	mf_buf_addch(b, ']');
	return mf_buf_addch(b, '}');
}

void mf_check_report_print(FILE *f, const struct mf_check_report *r)
{
	for (int sev = MF_ERROR; sev >= MF_INFO; sev--)
		for (size_t i = 0; i < r->n; i++)
			if ((int)r->items[i].severity == sev)
				fprintf(f, "%-7s %-30s %s\n", mf_severity_name(r->items[i].severity),
					r->items[i].code, r->items[i].text);
}
