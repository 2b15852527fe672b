-- 002-views.sql: views for people who inspect the staging store with sqlite3.

-- One row per mailbox: what the sources hold for it.
CREATE VIEW mailbox_summary AS
SELECT m.alias                                  AS alias,
       m.display_name                           AS display_name,
       m.source_address                         AS source_address,
       m.kind                                   AS kind,
       (SELECT count(*) FROM messages g
         WHERE g.mailbox_id = m.id AND g.parent_id IS NULL)        AS messages,
       (SELECT count(*) FROM attachments a JOIN messages g ON g.id = a.message_id
         WHERE g.mailbox_id = m.id)                                AS attachments,
       (SELECT ifnull(sum(g.size), 0) FROM messages g
         WHERE g.mailbox_id = m.id AND g.parent_id IS NULL)        AS bytes,
       (SELECT count(*) FROM calendar_items c WHERE c.mailbox_id = m.id) AS calendar_items,
       (s.mailbox_id IS NOT NULL)                                  AS has_mail_section,
       ifnull(s.mail_skipped, 0)                                   AS mail_skipped,
       m.id                                                        AS mailbox_id
  FROM mailboxes m
  LEFT JOIN mail_sections s ON s.mailbox_id = m.id;

-- One row per folder: messages and bytes.
CREATE VIEW folder_summary AS
SELECT m.alias                                  AS alias,
       f.path                                   AS path,
       f.special                                AS special,
       (SELECT count(*) FROM messages g WHERE g.folder_id = f.id)   AS messages,
       (SELECT ifnull(sum(g.size), 0) FROM messages g WHERE g.folder_id = f.id) AS bytes,
       f.id                                     AS folder_id,
       m.id                                     AS mailbox_id
  FROM folders f
  JOIN mailboxes m ON m.id = f.mailbox_id;

-- Problems grouped by severity and code, with one example each.
CREATE VIEW problem_summary AS
SELECT severity,
       code,
       count(*)                                 AS count,
       min(text)                                AS example,
       min(file)                                AS first_file
  FROM problems
 GROUP BY severity, code
 ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, code;
