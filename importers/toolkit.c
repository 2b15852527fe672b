/* SPDX-License-Identifier: MIT */
/* toolkit.c: see toolkit.h. */
#include "importers/toolkit.h"
#include "engine/importer.h"

#include <string.h>

int mf_pending_flush(struct mf_store *st, struct mf_pending *pd, const struct mf_problem *base,
		     uint64_t msg_off, struct mf_diag *diag)
{
	int rc = MF_OK;
	for (size_t i = 0; i < pd->n && rc >= 0; i++) {
		struct mf_problem p = *base;
		p.severity = pd->p[i].sev;
		p.code = pd->p[i].code;
		p.offset = pd->p[i].offset == MF_NO_OFFSET ? -1 : (int64_t)pd->p[i].offset;
		if (pd->p[i].offset < msg_off) {
			p.message_id = 0;
			p.item = NULL;
		}
		p.text = pd->p[i].text;
		rc = mf_store_problem(st, &p, diag);
	}
	mf_pending_clear(pd);
	return rc;
}

void mf_staged_init(struct mf_staged *sf, struct mf_store *st, struct mf_map *map,
		    struct mf_diag *diag)
{
	memset(sf, 0, sizeof(*sf));
	sf->st = st;
	sf->map = map;
	sf->diag = diag;
	sf->state = MF_FILE_NEW;
}

int mf_staged_begin(struct mf_staged *sf)
{
	return mf_store_begin(sf->st, sf->diag);
}

int mf_staged_exists(struct mf_staged *sf, uint64_t offset)
{
	int rc;
	if (sf->state != MF_FILE_RESUME)
		return 0;
	rc = mf_store_message_exists(sf->st, sf->file_id, (int64_t)offset, sf->diag);
	if (rc == 1)
		sf->staged++;
	return rc;
}

void mf_staged_release(struct mf_staged *sf, uint64_t upto)
{
	if (sf->map && upto >= sf->released + MF_IMPORT_RELEASE_STEP) {
		mf_map_release_before(sf->map, upto);
		sf->released = upto;
	}
}

int mf_staged_next(struct mf_staged *sf, uint64_t upto)
{
	int rc, committed = 0;
	sf->staged++;
	if (++sf->in_batch >= MF_IMPORT_BATCH) {
		sf->in_batch = 0;
		if ((rc = mf_store_commit(sf->st, sf->diag)) < 0 ||
		    (rc = mf_store_begin(sf->st, sf->diag)) < 0)
			return rc;
		committed = 1;
	}
	mf_staged_release(sf, upto);
	return committed;
}

void mf_staged_skip(struct mf_staged *sf, uint64_t upto)
{
	sf->skipped++;
	mf_staged_release(sf, upto);
}

int mf_staged_end(struct mf_staged *sf)
{
	int rc = mf_store_file_end(sf->st, sf->file_id, "done", sf->staged, sf->skipped, sf->diag);
	if (rc < 0)
		return rc;
	return mf_store_commit(sf->st, sf->diag);
}

void mf_staged_rollback(struct mf_staged *sf)
{
	mf_store_rollback(sf->st);
}
