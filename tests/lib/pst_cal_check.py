#!/usr/bin/env python3
"""pst_cal_check.py DB PSTDIR ICSDIR READER [NODE_DIR]

The calendar half of `mailferry export pst`, read back by readers mailferry
did not write and compared, item by item, with mailferry's own iCalendar
export of the same staging database (ICSDIR, `mailferry export ics`):

  staging    every staged event (calendar_items, kind 'event') is in the
             iCalendar export and in the Calendar folder of its mailbox's
             PST (counted with pypff); every PST has its Calendar folder,
             named by PidTagIpmAppointmentEntryId on the root and the Inbox
  pypff      libpff: class, start and end, duration, all-day, busy status,
             location, text, sensitivity and private, reminder set, delta
             and signal time, the time zone struct and definitions, the
             recurrence blob (decoded here from [MS-OXOCAL]: the pattern
             gives the same occurrences as the RRULE, the deleted dates are
             the EXDATEs and the overridden occurrences, each exception has
             the override's own times and subject), the exception
             attachments (hidden, their replace and local times)
  pffexport  libpff's pffexport: each appointment's subject and times, and
             each exception attachment's embedded appointment (pypff does
             not open embedded messages): the override's subject and times
  readpst    libpst's own decoding of the blob: its iCalendar output has the
             same events and times, its RRULE the same occurrences
             (readpst writes no EXDATE and no overrides: those are checked
             through the blob above)
  extractor  the npm package pst-extractor: the same counts, times, busy
             status, recurrence type, the same blob, exception attachments

Named properties are found through the store's name-to-ID map read with
pstdump.py (the reference reader of the format notes).  Prints each
problem and a closing line; exit 1 when there is any.
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
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import vobject  # noqa: E402
from dateutil import rrule as du  # noqa: E402
from dateutil import tz as dtz  # noqa: E402

from pstcheck_common import bad, finish, problems, pypff_top  # noqa: E402


APPT = "00062002-0000-0000-c000-000000000046"
COMMON = "00062008-0000-0000-c000-000000000046"
E1601 = datetime.datetime(1601, 1, 1)
UTC = datetime.timezone.utc
MAXOCC = 400


def min2dt(m):
    return E1601 + datetime.timedelta(minutes=m)


def dt2min(d):
    return int((d.replace(tzinfo=None) - E1601).total_seconds() // 60)


def ft2unix(ft):
    return ft // 10000000 - 11644473600


def crlf(s):
    return (s or "").replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")


# ---------------------------------------------------------------- expected

def source_zones(db):
    con = sqlite3.connect(db)
    out = {}
    for alias, tzname in con.execute(
            "SELECT m.alias, s.timezone FROM mailboxes m JOIN sources s ON s.id = m.source_id"):
        out[alias] = dtz.gettz(tzname or "UTC") or UTC
    staged = {}
    for alias, uid in con.execute(
            "SELECT m.alias, c.uid FROM calendar_items c JOIN mailboxes m ON m.id = c.mailbox_id "
            "WHERE c.kind = 'event'"):
        staged.setdefault(alias, []).append(uid)
    con.close()
    return out, staged


def as_utc(v, zone):
    if not isinstance(v, datetime.datetime):
        v = datetime.datetime(v.year, v.month, v.day, tzinfo=zone)
    elif v.tzinfo is None:
        v = v.replace(tzinfo=zone)
    return int(v.timestamp())


def local(ts, zone):
    return datetime.datetime.fromtimestamp(ts, zone).replace(tzinfo=None)


def ev_fields(ve, pozone):
    st = ve.dtstart.value
    allday = not isinstance(st, datetime.datetime)
    zone = pozone if allday or st.tzinfo is None else st.tzinfo
    start = as_utc(st, pozone)
    if "dtend" in ve.contents:
        end = as_utc(ve.dtend.value, pozone)
    elif "duration" in ve.contents:
        end = start + int(ve.duration.value.total_seconds())
    else:
        end = start + (86400 if allday else 0)
    c = ve.contents
    val = lambda k: c[k][0].value if k in c else None  # noqa: E731
    busy = 2
    if (val("transp") or "").upper() == "TRANSPARENT":
        busy = 0
    elif (val("status") or "").upper() == "TENTATIVE":
        busy = 1
    cls = (val("class") or "").upper()
    alarm = None
    if "valarm" in c:
        trig = c["valarm"][0].contents.get("trigger")
        if trig:
            t = trig[0].value
            if isinstance(t, datetime.timedelta):
                alarm = max(0, int(-t.total_seconds() // 60))
            else:
                alarm = max(0, (start - as_utc(t, UTC)) // 60)
    return {"summary": val("summary") or "", "description": val("description") or "",
            "location": val("location"), "start": start, "end": end, "allday": allday,
            "zone": zone, "busy": busy, "sens": 2 if cls == "PRIVATE" else 3 if cls == "CONFIDENTIAL" else 0,
            "alarm": alarm}


def ics_expect(icsdir, zones):
    """alias -> [event]: the series' fields, its rule's occurrences (local),
    deleted dates, overrides."""
    out = {}
    for dp, _dn, fn in os.walk(icsdir):
        for n in sorted(fn):
            if not n.endswith(".ics"):
                continue
            alias = n[:-4]
            pozone = zones.get(alias, UTC)
            with open(os.path.join(dp, n), encoding="utf-8") as fh:
                cal = vobject.readOne(fh.read())
            byuid = {}
            for ve in cal.contents.get("vevent", []):
                e = byuid.setdefault(ve.uid.value, {"uid": ve.uid.value, "master": None, "ov": []})
                if "recurrence-id" in ve.contents:
                    e["ov"].append(ve)
                else:
                    e["master"] = ve
            evs = []
            for uid, e in byuid.items():
                if e["master"] is None:
                    bad("ics: %s: %s has overrides but no series", alias, uid)
                    continue
                x = ev_fields(e["master"], pozone)
                x["uid"] = uid
                zone = x["zone"]
                x["rrule"] = None
                if "rrule" in e["master"].contents:
                    x["rrule"] = e["master"].rrule.value
                    x["occ"] = expand_text(x["rrule"], local(x["start"], zone), zone)
                x["exdates"] = []
                for exd in e["master"].contents.get("exdate", []):
                    for v in exd.value:
                        x["exdates"].append(local(as_utc(v, zone), zone))
                x["ov"] = []
                for ve in e["ov"]:
                    o = ev_fields(ve, zone)
                    o["rid"] = as_utc(ve.recurrence_id.value, zone)
                    x["ov"].append(o)
                x["ov"].sort(key=lambda o: o["rid"])
                evs.append(x)
            out[alias] = evs
    return out


def expand_text(text, dtstart, zone):
    """Occurrences (naive local) of an RRULE text from dtstart."""
    def fix_until(m):
        v = m.group(1)
        if v.endswith("Z"):
            u = datetime.datetime.strptime(v, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            return "UNTIL=" + u.astimezone(zone).strftime("%Y%m%dT%H%M%S")
        if "T" not in v:
            return "UNTIL=" + v + "T235959"
        return "UNTIL=" + v
    text = re.sub(r"UNTIL=([0-9TZ]+)", fix_until, text)
    rule = du.rrulestr(text, dtstart=dtstart)
    out = []
    for d in rule:
        out.append(d)
        if len(out) >= MAXOCC:
            break
    return out


# ---------------------------------------------------------------- the blob

def decode_blob(b):
    """[MS-OXOCAL] 2.2.1.44.5; ValueError when malformed."""
    o = [0]

    def take(fmt):
        v = struct.unpack_from(fmt, b, o[0])
        o[0] += struct.calcsize(fmt)
        return v[0]

    def raw(n):
        if o[0] + n > len(b):
            raise ValueError("string past the end")
        v = b[o[0]:o[0] + n]
        o[0] += n
        return v

    r = {}
    try:
        if take("<H") != 0x3004 or take("<H") != 0x3004:
            raise ValueError("reader/writer version is not 0x3004")
        r["freq"], r["pattern"], r["cal"] = take("<H"), take("<H"), take("<H")
        r["first"], r["period"], r["sliding"] = take("<I"), take("<I"), take("<I")
        r["mask"] = r["day"] = r["nth"] = 0
        if r["pattern"] == 1:
            r["mask"] = take("<I")
        elif r["pattern"] in (2, 4):
            r["day"] = take("<I")
        elif r["pattern"] == 3:
            r["mask"], r["nth"] = take("<I"), take("<I")
        elif r["pattern"] != 0:
            raise ValueError("pattern type %d" % r["pattern"])
        r["endtype"], r["count"], r["fdow"] = take("<I"), take("<I"), take("<I")
        r["deleted"] = [take("<I") for _ in range(take("<I"))]
        r["modified"] = [take("<I") for _ in range(take("<I"))]
        r["startdate"], r["enddate"] = take("<I"), take("<I")
        rv2, wv2 = take("<I"), take("<I")
        if rv2 != 0x3006 or wv2 < 0x3008:
            raise ValueError("reader/writer version 2: 0x%X 0x%X" % (rv2, wv2))
        r["startoff"], r["endoff"] = take("<I"), take("<I")
        exc = []
        for _ in range(take("<H")):
            e = {"start": take("<I"), "end": take("<I"), "orig": take("<I"), "flags": take("<H")}
            f = e["flags"]
            if f & 0x01:
                n1, n2 = take("<H"), take("<H")
                if n1 != n2 + 1:
                    raise ValueError("subject lengths %d %d" % (n1, n2))
                e["subject"] = raw(n2).decode("cp1252", "replace")
            if f & 0x02:
                e["meeting"] = take("<I")
            if f & 0x04:
                e["rdelta"] = take("<I")
            if f & 0x08:
                e["rset"] = take("<I")
            if f & 0x10:
                n1, n2 = take("<H"), take("<H")
                if n1 != n2 + 1:
                    raise ValueError("location lengths")
                e["location"] = raw(n2).decode("cp1252", "replace")
            if f & 0x20:
                e["busy"] = take("<I")
            if f & 0x40:
                e["attach"] = take("<I")
            if f & 0x80:
                e["subtype"] = take("<I")
            if f & 0x100:
                e["color"] = take("<I")
            exc.append(e)
        raw(take("<I"))
        for e in exc:
            if wv2 >= 0x3009:
                raw(take("<I"))
            raw(take("<I"))
            if e["flags"] & 0x11:
                s, en, orig = take("<I"), take("<I"), take("<I")
                if (s, en, orig) != (e["start"], e["end"], e["orig"]):
                    raise ValueError("extended exception times differ from the exception's")
                if e["flags"] & 0x01:
                    e["wsubject"] = raw(2 * take("<H")).decode("utf-16-le")
                if e["flags"] & 0x10:
                    e["wlocation"] = raw(2 * take("<H")).decode("utf-16-le")
                raw(take("<I"))
        raw(take("<I"))
    except struct.error as ex:
        raise ValueError("cut short: %s" % ex)
    if o[0] != len(b):
        raise ValueError("%d bytes after the end" % (len(b) - o[0]))
    r["exceptions"] = exc
    return r


DU_DAYS = [du.SU, du.MO, du.TU, du.WE, du.TH, du.FR, du.SA]


def blob_occurrences(r):
    start = min2dt(r["startdate"] + r["startoff"])
    days = [DU_DAYS[i] for i in range(7) if r["mask"] & (1 << i)]
    kw = {"dtstart": start, "wkst": DU_DAYS[r["fdow"] % 7]}
    freq = r["freq"]
    if freq == 0x200A and r["pattern"] == 0:
        f, kw["interval"] = du.DAILY, r["period"] // 1440
    elif freq in (0x200A, 0x200B):
        f, kw["interval"], kw["byweekday"] = du.WEEKLY, r["period"], days
    elif freq == 0x200C:
        f, kw["interval"] = du.MONTHLY, r["period"]
    elif freq == 0x200D:
        f, kw["interval"], kw["bymonth"] = du.YEARLY, r["period"] // 12, min2dt(r["first"]).month
    else:
        raise ValueError("frequency 0x%X" % freq)
    if r["pattern"] == 2:
        kw["bymonthday"] = r["day"]
    elif r["pattern"] == 3:
        kw["byweekday"] = days
        kw["bysetpos"] = -1 if r["nth"] == 5 else r["nth"]
    if r["endtype"] == 0x2021:
        kw["until"] = min2dt(r["enddate"] + r["startoff"])
    elif r["endtype"] == 0x2022:
        kw["count"] = r["count"]
    out = []
    for d in du.rrule(f, **kw):
        out.append(d)
        if len(out) >= MAXOCC:
            break
    return out


def check_blob(tag, blob, x):
    """The blob against the expected series x."""
    try:
        r = decode_blob(blob)
    except ValueError as ex:
        bad("%s: recurrence blob malformed: %s", tag, ex)
        return
    zone = x["zone"]
    try:
        occ = blob_occurrences(r)
    except ValueError as ex:
        bad("%s: recurrence blob: %s", tag, ex)
        return
    exp = x["occ"]
    bounded = r["endtype"] in (0x2021, 0x2022)
    n = len(exp) if bounded or len(exp) < MAXOCC else min(len(exp), 60)
    if occ[:n] != exp[:n] or (bounded and len(occ) != len(exp)):
        bad("%s: the blob's occurrences %s... (%d) are not the RRULE's %s... (%d)", tag,
            [str(d) for d in occ[:3]], len(occ), [str(d) for d in exp[:3]], len(exp))
    if bounded and r["count"] != len(exp):
        bad("%s: OccurrenceCount %d, the RRULE has %d", tag, r["count"], len(exp))
    if bounded and exp and r["enddate"] != dt2min(exp[-1].replace(hour=0, minute=0)):
        bad("%s: EndDate %s, the last occurrence is %s", tag, min2dt(r["enddate"]), exp[-1])
    # deleted: EXDATEs and the overridden occurrences; modified: their new dates
    day = lambda d: dt2min(d.replace(hour=0, minute=0, second=0))  # noqa: E731
    want_del = sorted(set(day(d) for d in x["exdates"]) | set(day(local(o["rid"], zone)) for o in x["ov"]))
    want_mod = sorted(day(local(o["start"], zone)) for o in x["ov"])
    if r["deleted"] != want_del:
        bad("%s: deleted dates %s, expected %s", tag, [str(min2dt(v).date()) for v in r["deleted"]],
            [str(min2dt(v).date()) for v in want_del])
    if r["modified"] != want_mod:
        bad("%s: modified dates %s, expected %s", tag, [str(min2dt(v).date()) for v in r["modified"]],
            [str(min2dt(v).date()) for v in want_mod])
    exc = r["exceptions"]
    if len(exc) != len(x["ov"]):
        bad("%s: %d exceptions, %d overrides", tag, len(exc), len(x["ov"]))
        return
    for e, o in zip(sorted(exc, key=lambda e: e["orig"]), x["ov"]):
        want = (dt2min(local(o["start"], zone)), dt2min(local(o["end"], zone)),
                dt2min(local(o["rid"], zone)))
        if (e["start"], e["end"], e["orig"]) != want:
            bad("%s: exception %s-%s (original %s), the override is %s-%s (original %s)", tag,
                *[min2dt(v) for v in (e["start"], e["end"], e["orig"]) + want])
        if o["summary"] != x["summary"]:
            if e.get("wsubject") != o["summary"]:
                bad("%s: exception subject %r, the override's %r", tag, e.get("wsubject"), o["summary"])
        elif e["flags"] & 1:
            bad("%s: exception marks an unchanged subject", tag)
    # FirstDateTime ([MS-OXOCAL] 2.2.1.44.1.1)
    sd = r["startdate"]
    if r["freq"] == 0x200A and r["pattern"] == 0:
        want_first = sd % r["period"]
    elif r["pattern"] == 1:
        d = min2dt(sd)
        back = (d.isoweekday() % 7 - r["fdow"]) % 7
        want_first = (sd - back * 1440) % (r["period"] * 7 * 1440)
    else:
        d = min2dt(sd)
        k = ((d.year - 1601) * 12 + d.month - 1) % r["period"]
        want_first = dt2min(datetime.datetime(1601 + k // 12, k % 12 + 1, 1))
    if r["first"] != want_first:
        bad("%s: FirstDateTime %d, expected %d", tag, r["first"], want_first)
    if r["startoff"] != local(x["start"], zone).hour * 60 + local(x["start"], zone).minute:
        bad("%s: StartTimeOffset %d", tag, r["startoff"])
    if r["endoff"] - r["startoff"] != (x["end"] - x["start"]) // 60:
        bad("%s: EndTimeOffset %d", tag, r["endoff"])


# ---------------------------------------------------------------- pypff

def name_ids(path):
    """(GUID, LID) -> NPID of the store's name-to-ID map, read with pstdump.py."""
    import io
    import contextlib
    import pstdump
    with contextlib.redirect_stdout(io.StringIO()):
        p = pstdump.PST(path)
        e = p.nbt[0x61]
        pc = pstdump.PC(pstdump.Node(p, 0x61, e["bidData"], e["bidSub"], "name map"))
    guids = pc.get(0x0002)[3]
    ents = pc.get(0x0003)[3]
    out = {}
    for i in range(len(ents) // 8):
        lid, w, idx = struct.unpack_from("<IHH", ents, 8 * i)
        if w & 1:
            continue
        g = w >> 1
        if g < 3:
            continue
        gs = str(uuid.UUID(bytes_le=bytes(guids[16 * (g - 3):16 * (g - 2)])))
        out[(gs, lid)] = 0x8000 + idx
    return out


def pypff_items(path):
    f, root, top = pypff_top(path)
    cal, inbox = None, None
    for i in range(top.number_of_sub_folders if top else 0):
        s = top.get_sub_folder(i)
        if s.name == "Calendar" and cal is None:
            cal = s
        if s.name == "Inbox":
            inbox = s
    return f, root, cal, inbox


def props(rs):
    out = {}
    for i in range(rs.number_of_entries):
        e = rs.get_entry(i)
        out[e.entry_type] = e
    return out


def num(e, fmt):
    return struct.unpack("<" + fmt, e.data[:struct.calcsize(fmt)])[0] if e is not None and e.data else None


def zone_bias(zone, year):
    offs = [datetime.datetime(year, m, 15, 12, tzinfo=zone).utcoffset().total_seconds() // 60
            for m in (1, 7)]
    return -int(min(offs)), -int(max(offs) - min(offs))


def check_pypff(alias, path, evs):
    ids = name_ids(path)
    f, root, cal, inbox = pypff_items(path)
    if cal is None:
        bad("pypff: %s: no Calendar folder", alias)
        return
    A = lambda lid: ids.get((APPT, lid))  # noqa: E731
    C = lambda lid: ids.get((COMMON, lid))  # noqa: E731
    # the Calendar's entry id on the root folder and the Inbox
    for name, fo in (("root", root), ("Inbox", inbox)):
        p = props(fo.get_record_set(0)) if fo is not None else {}
        eid = p.get(0x36D0)
        if eid is None or len(eid.data) != 24 or struct.unpack_from("<I", eid.data, 20)[0] != cal.identifier:
            bad("pypff: %s: the %s folder's PidTagIpmAppointmentEntryId does not name the Calendar", alias, name)
    found = []
    for i in range(cal.number_of_sub_messages):
        m = cal.get_sub_message(i)
        found.append((m, props(m.get_record_set(0))))
    if len(found) != len(evs):
        bad("pypff: %s: %d appointments in the Calendar, %d staged events", alias, len(found), len(evs))
    used = set()
    for x in evs:
        tag = "pypff: %s: %r" % (alias, x["summary"])
        hit = None
        for k, (m, p) in enumerate(found):
            if k in used:
                continue
            if (m.subject or "") == x["summary"] and A(0x820D) in p and \
                    ft2unix(num(p[A(0x820D)], "Q")) == x["start"]:
                hit = k
                break
        if hit is None:
            bad("%s at %s not found", tag, datetime.datetime.fromtimestamp(x["start"], UTC))
            continue
        used.add(hit)
        m, p = found[hit]
        g = lambda pid, fmt: num(p.get(pid), fmt) if pid is not None else None  # noqa: E731
        if p[0x001A].data_as_string != "IPM.Appointment":
            bad("%s: class %r", tag, p[0x001A].data_as_string)
        if ft2unix(g(A(0x820E), "Q") or 0) != x["end"]:
            bad("%s: end whole %s", tag, g(A(0x820E), "Q"))
        if g(A(0x8213), "I") != (x["end"] - x["start"]) // 60:
            bad("%s: duration %s", tag, g(A(0x8213), "I"))
        if bool(g(A(0x8215), "B")) != x["allday"]:
            bad("%s: all-day %s", tag, g(A(0x8215), "B"))
        if g(A(0x8205), "I") != x["busy"]:
            bad("%s: busy status %s, expected %d", tag, g(A(0x8205), "I"), x["busy"])
        loc = p[A(0x8208)].data_as_string if A(0x8208) in p else None
        if (loc or None) != (x["location"] or None):
            bad("%s: location %r", tag, loc)
        body = m.plain_text_body.decode("utf-8") if m.plain_text_body else ""
        if crlf(body) != crlf(x["description"]):
            bad("%s: body %r, expected %r", tag, body[:60], x["description"][:60])
        if g(0x0036, "I") != x["sens"]:
            bad("%s: sensitivity %s, expected %d", tag, g(0x0036, "I"), x["sens"])
        if bool(g(C(0x8506), "B")) != (x["sens"] == 2):
            bad("%s: PidLidPrivate %s", tag, g(C(0x8506), "B"))
        if bool(g(C(0x8503), "B")) != (x["alarm"] is not None):
            bad("%s: reminder set %s", tag, g(C(0x8503), "B"))
        if x["alarm"] is not None:
            if g(C(0x8501), "I") != x["alarm"]:
                bad("%s: reminder delta %s, expected %d", tag, g(C(0x8501), "I"), x["alarm"])
            if ft2unix(g(C(0x8560), "Q") or 0) != x["start"] - 60 * x["alarm"]:
                bad("%s: reminder signal time", tag)
        if ft2unix(g(C(0x8516), "Q") or 0) != x["start"] or ft2unix(g(C(0x8517), "Q") or 0) != x["end"]:
            bad("%s: common start/end", tag)
        # the time zone
        year = local(x["start"], x["zone"]).year
        bias, dbias = zone_bias(x["zone"], year)
        ts = p.get(A(0x8233))
        if ts is None or len(ts.data) != 48:
            bad("%s: no PidLidTimeZoneStruct", tag)
        else:
            b0, _sb, db = struct.unpack_from("<iii", ts.data, 0)
            if (b0, db) != (bias, dbias):
                bad("%s: time zone bias %d/%d, the zone has %d/%d", tag, b0, db, bias, dbias)
            if dbias and (struct.unpack_from("<H", ts.data, 16)[0] == 0 or
                          struct.unpack_from("<H", ts.data, 34)[0] == 0):
                bad("%s: time zone struct without its transition months", tag)
        for lid in (0x825E, 0x825F):
            d = p.get(A(lid))
            if d is None or d.data[:2] != b"\x02\x01":
                bad("%s: no TZDEFINITION 0x%X", tag, lid)
        recurring = bool(g(A(0x8223), "B"))
        if recurring != bool(x["rrule"]):
            bad("%s: recurring %s", tag, recurring)
        if x["rrule"]:
            blob = p.get(A(0x8216))
            if blob is None:
                bad("%s: no PidLidAppointmentRecur", tag)
            else:
                check_blob(tag, bytes(blob.data), x)
            if A(0x8260) not in p:
                bad("%s: no PidLidAppointmentTimeZoneDefinitionRecur", tag)
            cs, ce = ft2unix(g(A(0x8235), "Q") or 0), g(A(0x8236), "Q")
            first = x["occ"][0]
            if cs != int(datetime.datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp()):
                bad("%s: clip start %s", tag, cs)
            if not ce:
                bad("%s: no clip end", tag)
        # exception attachments: one per override, hidden, with its times
        ovs = x["ov"] if x["rrule"] else []
        if m.number_of_attachments != len(ovs):
            bad("%s: %d attachments, %d overrides", tag, m.number_of_attachments, len(ovs))
            continue
        for i, o in enumerate(ovs):
            ap = props(m.get_attachment(i).get_record_set(0))
            t = "%s: exception attachment %d" % (tag, i)
            if num(ap.get(0x3705), "I") != 5 or not num(ap.get(0x7FFE), "B") or num(ap.get(0x7FFD), "I") != 2:
                bad("%s: method/hidden/flags %s %s %s", t, num(ap.get(0x3705), "I"),
                    num(ap.get(0x7FFE), "B"), num(ap.get(0x7FFD), "I"))
            if ft2unix(num(ap.get(0x7FF9), "Q") or 0) != o["rid"]:
                bad("%s: replace time %s, the override's RECURRENCE-ID %s", t,
                    ft2unix(num(ap.get(0x7FF9), "Q") or 0), o["rid"])
            lst = (num(ap.get(0x7FFB), "Q") or 0) // 600000000
            if lst != dt2min(local(o["start"], x["zone"])):
                bad("%s: exception start time %s", t, min2dt(lst))
            if ap.get(0x3001) is None or ap[0x3001].data_as_string != o["summary"]:
                bad("%s: display name %r", t, ap[0x3001].data_as_string if 0x3001 in ap else None)
    f.close()


# ---------------------------------------------------------------- readpst

def check_readpst(alias, path, evs, tmp):
    d = os.path.join(tmp, "rp")
    os.makedirs(d)
    p = subprocess.run(["readpst", "-q", "-r", "-o", d, "-j0", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    err = p.stderr.decode("utf-8", "replace").strip()
    if p.returncode != 0 or err:
        bad("readpst: %s: exit %d: %s", alias, p.returncode, err[:300])
    found = []
    for dp, _dn, fn in os.walk(d):
        for n in fn:
            if n != "calendar":
                continue
            with open(os.path.join(dp, n), encoding="utf-8", errors="replace") as fh:
                for comp in vobject.readComponents(fh.read()):
                    for ve in comp.contents.get("vevent", []):
                        found.append(ve)
    if len(found) != len(evs):
        bad("readpst: %s: %d events, %d staged", alias, len(found), len(evs))
    used = set()
    for x in evs:
        tag = "readpst: %s: %r" % (alias, x["summary"])
        hit = None
        for k, ve in enumerate(found):
            if k in used:
                continue
            s = ve.summary.value if "summary" in ve.contents else ""
            if s == x["summary"] and as_utc(ve.dtstart.value, UTC) == x["start"]:
                hit = k
                break
        if hit is None:
            bad("%s at %s not found", tag, datetime.datetime.fromtimestamp(x["start"], UTC))
            continue
        used.add(hit)
        ve = found[hit]
        if as_utc(ve.dtend.value, UTC) != x["end"]:
            bad("%s: DTEND %s", tag, ve.dtend.value)
        if crlf(ve.description.value if "description" in ve.contents else "") != crlf(x["description"]):
            bad("%s: DESCRIPTION differs", tag)
        rr = ve.contents.get("rrule")
        if bool(rr) != bool(x["rrule"]):
            bad("%s: RRULE %s, staged %s", tag, rr[0].value if rr else None, x["rrule"])
            continue
        if not rr:
            continue
        # libpst writes "last" as BYSETPOS=5 and several days as BYDAY=MO;WE
        text = re.sub(r"BYSETPOS=5\b", "BYSETPOS=-1", rr[0].value)
        text = re.sub(r"BYDAY=((?:SU|MO|TU|WE|TH|FR|SA)(?:;(?:SU|MO|TU|WE|TH|FR|SA))+)",
                      lambda m: "BYDAY=" + m.group(1).replace(";", ","), text)
        occ = expand_text(text, local(x["start"], x["zone"]), x["zone"])
        exp = x["occ"]
        n = len(exp) if len(exp) < MAXOCC else 60
        if occ[:n] != exp[:n] or (len(exp) < MAXOCC and len(occ) != len(exp)):
            bad("%s: readpst's RRULE %s gives %s... (%d), the staged %s gives %s... (%d)", tag,
                rr[0].value, [str(v) for v in occ[:3]], len(occ), x["rrule"],
                [str(v) for v in exp[:3]], len(exp))


# ---------------------------------------------------------------- pst-extractor

def check_extractor(alias, path, evs, node_dir):
    p = subprocess.run(["node", os.path.join(node_dir, "pst-cal-read.js"), path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        bad("extractor: %s: exit %d: %s", alias, p.returncode, p.stderr.decode()[:300])
        return
    data = json.loads(p.stdout)
    cals = [f for f in data["folders"] if f["path"] == ["Calendar"]]
    if len(cals) != 1 or cals[0]["klass"] != "IPF.Appointment":
        bad("extractor: %s: no Calendar folder of class IPF.Appointment", alias)
        return
    items = cals[0]["items"]
    if len(items) != len(evs) or cals[0]["count"] != len(evs):
        bad("extractor: %s: %d appointments (count %d), %d staged", alias, len(items),
            cals[0]["count"], len(evs))
    used = set()
    for x in evs:
        tag = "extractor: %s: %r" % (alias, x["summary"])
        hit = None
        for k, it in enumerate(items):
            if k not in used and it["subject"] == x["summary"] and it["start"] == x["start"]:
                hit = k
                break
        if hit is None:
            bad("%s not found", tag)
            continue
        used.add(hit)
        it = items[hit]
        if it["klass"] != "IPM.Appointment" or it["end"] != x["end"] or it["busy"] != x["busy"]:
            bad("%s: class %s end %s busy %s", tag, it["klass"], it["end"], it["busy"])
        if bool(it["allday"]) != x["allday"] or bool(it["recurring"]) != bool(x["rrule"]):
            bad("%s: all-day %s recurring %s", tag, it["allday"], it["recurring"])
        if (it["location"] or None) != (x["location"] or None):
            bad("%s: location %r", tag, it["location"])
        if x["rrule"]:
            if not it["recur"]:
                bad("%s: no recurrence structure", tag)
            else:
                check_blob(tag, bytes.fromhex(it["recur"]), x)
        ovs = x["ov"] if x["rrule"] else []
        if len(it["attachments"]) != len(ovs) or any(a["method"] != 5 for a in it["attachments"]):
            bad("%s: attachments %s, %d overrides", tag, it["attachments"], len(ovs))


# ---------------------------------------------------------------- pffexport

def pff_when(s):
    # "Jan 08, 1996 08:00:00.000000000 UTC"
    s = s.strip()
    d = datetime.datetime.strptime(s[:21], "%b %d, %Y %H:%M:%S").replace(tzinfo=UTC)
    return int(d.timestamp())


def pff_fields(path):
    out = {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if ":" in line and "\t" in line:
                k, v = line.split(":", 1)
                out.setdefault(k.strip(), v.strip())
    return out


def check_pffexport(alias, path, evs, tmp):
    """libpff's pffexport: each appointment's subject and times, and each
    exception attachment's embedded appointment (pypff does not open
    embedded messages): the override's own subject, start and end."""
    target = os.path.join(tmp, "pe")
    p = subprocess.run(["pffexport", "-q", "-t", target, path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if p.returncode != 0:
        bad("pffexport: %s: exit %d: %s", alias, p.returncode, p.stderr.decode()[:300])
        return
    cal = None
    for dp, dn, _fn in os.walk(target + ".export"):
        if os.path.basename(dp) == "Calendar" and os.path.basename(os.path.dirname(dp)).startswith("Top of"):
            cal = dp
    if cal is None:
        bad("pffexport: %s: no Calendar folder", alias)
        return
    items = []
    for d in sorted(os.listdir(cal)):
        f = os.path.join(cal, d, "Appointment.txt")
        if not os.path.exists(f):
            bad("pffexport: %s: %s is not an appointment", alias, d)
            continue
        x = pff_fields(f)
        x["_dir"] = os.path.join(cal, d)
        items.append(x)
    if len(items) != len(evs):
        bad("pffexport: %s: %d appointments, %d staged", alias, len(items), len(evs))
    used = set()
    for x in evs:
        tag = "pffexport: %s: %r" % (alias, x["summary"])
        hit = None
        for k, it in enumerate(items):
            if k not in used and it.get("Subject", "") == x["summary"] and \
                    "Start time" in it and pff_when(it["Start time"]) == x["start"]:
                hit = k
                break
        if hit is None:
            bad("%s not found", tag)
            continue
        used.add(hit)
        it = items[hit]
        if "End time" not in it or pff_when(it["End time"]) != x["end"]:
            bad("%s: end time %s", tag, it.get("End time"))
        ovs = x["ov"] if x["rrule"] else []
        adir = os.path.join(it["_dir"], "Attachments")
        emb = []
        if os.path.isdir(adir):
            for a in sorted(os.listdir(adir)):
                for dp, _dn, fn in os.walk(os.path.join(adir, a)):
                    if "Appointment.txt" in fn:
                        emb.append(pff_fields(os.path.join(dp, "Appointment.txt")))
        if len(emb) != len(ovs):
            bad("%s: %d embedded exception appointments, %d overrides", tag, len(emb), len(ovs))
            continue
        for e, o in zip(emb, ovs):
            got = (e.get("Subject"), pff_when(e["Start time"]) if "Start time" in e else None,
                   pff_when(e["End time"]) if "End time" in e else None)
            if got != (o["summary"], o["start"], o["end"]):
                bad("%s: exception %r, the override is %r", tag, got, (o["summary"], o["start"], o["end"]))


# ---------------------------------------------------------------- main

def main():
    db, pstdir, icsdir, reader = sys.argv[1:5]
    node_dir = sys.argv[5] if len(sys.argv) > 5 else None
    zones, staged = source_zones(db)
    exp = ics_expect(icsdir, zones)
    n = 0
    aliases = sorted(a for a in zones if os.path.exists(os.path.join(pstdir, a + ".pst")))
    for alias in sorted(zones):
        if alias not in aliases:
            bad("%s: mailbox %s has no PST", reader, alias)
    for alias in aliases:
        evs = exp.get(alias, [])
        n += len(evs)
        path = os.path.join(pstdir, alias + ".pst")
        if reader == "staging":
            want = sorted(staged.get(alias, []))
            got = sorted(x["uid"] for x in evs)
            if want != got:
                bad("staging: %s: staged events %d, in the iCalendar export %d (missing %s)", alias,
                    len(want), len(got), sorted(set(want) - set(got))[:5])
            _f, _r, cal, _i = pypff_items(path)
            if cal is None:
                bad("staging: %s: no Calendar folder", alias)
            elif cal.number_of_sub_messages != len(want):
                bad("staging: %s: %d appointments in the Calendar, %d staged events", alias,
                    cal.number_of_sub_messages, len(want))
            _f.close()
        elif reader == "pypff":
            check_pypff(alias, path, evs)
        elif reader == "readpst":
            with tempfile.TemporaryDirectory() as tmp:
                check_readpst(alias, path, evs, tmp)
        elif reader == "pffexport":
            with tempfile.TemporaryDirectory() as tmp:
                check_pffexport(alias, path, evs, tmp)
        elif reader == "extractor":
            check_extractor(alias, path, evs, node_dir)
        else:
            sys.exit("unknown reader " + reader)
    finish("%s: %d mailboxes, %d events, %d problems" % (reader, len(aliases), n, len(problems)))


if __name__ == "__main__":
    main()
