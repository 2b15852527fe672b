/* SPDX-License-Identifier: MIT */
/*
 * addr.h: the address forms of the legacy sources.
 *
 *   cc:Mail   "Lindqvist, Anna at SALES01"   name, the word `at`, post office
 *             "Lindqvist, Anna"              name only: resolve in the directory
 *             "jdoe@example.com at SMTPLINK" Internet address through a gateway PO
 *             "#Announcements [at PO]"       bulletin board
 *             " at SALES01"                  damaged (no name)
 *   MS Mail   "ACMENET/HQPO/ERAMIREZ"        NETWORK/POSTOFFICE/MAILBOX
 *   typed     "SMTP:jdoe@example.com", "PCM:NET/PO/MBX", "X400:c=US;..."
 *
 * The parsers only split: they return spans into the caller's text (no
 * copies, no allocation) and never read outside [s, s+len).  Names compare
 * case-insensitively in both systems; callers use mf_addr_eq_ci.
 */
#ifndef MF_CORE_ADDR_H
#define MF_CORE_ADDR_H

#include <stddef.h>
#include "core/buf.h"
#include "core/mf.h"
#include "core/rd.h"

enum mf_ccaddr_kind {
	MF_CCADDR_USER = 0,     /* a name, with or without a post office */
	MF_CCADDR_BBOARD = 1,   /* "#Board" or "#Board at PO" (name keeps the '#') */
	MF_CCADDR_DAMAGED = 2,  /* " at PO" with no name, or empty */
};

struct mf_ccaddr {
	enum mf_ccaddr_kind kind;
	struct mf_span name;    /* trimmed; for an Internet address, the address */
	struct mf_span po;      /* trimmed; len 0 when there is no " at PO" */
	int internet;           /* name holds '@': an address through a gateway */
};

/*
 * Parse one cc:Mail address.  The post office is whatever follows the last
 * ` at ` (the word at, any case, with a space or TAB on each side).
 * Returns MF_OK, or MF_EFORMAT for a damaged address (out->kind is then
 * MF_CCADDR_DAMAGED and out->po holds what was found).
 */
int mf_ccaddr_parse(struct mf_ccaddr *out, const char *s, size_t len);

/*
 * Split a header line that may hold several cc:Mail addresses.  A split is
 * made only at ", " that follows an " at PO" token (the post office runs to
 * that comma), never at the comma inside "Last, First".  Up to max spans are
 * written to parts (trimmed, empty ones dropped); *n receives the number of
 * addresses found (which may exceed max: then only max were written).
 */
int mf_ccaddr_split(struct mf_span *parts, size_t max, size_t *n,
		    const char *s, size_t len);

struct mf_typedaddr {
	struct mf_span type;    /* "SMTP", "PCM", ...; len 0 when untyped */
	struct mf_span address; /* the rest, trimmed */
};

/*
 * Split "TYPE:address".  A type is 1-16 letters, digits or '-' followed by
 * ':'.  Without one, type.len is 0 and address is the whole (trimmed) text.
 * Returns MF_OK, or MF_EFORMAT for an empty address.
 */
int mf_typedaddr_parse(struct mf_typedaddr *out, const char *s, size_t len);

/* The canonical Exchange proxy type for a source type tag: PCM, CSI and MS
 * give "MS"; CCMAIL and cc:Mail give "CCMAIL"; others are upper-cased into
 * out[24] (returned).  */
const char *mf_addrtype_canonical(char out[24], const char *type, size_t len);

struct mf_msaddr {
	struct mf_span network, postoffice, mailbox;
	int overlong;           /* a part is longer than 10 characters */
};

/*
 * Parse "NETWORK/POSTOFFICE/MAILBOX" (also with '\' separators, as Mail
 * Connection wrote).  Each part 1+ characters without spaces around it.
 * Returns MF_OK (overlong parts are accepted and flagged) or MF_EFORMAT.
 */
int mf_msaddr_parse(struct mf_msaddr *out, const char *s, size_t len);

/* Case-insensitive ASCII equality of two spans / a span and a string. */
int mf_addr_eq_ci(struct mf_span a, struct mf_span b);

/*
 * The RFC 5322 form of one staged address: *name_out (display name, UTF-8,
 * may be "") and *addr_out (addr-spec, ASCII), both reset first.  Internet
 * addresses are kept as they are; native ones get a stable address under
 * a reserved domain whose last label is `domain` (NULL or "": "invalid"):
 *
 *   cc:Mail  "Lindqvist, Anna at SALES01" -> "Lindqvist, Anna"
 *                                            <Lindqvist_Anna@SALES01.ccmail.invalid>
 *   MS Mail  "ACMENET/HQPO/ERAMIREZ"      -> ERAMIREZ <ERAMIREZ@HQPO.ACMENET.msmail.invalid>
 *   other    "FAX:+1 555 0100"            -> "+1 555 0100" <1_555_0100@fax.invalid>
 *
 * display may be NULL; type and address may be NULL when only raw is known
 * (raw is then parsed: "TYPE:addr", cc:Mail "Name at PO", MS "NET/PO/MBX",
 * or an Internet address).  home is the source address of the mailbox the
 * message belongs to ("CCMAIL:Name at PO"; may be NULL): its post office
 * completes a cc:Mail name written without one.  Returns MF_OK, or
 * MF_EFORMAT when nothing usable is there.
 */
int mf_addr_render(struct mf_buf *name_out, struct mf_buf *addr_out, const char *display,
		   const char *type, const char *address, const char *raw, const char *home,
		   const char *domain);

#endif
