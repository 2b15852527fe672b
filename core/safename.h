/* SPDX-License-Identifier: MIT */
/*
 * safename.h: names from the sources made safe for a file system.
 *
 * Attachment names, folder names and board names come from the legacy data
 * and may hold anything: "../../etc/passwd", "C:\CONFIG.SYS", NUL bytes,
 * "CON", 300 characters.  Every exporter that turns such a name into a file
 * or folder name passes it through mf_safe_filename, so the result always
 * names one entry inside the output folder.
 */
#ifndef MF_CORE_SAFENAME_H
#define MF_CORE_SAFENAME_H

#include <stddef.h>

/*
 * Write a safe file name for `name` (UTF-8, may be NULL) into out[cap]:
 *  - only the last path component is kept ('/' and '\' both separate);
 *  - control characters and  < > : " / \ | ? *  become '_';
 *  - leading dots and spaces, and trailing dots and spaces, are removed;
 *  - a Windows device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with or
 *    without an extension) gets a '_' prefix;
 *  - the result is cut to at most max_bytes bytes (and cap-1), keeping the
 *    extension and whole UTF-8 characters;
 *  - an empty result becomes `fallback` (e.g. "attachment.bin").
 * Returns out.  cap must be at least 16.
 */
char *mf_safe_filename(char *out, size_t cap, const char *name, size_t max_bytes,
		       const char *fallback);

/* Does name need no change (mf_safe_filename would return it as is)? */
int mf_filename_is_safe(const char *name, size_t max_bytes);

#endif
