/* SPDX-License-Identifier: MIT */
/*
 * msmail_mmff.h: the Microsoft Mail File Format (MMFF) that APPGET writes,
 * one file per folder of an MS Mail export bundle (contract section 5).
 *
 *   VERSION:3.00
 *   TO:PCM:ACMENET/HQPO/JWEISS
 *   FROM:PCM:ACMENET/HQPO/ERAMIREZ
 *   DATE:1995-03-14
 *   TIME:09:05
 *   SUBJECT:Q3 budget figures for the branch offices
 *   PRIORITY:3
 *   ATTACHMENT:BUDGET.TXT 29
 *   TEXT:314
 *   <314 body bytes><29 attachment bytes>
 *   [line end]
 *   VERSION:3.00 ...
 *
 * The reader walks the file one message at a time.  Header lines end in
 * CR LF, LF or a lone CR; tokens match case-insensitively.  After `TEXT:n`
 * come exactly n body bytes, then each attachment's bytes in the order of
 * the ATTACHMENT: lines.  When the bytes after the declared counts are not
 * the next `VERSION:` line (or the end of the file) the counts are wrong:
 * the message is skipped whole (MF_SKIP, an error report) and the reader
 * resynchronises on the next line that starts with `VERSION:`, searching
 * from the start of the damaged message's body so that a count that was
 * too large costs only the damaged message.
 *
 * Everything returned points into the input (no copies) and into arrays the
 * reader owns, valid until the next call of mf_mmff_next or mf_mmff_release.
 */
#ifndef MF_IMPORTERS_MSMAIL_MMFF_H
#define MF_IMPORTERS_MSMAIL_MMFF_H

#include <stddef.h>
#include <stdint.h>
#include "core/rd.h"
#include "importers/problem.h"

/* Bounds for hostile input. */
#define MF_MMFF_LINE_MAX   (64u * 1024)   /* one header line */
#define MF_MMFF_HEADER_MAX (1u << 20)     /* all header lines of a message */
#define MF_MMFF_RCPT_MAX   20000          /* TO:/CC: lines of one message */
#define MF_MMFF_ATT_MAX    4096           /* ATTACHMENT: lines of one message */
#define MF_MMFF_TOKEN_MAX  4096           /* unknown and EXT: tokens of one message */

enum mf_mmff_role { MF_MMFF_TO = 0, MF_MMFF_CC = 1 };

struct mf_mmff_addr {
	enum mf_mmff_role role;
	struct mf_span value;        /* "[TYPE:]address", trimmed */
	uint64_t offset;             /* of the TO:/CC: line */
};

struct mf_mmff_att {
	struct mf_span name;         /* file name as written (may hold spaces) */
	uint64_t size;
	struct mf_span data;         /* the attachment's bytes */
	uint64_t offset;             /* of the ATTACHMENT: line */
	uint64_t data_offset;
};

/* A token kept verbatim: an EXT: token with its value, or an unknown one. */
struct mf_mmff_token {
	struct mf_span line;         /* the whole token line, without line end */
	struct mf_span name;         /* EXT: the NAME part; unknown: the token */
	struct mf_span value;        /* EXT: the value line; unknown: after ':' */
	uint64_t offset;
};

struct mf_mmff_msg {
	uint64_t offset;             /* of the VERSION: line */
	uint64_t length;             /* through the last attachment byte */
	struct mf_span raw;          /* those bytes */
	struct mf_span header;       /* VERSION: line through the TEXT: line end */
	/* Single tokens (p == NULL: absent).  Values are trimmed. */
	struct mf_span version, from, date, time, subject, priority, status;
	struct mf_mmff_addr *rcpt;
	size_t n_rcpt;
	struct mf_mmff_att *att;
	size_t n_att;
	struct mf_mmff_token *ext;
	size_t n_ext;
	struct mf_mmff_token *unknown;
	size_t n_unknown;
	struct mf_span body;         /* exactly TEXT: bytes */
	uint64_t body_offset;
	enum mf_eol eol;             /* line end of the VERSION: line */
};

struct mf_mmff {
	struct mf_rd rd;
	mf_problem_fn *problem;
	void *pctx;
	struct mf_mmff_addr *rcpt;
	size_t rcpt_cap;
	struct mf_mmff_att *att;
	size_t att_cap;
	struct mf_mmff_token *ext;
	size_t ext_cap;
	struct mf_mmff_token *unknown;
	size_t unknown_cap;
	enum mf_eol first_eol;       /* line end of the first VERSION: line */
	int started;
};

/* Start reading data[0..len); problems go to fn(ctx, ...) (fn may be NULL). */
void mf_mmff_init(struct mf_mmff *p, const void *data, size_t len,
		  mf_problem_fn *fn, void *ctx);
void mf_mmff_release(struct mf_mmff *p);

/*
 * The next message.  Returns MF_OK with *msg filled, MF_DONE at the end of
 * the input, or MF_SKIP when a damaged message was skipped: msg->offset and
 * msg->length then cover the skipped bytes (nothing else is set) and an
 * error was reported.  Bytes that are not a message at all (before the first
 * VERSION:, between messages) are reported as a warning and passed over.
 */
int mf_mmff_next(struct mf_mmff *p, struct mf_mmff_msg *msg);

/* ---- PRIORITY: ---- */

enum mf_mmff_prio_kind {
	MF_MMFF_PRIO_LEVEL = 0,      /* 1..5: *level is -1, 0 or 1 */
	MF_MMFF_PRIO_RECEIPT = 1,    /* R: return receipt requested */
	MF_MMFF_PRIO_CONFIRM = 2,    /* C: the receipt itself */
	MF_MMFF_PRIO_FILE = 3,       /* F: automatic file transfer */
	MF_MMFF_PRIO_EMPTY = 4,      /* empty value: normal */
	MF_MMFF_PRIO_UNKNOWN = 5,    /* anything else (T included): normal */
};

/* Classify a PRIORITY: value: 1-2 low (-1), 3 normal (0), 4-5 high (1). */
enum mf_mmff_prio_kind mf_mmff_priority(struct mf_span v, int *level);

/* ---- the Windows client's textized header (contract 5, research 6.2) ---- */

enum mf_textized_field {
	MF_TXH_OTHER = 0, MF_TXH_FROM, MF_TXH_TO, MF_TXH_CC, MF_TXH_SUBJECT,
	MF_TXH_DATE, MF_TXH_PRIORITY, MF_TXH_MESSAGE_ID, MF_TXH_CONVERSATION_ID,
	MF_TXH_PARENT_ID, MF_TXH_ATTACHMENTS
};

#define MF_TEXTIZED_LINES_MAX 256

struct mf_textized {
	size_t header_len;           /* bytes to strip: the header lines and the blank line */
	struct mf_span product;      /* "Microsoft Mail v3.0" */
	struct mf_span message_class;
	struct mf_span field[MF_TXH_ATTACHMENTS + 1]; /* values, trimmed; p NULL: absent */
	/* Lines whose label mailferry does not know (meeting times of
	 * Schedule+ requests, receipt details), in order. */
	struct mf_span other[16];
	size_t n_other;
	size_t n_labels_known;       /* lines with a recognised label */
};

/*
 * Classify a label (the text before the first ':' of a header line, bytes
 * in any DOS or Windows code page) in English, German, French or Spanish:
 * "Subject", "Betreff", "Objet", "Asunto", "Nachrichten-ID", "Ident. del
 * mensaje", "ID de la conversation", ...
 */
enum mf_textized_field mf_textized_label(struct mf_span label);

/*
 * Recognise the textized header at the start of a body.  Returns 1 and
 * fills *out when the body starts with "Microsoft Mail v<version> <class>"
 * followed by header lines and a blank line; 0 when there is none (or it is
 * not closed by a blank line within MF_TEXTIZED_LINES_MAX lines).
 */
int mf_textized_parse(struct mf_textized *out, struct mf_span body);

#endif
