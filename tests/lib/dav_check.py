#!/usr/bin/python3
"""dav_check.py: read vCard files and CardDAV/CalDAV collections back with
readers mailferry did not write (python3-vobject, python3-icalendar,
ElementTree over http.client) and compare them with the staging database,
item by item.  Used by tests/cli/dav.sh.

  dav_check.py vcf DB DIR [--v3] [--directory]
  dav_check.py server DB URL USER PWFILE carddav|caldav [--directory]
  dav_check.py status URL USER PWFILE METHOD PATH [BODYFILE]  -> prints the HTTP status
  dav_check.py put URL USER PWFILE PATH FILE                  -> PUT without conditions
  dav_check.py count URL USER PWFILE PATH                     -> resources in a collection
  dav_check.py hostile DB ALIAS                               -> stage a hostile address book
  dav_check.py gen-pab SETDIR N                               -> add PABs to a gen-ccmail set

Prints one line per mismatch and "ok: ..." at the end; exits 1 on any.
"""
import base64
import http.client
import os
import sqlite3
import sys
import urllib.parse
import xml.etree.ElementTree as ET

import vobject

DAV = "{DAV:}"
bad = []


def fail(msg):
    bad.append(msg)
    print("MISMATCH: " + msg)


# ---- staging ----

def internet(t, a):
    if not a:
        return False
    if t:
        return t.upper() in ("SMTP", "INTERNET")
    return "@" in a and " at " not in a and " " not in a


def staged_books(db):
    c = sqlite3.connect(db)
    books = {}
    for mid, alias in c.execute("SELECT id, alias FROM mailboxes ORDER BY alias"):
        rows = c.execute(
            "SELECT id, kind, display_name, address_type, address, note FROM pab_entries "
            "WHERE mailbox_id = ? ORDER BY position", (mid,)).fetchall()
        book = []
        names = {r[0]: r[2] for r in rows}
        for eid, kind, dn, at, addr, note in rows:
            members = []
            for maddr, mpab, ment in c.execute(
                    "SELECT address, member_pab_id, entry_id FROM pab_members WHERE pab_id = ? "
                    "ORDER BY position", (eid,)):
                if mpab:
                    members.append(("card", names[mpab]))
                    continue
                et = ea = None
                if ment:
                    et, ea = c.execute("SELECT address_type, address FROM dir_entries WHERE id = ?",
                                       (ment,)).fetchone()
                if internet(et, ea):
                    members.append(("mailto", ea))
                elif et is None and internet(None, maddr):
                    members.append(("mailto", maddr))
                else:
                    members.append(("legacy", maddr))
            book.append(dict(kind=kind, fn=dn, type=at, addr=addr, note=note, members=members))
        books[alias] = book
    return books


def staged_directory(db):
    c = sqlite3.connect(db)
    rows = c.execute("SELECT id, kind, coalesce(nullif(display_name, ''), name), address_type, "
                     "address, comments FROM dir_entries WHERE kind = 'custom' OR kind = 'list' "
                     "ORDER BY id").fetchall()
    names = {r[0]: r[2] for r in rows}
    out = []
    for eid, kind, dn, at, addr, note in rows:
        members = []
        if kind == "list":
            for maddr, ment in c.execute("SELECT address, entry_id FROM list_members WHERE list_id = ? "
                                         "ORDER BY position", (eid,)):
                if ment in names:
                    members.append(("card", names[ment]))
                    continue
                et = ea = None
                if ment:
                    et, ea = c.execute("SELECT address_type, address FROM dir_entries WHERE id = ?",
                                       (ment,)).fetchone()
                if internet(et, ea):
                    members.append(("mailto", ea))
                elif et is None and internet(None, maddr):
                    members.append(("mailto", maddr))
                else:
                    members.append(("legacy", maddr))
        out.append(dict(kind="dl" if kind == "list" else "entry", fn=dn, type=at, addr=addr,
                        note=note, members=members))
    return out


# ---- vCards ----

def legacy_prop(t):
    t = (t or "").upper()
    return {"CCMAIL": "x-ccmail-address", "MS": "x-msmail-address"}.get(t, "x-mailferry-address")


def vals(card, name):
    return [x.value for x in card.contents.get(name, [])]


def card_summary(card, by_uid, v3):
    """What a card says, in the shape of staged_books' entries."""
    group = (vals(card, "kind") == ["group"]) or (vals(card, "x-addressbookserver-kind") == ["group"])
    fn = vals(card, "fn")[0]
    members = []
    for m in vals(card, "x-addressbookserver-member" if v3 else "member"):
        if m.startswith("urn:uuid:"):
            members.append(("card", by_uid.get(m, "?" + m)))
        elif m.startswith("mailto:"):
            members.append(("mailto", urllib.parse.unquote(m[7:])))
        else:
            members.append(("other", m))
    for m in vals(card, "x-mailferry-member"):
        members.append(("legacy", m))
    emails = vals(card, "email")
    legacy = {}
    for p in ("x-ccmail-address", "x-msmail-address", "x-mailferry-address"):
        if vals(card, p):
            legacy[p] = vals(card, p)[0]
    notes = vals(card, "note")
    return dict(group=group, fn=fn, emails=emails, legacy=legacy,
                note=notes[0] if notes else None, members=members, uid=vals(card, "uid"))


def norm(s):
    # vCard cannot carry a bare CR: line breaks read back as LF
    return None if s is None or s == "" else s.replace("\r\n", "\n").replace("\r", "\n")


def compare_card(where, want, got):
    if got["fn"] != norm(want["fn"]):
        fail("%s: FN %r, staged %r" % (where, got["fn"][:80], want["fn"][:80]))
    if got["group"] != (want["kind"] == "dl"):
        fail("%s: KIND group is %s" % (where, got["group"]))
    if norm(got["note"]) != norm(want["note"]):
        fail("%s: NOTE %r, staged %r" % (where, (got["note"] or "")[:80], (want["note"] or "")[:80]))
    if len(got["uid"]) != 1 or not got["uid"][0].startswith("urn:uuid:"):
        fail("%s: UID %r" % (where, got["uid"]))
    if want["kind"] != "dl" and want["addr"]:
        if internet(want["type"], want["addr"]):
            if got["emails"] != [want["addr"]]:
                fail("%s: EMAIL %r, staged %r" % (where, got["emails"], want["addr"]))
        else:
            p = legacy_prop(want["type"])
            exp = want["addr"] if p != "x-mailferry-address" or not want["type"] else \
                "%s:%s" % (want["type"], want["addr"])
            if got["legacy"].get(p) != norm(exp) or got["emails"]:
                fail("%s: %s %r (EMAIL %r), staged %r" % (where, p, got["legacy"].get(p),
                                                          got["emails"], exp))
    # member order carries no meaning in a vCard (and vobject keeps it only per property name)
    wm = sorted((k, norm(v)) for k, v in want["members"])
    if sorted(got["members"]) != wm:
        fail("%s: members %r, staged %r" % (where, sorted(got["members"])[:8], wm[:8]))


def parse_cards(text):
    return list(vobject.readComponents(text))


def check_book(where, cards, want, v3, ordered):
    if len(cards) != len(want):
        fail("%s: %d cards, %d staged" % (where, len(cards), len(want)))
        return
    by_uid = {}
    for c in cards:
        by_uid[vals(c, "uid")[0]] = vals(c, "fn")[0]
    got = [card_summary(c, by_uid, v3) for c in cards]
    if len(set(g["uid"][0] for g in got)) != len(got):
        fail("%s: two cards share a UID" % where)
    if not ordered:
        got.sort(key=lambda d: (d["fn"], d["note"] or ""))
        want = sorted(want, key=lambda d: (norm(d["fn"]), norm(d["note"]) or ""))
    for i, (w, g) in enumerate(zip(want, got)):
        compare_card("%s card %d (%s)" % (where, i, w["fn"][:40]), w, g)


def check_lines(path, data):
    """CR LF everywhere, no line over 75 octets, no UTF-8 sequence cut."""
    lines = data.split(b"\r\n")
    if lines[-1] != b"":
        fail("%s: does not end with CR LF" % path)
    for n, l in enumerate(lines[:-1]):
        if b"\n" in l or b"\r" in l:
            fail("%s line %d: a bare CR or LF" % (path, n + 1))
            return
        if len(l) > 75:
            fail("%s line %d: %d octets" % (path, n + 1, len(l)))
            return
        try:
            l.decode("utf-8")
        except UnicodeDecodeError:
            fail("%s line %d: a UTF-8 sequence cut by folding" % (path, n + 1))
            return


def cmd_vcf(db, d, v3, directory):
    books = staged_books(db)
    n_files = n_cards = 0
    for alias, want in books.items():
        path = os.path.join(d, alias + ".vcf")
        if not want:
            if os.path.exists(path):
                fail("%s: written for a mailbox without an address book" % path)
            continue
        if not os.path.exists(path):
            fail("%s: missing" % path)
            continue
        data = open(path, "rb").read()
        check_lines(path, data)
        cards = parse_cards(data.decode("utf-8"))
        for c in cards:
            if vals(c, "version") != (["3.0"] if v3 else ["4.0"]):
                fail("%s: VERSION %r" % (path, vals(c, "version")))
            if not vals(c, "rev") or not vals(c, "prodid"):
                fail("%s: no REV or PRODID" % path)
        check_book(alias, cards, want, v3, True)
        n_files += 1
        n_cards += len(cards)
    if directory:
        path = os.path.join(d, "directory.vcf")
        data = open(path, "rb").read()
        check_lines(path, data)
        cards = parse_cards(data.decode("utf-8"))
        check_book("directory", cards, staged_directory(db), v3, True)
        n_cards += len(cards)
    print("ok: %d files, %d cards compared" % (n_files, n_cards))


# ---- HTTP ----

class Dav:
    def __init__(self, url, user, pwfile):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 80
        self.base = u.path if u.path.endswith("/") else u.path + "/"
        pw = open(pwfile).read().splitlines()[0] if pwfile != "-" else ""
        self.auth = "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def req(self, method, path, body=None, headers=None):
        h = {"Authorization": self.auth}
        h.update(headers or {})
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        return r.status, r.read()

    def listing(self, path):
        st, body = self.req("PROPFIND", path, b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop>'
                            b'<resourcetype/><getetag/></prop></propfind>', {"Depth": "1"})
        if st != 207:
            return st, None
        out = []
        for r in ET.fromstring(body).findall(DAV + "response"):
            href = urllib.parse.unquote(urllib.parse.urlsplit(r.find(DAV + "href").text).path)
            rt = r.find(".//" + DAV + "resourcetype")
            if rt is not None and rt.find(DAV + "collection") is not None:
                continue
            out.append(href)
        return st, out


def cmd_server(db, url, user, pwfile, kind, directory):
    dav = Dav(url, user, pwfile)
    c = sqlite3.connect(db)
    aliases = [r[0] for r in c.execute("SELECT alias FROM mailboxes ORDER BY alias")]
    items = empty = 0
    if kind == "carddav":
        books = staged_books(db)
        todo = [(a, dav.base + a + "/contacts/", books[a]) for a in aliases]
        if directory:
            todo.append(("directory", dav.base + "directory/contacts/", staged_directory(db)))
        for alias, coll, want in todo:
            st, hrefs = dav.listing(coll)
            if st != 207:
                fail("%s: PROPFIND %s -> %d" % (alias, coll, st))
                continue
            if not want:
                empty += 1
            cards = []
            for h in hrefs:
                st, body = dav.req("GET", urllib.parse.quote(h))
                if st != 200:
                    fail("%s: GET %s -> %d" % (alias, h, st))
                    continue
                cards += parse_cards(body.decode("utf-8"))
            check_book(alias, cards, want, False, False)
            items += len(cards)
    else:
        import icalendar
        for mid, alias in c.execute("SELECT id, alias FROM mailboxes ORDER BY alias").fetchall():
            coll = dav.base + alias + "/calendar/"
            st, hrefs = dav.listing(coll)
            if st != 207:
                fail("%s: PROPFIND %s -> %d" % (alias, coll, st))
                continue
            want = {}
            for uid, ical in c.execute("SELECT uid, ical FROM calendar_items WHERE mailbox_id = ?",
                                       (mid,)):
                cal = icalendar.Calendar.from_ical("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" +
                                                   ical + "END:VCALENDAR\r\n")
                want[uid] = shape(cal)
            if not want:
                empty += 1
            got = {}
            for h in hrefs:
                st, body = dav.req("GET", urllib.parse.quote(h))
                if st != 200:
                    fail("%s: GET %s -> %d" % (alias, h, st))
                    continue
                cal = icalendar.Calendar.from_ical(body)
                s = shape(cal)
                uids = set(u for (_, u, _, _, _, _) in s)
                if len(uids) != 1:
                    fail("%s: %s holds UIDs %r" % (alias, h, uids))
                    continue
                uid = uids.pop()
                if uid in got:
                    fail("%s: UID %s twice" % (alias, uid))
                got[uid] = s
                tz = set(str(x["TZID"]) for x in cal.walk("VTIMEZONE"))
                for comp in cal.walk():
                    for p in ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID"):
                        if p in comp and hasattr(comp[p], "params") and "TZID" in comp[p].params:
                            if comp[p].params["TZID"] not in tz:
                                fail("%s: %s uses TZID %s without its VTIMEZONE" %
                                     (alias, uid, comp[p].params["TZID"]))
            for uid in sorted(set(want) | set(got)):
                if uid not in got:
                    fail("%s: calendar item %s not on the server" % (alias, uid))
                elif uid not in want:
                    fail("%s: %s on the server, not staged" % (alias, uid))
                elif sorted(want[uid]) != sorted(got[uid]):
                    fail("%s: %s differs: %r vs staged %r" % (alias, uid, got[uid], want[uid]))
            items += len(got)
    print("ok: %d items compared, %d empty collections" % (items, empty))


def shape(cal):
    """(kind, UID, RECURRENCE-ID, SUMMARY, #RRULE, #EXDATE values) per component."""
    out = []
    for comp in cal.walk():
        if comp.name not in ("VEVENT", "VTODO", "VJOURNAL"):
            continue
        rid = comp.get("RECURRENCE-ID")
        ex = comp.get("EXDATE")
        nex = 0
        if ex is not None:
            for e in (ex if isinstance(ex, list) else [ex]):
                nex += len(e.dts)
        rr = comp.get("RRULE")
        out.append((comp.name, str(comp.get("UID")), rid.to_ical().decode() if rid else "",
                    str(comp.get("SUMMARY", "")), rr.to_ical().decode() if rr else "", nex))
    return out


# ---- staging data for the tests ----

HOSTILE = [
    "Comma, Semicolon; Backslash\\ end",
    "Line one\nline two\r\nline three\rfour",
    "Åsa Öberg – 日本語 😀 ¿qué?",
    "x" * (1 << 20),
    "mixed ,;\\\n" + "é" * 40000,
]


def cmd_hostile(db, alias):
    c = sqlite3.connect(db)
    mid = c.execute("SELECT id FROM mailboxes WHERE alias = ?", (alias,)).fetchone()[0]
    pos = (c.execute("SELECT max(position) FROM pab_entries WHERE mailbox_id = ?", (mid,)).fetchone()[0]
           or 0) + 1
    ids = []
    for i, v in enumerate(HOSTILE):
        cur = c.execute("INSERT INTO pab_entries(mailbox_id, position, kind, display_name, "
                        "address_type, address, note) VALUES (?, ?, 'entry', ?, ?, ?, ?)",
                        (mid, pos + i, v, "CCMAIL" if i % 2 else "SMTP",
                         v[:200] if i % 2 else "h%d@example.org" % i, v))
        ids.append(cur.lastrowid)
    cur = c.execute("INSERT INTO pab_entries(mailbox_id, position, kind, display_name, note) "
                    "VALUES (?, ?, 'dl', ?, ?)", (mid, pos + len(HOSTILE), HOSTILE[0] + " list",
                                                  HOSTILE[1]))
    for k, e in enumerate(ids):
        c.execute("INSERT INTO pab_members(pab_id, position, address, member_pab_id) VALUES (?, ?, ?, ?)",
                  (cur.lastrowid, k, "m%d" % k, e))
    c.execute("INSERT INTO pab_members(pab_id, position, address) VALUES (?, ?, ?)",
              (cur.lastrowid, len(ids), "Weird, Name; with \\ at PO"))
    c.commit()
    print("ok: %d hostile entries" % (len(HOSTILE) + 1))


def cmd_gen_pab(setdir, n):
    """Give every second user of a gen-ccmail set an address book of n entries
    and a list (USERS.CSV's pab column), in the set's code page (850)."""
    path = os.path.join(setdir, "USERS.CSV")
    lines = open(path, "rb").read().decode("cp850").split("\r\n")
    out = [lines[0]]
    os.makedirs(os.path.join(setdir, "PAB"), exist_ok=True)
    k = 0
    for l in lines[1:]:
        if not l:
            continue
        f = l.rstrip(",").split(",")
        if l.startswith("mailbox,") and k % 2 == 0:
            rel = "PAB/P%05d.PAB" % k
            t = []
            for i in range(n):
                t.append("Name: Contact %d-%d, Person\r\n" % (k, i))
                if i % 3 == 0:
                    t.append("Addr: SMTPLINK c%d.%d@example.com\r\n" % (k, i))
                elif i % 3 == 1:
                    t.append("Addr: GENPO User %d\r\n" % i)
                t.append("Comments: note %d; with, punctuation\r\n\r\n" % i)
            t.append("List: Team %d\r\nComments: the team\r\n" % k)
            for i in range(0, n, 7):
                t.append("Member: Contact %d-%d, Person\r\n" % (k, i))
            t.append("Member: someone@example.net\r\nMember: Unknown, Person\r\n")
            open(os.path.join(setdir, rel), "wb").write("".join(t).encode("cp850"))
            l = l[:l.rfind(",") + 1] + rel
        if l.startswith("mailbox,"):
            k += 1
        out.append(l)
    open(path, "wb").write(("\r\n".join(out) + "\r\n").encode("cp850"))
    print("ok")


def main(a):
    cmd = a[0]
    if cmd == "vcf":
        cmd_vcf(a[1], a[2], "--v3" in a, "--directory" in a)
    elif cmd == "server":
        cmd_server(a[1], a[2], a[3], a[4], a[5], "--directory" in a)
    elif cmd == "status":
        dav = Dav(a[1], a[2], a[3])
        body = open(a[6], "rb").read() if len(a) > 6 else None
        print(dav.req(a[4], a[5], body, {"Depth": "1"})[0])
        return 0
    elif cmd == "put":
        dav = Dav(a[1], a[2], a[3])
        st, _ = dav.req("PUT", a[4], open(a[5], "rb").read(),
                        {"Content-Type": "text/vcard" if a[4].endswith(".vcf") else "text/calendar"})
        print(st)
        return 0 if st in (200, 201, 204) else 1
    elif cmd == "count":
        dav = Dav(a[1], a[2], a[3])
        st, hrefs = dav.listing(a[4])
        print(len(hrefs) if hrefs is not None else -1)
        return 0
    elif cmd == "hostile":
        cmd_hostile(a[1], a[2])
    elif cmd == "gen-pab":
        cmd_gen_pab(a[1], int(a[2]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
