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
	it->ord = r->cur_ord;
	it->seq = r->n - 1;
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

struct files_ctx {
	struct mf_check_report *rep;
	const struct mf_mailbox *mb;
	const char *who;
};

static void on_file(void *arg, const char *path, const char *state, const char *src)
{
	struct files_ctx *fc = arg;
	if (state && !strcmp(state, "failed"))
		add(fc->rep, MF_WARNING, "check.import-failed", fc->mb,
		    "%s: its file '%s' of %s could not be read (see the problems of the import); "
		    "what was staged from it is exported", fc->who, path ? path : "", src ? src : "");
	else
		add(fc->rep, MF_ERROR, "check.import-unfinished", fc->mb,
		    "%s: the import of its file '%s' of %s did not finish, so its mail is "
		    "incomplete; fix: run the same import again (it resumes)", fc->who,
		    path ? path : "", src ? src : "");
}

static int mailbox_checks(struct mf_store *st, const struct mf_mailbox *mb,
			  const struct mf_export_opts *opts, struct mf_check_report *rep,
			  struct mf_arena *arena, struct mf_diag *diag)
{
	char w[1024];
	struct mf_plan_entry pe;
	struct mf_store_unresolved u;
	struct files_ctx fc;
	int64_t sections;
	int rc;

	who(mb, w, sizeof(w));
	/* the mail section */
	if ((rc = mf_store_mail_sections(st, &sections, mb->id, diag)) < 0)
		return rc;
	if (sections == 0)
		add(rep, MF_ERROR, "check.no-mail-section", mb,
		    "%s has no mail section, so the target would not get its mailbox; fix: run "
		    "the import of its post office again", w);
	/* its files */
	fc.rep = rep;
	fc.mb = mb;
	fc.who = w;
	if ((rc = mf_store_files_not_done(st, mb->id, on_file, &fc, diag)) < 0)
		return rc;
	/* the plan */
	if ((rc = mf_plan_mailbox_action(st, &pe, mb->id, arena, diag)) < 0)
		return rc;
	if (pe.action == MF_PLAN_CONFLICT)
		add(rep, MF_ERROR, "check.plan-conflict", mb, "%s (%s)",
		    pe.message ? pe.message : w, pe.conflict ? pe.conflict : "plan conflict");
	/* recipients */
	if (opts && opts->no_mail)
		return MF_OK;
	if ((rc = mf_store_unresolved_recipients(st, &u, mb->id, arena, diag)) < 0)
		return rc;
	if (u.n > 0) {
		add(rep, MF_WARNING, "check.unresolved-recipients", mb,
		    "%s: %lld recipients of %lld messages are not in the directory (for example "
		    "'%s'); they keep their address as written", w, (long long)u.n,
		    (long long)u.groups, u.example ? u.example : "");
		if (u.no_address)
			add(rep, MF_WARNING, "check.unaddressed-recipients", mb,
			    "%s: %lld recipients have no address at all, only a name; the target "
			    "shows them as written but cannot reply to them", w, (long long)u.no_address);
	}
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

static int cmp_item(const void *a, const void *b)
{
	const struct mf_check_item *x = a, *y = b;
	if (x->ord != y->ord)
		return x->ord < y->ord ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

int mf_check_run(struct mf_store *st, const int64_t *ids, const uint32_t *walk, size_t n,
		 const struct mf_exporter *exp, struct mf_export_ctx *ctx,
		 const char *target, const struct mf_export_opts *opts,
		 struct mf_check_report *rep, struct mf_diag *diag)
{
	struct mf_arena arena = MF_ARENA_INIT;
	struct mf_store_lease l;
	struct mf_store_unresolved u;
	int rc = MF_OK;

	if (!rep->plan_current && (rc = mf_plan_ensure(st, &rep->plan, diag)) < 0)
		return rc;
	for (size_t k = 0; k < n && rc == MF_OK; k++) {
		size_t i = walk ? walk[k] : k;
		struct mf_mailbox mbx;
		const struct mf_mailbox *mb = &mbx;
		int leased;
		rep->cur_ord = 1 + (uint64_t)i;
		mf_arena_reset(&arena);
		/* one mailbox's reads under one lock, not one per statement; ended
		 * before the target is asked, which may take its time */
		if ((rc = mf_store_read_begin(st, diag)) < 0)
			break;
		rc = mf_store_mailbox_load(st, &mbx, ids[i], &arena, diag);
		if (rc == MF_ENOTFOUND) {
			/* gone since the selection */
			mf_store_read_end(st);
			mf_diag_clear(diag);
			rc = MF_OK;
			continue;
		}
		if (rc == MF_OK) {
			rep->mailboxes++;
			rc = mailbox_checks(st, mb, opts, rep, &arena, diag);
		}
		leased = rc == MF_OK && target &&
			 mf_store_lease_get(st, &l, mb->id, target, NULL) == 1;
		mf_store_read_end(st);
		if (rc < 0)
			break;
		if (leased) {
			int timeout = opts && opts->lease_timeout > 0 ? opts->lease_timeout : 120;
			const char *host = l.has_host ? l.host : NULL;
			if (!mf_run_owner_gone(host, l.pid, l.heartbeat, l.has_status ? l.status : NULL,
					       timeout))
				add(rep, MF_INFO, "check.leased", mb,
				    "mailbox '%s' is being exported to this target by run %lld "
				    "(pid %lld on %s); an export now skips it, or waits with --wait",
				    mb->alias ? mb->alias : mb->name, (long long)l.run_id,
				    (long long)l.pid, host ? host : "?");
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
	rep->cur_ord = UINT64_MAX;
	/* the items in the selection's order, whatever the walk */
	if (walk && rep->n > 1)
		qsort(rep->items, rep->n, sizeof(*rep->items), cmp_item);
	if (rc < 0)
		goto out;
	/* once for the whole store */
	if ((rc = mf_store_unresolved_members(st, &u, &arena, diag)) < 0)
		goto out;
	if (u.n > 0)
		add(rep, MF_WARNING, "check.unresolved-list-members", NULL,
		    "%lld members of %lld lists are not in the directory (for example '%s'); "
		    "they are kept as written", (long long)u.n, (long long)u.groups,
		    u.example ? u.example : "");
	if ((rc = mf_store_plan_skipped(st, &u, &arena, diag)) < 0)
		goto out;
	if (u.n > 0)
		add(rep, MF_WARNING, "check.recipients-skipped", NULL,
		    "%lld custom recipients or lists cannot be created on the target (for example "
		    "'%s': no address or no alias); see 'mailferry plan'",
		    (long long)u.n, u.example ? u.example : "");
	if (rep->plan.map_unused)
		add(rep, MF_WARNING, "check.alias-map-unused", NULL,
		    "%lld lines of the alias map name no mailbox (or more than one) now; they are "
		    "not used; fix: give 'mailferry plan --alias-map FILE' a corrected map",
		    (long long)rep->plan.map_unused);
	rc = MF_OK;
out:
	mf_arena_release(&arena);
	return rc;
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
