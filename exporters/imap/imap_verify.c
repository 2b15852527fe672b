/* SPDX-License-Identifier: MIT */
/* imap_verify.c: `mailferry verify imap` (see imap.c and imap_priv.h). */
#include "exporters/imap/imap_priv.h"

/* ---- mailferry verify imap ---- */

struct vmsg {
	int64_t id;
	char *folder;             /* staged path */
	char *status;             /* ledger status, NULL: none */
	char *remote_id;
	uint32_t uid;
	/* read back */
	int found;
	char sha[MF_SHA256_HEX];
	int64_t idate;
	int has_idate;
	char flags[128];
};

struct vfetch {
	struct vmsg **m;
	size_t n;
};

static void on_verify_fetch(void *arg, const struct imap_resp *r)
{
	struct vfetch *vf = arg;
	struct imap_p p = r->rest;
	uint64_t uid = 0;
	const char *body = NULL;
	size_t blen = 0;
	int has_body = 0, has_date = 0;
	int64_t idate = 0;
	char flags[128] = "";

	if (strcmp(r->word, "FETCH") != 0)
		return;
	if (imap_tok_next(&p).type != IMAP_T_LPAREN)
		return;
	for (;;) {
		struct imap_tok k = imap_tok_next(&p), v;
		if (k.type != IMAP_T_ATOM)
			break;
		v = imap_tok_next(&p);
		if (imap_tok_is(&k, "UID")) {
			imap_tok_u64(&uid, &v, UINT32_MAX);
		} else if (imap_tok_is(&k, "INTERNALDATE") && v.type == IMAP_T_QUOTED) {
			has_date = imap_date_parse(&idate, v.s, v.len) == MF_OK;
		} else if (imap_tok_is(&k, "FLAGS") && v.type == IMAP_T_LPAREN) {
			size_t fl = 0;
			for (;;) {
				struct imap_tok f = imap_tok_next(&p);
				if (f.type != IMAP_T_ATOM)
					break;
				if (imap_tok_is(&f, "\\Recent"))
					continue;
				if (fl + f.len + 2 < sizeof(flags)) {
					if (fl)
						flags[fl++] = ' ';
					memcpy(flags + fl, f.s, f.len);
					fl += f.len;
					flags[fl] = '\0';
				}
			}
		} else if (k.len >= 6 && !strncasecmp(k.s, "BODY[]", 6) &&
			   (v.type == IMAP_T_LITERAL || v.type == IMAP_T_QUOTED)) {
			body = v.s;
			blen = v.len;
			has_body = 1;
		} else if (imap_tok_skip(&p, &v) < 0) {
			return;
		}
	}
	for (size_t i = 0; i < vf->n; i++) {
		struct vmsg *m = vf->m[i];
		if (m->uid != uid || !uid)
			continue;
		m->found = has_body;
		if (has_body)
			mf_sha256_hex(m->sha, body, blen);
		m->has_idate = has_date;
		m->idate = idate;
		snprintf(m->flags, sizeof(m->flags), "%s", flags);
	}
}

/* Flags as a sorted, case-folded set for comparison. */
static void norm_flags(char *out, size_t cap, const char *in)
{
	char tmp[128], *w[16];
	size_t n = 0, k = 0;
	char *save = NULL;
	snprintf(tmp, sizeof(tmp), "%s", in);
	for (char *t = strtok_r(tmp, " ", &save); t && n < 16; t = strtok_r(NULL, " ", &save)) {
		for (char *q = t; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		w[n++] = t;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(w[j - 1], w[j]) > 0; j--) {
			char *t = w[j];
			w[j] = w[j - 1];
			w[j - 1] = t;
		}
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		k += (size_t)snprintf(out + k, k < cap ? cap - k : 0, "%s%s", i ? " " : "", w[i]);
}

struct vexamine {
	uint32_t exists, uidvalidity;
};

static void on_examine(void *arg, const struct imap_resp *r)
{
	struct vexamine *v = arg;
	if (r->has_number && !strcmp(r->word, "EXISTS"))
		v->exists = (uint32_t)r->number;
	if (r->status == IMAP_OK && !strcmp(r->code, "UIDVALIDITY")) {
		uint64_t n;
		if (mf_parse_u64(&n, r->code_args, r->code_args_len, UINT32_MAX) == MF_OK)
			v->uidvalidity = (uint32_t)n;
	}
}

struct vsearch {
	uint32_t uid;
};

static void on_search(void *arg, const struct imap_resp *r)
{
	struct vsearch *v = arg;
	struct imap_p p = r->rest;
	struct imap_tok t;
	uint64_t n;
	if (strcmp(r->word, "SEARCH") != 0)
		return;
	while ((t = imap_tok_next(&p)).type == IMAP_T_ATOM)
		if (imap_tok_u64(&n, &t, UINT32_MAX) == MF_OK)
			v->uid = (uint32_t)n;   /* the newest */
}

#define MISMATCH(...) do { fprintf(out, __VA_ARGS__); fputc('\n', out); sum->mismatches++; } while (0)

/* Check one folder: its count, and each message read back. */
static int verify_folder(struct mf_export_ctx *x, const struct mf_mailbox *mb, struct tfolder *f,
			 struct vmsg *ms, size_t nm, FILE *out, struct mf_imap_verify_sum *sum,
			 struct mf_arena *arena, struct mf_diag *diag)
{
	struct vexamine ve = { 0, 0 };
	struct imap_resp r;
	struct mf_buf cmd;
	size_t planned = 0;
	int rc;
	const char *alias = mb->alias ? mb->alias : mb->name;

	for (size_t i = 0; i < nm; i++)
		if (!strcmp(ms[i].folder, f->staged))
			planned++;
	mf_buf_init(&cmd, NAME_MAX_BYTES * 2);
	mf_buf_addstr(&cmd, "EXAMINE ");
	imap_add_string(&cmd, f->name, strlen(f->name), 0);
	rc = imap_conn_cmd_raw(x->s.c, on_examine, &ve, &x->resp, &r, cmd.data, cmd.len, diag);
	mf_buf_release(&cmd);
	if (rc == MF_EREMOTE) {
		MISMATCH("%s: folder '%s' (%s) cannot be opened: %s", alias, f->staged, f->name, diag->msg);
		mf_diag_clear(diag);
		return MF_OK;
	}
	if (rc < 0)
		return rc;
	sum->folders++;
	if (ve.exists != planned)
		MISMATCH("%s: folder '%s' (%s) holds %" PRIu32 " messages, the plan has %zu", alias,
			 f->staged, f->name, ve.exists, planned);
	/* UIDs: from the ledger, or found by X-Mailferry-Id */
	for (size_t i = 0; i < nm; i++) {
		struct vmsg *m = &ms[i];
		unsigned long uv = 0, uid = 0;
		if (strcmp(m->folder, f->staged) != 0)
			continue;
		if (!m->status || strcmp(m->status, "delivered") != 0) {
			MISMATCH("%s: message %lld in '%s' was not delivered (%s)", alias, (long long)m->id,
				 f->staged, m->status ? m->status : "not exported");
			continue;
		}
		if (imx_remote_id_parse(m->remote_id, &uv, &uid) &&
		    uid > 0 && uid <= UINT32_MAX) {
			if (uv != ve.uidvalidity) {
				MISMATCH("%s: message %lld: the ledger has UIDVALIDITY %lu, folder '%s' has %" PRIu32
					 " (was the folder made again?)", alias, (long long)m->id, uv, f->name,
					 ve.uidvalidity);
				continue;
			}
			m->uid = (uint32_t)uid;
		} else {
			/* no UID recorded (no UIDPLUS): look for it */
			struct mf_message *mm;
			char sid[MF_MIME_STAGED_ID_MAX];
			struct vsearch vs = { 0 };
			mf_arena_reset(arena);
			if ((rc = mf_store_message_load(x->st, &mm, m->id, 0, arena, diag)) < 0)
				return rc;
			mf_mime_staged_id(sid, mm);
			rc = imap_conn_cmd(x->s.c, on_search, &vs, &x->resp, &r, diag,
					   "UID SEARCH HEADER " MF_MIME_ID_HEADER " \"%s\"", sid);
			if (rc < 0 && rc != MF_EREMOTE)
				return rc;
			mf_diag_clear(diag);
			m->uid = vs.uid;
			if (!m->uid)
				MISMATCH("%s: message %lld (%s) is not in '%s'", alias, (long long)m->id, sid,
					 f->name);
		}
	}
	/* read them back, 50 at a time */
	for (size_t i = 0; i < nm;) {
		struct vmsg *chunk[50];
		struct vfetch vf = { chunk, 0 };
		struct mf_buf c;
		for (; i < nm && vf.n < 50; i++)
			if (ms[i].uid && !strcmp(ms[i].folder, f->staged))
				chunk[vf.n++] = &ms[i];
		if (!vf.n)
			continue;
		mf_buf_init(&c, MF_BUF_LINE_MAX);
		mf_buf_addstr(&c, "UID FETCH ");
		for (size_t k = 0; k < vf.n; k++)
			mf_buf_addf(&c, "%s%" PRIu32, k ? "," : "", chunk[k]->uid);
		mf_buf_addstr(&c, " (UID INTERNALDATE FLAGS BODY.PEEK[])");
		rc = imap_conn_cmd_raw(x->s.c, on_verify_fetch, &vf, &x->resp, &r, c.data, c.len, diag);
		mf_buf_release(&c);
		if (rc < 0)
			return rc;
	}
	/* compare */
	for (size_t i = 0; i < nm; i++) {
		struct vmsg *m = &ms[i];
		struct mf_message *mm;
		struct mf_diag d;
		char sha[MF_SHA256_HEX], want[128], got[128], wf[64];
		int64_t t;
		size_t k = 0;
		if (!m->uid || strcmp(m->folder, f->staged) != 0)
			continue;
		sum->messages++;
		if (!m->found) {
			MISMATCH("%s: message %lld: UID %" PRIu32 " is not in '%s'", alias, (long long)m->id,
				 m->uid, f->name);
			continue;
		}
		mf_arena_reset(arena);
		if ((rc = mf_store_message_load(x->st, &mm, m->id, 1, arena, diag)) < 0)
			return rc;
		mf_buf_reset(&x->msg);
		mf_diag_clear(&d);
		if (mf_mime_build(&x->msg, mm, mb, &x->mime, &d) < 0) {
			MISMATCH("%s: message %lld cannot be built again: %s", alias, (long long)m->id, d.msg);
			continue;
		}
		mf_sha256_hex(sha, x->msg.data, x->msg.len);
		if (strcmp(sha, m->sha) != 0)
			MISMATCH("%s: message %lld (UID %" PRIu32 " in '%s'): the server's bytes differ from "
				 "the staged message (sha256 %.16s..., staged %.16s...)", alias,
				 (long long)m->id, m->uid, f->name, m->sha, sha);
		t = mm->has_received ? mm->received_utc : mm->has_sent ? mm->sent_utc : -1;
		if (t >= 0 && (!m->has_idate || m->idate != t)) {
			char a[32], b[32];
			imap_date_format(a, t);
			if (m->has_idate)
				imap_date_format(b, m->idate);
			else
				snprintf(b, sizeof(b), "none");
			MISMATCH("%s: message %lld (UID %" PRIu32 " in '%s'): INTERNALDATE %s, the source "
				 "date is %s", alias, (long long)m->id, m->uid, f->name, b, a);
		}
		wf[0] = '\0';
		if (!mm->unread)
			k += (size_t)snprintf(wf + k, sizeof(wf) - k, "%s\\Seen", k ? " " : "");
		if (mm->unsent)
			k += (size_t)snprintf(wf + k, sizeof(wf) - k, "%s\\Draft", k ? " " : "");
		if (x->opts->flag_urgent && mm->priority > 0)
			snprintf(wf + k, sizeof(wf) - k, "%s\\Flagged", k ? " " : "");
		norm_flags(want, sizeof(want), wf);
		norm_flags(got, sizeof(got), m->flags);
		if (strcmp(want, got) != 0)
			MISMATCH("%s: message %lld (UID %" PRIu32 " in '%s'): flags (%s), expected (%s)",
				 alias, (long long)m->id, m->uid, f->name, got, want);
	}
	return imap_conn_cmd(x->s.c, NULL, NULL, &x->resp, &r, diag, "CLOSE");
}

static int cmp_vmsg(const void *a, const void *b)
{
	const struct vmsg *x = a, *y = b;
	int r = strcmp(x->folder, y->folder);
	return r ? r : (x->id > y->id) - (x->id < y->id);
}

static int verify_mailbox(struct mf_export_ctx *x, const struct mf_mailbox *mb, FILE *out,
			  struct mf_imap_verify_sum *sum, struct mf_diag *diag)
{
	struct vmsg *ms = NULL;
	size_t nm = 0;
	struct mf_arena arena = MF_ARENA_INIT;
	int rc;
	const char *alias = mb->alias ? mb->alias : mb->name;

	imx_folders_release(x);
	x->mb = mb;
	if ((rc = imx_load_staged_folders(x, mb->id, diag)) < 0)
		return rc;
	rc = imx_sess_open(x, &x->s, mb, &x->resp, diag);
	if (rc == MF_EREMOTE) {
		MISMATCH("%s: cannot log in for it: %s", alias, diag->msg);
		mf_diag_clear(diag);
		return MF_OK;
	}
	if (rc < 0)
		return rc;
	sum->mailboxes++;
	if (!imx_is_public(mb))
		imx_tfolder_for(x, "Inbox");
	else if (!x->n_sf)
		imx_tfolder_for(x, x->s.alias);
	for (size_t i = 0; i < x->n_sf; i++)
		if (mf_export_folder_selected(x->opts, x->sf[i].path))
			imx_tfolder_for(x, x->sf[i].path);
	/* the export's selection of messages, with their ledger rows */
	{
		struct mf_export_msg *sel;
		size_t nsel;
		if ((rc = mf_export_messages(x->ex, mb->id, &sel, &nsel, &arena, diag)) < 0)
			goto out;
		ms = nsel ? mf_xcalloc(nsel, sizeof(*ms)) : NULL;
		for (size_t i = 0; i < nsel; i++) {
			ms[nm].id = sel[i].id;
			ms[nm].folder = mf_xstrdup(sel[i].folder ? sel[i].folder : "Inbox");
			ms[nm].status = sel[i].status ? mf_xstrdup(sel[i].status) : NULL;
			ms[nm].remote_id = sel[i].remote_id ? mf_xstrdup(sel[i].remote_id) : NULL;
			nm++;
		}
		/* folder by folder, in staging order */
		if (nm)
			qsort(ms, nm, sizeof(*ms), cmp_vmsg);
		mf_arena_reset(&arena);
	}
	for (size_t i = 0; i < nm; i++)
		imx_tfolder_for(x, ms[i].folder);
	rc = MF_OK;
	for (size_t i = 0; i < x->n_tf && rc == MF_OK; i++) {
		if (!imx_name_exists(&x->s, x->tf[i].name)) {
			MISMATCH("%s: folder '%s' (%s) does not exist on the server", alias, x->tf[i].staged,
				 x->tf[i].name);
			continue;
		}
		rc = verify_folder(x, mb, &x->tf[i], ms, nm, out, sum, &arena, diag);
	}
out:
	for (size_t i = 0; i < nm; i++) {
		free(ms[i].folder);
		free(ms[i].status);
		free(ms[i].remote_id);
	}
	free(ms);
	mf_arena_release(&arena);
	imx_sess_release(&x->s);
	return rc;
}

int mf_imap_verify(struct mf_store *st, const struct mf_export_opts *opts, FILE *out,
		   struct mf_imap_verify_sum *sum, struct mf_diag *diag)
{
	struct mf_export_ctx *x = NULL;
	int64_t *ids = NULL;
	size_t nmb = 0;
	struct mf_arena marena = MF_ARENA_INIT;
	int rc;

	memset(sum, 0, sizeof(*sum));
	if ((rc = imx_im_open(&x, NULL, st, opts, diag)) < 0)
		return rc;
	/* the export's selection: mailboxes (one loaded at a time), then
	 * messages through the driver */
	x->ex = mf_export_reader_open(st, opts, imx_im_target(x));
	if ((rc = mf_export_select(st, opts, &ids, &nmb, diag)) < 0)
		goto out;
	for (size_t i = 0; i < nmb && rc == MF_OK; i++) {
		struct mf_mailbox mb;
		mf_arena_reset(&marena);
		if ((rc = mf_store_mailbox_load(st, &mb, ids[i], &marena, diag)) == MF_ENOTFOUND) {
			mf_diag_clear(diag);
			rc = MF_OK;
			continue;
		}
		if (rc == MF_OK)
			rc = verify_mailbox(x, &mb, out, sum, diag);
	}
out:
	free(ids);
	mf_export_reader_close(&x->ex);
	imx_im_close(&x);
	mf_arena_release(&marena);
	return rc;
}
