/* SPDX-License-Identifier: MIT */
/* registry.c: the importers mailferry knows, in probe order. */
#include "engine/importer.h"

#include <stddef.h>

extern const struct mf_importer mf_importer_ccmail, mf_importer_msmail,
	mf_importer_directory;

const struct mf_importer *const mf_importers[] = {
	&mf_importer_ccmail,
	&mf_importer_msmail,
	&mf_importer_directory,
	NULL
};

const struct mf_importer *mf_importer_find(const char *name)
{
	for (size_t i = 0; mf_importers[i]; i++)
		if (mf_strcaseeq(mf_importers[i]->name, name))
			return mf_importers[i];
	return NULL;
}

const struct mf_importer *mf_importer_probe(const char *path)
{
	const struct mf_importer *best = NULL;
	int best_score = 49;
	for (size_t i = 0; mf_importers[i]; i++) {
		int s;
		if (!mf_importers[i]->probe)
			continue;
		s = mf_importers[i]->probe(path);
		if (s > best_score) {
			best = mf_importers[i];
			best_score = s;
		}
	}
	return best;
}
