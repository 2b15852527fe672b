/* SPDX-License-Identifier: MIT */
/*
 * imap_folders.c: STATUS, the scan for our own messages, the mailbox's
 * folders on the server (see imap.c and imap_priv.h).
 */
#include "exporters/imap/imap_priv.h"

/* ---- STATUS and the scan for our own messages ---- */

struct status_ctx {
	struct mf_export_ctx *x;
};

static void on_status(void *arg, const struct imap_resp *r)
{
	struct mf_export_ctx *x = ((struct status_ctx *)arg)->x;
	struct imap_p p = r->rest;
	struct imap_tok t;
	struct mf_buf name;
	struct tfolder *f = NULL;

	if (strcmp(r->word, "STATUS") != 0)
		return;
	mf_buf_init(&name, NAME_MAX_BYTES * 4);
	t = imap_tok_next(&p);
	if (imap_tok_string(&name, &t) == MF_OK)
		for (size_t i = 0; i < x->n_tf && !f; i++)
			if (!strcmp(x->tf[i].name, name.data) ||
			    (!strcasecmp(name.data, "INBOX") && !strcasecmp(x->tf[i].name, "INBOX")))
				f = &x->tf[i];
	mf_buf_release(&name);
	if (!f)
		return;
	if (imap_tok_next(&p).type != IMAP_T_LPAREN)
		return;
	for (;;) {
		struct imap_tok k = imap_tok_next(&p), v;
		uint64_t n;
		if (k.type != IMAP_T_ATOM)
			break;
		v = imap_tok_next(&p);
		if (imap_tok_u64(&n, &v, UINT32_MAX) < 0)
			break;
		if (imap_tok_is(&k, "MESSAGES"))
			f->messages = (uint32_t)n;
		else if (imap_tok_is(&k, "UIDNEXT"))
			f->uidnext = (uint32_t)n;
		else if (imap_tok_is(&k, "UIDVALIDITY"))
			f->uidvalidity = (uint32_t)n;
	}
	f->exists = 1;
}

struct scan_ctx {
	struct idmap *ids;
	struct mf_buf hdr;
};

/* "* n FETCH (UID u BODY[HEADER.FIELDS (X-MAILFERRY-ID)] {k}...)" */
static void on_scan_fetch(void *arg, const struct imap_resp *r)
{
	struct scan_ctx *sc = arg;
	struct imap_p p = r->rest;
	uint64_t uid = 0;
	const char *hv = NULL;
	size_t hl = 0;

	if (strcmp(r->word, "FETCH") != 0)
		return;
	if (imap_tok_next(&p).type != IMAP_T_LPAREN)
		return;
	for (;;) {
		struct imap_tok k = imap_tok_next(&p), v;
		if (k.type != IMAP_T_ATOM)
			break;
		v = imap_tok_next(&p);
		if (imap_tok_is(&k, "UID"))
			imap_tok_u64(&uid, &v, UINT32_MAX);
		else if (k.len >= 4 && !strncasecmp(k.s, "BODY", 4) &&
			 (v.type == IMAP_T_LITERAL || v.type == IMAP_T_QUOTED)) {
			hv = v.s;
			hl = v.len;
		} else if (imap_tok_skip(&p, &v) < 0) {
			return;
		}
	}
	if (!uid || !hv)
		return;
	/* the header block: "X-Mailferry-Id: <id>\r\n\r\n" (folding allowed) */
	mf_buf_reset(&sc->hdr);
	for (size_t i = 0; i < hl;) {
		size_t e = i;
		while (e < hl && hv[e] != '\n')
			e++;
		{
			const char *l = hv + i;
			size_t n = e - i;
			if (n && l[n - 1] == '\r')
				n--;
			if (n > 15 && !strncasecmp(l, MF_MIME_ID_HEADER ":", 15)) {
				l += 15;
				n -= 15;
				while (n && (*l == ' ' || *l == '\t')) {
					l++;
					n--;
				}
				while (n && (l[n - 1] == ' ' || l[n - 1] == '\t'))
					n--;
				if (n && n < MF_MIME_STAGED_ID_MAX) {
					char key[MF_MIME_STAGED_ID_MAX];
					memcpy(key, l, n);
					key[n] = '\0';
					imx_idmap_put(sc->ids, key, (uint32_t)uid);
				}
			}
		}
		i = e + 1;
	}
}

/* Fetch the X-Mailferry-Id of every message of folder f from UID f->lo. */
int imx_scan_folder(struct mf_export_ctx *x, struct tfolder *f, struct mf_diag *diag)
{
	struct imap_resp r;
	struct mf_buf cmd;
	struct scan_ctx sc;
	int rc;

	imx_idmap_clear(&f->ids);
	mf_buf_init(&cmd, NAME_MAX_BYTES * 2);
	mf_buf_addstr(&cmd, "EXAMINE ");
	imap_add_string(&cmd, f->name, strlen(f->name), 0);
	rc = imap_conn_cmd_raw(x->s.c, NULL, NULL, &x->resp, &r, cmd.data, cmd.len, diag);
	mf_buf_release(&cmd);
	if (rc < 0)
		return rc;
	sc.ids = &f->ids;
	mf_buf_init(&sc.hdr, IMAP_LINE_MAX);
	rc = imap_conn_cmd(x->s.c, on_scan_fetch, &sc, &x->resp, &r, diag,
			   "UID FETCH %" PRIu32 ":* (UID BODY.PEEK[HEADER.FIELDS (" MF_MIME_ID_HEADER ")])",
			   f->lo ? f->lo : 1);
	mf_buf_release(&sc.hdr);
	if (rc < 0)
		return rc;
	f->scanned = 1;
	return imap_conn_cmd(x->s.c, NULL, NULL, &x->resp, &r, diag, "CLOSE");
}

/* A remote id "uidvalidity:uid" of this UIDVALIDITY as a position. */
static int uid_pos(void *arg, const char *rid, uint64_t *p)
{
	uint32_t uidvalidity = *(const uint32_t *)arg;
	unsigned long uv, uid;
	if (!imx_remote_id_parse(rid, &uv, &uid) || uv != uidvalidity)
		return 0;
	*p = uid <= UINT32_MAX ? uid : 0;
	return 1;
}

/* The highest UID the ledger records for our messages in a folder (with
 * that UIDVALIDITY), asked of the driver: messages above it may be ours
 * and unknown. */
static uint32_t ledger_max_uid(struct mf_export_ctx *x, const char *staged, uint32_t uidvalidity,
			       int *any)
{
	uint64_t mx = 0;
	if (mf_export_ledger_highest(x->ex, x->mb->id, staged, uid_pos, &uidvalidity, &mx, any,
				     NULL) < 0) {
		*any = 0;
		return 0;
	}
	return (uint32_t)mx;
}

/* ---- the mailbox's folders on the server ---- */

void imx_folders_release(struct mf_export_ctx *x)
{
	for (size_t i = 0; i < x->n_sf; i++) {
		free(x->sf[i].path);
		free(x->sf[i].special);
	}
	free(x->sf);
	x->sf = NULL;
	x->n_sf = 0;
	for (size_t i = 0; i < x->n_tf; i++) {
		free(x->tf[i].staged);
		free(x->tf[i].name);
		imx_idmap_clear(&x->tf[i].ids);
	}
	free(x->tf);
	x->tf = NULL;
	x->n_tf = 0;
}

int imx_load_staged_folders(struct mf_export_ctx *x, int64_t mailbox_id, struct mf_diag *diag)
{
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_export_folder *f;
	size_t n;
	int rc = mf_export_folders(x->ex, mailbox_id, &f, &n, &a, diag);
	for (size_t i = 0; rc == MF_OK && i < n; i++) {
		x->sf = mf_xreallocarray(x->sf, x->n_sf + 1, sizeof(*x->sf));
		x->sf[x->n_sf].path = mf_xstrdup(f[i].path ? f[i].path : "");
		x->sf[x->n_sf].special = f[i].special ? mf_xstrdup(f[i].special) : NULL;
		x->n_sf++;
	}
	mf_arena_release(&a);
	return rc;
}

/* The special use of the top level of a staged path. */
static const char *top_special(const struct mf_export_ctx *x, const char *path)
{
	size_t n = strcspn(path, "\\");
	for (size_t i = 0; i < x->n_sf; i++)
		if (strlen(x->sf[i].path) == n && !strncmp(x->sf[i].path, path, n))
			return x->sf[i].special;
	return NULL;
}

/* The target folder for a staged path (added when new). */
size_t imx_tfolder_for(struct mf_export_ctx *x, const char *staged)
{
	struct mf_buf b;
	for (size_t i = 0; i < x->n_tf; i++)
		if (!strcmp(x->tf[i].staged, staged))
			return i;
	mf_buf_init(&b, MF_BUF_LINE_MAX);
	imx_map_folder(&b, &x->s, staged, top_special(x, staged));
	x->tf = mf_xreallocarray(x->tf, x->n_tf + 1, sizeof(*x->tf));
	memset(&x->tf[x->n_tf], 0, sizeof(x->tf[0]));
	x->tf[x->n_tf].staged = mf_xstrdup(staged);
	x->tf[x->n_tf].name = mf_buf_detach(&b, NULL);
	mf_buf_release(&b);
	x->tf[x->n_tf].need_create = !imx_name_exists(&x->s, x->tf[x->n_tf].name);
	return x->n_tf++;
}

/* Create the missing folders (parents first), subscribe them, read the
 * STATUS of each, and scan those that may hold our messages already. */
int imx_prepare_folders(struct mf_export_ctx *x, struct mf_diag *diag)
{
	struct mf_buf *cmd = NULL;
	struct bcmd *res = NULL;
	size_t n = 0, cap = 0;
	char d = x->s.delim;
	int rc = MF_OK;
	struct status_ctx sc = { x };
	char **made = NULL;
	size_t nmade = 0;

#define ADD_CMD() do { \
		if (n == cap) { \
			cap = cap ? cap * 2 : 16; \
			cmd = mf_xreallocarray(cmd, cap, sizeof(*cmd)); \
			res = mf_xreallocarray(res, cap, sizeof(*res)); \
		} \
		mf_buf_init(&cmd[n], MF_BUF_LINE_MAX); \
		memset(&res[n], 0, sizeof(res[n])); \
		n++; \
	} while (0)

	/* CREATE: every missing folder and parent, in order */
	for (size_t i = 0; i < x->n_tf; i++) {
		const char *name = x->tf[i].name;
		size_t len = strlen(name), skip = 0;
		if (!x->tf[i].need_create)
			continue;
		if (x->s.pub_prefix && !strncmp(name, x->s.pub_prefix, strlen(x->s.pub_prefix)))
			skip = strlen(x->s.pub_prefix);
		for (size_t k = skip + 1; k <= len && d; k++) {
			if (k < len && name[k] != d)
				continue;
			{
				char *pre = mf_xstrndup(name, k);
				int seen = imx_name_exists(&x->s, pre);
				for (size_t j = 0; j < nmade && !seen; j++)
					seen = !strcmp(made[j], pre);
				if (!seen) {
					const char *sp = k == len ? top_special(x, x->tf[i].staged) : NULL;
					int spi = imx_special_index(sp);
					made = mf_xreallocarray(made, nmade + 1, sizeof(*made));
					made[nmade++] = pre;
					ADD_CMD();
					mf_buf_addstr(&cmd[n - 1], "CREATE ");
					imap_add_string(&cmd[n - 1], pre, k, 0);
					/* a special folder the server lacks: say what it is for */
					if (spi >= 0 && !x->s.special[spi] && !strchr(x->tf[i].staged, '\\') &&
					    (imap_conn_caps(x->s.c) & IMAP_CAP_CREATE_SPECIAL_USE))
						mf_buf_addf(&cmd[n - 1], " (USE (%s))", imx_special_attr[spi]);
				} else {
					free(pre);
				}
			}
		}
		if (!d) {
			ADD_CMD();
			mf_buf_addstr(&cmd[n - 1], "CREATE ");
			imap_add_string(&cmd[n - 1], name, len, 0);
		}
	}
	{
		size_t ncreate = n;
		for (size_t i = 0; i < ncreate; i++) {
			ADD_CMD();
			mf_buf_addstr(&cmd[n - 1], "SUBSCRIBE ");
			mf_buf_add(&cmd[n - 1], cmd[i].data + 7, strcspn(cmd[i].data + 7, "(") -
				   (strchr(cmd[i].data + 7, '(') ? 1 : 0));
		}
		for (size_t i = 0; i < x->n_tf; i++) {
			ADD_CMD();
			mf_buf_addstr(&cmd[n - 1], "STATUS ");
			imap_add_string(&cmd[n - 1], x->tf[i].name, strlen(x->tf[i].name), 0);
			mf_buf_addstr(&cmd[n - 1], " (MESSAGES UIDNEXT UIDVALIDITY)");
		}
		if (n)
			rc = imx_run_batch(x->s.c, cmd, res, n, on_status, &sc, &x->resp, diag);
		if (rc == MF_OK) {
			for (size_t i = 0; i < ncreate; i++) {
				if (res[i].status != IMAP_OK && strcmp(res[i].code, "ALREADYEXISTS") != 0)
					mf_export_problem(x->ex, MF_WARNING, "imap.create-failed", x->mb->id, 0,
							  "%.300s: the server did not create it: [%s] %s",
							  cmd[i].data + 7, res[i].code, res[i].text);
			}
			for (size_t i = 0; i < x->n_tf && rc == MF_OK; i++) {
				if (!x->tf[i].exists)
					rc = mf_diag_set(diag, MF_EREMOTE, NULL, MF_NO_OFFSET,
							 "IMAP %s: folder '%s' of mailbox %s does not exist "
							 "and could not be created", x->t.host, x->tf[i].name,
							 x->s.user);
				x->tf[i].need_create = 0;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		mf_buf_release(&cmd[i]);
	free(cmd);
	free(res);
	for (size_t i = 0; i < nmade; i++)
		free(made[i]);
	free(made);
	if (rc < 0)
		return rc;
	/* which folders may hold messages of ours the ledger does not know? */
	for (size_t i = 0; i < x->n_tf && rc == MF_OK; i++) {
		struct tfolder *f = &x->tf[i];
		int any;
		uint32_t mx = ledger_max_uid(x, f->staged, f->uidvalidity, &any);
		f->lo = any ? mx + 1 : 1;
		if (f->messages && f->uidnext > f->lo)
			rc = imx_scan_folder(x, f, diag);
	}
	return rc;
#undef ADD_CMD
}
