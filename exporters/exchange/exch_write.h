/* SPDX-License-Identifier: MIT */
/*
 * exch_write.h: writing Exchange Migration Wizard files (.pkl, .pri, .sec)
 * byte for byte as docs/formats/exchange-migration-files.md
 * specifies (sections 2.2-2.6, 3, 4, 5).  No staging access here: the
 * exporter (exchange.c) decides what to write, this layer decides how.
 *
 * Every function takes values already encoded in the set's code page,
 * except exw_encode_* which do that encoding.  Lines end in CR LF.
 */
#ifndef MF_EXPORTERS_EXCH_WRITE_H
#define MF_EXPORTERS_EXCH_WRITE_H

#include <stdint.h>
#include <stdio.h>
#include "core/buf.h"
#include "core/charset.h"

/* Quoting of one CSV field (writer policy, contract section 2.5). */
enum exw_quote {
	EXW_PLAIN = 0,          /* quote when it holds , " ; % # ! \, leading or
				 * trailing blanks, or ends in \ */
	EXW_DOTS = (1 << 0),    /* also quote a value holding '.' (addresses, names) */
	EXW_DIRECTORY = (1 << 1), /* DIRECTORY section: double every \ and quote */
	EXW_NEVER = (1 << 2),   /* pointers, numbers, dates, booleans: as is */
	EXW_FOLDER = (1 << 3),  /* Folder: unquoted, unless it starts with # or ! */
	EXW_MULTI = (1 << 4),   /* multi-valued: the ';' separators alone do not
				 * make it quoted (rule 4: only the values do) */
};

/* Append one field (with a leading comma unless first) to a line. */
int exw_field(struct mf_buf *line, const char *v, size_t len, unsigned quote, int first);
int exw_fieldz(struct mf_buf *line, const char *v, unsigned quote, int first);
/* Append CR LF. */
int exw_eol(struct mf_buf *line);

/* The secondary file header line (50 bytes with its CR LF). */
#define EXW_SEC_HEADER "Type,Length,Encoding,Islast,Name,Position,Format\r\n"
#define EXW_NOPOS INT64_MIN

/* A secondary file being written. */
struct exw_sec {
	FILE *f;
	uint64_t off;           /* bytes written so far */
	int err;                /* sticky errno of a failed write */
};

/* Start a secondary file on f (writes the header line). */
int exw_sec_begin(struct exw_sec *s, FILE *f);
/*
 * Write one section: header line "Type,Length,,Islast,Name,Position,Format",
 * exactly len data bytes, then CR LF when len > 0 (section 5.4).  *off_out
 * (may be NULL) receives the offset of the header line, for a pointer.
 * name is written quoted (it holds a '.'); NULL writes an empty field.
 * position EXW_NOPOS writes an empty field.  format NULL: empty.
 */
int exw_sec_section(struct exw_sec *s, uint64_t *off_out, const char *type,
		    const void *data, size_t len, int islast, const char *name,
		    int64_t position, const char *format);
/* Raw bytes (for callers that stream a section's data in pieces). */
int exw_sec_write(struct exw_sec *s, const void *p, size_t n);

/* "#NAME(offset)" into out. */
int exw_pointer(struct mf_buf *out, const char *sec_name, uint64_t off);

/*
 * Encode UTF-8 text for a single-line field: CR, LF and TAB become spaces,
 * other control characters are dropped, then the text is converted to the
 * code page with '?' for what it cannot hold (*repl counts them).
 */
int exw_encode_line(struct mf_buf *out, struct mf_charset *cs, const char *utf8,
		    size_t len, size_t *repl);
/*
 * Encode UTF-8 body text: every line end (CR LF, lone LF, lone CR) becomes
 * CR LF (contract 2.2: a bare CR corrupts stores), then code page
 * conversion with '?' replacements counted in *repl.
 */
int exw_encode_text(struct mf_buf *out, struct mf_charset *cs, const char *utf8,
		    size_t len, size_t *repl);
/*
 * A display name for a multi-valued field (section 2.5 rule 4): encoded as
 * a line, with '"' removed and ';' replaced by ','.
 */
int exw_encode_name(struct mf_buf *out, struct mf_charset *cs, const char *utf8,
		    size_t *repl);
/*
 * An attachment or document file name (section 1.1, 10.13): path
 * components removed, the characters  # ( ) ; , \ / : * ? " < > |  and
 * controls replaced by '_', an extension guaranteed (default_ext when the
 * name has none), at most 64 bytes, in the code page ('_' for characters it
 * cannot hold).
 */
int exw_encode_filename(struct mf_buf *out, struct mf_charset *cs, const char *utf8,
			const char *default_ext);
/*
 * A folder level for the Folder column: ',' '"' and '\' removed from the
 * name (they cannot be carried unquoted), CR LF as spaces, encoded.
 */
int exw_encode_folder_level(struct mf_buf *out, struct mf_charset *cs,
			    const char *utf8, size_t len, size_t *repl);

/* The numeric Windows code page for the .pkl first line ("1252"), or NULL
 * when the code page cannot be written there (Unicode). */
const char *exw_codepage_number(const char *canonical);


/* The packing list: code page number, blank line, column header, then one
 * "<name>,Primary|Secondary" line per file (kinds[i] 'P' or 'S'). */
int exw_pkl(struct mf_buf *out, const char *codepage_number,
	    const char *const *names, const char *kinds, size_t n);
/* The PAB column header as two physical lines joined by a continuation
 * after "Country," (as Microsoft's example writes it). */
extern const char EXW_PAB_HEADER[];
/* The MAILMESSAGE column header line (12 columns), with CR LF. */
extern const char EXW_MAILMESSAGE_HEADER[];

#endif
