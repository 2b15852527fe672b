/* SPDX-License-Identifier: MIT */
/* cmd_status.c: `mailferry status`: what the staging database holds. */
#include "cli/cli.h"
#include "core/extsort.h"
#include "core/json.h"
#include "core/store_views.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cmd_status_help[] =
	"usage: mailferry status --db STAGE [--json]\n"
	"\n"
	"Print one line per mailbox: alias, kind, messages, attachments, calendar\n"
	"items, bytes, its mail section (\"mail\", or \"skipped\" when no mail was\n"
	"exported for it), the display name and source address; then the problem\n"
	"counts.  Every mailbox to migrate is listed, also those with no message.\n"
	"Below a mailbox: its plan when it is not a plain 'create' ('mailferry\n"
	"plan'), and one line per target it was exported to: messages planned\n"
	"(all its messages), delivered and failed there, and whether the mailbox\n"
	"itself was made there.\n"
	"\n"
	"--json prints one object:\n"
	"  {\"mailboxes\":[{\"alias\",\"display_name\",\"source_address\",\"kind\",\n"
	"    \"messages\",\"attachments\",\"calendar_items\",\"bytes\",\"has_mail_section\",\n"
	"    \"mail_skipped\",\"folders\":[{\"path\",\"messages\"}],\n"
	"    \"plan\":{\"action\",\"alias_from\",\"conflict\",\"message\"}|null,\n"
	"    \"targets\":[{\"target\",\"planned\",\"delivered\",\"failed\",\"skipped\",\n"
	"      \"calendar_delivered\",\"mailbox_done\"}]}],\n"
	"   \"problems\":{\"info\",\"warning\",\"error\"}}\n"
	"\n"
	"Exit code 0, or 3 when the database cannot be opened.\n";

/* The plan and the per-target ledger of one mailbox, as JSON members or
 * indented text lines. */
static int plan_and_targets(struct mf_store *st, struct mf_buf *out, int json, int64_t id,
			    long long msgs, struct mf_arena *a, struct mf_diag *d)
{
	struct mf_view_mailbox_plan p;
	struct mf_view_target *t;
	size_t n;
	int found, rc;

	if ((rc = mf_store_view_mailbox_plan(st, id, &found, &p, a, d)) < 0)
		return rc;
	if (json) {
		mf_json_key(out, "plan", 0);
		if (found) {
			mf_buf_addch(out, '{');
			mf_json_kv_str(out, "action", p.action, 1);
			mf_json_kv_str(out, "alias_from", p.alias_from, 0);
			mf_json_kv_str(out, "conflict", p.conflict, 0);
			mf_json_kv_str(out, "message", p.message, 0);
			mf_buf_addch(out, '}');
		} else {
			mf_buf_addstr(out, "null");
		}
	} else if (found) {
		if (p.action && strcmp(p.action, "create"))
			mf_buf_addf(out, "    plan: %s: %s\n", p.action, p.message ? p.message : "");
	}
	if (json) {
		mf_json_key(out, "targets", 0);
		mf_buf_addch(out, '[');
	}
	rc = mf_store_view_targets(st, id, &t, &n, a, d);
	for (size_t i = 0; i < n; i++) {
		if (json) {
			if (i)
				mf_buf_addch(out, ',');
			mf_buf_addch(out, '{');
			mf_json_kv_str(out, "target", t[i].target, 1);
			mf_json_kv_int(out, "planned", msgs, 0);
			mf_json_kv_int(out, "delivered", t[i].delivered, 0);
			mf_json_kv_int(out, "failed", t[i].failed, 0);
			mf_json_kv_int(out, "skipped", t[i].skipped, 0);
			mf_json_kv_int(out, "calendar_delivered", t[i].calendar_items, 0);
			mf_json_key(out, "mailbox_done", 0);
			mf_buf_addstr(out, t[i].completed ? "true" : "false");
			mf_buf_addch(out, '}');
		} else {
			mf_buf_addf(out, "    -> %s: %lld planned, %lld delivered, %lld failed%s%s\n",
				    t[i].target ? t[i].target : "?", msgs, (long long)t[i].delivered,
				    (long long)t[i].failed, t[i].skipped ? ", some skipped" : "",
				    t[i].completed ? "" : " (mailbox not finished)");
		}
	}
	if (json)
		mf_buf_addch(out, ']');
	return rc;
}

static void human(char *out, size_t n, long long v)
{
	if (v >= 10000000)
		snprintf(out, n, "%lld MB", v / 1000000);
	else if (v >= 10000)
		snprintf(out, n, "%lld KB", v / 1000);
	else
		snprintf(out, n, "%lld B", v);
}

/*
 * The listing is in (kind, alias, id) order, the store's rows lie in id
 * order: read in listing order, each mailbox's row, its mail section and
 * its plan were a random page once the store outgrew the page cache (issue
 * 15: 666 page reads at 10,000 mailboxes, 103,000 at 100,000).  So the
 * mailboxes are read in id order, each one's lines formatted at once and
 * appended to a spill file (unlinked, under $TMPDIR), and a small record
 * (its sort key and where its lines are) queued in core/extsort; the
 * records are then read back in listing order and each mailbox's lines
 * copied out.  Memory stays bounded; the lines are the same bytes.  An
 * alias or kind too long for a record (the schema allows none) falls back
 * to the walk in listing order.
 */
#define REC_KIND 8    /* "mailbox", "public" and a NUL */
#define REC_ALIAS 32  /* aliases are at most 20 bytes */
#define REC_RUN 8192  /* records held in memory (about 430 KiB) */
#define SPILL_CHUNK (64 * 1024)

struct status_rec {
	int64_t id;
	uint64_t off;            /* its lines in the spill file */
	uint32_t len;
	uint8_t alias_null, alias_len;
	char kind[REC_KIND];
	char alias[REC_ALIAS];
};

struct status_ctx {
	struct mf_store *st;
	struct mf_buf out;          /* the header until the first mailbox, then the end */
	struct mf_buf mb;           /* one mailbox's lines */
	struct mf_arena a;          /* one mailbox's rows, reset after it */
	struct mf_diag d;
	int json, first;
	long long n_mb, n_msg;
	/* the sorted listing */
	struct mf_extsort *sort;
	struct mf_buf spill;        /* lines not yet written to the spill file */
	char *spill_path;
	int spill_fd;
	uint64_t spill_off;         /* bytes written to the file */
	int unsortable;
};

/* ORDER BY kind, alias COLLATE NOCASE, mailbox_id: kind as bytes, NULL
 * aliases first, NOCASE folding ASCII letters only, a prefix first. */
static int cmp_rec(const void *pa, const void *pb, void *arg)
{
	const struct status_rec *a = pa, *b = pb;
	int c = strcmp(a->kind, b->kind);
	(void)arg;
	if (c)
		return c < 0 ? -1 : 1;
	if (a->alias_null != b->alias_null)
		return a->alias_null ? -1 : 1;
	for (size_t i = 0; i < a->alias_len && i < b->alias_len; i++) {
		int x = (unsigned char)a->alias[i], y = (unsigned char)b->alias[i];
		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return x < y ? -1 : 1;
	}
	if (a->alias_len != b->alias_len)
		return a->alias_len < b->alias_len ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

/* One mailbox's lines (a JSON object without the comma before it) into
 * c->mb. */
static int format_mailbox(struct status_ctx *c, const struct mf_view_mailbox *m)
{
	struct mf_buf *out = &c->mb;
	long long msgs = m->messages;
	int rc;

	c->n_mb++;
	c->n_msg += msgs;
	if (c->json) {
		struct mf_view_folder *f;
		size_t nf;
		mf_buf_addch(out, '{');
		mf_json_kv_str(out, "alias", m->alias, 1);
		mf_json_kv_str(out, "display_name", m->display_name, 0);
		mf_json_kv_str(out, "source_address", m->source_address, 0);
		mf_json_kv_str(out, "kind", m->kind, 0);
		mf_json_kv_int(out, "messages", msgs, 0);
		mf_json_kv_int(out, "attachments", m->attachments, 0);
		mf_json_kv_int(out, "calendar_items", m->calendar_items, 0);
		mf_json_kv_int(out, "bytes", m->bytes, 0);
		mf_json_key(out, "has_mail_section", 0);
		mf_buf_addstr(out, m->has_mail_section ? "true" : "false");
		mf_json_key(out, "mail_skipped", 0);
		mf_buf_addstr(out, m->mail_skipped ? "true" : "false");
		mf_json_key(out, "folders", 0);
		mf_buf_addch(out, '[');
		if ((rc = mf_store_view_folders(c->st, m->id, &f, &nf, &c->a, &c->d)) < 0)
			return rc;
		for (size_t k = 0; k < nf; k++) {
			if (k)
				mf_buf_addch(out, ',');
			mf_buf_addch(out, '{');
			mf_json_kv_str(out, "path", f[k].path, 1);
			mf_json_kv_int(out, "messages", f[k].messages, 0);
			mf_buf_addch(out, '}');
		}
		mf_buf_addch(out, ']');
		if ((rc = plan_and_targets(c->st, out, 1, m->id, msgs, &c->a, &c->d)) < 0)
			return rc;
		mf_buf_addch(out, '}');
	} else {
		char hb[32];
		human(hb, sizeof(hb), m->bytes);
		mf_buf_addf(out, "%-20s %-7s %8lld %6lld %8lld %9s %-7s %s <%s>\n",
			    m->alias ? m->alias : "(none)", m->kind, msgs,
			    (long long)m->attachments, (long long)m->calendar_items, hb,
			    !m->has_mail_section ? "MISSING" : m->mail_skipped ? "skipped" : "mail",
			    m->display_name ? m->display_name : "",
			    m->source_address ? m->source_address : "");
		if ((rc = plan_and_targets(c->st, out, 0, m->id, msgs, &c->a, &c->d)) < 0)
			return rc;
	}
	mf_arena_reset(&c->a);
	return MF_OK;
}

/* A mailbox's lines to stdout, after the header or the comma before it. */
static void emit(struct status_ctx *c, const char *data, size_t len)
{
	if (c->out.len)
		fwrite(c->out.data, 1, c->out.len, stdout);
	c->out.len = 0;
	if (c->json && !c->first)
		fputc(',', stdout);
	c->first = 0;
	fwrite(data, 1, len, stdout);
}

/* One mailbox's lines, written out before the next is read (the walk in
 * listing order): memory does not grow with the number of mailboxes. */
static int status_mailbox(void *ctx, const struct mf_view_mailbox *m)
{
	struct status_ctx *c = ctx;
	int rc;

	c->mb.len = 0;
	if ((rc = format_mailbox(c, m)) < 0)
		return rc;
	emit(c, c->mb.data, c->mb.len);
	c->mb.len = 0;
	return MF_OK;
}

static int spill_flush(struct status_ctx *c)
{
	size_t done = 0;
	while (done < c->spill.len) {
		ssize_t w = pwrite(c->spill_fd, c->spill.data + done, c->spill.len - done,
				   (off_t)(c->spill_off + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return mf_diag_errno(&c->d, MF_EIO, c->spill_path,
					     "cannot write the listing's spill file");
		done += (size_t)w;
	}
	c->spill_off += done;
	c->spill.len = 0;
	return MF_OK;
}

/* The walk in id order: the lines to the spill file, the record queued. */
static int status_queue(void *ctx, const struct mf_view_mailbox *m)
{
	struct status_ctx *c = ctx;
	struct status_rec r;
	size_t klen = m->kind ? strlen(m->kind) : 0;
	size_t alen = m->alias ? strlen(m->alias) : 0;
	int rc;

	if (c->unsortable)
		return MF_OK;
	if (!m->kind || klen >= REC_KIND || alen > REC_ALIAS || c->spill_off > (UINT64_MAX >> 1)) {
		c->unsortable = 1;
		return MF_OK;
	}
	memset(&r, 0, sizeof(r));
	r.id = m->id;
	memcpy(r.kind, m->kind, klen);
	r.alias_null = m->alias == NULL;
	r.alias_len = (uint8_t)alen;
	if (alen)
		memcpy(r.alias, m->alias, alen);
	c->mb.len = 0;
	if ((rc = format_mailbox(c, m)) < 0)
		return rc;
	if (c->mb.len > UINT32_MAX) {
		c->unsortable = 1;
		return MF_OK;
	}
	r.off = c->spill_off + c->spill.len;
	r.len = (uint32_t)c->mb.len;
	mf_buf_add(&c->spill, c->mb.data, c->mb.len);
	c->mb.len = 0;
	if (c->spill.len >= SPILL_CHUNK && (rc = spill_flush(c)) < 0)
		return rc;
	return mf_extsort_add(c->sort, &r, &c->d);
}

/* Reading the spill file back: a few blocks kept, as the listing's order
 * and the ids often run together (runs of namesakes staged in a row). */
#define BLOCK_SIZE (32 * 1024)
#define BLOCKS 8

struct spill_blocks {
	uint8_t *data;              /* BLOCKS * BLOCK_SIZE */
	uint64_t at[BLOCKS];        /* each block's offset in the file */
	size_t have[BLOCKS];        /* its bytes (0: empty) */
	uint64_t used[BLOCKS], tick;
};

static int pread_all(struct status_ctx *c, uint8_t *p, size_t n, uint64_t off, size_t *got)
{
	*got = 0;
	while (*got < n) {
		ssize_t r = pread(c->spill_fd, p + *got, n - *got, (off_t)(off + *got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return mf_diag_errno(&c->d, MF_EIO, c->spill_path,
					     "cannot read the listing's spill file");
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	return MF_OK;
}

/* The bytes [off, off + len) of the spill file into dst. */
static int spill_read(struct status_ctx *c, struct spill_blocks *b, uint8_t *dst, uint64_t off,
		      size_t len)
{
	uint64_t start = off - off % BLOCK_SIZE;
	size_t k, got;
	int rc;

	if (off + len > start + BLOCK_SIZE) {
		/* across a block's end: read at once */
		if ((rc = pread_all(c, dst, len, off, &got)) < 0)
			return rc;
		goto check;
	}
	for (k = 0; k < BLOCKS; k++)
		if (b->have[k] && b->at[k] == start)
			break;
	if (k == BLOCKS) {
		k = 0;
		for (size_t i = 1; i < BLOCKS; i++)
			if (b->used[i] < b->used[k])
				k = i;
		b->have[k] = 0;
		if ((rc = pread_all(c, b->data + k * BLOCK_SIZE, BLOCK_SIZE, start, &got)) < 0)
			return rc;
		b->at[k] = start;
		b->have[k] = got;
	}
	b->used[k] = ++b->tick;
	got = b->have[k] > off - start ? b->have[k] - (size_t)(off - start) : 0;
	if (got > len)
		got = len;
	memcpy(dst, b->data + k * BLOCK_SIZE + (off - start), got);
check:
	if (got < len)
		return mf_diag_set(&c->d, MF_EIO, c->spill_path, off,
				   "the listing's spill file is shorter than written");
	return MF_OK;
}

/* Each mailbox's lines in listing order, from the spill file. */
static int status_unqueue(struct status_ctx *c)
{
	struct status_rec r;
	struct spill_blocks b;
	struct mf_buf line;
	int rc;

	memset(&b, 0, sizeof(b));
	b.data = mf_xmalloc((size_t)BLOCKS * BLOCK_SIZE);
	mf_buf_init(&line, MF_BUF_UNBOUNDED);
	if ((rc = spill_flush(c)) < 0 || (rc = mf_extsort_finish(c->sort, &c->d)) < 0)
		goto out;
	while ((rc = mf_extsort_next(c->sort, &r, &c->d)) == 1) {
		line.len = 0;
		if ((rc = mf_buf_grow(&line, (size_t)r.len + 1)) < 0 ||
		    (rc = spill_read(c, &b, (uint8_t *)line.data, r.off, r.len)) < 0)
			goto out;
		emit(c, line.data, r.len);
	}
out:
	free(b.data);
	mf_buf_release(&line);
	return rc < 0 ? rc : MF_OK;
}

/* The listing in (kind, alias, id) order, read in id order; *sorted 0 when
 * a mailbox does not fit a record and nothing was written. */
static int status_sorted(struct status_ctx *c, int *sorted)
{
	const char *dir = getenv("TMPDIR");
	int rc;

	*sorted = 0;
	c->spill_path = mf_xasprintf("%s/mailferry-status.XXXXXX", dir && *dir ? dir : "/tmp");
	c->spill_fd = mkostemp(c->spill_path, O_CLOEXEC);
	if (c->spill_fd < 0)
		return mf_diag_errno(&c->d, MF_EIO, c->spill_path,
				     "cannot create the listing's spill file");
	unlink(c->spill_path);
	mf_buf_init(&c->spill, MF_BUF_UNBOUNDED);
	c->sort = mf_extsort_new(sizeof(struct status_rec), REC_RUN, cmp_rec, NULL, NULL);
	rc = mf_store_view_mailboxes_each(c->st, MF_VIEW_BY_ID, status_queue, c, &c->d);
	if (rc == MF_OK && c->unsortable) {
		c->n_mb = c->n_msg = 0;
		return MF_OK;
	}
	if (rc == MF_OK) {
		*sorted = 1;
		rc = status_unqueue(c);
	}
	return rc;
}

static void status_sorted_free(struct status_ctx *c)
{
	mf_extsort_free(c->sort);
	c->sort = NULL;
	mf_buf_release(&c->spill);
	if (c->spill_fd >= 0)
		close(c->spill_fd);
	c->spill_fd = -1;
	free(c->spill_path);
	c->spill_path = NULL;
}

int cmd_status(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ 0, 0, 0, 0 }
	};
	const char *db = NULL;
	int json = 0, c, rc;
	struct status_ctx sc = { .a = MF_ARENA_INIT, .first = 1, .spill_fd = -1 };
	int sorted = 0;
	int64_t counts[3] = { 0, 0, 0 };
	struct mf_buf *out = &sc.out;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'j': json = 1; break;
		default: return cli_usage("status", "unknown option");
		}
	}
	if (!db)
		return cli_usage("status", "--db STAGE is required");
	if ((rc = cli_open_store(&sc.st, db, 0, 0)) != MF_EXIT_OK)
		return rc;
	mf_diag_clear(&sc.d);
	sc.json = json;
	mf_buf_init(out, MF_BUF_UNBOUNDED);
	mf_buf_init(&sc.mb, MF_BUF_UNBOUNDED);
	if (json)
		mf_buf_addstr(out, "{\"mailboxes\":[");
	else
		mf_buf_addf(out, "%-20s %-7s %8s %6s %8s %9s %-7s %s\n", "ALIAS", "KIND",
			    "MESSAGES", "ATTACH", "CALENDAR", "BYTES", "MAIL",
			    "DISPLAY NAME <SOURCE ADDRESS>");
	/* one read transaction: one snapshot, and no lock taken and given
	 * back around each of the per-mailbox statements */
	mf_store_cache_kib(sc.st, MF_STORE_LOOKUP_CACHE_KIB);
	rc = mf_store_read_begin(sc.st, &sc.d);
	if (rc == MF_OK)
		rc = status_sorted(&sc, &sorted);
	status_sorted_free(&sc);
	if (rc == MF_OK && !sorted)
		rc = mf_store_view_mailboxes_each(sc.st, 1, status_mailbox, &sc, &sc.d);
	if (rc == MF_OK)
		rc = mf_store_problem_counts(sc.st, counts, &sc.d);
	mf_store_read_end(sc.st);
	if (rc < 0) {
		fflush(stdout);
		mf_buf_release(out);
		mf_buf_release(&sc.mb);
		mf_arena_release(&sc.a);
		mf_store_close(&sc.st);
		return cli_fatal(&sc.d);
	}
	if (json) {
		mf_buf_addstr(out, "],\"problems\":{");
		mf_json_kv_int(out, "info", counts[MF_INFO], 1);
		mf_json_kv_int(out, "warning", counts[MF_WARNING], 0);
		mf_json_kv_int(out, "error", counts[MF_ERROR], 0);
		mf_buf_addstr(out, "}}\n");
	} else {
		mf_buf_addf(out, "%lld mailboxes, %lld messages; problems: %lld errors, "
			    "%lld warnings, %lld info (sqlite3 %s 'select * from problem_summary')\n",
			    sc.n_mb, sc.n_msg, (long long)counts[MF_ERROR], (long long)counts[MF_WARNING],
			    (long long)counts[MF_INFO], db);
	}
	fwrite(out->data, 1, out->len, stdout);
	mf_buf_release(out);
	mf_buf_release(&sc.mb);
	mf_arena_release(&sc.a);
	mf_store_close(&sc.st);
	return MF_EXIT_OK;
}
