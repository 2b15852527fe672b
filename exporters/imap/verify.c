/* SPDX-License-Identifier: MIT */
/* verify.c: the IMAP exporter's verify callback (engine/exporter.h): the
 * server read back by mf_imap_verify (exporters/imap/imap.h), its figures
 * added to the verify driver's. */
#include "exporters/imap/imap.h"
#include "engine/verify.h"

int mf_imap_verify_run(struct mf_verify *v, struct mf_diag *diag)
{
	struct mf_imap_verify_sum s;
	struct mf_verify_sum *sum = mf_verify_sum(v);
	int rc = mf_imap_verify(mf_verify_store(v), mf_verify_opts(v), mf_verify_out(v), &s, diag);
	sum->mailboxes += s.mailboxes;
	sum->folders += s.folders;
	sum->items += s.messages;
	sum->mismatches += s.mismatches;
	return rc;
}
