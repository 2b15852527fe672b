/* SPDX-License-Identifier: MIT */
/* schema.h: the staging schema files, embedded in order (schema.c is
 * generated from schema/NNN-name.sql by scripts/sql2c.sh). */
#ifndef MF_SCHEMA_SCHEMA_H
#define MF_SCHEMA_SCHEMA_H

struct mf_schema_step {
	int version;        /* NNN: applied when above PRAGMA user_version */
	const char *name;   /* "001-core" */
	const char *sql;
};

/* Terminated by an entry with version 0. */
extern const struct mf_schema_step mf_schema_steps[];

#endif
