/* SPDX-License-Identifier: MIT */
/*
 * pst_verify_content.h: the content half of `mailferry verify pst`: one
 * part file read back with mailferry's own PST reader (reader/, which
 * shares no code with the writer) and compared with the staging database
 * message by message.  pst_verify.c calls it for every part it finds.
 */
#ifndef MF_EXPORTERS_PST_PST_VERIFY_CONTENT_H
#define MF_EXPORTERS_PST_PST_VERIFY_CONTENT_H

#include "core/arena.h"
#include "engine/verify.h"

/*
 * Read part file `path` (named part_name, e.g. "LindqvistA-002.pst") of
 * mailbox mb and compare it with the staged side vm: every problem the
 * reader finds; every delivered message whose ledger row names this part
 * is there (by its node id), in the folder its staged folder maps to, with
 * the staged subject, sender, recipients, dates, read and unsent flags,
 * importance, plain body and attachments (sha256, sizes, names; forwarded
 * messages as embedded messages, recursively); the standard and staged
 * folders exist; each of them holds as many messages as the ledger puts
 * there; no IPM.Note message is there that the ledger does not name.
 * One mismatch line per difference.
 */
void pst_verify_content(struct mf_verify *v, const struct mf_mailbox *mb,
			const struct mf_verify_mailbox *vm, const char *path,
			const char *part_name, struct mf_arena *arena);

#endif
