-- 007-directory-indexes.sql: indexes for the commands that walk every
-- mailbox of a large post office (issue 15, bench/directory.sh).  Nothing
-- else changes: the same rows come back in the same order.

-- status lists the mailboxes by kind, then alias (core/store_views.c): with
-- this index the rows come in that order from the index instead of being
-- sorted in memory (temp_store = MEMORY), which grew with the mailboxes.
CREATE INDEX mailboxes_kind_alias ON mailboxes(kind, alias);

-- Importing a directory snapshot again replaces the previous one: deleting
-- its source deletes its target objects (found by source_id), and each
-- deleted object clears the plan rows that name it (ON DELETE SET NULL).
-- Without these indexes every one of those steps scanned a table growing
-- with the directory, once per object: quadratic.
CREATE INDEX target_objects_source ON target_objects(source_id);
CREATE INDEX plan_mailboxes_object ON plan_mailboxes(object_id);
CREATE INDEX plan_recipients_object ON plan_recipients(object_id);
