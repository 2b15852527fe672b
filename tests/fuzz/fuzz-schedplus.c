/* SPDX-License-Identifier: MIT */
/* fuzz-schedplus.c: the .sc2 and .sch readers and their conversion to
 * iCalendar with libical (importers/msmail/schedplus.c).  The first byte picks the
 * time zone. */
#include "importers/msmail/schedplus.h"

#include <libical/ical.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const zones[] = { "UTC", "America/New_York", "Europe/Berlin",
		"Australia/Lord_Howe" };
	struct mf_cal_opts o;
	struct mf_arena a = MF_ARENA_INIT;
	struct mf_cal_result res;
	struct mf_sch_state st;
	int n = 0;

	if (size < 1 || size > 1 << 18)
		return 0;
	memset(&o, 0, sizeof(o));
	o.tzid = zones[data[0] & 3];
	o.owner = "MS:NET/PO/MBX";
	o.dtstamp = 812764800;
	data++;
	size--;
	{
		struct mf_sc2 p;
		const struct mf_sc2_obj *obj;
		int rc;
		mf_sc2_init(&p, data, size, NULL, NULL);
		while ((rc = mf_sc2_next(&p, &obj)) != MF_DONE && ++n < 10000) {
			if (rc != MF_OK)
				continue;
			if ((const uint8_t *)obj->raw.p < data ||
			    (const uint8_t *)obj->raw.p + obj->raw.len > data + size)
				__builtin_trap();
			if (mf_sc2_convert(&res, obj, &o, &a) == MF_OK && res.what == MF_CAL_ITEM) {
				/* what we produce must parse */
				icalcomponent *c = icalparser_parse_string(res.item.ical);
				if (!c || !res.item.uid)
					__builtin_trap();
				icalcomponent_free(c);
			}
			mf_arena_reset(&a);
		}
		mf_sc2_release(&p);
	}
	{
		struct mf_sch p;
		const struct mf_sch_item *it;
		int rc;
		memset(&st, 0, sizeof(st));
		n = 0;
		mf_sch_init(&p, data, size, NULL, NULL);
		while ((rc = mf_sch_next(&p, &it)) != MF_DONE && ++n < 10000) {
			if (rc != MF_OK)
				continue;
			if (mf_sch_convert(&res, it, &st, &o, &a) == MF_OK) {
				icalcomponent *c = icalparser_parse_string(res.item.ical);
				if (!c)
					__builtin_trap();
				icalcomponent_free(c);
			}
			mf_arena_reset(&a);
		}
		mf_sch_release(&p);
	}
	mf_arena_release(&a);
	return 0;
}
