/* SPDX-License-Identifier: MIT */
/*
 * mime.h: one staged message -> one RFC 5322 / MIME message (bytes).
 *
 * Used by every exporter that writes Internet mail: Maildir, mbox, EML and
 * IMAP.  core/mime.c is the only file of mailferry that includes GMime
 * (3.2); everything GMime owns stays inside it.
 *
 * What a built message holds (docs/decisions.md, "MIME"):
 *
 *   Date            the staged sent time (or, without one, the received
 *                   time) rendered in the message's source zone with that
 *                   zone's offset on that date.  No Date header at all
 *                   when the source date is unknown: mailferry never
 *                   invents a date.
 *   From            the sender; no From header when the source had none.
 *   To, Cc, Bcc     recipients in staged order; Bcc only when opts->bcc.
 *   Subject         UTF-8, RFC 2047 encoded words when not ASCII.
 *   Message-Id      the source's when it has a usable one, else derived
 *                   from the staged bytes (mf_mime_message_id).
 *   X-Mailferry-Id  the staged message's identity (mf_mime_staged_id), for
 *                   exporters that must find their own deliveries again.
 *   X-Priority, Importance   only for high and low priority.
 *   In-Reply-To     the source's parent message id, when usable.
 *   body            text bodies as text/plain; charset=utf-8 (quoted-
 *                   printable or base64 as GMime finds best), RTF bodies as
 *                   text/rtf with the source bytes, attachments base64 with
 *                   Content-Disposition: attachment and the file name
 *                   (RFC 2231 when not ASCII), forwarded messages as
 *                   message/rfc822, all in the source's item order.  One
 *                   text body alone is the whole message; anything else is
 *                   multipart/mixed.
 *
 * Deterministic: the same staged message and options always give the same
 * bytes (boundaries are derived from the staged identity; no clock, no
 * host name, no random number is read).
 *
 * Addresses.  Internet addresses are kept as they are.  Native addresses
 * get a display name and a stable address under a reserved domain:
 *
 *   cc:Mail  "Lindqvist, Anna at SALES01" -> "Lindqvist, Anna"
 *                                            <Lindqvist_Anna@SALES01.ccmail.invalid>
 *   MS Mail  "ACMENET/HQPO/ERAMIREZ"      -> ERAMIREZ <ERAMIREZ@HQPO.ACMENET.msmail.invalid>
 *   other    "FAX:+1 555 0100"            -> "+1 555 0100" <1_555_0100@fax.invalid>
 *
 * (mf_mime_address, which is core/addr.h mf_addr_render; the last label is
 * opts->native_domain.)
 */
#ifndef MF_CORE_MIME_H
#define MF_CORE_MIME_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/mf.h"
#include "core/model.h"

/* The header that carries mf_mime_staged_id. */
#define MF_MIME_ID_HEADER "X-Mailferry-Id"

/* Sizes of the identity strings, NUL included. */
#define MF_MIME_STAGED_ID_MAX 96
#define MF_MIME_MESSAGE_ID_MAX 256

/* What to do with the source's raw header block (--keep-raw-headers). */
enum mf_mime_raw {
	MF_MIME_RAW_NONE = 0,    /* leave it out (default) */
	MF_MIME_RAW_PART = 1,    /* attach it, bytes as written, as text/plain
				    "source-header.txt" in the source code page */
	MF_MIME_RAW_HEADER = 2,  /* one X-Mailferry-Source-Header per source line,
				    converted to UTF-8 */
};

struct mf_mime_opts {
	int bcc;                  /* write a Bcc header (archives: yes) */
	int crlf;                 /* CR LF line ends (IMAP, .eml); else LF */
	enum mf_mime_raw raw_headers;
	const char *native_domain; /* last label of native addresses; NULL: "invalid" */
	const char *default_zone; /* zone of times staged without one; NULL: "UTC" */
	int max_depth;            /* nesting of forwarded messages kept; 0: 16 */
};

/* Defaults: bcc 1, crlf 0, raw_headers none, "invalid", "UTC". */
void mf_mime_opts_init(struct mf_mime_opts *o);

/*
 * Append the message built from m to out (LF or CR LF lines per o->crlf).
 * m is a message as mf_store_message_load returns it, with attachment data
 * (with_data = 1) and nested messages; mb is its mailbox (gives the post
 * office of cc:Mail names written without one; may be NULL).  o may be
 * NULL for the defaults.  Returns MF_OK, MF_ETOOBIG when out's bound is
 * reached, or MF_EFORMAT (diag says why) for a message that cannot be
 * built.  Attachments staged without data become a short text/plain note
 * "<name>.missing.txt" saying so.
 */
int mf_mime_build(struct mf_buf *out, const struct mf_message *m,
		  const struct mf_mailbox *mb, const struct mf_mime_opts *o,
		  struct mf_diag *diag);

/*
 * The Message-Id mf_mime_build writes, without angle brackets, into
 * out[MF_MIME_MESSAGE_ID_MAX]: the source's id when it is a usable
 * "left@right" (no spaces, controls or brackets inside), else
 * "<32 hex digits of SHA-256 over the staged bytes' sha256>@mailferry.invalid".
 * Copies of one message in several mailboxes share it; it does not depend
 * on database row ids, so a re-import gives the same id.
 */
void mf_mime_message_id(char out[MF_MIME_MESSAGE_ID_MAX], const struct mf_message *m);

/*
 * The staged identity written as X-Mailferry-Id into
 * out[MF_MIME_STAGED_ID_MAX]: "<src_sha256>.<src_offset>".  Unique per
 * message of a source file and the same after a re-import: an IMAP
 * exporter resuming a mailbox searches for it (SEARCH HEADER X-Mailferry-Id).
 */
void mf_mime_staged_id(char out[MF_MIME_STAGED_ID_MAX], const struct mf_message *m);

/*
 * The RFC 5322 form of one staged address of a message of mailbox mb (may
 * be NULL) with opts' native domain: core/addr.h mf_addr_render, which says
 * how each legacy form is rendered.
 */
int mf_mime_address(struct mf_buf *name_out, struct mf_buf *addr_out,
		    const char *display, const char *type, const char *address,
		    const char *raw, const struct mf_mailbox *mb,
		    const struct mf_mime_opts *o);

/*
 * Read a built (or any) message back, for tests and `mailferry verify`.
 * Leaves are the parts with content (not multiparts, not message/rfc822
 * containers, whose messages are walked; depth counts those).
 */
struct mf_mime_leaf {
	char *content_type;       /* "text/plain" */
	char *filename;           /* decoded UTF-8; NULL: none */
	char *disposition;        /* "attachment", "inline"; NULL: none */
	char *charset;            /* NULL: none */
	char sha256[65];          /* of the decoded content */
	size_t size;              /* decoded bytes */
	int depth;                /* 0 top message, 1 inside a forwarded one, ... */
};

struct mf_mime_info {
	char *subject;            /* decoded UTF-8; NULL: none */
	char *message_id;         /* without brackets; NULL: none */
	char *staged_id;          /* X-Mailferry-Id; NULL: none */
	char *date;               /* Date header as written; NULL: none */
	struct mf_mime_leaf *leaves;
	size_t n_leaves;
	size_t n_messages;        /* the message and every nested one */
};

/* Parse data[0..len).  MF_EFORMAT when it is not a message.  Release with
 * mf_mime_info_release (also after a failure). */
int mf_mime_inspect(struct mf_mime_info *out, const void *data, size_t len,
		    struct mf_diag *diag);
void mf_mime_info_release(struct mf_mime_info *info);

#endif
