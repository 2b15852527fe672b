#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""stage.py: what the kill tests read back (tests/crash/killtest.sh).

    python3 stage.py digest STAGE
        one line: the counts and the sha256 of everything staged, written
        with natural keys (file path and offset, mailbox name, folder path),
        never row ids: two imports of the same input give the same digest
        whatever order or how many runs they took.
    python3 stage.py partial maildir|mbox|eml STAGE DIR
        a target an export could not finish: every message there is whole,
        staged, and there once.
    python3 stage.py complete maildir|mbox|eml STAGE DIR
        the same, and every staged message is there (whatever the folder
        names became).
    python3 stage.py ics STAGE DIR
        the iCalendar export DIR holds exactly the staged calendar items:
        one DIR/<alias>.ics per mailbox with items, every staged UID once
        (a recurring series: one master), nothing else.
Exit 1 (with the reason) when a check fails."""
import hashlib
import os
import sqlite3
import sys


def digest(stage):
    con = sqlite3.connect(stage)
    con.text_factory = bytes
    h = hashlib.sha256()
    counts = []

    def feed(name, sql):
        rows = sorted(repr(r).encode() for r in con.execute(sql))
        counts.append("%s=%d" % (name, len(rows)))
        h.update(name.encode() + b"\n")
        for r in rows:
            h.update(r + b"\n")

    msgkey = ("(SELECT f.path || ':' || g.src_offset FROM messages g JOIN source_files f "
              "ON f.id = g.src_file_id WHERE g.id = %s)")
    feed("files", "SELECT role, path, size, sha256, state, messages, skipped FROM source_files")
    feed("mailboxes", "SELECT kind, name, alias, display_name, deleted, in_directory, "
         "source_address FROM mailboxes")
    feed("sections", "SELECT b.name, s.mail_skipped FROM mail_sections s "
         "JOIN mailboxes b ON b.id = s.mailbox_id")
    feed("folders", "SELECT b.name, f.path FROM folders f JOIN mailboxes b ON b.id = f.mailbox_id")
    feed("messages", "SELECT f.path, m.src_offset, m.src_length, m.src_sha256, m.subject, "
         "m.sent_utc, m.unread, m.priority, b.name, d.path, " + msgkey % "m.parent_id" +
         " FROM messages m JOIN source_files f ON f.id = m.src_file_id "
         "JOIN mailboxes b ON b.id = m.mailbox_id LEFT JOIN folders d ON d.id = m.folder_id")
    feed("recipients", "SELECT " + msgkey % "r.message_id" + ", r.role, r.raw FROM recipients r")
    feed("bodies", "SELECT " + msgkey % "p.message_id" + ", p.position, p.sha256, "
         "length(p.text) FROM body_parts p")
    feed("attachments", "SELECT " + msgkey % "a.message_id" + ", a.position, a.name, a.size, "
         "a.sha256, a.original_sha256 FROM attachments a")
    feed("calendar", "SELECT b.name, c.uid, c.kind, c.summary, c.dtstart_utc, c.recurring, "
         "length(c.ical) FROM calendar_items c JOIN mailboxes b ON b.id = c.mailbox_id")
    feed("directory", "SELECT kind, name, address, src_offset FROM dir_entries")
    feed("pab", "SELECT b.name, p.position, p.kind, p.display_name, p.address FROM pab_entries p "
         "JOIN mailboxes b ON b.id = p.mailbox_id")
    feed("problems", "SELECT severity, code, file, offset, item, text FROM problems "
         "WHERE code NOT LIKE 'export.%'")
    print(" ".join(counts) + " sha256=" + h.hexdigest())


def ics(stage, out):
    con = sqlite3.connect(stage)
    bad = []
    want = {}
    for alias, uid in con.execute("SELECT b.alias, c.uid FROM calendar_items c "
                                  "JOIN mailboxes b ON b.id = c.mailbox_id"):
        want.setdefault(alias, []).append(uid)
    have = {}
    names = sorted(os.listdir(out))
    if os.path.isdir(os.path.join(out, "public")):
        names.remove("public")
        names += ["public/" + n for n in sorted(os.listdir(os.path.join(out, "public")))]
    for name in names:
        p = os.path.join(out, name)
        base = os.path.basename(name)
        if base.startswith(".mailferry") or (base.startswith(".") and ".tmp." in base):
            continue  # the folder's identity; a killed run's temporary file
        if not name.endswith(".ics"):
            bad.append("unexpected file %s" % name)
            continue
        data = open(p, "rb").read()
        if not data.endswith(b"END:VCALENDAR\r\n"):
            bad.append("%s: not a whole calendar" % name)
        uids = []
        comp = None
        for ln in data.decode("utf-8", "replace").split("\r\n"):
            if ln in ("BEGIN:VEVENT", "BEGIN:VTODO", "BEGIN:VJOURNAL"):
                comp = {"uid": None, "rid": False}
            elif ln.startswith("UID:") and comp is not None:
                comp["uid"] = ln[4:]
            elif ln.startswith("RECURRENCE-ID") and comp is not None:
                comp["rid"] = True
            elif ln in ("END:VEVENT", "END:VTODO", "END:VJOURNAL") and comp is not None:
                if not comp["rid"]:
                    uids.append(comp["uid"])
                comp = None
        have[os.path.basename(name)[:-4]] = uids
    for alias in set(want) | set(have):
        w = sorted(want.get(alias, []))
        g = sorted(have.get(alias, []))
        if w != g:
            bad.append("%s: %d items on the target, %d staged (missing %d, extra or twice %d)" % (
                alias, len(g), len(w), len(set(w) - set(g)), len(g) - len(set(g) & set(w))))
    for b in bad:
        print("  check failed: " + b)
    return 1 if bad else 0


def partial(fmt, stage, out, complete=False):
    """A target an export could not finish (disk full, read-only): every
    message file present is whole and is a staged message (subject and
    attachments, read with Python's email parser), and none is there twice.
    Maildir's tmp/ holds messages still being written: not read."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
    import files_check as fc
    import mailbox
    con = fc.db(stage)
    staged = fc.staged_by_id(con)
    ids = {}
    n = 0

    def one(raw, where, folder):
        # once per folder (a message posted to two boards is in both)
        nonlocal n
        n += 1
        msg = fc.check_message(raw, staged, where)
        if msg is not None:
            key = (folder, str(msg["X-Mailferry-Id"]))
            if key in ids:
                fc.fail("%s: message %s is also in %s" % (where, key[1], ids[key]))
            ids[key] = where

    for root, dirs, files in os.walk(out):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            if fmt == "maildir" and os.path.basename(root) in ("cur", "new"):
                one(open(p, "rb").read(), p, os.path.dirname(root))
            elif fmt == "eml" and f.endswith(".eml"):
                one(open(p, "rb").read(), p, root)
            elif fmt == "mbox" and f.endswith(".mbox"):
                box = mailbox.mbox(p, create=False)
                for k in box.keys():
                    one(box.get_bytes(k), "%s#%d" % (p, k), p)
    print("%d whole messages on the target" % n)
    if complete:
        total = con.execute("SELECT count(*) FROM messages WHERE parent_id IS NULL").fetchone()[0]
        if len(ids) != total or n != total:
            fc.fail("%d messages on the target (%d different), %d staged" % (n, len(ids), total))
    return 1 if fc.failures else 0


if __name__ == "__main__":
    if sys.argv[1] in ("partial", "complete"):
        sys.exit(partial(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[1] == "complete"))
    if sys.argv[1] == "digest":
        digest(sys.argv[2])
        sys.exit(0)
    if sys.argv[1] == "ics":
        sys.exit(ics(sys.argv[2], sys.argv[3]))
    sys.exit("usage: stage.py digest STAGE | ics STAGE DIR")
