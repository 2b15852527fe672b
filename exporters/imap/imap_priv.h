/* SPDX-License-Identifier: MIT */
/*
 * imap_priv.h: the state the parts of the IMAP exporter share (imap.c the
 * exporter's callbacks, imap_session.c login and folder naming,
 * imap_folders.c the folders on the server and the scan for our own
 * messages, imap_pipeline.c the APPEND pipeline, imap_verify.c `verify
 * imap`).
 */
#ifndef MF_EXPORTERS_IMAP_PRIV_H
#define MF_EXPORTERS_IMAP_PRIV_H

#include "exporters/imap/imap.h"
#include "exporters/imap/imap_client.h"
#include "engine/export.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/strmap.h"
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

/* X-Mailferry-Id -> UID (found by a scan). */
struct idmap {
	struct mf_strmap m;       /* key (copied) -> UID; zeroed = empty */
};

/* The server, from --url. */
struct target {
	char host[256];
	int port;
	enum imap_tls tls;
	int verify;
	char url[300];            /* "imap://host:port": the ledger's target */
};

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

/* One command of a batch (imx_run_batch) and its reply. */
struct bcmd {
	char tag[16];
	int status;               /* IMAP_OK ... or -1 unanswered */
	char code[32];
	char text[200];
};

/* imap_session.c */
int imx_remote_id_parse(const char *rid, unsigned long *uv, unsigned long *uid);
int64_t imx_backoff_ms(int n);
int imx_connect_as(struct imap_conn **out, const struct mf_export_ctx *x, const char *user,
		   struct mf_diag *diag);
int64_t imx_env_ms(const char *name, int64_t def);
void imx_idmap_clear(struct idmap *m);
uint32_t imx_idmap_get(const struct idmap *m, const char *key);
void imx_idmap_put(struct idmap *m, const char *key, uint32_t uid);
int imx_is_public(const struct mf_mailbox *mb);
const char *imx_mailbox_user(const struct mf_export_ctx *x, const struct mf_mailbox *mb);
void imx_map_folder(struct mf_buf *out, const struct sess *s, const char *path,
		    const char *special);
int imx_name_exists(const struct sess *s, const char *name);
int imx_parse_url(struct target *t, const struct mf_export_opts *o, struct mf_diag *diag);
int imx_read_secret(char **out, const char *path, const char *env, const char *what,
		    struct mf_diag *diag);
int imx_run_batch(struct imap_conn *c, const struct mf_buf *cmd, struct bcmd *res, size_t n,
		  imap_untagged_cb cb, void *arg, struct mf_buf *resp, struct mf_diag *diag);
int imx_sess_open(struct mf_export_ctx *x, struct sess *s, const struct mf_mailbox *mb,
		  struct mf_buf *resp, struct mf_diag *diag);
void imx_sess_release(struct sess *s);
void imx_sleep_ms(int64_t ms);
int imx_special_index(const char *sp);
void imx_wipe_free(char **s);
/* imap_folders.c */
void imx_folders_release(struct mf_export_ctx *x);
int imx_load_staged_folders(struct mf_export_ctx *x, int64_t mailbox_id, struct mf_diag *diag);
int imx_prepare_folders(struct mf_export_ctx *x, struct mf_diag *diag);
int imx_scan_folder(struct mf_export_ctx *x, struct tfolder *f, struct mf_diag *diag);
size_t imx_tfolder_for(struct mf_export_ctx *x, const char *staged);
/* imap_pipeline.c */
void imx_pipeline_drop(struct mf_export_ctx *x);
int imx_pump(struct mf_export_ctx *x, int finish, struct mf_diag *diag);
void imx_q_push(struct amsg ***arr, size_t *n, size_t *cap, struct amsg *m);
/* imap.c */
void imx_im_close(struct mf_export_ctx **px);
int imx_im_open(struct mf_export_ctx **out, struct mf_export *ex, struct mf_store *st,
		const struct mf_export_opts *o, struct mf_diag *diag);
const char *imx_im_target(struct mf_export_ctx *x);

/* the SPECIAL-USE attributes of sent, drafts, trash (imap_session.c) */
extern const char *const imx_special_attr[3];

#endif
