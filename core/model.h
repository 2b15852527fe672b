/* SPDX-License-Identifier: MIT */
/*
 * model.h: the records that importers hand to the staging store and that
 * the store hands back to exporters.
 *
 * All text is UTF-8 and NUL-terminated; NULL means "absent".  Byte fields
 * are (pointer, length) pairs.  The structs never own what they point to:
 * an importer points them into its input and its per-message arena, the
 * store's loaders into the arena the caller passes.  Field meanings follow
 * the columns of schema/001-core.sql (docs/staging.md).
 */
#ifndef MF_CORE_MODEL_H
#define MF_CORE_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* Severities of problems. */
enum mf_severity { MF_INFO = 0, MF_WARNING = 1, MF_ERROR = 2 };
const char *mf_severity_name(enum mf_severity s);

/* One export set / bundle / file being imported. */
struct mf_source_info {
	const char *format;          /* importer name */
	const char *path;            /* folder or file as given */
	const char *postoffice;
	const char *network;
	const char *codepage;        /* canonical, "CP850" */
	const char *calendar_codepage;
	const char *timezone;        /* IANA zone; NULL -> "UTC" */
	const char *date_order;
	const char *db_version;
	const char *exported_at;
	const void *manifest;        /* bytes, may be NULL */
	size_t manifest_len;
};

/* A directory entry (dir_entries). */
struct mf_dir_entry {
	const char *kind;            /* user, custom, list, postoffice, alias, bboard */
	const char *name;
	const char *display_name;
	const char *given_name;
	const char *surname;
	const char *address_type;
	const char *address;
	const char *postoffice;
	const char *location;
	const char *comments;
	int64_t alias_of;            /* 0: none */
	int64_t mailbox_id;          /* 0: none */
	int64_t src_file_id;         /* 0: none */
	int64_t src_offset;          /* -1: unknown */
	const void *raw;
	size_t raw_len;
};

/* A mailbox to migrate (mailboxes). */
struct mf_mailbox {
	int64_t id;                  /* set by the store / loaders */
	const char *kind;            /* "mailbox" or "public" */
	const char *name;            /* name in the source */
	const char *alias;           /* NULL on insert: the store forms one */
	const char *display_name;
	const char *given_name;
	const char *surname;
	const char *address_type;    /* CCMAIL, MS */
	const char *source_address;  /* "CCMAIL:Lindqvist, Anna at SALES01" */
	int deleted;
	int in_directory;
	const char *comments;
	/* filled by loaders only: */
	int64_t source_id;
	int mail_skipped;            /* from mail_sections */
	int64_t mail_file_id;
};

struct mf_recipient {
	const char *role;            /* "to", "cc", "bcc" */
	const char *display_name;
	const char *address_type;
	const char *address;
	const char *raw;             /* as written (UTF-8); required */
	int64_t entry_id;            /* 0: unresolved */
};

struct mf_body_part {
	int position;                /* order among all items of the message */
	const char *kind;            /* "text" or "rtf" */
	const char *title;
	const char *text;            /* UTF-8 */
	size_t text_len;
	const void *raw;             /* payload as written (always given on insert) */
	size_t raw_len;
	int keep_raw;                /* store raw: the text does not reproduce it */
	const char *sha256;          /* filled by the store on insert/load */
	size_t replacements;
	size_t highlights_removed;
	int64_t src_offset;          /* -1: unknown */
};

struct mf_message;

struct mf_attachment {
	int position;
	const char *kind;            /* file, fax, graphics, sound, message, ole */
	const char *name;            /* safe-ish file name (exporters sanitise again) */
	const char *title;
	const char *content_type;    /* NULL: exporters guess from the name */
	const void *data;            /* NULL with has_data 0: staged by name only */
	size_t size;
	int has_data;
	const char *sha256;          /* filled by the store */
	const void *original;        /* MacBinary II bytes as exported; NULL: none */
	size_t original_size;
	const char *original_sha256; /* filled by the store */
	const char *format;          /* "macbinary" or NULL */
	const char *mac_type;
	const char *mac_creator;
	int64_t body_position;       /* -1: unknown / end of body */
	struct mf_message *nested;   /* kind "message": the forwarded message */
	int64_t nested_id;           /* filled by the store / loaders */
	int64_t src_offset;
};

struct mf_message {
	int64_t id;                  /* filled by the store / loaders */
	int64_t mailbox_id;
	int64_t folder_id;           /* 0 for a nested message */
	int64_t parent_id;           /* filled by the store for nested messages */
	int64_t src_file_id;
	int64_t src_offset;
	int64_t src_length;
	const void *src;             /* the message's raw bytes, for src_sha256 */
	const char *src_sha256;      /* filled by the store / loaders */
	const void *raw_header;
	size_t raw_header_len;
	const char *charset;
	const char *sender_name;
	const char *sender_type;
	const char *sender_address;
	const char *sender_raw;      /* NULL: no sender */
	int64_t sender_entry_id;
	const char *subject;
	const char *date_raw;
	int has_sent, has_received;  /* 0: unknown */
	int64_t sent_utc, received_utc;
	const char *timezone;
	int unread, unsent;
	int priority;                /* -1 low, 0 normal, 1 high */
	int receipt_requested, is_receipt;
	const char *message_class;
	const char *message_id;
	const char *conversation_id;
	const char *parent_message_id;
	struct mf_recipient *recipients;
	size_t n_recipients;
	struct mf_body_part *bodies;
	size_t n_bodies;
	struct mf_attachment *attachments;
	size_t n_attachments;
	/* filled by loaders only: */
	const char *folder_path;     /* "Inbox", "Projects\\Q2" */
	const char *folder_special;  /* inbox, sent, drafts, trash or NULL */
	int64_t size;
};

struct mf_calendar_item {
	int64_t id;
	int64_t mailbox_id;
	int64_t src_file_id;
	int64_t src_offset;
	const char *kind;            /* event, todo, journal */
	const char *uid;
	const char *summary;
	int has_dtstart;
	int64_t dtstart_utc;
	const char *timezone;
	int recurring;
	const char *ical;            /* the component(s), CR LF lines */
	const void *raw;
	size_t raw_len;
	const char *source_type;
};

/* PAB entry: fields in the order of the Exchange PAB columns 4..24. */
enum {
	MF_PAB_FIRST, MF_PAB_LAST, MF_PAB_STREET, MF_PAB_CITY, MF_PAB_STATE,
	MF_PAB_ZIP, MF_PAB_COUNTRY, MF_PAB_TITLE, MF_PAB_COMPANY, MF_PAB_DEPARTMENT,
	MF_PAB_OFFICE, MF_PAB_ASSISTANT, MF_PAB_BUS_NUM, MF_PAB_BUS2_NUM,
	MF_PAB_ASSIST_NUM, MF_PAB_FAX_NUM, MF_PAB_HOME_NUM, MF_PAB_HOME2_NUM,
	MF_PAB_MOBILE_NUM, MF_PAB_PAGER_NUM, MF_PAB_NOTE, MF_PAB_NFIELDS
};

struct mf_pab_member {
	const char *address;         /* as written */
	int64_t member_pab_id;       /* 0: not an entry of the same book */
	int64_t entry_id;            /* 0: not a directory entry */
};

struct mf_pab_entry {
	int64_t id;
	int64_t mailbox_id;
	int position;
	const char *kind;            /* entry, dl */
	const char *display_name;
	const char *address_type;
	const char *address;
	const char *field[MF_PAB_NFIELDS];
	struct mf_pab_member *members;
	size_t n_members;
	int64_t src_file_id;
	int64_t src_offset;
	const void *raw;
	size_t raw_len;
};

/* A problem to record. */
struct mf_problem {
	enum mf_severity severity;
	const char *code;            /* stable, "ccmail.size-mismatch" */
	const char *file;            /* NULL: not about a file */
	int64_t offset;              /* -1: unknown */
	int64_t mailbox_id;          /* 0: none */
	int64_t message_id;          /* 0: none */
	const char *item;            /* NULL or "message at 0x1f3a0" */
	const char *text;
};

#endif
