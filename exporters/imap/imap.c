/* SPDX-License-Identifier: MIT */
/*
 * imap.c: `mailferry export imap`: push every mailbox into a live IMAP
 * server (the client is exporters/imap/imap_client.c).
 *
 * One connection per mailbox, logged in as the admin acting for the
 * mailbox's alias: Dovecot's master-user login (--login-format '%u*%a'),
 * AUTHENTICATE PLAIN with the alias as authorisation identity, or XOAUTH2
 * with a bearer token (--oauth2-token-file, '%u' in its path picks a file
 * per user).  Public mailboxes log in as the admin itself.
 *
 * mailbox_begin learns the server's folders (LIST, with SPECIAL-USE
 * attributes) and namespaces, creates every folder the mailbox will hold
 * (and its parents), subscribes them, and asks each for its STATUS.  A
 * folder that already holds messages above the last UID the ledger knows
 * for it (an earlier run that stopped before its ledger rows were written,
 * or a connection lost mid-APPEND) is scanned once: the X-Mailferry-Id
 * header of each such message (core/mime.h) is fetched, and a message
 * found there is confirmed with its UID instead of being sent again.
 *
 * Messages are built by core/mime.c with CR LF lines and appended with
 * their date as INTERNALDATE and their flags.  APPENDs are pipelined: each
 * put_message queues its message and returns MF_PUT_PENDING; replies are
 * read whenever they arrive and confirmed (APPENDUID -> "uidvalidity:uid")
 * or refused.  With LITERAL+ (or LITERAL- for small messages) literals are
 * sent without waiting; with MULTIAPPEND consecutive messages of one
 * folder travel in one APPEND command (at most BATCH_MSGS messages or
 * BATCH_BYTES bytes), which the server stores atomically.  At most
 * WINDOW_MSGS messages or WINDOW_BYTES bytes are unanswered at once; their
 * bytes are kept so that they can be sent again.
 *
 * Replies: OK confirms; NO with [THROTTLED], [UNAVAILABLE], [INUSE],
 * [SERVERBUG] or [CONTACTADMIN]... (a temporary condition) sends the
 * messages again after a back-off that doubles each time (at most
 * MAX_TEMP_RETRIES times); [TRYCREATE] creates the folder and sends again;
 * any other NO or BAD refuses the message (a batch is first split and each
 * message sent alone, so only the one the server rejects is refused).  A
 * dropped connection is opened again (at most MAX_RECONNECTS times in a
 * row, with back-off), every unanswered message is looked up by its
 * X-Mailferry-Id and sent again only when the server does not have it.
 */
#include "exporters/imap/imap.h"
#include "exporters/imap/imap_client.h"
#include "engine/export.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/progress.h"
#include "core/mime.h"
#include "core/utf7.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define BATCH_MSGS 50
#define BATCH_BYTES (2u << 20)
#define WINDOW_MSGS 400
#define WINDOW_BYTES (16u << 20)
#define MAX_TEMP_RETRIES 6
#define MAX_RECONNECTS 5
#define LEVEL_MAX 200
#define NAME_MAX_BYTES 1000

/* ---- small helpers ---- */

static int64_t env_ms(const char *name, int64_t def)
{
	const char *v = getenv(name);
	uint64_t x;
	if (v && *v && mf_parse_u64(&x, v, strlen(v), 3600u * 1000u) == MF_OK)
		return (int64_t)x;
	return def;
}

static void sleep_ms(int64_t ms)
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
static int64_t backoff_ms(int n)
{
	int64_t base = env_ms("MAILFERRY_IMAP_BACKOFF_MS", 250), v = base;
	for (int i = 1; i < n && v < 30000; i++)
		v *= 2;
	return v > 30000 ? 30000 : v;
}

/* ---- X-Mailferry-Id -> UID map ---- */

struct idmap {
	char **keys;
	uint32_t *uids;
	size_t cap, n;
};

static uint64_t strhash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void idmap_clear(struct idmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->uids);
	memset(m, 0, sizeof(*m));
}

static void idmap_put(struct idmap *m, const char *key, uint32_t uid)
{
	size_t i;
	if ((m->n + 1) * 2 > m->cap) {
		struct idmap g = { NULL, NULL, m->cap ? m->cap * 2 : 64, 0 };
		g.keys = mf_xcalloc(g.cap, sizeof(*g.keys));
		g.uids = mf_xcalloc(g.cap, sizeof(*g.uids));
		for (size_t k = 0; k < m->cap; k++) {
			if (!m->keys[k])
				continue;
			i = strhash(m->keys[k]) & (g.cap - 1);
			while (g.keys[i])
				i = (i + 1) & (g.cap - 1);
			g.keys[i] = m->keys[k];
			g.uids[i] = m->uids[k];
			g.n++;
		}
		free(m->keys);
		free(m->uids);
		*m = g;
	}
	i = strhash(key) & (m->cap - 1);
	while (m->keys[i]) {
		if (!strcmp(m->keys[i], key)) {
			m->uids[i] = uid;   /* the newest copy wins */
			return;
		}
		i = (i + 1) & (m->cap - 1);
	}
	m->keys[i] = mf_xstrdup(key);
	m->uids[i] = uid;
	m->n++;
}

static uint32_t idmap_get(const struct idmap *m, const char *key)
{
	size_t i;
	if (!m->cap)
		return 0;
	i = strhash(key) & (m->cap - 1);
	while (m->keys[i]) {
		if (!strcmp(m->keys[i], key))
			return m->uids[i];
		i = (i + 1) & (m->cap - 1);
	}
	return 0;
}

/* ---- the options ---- */

struct target {
	char host[256];
	int port;
	enum imap_tls tls;
	int verify;
	char url[300];            /* "imap://host:port": the ledger's target */
};

static int parse_url(struct target *t, const struct mf_export_opts *o, struct mf_diag *diag)
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
static int read_secret(char **out, const char *path, const char *env, const char *what,
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

static void wipe_free(char **s)
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
	size_t k = 0;
	if (n > LEVEL_MAX) {
		n = LEVEL_MAX;
		while (n && ((unsigned char)p[n] & 0xC0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		tmp[k++] = (c < 0x20 || c == 0x7f || c == '*' || c == '%' ||
			    (delim && c == (unsigned char)delim)) ? '_' : (char)c;
	}
	/* no blanks at the ends (servers trim or refuse them) */
	while (k && tmp[k - 1] == ' ')
		tmp[--k] = '_';
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

/* The folders of a staged mailbox, with their special use. */
struct sfolder {
	char *path;               /* staged path */
	char *special;            /* inbox, sent, drafts, trash or NULL */
};

/* One server folder the mailbox uses. */
struct tfolder {
	char *staged;             /* staged path */
	char *name;               /* server name (modified UTF-7) */
	uint32_t uidvalidity, uidnext, messages;
	uint32_t lo;              /* lowest UID that may be ours unknown to the ledger */
	int exists;
	int need_create;
	struct idmap ids;         /* found by a scan */
	int scanned;
};

/* A login session for one mailbox. */
struct sess {
	struct imap_conn *c;
	char user[256];           /* who we act for */
	int public_mb;
	char delim;               /* hierarchy delimiter, 0: flat */
	char *root;               /* "" personal; public: its root folder */
	char *pub_prefix;         /* shared namespace prefix, NULL none */
	char *special[3];         /* server names of \Sent, \Drafts, \Trash */
	char **names;             /* existing folder names (LIST) */
	size_t n_names;
	const char *alias;
};

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

static void sess_release(struct sess *s)
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

static int special_index(const char *sp)
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

static const char *const special_attr[3] = { "\\Sent", "\\Drafts", "\\Trash" };

/*
 * The server name of staged folder path (levels separated by '\'),
 * special: the special use of its top level (NULL none).
 */
static void map_folder(struct mf_buf *out, const struct sess *s, const char *path,
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
		} else if (first && !*s->root && special_index(special) >= 0 &&
			   s->special[special_index(special)]) {
			mf_buf_addstr(out, s->special[special_index(special)]);
		} else {
			mf_imap_level(out, p, n, s->delim);
		}
		first = 0;
		if (!p[n])
			break;
		p += n + 1;
	}
}

/* ---- the exporter's state ---- */

struct amsg {
	int64_t item_id, mailbox_id;
	size_t folder;
	char sid[MF_MIME_STAGED_ID_MAX];
	char sha[MF_SHA256_HEX];
	char flags[48];
	char date[32];            /* "" none */
	char *data;
	size_t len;
	int retries;
	int single;               /* send alone (after a batch was refused) */
	uint64_t cmd;             /* the command carrying it */
};

struct acmd {
	char tag[16];
	uint64_t seq;
	size_t n;
	size_t folder;
	int open;                 /* MULTIAPPEND still taking messages */
	int sync_wait;            /* waiting for "+" to send the literal of ... */
	struct amsg *sync_msg;
	size_t bytes;
};

struct mf_export_ctx {
	struct mf_export *ex;
	struct mf_store *st;
	const struct mf_export_opts *opts;
	struct target t;
	char *secret;             /* password (or the token when one file serves all) */
	int oauth2;
	struct mf_mime_opts mime;
	struct mf_buf msg;
	struct mf_buf resp;
	/* the mailbox being exported */
	const struct mf_mailbox *mb;
	struct sess s;
	struct sfolder *sf;
	size_t n_sf;
	struct tfolder *tf;
	size_t n_tf;
	/* the pipeline */
	struct amsg **queue;      /* to send */
	size_t nq, capq;
	struct amsg **inflight;   /* sent, unanswered, in order */
	size_t nin, capin;
	size_t in_bytes;
	struct acmd *cmds;
	size_t ncmd, capcmd;
	uint64_t next_seq;
	struct acmd *open_cmd;    /* index valid while ncmd unchanged: use open_seq */
	uint64_t open_seq;
	int64_t throttle_until;
	int reconnects;           /* in a row */
	int64_t timeout_ms;
};

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
static int connect_as(struct imap_conn **out, const struct mf_export_ctx *x, const char *user,
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
			rc = read_secret(&tok, p.data, NULL, "the OAuth2 token file", diag);
			mf_buf_release(&p);
			if (rc < 0) {
				imap_conn_close(out);
				return rc;
			}
		}
		rc = imap_conn_login(*out, user, NULL, tok ? tok : x->secret, 1, diag);
		wipe_free(&tok);
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

static int is_public(const struct mf_mailbox *mb)
{
	return mb->kind && !strcmp(mb->kind, "public");
}

/* Who a mailbox's connection acts for. */
static const char *mailbox_user(const struct mf_export_ctx *x, const struct mf_mailbox *mb)
{
	if (is_public(mb))
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
			if (imap_tok_is(&t, special_attr[k]))
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

static int name_exists(const struct sess *s, const char *name)
{
	if (!strcasecmp(name, "INBOX"))
		return 1;
	for (size_t i = 0; i < s->n_names; i++)
		if (!strcmp(s->names[i], name))
			return 1;
	return 0;
}

/* Log in for mailbox mb and learn its namespaces and folders. */
static int sess_open(struct mf_export_ctx *x, struct sess *s, const struct mf_mailbox *mb,
		     struct mf_buf *resp, struct mf_diag *diag)
{
	struct imap_resp r;
	struct list_ctx lc;
	int rc;

	sess_release(s);
	snprintf(s->user, sizeof(s->user), "%s", mailbox_user(x, mb));
	s->public_mb = is_public(mb);
	s->alias = mb->alias ? mb->alias : mb->name;
	s->delim = '/';
	if ((rc = connect_as(&s->c, x, s->user, diag)) < 0)
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

struct bcmd {
	char tag[16];
	int status;               /* IMAP_OK ... or -1 unanswered */
	char code[32];
	char text[200];
};

/* Send n commands (cmd[i], without tag and CRLF) at once and read every
 * reply; untagged responses go to cb. */
static int run_batch(struct imap_conn *c, const struct mf_buf *cmd, struct bcmd *res, size_t n,
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
					idmap_put(sc->ids, key, (uint32_t)uid);
				}
			}
		}
		i = e + 1;
	}
}

/* Fetch the X-Mailferry-Id of every message of folder f from UID f->lo. */
static int scan_folder(struct mf_export_ctx *x, struct tfolder *f, struct mf_diag *diag)
{
	struct imap_resp r;
	struct mf_buf cmd;
	struct scan_ctx sc;
	int rc;

	idmap_clear(&f->ids);
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

/* The highest UID the ledger records for our messages in a folder (with
 * that UIDVALIDITY): messages above it may be ours and unknown. */
static const char SQL_LEDGER_UIDS[] =
	"SELECT d.remote_id FROM deliveries d JOIN messages g ON g.id = d.item_id "
	"JOIN folders f ON f.id = g.folder_id WHERE d.target = ?1 AND d.item_kind = 'message' "
	"AND d.status = 'delivered' AND g.mailbox_id = ?2 AND f.path = ?3";

static uint32_t ledger_max_uid(struct mf_export_ctx *x, const char *staged, uint32_t uidvalidity,
			       int *any)
{
	sqlite3_stmt *s = mf_store_stmt(x->st, SQL_LEDGER_UIDS, NULL);
	uint32_t mx = 0;
	*any = 0;
	if (!s)
		return 0;
	mf_store_bind_text(s, 1, x->t.url);
	sqlite3_bind_int64(s, 2, x->mb->id);
	mf_store_bind_text(s, 3, staged);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *rid = (const char *)sqlite3_column_text(s, 0);
		unsigned long uv, uid;
		if (rid && sscanf(rid, "%lu:%lu", &uv, &uid) == 2 && uv == uidvalidity) {
			*any = 1;
			if (uid > mx && uid <= UINT32_MAX)
				mx = (uint32_t)uid;
		}
	}
	sqlite3_reset(s);
	return mx;
}

/* ---- the mailbox's folders on the server ---- */

static const char SQL_FOLDERS[] = "SELECT path, special FROM folders WHERE mailbox_id = ?1";

static void folders_release(struct mf_export_ctx *x)
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
		idmap_clear(&x->tf[i].ids);
	}
	free(x->tf);
	x->tf = NULL;
	x->n_tf = 0;
}

static int load_staged_folders(struct mf_export_ctx *x, struct mf_store *st, int64_t mailbox_id,
			       struct mf_diag *diag)
{
	sqlite3_stmt *s = mf_store_stmt(st, SQL_FOLDERS, diag);
	int rc;
	if (!s)
		return MF_ESTORE;
	sqlite3_bind_int64(s, 1, mailbox_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(s, 0);
		const char *sp = (const char *)sqlite3_column_text(s, 1);
		x->sf = mf_xreallocarray(x->sf, x->n_sf + 1, sizeof(*x->sf));
		x->sf[x->n_sf].path = mf_xstrdup(p ? p : "");
		x->sf[x->n_sf].special = sp ? mf_xstrdup(sp) : NULL;
		x->n_sf++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return mf_store_fail(st, diag, "cannot list folders");
	return MF_OK;
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
static size_t tfolder_for(struct mf_export_ctx *x, const char *staged)
{
	struct mf_buf b;
	for (size_t i = 0; i < x->n_tf; i++)
		if (!strcmp(x->tf[i].staged, staged))
			return i;
	mf_buf_init(&b, MF_BUF_LINE_MAX);
	map_folder(&b, &x->s, staged, top_special(x, staged));
	x->tf = mf_xreallocarray(x->tf, x->n_tf + 1, sizeof(*x->tf));
	memset(&x->tf[x->n_tf], 0, sizeof(x->tf[0]));
	x->tf[x->n_tf].staged = mf_xstrdup(staged);
	x->tf[x->n_tf].name = mf_buf_detach(&b, NULL);
	mf_buf_release(&b);
	x->tf[x->n_tf].need_create = !name_exists(&x->s, x->tf[x->n_tf].name);
	return x->n_tf++;
}

/* Create the missing folders (parents first), subscribe them, read the
 * STATUS of each, and scan those that may hold our messages already. */
static int prepare_folders(struct mf_export_ctx *x, struct mf_diag *diag)
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
				int seen = name_exists(&x->s, pre);
				for (size_t j = 0; j < nmade && !seen; j++)
					seen = !strcmp(made[j], pre);
				if (!seen) {
					const char *sp = k == len ? top_special(x, x->tf[i].staged) : NULL;
					int spi = special_index(sp);
					made = mf_xreallocarray(made, nmade + 1, sizeof(*made));
					made[nmade++] = pre;
					ADD_CMD();
					mf_buf_addstr(&cmd[n - 1], "CREATE ");
					imap_add_string(&cmd[n - 1], pre, k, 0);
					/* a special folder the server lacks: say what it is for */
					if (spi >= 0 && !x->s.special[spi] && !strchr(x->tf[i].staged, '\\') &&
					    (imap_conn_caps(x->s.c) & IMAP_CAP_CREATE_SPECIAL_USE))
						mf_buf_addf(&cmd[n - 1], " (USE (%s))", special_attr[spi]);
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
			rc = run_batch(x->s.c, cmd, res, n, on_status, &sc, &x->resp, diag);
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
			rc = scan_folder(x, f, diag);
	}
	return rc;
#undef ADD_CMD
}

/* ---- the pipeline ---- */

static void amsg_free(struct amsg *m)
{
	if (m) {
		free(m->data);
		free(m);
	}
}

static void q_push(struct amsg ***arr, size_t *n, size_t *cap, struct amsg *m)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*arr = mf_xreallocarray(*arr, *cap, sizeof(**arr));
	}
	(*arr)[(*n)++] = m;
}

static void pipeline_drop(struct mf_export_ctx *x)
{
	for (size_t i = 0; i < x->nq; i++)
		amsg_free(x->queue[i]);
	for (size_t i = 0; i < x->nin; i++)
		amsg_free(x->inflight[i]);
	x->nq = x->nin = x->ncmd = 0;
	x->in_bytes = 0;
	x->open_seq = 0;
	x->throttle_until = 0;
}

static struct acmd *cmd_by_seq(struct mf_export_ctx *x, uint64_t seq)
{
	for (size_t i = 0; i < x->ncmd; i++)
		if (x->cmds[i].seq == seq)
			return &x->cmds[i];
	return NULL;
}

static void cmd_remove(struct mf_export_ctx *x, uint64_t seq)
{
	for (size_t i = 0; i < x->ncmd; i++)
		if (x->cmds[i].seq == seq) {
			memmove(&x->cmds[i], &x->cmds[i + 1], (x->ncmd - i - 1) * sizeof(*x->cmds));
			x->ncmd--;
			return;
		}
}

/* Messages carried by command seq, taken out of the in-flight list. */
static size_t take_cmd_msgs(struct mf_export_ctx *x, uint64_t seq, struct amsg ***out)
{
	size_t k = 0, n = 0;
	struct amsg **got = NULL;
	for (size_t i = 0; i < x->nin; i++) {
		struct amsg *m = x->inflight[i];
		if (m->cmd == seq) {
			got = mf_xreallocarray(got, n + 1, sizeof(*got));
			got[n++] = m;
			x->in_bytes -= m->len;
		} else {
			x->inflight[k++] = m;
		}
	}
	x->nin = k;
	*out = got;
	return n;
}

static int close_batch(struct mf_export_ctx *x)
{
	struct acmd *c;
	if (!x->open_seq)
		return MF_OK;
	c = cmd_by_seq(x, x->open_seq);
	x->open_seq = 0;
	if (c && c->open) {
		c->open = 0;
		mf_buf_addstr(imap_conn_out(x->s.c), "\r\n");
	}
	return MF_OK;
}

static int nonsync_ok(const struct mf_export_ctx *x, size_t len)
{
	unsigned caps = imap_conn_caps(x->s.c);
	return (caps & IMAP_CAP_LITERALPLUS) || ((caps & IMAP_CAP_LITERALMINUS) && len <= 4096);
}

/* Put one message on the wire. */
static void send_msg(struct mf_export_ctx *x, struct amsg *m)
{
	struct mf_buf *o = imap_conn_out(x->s.c);
	struct tfolder *f = &x->tf[m->folder];
	int nonsync = nonsync_ok(x, m->len);
	int multi = (imap_conn_caps(x->s.c) & IMAP_CAP_MULTIAPPEND) && nonsync && !m->single;
	struct acmd *c = x->open_seq ? cmd_by_seq(x, x->open_seq) : NULL;

	if (c && (!multi || c->folder != m->folder || c->n >= BATCH_MSGS ||
		  c->bytes + m->len > BATCH_BYTES)) {
		close_batch(x);
		c = NULL;
	}
	if (!c) {
		if (x->ncmd == x->capcmd) {
			x->capcmd = x->capcmd ? x->capcmd * 2 : 32;
			x->cmds = mf_xreallocarray(x->cmds, x->capcmd, sizeof(*x->cmds));
		}
		c = &x->cmds[x->ncmd++];
		memset(c, 0, sizeof(*c));
		imap_conn_tag(x->s.c, c->tag);
		c->seq = ++x->next_seq;
		c->folder = m->folder;
		mf_buf_addf(o, "%s APPEND ", c->tag);
		imap_add_string(o, f->name, strlen(f->name), 0);
		if (multi) {
			c->open = 1;
			x->open_seq = c->seq;
		}
	}
	if (m->flags[0])
		mf_buf_addf(o, " (%s)", m->flags);
	if (m->date[0])
		mf_buf_addf(o, " \"%s\"", m->date);
	mf_buf_addf(o, " {%zu%s}\r\n", m->len, nonsync ? "+" : "");
	m->cmd = c->seq;
	c->n++;
	c->bytes += m->len;
	if (nonsync) {
		mf_buf_add(o, m->data, m->len);
		if (!c->open)
			mf_buf_addstr(o, "\r\n");
	} else {
		c->sync_wait = 1;
		c->sync_msg = m;
	}
	q_push(&x->inflight, &x->nin, &x->capin, m);
	x->in_bytes += m->len;
}

static int temp_code(const char *code)
{
	static const char *const t[] = { "THROTTLED", "UNAVAILABLE", "INUSE", "SERVERBUG",
					 "LIMIT-EXCEEDED", "OVERLOAD", "TEMPFAIL" };
	for (size_t i = 0; i < MF_ARRAY_LEN(t); i++)
		if (!strcmp(code, t[i]))
			return 1;
	return 0;
}

static void confirm_msg(struct mf_export_ctx *x, struct amsg *m, uint32_t uv, uint32_t uid)
{
	char rid[64] = "";
	if (uv && uid)
		snprintf(rid, sizeof(rid), "%" PRIu32 ":%" PRIu32, uv, uid);
	mf_export_confirm(x->ex, "message", m->item_id, m->mailbox_id, rid, m->sha,
			  (int64_t)m->len);
}

/* The tagged reply to an APPEND. */
static void on_append_reply(struct mf_export_ctx *x, struct acmd *c, const struct imap_resp *r)
{
	struct amsg **ms = NULL;
	uint64_t seq = c->seq;
	size_t n = take_cmd_msgs(x, seq, &ms);

	if (x->open_seq == seq)
		x->open_seq = 0;
	cmd_remove(x, seq);
	if (r->status == IMAP_OK) {
		uint32_t uv = 0, *uids = NULL;
		size_t nu = 0;
		if (!strcmp(r->code, "APPENDUID")) {
			struct imap_p p;
			struct imap_tok a, b;
			uint64_t v;
			imap_p_init(&p, r->code_args, r->code_args_len);
			a = imap_tok_next(&p);
			b = imap_tok_next(&p);
			uids = mf_xcalloc(n ? n : 1, sizeof(*uids));
			if (imap_tok_u64(&v, &a, UINT32_MAX) == MF_OK && b.type == IMAP_T_ATOM &&
			    imap_uidset_parse(uids, n, &nu, b.s, b.len) == MF_OK && nu == n)
				uv = (uint32_t)v;
			else
				nu = 0;
		}
		for (size_t i = 0; i < n; i++) {
			if (uv && nu == n && x->tf[ms[i]->folder].uidvalidity != uv)
				x->tf[ms[i]->folder].uidvalidity = uv;
			confirm_msg(x, ms[i], uv, nu == n ? uids[i] : 0);
			amsg_free(ms[i]);
		}
		free(uids);
		x->reconnects = 0;
	} else if (temp_code(r->code) && n && ms[0]->retries < MAX_TEMP_RETRIES) {
		int mr = 0;
		for (size_t i = 0; i < n; i++) {
			ms[i]->retries++;
			if (ms[i]->retries > mr)
				mr = ms[i]->retries;
			ms[i]->cmd = 0;
			q_push(&x->queue, &x->nq, &x->capq, ms[i]);
		}
		x->throttle_until = mf_now_ms() + backoff_ms(mr);
		mf_export_problem(x->ex, MF_INFO, "imap.backoff", x->mb->id, 0,
				  "the server asked to wait ([%s] %.*s): %zu messages sent again "
				  "after %lld ms", r->code, (int)(r->text_len > 200 ? 200 : r->text_len),
				  r->text, n, (long long)backoff_ms(mr));
	} else if (!strcmp(r->code, "TRYCREATE") && n && ms[0]->retries < 2) {
		for (size_t i = 0; i < n; i++) {
			ms[i]->retries++;
			ms[i]->cmd = 0;
			x->tf[ms[i]->folder].need_create = 1;
			q_push(&x->queue, &x->nq, &x->capq, ms[i]);
		}
	} else if (n > 1) {
		/* one of them (or the batch) was refused: each alone now */
		for (size_t i = 0; i < n; i++) {
			ms[i]->single = 1;
			ms[i]->cmd = 0;
			q_push(&x->queue, &x->nq, &x->capq, ms[i]);
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			char detail[256];
			snprintf(detail, sizeof(detail), "IMAP %s %s%s%s%s %.*s",
				 r->status == IMAP_NO ? "NO" : "BAD", r->code[0] ? "[" : "", r->code,
				 r->code_args_len ? " ..." : "", r->code[0] ? "]" : "",
				 (int)(r->text_len > 180 ? 180 : r->text_len), r->text);
			mf_export_refuse(x->ex, "message", ms[i]->item_id, ms[i]->mailbox_id, detail);
			amsg_free(ms[i]);
		}
	}
	free(ms);
}

/* Read every response that is there (block: wait for at least one). */
static int read_replies(struct mf_export_ctx *x, int block, struct mf_diag *diag)
{
	int got = 0, rc;
	for (;;) {
		struct imap_resp r;
		rc = imap_conn_response(x->s.c, &x->resp, block && !got, diag);
		if (rc == MF_DONE)
			return MF_OK;
		if (rc < 0)
			return rc;
		got = 1;
		if (imap_resp_parse(&r, x->resp.data, x->resp.len) < 0)
			return mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET,
					   "IMAP %s: unreadable response: %.80s", x->t.host, x->resp.data);
		if (r.kind == IMAP_R_CONTINUE) {
			for (size_t i = 0; i < x->ncmd; i++) {
				struct acmd *c = &x->cmds[i];
				if (c->sync_wait) {
					mf_buf_add(imap_conn_out(x->s.c), c->sync_msg->data, c->sync_msg->len);
					mf_buf_addstr(imap_conn_out(x->s.c), "\r\n");
					c->sync_wait = 0;
					c->sync_msg = NULL;
					break;
				}
			}
			continue;
		}
		if (r.kind == IMAP_R_UNTAGGED) {
			if (r.status == IMAP_BYE)
				return mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET,
						   "IMAP %s: the server closed the session: %.*s", x->t.host,
						   (int)(r.text_len > 200 ? 200 : r.text_len), r.text);
			continue;
		}
		for (size_t i = 0; i < x->ncmd; i++)
			if (!strcmp(x->cmds[i].tag, r.tag)) {
				on_append_reply(x, &x->cmds[i], &r);
				break;
			}
	}
}

static int sync_waiting(const struct mf_export_ctx *x)
{
	for (size_t i = 0; i < x->ncmd; i++)
		if (x->cmds[i].sync_wait)
			return 1;
	return 0;
}

/* Log in again after a lost connection and settle every unanswered message:
 * found on the server by its X-Mailferry-Id -> confirmed; else sent again. */
static int recover(struct mf_export_ctx *x, struct mf_diag *diag)
{
	struct amsg **unsure = x->inflight;
	size_t nu = x->nin;
	struct mf_diag d;
	char why[600];
	int rc = MF_EIO;

	snprintf(why, sizeof(why), "%s", diag->msg);
	x->inflight = NULL;
	x->nin = x->capin = 0;
	x->in_bytes = 0;
	x->ncmd = 0;
	x->open_seq = 0;
	imap_conn_close(&x->s.c);
	while (x->reconnects < MAX_RECONNECTS) {
		x->reconnects++;
		sleep_ms(x->reconnects == 1 ? 0 : backoff_ms(x->reconnects - 1));
		mf_diag_clear(&d);
		rc = connect_as(&x->s.c, x, x->s.user, &d);
		if (rc == MF_OK)
			break;
		snprintf(why, sizeof(why), "%s", d.msg);
	}
	if (rc < 0) {
		for (size_t i = 0; i < nu; i++)
			amsg_free(unsure[i]);
		free(unsure);
		return mf_diag_set(diag, MF_EIO, NULL, MF_NO_OFFSET,
				   "IMAP %s: the connection for %s was lost and could not be made again "
				   "(%d tries): %s", x->t.host, x->s.user, x->reconnects, why);
	}
	mf_export_problem(x->ex, MF_WARNING, "imap.reconnected", x->mb->id, 0,
			  "the connection was lost (%s); logged in again, %zu unanswered messages "
			  "looked up by %s", why, nu, MF_MIME_ID_HEADER);
	/* scan each folder that had unanswered messages */
	rc = MF_OK;
	for (size_t i = 0; i < nu && rc == MF_OK; i++) {
		struct tfolder *f = &x->tf[unsure[i]->folder];
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = unsure[j]->folder == unsure[i]->folder;
		if (!seen)
			rc = scan_folder(x, f, diag);
	}
	if (rc < 0) {
		/* the unanswered messages stay unsure: keep them for the next try */
		for (size_t i = 0; i < nu; i++)
			q_push(&x->inflight, &x->nin, &x->capin, unsure[i]);
		for (size_t i = 0; i < nu; i++)
			x->in_bytes += unsure[i]->len;
		free(unsure);
		return rc;
	}
	for (size_t i = 0; i < nu; i++) {
		struct amsg *m = unsure[i];
		struct tfolder *f = &x->tf[m->folder];
		uint32_t uid = idmap_get(&f->ids, m->sid);
		if (uid) {
			confirm_msg(x, m, f->uidvalidity, uid);
			amsg_free(m);
		} else {
			m->cmd = 0;
			q_push(&x->queue, &x->nq, &x->capq, m);
		}
	}
	free(unsure);
	return MF_OK;
}

static int create_folder_now(struct mf_export_ctx *x, struct tfolder *f, struct mf_diag *diag)
{
	struct imap_resp r;
	struct mf_buf cmd;
	int rc;
	mf_buf_init(&cmd, NAME_MAX_BYTES * 2);
	mf_buf_addstr(&cmd, "CREATE ");
	imap_add_string(&cmd, f->name, strlen(f->name), 0);
	rc = imap_conn_cmd_raw(x->s.c, NULL, NULL, &x->resp, &r, cmd.data, cmd.len, diag);
	mf_buf_release(&cmd);
	f->need_create = 0;
	if (rc == MF_EREMOTE) {
		mf_export_problem(x->ex, MF_WARNING, "imap.create-failed", x->mb->id, 0,
				  "%s: %s", f->name, diag->msg);
		mf_diag_clear(diag);
		return MF_OK;
	}
	return rc;
}

/*
 * Move the pipeline on: send what is queued while the window allows, read
 * what has come back.  finish: until nothing is queued or unanswered.
 * Recovers a lost connection.
 */
static int pump(struct mf_export_ctx *x, int finish, struct mf_diag *diag)
{
	int rc;
	for (;;) {
		int must_wait = 0;
		if (!x->s.c || imap_conn_broken(x->s.c)) {
			if ((rc = recover(x, diag)) < 0)
				return rc;
			continue;
		}
		rc = read_replies(x, 0, diag);
		/* send what may be sent */
		while (rc == MF_OK && x->nq && !sync_waiting(x)) {
			struct amsg *m = x->queue[0];
			int64_t now = mf_now_ms();
			if (x->throttle_until > now) {
				close_batch(x);
				must_wait = 1;
				break;
			}
			if (x->tf[m->folder].need_create) {
				close_batch(x);
				if (x->nin) {
					must_wait = 1;
					break;
				}
				if ((rc = create_folder_now(x, &x->tf[m->folder], diag)) < 0)
					break;
				continue;
			}
			if (x->nin && (x->nin >= WINDOW_MSGS || x->in_bytes + m->len > WINDOW_BYTES)) {
				close_batch(x);
				must_wait = 1;
				break;
			}
			memmove(x->queue, x->queue + 1, (x->nq - 1) * sizeof(*x->queue));
			x->nq--;
			send_msg(x, m);
			if (!nonsync_ok(x, m->len))
				break;   /* wait for the continuation */
		}
		if (rc == MF_OK)
			rc = imap_conn_pump(x->s.c, 0, diag);
		if (rc < 0) {
			if (x->s.c && imap_conn_broken(x->s.c))
				continue;   /* recover */
			return rc;
		}
		if (sync_waiting(x))
			must_wait = 1;
		if (finish && !x->nq) {
			close_batch(x);
			if (!x->nin && !imap_conn_unsent(x->s.c))
				return MF_OK;
			must_wait = 1;
		}
		if (!finish && !x->nq && !must_wait)
			return MF_OK;
		if (!must_wait && x->nq)
			continue;
		/* wait: for replies, or until the back-off ends */
		if (x->nin || imap_conn_unsent(x->s.c)) {
			int64_t wait = x->timeout_ms;
			if (x->throttle_until > mf_now_ms() && !x->nin)
				wait = x->throttle_until - mf_now_ms();
			rc = imap_conn_pump(x->s.c, (int)(wait > 0 ? wait : 1), diag);
			if (rc < 0 && !imap_conn_broken(x->s.c))
				return rc;
		} else if (x->throttle_until > mf_now_ms()) {
			sleep_ms(x->throttle_until - mf_now_ms());
		}
	}
}

/* ---- the exporter ---- */

static int im_open(struct mf_export_ctx **out, struct mf_export *ex, struct mf_store *st,
		   const struct mf_export_opts *o, struct mf_diag *diag)
{
	struct mf_export_ctx *x = mf_xcalloc(1, sizeof(*x));
	struct imap_conn *c = NULL;
	struct imap_conn_opts co;
	int rc;

	*out = NULL;
	x->ex = ex;
	x->st = st;
	x->opts = o;
	x->timeout_ms = env_ms("MAILFERRY_IMAP_TIMEOUT_MS", 120000);
	mf_buf_init(&x->msg, MF_BUF_UNBOUNDED);
	mf_buf_init(&x->resp, IMAP_RESPONSE_MAX);
	mf_mime_opts_init(&x->mime);
	x->mime.crlf = 1;
	x->mime.bcc = 1;
	x->mime.raw_headers = o->keep_raw_headers ? MF_MIME_RAW_PART : MF_MIME_RAW_NONE;
	if ((rc = parse_url(&x->t, o, diag)) < 0)
		goto fail;
	if (o->oauth2_token_file || (!o->password_file && getenv("MAILFERRY_OAUTH2_TOKEN") &&
				     !getenv("MAILFERRY_PASSWORD"))) {
		x->oauth2 = 1;
		if (!o->oauth2_token_file || !strstr(o->oauth2_token_file, "%u"))
			rc = read_secret(&x->secret, o->oauth2_token_file, "MAILFERRY_OAUTH2_TOKEN",
					 "--oauth2-token-file", diag);
	} else {
		if (!o->admin || !*o->admin) {
			rc = mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
					 "imap needs --admin USER (the account that acts for each mailbox)");
			goto fail;
		}
		rc = read_secret(&x->secret, o->password_file, "MAILFERRY_PASSWORD",
				 "--password-file", diag);
	}
	if (rc < 0)
		goto fail;
	/* is the server there and does it speak IMAP? */
	co = (struct imap_conn_opts){ x->t.host, x->t.port, x->t.tls, x->t.verify,
				      (int)x->timeout_ms };
	if ((rc = imap_conn_open(&c, &co, diag)) < 0)
		goto fail;
	imap_conn_close(&c);
	*out = x;
	return MF_OK;
fail:
	wipe_free(&x->secret);
	mf_buf_release(&x->msg);
	mf_buf_release(&x->resp);
	free(x);
	return rc;
}

static const char *im_target(struct mf_export_ctx *x)
{
	return x->t.url;
}

static int im_check(struct mf_export_ctx *x, const struct mf_mailbox *mb, struct mf_diag *diag)
{
	struct imap_conn *c = NULL;
	int rc = connect_as(&c, x, mailbox_user(x, mb), diag);
	if (rc == MF_EREMOTE) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", diag->msg);
		return mf_diag_set(diag, MF_EREMOTE, NULL, MF_NO_OFFSET,
				   "the admin cannot act for mailbox '%s' on %s (%s); fix: give '%s' "
				   "the right to log in for it (Dovecot: a master user and "
				   "--login-format '%%u*%%a'), or create the account",
				   mailbox_user(x, mb), x->t.url, msg, x->opts->admin ? x->opts->admin : "?");
	}
	if (rc == MF_OK) {
		struct imap_resp r;
		struct mf_buf b;
		mf_buf_init(&b, IMAP_RESPONSE_MAX);
		mf_buf_addstr(imap_conn_out(c), "z LOGOUT\r\n");
		(void)r;
		imap_conn_pump(c, 0, diag);
		mf_buf_release(&b);
		imap_conn_close(&c);
		mf_diag_clear(diag);
	}
	return rc;
}

static int im_mailbox_begin(struct mf_export_ctx *x, const struct mf_mailbox *mb,
			    const char *const *folders, size_t n, struct mf_diag *diag)
{
	int rc, tries = 0;

	pipeline_drop(x);
	folders_release(x);
	x->mb = mb;
	x->reconnects = 0;
	if ((rc = load_staged_folders(x, x->st, mb->id, diag)) < 0)
		return rc;
	for (;;) {
		rc = sess_open(x, &x->s, mb, &x->resp, diag);
		if (rc == MF_OK) {
			for (size_t i = 0; i < x->n_tf; i++) {
				free(x->tf[i].staged);
				free(x->tf[i].name);
				idmap_clear(&x->tf[i].ids);
			}
			x->n_tf = 0;
			/* the inbox of a personal mailbox always; the root of a public one */
			if (!is_public(mb))
				tfolder_for(x, "Inbox");
			else if (!n)
				tfolder_for(x, x->s.alias);
			for (size_t i = 0; i < n; i++)
				tfolder_for(x, folders[i]);
			rc = prepare_folders(x, diag);
		}
		if (rc != MF_EIO || ++tries > MAX_RECONNECTS)
			break;
		sleep_ms(backoff_ms(tries));
	}
	return rc;
}

static int im_put_message(struct mf_export_ctx *x, const struct mf_mailbox *mb,
			  const struct mf_message *m, struct mf_put_result *res,
			  struct mf_diag *diag)
{
	const char *fp = m->folder_path && *m->folder_path ? m->folder_path : "Inbox";
	size_t fi = tfolder_for(x, fp);
	struct tfolder *f;
	struct amsg *a;
	struct mf_diag d;
	int64_t t;
	int rc;
	size_t k = 0;

	if (x->tf[fi].need_create) {
		/* a folder mailbox_begin did not know: create it when it is its turn */
		x->tf[fi].lo = 1;
	}
	f = &x->tf[fi];
	a = mf_xcalloc(1, sizeof(*a));
	mf_mime_staged_id(a->sid, m);
	{
		uint32_t uid = f->scanned ? idmap_get(&f->ids, a->sid) : 0;
		if (uid) {
			/* an earlier run delivered it; the ledger did not learn of it */
			res->state = MF_PUT_DELIVERED;
			snprintf(res->remote_id, sizeof(res->remote_id), "%" PRIu32 ":%" PRIu32,
				 f->uidvalidity, uid);
			free(a);
			return MF_OK;
		}
	}
	mf_buf_reset(&x->msg);
	mf_diag_clear(&d);
	rc = mf_mime_build(&x->msg, m, mb, &x->mime, &d);
	if (rc == MF_ETOOBIG || rc == MF_EFORMAT) {
		res->state = MF_PUT_REFUSED;
		snprintf(res->detail, sizeof(res->detail), "the message cannot be built: %.200s", d.msg);
		free(a);
		return MF_OK;
	}
	if (rc < 0) {
		*diag = d;
		free(a);
		return rc;
	}
	a->item_id = m->id;
	a->mailbox_id = mb->id;
	a->folder = fi;
	a->len = x->msg.len;
	a->data = mf_buf_detach(&x->msg, NULL);
	mf_sha256_hex(a->sha, a->data, a->len);
	if (!m->unread)
		k += (size_t)snprintf(a->flags + k, sizeof(a->flags) - k, "%s\\Seen", k ? " " : "");
	if (m->unsent)
		k += (size_t)snprintf(a->flags + k, sizeof(a->flags) - k, "%s\\Draft", k ? " " : "");
	if (x->opts->flag_urgent && m->priority > 0)
		k += (size_t)snprintf(a->flags + k, sizeof(a->flags) - k, "%s\\Flagged", k ? " " : "");
	t = m->has_received ? m->received_utc : m->has_sent ? m->sent_utc : -1;
	if (t >= 0)
		imap_date_format(a->date, t);
	q_push(&x->queue, &x->nq, &x->capq, a);
	res->state = MF_PUT_PENDING;
	memcpy(res->sha256, a->sha, sizeof(res->sha256));
	res->bytes = (int64_t)a->len;
	return pump(x, 0, diag);
}

static int im_mailbox_end(struct mf_export_ctx *x, const struct mf_mailbox *mb, int failed,
			  struct mf_diag *diag)
{
	int rc = MF_OK;
	(void)mb;
	if (!failed)
		rc = pump(x, 1, diag);
	pipeline_drop(x);
	sess_release(&x->s);
	folders_release(x);
	x->mb = NULL;
	return rc;
}

static void im_close(struct mf_export_ctx **px)
{
	struct mf_export_ctx *x = px ? *px : NULL;
	if (!x)
		return;
	pipeline_drop(x);
	sess_release(&x->s);
	folders_release(x);
	free(x->queue);
	free(x->inflight);
	free(x->cmds);
	wipe_free(&x->secret);
	mf_buf_release(&x->msg);
	mf_buf_release(&x->resp);
	free(x);
	*px = NULL;
}

const struct mf_exporter mf_exporter_imap = {
	.name = "imap",
	.summary = "any IMAP server (APPEND with dates and flags, pipelined)",
	.caps = MF_EXP_NEEDS_URL | MF_EXP_MESSAGES | MF_EXP_PARALLEL,
	.open = im_open,
	.target = im_target,
	.check_mailbox = im_check,
	.mailbox_begin = im_mailbox_begin,
	.put_message = im_put_message,
	.mailbox_end = im_mailbox_end,
	.close = im_close,
};

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

static const char SQL_VERIFY_MSGS[] =
	"SELECT g.id, f.path, d.status, d.remote_id FROM messages g JOIN folders f ON f.id = g.folder_id "
	"LEFT JOIN deliveries d ON d.target = ?2 AND d.item_kind = 'message' AND d.item_id = g.id "
	"WHERE g.mailbox_id = ?1 AND g.parent_id IS NULL "
	"AND (?3 IS NULL OR coalesce(g.sent_utc, g.received_utc) IS NULL OR coalesce(g.sent_utc, g.received_utc) >= ?3) "
	"AND (?4 IS NULL OR coalesce(g.sent_utc, g.received_utc) IS NULL OR coalesce(g.sent_utc, g.received_utc) < ?4) "
	"ORDER BY f.path, g.id";

#define MISMATCH(...) do { fprintf(out, __VA_ARGS__); fputc('\n', out); sum->mismatches++; } while (0)

static int folder_selected_v(const struct mf_export_opts *o, const char *path)
{
	if (o->n_folders) {
		int any = 0;
		for (size_t i = 0; i < o->n_folders && !any; i++)
			any = mf_folder_match(o->folders[i], path);
		if (!any)
			return 0;
	}
	for (size_t i = 0; i < o->n_skip_folders; i++)
		if (mf_folder_match(o->skip_folders[i], path))
			return 0;
	return 1;
}

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
		if (m->remote_id && sscanf(m->remote_id, "%lu:%lu", &uv, &uid) == 2 &&
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
			k += (size_t)snprintf(wf + k, sizeof(wf) - k, "%s\\Flagged", k ? " " : "");
		norm_flags(want, sizeof(want), wf);
		norm_flags(got, sizeof(got), m->flags);
		if (strcmp(want, got) != 0)
			MISMATCH("%s: message %lld (UID %" PRIu32 " in '%s'): flags (%s), expected (%s)",
				 alias, (long long)m->id, m->uid, f->name, got, want);
	}
	return imap_conn_cmd(x->s.c, NULL, NULL, &x->resp, &r, diag, "CLOSE");
}

static int verify_mailbox(struct mf_export_ctx *x, const struct mf_mailbox *mb, FILE *out,
			  struct mf_imap_verify_sum *sum, struct mf_diag *diag)
{
	struct vmsg *ms = NULL;
	size_t nm = 0;
	struct mf_arena arena = MF_ARENA_INIT;
	sqlite3_stmt *s;
	int rc, step;
	const char *alias = mb->alias ? mb->alias : mb->name;

	folders_release(x);
	x->mb = mb;
	if ((rc = load_staged_folders(x, x->st, mb->id, diag)) < 0)
		return rc;
	rc = sess_open(x, &x->s, mb, &x->resp, diag);
	if (rc == MF_EREMOTE) {
		MISMATCH("%s: cannot log in for it: %s", alias, diag->msg);
		mf_diag_clear(diag);
		return MF_OK;
	}
	if (rc < 0)
		return rc;
	sum->mailboxes++;
	if (!is_public(mb))
		tfolder_for(x, "Inbox");
	else if (!x->n_sf)
		tfolder_for(x, x->s.alias);
	for (size_t i = 0; i < x->n_sf; i++)
		if (folder_selected_v(x->opts, x->sf[i].path))
			tfolder_for(x, x->sf[i].path);
	/* the plan's messages with their ledger rows */
	s = mf_store_stmt(x->st, SQL_VERIFY_MSGS, diag);
	if (!s) {
		rc = MF_ESTORE;
		goto out;
	}
	sqlite3_bind_int64(s, 1, mb->id);
	mf_store_bind_text(s, 2, x->t.url);
	if (x->opts->has_since)
		sqlite3_bind_int64(s, 3, x->opts->since);
	if (x->opts->has_until)
		sqlite3_bind_int64(s, 4, x->opts->until);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(s, 1);
		if (!folder_selected_v(x->opts, path ? path : ""))
			continue;
		ms = mf_xreallocarray(ms, nm + 1, sizeof(*ms));
		memset(&ms[nm], 0, sizeof(ms[nm]));
		ms[nm].id = sqlite3_column_int64(s, 0);
		ms[nm].folder = mf_xstrdup(path ? path : "Inbox");
		if (sqlite3_column_type(s, 2) != SQLITE_NULL)
			ms[nm].status = mf_xstrdup((const char *)sqlite3_column_text(s, 2));
		if (sqlite3_column_type(s, 3) != SQLITE_NULL)
			ms[nm].remote_id = mf_xstrdup((const char *)sqlite3_column_text(s, 3));
		nm++;
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE) {
		rc = mf_store_fail(x->st, diag, "cannot list messages");
		goto out;
	}
	for (size_t i = 0; i < nm; i++)
		tfolder_for(x, ms[i].folder);
	rc = MF_OK;
	for (size_t i = 0; i < x->n_tf && rc == MF_OK; i++) {
		if (!name_exists(&x->s, x->tf[i].name)) {
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
	sess_release(&x->s);
	return rc;
}

int mf_imap_verify(struct mf_store *st, const struct mf_export_opts *opts, FILE *out,
		   struct mf_imap_verify_sum *sum, struct mf_diag *diag)
{
	struct mf_export_ctx *x = NULL;
	struct mf_mailbox *mbs = NULL;
	size_t nmb = 0;
	struct mf_arena marena = MF_ARENA_INIT;
	int rc;

	memset(sum, 0, sizeof(*sum));
	if ((rc = im_open(&x, NULL, st, opts, diag)) < 0)
		return rc;
	if ((rc = mf_export_select(st, opts, &mbs, &nmb, &marena, diag)) < 0)
		goto out;
	for (size_t i = 0; i < nmb && rc == MF_OK; i++)
		rc = verify_mailbox(x, &mbs[i], out, sum, diag);
out:
	im_close(&x);
	mf_arena_release(&marena);
	return rc;
}
