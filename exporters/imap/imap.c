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
#include "exporters/imap/imap_priv.h"

/* ---- the exporter ---- */

int imx_im_open(struct mf_export_ctx **out, struct mf_export *ex, struct mf_store *st,
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
	x->timeout_ms = imx_env_ms("MAILFERRY_IMAP_TIMEOUT_MS", 120000);
	mf_buf_init(&x->msg, MF_BUF_UNBOUNDED);
	mf_buf_init(&x->resp, IMAP_RESPONSE_MAX);
	mf_mime_opts_init(&x->mime);
	x->mime.crlf = 1;
	x->mime.bcc = 1;
	x->mime.raw_headers = o->keep_raw_headers ? MF_MIME_RAW_PART : MF_MIME_RAW_NONE;
	if ((rc = imx_parse_url(&x->t, o, diag)) < 0)
		goto fail;
	if (o->oauth2_token_file || (!o->password_file && getenv("MAILFERRY_OAUTH2_TOKEN") &&
				     !getenv("MAILFERRY_PASSWORD"))) {
		x->oauth2 = 1;
		if (!o->oauth2_token_file || !strstr(o->oauth2_token_file, "%u"))
			rc = imx_read_secret(&x->secret, o->oauth2_token_file, "MAILFERRY_OAUTH2_TOKEN",
					 "--oauth2-token-file", diag);
	} else {
		if (!o->admin || !*o->admin) {
			rc = mf_diag_set(diag, MF_EUSAGE, NULL, MF_NO_OFFSET,
					 "imap needs --admin USER (the account that acts for each mailbox)");
			goto fail;
		}
		rc = imx_read_secret(&x->secret, o->password_file, "MAILFERRY_PASSWORD",
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
	imx_wipe_free(&x->secret);
	mf_buf_release(&x->msg);
	mf_buf_release(&x->resp);
	free(x);
	return rc < 0 ? rc : MF_EIO;   /* never success without *out */
}

const char *imx_im_target(struct mf_export_ctx *x)
{
	return x->t.url;
}

static int im_check(struct mf_export_ctx *x, const struct mf_mailbox *mb, struct mf_diag *diag)
{
	struct imap_conn *c = NULL;
	int rc = imx_connect_as(&c, x, imx_mailbox_user(x, mb), diag);
	if (rc == MF_EREMOTE && imx_is_public(mb)) {
		/* A public mailbox is written by the admin's own login, which
		 * --login-format does not change: an admin that is only a master
		 * user (it acts for others, has no account) cannot do it. */
		char msg[512];
		const char *admin = x->opts->admin && *x->opts->admin ? x->opts->admin : "?";
		snprintf(msg, sizeof(msg), "%s", diag->msg);
		return mf_diag_set(diag, MF_EREMOTE, NULL, MF_NO_OFFSET,
				   "public mailbox '%s' is written by the admin's own login, and '%s' "
				   "cannot log in as itself on %s (%.120s). A master user alone cannot: "
				   "make '%s' an ordinary user too, or give the server a shared namespace "
				   "and export the public mailboxes with --admin an ordinary user that can "
				   "write it, or leave them out with a mailbox selection (--mailbox, "
				   "--mailboxes-from)",
				   mb->alias && *mb->alias ? mb->alias : mb->name, admin, x->t.url, msg,
				   admin);
	}
	if (rc == MF_EREMOTE) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", diag->msg);
		return mf_diag_set(diag, MF_EREMOTE, NULL, MF_NO_OFFSET,
				   "the admin cannot act for mailbox '%s' on %s (%s); fix: give '%s' "
				   "the right to log in for it (Dovecot: a master user and "
				   "--login-format '%%u*%%a'), or create the account",
				   imx_mailbox_user(x, mb), x->t.url, msg, x->opts->admin ? x->opts->admin : "?");
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

	imx_pipeline_drop(x);
	imx_folders_release(x);
	x->mb = mb;
	x->reconnects = 0;
	if ((rc = imx_load_staged_folders(x, mb->id, diag)) < 0)
		return rc;
	for (;;) {
		rc = imx_sess_open(x, &x->s, mb, &x->resp, diag);
		if (rc == MF_OK) {
			for (size_t i = 0; i < x->n_tf; i++) {
				free(x->tf[i].staged);
				free(x->tf[i].name);
				imx_idmap_clear(&x->tf[i].ids);
			}
			x->n_tf = 0;
			/* the inbox of a personal mailbox always; the root of a public one */
			if (!imx_is_public(mb))
				imx_tfolder_for(x, "Inbox");
			else if (!n)
				imx_tfolder_for(x, x->s.alias);
			for (size_t i = 0; i < n; i++)
				imx_tfolder_for(x, folders[i]);
			rc = imx_prepare_folders(x, diag);
		}
		if (rc != MF_EIO || ++tries > MAX_RECONNECTS)
			break;
		imx_sleep_ms(imx_backoff_ms(tries));
	}
	return rc;
}

static int im_put_message(struct mf_export_ctx *x, const struct mf_mailbox *mb,
			  const struct mf_message *m, struct mf_put_result *res,
			  struct mf_diag *diag)
{
	const char *fp = m->folder_path && *m->folder_path ? m->folder_path : "Inbox";
	size_t fi = imx_tfolder_for(x, fp);
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
		uint32_t uid = f->scanned ? imx_idmap_get(&f->ids, a->sid) : 0;
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
		snprintf(a->flags + k, sizeof(a->flags) - k, "%s\\Flagged", k ? " " : "");
	t = m->has_received ? m->received_utc : m->has_sent ? m->sent_utc : -1;
	if (t >= 0)
		imap_date_format(a->date, t);
	imx_q_push(&x->queue, &x->nq, &x->capq, a);
	res->state = MF_PUT_PENDING;
	memcpy(res->sha256, a->sha, sizeof(res->sha256));
	res->bytes = (int64_t)a->len;
	return imx_pump(x, 0, diag);
}

static int im_mailbox_end(struct mf_export_ctx *x, const struct mf_mailbox *mb, int failed,
			  struct mf_diag *diag)
{
	int rc = MF_OK;
	(void)mb;
	if (!failed)
		rc = imx_pump(x, 1, diag);
	imx_pipeline_drop(x);
	imx_sess_release(&x->s);
	imx_folders_release(x);
	x->mb = NULL;
	return rc;
}

void imx_im_close(struct mf_export_ctx **px)
{
	struct mf_export_ctx *x = px ? *px : NULL;
	if (!x)
		return;
	imx_pipeline_drop(x);
	imx_sess_release(&x->s);
	imx_folders_release(x);
	free(x->queue);
	free(x->inflight);
	free(x->cmds);
	imx_wipe_free(&x->secret);
	mf_buf_release(&x->msg);
	mf_buf_release(&x->resp);
	free(x);
	*px = NULL;
}

const struct mf_exporter mf_exporter_imap = {
	.name = "imap",
	.summary = "any IMAP server (APPEND with dates and flags, pipelined)",
	.options = (const struct mf_option[]){
		{ .name = "url", .kind = MF_OPT_STRING, .arg = "imap[s]://HOST[:PORT]",
		  .help = "IMAP server (imap)",
		  .prompt = "IMAP server URL", .prompt_dflt = "imaps://localhost",
		  .prompt_help = "The IMAP server: imaps://HOST[:PORT] (TLS) or imap://HOST[:PORT] (plain,\n"
				 "upgraded with STARTTLS when you say so).",
		  .field = MF_OPT_FIELD(struct mf_export_opts, url) },
		{ .name = "admin", .kind = MF_OPT_STRING, .arg = "USER",
		  .help = "IMAP admin or master user",
		  .prompt = "Admin user", .prompt_dflt = "admin",
		  .prompt_help = "The admin (master) user that acts for every mailbox's user.",
		  .field = MF_OPT_FIELD(struct mf_export_opts, admin) },
		{ .name = "password-file", .kind = MF_OPT_SECRET_FILE, .arg = "FILE",
		  .help = "file holding the admin password (never on the command line)",
		  .prompt = "Password file (empty: $MAILFERRY_PASSWORD)", .prompt_dflt = "",
		  .prompt_help = "A file holding the admin's password (mode 0600; never typed here, never\n"
				 "stored).  Empty: the MAILFERRY_PASSWORD environment variable.",
		  .field = MF_OPT_FIELD(struct mf_export_opts, password_file) },
		{ .name = "oauth2-token-file", .kind = MF_OPT_SECRET_FILE, .arg = "FILE",
		  .help = "OAuth2 bearer token (XOAUTH2)",
		  .field = MF_OPT_FIELD(struct mf_export_opts, oauth2_token_file) },
		{ .name = "login-format", .kind = MF_OPT_STRING, .arg = "FMT",
		  .help = "how the admin acts for a user: '%u*%a' (Dovecot master user)",
		  .prompt = "Login format (empty: SASL PLAIN as the admin)", .prompt_dflt = "",
		  .prompt_help = "How the admin logs in for a user: empty for SASL PLAIN with an\n"
				 "authorization identity, or a login format such as '%u*%a' (Dovecot master\n"
				 "user: %u the user, %a the admin).",
		  .field = MF_OPT_FIELD(struct mf_export_opts, login_format) },
		{ .name = "starttls", .kind = MF_OPT_FLAG,
		  .help = "upgrade a plain connection with STARTTLS",
		  .prompt = "Use STARTTLS", .prompt_dflt = "yes", .ask_when_opt = "url", .ask_when_prefix = "imap://",
		  .prompt_help = "Upgrade the plain imap:// connection with STARTTLS before logging in.",
		  .field = MF_OPT_FIELD(struct mf_export_opts, starttls) },
		{ .name = "tls-verify", .kind = MF_OPT_BOOL, .dflt = "yes",
		  .help = "verify the server certificate (default yes)",
		  .field = MF_OPT_FIELD(struct mf_export_opts, tls_verify) },
		{ .name = "public-folder", .kind = MF_OPT_STRING, .arg = "NAME",
		  .help = "IMAP folder for public folders without a shared namespace",
		  .field = MF_OPT_FIELD(struct mf_export_opts, public_folder) },
		{ .name = "flag-urgent", .kind = MF_OPT_FLAG,
		  .help = "IMAP: mark high-priority messages \\Flagged",
		  .field = MF_OPT_FIELD(struct mf_export_opts, flag_urgent) },
		MF_OPTION_KEEP_RAW_HEADERS,
		{ .name = NULL }
	},
	.caps = MF_EXP_NEEDS_URL | MF_EXP_MESSAGES | MF_EXP_PARALLEL,
	.open = imx_im_open,
	.target = imx_im_target,
	.check_mailbox = im_check,
	.mailbox_begin = im_mailbox_begin,
	.put_message = im_put_message,
	.mailbox_end = im_mailbox_end,
	.close = imx_im_close,
	.verify = mf_imap_verify_run,
};
