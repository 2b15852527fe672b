/* SPDX-License-Identifier: MIT */
/*
 * imap_session.c: small helpers, the options, folder naming, login, LIST
 * and NAMESPACE, batches of commands (see imap.c and imap_priv.h).
 */
#include "exporters/imap/imap_priv.h"

/* ---- small helpers ---- */

int64_t imx_env_ms(const char *name, int64_t def)
{
	const char *v = getenv(name);
	uint64_t x;
	if (v && *v && mf_parse_u64(&x, v, strlen(v), 3600u * 1000u) == MF_OK)
		return (int64_t)x;
	return def;
}

void imx_sleep_ms(int64_t ms)
{
	struct timespec ts;
	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Back-off before the n-th retry (n >= 1): base, 2 base, 4 base ... 30 s. */
int64_t imx_backoff_ms(int n)
{
	int64_t base = imx_env_ms("MAILFERRY_IMAP_BACKOFF_MS", 250), v = base;
	for (int i = 1; i < n && v < 30000; i++)
		v *= 2;
	return v > 30000 ? 30000 : v;
}

/* ---- X-Mailferry-Id -> UID map ---- */

/* A ledger remote id "UIDVALIDITY:UID" (as the exporter writes it) into its
 * two numbers; 0 when it is not one. */
int imx_remote_id_parse(const char *rid, unsigned long *uv, unsigned long *uid)
{
	char *end;
	const char *p = rid;
	if (!rid)
		return 0;
	*uv = strtoul(p, &end, 10);
	if (end == p || *end != ':')
		return 0;
	p = end + 1;
	*uid = strtoul(p, &end, 10);
	return end != p;
}


void imx_idmap_clear(struct idmap *m)
{
	mf_strmap_release(&m->m);
	m->m.flags = MF_STRMAP_COPY;
}

void imx_idmap_put(struct idmap *m, const char *key, uint32_t uid)
{
	m->m.flags = MF_STRMAP_COPY;
	mf_strmap_set(&m->m, key, uid);   /* the newest copy wins */
}

uint32_t imx_idmap_get(const struct idmap *m, const char *key)
{
	uint64_t uid = 0;
	mf_strmap_get(&m->m, key, &uid);
	return (uint32_t)uid;
}

/* ---- the options ---- */


int imx_parse_url(struct target *t, const struct mf_export_opts *o, struct mf_diag *diag)
{
	const char *u = o->url, *h;
	size_t hl;
	int implicit;

	memset(t, 0, sizeof(*t));
	if (!u || !*u)
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "imap needs --url imap://HOST[:PORT] or imaps://HOST[:PORT]");
	if (!strncasecmp(u, "imaps://", 8)) {
		implicit = 1;
		h = u + 8;
	} else if (!strncasecmp(u, "imap://", 7)) {
		implicit = 0;
		h = u + 7;
	} else {
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "--url wants imap://HOST[:PORT] or imaps://HOST[:PORT]");
	}
	hl = strcspn(h, "/?#");
	if (memchr(h, '@', hl))
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "--url must not hold a user or password (use --admin and "
				   "--password-file)");
	if (h[hl] && strcmp(h + hl, "/") != 0)
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "--url takes no path: imap[s]://HOST[:PORT]");
	t->port = implicit ? 993 : 143;
	if (*h == '[') {
		const char *e = memchr(h, ']', hl);
		if (!e || e - h - 1 >= (ptrdiff_t)sizeof(t->host))
			return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET, "--url: bad IPv6 address");
		memcpy(t->host, h + 1, (size_t)(e - h - 1));
		h = e + 1;
		hl = strcspn(h, "/?#");
	} else {
		size_t k = strcspn(h, ":/?#");
		if (k == 0 || k >= sizeof(t->host))
			return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET, "--url: no host");
		memcpy(t->host, h, k);
		h += k;
		hl -= k;
	}
	if (hl && *h == ':') {
		uint64_t p;
		if (mf_parse_u64(&p, h + 1, hl - 1, 65535) < 0 || p == 0)
			return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET, "--url: bad port");
		t->port = (int)p;
	} else if (hl) {
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET, "--url: bad host");
	}
	for (char *p = t->host; *p; p++) {
		*p = (char)tolower((unsigned char)*p);
		if ((unsigned char)*p <= ' ' || *p == '%')
			return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET, "--url: bad host");
	}
	if (implicit && o->starttls)
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "--starttls is for imap:// URLs (imaps:// is TLS from the start)");
	t->tls = implicit ? IMAP_TLS_IMPLICIT : o->starttls ? IMAP_TLS_STARTTLS : IMAP_TLS_NONE;
	t->verify = o->tls_verify;
	snprintf(t->url, sizeof(t->url), strchr(t->host, ':') ? "imap://[%s]:%d" : "imap://%s:%d",
		 t->host, t->port);
	return MF_OK;
}

/* The first line of a file, or of an environment variable. */
int imx_read_secret(char **out, const char *path, const char *env, const char *what,
		    struct mf_diag *diag)
{
	char *text = NULL;
	size_t len = 0, k;
	*out = NULL;
	if (path) {
		if (mf_read_file(&text, &len, path, 64 << 10, diag) < 0)
			return MF_EUSAGE;
	} else if (env && getenv(env)) {
		text = mf_xstrdup(getenv(env));
		len = strlen(text);
	} else {
		return mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
				   "imap needs %s (a file: never on the command line)%s%s", what,
				   env ? ", or the environment variable " : "", env ? env : "");
	}
	k = 0;
	while (k < len && text[k] != '\n' && text[k] != '\r' && text[k] != '\0')
		k++;
	*out = mf_xstrndup(text, k);
	memset(text, 0, len);
	free(text);
	if (!k) {
		free(*out);
		*out = NULL;
		return mf_diag_set(diag, MF_EUSAGE, path, MF_NO_OFFSET, "%s is empty", what);
	}
	return MF_OK;
}

void imx_wipe_free(char **s)
{
	if (*s) {
		memset(*s, 0, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

/* ---- folder naming ---- */

void mf_imap_level(struct mf_buf *out, const char *p, size_t n, char delim)
{
	char tmp[LEVEL_MAX + 8];
	size_t k = 0, keep = 0;
	if (n > LEVEL_MAX) {
		n = LEVEL_MAX;
		while (n && ((unsigned char)p[n] & 0xC0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		tmp[k++] = (c < 0x20 || c == 0x7f || c == '*' || c == '%' ||
			    (delim && c == (unsigned char)delim)) ? '_' : (char)c;
		if (tmp[k - 1] != ' ')
			keep = k;
	}
	/* no blanks at the ends (servers trim or refuse them) */
	k = keep;
	if (k == 0)
		tmp[k++] = '_';
	if (tmp[0] == ' ')
		tmp[0] = '_';
	tmp[k] = '\0';
	if (mf_utf7_imap_encode(out, tmp, k) != MF_OK) {
		/* not UTF-8: ASCII only */
		for (size_t i = 0; i < k; i++)
			mf_buf_addch(out, (unsigned char)tmp[i] < 0x80 ? tmp[i] : '_');
	}
}


static void sess_forget_names(struct sess *s)
{
	for (size_t i = 0; i < s->n_names; i++)
		free(s->names[i]);
	free(s->names);
	s->names = NULL;
	s->n_names = 0;
	for (int i = 0; i < 3; i++)
		mf_free(&s->special[i]);
}

void imx_sess_release(struct sess *s)
{
	if (s->c) {
		/* polite goodbye, no waiting */
		if (!imap_conn_broken(s->c)) {
			struct mf_diag d;
			mf_buf_addstr(imap_conn_out(s->c), "z LOGOUT\r\n");
			imap_conn_pump(s->c, 0, &d);
		}
		imap_conn_close(&s->c);
	}
	sess_forget_names(s);
	mf_free(&s->root);
	mf_free(&s->pub_prefix);
	memset(s, 0, sizeof(*s));
}

int imx_special_index(const char *sp)
{
	if (!sp)
		return -1;
	if (!strcmp(sp, "sent"))
		return 0;
	if (!strcmp(sp, "drafts"))
		return 1;
	if (!strcmp(sp, "trash"))
		return 2;
	return -1;
}

const char *const imx_special_attr[3] = { "\\Sent", "\\Drafts", "\\Trash" };

/*
 * The server name of staged folder path (levels separated by '\'),
 * special: the special use of its top level (NULL none).
 */
void imx_map_folder(struct mf_buf *out, const struct sess *s, const char *path,
		    const char *special)
{
	const char *p = path ? path : "";
	char d = s->delim ? s->delim : '.';
	int first = 1;

	mf_buf_reset(out);
	mf_buf_addstr(out, s->root);
	if (*s->root) {
		/* a public folder named like its mailbox is the mailbox's root */
		size_t n = strcspn(p, "\\");
		if (s->alias && n == strlen(s->alias) && !strncasecmp(p, s->alias, n))
			p += n + (p[n] == '\\');
		else if (*p)
			mf_buf_addch(out, d);
		first = 0;
		if (!*p)
			return;
	}
	while (1) {
		size_t n = strcspn(p, "\\");
		if (!first)
			mf_buf_addch(out, d);
		if (first && !*s->root && n == 5 && !strncasecmp(p, "inbox", 5)) {
			mf_buf_addstr(out, "INBOX");
		} else if (first && !*s->root && imx_special_index(special) >= 0 &&
			   s->special[imx_special_index(special)]) {
			mf_buf_addstr(out, s->special[imx_special_index(special)]);
		} else {
			mf_imap_level(out, p, n, s->delim);
		}
		first = 0;
		if (!p[n])
			break;
		p += n + 1;
	}
}

/* ---- login ---- */

/* The login name for a user: the format with %u (user) and %a (admin). */
static void login_name(struct mf_buf *out, const char *fmt, const char *user, const char *admin)
{
	for (const char *p = fmt; *p; p++) {
		if (p[0] == '%' && p[1] == 'u') {
			mf_buf_addstr(out, user);
			p++;
		} else if (p[0] == '%' && p[1] == 'a') {
			mf_buf_addstr(out, admin ? admin : "");
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			mf_buf_addch(out, '%');
			p++;
		} else {
			mf_buf_addch(out, (unsigned char)*p);
		}
	}
}

/* Connect and log in acting for user. */
int imx_connect_as(struct imap_conn **out, const struct mf_export_ctx *x, const char *user,
		   struct mf_diag *diag)
{
	struct imap_conn_opts co = { x->t.host, x->t.port, x->t.tls, x->t.verify,
				     (int)x->timeout_ms };
	const char *admin = x->opts->admin;
	int rc;

	if ((rc = imap_conn_open(out, &co, diag)) < 0)
		return rc;
	if (x->oauth2) {
		char *tok = NULL;
		const char *f = x->opts->oauth2_token_file;
		if (f && strstr(f, "%u")) {
			struct mf_buf p;
			mf_buf_init(&p, 4096);
			login_name(&p, f, user, admin);
			rc = imx_read_secret(&tok, p.data, NULL, "the OAuth2 token file", diag);
			mf_buf_release(&p);
			if (rc < 0) {
				imap_conn_close(out);
				return rc;
			}
		}
		rc = imap_conn_login(*out, user, NULL, tok ? tok : x->secret, 1, diag);
		imx_wipe_free(&tok);
	} else if (admin && !strcmp(user, admin)) {
		/* public folders: the admin's own account */
		rc = imap_conn_login(*out, admin, NULL, x->secret, 0, diag);
	} else if (x->opts->login_format && *x->opts->login_format) {
		struct mf_buf n;
		mf_buf_init(&n, 4096);
		login_name(&n, x->opts->login_format, user, admin);
		rc = imap_conn_login(*out, n.data, NULL, x->secret, 0, diag);
		mf_buf_release(&n);
	} else if (admin && strcmp(user, admin) != 0) {
		rc = imap_conn_login(*out, admin, user, x->secret, 0, diag);
	} else {
		rc = imap_conn_login(*out, user, NULL, x->secret, 0, diag);
	}
	if (rc < 0)
		imap_conn_close(out);
	return rc;
}

int imx_is_public(const struct mf_mailbox *mb)
{
	return mb->kind && !strcmp(mb->kind, "public");
}

/* Who a mailbox's connection acts for. */
const char *imx_mailbox_user(const struct mf_export_ctx *x, const struct mf_mailbox *mb)
{
	if (imx_is_public(mb))
		return x->opts->admin ? x->opts->admin : "";
	return mb->alias && *mb->alias ? mb->alias : mb->name;
}

/* ---- LIST and NAMESPACE ---- */

struct list_ctx {
	struct sess *s;
	int saw_delim;
};

static void on_list(void *arg, const struct imap_resp *r)
{
	struct list_ctx *lc = arg;
	struct sess *s = lc->s;
	struct imap_p p = r->rest;
	struct imap_tok t;
	int sp = -1, noselect = 0;
	struct mf_buf name;

	if (!strcmp(r->word, "NAMESPACE")) {
		/* personal, other users, shared: (("prefix" "delim") ...) or NIL */
		for (int k = 0; k < 3; k++) {
			t = imap_tok_next(&p);
			if (t.type == IMAP_T_NIL)
				continue;
			if (t.type != IMAP_T_LPAREN)
				return;
			t = imap_tok_next(&p);
			if (t.type == IMAP_T_LPAREN) {
				struct imap_tok pre = imap_tok_next(&p), del = imap_tok_next(&p);
				struct mf_buf b;
				mf_buf_init(&b, 4096);
				if (k == 0 && del.type == IMAP_T_QUOTED && del.len >= 1) {
					s->delim = del.s[del.len - 1];
					lc->saw_delim = 1;
				}
				if (k == 2 && !s->pub_prefix && imap_tok_string(&b, &pre) == MF_OK &&
				    imap_quotable(b.data, b.len))
					s->pub_prefix = mf_xstrdup(b.data);
				mf_buf_release(&b);
				/* skip the rest of this group */
				t = imap_tok_next(&p);
				while (t.type != IMAP_T_RPAREN && t.type != IMAP_T_END &&
				       t.type != IMAP_T_ERROR)
					if (imap_tok_skip(&p, &t) < 0 || (t = imap_tok_next(&p)).type == IMAP_T_ERROR)
						return;
			}
			/* skip further namespaces of this kind */
			t = imap_tok_next(&p);
			while (t.type == IMAP_T_LPAREN) {
				if (imap_tok_skip(&p, &t) < 0)
					return;
				t = imap_tok_next(&p);
			}
			if (t.type != IMAP_T_RPAREN)
				return;
		}
		return;
	}
	if (strcmp(r->word, "LIST") != 0)
		return;
	t = imap_tok_next(&p);
	if (t.type != IMAP_T_LPAREN)
		return;
	for (;;) {
		t = imap_tok_next(&p);
		if (t.type != IMAP_T_ATOM)
			break;
		for (int k = 0; k < 3; k++)
			if (imap_tok_is(&t, imx_special_attr[k]))
				sp = k;
		if (imap_tok_is(&t, "\\Noselect") || imap_tok_is(&t, "\\NonExistent"))
			noselect = 1;
	}
	if (t.type != IMAP_T_RPAREN)
		return;
	t = imap_tok_next(&p);
	if (t.type == IMAP_T_QUOTED && t.len >= 1 && !lc->saw_delim) {
		s->delim = t.s[t.len - 1];
		lc->saw_delim = 1;
	} else if (t.type == IMAP_T_NIL && !lc->saw_delim) {
		s->delim = 0;
		lc->saw_delim = 1;
	}
	t = imap_tok_next(&p);
	mf_buf_init(&name, NAME_MAX_BYTES * 4);
	if (imap_tok_string(&name, &t) == MF_OK && name.len) {
		if (sp >= 0 && !s->special[sp] && !noselect)
			s->special[sp] = mf_xstrdup(name.data);
		if (!noselect) {
			s->names = mf_xreallocarray(s->names, s->n_names + 1, sizeof(*s->names));
			s->names[s->n_names++] = mf_xstrdup(name.data);
		}
	}
	mf_buf_release(&name);
}

int imx_name_exists(const struct sess *s, const char *name)
{
	if (!strcasecmp(name, "INBOX"))
		return 1;
	for (size_t i = 0; i < s->n_names; i++)
		if (!strcmp(s->names[i], name))
			return 1;
	return 0;
}

/* Log in for mailbox mb and learn its namespaces and folders. */
int imx_sess_open(struct mf_export_ctx *x, struct sess *s, const struct mf_mailbox *mb,
		  struct mf_buf *resp, struct mf_diag *diag)
{
	struct imap_resp r;
	struct list_ctx lc;
	int rc;

	imx_sess_release(s);
	snprintf(s->user, sizeof(s->user), "%s", imx_mailbox_user(x, mb));
	s->public_mb = imx_is_public(mb);
	s->alias = mb->alias ? mb->alias : mb->name;
	s->delim = '/';
	if ((rc = imx_connect_as(&s->c, x, s->user, diag)) < 0)
		return rc;
	lc.s = s;
	lc.saw_delim = 0;
	if ((imap_conn_caps(s->c) & IMAP_CAP_NAMESPACE) &&
	    (rc = imap_conn_cmd(s->c, on_list, &lc, resp, &r, diag, "NAMESPACE")) < 0)
		return rc;
	if ((imap_conn_caps(s->c) & (IMAP_CAP_LIST_EXTENDED | IMAP_CAP_SPECIAL_USE)) ==
	    (IMAP_CAP_LIST_EXTENDED | IMAP_CAP_SPECIAL_USE))
		rc = imap_conn_cmd(s->c, on_list, &lc, resp, &r, diag,
				   "LIST \"\" \"*\" RETURN (SPECIAL-USE)");
	else
		rc = imap_conn_cmd(s->c, on_list, &lc, resp, &r, diag, "LIST \"\" \"*\"");
	if (rc < 0)
		return rc;
	/* where the mailbox's folders go */
	if (!s->public_mb) {
		s->root = mf_xstrdup("");
	} else {
		struct mf_buf b;
		mf_buf_init(&b, NAME_MAX_BYTES);
		if (s->pub_prefix) {
			mf_buf_addstr(&b, s->pub_prefix);
			if (b.len && s->delim && b.data[b.len - 1] != s->delim)
				mf_buf_addch(&b, s->delim);
		} else {
			const char *pf = x->opts->public_folder && *x->opts->public_folder ?
					 x->opts->public_folder : "Public Folders";
			mf_imap_level(&b, pf, strlen(pf), s->delim);
			mf_buf_addch(&b, s->delim ? s->delim : '.');
		}
		mf_imap_level(&b, s->alias, strlen(s->alias), s->delim);
		s->root = mf_buf_detach(&b, NULL);
		mf_buf_release(&b);
	}
	return MF_OK;
}

/* ---- a set of commands sent at once ---- */


/* Send n commands (cmd[i], without tag and CRLF) at once and read every
 * reply; untagged responses go to cb. */
int imx_run_batch(struct imap_conn *c, const struct mf_buf *cmd, struct bcmd *res, size_t n,
		  imap_untagged_cb cb, void *arg, struct mf_buf *resp, struct mf_diag *diag)
{
	size_t left = n;
	int rc;
	for (size_t i = 0; i < n; i++) {
		imap_conn_tag(c, res[i].tag);
		res[i].status = -1;
		mf_buf_addf(imap_conn_out(c), "%s ", res[i].tag);
		mf_buf_add(imap_conn_out(c), cmd[i].data, cmd[i].len);
		mf_buf_addstr(imap_conn_out(c), "\r\n");
	}
	while (left) {
		struct imap_resp r;
		if ((rc = imap_conn_response(c, resp, 1, diag)) < 0)
			return rc;
		if (imap_resp_parse(&r, resp->data, resp->len) < 0)
			return mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET,
					   "IMAP: unreadable response: %.80s", resp->data);
		if (r.kind == IMAP_R_UNTAGGED) {
			if (r.status == IMAP_BYE)
				return mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET,
						   "IMAP: the server said goodbye: %.*s",
						   (int)(r.text_len > 200 ? 200 : r.text_len), r.text);
			if (cb)
				cb(arg, &r);
			continue;
		}
		if (r.kind != IMAP_R_TAGGED)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (res[i].status == -1 && !strcmp(res[i].tag, r.tag)) {
				res[i].status = (int)r.status;
				snprintf(res[i].code, sizeof(res[i].code), "%s", r.code);
				snprintf(res[i].text, sizeof(res[i].text), "%.*s",
					 (int)(r.text_len > 190 ? 190 : r.text_len), r.text);
				left--;
				break;
			}
		}
	}
	return MF_OK;
}
