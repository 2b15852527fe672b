/* SPDX-License-Identifier: MIT */
/* exchange.c: Exchange Migration Wizard files (.pkl/.pri/.sec).  Not built yet: registered so that
 * `mailferry formats` lists it as known. */
#include "exporters/exporter.h"

const struct mf_exporter mf_exporter_exchange = {
	.name = "exchange",
	.summary = "Exchange Migration Wizard files (.pkl/.pri/.sec)",
	.open = NULL,
};
