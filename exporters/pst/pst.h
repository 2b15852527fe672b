/* SPDX-License-Identifier: MIT */
/*
 * pst.h: the PST writer's private interfaces (docs/formats/pst.md).
 *
 * Three layers, each in its own file, as [MS-PST] describes them:
 *
 *   ndb.c        the file: header, allocation maps, blocks with trailers,
 *                data trees (XBLOCK/XXBLOCK), subnode trees (SLBLOCK/
 *                SIBLOCK), both B-trees built bottom-up from journals.
 *   ltp.c        heap-on-node over any number of blocks, BTH with index
 *                levels, property contexts, table contexts.
 *   messaging.c  the store's fixed nodes (Outlook's empty store), folders
 *                and their tables.
 *   message.c    one staged message as a message node (recipients,
 *                attachments, embedded messages).
 *   lzfu.c       compressed RTF.
 *   pst.c        the exporter plugin.
 *
 * Everything is written forward: a block is on disk as soon as it is full;
 * what only the end can know (B-trees, folder tables, the header) is built
 * from journals on disk.  Memory: one message, the folder list, the open
 * heap blocks.  No clock, no randomness: the same input gives the same bytes.
 */
#ifndef MF_EXPORTERS_PST_PST_H
#define MF_EXPORTERS_PST_PST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core/mf.h"

/* ---- sizes ---- */
#define PST_BLOCK_MAX 8192          /* a block with its trailer */
#define PST_BLOCK_DATA 8176         /* payload of one block */
#define PST_HEAP_ALLOC_MAX 3580     /* largest heap allocation */
#define PST_AMAP_FIRST 0x4400ull
#define PST_AMAP_SPAN 0x3E000ull    /* bytes one AMap page covers */

/* ---- NID types ---- */
enum {
	NT_HID = 0x00, NT_INTERNAL = 0x01, NT_FOLDER = 0x02, NT_SEARCH_FOLDER = 0x03,
	NT_MESSAGE = 0x04, NT_ATTACHMENT = 0x05, NT_SUQ = 0x06, NT_SCO = 0x07,
	NT_ASSOC = 0x08, NT_RECV_TABLE = 0x0B, NT_OUTQ_TABLE = 0x0C,
	NT_HIER = 0x0D, NT_CONTENTS = 0x0E, NT_FAI = 0x0F, NT_SEARCH_CONTENTS = 0x10,
	NT_ATTACH_TABLE = 0x11, NT_RECIP_TABLE = 0x12, NT_LTP = 0x1F,
};
#define PST_NID(type, index) ((uint32_t)(((uint32_t)(index) << 5) | (type)))

/* ---- property types ---- */
enum {
	PT_I2 = 0x0002, PT_I4 = 0x0003, PT_DOUBLE = 0x0005, PT_BOOL = 0x000B, PT_OBJECT = 0x000D,
	PT_I8 = 0x0014, PT_STRING = 0x001F, PT_TIME = 0x0040, PT_BINARY = 0x0102,
	PT_MV_I4 = 0x1003, PT_MV_STRING = 0x101F, PT_MV_BINARY = 0x1102,
};
#define PST_TAG(id, type) (((uint32_t)(id) << 16) | (uint32_t)(type))

/* little-endian stores */
static inline void pst_w16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void pst_w32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void pst_w64(uint8_t *p, uint64_t v) { pst_w32(p, (uint32_t)v); pst_w32(p + 4, (uint32_t)(v >> 32)); }

uint32_t pst_crc(uint32_t crc, const void *p, size_t n);

/* =================================================================== */
/* NDB (ndb.c)                                                          */
/* =================================================================== */

/* One entry of a subnode tree (SLENTRY). */
struct pst_sub {
	uint32_t nid;
	uint64_t bid_data, bid_sub;
};

/* A growing list of subnodes for the node being built. */
struct pst_sublist {
	struct pst_sub *v;
	size_t n, cap;
};

/* Data-tree builder: blocks are written as they come, their BIDs kept. */
struct pst_dtree {
	uint64_t *bids;
	uint32_t *sizes;
	size_t n, cap;
	uint64_t total;
};

struct pst_ndb {
	int fd;
	char *path;
	int err;                 /* errno of the first write failure */
	int nosync;              /* finish does not fsync: the caller's barrier does */
	/* forward allocation */
	uint64_t cur;            /* next free byte */
	uint64_t sec;            /* current AMap section */
	uint8_t amap[496];       /* its bits */
	uint64_t amap_free;      /* free bytes of the closed sections */
	uint64_t amap_last;      /* offset of the last AMap page */
	/* write buffer over [wb_off, wb_off + wb_len) */
	uint8_t *wb;
	size_t wb_len, wb_cap;
	uint64_t wb_off;
	/* ids */
	uint64_t next_bid;       /* next block BID (multiple of 4) */
	uint32_t rgnid[32];      /* highest nidIndex used per NID type */
	/* journals */
	FILE *bbt_j;             /* (bid, ib, cb, cref) in BID order */
	FILE *nbt_j;             /* (nid, bidData, bidSub, parent) of message nodes, NID order */
	struct pst_journals *jp; /* where the journals go back (or NULL) */
	struct pst_nbt_rec *small; /* the other nodes, sorted at the end */
	size_t nsmall, capsmall;
	uint64_t nblocks, nnodes;
	uint64_t payload;        /* bytes of block payload written */
	/* while cap is set: the number of blocks written, and a copy of the
	 * first one's data when it is a data block of at most cap_max bytes */
	uint8_t *cap;
	size_t cap_len, cap_max;
	unsigned cap_n;
};

struct pst_nbt_rec {
	uint64_t nid, bid_data, bid_sub;
	uint32_t parent;
	uint32_t pad;
};

/* The journal files (unnamed temporary files) a store uses, three, kept
 * by the caller from one store to the next: a journal given back is
 * emptied and kept instead of closed, and the next store takes it instead
 * of creating one (an O_TMPFILE inode and four system calls each).  A NULL
 * pool: every journal is new and closed at the end. */
struct pst_journals {
	FILE *f[3];
	unsigned n;
};
FILE *pst_journal_get(struct pst_journals *p);
void pst_journal_put(struct pst_journals *p, FILE *f);
void pst_journals_free(struct pst_journals *p);

/* Create the file at path (truncating it) and reserve the fixed area;
 * its journals come from jp (may be NULL). */
int pst_ndb_open(struct pst_ndb *nb, const char *path, struct pst_journals *jp,
		 struct mf_diag *d);
/* Write the B-trees, maps and header; close.  The file is complete. */
int pst_ndb_finish(struct pst_ndb *nb, struct mf_diag *d);
/* Close and remove everything (failure path). */
void pst_ndb_abort(struct pst_ndb *nb);
/* Bytes the file would have if finished now (for --split-size). */
uint64_t pst_ndb_size(const struct pst_ndb *nb);

/* A data block of n <= 8176 bytes; returns its BID (0 with nb->err set). */
uint64_t pst_ndb_block(struct pst_ndb *nb, const void *data, size_t n, int internal);
/* A whole value as a data tree (one block, or XBLOCK/XXBLOCK).  n may be 0:
 * returns 0 (no data). */
uint64_t pst_ndb_data(struct pst_ndb *nb, const void *data, size_t n);
/* Data-tree builder. */
void pst_dtree_init(struct pst_dtree *t);
void pst_dtree_add(struct pst_dtree *t, uint64_t bid, size_t cb);
uint64_t pst_dtree_end(struct pst_ndb *nb, struct pst_dtree *t); /* releases t */
/* Subnode tree of the list (sorted here); 0 for an empty list.  Releases l. */
uint64_t pst_ndb_subtree(struct pst_ndb *nb, struct pst_sublist *l);
void pst_sub_add(struct pst_sublist *l, uint32_t nid, uint64_t bid_data, uint64_t bid_sub);
/* Register a top-level node.  Message nodes (type 4) must come in NID order. */
void pst_ndb_node(struct pst_ndb *nb, uint32_t nid, uint64_t bid_data, uint64_t bid_sub,
		  uint32_t parent);
/* Note a nidIndex as used for rgnid[]. */
void pst_ndb_nid_used(struct pst_ndb *nb, uint32_t nid);

/* =================================================================== */
/* LTP (ltp.c)                                                          */
/* =================================================================== */

/* Heap-on-node writer.  Blocks are kept in memory (mode 0) or written as
 * soon as nothing can change them any more (mode 1: streaming; block 0 and
 * the current bitmap block stay until the end). */
struct pst_heap {
	struct pst_ndb *nb;
	int streaming;
	uint8_t client_sig;
	uint8_t **blk;           /* blocks in memory (NULL once written) */
	uint16_t *used;          /* bytes used by header + allocations */
	uint16_t *nalloc;
	uint16_t **offs;         /* allocation offsets per block (nalloc + 1) */
	uint64_t *bids;          /* written blocks */
	uint32_t *cbs;
	size_t n, cap;
	size_t cur;              /* block being filled */
	int err;
};

void pst_heap_init(struct pst_heap *h, struct pst_ndb *nb, uint8_t client_sig, int streaming);
/* Allocate n (1..3580) bytes; returns the HID (0 on failure). */
uint32_t pst_heap_alloc(struct pst_heap *h, const void *data, size_t n);
/* Pointer to an allocation still in memory (for patching). */
uint8_t *pst_heap_ptr(struct pst_heap *h, uint32_t hid);
/* Write the heap; returns bidData (data tree) and the payload size. */
uint64_t pst_heap_end(struct pst_heap *h, uint32_t hid_user_root, uint64_t *bytes);
void pst_heap_release(struct pst_heap *h);

/* BTH writer: records must be added in key order. */
struct pst_bth {
	struct pst_heap *h;
	uint8_t cb_key, cb_ent;
	uint8_t leaf[PST_HEAP_ALLOC_MAX];
	size_t leaf_len;
	uint8_t *idx;            /* (first key, hid) of each leaf, then of each level */
	size_t nidx, capidx;
	uint64_t count;
};
void pst_bth_init(struct pst_bth *b, struct pst_heap *h, uint8_t cb_key, uint8_t cb_ent);
void pst_bth_add(struct pst_bth *b, const void *key, const void *ent);
/* Finish: allocates the index levels and the header; returns its HID. */
uint32_t pst_bth_end(struct pst_bth *b);

/* Property context: collect properties, then write. */
struct pst_prop {
	uint32_t tag;
	uint32_t inl;            /* inline value (<= 4 bytes) */
	uint8_t *data;           /* variable or 8-byte value (owned unless borrowed) */
	size_t len;
	int var;                 /* stored through an HNID (even when empty) */
	int borrowed;            /* data is the caller's (pst_pc_bin_ref): not freed */
};
struct pst_pc {
	struct pst_prop *v;
	size_t n, cap;
};
void pst_pc_init(struct pst_pc *pc);
void pst_pc_release(struct pst_pc *pc);
void pst_pc_i4(struct pst_pc *pc, uint16_t id, uint32_t v);
void pst_pc_bool(struct pst_pc *pc, uint16_t id, int v);
void pst_pc_i8(struct pst_pc *pc, uint16_t id, uint16_t type, uint64_t v); /* I8 or TIME */
void pst_pc_bin(struct pst_pc *pc, uint16_t id, const void *p, size_t n);  /* copied */
/* The same, the bytes not copied: they must stay valid until the PC is
 * written (an attachment's data, megabytes, straight from the store). */
void pst_pc_bin_ref(struct pst_pc *pc, uint16_t id, const void *p, size_t n);
void pst_pc_str(struct pst_pc *pc, uint16_t id, const char *utf8);        /* UTF-16LE; NULL: none */
void pst_pc_object(struct pst_pc *pc, uint16_t id, uint32_t sub_nid, uint32_t size);
const struct pst_prop *pst_pc_get(const struct pst_pc *pc, uint16_t id);
/* UTF-8 -> UTF-16LE (invalid bytes become U+FFFD; CR LF kept). */
uint8_t *pst_utf16(const char *s, size_t n, size_t *out_len);

/* Write a PC node: big values go to subnodes added to subs with NIDs from
 * *next_sub (type NT_LTP).  Returns bidData; *size gets the heap bytes;
 * *patch_hid the HID of the 4-byte PidTagMessageSize slot when asked. */
struct pst_pc_out {
	uint64_t bid_data;
	uint64_t bytes;          /* heap bytes + big value bytes */
};
int pst_pc_write(struct pst_ndb *nb, struct pst_pc *pc, struct pst_sublist *subs,
		 uint32_t *next_sub, uint16_t size_prop, uint64_t extra_size,
		 struct pst_pc_out *out);

/* Table context column. */
struct pst_col {
	uint32_t tag;
	uint16_t ib;
	uint8_t cb, ibit;
};
struct pst_tcdef {
	const struct pst_col *cols;
	size_t ncols;
	uint16_t rgib[4];        /* end of 4/8-byte, 2-byte, 1-byte cells, row size */
};
/* Layout columns given in iBit order (RowId and RowVer first). */
void pst_tc_layout(struct pst_tcdef *def, struct pst_col *cols, size_t n);

/* A table being written: rows must come in row-ID order. */
struct pst_tc {
	struct pst_ndb *nb;
	const struct pst_tcdef *def;
	struct pst_heap heap;
	struct pst_bth idx;
	struct pst_sublist subs;
	uint32_t next_sub;
	uint32_t hid_info;
	uint64_t nrows, expect;
	int in_heap;             /* row matrix in the heap (small tables) */
	uint8_t *rows;           /* in-heap rows, or the current matrix block */
	size_t rows_len;
	struct pst_dtree matrix;
	uint64_t matrix_bytes;
	uint64_t big_bytes;
};
/* Cell value for pst_tc_row. */
struct pst_cell {
	uint32_t tag;
	uint64_t v;              /* fixed-size value */
	const uint8_t *data;     /* variable-size value (string/binary) */
	size_t len;
};
void pst_tc_begin(struct pst_tc *t, struct pst_ndb *nb, const struct pst_tcdef *def,
		  uint64_t expected_rows, int streaming);
void pst_tc_row(struct pst_tc *t, uint32_t row_id, uint32_t row_ver,
		const struct pst_cell *cells, size_t n);
/* Finish: returns bidData and bidSub of the table node; bytes = payload. */
int pst_tc_end(struct pst_tc *t, uint64_t *bid_data, uint64_t *bid_sub, uint64_t *bytes);

/* =================================================================== */
/* LZFu (lzfu.c)                                                        */
/* =================================================================== */
/* Compressed RTF of rtf[0..n) (a malloc'd buffer, *out_len bytes). */
uint8_t *pst_lzfu(const void *rtf, size_t n, size_t *out_len);

/* =================================================================== */
/* Messaging (messaging.c, message.c)                                   */
/* =================================================================== */

struct mf_message;
struct mf_mailbox;
struct mf_charset;
/* A converter the caller keeps from one store to the next (opening one,
 * iconv_open and its tables, costs about 0.3 million instructions): set
 * pst_store.cs_keep after pst_store_open; pst_cs_keep_free at the end. */
struct pst_cs_keep {
	struct mf_charset *cs;
	char *name;
};
void pst_cs_keep_free(struct pst_cs_keep *k);

/* A folder of the store being written. */
struct pst_folder {
	uint32_t nid;
	uint32_t parent;         /* parent folder's NID (root: itself) */
	char *name;              /* display name, UTF-8 */
	char *key;               /* staged path it stands for ("" none) */
	const char *klass;       /* PidTagContainerClass; NULL: none */
	const char *comment;     /* PidTagComment; NULL: none */
	uint64_t count, unread;
	uint64_t *run_off, *run_n; /* its contents rows in the row journal */
	size_t nruns, capruns;
};

struct pst_xnamed {
	uint16_t wguid;
	uint32_t lid;
};

/* One store (one .pst file) being written. */
struct pst_store {
	struct pst_ndb nb;
	uint8_t uid[16];         /* provider UID = PidTagRecordKey */
	char *display_name;
	char *seed;
	struct pst_folder *f;
	size_t nf, capf;
	uint32_t next_folder;    /* next folder nidIndex */
	uint32_t next_msg;       /* next message nidIndex */
	FILE *rows_j;            /* contents rows, one record per message */
	uint64_t rows_off;
	uint32_t last_row_folder;
	uint32_t inbox, outbox, sent, drafts, deleted;
	uint64_t messages;
	struct mf_charset *cs;   /* converter for source header blocks */
	char *cs_name;
	struct pst_cs_keep *cs_keep;  /* the caller's, kept across stores (or NULL) */
	/* rendering of addresses (core/mime.h) */
	const struct mf_mailbox *mb;
	/* contacts and tasks (pst_contact.c, pst_task.c) */
	uint32_t contacts, tasks;
	/* the calendar (pst_appt.c) */
	uint32_t calendar;
	/* named properties beyond Outlook's own (pst_named) */
	struct pst_xnamed *xn;   /* (wGuid, LID) in registration order */
	size_t nxn;
	uint8_t (*xguid)[16];    /* property sets beyond Outlook's six */
	size_t nxguid;
};

/* The fixed folder NIDs Outlook's empty store has. */
#define NID_STORE 0x21u
#define NID_NAMEMAP 0x61u
#define NID_ROOT 0x122u
#define NID_IPM 0x8022u
#define NID_SEARCH_ROOT 0x8042u
#define NID_DELETED 0x8062u
#define NID_COMMON_VIEWS 0x8082u
#define NID_SPAM 0x2223u

/* Open a store file at path; uid_seed names it (alias and part); its
 * journals come from jp and go back there (may be NULL). */
int pst_store_open(struct pst_store *s, const char *path, const char *uid_seed,
		   const char *display_name, const struct mf_mailbox *mb, struct pst_journals *jp,
		   struct mf_diag *d);
/* The folder for a staged path (created with its parents); special is the
 * staged folder_special (inbox, sent, drafts, trash) or NULL. */
struct pst_folder *pst_store_folder(struct pst_store *s, const char *path, const char *special);
/* Write one message into folder f; *bytes gets its size. */
int pst_store_message(struct pst_store *s, struct pst_folder *f, const struct mf_message *m,
		      uint64_t *bytes, struct mf_diag *d);
/* Write the folders, tables and fixed nodes, then the file's end. */
int pst_store_finish(struct pst_store *s, struct mf_diag *d);
void pst_store_abort(struct pst_store *s);

/* message.c: a message node (and, recursively, embedded messages). */
struct pst_rowinfo {
	uint32_t flags, importance, size, status;
	uint32_t sensitivity;    /* PidTagSensitivity (0 normal, 2 private) */
	int has_submit, has_delivery;
	uint64_t submit, delivery, modified; /* FILETIME */
	char *klass, *subject, *sender, *to, *cc, *topic; /* UTF-8 (owned) */
};
int pst_message_node(struct pst_store *s, const struct mf_message *m, int depth,
		     uint64_t *bid_data, uint64_t *bid_sub, uint64_t *bytes,
		     struct pst_rowinfo *ri);
void pst_rowinfo_release(struct pst_rowinfo *ri);
uint64_t pst_filetime(int64_t unix_seconds);
/* 16 bytes of SHA-256 over "a\nb" (search keys, derived GUIDs). */
void pst_hash16(uint8_t out[16], const char *a, const char *b);

/* Write a non-mail item (contact, list, task) whose properties are in pc
 * (released here) into folder f: an empty recipient table is added, the
 * display To/Cc, creation and modification times (ri->modified) and the
 * message size set, the node registered and its contents row journaled
 * from ri.  *nid_out gets its NID, *bytes its size. */
int pst_store_item(struct pst_store *s, struct pst_folder *f, struct pst_pc *pc,
		   struct pst_rowinfo *ri, uint32_t *nid_out, uint64_t *bytes, struct mf_diag *d);

/* The property ID of a named property (LID in the property set guid):
 * one of Outlook's own, else registered in this store's name-to-ID map
 * (messaging.c). */
uint16_t pst_named(struct pst_store *s, const uint8_t guid[16], uint32_t lid);
extern const uint8_t pst_psetid_address[16], pst_psetid_task[16], pst_psetid_common[16],
	pst_psetid_appointment[16];

/* Register message node nid (written by the caller) in folder f, with its
 * contents row from ri (pst_appt.c writes appointments with exceptions). */
void pst_store_row(struct pst_store *s, struct pst_folder *f, uint32_t nid, uint64_t bd,
		   uint64_t bs, const struct pst_rowinfo *ri);
struct pst_folder *pst_store_folder_nid(struct pst_store *s, uint32_t nid);
/* pst_appt.c: one staged calendar event as IPM.Appointment in the store's
 * Calendar folder, given as parsed by mf_ical_parse_item (root: its
 * VEVENTs are the children; taken over and freed); tzid is the post
 * office's zone (for all-day and floating times).  *bytes gets its size. */
struct icalcomponent_impl;
int pst_store_appointment(struct pst_store *s, struct icalcomponent_impl *root, const char *tzid,
			  uint64_t *bytes, struct mf_diag *d);

/* pst_contact.c / pst_task.c */
struct mf_pab_entry;
struct mf_calendar_item;
struct mf_store;
/* Every entry of an address book: contacts first, then the lists. */
int pst_store_pab(struct pst_store *s, struct mf_store *st, const struct mf_pab_entry *e,
		  size_t n, uint64_t *bytes, struct mf_diag *d);
/* The post office directory (custom recipients and public lists) into the
 * Contacts folder of s. */
int pst_store_directory(struct pst_store *s, struct mf_store *st, size_t *count, struct mf_diag *d);
/* One VTODO item as IPM.Task in the Tasks folder. */
int pst_store_task(struct pst_store *s, const struct mf_calendar_item *c, uint64_t *bytes,
		   struct mf_diag *d);
/* One-off entry ID ([MS-OXCDATA] 2.2.5.1) of name, type, address. */
uint8_t *pst_one_off(const char *name, const char *type, const char *addr, size_t *len);

/* Column sets of Outlook's templates (messaging.c). */
extern const struct pst_tcdef pst_tc_hier, pst_tc_contents, pst_tc_fai, pst_tc_search,
	pst_tc_attach, pst_tc_recip;

/* `mailferry verify pst`: the files under --out DIR against the ledger
 * (pst_verify.c). */
struct mf_verify;
int mf_pst_verify(struct mf_verify *v, struct mf_diag *diag);

#endif
