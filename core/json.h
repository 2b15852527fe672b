/* SPDX-License-Identifier: MIT */
/* json.h: just enough JSON writing for reports, status and events. */
#ifndef MF_CORE_JSON_H
#define MF_CORE_JSON_H

#include <stdint.h>
#include <stdio.h>
#include "core/buf.h"

/* Append s as a JSON string (quotes included); NULL becomes null.
 * Control characters are escaped; ill-formed UTF-8 becomes U+FFFD. */
int mf_json_str(struct mf_buf *b, const char *s);
/* Append "key": (with a leading comma when first is 0). */
int mf_json_key(struct mf_buf *b, const char *key, int first);
/* "key":"value" / "key":123 pairs, with a leading comma when first is 0. */
int mf_json_kv_str(struct mf_buf *b, const char *key, const char *v, int first);
int mf_json_kv_int(struct mf_buf *b, const char *key, int64_t v, int first);

#endif
