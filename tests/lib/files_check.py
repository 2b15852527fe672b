"""files_check.py: read mailferry's file exports back with Python's own
readers (mailbox, email, icalendar) and compare them with the staging
database.  Used by tests/cli/files.sh.

    python3 files_check.py maildir STAGE DIR
    python3 files_check.py mbox    STAGE DIR
    python3 files_check.py eml     STAGE DIR
    python3 files_check.py ics     STAGE DIR
    python3 files_check.py imap    STAGE DIR PORT MASTER PASSWORD

Prints one line per failed check and exits 1 if there was any.  Expected
values come from the staging database, and the Maildir++ folder names are
computed here independently of mailferry's own encoder.
"""
import email
import email.policy
import hashlib
import imaplib
import mailbox
import os
import sqlite3
import sys

failures = []


def fail(msg):
    failures.append(msg)
    print("  check failed: " + msg)


def safe_name(name, limit=255):
    """What mailferry's mf_safe_filename makes of a name (the rules of
    core/safename.h), written again here for the comparison."""
    last = name.replace("\\", "/").split("/")[-1]
    s = "".join("_" if (ord(c) < 0x20 or c == "\x7f" or c in '<>:"/\\|?*') else c for c in last)
    s = s.strip(". ")
    if not s:
        return "attachment.bin"
    base = s.split(".")[0].rstrip(" ").upper()
    dev = base in ("CON", "PRN", "AUX", "NUL") or (
        len(base) == 4 and base[:3] in ("COM", "LPT") and base[3] in "123456789")
    pre = "_" if dev else ""
    b = s.encode()
    if len(b) + len(pre) > limit:
        dot = s.rfind(".")
        ext = s[dot:] if dot >= 0 else ""
        if len(ext.encode()) > 16 or len(ext.encode()) >= limit // 2:
            ext = ""
        stem = b[: limit - len(pre) - len(ext.encode())].decode("utf-8", "ignore")
        return pre + stem + ext
    return pre + s


def mutf7(s):
    """IMAP modified UTF-7 (RFC 3501 5.1.3) via Python's UTF-7 codec."""
    out, run = [], []

    def flush():
        if run:
            b = "".join(run).encode("utf-7")
            # Python writes +...- ; take the base64 between
            enc = b.decode("ascii")
            assert enc.startswith("+")
            enc = enc[1:].rstrip("-")
            out.append("&" + enc.replace("/", ",") + "-")
            run.clear()

    for c in s:
        if 0x20 <= ord(c) <= 0x7E:
            flush()
            out.append("&-" if c == "&" else c)
        else:
            run.append(c)
    flush()
    return "".join(out)


def maildir_folder(path, public_alias=None):
    """Staged folder path -> Maildir++ folder name ('' for the inbox)."""
    levels = path.split("\\")
    if public_alias is not None:
        if levels[0].lower() == "inbox":
            levels = levels[1:]
        levels = [public_alias] + levels
    elif levels[0].lower() == "inbox":
        if len(levels) == 1:
            return ""
        levels = ["INBOX"] + levels[1:]
    enc = []
    for lv in levels:
        lv = "".join("_" if (ord(c) < 0x20 or c in "./" or c == "\x7f") else c for c in lv)
        if not lv:
            lv = "_"
        if lv.startswith("~"):
            lv = "_" + lv[1:]
        enc.append(mutf7(lv))
    return "." + ".".join(enc)


def db(stage):
    con = sqlite3.connect(stage)
    con.row_factory = sqlite3.Row
    return con


def mailboxes(con):
    return con.execute("SELECT id, kind, alias FROM mailboxes ORDER BY alias").fetchall()


def folder_counts(con, mbid):
    rows = con.execute(
        "SELECT f.path AS path, (SELECT count(*) FROM messages g WHERE g.folder_id = f.id "
        "AND g.parent_id IS NULL) AS n FROM folders f WHERE f.mailbox_id = ?", (mbid,))
    return {r["path"]: r["n"] for r in rows}


def staged_by_id(con):
    """X-Mailferry-Id -> (message row, [attachments of it and nested ones])."""
    out = {}
    for m in con.execute("SELECT * FROM messages WHERE parent_id IS NULL"):
        sid = "%s.%d" % (m["src_sha256"], m["src_offset"])
        atts = []
        todo = [m["id"]]
        while todo:
            mid = todo.pop()
            for a in con.execute("SELECT * FROM attachments WHERE message_id = ?", (mid,)):
                if a["nested_message_id"]:
                    todo.append(a["nested_message_id"])
                else:
                    atts.append(a)
        out[sid] = (m, atts)
    return out


def check_message(raw, staged, where):
    """Subject, attachment names and bytes of one exported message."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    sid = msg["X-Mailferry-Id"]
    if sid is None or str(sid) not in staged:
        fail("%s: no or unknown X-Mailferry-Id %r" % (where, sid))
        return None
    m, atts = staged[str(sid)]
    if (m["subject"] or "") != str(msg["Subject"] or ""):
        fail("%s: subject %r, staged %r" % (where, str(msg["Subject"]), m["subject"]))
    parts = []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_type() == "message/rfc822":
            continue
        fn = part.get_filename()
        data = part.get_payload(decode=True) or b""
        parts.append((fn, hashlib.sha256(data).hexdigest(), part.get_content_disposition()))
    for a in atts:
        if a["data"] is None:
            continue
        want = safe_name(a["name"])
        hit = [p for p in parts if p[0] == want and p[1] == a["sha256"]]
        if not hit:
            fail("%s: attachment %r (safe %r, sha %s) not found in %r" %
                 (where, a["name"], want, a["sha256"][:12], [(p[0], p[1][:12]) for p in parts]))
        for p in hit:
            if "/" in p[0] or "\\" in p[0] or p[0] in ("..", ".") or len(p[0].encode()) > 255:
                fail("%s: unsafe file name %r" % (where, p[0]))
    return msg


def check_maildir(stage, out):
    con = db(stage)
    staged = staged_by_id(con)
    seen = 0
    for mb in mailboxes(con):
        counts = folder_counts(con, mb["id"])
        if mb["kind"] == "public":
            root = mailbox.Maildir(os.path.join(out, "public"), factory=None, create=False)
            alias_folder = mutf7(mb["alias"])
        else:
            root = mailbox.Maildir(os.path.join(out, mb["alias"]), factory=None, create=False)
            alias_folder = None
        counts.setdefault("Inbox", 0)
        for path, n in counts.items():
            name = maildir_folder(path, alias_folder)
            box = root if name == "" else root.get_folder(name[1:])
            got = len(box.keys())
            if got != n:
                fail("maildir %s folder %r (%r): %d messages, staged %d" %
                     (mb["alias"], path, name, got, n))
            for key in box.keys():
                raw = box.get_bytes(key)
                msg = check_message(raw, staged, "maildir %s/%s" % (mb["alias"], key))
                seen += 1
                if msg is None:
                    continue
                m = staged[str(msg["X-Mailferry-Id"])][0]
                info = box.get_message(key).get_flags()
                if ("S" in info) == bool(m["unread"]):
                    fail("maildir %s: flags %r but unread=%d" % (key, info, m["unread"]))
                if ("D" in info) != bool(m["unsent"]):
                    fail("maildir %s: flags %r but unsent=%d" % (key, info, m["unsent"]))
                t = m["received_utc"] if m["received_utc"] is not None else m["sent_utc"]
                if t is not None:
                    sub = "" if name == "" else name
                    base = os.path.join(root._path, sub, "cur")
                    fn = [f for f in os.listdir(base) if f.startswith(key)]
                    if fn and int(os.stat(os.path.join(base, fn[0])).st_mtime) != t:
                        fail("maildir %s: mtime is not the message date" % key)
    total = con.execute("SELECT count(*) FROM messages WHERE parent_id IS NULL").fetchone()[0]
    if seen != total:
        fail("maildir: %d messages read, %d staged" % (seen, total))


def mbox_path(out, mb, path):
    levels = [safe_name(lv.replace("/", "_"), 100) if lv.strip(". ") else "_"
              for lv in path.split("\\")]
    top = os.path.join(out, "public", mb["alias"]) if mb["kind"] == "public" else \
        os.path.join(out, mb["alias"])
    return os.path.join(top, *levels[:-1], levels[-1] + ".mbox")


def check_mbox(stage, out):
    con = db(stage)
    staged = staged_by_id(con)
    seen = 0
    for mb in mailboxes(con):
        counts = folder_counts(con, mb["id"])
        counts.setdefault("Inbox", 0)
        for path, n in counts.items():
            p = mbox_path(out, mb, path)
            if not os.path.isfile(p):
                fail("mbox: %s missing" % p)
                continue
            box = mailbox.mbox(p, create=False)
            keys = box.keys()
            if len(keys) != n:
                fail("mbox %s: %d messages, staged %d" % (p, len(keys), n))
            for k in keys:
                raw = box.get_bytes(k)
                msg = check_message(raw, staged, "mbox %s#%d" % (p, k))
                seen += 1
                if msg is None:
                    continue
                m = staged[str(msg["X-Mailferry-Id"])][0]
                want = "O" if m["unread"] else "RO"
                if str(msg["Status"]) != want:
                    fail("mbox %s#%d: Status %r, wanted %r" % (p, k, msg["Status"], want))
                if m["subject"] == "From lines":
                    body = msg.get_body().get_content()
                    lines = body.splitlines()
                    for w in (">From the top", ">>From quoted", ">>>From twice", "From",
                              "Fromage"):
                        if w not in lines:
                            fail("mbox: From-quoting: line %r missing in %r" % (w, lines))
    total = con.execute("SELECT count(*) FROM messages WHERE parent_id IS NULL").fetchone()[0]
    if seen != total:
        fail("mbox: %d messages read, %d staged" % (seen, total))


def check_eml(stage, out):
    con = db(stage)
    staged = staged_by_id(con)
    seen = 0
    for mb in mailboxes(con):
        counts = folder_counts(con, mb["id"])
        counts.setdefault("Inbox", 0)
        for path, n in counts.items():
            d = mbox_path(out, mb, path)[: -len(".mbox")]
            files = [f for f in os.listdir(d) if f.endswith(".eml")] if os.path.isdir(d) else []
            if len(files) != n:
                fail("eml %s: %d files, staged %d" % (d, len(files), n))
            for f in files:
                with open(os.path.join(d, f), "rb") as fh:
                    raw = fh.read()
                if b"\n" in raw.replace(b"\r\n", b""):
                    fail("eml %s: bare LF" % f)
                check_message(raw, staged, "eml " + f)
                seen += 1
    total = con.execute("SELECT count(*) FROM messages WHERE parent_id IS NULL").fetchone()[0]
    if seen != total:
        fail("eml: %d messages read, %d staged" % (seen, total))


def check_ics(stage, out):
    import icalendar
    con = db(stage)
    for mb in mailboxes(con):
        p = os.path.join(out, "public", mb["alias"] + ".ics") if mb["kind"] == "public" else \
            os.path.join(out, mb["alias"] + ".ics")
        with open(p, "rb") as fh:
            cal = icalendar.Calendar.from_ical(fh.read())
        staged = {r["uid"] for r in con.execute(
            "SELECT uid FROM calendar_items WHERE mailbox_id = ?", (mb["id"],))}
        refused = {u for u in staged if con.execute(
            "SELECT count(*) FROM problems WHERE code = 'ics.invalid-item' AND text LIKE ?",
            ("%'" + u + "'%",)).fetchone()[0]}
        got = {str(c["UID"]) for c in cal.walk() if c.name in ("VEVENT", "VTODO", "VJOURNAL")}
        if got != staged - refused:
            fail("ics %s: uids %r, staged %r (refused %r)" % (mb["alias"], got, staged, refused))
        if "mf-weekly-1" not in staged:
            continue
        if refused != {"mf-bad-1"}:
            fail("ics %s: refused %r" % (mb["alias"], refused))
        tz = {str(c["TZID"]) for c in cal.walk("VTIMEZONE")}
        if tz != {"Europe/Stockholm", "America/New_York"}:
            fail("ics: VTIMEZONEs %r" % tz)
        ev = [c for c in cal.walk("VEVENT") if str(c["UID"]) == "mf-weekly-1"]
        master = [c for c in ev if "RECURRENCE-ID" not in c]
        over = [c for c in ev if "RECURRENCE-ID" in c]
        if len(master) != 1 or len(over) != 1:
            fail("ics: weekly series has %d masters, %d overrides" % (len(master), len(over)))
            continue
        m = master[0]
        if m["RRULE"].get("FREQ") != ["WEEKLY"] or m["RRULE"].get("COUNT") != [6]:
            fail("ics: RRULE %r" % m["RRULE"])
        start = m["DTSTART"].dt
        if (start.year, start.month, start.day, start.hour, start.minute) != (1997, 3, 14, 9, 15) \
                or start.utcoffset().total_seconds() != 3600:
            fail("ics: DTSTART %r" % start)
        ex = m["EXDATE"]
        exd = [d.dt for d in (ex if isinstance(ex, list) else [ex])[0].dts]
        if [(d.month, d.day) for d in exd] != [(3, 21)]:
            fail("ics: EXDATE %r" % exd)
        o = over[0]
        if (o["RECURRENCE-ID"].dt.day, o["DTSTART"].dt.hour) != (28, 13):
            fail("ics: override %r %r" % (o["RECURRENCE-ID"].dt, o["DTSTART"].dt))
        if "räksmörgås" not in str(m["SUMMARY"]):
            fail("ics: summary %r" % str(m["SUMMARY"]))
        ny = [c for c in cal.walk("VEVENT") if str(c["UID"]) == "mf-ny-1"][0]
        if ny["DTSTART"].dt.utcoffset().total_seconds() != -4 * 3600:
            fail("ics: New York DTSTART %r" % ny["DTSTART"].dt)
        todo = [c for c in cal.walk("VTODO")]
        if len(todo) != 1 or str(todo[0]["STATUS"]) != "COMPLETED":
            fail("ics: VTODO %r" % todo)
        allday = [c for c in cal.walk("VEVENT") if str(c["UID"]) == "mf-allday-1"][0]
        if str(allday["DTSTART"].dt) != "1997-06-20":
            fail("ics: all-day DTSTART %r" % allday["DTSTART"].dt)


def check_imap(stage, out, port, master, password):
    con = db(stage)
    for mb in mailboxes(con):
        counts = folder_counts(con, mb["id"])
        counts.setdefault("Inbox", 0)
        conn = imaplib.IMAP4("127.0.0.1", int(port))
        conn.login("%s*%s" % (mb["alias"], master), password)
        for path, n in counts.items():
            if mb["kind"] == "public":
                name = "Public/" + maildir_folder(path, mutf7(mb["alias"]))[1:].replace(".", "/")
            else:
                name = maildir_folder(path)
                name = "INBOX" if name == "" else name[1:].replace(".", "/")
            typ, data = conn.select('"%s"' % name.replace("\\", "\\\\").replace('"', '\\"'),
                                    readonly=True)
            if typ != "OK":
                fail("imap %s: SELECT %r: %r" % (mb["alias"], name, data))
                continue
            if int(data[0]) != n:
                fail("imap %s %r: %s messages, staged %d" % (mb["alias"], name, data[0], n))
            if n:
                typ, d = conn.fetch("1", "(BODY.PEEK[HEADER.FIELDS (X-MAILFERRY-ID)])")
                if typ != "OK" or b"X-Mailferry-Id" not in d[0][1]:
                    fail("imap %s %r: FETCH %r" % (mb["alias"], name, d))
        conn.logout()


def main():
    what = sys.argv[1]
    if what == "maildir":
        check_maildir(sys.argv[2], sys.argv[3])
    elif what == "mbox":
        check_mbox(sys.argv[2], sys.argv[3])
    elif what == "eml":
        check_eml(sys.argv[2], sys.argv[3])
    elif what == "ics":
        check_ics(sys.argv[2], sys.argv[3])
    elif what == "imap":
        check_imap(*sys.argv[2:7])
    else:
        print("unknown check " + what)
        return 2
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
