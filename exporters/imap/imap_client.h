/* SPDX-License-Identifier: MIT */
/*
 * imap_client.h: mailferry's small IMAP4rev1 client (RFC 3501) over TCP or
 * TLS (OpenSSL), used by the IMAP exporter (exporters/imap/imap.c) and by
 * `mailferry verify imap`.
 *
 * Two layers, both bounded:
 *
 *   Responses.  imap_conn_response() reads one whole server response from
 *   the connection: a line, and while a line ends in a literal "{N}" the N
 *   bytes that follow and the line after them.  A line may not pass
 *   IMAP_LINE_MAX bytes, a literal IMAP_LITERAL_MAX, a response
 *   IMAP_RESPONSE_MAX; a server that sends more is a protocol error.  The
 *   bytes of a response are kept as received, so that the tokenizer
 *   (imap_tok_*) reads literals in place; every length it takes from the
 *   input is checked against what is left.
 *
 *   Connection.  Sockets are non-blocking; imap_conn_pump() writes what is
 *   queued and reads what has arrived in one poll() loop, so a client that
 *   queues many commands (pipelining) never deadlocks against a server
 *   whose replies fill the other direction.  Every wait has a timeout.
 *
 * Nothing here knows about mailboxes or messages.  Strings that go into a
 * command are written by imap_add_string() (quoted when safe, a literal
 * otherwise), never pasted raw.
 */
#ifndef MF_EXPORTERS_IMAP_CLIENT_H
#define MF_EXPORTERS_IMAP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/mf.h"

#define IMAP_LINE_MAX (64u << 10)          /* one line of a response */
#define IMAP_LITERAL_MAX (512u << 20)      /* one literal (a message body) */
#define IMAP_RESPONSE_MAX (600u << 20)     /* one whole response */

/* Capabilities we act on. */
enum imap_cap {
	IMAP_CAP_IMAP4REV1 = 1u << 0,
	IMAP_CAP_LITERALPLUS = 1u << 1,    /* LITERAL+: {N+} for any N */
	IMAP_CAP_LITERALMINUS = 1u << 2,   /* LITERAL-: {N+} for N <= 4096 */
	IMAP_CAP_MULTIAPPEND = 1u << 3,
	IMAP_CAP_UIDPLUS = 1u << 4,
	IMAP_CAP_SPECIAL_USE = 1u << 5,
	IMAP_CAP_NAMESPACE = 1u << 6,
	IMAP_CAP_STARTTLS = 1u << 7,
	IMAP_CAP_LOGINDISABLED = 1u << 8,
	IMAP_CAP_AUTH_PLAIN = 1u << 9,
	IMAP_CAP_AUTH_XOAUTH2 = 1u << 10,
	IMAP_CAP_SASL_IR = 1u << 11,
	IMAP_CAP_LIST_EXTENDED = 1u << 12,
	IMAP_CAP_CREATE_SPECIAL_USE = 1u << 13,
	IMAP_CAP_ENABLE = 1u << 14,
};

/* ---- tokenizer over one response ---- */

enum imap_tok_type {
	IMAP_T_END = 0,      /* nothing more on the response */
	IMAP_T_ATOM,         /* atom, number, flag (\Seen), BODY[...] */
	IMAP_T_QUOTED,       /* s/len: the raw text between the quotes (escapes kept) */
	IMAP_T_LITERAL,      /* s/len: the literal's bytes */
	IMAP_T_NIL,
	IMAP_T_LPAREN,
	IMAP_T_RPAREN,
	IMAP_T_LBRACKET,     /* '[' opening a response code */
	IMAP_T_RBRACKET,
	IMAP_T_ERROR,        /* malformed: p->err says why */
};

struct imap_tok {
	enum imap_tok_type type;
	const char *s;
	size_t len;
};

struct imap_p {
	const char *p;
	size_t n, i;
	const char *err;
};

void imap_p_init(struct imap_p *p, const char *data, size_t len);
/* Next token (spaces skipped).  Never reads outside [p, p+n). */
struct imap_tok imap_tok_next(struct imap_p *p);
/* Skip one whole value: a token, or a parenthesised list with everything
 * in it (at most 64 levels).  MF_OK or MF_EFORMAT. */
int imap_tok_skip(struct imap_p *p, const struct imap_tok *first);
/* The rest of the line from the current position (leading space skipped). */
void imap_p_rest(struct imap_p *p, const char **s, size_t *len);

/* A token's string value (quoted: escapes removed; literal, atom: as is;
 * NIL: empty) appended to out.  MF_EFORMAT for other tokens. */
int imap_tok_string(struct mf_buf *out, const struct imap_tok *t);
/* Case-insensitive comparison of an atom with a word. */
int imap_tok_is(const struct imap_tok *t, const char *word);
/* An atom that is a number (at most max). */
int imap_tok_u64(uint64_t *out, const struct imap_tok *t, uint64_t max);

/* One response, classified. */
enum imap_resp_kind { IMAP_R_TAGGED, IMAP_R_UNTAGGED, IMAP_R_CONTINUE };
enum imap_status { IMAP_OK = 0, IMAP_NO, IMAP_BAD, IMAP_PREAUTH, IMAP_BYE, IMAP_NONE };

struct imap_resp {
	enum imap_resp_kind kind;
	char tag[24];                 /* tagged: the tag */
	enum imap_status status;      /* OK/NO/BAD/PREAUTH/BYE, or IMAP_NONE */
	uint64_t number;              /* untagged "* N WORD": N (has_number) */
	int has_number;
	char word[32];                /* untagged: the word (upper case): CAPABILITY, FETCH, LIST ... */
	char code[32];                /* response code name, upper case ("" none) */
	const char *code_args;        /* its arguments (up to ']') */
	size_t code_args_len;
	const char *text;             /* human-readable text */
	size_t text_len;
	struct imap_p rest;           /* after the word (untagged data) */
};

/* Classify data[0..len) (one whole response as read).  MF_OK or
 * MF_EFORMAT.  The struct points into data. */
int imap_resp_parse(struct imap_resp *r, const char *data, size_t len);

/* Capability words of a CAPABILITY response or code into *caps. */
unsigned imap_caps_parse(struct imap_p *p);

/*
 * A UID set as APPENDUID gives it ("5", "5:9", "5,7:8"), expanded in order
 * into out[0..cap).  *n_out is the count.  MF_EFORMAT for anything else or
 * a descending range, MF_ETOOBIG for more than cap UIDs.
 */
int imap_uidset_parse(uint32_t *out, size_t cap, size_t *n_out, const char *s, size_t len);

/* "dd-Mon-yyyy hh:mm:ss +zzzz" (INTERNALDATE) <-> UTC seconds. */
int imap_date_parse(int64_t *out, const char *s, size_t len);
void imap_date_format(char out[32], int64_t t);

/* Append s[0..len) as an IMAP string: a quoted string when it is short
 * printable ASCII, else a literal ({N+} when lit_plus, else {N}: the
 * caller must then wait for the continuation; such callers should use
 * only quotable strings). */
void imap_add_string(struct mf_buf *b, const char *s, size_t len, int lit_plus);
/* Can s be written as a quoted string? */
int imap_quotable(const char *s, size_t len);

/* ---- connection ---- */

enum imap_tls { IMAP_TLS_NONE = 0, IMAP_TLS_IMPLICIT, IMAP_TLS_STARTTLS };

struct imap_conn_opts {
	const char *host;
	int port;
	enum imap_tls tls;
	int verify;                   /* verify the certificate and the host name */
	int timeout_ms;               /* one wait (connect, a reply) at most */
};

struct imap_conn;

/*
 * Connect, read the greeting, do STARTTLS if asked, and learn the
 * capabilities.  MF_OK, MF_EIO (cannot connect, TLS failed: diag says
 * why), MF_EREMOTE (the server refused: BYE greeting, no STARTTLS).
 */
int imap_conn_open(struct imap_conn **out, const struct imap_conn_opts *o,
		   struct mf_diag *diag);
/* Use an already connected socket (tests: one end of a socketpair); the
 * connection owns fd from here on, also when this fails. */
int imap_conn_open_fd(struct imap_conn **out, int fd, const struct imap_conn_opts *o,
		      struct mf_diag *diag);
void imap_conn_close(struct imap_conn **c);

unsigned imap_conn_caps(const struct imap_conn *c);
void imap_conn_set_caps(struct imap_conn *c, unsigned caps);
int imap_conn_broken(const struct imap_conn *c);

/* A fresh tag ("m123") into tag[16]. */
void imap_conn_tag(struct imap_conn *c, char tag[16]);
/* The output queue: append a command's bytes here, then pump. */
struct mf_buf *imap_conn_out(struct imap_conn *c);
/* Bytes queued and not yet written. */
size_t imap_conn_unsent(const struct imap_conn *c);
/* Byte count written so far on this connection (for tests). */
uint64_t imap_conn_written(const struct imap_conn *c);

/*
 * Write what is queued and read what arrived, waiting at most wait_ms for
 * anything to happen (0: do not wait; -1: the connection's timeout).
 * MF_OK, or MF_EIO when the connection failed (it is then broken).
 */
int imap_conn_pump(struct imap_conn *c, int wait_ms, struct mf_diag *diag);

/*
 * The next whole response into resp (reset first).  With block set, pumps
 * until one is there (the queue is written meanwhile), failing with MF_EIO
 * after the timeout; without, returns MF_DONE when none is complete yet.
 * MF_EFORMAT (and the connection broken) for a response over its bounds.
 */
int imap_conn_response(struct imap_conn *c, struct mf_buf *resp, int block,
		       struct mf_diag *diag);

/*
 * Send a whole command (tag and CRLF added) and read responses until its
 * tagged reply.  Untagged responses are passed to cb (may be NULL) with
 * the raw bytes; the tagged one is parsed into *final (pointing into
 * final_buf).  MF_OK when the reply is OK; MF_EREMOTE for NO/BAD (diag
 * has the server's text); MF_EIO.
 */
typedef void (*imap_untagged_cb)(void *arg, const struct imap_resp *r);
int imap_conn_cmd(struct imap_conn *c, imap_untagged_cb cb, void *arg,
		  struct mf_buf *final_buf, struct imap_resp *final, struct mf_diag *diag,
		  const char *fmt, ...) MF_ATTR_PRINTF(7, 8);
/* The same with the command's bytes already in cmd (without tag and CRLF). */
int imap_conn_cmd_raw(struct imap_conn *c, imap_untagged_cb cb, void *arg,
		      struct mf_buf *final_buf, struct imap_resp *final,
		      const char *cmd, size_t cmd_len, struct mf_diag *diag);

/*
 * Log in.  With authzid (may be NULL) and AUTH=PLAIN: AUTHENTICATE PLAIN
 * authzid\0user\0password; with oauth2 set: AUTHENTICATE XOAUTH2 for user
 * with the bearer token in secret; otherwise LOGIN user secret.  Learns the
 * capabilities again afterwards.  MF_OK, MF_EREMOTE (refused: diag has the
 * server's words, never the secret), MF_EIO.
 */
int imap_conn_login(struct imap_conn *c, const char *user, const char *authzid,
		    const char *secret, int oauth2, struct mf_diag *diag);

/* Base64 of data (standard alphabet, padded) appended to out. */
void imap_base64(struct mf_buf *out, const void *data, size_t len);

#endif
