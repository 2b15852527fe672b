/* SPDX-License-Identifier: MIT */
/* imap_pipeline.c: the APPEND pipeline (see imap.c and imap_priv.h). */
#include "exporters/imap/imap_priv.h"

/* ---- the pipeline ---- */

static void amsg_free(struct amsg *m)
{
	if (m) {
		free(m->data);
		free(m);
	}
}

void imx_q_push(struct amsg ***arr, size_t *n, size_t *cap, struct amsg *m)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*arr = mf_xreallocarray(*arr, *cap, sizeof(**arr));
	}
	(*arr)[(*n)++] = m;
}

void imx_pipeline_drop(struct mf_export_ctx *x)
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
	imx_q_push(&x->inflight, &x->nin, &x->capin, m);
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
			imx_q_push(&x->queue, &x->nq, &x->capq, ms[i]);
		}
		x->throttle_until = mf_now_ms() + imx_backoff_ms(mr);
		mf_export_problem(x->ex, MF_INFO, "imap.backoff", x->mb->id, 0,
				  "the server asked to wait ([%s] %.*s): %zu messages sent again "
				  "after %lld ms", r->code, (int)(r->text_len > 200 ? 200 : r->text_len),
				  r->text, n, (long long)imx_backoff_ms(mr));
	} else if (!strcmp(r->code, "TRYCREATE") && n && ms[0]->retries < 2) {
		for (size_t i = 0; i < n; i++) {
			ms[i]->retries++;
			ms[i]->cmd = 0;
			x->tf[ms[i]->folder].need_create = 1;
			imx_q_push(&x->queue, &x->nq, &x->capq, ms[i]);
		}
	} else if (n > 1) {
		/* one of them (or the batch) was refused: each alone now */
		for (size_t i = 0; i < n; i++) {
			ms[i]->single = 1;
			ms[i]->cmd = 0;
			imx_q_push(&x->queue, &x->nq, &x->capq, ms[i]);
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
		imx_sleep_ms(x->reconnects == 1 ? 0 : imx_backoff_ms(x->reconnects - 1));
		mf_diag_clear(&d);
		rc = imx_connect_as(&x->s.c, x, x->s.user, &d);
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
			rc = imx_scan_folder(x, f, diag);
	}
	if (rc < 0) {
		/* the unanswered messages stay unsure: keep them for the next try */
		for (size_t i = 0; i < nu; i++)
			imx_q_push(&x->inflight, &x->nin, &x->capin, unsure[i]);
		for (size_t i = 0; i < nu; i++)
			x->in_bytes += unsure[i]->len;
		free(unsure);
		return rc;
	}
	for (size_t i = 0; i < nu; i++) {
		struct amsg *m = unsure[i];
		struct tfolder *f = &x->tf[m->folder];
		uint32_t uid = imx_idmap_get(&f->ids, m->sid);
		if (uid) {
			confirm_msg(x, m, f->uidvalidity, uid);
			amsg_free(m);
		} else {
			m->cmd = 0;
			imx_q_push(&x->queue, &x->nq, &x->capq, m);
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
int imx_pump(struct mf_export_ctx *x, int finish, struct mf_diag *diag)
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
			imx_sleep_ms(x->throttle_until - mf_now_ms());
		}
	}
}
