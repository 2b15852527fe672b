#!/usr/bin/python3
"""pst_pab_check.py: the address books, lists and to-dos of mailferry's PST
files read back with readers mailferry did not write, compared with the
staging database item by item.

usage: pst_pab_check.py DB OUTDIR READER [NODE_DIR]

READER is one of
  pypff      libpff's Python bindings: every mailbox's file has a Contacts
             (IPF.Contact) and a Tasks (IPF.Task) folder, the root folder
             and the Inbox name them (PidTagIpmContactEntryId,
             PidTagIpmTaskEntryId); every staged entry is one IPM.Contact
             with its names, company, phones, note, e-mail 1 (SMTP, with a
             one-off entry ID that says the same) and the legacy address as
             e-mail 2; every list one IPM.DistList with its members in
             order (one-off entries, or wrapped entry IDs naming the
             contact's node), its checksum; every to-do one IPM.Task with
             dates, completion, priority, privacy and its recurrence
             pattern.  Named properties are found through the file's own
             name-to-ID map, decoded here.
  readpst    libpst's vCard output (readpst -cv): one card per staged entry
             with its names and addresses
  extractor  the npm package pst-extractor (tests/node/pst-pim.js): the
             same counts, contact names and e-mail 1, task states, dates
             and its own decoding of the recurrence pattern
  directory  DIR/directory.pst (pypff): every custom recipient a contact,
             every public list a distribution list with its members
Prints one line per problem and exits 1 on any.
"""
import datetime
import json
import os
import re
import sqlite3
import struct
import subprocess
import sys
import tempfile
import zlib

PSETID_ADDRESS = bytes.fromhex("0420060000000000C000000000000046")
PSETID_TASK = bytes.fromhex("0320060000000000C000000000000046")
PSETID_COMMON = bytes.fromhex("0820060000000000C000000000000046")
ONE_OFF_UID = bytes.fromhex("812B1FA4BEA310199D6E00DD010F5402")
WRAPPED_UID = bytes.fromhex("C091ADD3519DCF11A4A900AA0047FAA4")

from pstcheck_common import bad, finish, problems  # noqa: E402


def is_smtp(t, a):
    if not a:
        return False
    if t:
        return t.upper() in ("SMTP", "INTERNET")
    return "@" in a and " at " not in a and " " not in a


# ---- staging ----

def ical_props(text):
    """The VTODO's properties: NAME -> (params, value), unfolded."""
    text = re.sub(r"\r?\n[ \t]", "", text or "")
    out, depth = {}, 0
    for line in re.split(r"\r?\n", text):
        if line.startswith("BEGIN:"):
            depth += 1
            if line[6:] == "VALARM":
                out["_alarm"] = True
            continue
        if line.startswith("END:"):
            depth -= 1
            continue
        if ":" not in line:
            continue
        head, value = line.split(":", 1)
        name = head.split(";")[0].upper()
        out.setdefault(name, (head, value))
    return out


def staged(db):
    con = sqlite3.connect(db)
    out = {}
    for mbid, alias in con.execute("select id, alias from mailboxes where alias is not null order by alias").fetchall():
        ents = []
        for r in con.execute("select id, position, kind, display_name, address_type, address, first_name, "
                             "last_name, company, bus_num, mobile_num, home_num, note from pab_entries "
                             "where mailbox_id = ? order by position", (mbid,)).fetchall():
            e = dict(zip(("id", "position", "kind", "display", "type", "address", "given", "surname",
                          "company", "bus", "mobile", "home", "note"), r))
            e["members"] = [dict(zip(("address", "member", "entry"), m)) for m in con.execute(
                "select address, member_pab_id, entry_id from pab_members where pab_id = ? order by position",
                (e["id"],))]
            ents.append(e)
        todos = [dict(zip(("uid", "summary", "ical"), r)) for r in con.execute(
            "select uid, summary, ical from calendar_items where mailbox_id = ? and kind = 'todo' order by id",
            (mbid,))]
        out[alias] = {"entries": ents, "todos": todos}
    ids = {e["id"]: e for mb in out.values() for e in mb["entries"]}
    directory = []
    for r in con.execute("select id, kind, name, display_name, given_name, surname, address_type, address "
                         "from dir_entries where kind in ('custom', 'list') order by id"):
        d = dict(zip(("id", "kind", "name", "display", "given", "surname", "type", "address"), r))
        d["members"] = [a for (a,) in con.execute(
            "select address from list_members where list_id = ? order by position", (d["id"],))]
        directory.append(d)
    return out, ids, directory


# ---- decoding (independent of the writer) ----

def utf16z(b, at):
    end = at
    while end + 1 < len(b) and b[end:end + 2] != b"\0\0":
        end += 2
    return b[at:end].decode("utf-16-le", "replace"), end + 2


def one_off(b):
    """(name, type, address) of a Unicode one-off entry ID, or None."""
    if not b or len(b) < 24 or b[:4] != b"\0\0\0\0" or b[4:20] != ONE_OFF_UID:
        return None
    flags = struct.unpack_from("<H", b, 22)[0]
    if not flags & 0x8000:
        return None
    n, at = utf16z(b, 24)
    t, at = utf16z(b, at)
    a, at = utf16z(b, at)
    return n, t, a


def mv_binary(b):
    n = struct.unpack_from("<I", b, 0)[0]
    offs = [struct.unpack_from("<I", b, 4 + 4 * i)[0] for i in range(n)] + [len(b)]
    return [b[offs[i]:offs[i + 1]] for i in range(n)]


def name_map(f):
    """Property ID -> (guid, lid) from the file's name-to-ID map."""
    nm = f.get_name_to_id_map()
    rs = nm.get_record_set(0)
    props = {e.entry_type: e.data for e in rs.entries}
    guids = props.get(0x0002) or b""
    entries = props.get(0x0003) or b""
    out = {}
    for i in range(len(entries) // 8):
        lid, w, idx = struct.unpack_from("<IHH", entries, 8 * i)
        g = w >> 1
        if w & 1:
            continue
        guid = {1: b"PS_MAPI", 2: b"PS_PUBLIC"}.get(g) or guids[16 * (g - 3):16 * (g - 2)]
        out[0x8000 + idx] = (guid, lid)
    return out


def props_of(item, nmap):
    out = {}
    for e in item.get_record_set(0).entries:
        k = nmap.get(e.entry_type, e.entry_type) if e.entry_type >= 0x8000 else e.entry_type
        out[k] = e
    return out


def s(p, k):
    e = p.get(k)
    if e is None or e.data is None:
        return None
    return e.data.decode("utf-16-le", "replace").rstrip("\0")


def i(p, k):
    e = p.get(k)
    return None if e is None or e.data is None else int.from_bytes(e.data[:4], "little")


def b(p, k):
    e = p.get(k)
    return None if e is None else e.data


def t(p, k):
    e = p.get(k)
    if e is None or not e.data:
        return None
    ft = int.from_bytes(e.data[:8], "little")
    return ft // 10000000 - 11644473600


def ical_date(head_value):
    """Unix seconds of the day of a DTSTART/DUE value (midnight UTC)."""
    if not head_value:
        return None
    v = head_value[1]
    d = datetime.datetime.strptime(v[:8], "%Y%m%d").replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp())


def pst_folders(f):
    """name -> folder below the top of the file, and the top."""
    root = f.get_root_folder()
    top = None
    for k in range(root.get_number_of_sub_folders()):
        x = root.get_sub_folder(k)
        if x.get_name().startswith("Top of"):
            top = x
    out = {}
    if top:
        for k in range(top.get_number_of_sub_folders()):
            x = top.get_sub_folder(k)
            out[x.get_name()] = x
    return root, top, out


def folder_items(folder, nmap):
    items = []
    for k in range(folder.get_number_of_sub_messages()):
        m = folder.get_sub_message(k)
        p = props_of(m, nmap)
        items.append((m, p))
    return items


# ---- pypff ----

def check_contact(tag, e, p, ids_by_nid):
    A = PSETID_ADDRESS
    if s(p, 0x001A) != "IPM.Contact":
        bad("%s: class %r", tag, s(p, 0x001A))
    for key, prop in (("given", 0x3A06), ("surname", 0x3A11), ("company", 0x3A16), ("bus", 0x3A08),
                      ("mobile", 0x3A1C), ("home", 0x3A09)):
        if e[key] and s(p, prop) != e[key]:
            bad("%s: %s %r, staged %r", tag, key, s(p, prop), e[key])
    if e["note"] and (s(p, 0x1000) or "").replace("\r\n", "\n") != e["note"].replace("\r\n", "\n"):
        bad("%s: note %r, staged %r", tag, s(p, 0x1000), e["note"])
    fu = s(p, (A, 0x8005))
    if not fu:
        bad("%s: no file-as", tag)
    if not e["address"]:
        return
    typ, addr = s(p, (A, 0x8082)), s(p, (A, 0x8083))
    if typ != "SMTP" or not addr or "@" not in addr or " " in addr:
        bad("%s: e-mail 1 %r %r", tag, typ, addr)
    if is_smtp(e["type"], e["address"]):
        if addr != e["address"]:
            bad("%s: e-mail 1 %r, staged %r", tag, addr, e["address"])
    else:
        if s(p, (A, 0x8093)) != e["address"] or s(p, (A, 0x8092)) != (e["type"] or "X-UNKNOWN"):
            bad("%s: e-mail 2 %r %r, staged %r %r", tag, s(p, (A, 0x8092)), s(p, (A, 0x8093)),
                e["type"], e["address"])
    oo = one_off(b(p, (A, 0x8085)))
    if not oo or oo[1] != "SMTP" or oo[2] != addr or oo[0] != e["display"]:
        bad("%s: e-mail 1 one-off entry ID %r", tag, oo)


def check_list(tag, e, p, contact_nids, members_expected):
    """members_expected: [(display name of the one-off, linked display or None)]"""
    A = PSETID_ADDRESS
    if s(p, 0x001A) != "IPM.DistList":
        bad("%s: class %r", tag, s(p, 0x001A))
    if s(p, (A, 0x8053)) != e:
        bad("%s: list name %r", tag, s(p, (A, 0x8053)))
    mem = b(p, (A, 0x8055))
    oos = b(p, (A, 0x8054))
    if mem is None or oos is None:
        bad("%s: no members properties", tag)
        return
    mem, oos = mv_binary(mem), mv_binary(oos)
    if len(mem) != len(members_expected) or len(oos) != len(members_expected):
        bad("%s: %d/%d members, staged %d", tag, len(mem), len(oos), len(members_expected))
        return
    crc = 0
    for k, (name, link) in enumerate(members_expected):
        crc = zlib.crc32(mem[k], crc)
        oo = one_off(oos[k])
        if not oo or oo[0] != name:
            bad("%s: member %d one-off %r, expected name %r", tag, k, oo, name)
        m = mem[k]
        if link is None:
            if one_off(m) != oo:
                bad("%s: member %d is not its one-off entry ID", tag, k)
        else:
            if len(m) < 45 or m[4:20] != WRAPPED_UID or m[20] & 0x0F not in (3, 4):
                bad("%s: member %d not a wrapped entry ID", tag, k)
                continue
            nid = int.from_bytes(m[-4:], "little")
            if contact_nids.get(nid) != link:
                bad("%s: member %d links node 0x%X (%r), expected %r", tag, k, nid,
                    contact_nids.get(nid), link)
    if i(p, (A, 0x804C)) != crc:
        bad("%s: checksum 0x%X, members give 0x%X", tag, i(p, (A, 0x804C)) or 0, crc)


FREQ = {"DAILY": 0x200A, "WEEKLY": 0x200B, "MONTHLY": 0x200C, "YEARLY": 0x200D}
DAYS = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]


def check_pattern(tag, rrule, blob):
    """The RecurrencePattern against the RRULE (frequency, period, days)."""
    r = dict(x.split("=", 1) for x in rrule.split(";"))
    if len(blob) < 22:
        bad("%s: recurrence blob of %d bytes", tag, len(blob))
        return
    rv, wv, freq, ptype, cal, first, period, sliding = struct.unpack_from("<HHHHHIII", blob, 0)
    if (rv, wv) != (0x3004, 0x3004) or freq != FREQ.get(r.get("FREQ")):
        bad("%s: recurrence versions/frequency 0x%X 0x%X 0x%X for %s", tag, rv, wv, freq, rrule)
        return
    interval = int(r.get("INTERVAL", "1"))
    want = {0x200A: interval * 1440, 0x200B: interval, 0x200C: interval, 0x200D: 12 * interval}[freq]
    if period != want:
        bad("%s: period %d, RRULE says %d", tag, period, want)
    at = 22
    if ptype == 1:
        mask = struct.unpack_from("<I", blob, at)[0]
        at += 4
        if "BYDAY" in r:
            want = sum(1 << DAYS.index(d[-2:]) for d in r["BYDAY"].split(","))
            if mask != want:
                bad("%s: day mask 0x%X, RRULE 0x%X", tag, mask, want)
    elif ptype in (2, 4):
        day = struct.unpack_from("<I", blob, at)[0]
        at += 4
        want = 31 if r.get("BYMONTHDAY") == "-1" else int(r["BYMONTHDAY"]) if "BYMONTHDAY" in r else None
        if want is not None and (day != want or (ptype == 4) != (r.get("BYMONTHDAY") == "-1")):
            bad("%s: month day %d (type %d), RRULE %s", tag, day, ptype, rrule)
    elif ptype == 3:
        mask, nth = struct.unpack_from("<II", blob, at)
        at += 8
        days = r.get("BYDAY", "").split(",")
        pos = int(r["BYSETPOS"]) if "BYSETPOS" in r else int(days[0][:-2] or "0")
        want_mask = sum(1 << DAYS.index(d[-2:]) for d in days if d)
        if mask != want_mask or nth != (5 if pos == -1 else pos):
            bad("%s: by position 0x%X %d, RRULE %s", tag, mask, nth, rrule)
    if freq in (0x200C, 0x200D) and ptype not in (2, 3, 4):
        bad("%s: monthly/yearly pattern type %d", tag, ptype)
    end_type = struct.unpack_from("<I", blob, at)[0]
    want = 0x2021 if "UNTIL" in r else 0x2022 if "COUNT" in r else 0x2023
    if end_type != want:
        bad("%s: end type 0x%X, RRULE 0x%X", tag, end_type, want)
    if "COUNT" in r and struct.unpack_from("<I", blob, at + 4)[0] != int(r["COUNT"]):
        bad("%s: occurrence count differs from COUNT", tag)


def check_task(tag, todo, p):
    T, C = PSETID_TASK, PSETID_COMMON
    x = ical_props(todo["ical"])
    if s(p, 0x001A) != "IPM.Task":
        bad("%s: class %r", tag, s(p, 0x001A))
    summ = x.get("SUMMARY", (None, todo["summary"] or ""))[1]
    if s(p, 0x0037) is None or s(p, 0x0037)[2:] != summ.replace("\\,", ",").replace("\\;", ";"):
        bad("%s: subject %r, staged %r", tag, s(p, 0x0037), summ)
    for name, lid in (("DTSTART", 0x8104), ("DUE", 0x8105)):
        want = ical_date(x.get(name))
        if t(p, (T, lid)) != want:
            bad("%s: %s %r, staged %r", tag, name, t(p, (T, lid)), want)
    done = x.get("STATUS", (None, ""))[1] == "COMPLETED"
    e = p.get((T, 0x811C))
    if e is None or bool(e.data[0]) != done:
        bad("%s: complete %r, staged %r", tag, e and e.data, done)
    if (i(p, (T, 0x8101)) == 2) != done:
        bad("%s: status %r", tag, i(p, (T, 0x8101)))
    pr = int(x.get("PRIORITY", (None, "0"))[1])
    want = 2 if 1 <= pr <= 4 else 0 if 6 <= pr <= 9 else 1
    if i(p, 0x0017) != want:
        bad("%s: importance %r, PRIORITY %d", tag, i(p, 0x0017), pr)
    priv = x.get("CLASS", (None, ""))[1] in ("PRIVATE", "CONFIDENTIAL")
    if (i(p, 0x0036) == 2) != priv or (p.get((C, 0x8506)) is None or bool(p[(C, 0x8506)].data[0]) != priv):
        bad("%s: private %r/%r, staged %r", tag, i(p, 0x0036), p.get((C, 0x8506)), priv)
    rec = p.get((T, 0x8126))
    if "RRULE" in x:
        if rec is None or not rec.data[0] or b(p, (T, 0x8116)) is None:
            bad("%s: RRULE but no recurrence", tag)
        else:
            check_pattern(tag, x["RRULE"][1], b(p, (T, 0x8116)))
    elif rec is not None and rec.data[0]:
        bad("%s: recurring without RRULE", tag)
    if x.get("_alarm") and not (p.get((C, 0x8503)) and p[(C, 0x8503)].data[0]):
        bad("%s: VALARM but no reminder", tag)


def member_names(e, entries):
    out = []
    by_id = {x["id"]: x for x in entries}
    for m in e["members"]:
        if m["member"] and m["member"] in by_id:
            out.append((by_id[m["member"]]["display"], by_id[m["member"]]["display"]))
        else:
            out.append((m["address"], None))
    return out


def pypff_mailbox(alias, path, mb):
    import pypff
    f = pypff.file()
    f.open(path)
    nmap = name_map(f)
    root, top, folders = pst_folders(f)
    for name, klass in (("Contacts", "IPF.Contact"), ("Tasks", "IPF.Task")):
        fo = folders.get(name)
        if fo is None:
            bad("pypff: %s: no %s folder", alias, name)
            return
        fp = {e.entry_type: e for e in fo.get_record_set(0).entries}
        if s(fp, 0x3613) != klass:
            bad("pypff: %s: %s folder class %r", alias, name, s(fp, 0x3613))
    # the default folders, where Outlook looks for them
    inbox = folders.get("Inbox")
    for holder, hname in ((root, "root"), (inbox, "Inbox")):
        hp = {e.entry_type: e for e in holder.get_record_set(0).entries}
        for tag, fname in ((0x36D1, "Contacts"), (0x36D4, "Tasks")):
            eid = hp.get(tag)
            if eid is None or len(eid.data) != 24 or \
                    int.from_bytes(eid.data[20:24], "little") != folders[fname].get_identifier():
                bad("pypff: %s: %s's 0x%04X does not name the %s folder", alias, hname, tag, fname)
    contacts = folder_items(folders["Contacts"], nmap)
    tasks = folder_items(folders["Tasks"], nmap)
    ents, todos = mb["entries"], mb["todos"]
    if len(contacts) != len(ents):
        bad("pypff: %s: %d items in Contacts, %d staged entries", alias, len(contacts), len(ents))
    if len(tasks) != len(todos):
        bad("pypff: %s: %d items in Tasks, %d staged to-dos", alias, len(tasks), len(todos))
    contact_nids = {m.get_identifier(): s(p, 0x3001) for m, p in contacts}
    pool = list(contacts)
    for e in ents:
        klass = "IPM.DistList" if e["kind"] == "dl" else "IPM.Contact"
        hit = [x for x in pool if s(x[1], 0x3001) == e["display"] and s(x[1], 0x001A) == klass]
        tag = "pypff: %s: %s %r" % (alias, e["kind"], e["display"])
        if not hit:
            bad("%s: not in Contacts", tag)
            continue
        pool.remove(hit[0])
        if e["kind"] == "dl":
            check_list(tag, e["display"], hit[0][1], contact_nids, member_names(e, ents))
        else:
            check_contact(tag, e, hit[0][1], contact_nids)
    tpool = list(tasks)
    for todo in todos:
        x = ical_props(todo["ical"])
        summ = x.get("SUMMARY", (None, todo["summary"] or ""))[1]
        hit = [y for y in tpool if s(y[1], 0x0070) == summ]
        tag = "pypff: %s: task %r" % (alias, summ)
        if not hit:
            bad("%s: not in Tasks", tag)
            continue
        # same summary twice: the one whose start matches
        best = [y for y in hit if t(y[1], (PSETID_TASK, 0x8104)) == ical_date(x.get("DTSTART"))] or hit
        tpool.remove(best[0])
        check_task(tag, todo, best[0][1])


def directory_check(outdir, directory):
    import pypff
    path = os.path.join(outdir, "directory.pst")
    if not os.path.exists(path):
        bad("directory: no %s", path)
        return
    f = pypff.file()
    f.open(path)
    nmap = name_map(f)
    _, _, folders = pst_folders(f)
    items = folder_items(folders["Contacts"], nmap) if "Contacts" in folders else []
    if len(items) != len(directory):
        bad("directory: %d items in Contacts, %d custom recipients and lists staged", len(items), len(directory))
    nids = {m.get_identifier(): s(p, 0x3001) for m, p in items}
    names = {d["id"]: d["display"] or d["name"] for d in directory}
    pool = list(items)
    for d in directory:
        name = d["display"] or d["name"]
        klass = "IPM.DistList" if d["kind"] == "list" else "IPM.Contact"
        hit = [x for x in pool if s(x[1], 0x3001) == name and s(x[1], 0x001A) == klass]
        tag = "directory: %s %r" % (d["kind"], name)
        if not hit:
            bad("%s: not in Contacts", tag)
            continue
        pool.remove(hit[0])
        p = hit[0][1]
        if d["kind"] == "list":
            mem = b(p, (PSETID_ADDRESS, 0x8055))
            if mem is None or len(mv_binary(mem)) != len(d["members"]):
                bad("%s: members differ from the %d staged", tag, len(d["members"]))
        elif d["address"]:
            addr = s(p, (PSETID_ADDRESS, 0x8083))
            if is_smtp(d["type"], d["address"]) and addr != d["address"]:
                bad("%s: e-mail 1 %r, staged %r", tag, addr, d["address"])
            if not is_smtp(d["type"], d["address"]) and s(p, (PSETID_ADDRESS, 0x8093)) != d["address"]:
                bad("%s: e-mail 2 %r, staged %r", tag, s(p, (PSETID_ADDRESS, 0x8093)), d["address"])
    print("directory: %d entries" % len(directory))


# ---- readpst ----

def vcards(text):
    cards, cur = [], None
    text = re.sub(r"\r?\n[ \t]", "", text)
    for line in re.split(r"\r?\n", text):
        if line == "BEGIN:VCARD":
            cur = {}
        elif line == "END:VCARD":
            cards.append(cur)
            cur = None
        elif cur is not None and ":" in line:
            k, v = line.split(":", 1)
            v = v.replace("\\,", ",").replace("\\;", ";").replace("\\n", "\n").replace("\\\\", "\\")
            cur.setdefault(k.split(";")[0].upper(), []).append(v)
    return cards


def readpst_mailbox(alias, path, mb, tmp):
    r = subprocess.run(["readpst", "-cv", "-o", tmp, path], capture_output=True, text=True)
    if r.returncode != 0 or r.stderr.strip():
        bad("readpst: %s: exit %d %s", alias, r.returncode, r.stderr.strip()[:200])
    text = ""
    for dp, _, fs in os.walk(tmp):
        for fn in fs:
            if fn.startswith("Contacts"):
                with open(os.path.join(dp, fn), encoding="utf-8", errors="replace") as fh:
                    text += fh.read()
    cards = vcards(text)
    ents = [e for e in mb["entries"] if e["kind"] == "entry"]
    if len(cards) != len(ents):
        bad("readpst: %s: %d vCards, %d staged entries", alias, len(cards), len(ents))
    pool = list(cards)
    for e in ents:
        given, sur = e["given"] or "", e["surname"] or ""
        fileas = "%s, %s" % (sur, given) if given and sur else e["display"]
        hit = [c for c in pool if (c.get("FN") or [""])[0] in (e["display"], fileas)]
        tag = "readpst: %s: %r" % (alias, e["display"])
        if not hit:
            bad("%s: no vCard", tag)
            continue
        c = hit[0]
        pool.remove(c)
        n = (c.get("N") or [""])[0].split(";")
        if (given or sur) and (n[0], n[1] if len(n) > 1 else "") != (sur, given):
            bad("%s: N %r, staged %r %r", tag, n, sur, given)
        if e["address"] and e["address"] not in c.get("EMAIL", []):
            if is_smtp(e["type"], e["address"]) or not any("@" in a for a in c.get("EMAIL", [])):
                bad("%s: EMAIL %r, staged %r", tag, c.get("EMAIL"), e["address"])
            elif e["address"] not in c.get("EMAIL", []):
                bad("%s: legacy address %r not among %r", tag, e["address"], c.get("EMAIL"))


# ---- pst-extractor ----

def extractor_mailbox(alias, path, mb, node_dir):
    r = subprocess.run(["node", os.path.join(node_dir, "pst-pim.js"), path], capture_output=True, text=True)
    if r.returncode != 0 or r.stderr.strip():
        bad("pst-extractor: %s: exit %d %s", alias, r.returncode, r.stderr.strip()[:300])
        return
    d = json.loads(r.stdout)
    c, tk = d.get("Contacts"), d.get("Tasks")
    if not c or c["containerClass"] != "IPF.Contact" or not tk or tk["containerClass"] != "IPF.Task":
        bad("pst-extractor: %s: Contacts/Tasks folders missing or of the wrong class", alias)
        return
    ents, todos = mb["entries"], mb["todos"]
    if c["count"] != len(ents) or len(c["items"]) != len(ents):
        bad("pst-extractor: %s: %d/%d contacts, %d staged", alias, c["count"], len(c["items"]), len(ents))
    if tk["count"] != len(todos) or len(tk["items"]) != len(todos):
        bad("pst-extractor: %s: %d/%d tasks, %d staged", alias, tk["count"], len(tk["items"]), len(todos))
    pool = list(c["items"])
    for e in ents:
        klass = "IPM.DistList" if e["kind"] == "dl" else "IPM.Contact"
        hit = [x for x in pool if x["subject"] == e["display"] and x["klass"] == klass]
        tag = "pst-extractor: %s: %r" % (alias, e["display"])
        if not hit:
            bad("%s: not found", tag)
            continue
        x = hit[0]
        pool.remove(x)
        if klass != "IPM.Contact":
            continue
        for k, want in (("givenName", e["given"]), ("surname", e["surname"]), ("companyName", e["company"]),
                        ("businessTelephoneNumber", e["bus"])):
            if want and x.get(k) != want:
                bad("%s: %s %r, staged %r", tag, k, x.get(k), want)
        if e["address"]:
            if x.get("email1AddressType") != "SMTP" or "@" not in (x.get("email1EmailAddress") or ""):
                bad("%s: e-mail 1 %r %r", tag, x.get("email1AddressType"), x.get("email1EmailAddress"))
            if is_smtp(e["type"], e["address"]) and x.get("email1EmailAddress") != e["address"]:
                bad("%s: e-mail 1 %r, staged %r", tag, x.get("email1EmailAddress"), e["address"])
    tpool = list(tk["items"])
    for todo in todos:
        x = ical_props(todo["ical"])
        summ = x.get("SUMMARY", (None, todo["summary"] or ""))[1]
        hit = [y for y in tpool if y["subject"] == summ and y["start"] == ical_date(x.get("DTSTART"))]
        tag = "pst-extractor: %s: task %r" % (alias, summ)
        if not hit:
            bad("%s: not found", tag)
            continue
        y = hit[0]
        tpool.remove(y)
        done = x.get("STATUS", (None, ""))[1] == "COMPLETED"
        if y["complete"] != done or y["due"] != ical_date(x.get("DUE")):
            bad("%s: complete %r due %r, staged %r %r", tag, y["complete"], y["due"], done,
                ical_date(x.get("DUE")))
        if ("RRULE" in x) != bool(y["recurring"]):
            bad("%s: recurring %r", tag, y["recurring"])
        if "RRULE" in x and y["pattern"]:
            r = dict(v.split("=", 1) for v in x["RRULE"][1].split(";"))
            pt = y["pattern"]
            names = {"DAILY": "Daily", "WEEKLY": "Weekly", "MONTHLY": "Monthly", "YEARLY": "Yearly"}
            if pt["recurFrequency"] != names.get(r["FREQ"]):
                bad("%s: frequency %r, RRULE %r", tag, pt["recurFrequency"], r["FREQ"])
            if r["FREQ"] == "WEEKLY" and "BYDAY" in r:
                want = [DAYS[k] in [d[-2:] for d in r["BYDAY"].split(",")] for k in range(7)]
                if pt["patternTypeSpecific"] != want:
                    bad("%s: days %r, RRULE %r", tag, pt["patternTypeSpecific"], r["BYDAY"])
            if pt["startDate"][:10].replace("-", "") != x["DTSTART"][1][:8]:
                bad("%s: pattern start %r, DTSTART %r", tag, pt["startDate"], x["DTSTART"][1])


def main():
    db, outdir, reader = sys.argv[1], sys.argv[2], sys.argv[3]
    node_dir = sys.argv[4] if len(sys.argv) > 4 else None
    exp, _, directory = staged(db)
    if reader == "directory":
        directory_check(outdir, directory)
    else:
        for alias, mb in sorted(exp.items()):
            path = os.path.join(outdir, alias + ".pst")
            if not os.path.exists(path):
                bad("%s: %s has no file", reader, alias)
                continue
            with tempfile.TemporaryDirectory() as tmp:
                if reader == "pypff":
                    pypff_mailbox(alias, path, mb)
                elif reader == "readpst":
                    readpst_mailbox(alias, path, mb, tmp)
                elif reader == "extractor":
                    extractor_mailbox(alias, path, mb, node_dir)
                else:
                    sys.exit("unknown reader " + reader)
    ne = sum(len(m["entries"]) for m in exp.values())
    nt = sum(len(m["todos"]) for m in exp.values())
    finish("%s: %d mailboxes, %d address book entries, %d to-dos, %d problems" %
          (reader, len(exp), ne, nt, len(problems)))


if __name__ == "__main__":
    main()
