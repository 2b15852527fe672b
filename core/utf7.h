/* SPDX-License-Identifier: MIT */
/*
 * utf7.h: IMAP's modified UTF-7 (RFC 3501, section 5.1.3), the form of
 * mailbox names on an IMAP server and in Dovecot's Maildir++ folder names.
 *
 *   printable US-ASCII (0x20-0x7e) except '&'   stands for itself
 *   '&'                                          is written "&-"
 *   anything else                                UTF-16 (surrogate pairs above
 *                                                U+FFFF) in base64 with ','
 *                                                for '/', no padding, between
 *                                                '&' and '-'
 *
 * "Entwürfe" <-> "Entw&APw-rfe", "Q&A" <-> "Q&-A".  Both directions are
 * pure functions over bytes: no allocation beyond the output buffer, never a
 * read outside [s, s+len).
 */
#ifndef MF_CORE_UTF7_H
#define MF_CORE_UTF7_H

#include <stddef.h>
#include "core/buf.h"

/*
 * Append the modified UTF-7 form of the UTF-8 text s[0..len) to out.
 * Returns MF_OK, MF_EFORMAT when s is not well-formed UTF-8 (out then holds
 * an unspecified prefix), or MF_ETOOBIG when out's bound is reached.
 * A NUL byte counts as a control character and is encoded, not an end.
 */
int mf_utf7_imap_encode(struct mf_buf *out, const char *s, size_t len);

/*
 * Append the UTF-8 form of the modified UTF-7 text s[0..len) to out.
 * Returns MF_OK, MF_EFORMAT for text that is not canonical modified UTF-7
 * (a raw byte outside 0x20-0x7e, an unterminated or empty "&...-" run other
 * than "&-", bad base64, leftover bits that are not zero, a lone surrogate,
 * an encoded printable ASCII character), or MF_ETOOBIG.
 */
int mf_utf7_imap_decode(struct mf_buf *out, const char *s, size_t len);

#endif
