/* SPDX-License-Identifier: MIT */
/*
 * pstr.h: mailferry's own reader and verifier of Unicode PST files (the
 * "inspect pst" check).  It is written apart from the PST writer on purpose:
 * its structures, CRC, property-type table and size rules are its own, so a
 * mistake in the writer is not repeated here and hidden.
 *
 * Three layers, one file each:
 *   pstr_ndb.c  header, CRCs, pages, both B-trees, blocks, allocation maps,
 *               reference counts
 *   pstr_ltp.c  node data (data trees, subnode trees), heap-on-node, BTH,
 *               property contexts, table contexts
 *   pstr_msg.c  messaging: required nodes, folders, messages, attachments,
 *               table rows against the nodes they describe, counts, JSON
 *
 * Input is read through a callback with an offset and a length, never
 * mapped: memory stays bounded by the number of B-tree entries (which the
 * file size bounds), whatever the file claims.  Every length and offset from
 * the file is checked against the file size before it is used.
 *
 * Problems found are reported one at a time through `problem` (byte offset
 * or node id, one line of text); the walk goes on after each, skipping what
 * cannot be read.  Only a file that is not a PST at all, or is cut short,
 * ends the walk early (pstr_open fails with a diag naming the offset).
 */
#ifndef MF_PST_READER_PSTR_H
#define MF_PST_READER_PSTR_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "core/mf.h"

#define PSTR_PAGE 512
#define PSTR_BLOCK_MAX 8192
#define PSTR_BLOCK_DATA_MAX 8176
#define PSTR_AMAP_FIRST 0x4400ULL
#define PSTR_AMAP_SPAN 0x3E000ULL       /* bytes one AMap page describes */
#define PSTR_BTREE_DEPTH 8              /* index levels a B-tree may have */
#define PSTR_NO_NID 0xFFFFFFFFu

/* NID types (low 5 bits of a NID). */
enum {
	PSTR_NT_INTERNAL = 0x01, PSTR_NT_FOLDER = 0x02, PSTR_NT_SEARCH = 0x03,
	PSTR_NT_MESSAGE = 0x04, PSTR_NT_ATTACH = 0x05, PSTR_NT_ASSOC = 0x08,
	PSTR_NT_HIER = 0x0D, PSTR_NT_CONTENTS = 0x0E, PSTR_NT_FAI = 0x0F,
	PSTR_NT_LTP = 0x1F,
};

/* One BBT leaf entry, plus what the walk learned about it. */
struct pstr_bent {
	uint64_t bid;      /* as stored (bit 0 cleared for lookups) */
	uint64_t ib;
	uint16_t cb;
	uint16_t cref;     /* as stored */
	uint32_t refs;     /* references found (nodes, parent blocks) */
	uint8_t ok;        /* block read and checked without problem */
	uint8_t walked;    /* an internal block whose children were counted */
};

/* One NBT leaf entry. */
struct pstr_nent {
	uint32_t nid;
	uint32_t parent;
	uint64_t bid_data;
	uint64_t bid_sub;
	uint64_t page;     /* offset of the leaf page that holds it */
};

struct pstr_totals {
	long folders, messages, assoc, attachments, recipients;
	long pages, blocks, nodes;
};

/* The open file. */
struct pstr {
	/* input */
	int (*read)(void *ctx, uint64_t off, void *buf, size_t len); /* 0 ok */
	void *read_ctx;
	int fd_plus1;      /* pstr_open_path's descriptor + 1 (0: none) */
	unsigned char *whole;  /* pstr_open_path: a small file read at once */
	size_t whole_len;
	uint64_t size;
	char name[256];
	/* what to do with a problem; NULL = count only */
	void (*problem)(void *ctx, uint64_t off, uint32_t nid, const char *text);
	void *problem_ctx;
	long nproblems;
	/* header */
	uint64_t bid_next_p, bid_next_b, file_eof, amap_last, amap_free;
	uint64_t nbt_bid, nbt_ib, bbt_bid, bbt_ib;
	uint8_t crypt, amap_valid;
	/* B-tree contents, sorted by key */
	struct pstr_bent *bbt;
	size_t nbbt, cap_bbt;
	struct pstr_nent *nbt;
	size_t nnbt, cap_nbt;
	/* pages seen, for loop detection (sorted at the end of each tree) */
	uint64_t *pages;
	size_t npages, cap_pages;
	uint64_t *pset;    /* hash set of the same offsets (never 0) */
	size_t cap_pset;
	struct pstr_totals tot;
	/* block reads left: hostile trees that share blocks cannot make the
	 * walk exponential (set by pstr_check_ndb from the BBT size) */
	int64_t budget;
	int budget_told;
	/* pstr_appt.c: PidLidAppointmentRecur's NPID in this file's name map */
	int appt_ids_known;
	uint16_t appt_recur_id;
};

/* --- pstr_ndb.c --- */
uint32_t pstr_crc(uint32_t crc, const void *p, size_t n);
uint16_t pstr_sig(uint64_t ib, uint64_t bid);
/* Report a problem (printf-style); nid PSTR_NO_NID when there is none. */
void pstr_report(struct pstr *f, uint64_t off, uint32_t nid, const char *fmt, ...)
	MF_ATTR_PRINTF(4, 5);
/* Read the header and check what must hold before anything else can be read;
 * MF_EFORMAT (diag names the offset) when the file is not a Unicode PST or is
 * cut short.  f->read, read_ctx, size, name must be set; problem may be. */
int pstr_open(struct pstr *f, struct mf_diag *diag);
void pstr_close(struct pstr *f);
/* The NDB checks: header CRCs, maps, both B-trees, every block, references,
 * the AMap rebuilt from the B-trees.  Problems go through f->problem. */
void pstr_check_ndb(struct pstr *f);
const struct pstr_bent *pstr_bbt_find(const struct pstr *f, uint64_t bid);
const struct pstr_nent *pstr_nbt_find(const struct pstr *f, uint32_t nid);
/* Read block bid's data (cb bytes) into buf (PSTR_BLOCK_MAX); *cb its size.
 * MF_EFORMAT when missing or damaged (reported once by the NDB pass). */
int pstr_block(struct pstr *f, uint64_t bid, unsigned char *buf, size_t *cb);

/* --- pstr_ltp.c --- */
struct pstr_leaf {
	uint64_t bid;
	uint32_t cb;
	uint64_t at;       /* offset of this leaf within the node's data */
};
struct pstr_sub {
	uint32_t nid;
	uint64_t bid_data, bid_sub;
};
/* A node (top-level or subnode) ready to be read. */
struct pstr_node {
	struct pstr *f;
	uint32_t nid;
	struct pstr_leaf *leaves;
	size_t nleaves;
	uint64_t size;            /* bytes of data */
	struct pstr_sub *subs;    /* immediate subnodes, sorted by nid */
	size_t nsubs;
	int cache_idx;            /* leaf held in cache, -1 none */
	unsigned char cache[PSTR_BLOCK_MAX];
	size_t cache_len;
};
struct pstr_node *pstr_node_open(struct pstr *f, uint32_t nid, uint64_t bid_data,
				 uint64_t bid_sub);
void pstr_node_free(struct pstr_node **n);
/* A subnode of n by nid; NULL when it has none. */
struct pstr_node *pstr_node_sub(struct pstr_node *n, uint32_t nid);
/* Bytes of the node plus all its subnodes, recursively (message size). */
uint64_t pstr_node_total(struct pstr_node *n, int depth);
/* Leaf i of the node's data (pointer into the node's cache). */
int pstr_node_leaf(struct pstr_node *n, size_t i, const unsigned char **p, size_t *len);

/* Property value types. */
enum {
	PSTR_T_I16 = 0x0002, PSTR_T_I32 = 0x0003, PSTR_T_F32 = 0x0004, PSTR_T_F64 = 0x0005,
	PSTR_T_CUR = 0x0006, PSTR_T_APPTIME = 0x0007, PSTR_T_ERR = 0x000A,
	PSTR_T_BOOL = 0x000B, PSTR_T_OBJ = 0x000D, PSTR_T_I64 = 0x0014,
	PSTR_T_STR8 = 0x001E, PSTR_T_STR = 0x001F, PSTR_T_TIME = 0x0040,
	PSTR_T_GUID = 0x0048, PSTR_T_BIN = 0x0102,
};
/* Fixed size of a type's value, 0 when it is variable. */
int pstr_type_size(uint16_t type);

/* A heap value read from a node: owned copy. */
struct pstr_val {
	uint16_t type;
	int exists;
	unsigned char *p;      /* canonical bytes (fixed types: their size) */
	size_t len;
	uint64_t full_len;     /* length before a cap cut it */
};
void pstr_val_release(struct pstr_val *v);

struct pstr_prop {
	uint16_t id, type;
	uint32_t raw;          /* inline value or HNID */
};
struct pstr_pc {
	struct pstr_node *node;
	struct pstr_prop *props;
	size_t n;
};
/* Open node n as a property context (n stays owned by the caller). */
int pstr_pc_load(struct pstr_pc *pc, struct pstr_node *n);
void pstr_pc_release(struct pstr_pc *pc);
const struct pstr_prop *pstr_pc_find(const struct pstr_pc *pc, uint16_t id);
/* Value of property id (v->exists 0 when absent); at most cap bytes kept. */
int pstr_pc_get(struct pstr_pc *pc, uint16_t id, struct pstr_val *v, size_t cap);
/* Convenience getters: 1 when present. */
int pstr_pc_u32(struct pstr_pc *pc, uint16_t id, uint32_t *out);
int pstr_pc_u64(struct pstr_pc *pc, uint16_t id, uint64_t *out);
/* String value as UTF-8 (empty string when absent); owned. */
char *pstr_pc_str(struct pstr_pc *pc, uint16_t id);
/* Stream the bytes of a variable value through fn (for hashing). */
int pstr_pc_stream(struct pstr_pc *pc, uint16_t id, void (*fn)(void *, const void *, size_t),
		   void *ctx, uint64_t *len);

struct pstr_col {
	uint32_t tag;
	uint16_t ib;
	uint8_t cb, bit;
};
struct pstr_tc {
	struct pstr_node *node;
	struct pstr_col *cols;
	size_t ncols;
	uint16_t rgib[4];
	size_t row_size;
	uint32_t *row_ids;     /* by row index order */
	size_t nrows;
	uint32_t hnid_rows;
	struct pstr_node *rows_node; /* when the matrix is a subnode */
	unsigned char row[PSTR_BLOCK_MAX];
};
int pstr_tc_load(struct pstr_tc *tc, struct pstr_node *n);
void pstr_tc_release(struct pstr_tc *tc);
/* Load row i into tc->row. */
int pstr_tc_row(struct pstr_tc *tc, size_t i);
/* Cell of column c in the loaded row (v->exists from the CEB). */
int pstr_tc_cell(struct pstr_tc *tc, size_t c, struct pstr_val *v, size_t cap);
/* Cell by tag; column missing -> v->exists 0, return MF_ENOTFOUND. */
int pstr_tc_cell_tag(struct pstr_tc *tc, uint32_t tag, struct pstr_val *v, size_t cap);
/* Read the heap or subnode value an HNID names (variable types). */
int pstr_hnid(struct pstr_node *n, uint32_t hnid, struct pstr_val *v, size_t cap);
/* UTF-16LE to UTF-8 (owned, NUL-terminated; bad units become U+FFFD). */
char *pstr_utf16(const unsigned char *p, size_t len);

/* --- pstr_pim.c --- */
/* The name-to-ID map's GUID and entry streams (owned). */
struct pstr_namemap {
	unsigned char *guids, *entries;
	size_t nguids, nentries;
};
void pstr_namemap_load(struct pstr_namemap *m, struct pstr_pc *pc);
void pstr_namemap_release(struct pstr_namemap *m);
/* Contacts, distribution lists and tasks: their own checks. */
void pstr_check_pim(struct pstr *f, const struct pstr_namemap *m, uint32_t nid,
		    struct pstr_pc *pc, const unsigned char store_uid[16]);

/* --- pstr_msg.c --- */
/* The messaging checks; with json != NULL, the folders and messages as JSON
 * ({"folders":[...]}) are appended there. */
void pstr_check_msg(struct pstr *f, struct mf_buf *json);
/* --- pstr_appt.c --- */
/* An appointment's recurrence blob and exception attachments (any message
 * with PidLidAppointmentRecur); JSON "recurrence" member when jb. */
void pstr_check_appt(struct pstr *f, struct pstr_node *msg, struct pstr_pc *pc, struct mf_buf *jb);
/* Open a file by path for reading through pread. */
int pstr_open_path(struct pstr *f, const char *path, struct mf_diag *diag);
/* Check a whole image in memory (fuzzing): returns problems counted, or a
 * negative MF_E* when it is not readable at all. */
long pstr_check_memory(const void *data, size_t len, struct mf_buf *json);

#endif
