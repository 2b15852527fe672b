/* SPDX-License-Identifier: MIT */
/* registry.c: the exporters mailferry knows.  The test build compiles this
 * file again with -DMF_TEST_PLUGINS and links it before the library, which
 * adds the test exporters (Makefile: mailferry-test). */
#include "engine/exporter.h"

#include <stddef.h>

extern const struct mf_exporter mf_exporter_exchange, mf_exporter_imap,
	mf_exporter_maildir, mf_exporter_mbox, mf_exporter_eml, mf_exporter_ics, mf_exporter_pst,
	mf_exporter_vcard, mf_exporter_carddav, mf_exporter_caldav;
#ifdef MF_TEST_PLUGINS
/* the test build's exporters (tests/plugins/, build/mailferry-test) */
extern const struct mf_exporter mf_exporter_testexp;
#endif

const struct mf_exporter *const mf_exporters[] = {
	&mf_exporter_exchange,
	&mf_exporter_imap,
	&mf_exporter_maildir,
	&mf_exporter_mbox,
	&mf_exporter_eml,
	&mf_exporter_ics,
	&mf_exporter_pst,
	&mf_exporter_vcard,
	&mf_exporter_carddav,
	&mf_exporter_caldav,
#ifdef MF_TEST_PLUGINS
	&mf_exporter_testexp,
#endif
	NULL
};

const struct mf_exporter *mf_exporter_find(const char *name)
{
	for (size_t i = 0; mf_exporters[i]; i++)
		if (mf_strcaseeq(mf_exporters[i]->name, name))
			return mf_exporters[i];
	return NULL;
}
