#!/usr/bin/env python3
# queryplan.py: the query-plan guard of issue 15 (run by tests/cli/queryplan.sh).
#
#   queryplan.py --small S.db --large L.db [--extra S2.db L2.db] --allow FILE LOG...
#
# --extra names a second database made by the same commands on each store
# (the report's joined database, core/store_report.c, kept by
# MAILFERRY_REPORT_DB_KEEP): it is attached to each store's connection, so
# that the statements over its tables are planned and judged like the
# store's own (its table names differ from the store's).
#
# LOG files hold the SQL texts mailferry ran (MAILFERRY_SQL_LOG, written by
# core/store.c: NUL-terminated).  S.db and L.db are two stores populated by
# the same commands from a small and a ten times larger corpus.  Every
# distinct data statement gets EXPLAIN QUERY PLAN against L.db, and each
# step of its plan is judged:
#
#  - "SCAN t" of a table that grows with the data (ten times the corpus:
#    at least three times the rows, and 50 or more) is a full pass;
#  - "SEARCH t USING AUTOMATIC ... INDEX" builds an index over the whole
#    table every time it runs: a full pass too;
#  - "SEARCH t USING INDEX i (a=? AND ...)" is a full pass in disguise when
#    the key it looks up does not narrow with the data: the number of
#    distinct values of those index columns does not double from S.db to
#    L.db while each value holds 50 or more rows (a source, a kind, a
#    status: every look-up visits a share of the whole table).
#
# A full pass is allowed only when the allow list names it: lines
# "HASH<TAB>TABLE<TAB>REASON", HASH the first 12 hex digits of the SHA-1 of
# the statement's text, REASON why a whole-table pass is right there (it
# runs once per command, not once per item).  '#' starts a comment.
# Everything else fails, with the statement, its plan and a line to add.
# Exit 0 clean, 1 on an unlisted full pass or a bad allow list, 2 on usage.
import hashlib
import re
import sqlite3
import sys

DATA = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|REPLACE)\b", re.I)
TEMP_DDL = re.compile(r"^\s*CREATE\s+(?:(?:TEMP|TEMPORARY)\s+TABLE|(?:UNIQUE\s+)?INDEX\s+temp\.)", re.I)
KEYWORDS = set("""WHERE ON JOIN LEFT RIGHT FULL INNER OUTER CROSS NATURAL GROUP ORDER LIMIT
USING SET UNION EXCEPT INTERSECT AS WINDOW HAVING INDEXED NOT VALUES SELECT DEFAULT""".split())
TABLE_REF = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+([A-Za-z_]\w*)(?:\s+(?:AS\s+)?([A-Za-z_]\w*))?",
                       re.I)


def sha12(sql):
    return hashlib.sha1(sql.encode("utf-8")).hexdigest()[:12]


def open_ro(path):
    return sqlite3.connect("file:%s?mode=ro" % path, uri=True)


def count(db, sql):
    return db.execute(sql).fetchone()[0]


def split_top(s):
    """Split an index's column list at the commas outside parentheses."""
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


class Store:
    def __init__(self, small, large, extra=None):
        self.s, self.l = open_ro(small), open_ro(large)
        schemas = ["main"]
        if extra:
            self.s.execute("ATTACH ? AS extra", ("file:%s?mode=ro" % extra[0],))
            self.l.execute("ATTACH ? AS extra", ("file:%s?mode=ro" % extra[1],))
            schemas.append("extra")
        self.tables = []
        self.index = {}
        for sc in schemas:
            self.tables += [r[0] for r in self.l.execute(
                "SELECT name FROM %s.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%%'"
                % sc)]
            for name, tbl, sql in self.l.execute(
                    "SELECT name, tbl_name, sql FROM %s.sqlite_master WHERE type = 'index'" % sc):
                if sql:
                    m = re.match(r"(?is)CREATE\s+(?:UNIQUE\s+)?INDEX\s+\S+\s+ON\s+\S+?\s*\((.*)\)\s*"
                                 r"(?:WHERE\s+(.*))?$", sql.strip())
                    cols, where = split_top(m.group(1)), m.group(2)
                else:   # a UNIQUE or PRIMARY KEY constraint's index
                    cols = ['"%s"' % r[2] for r in self.l.execute('PRAGMA %s.index_info("%s")'
                                                                  % (sc, name))]
                    where = None
                self.index[name] = (tbl, cols, where)
        self.views = dict(self.l.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'"))
        self.rows = {}
        for t in self.tables:
            self.rows[t] = (count(self.s, 'SELECT count(*) FROM "%s"' % t),
                            count(self.l, 'SELECT count(*) FROM "%s"' % t))
        self.distinct_cache = {}

    def growing(self, t):
        s, l = self.rows.get(t, (0, 0))
        return l >= 50 and l >= 3 * max(s, 1)

    def distinct(self, index, k):
        key = (index, k)
        if key not in self.distinct_cache:
            tbl, cols, where = self.index[index]
            q = 'SELECT count(*) FROM (SELECT DISTINCT %s FROM "%s"%s)' % (
                ", ".join(cols[:k]), tbl, " WHERE " + where if where else "")
            self.distinct_cache[key] = (count(self.s, q), count(self.l, q))
        return self.distinct_cache[key]

    def names(self, sql):
        """alias or table name -> the tables it may stand for, in sql and
        in the views it reads."""
        texts = [sql] + [v for n, v in self.views.items() if re.search(r"\b%s\b" % n, sql)]
        m = {t: {t} for t in self.tables}
        for text in texts:
            for tbl, alias in TABLE_REF.findall(text):
                if tbl in self.tables and alias and alias.upper() not in KEYWORDS:
                    m.setdefault(alias, set()).add(tbl)
        return m


def plan(db, sql):
    """EXPLAIN QUERY PLAN with every parameter NULL (the plan does not
    depend on the values: the store has no sqlite_stat tables)."""
    try:
        return db.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
    except sqlite3.ProgrammingError as e:
        m = re.search(r"uses (\d+)", str(e))
        if not m:
            raise
        return db.execute("EXPLAIN QUERY PLAN " + sql, (None,) * int(m.group(1))).fetchall()


def judge(st, sql):
    """The full passes of sql's plan: [(table, why, plan detail)]."""
    found = []
    names = st.names(sql)
    for row in plan(st.l, sql):
        d = row[3]
        m = re.match(r"SCAN (\S+)(.*)$", d)
        if m and "VIRTUAL TABLE" not in m.group(2) and m.group(1) != "CONSTANT":
            for t in sorted(names.get(m.group(1), ())):
                if st.growing(t):
                    found.append((t, "full scan", d))
            continue
        m = re.match(r"SEARCH (\S+) USING (.*)$", d)
        if not m:
            continue
        how = m.group(2)
        tables = sorted(names.get(m.group(1), ()))
        if "AUTOMATIC" in how:
            for t in tables:
                if st.growing(t):
                    found.append((t, "automatic index (built over the whole table each run)", d))
            continue
        mi = re.match(r"(?:COVERING |PARTIAL )*INDEX (\S+) \((.*)\)$", how)
        if not mi or mi.group(1) not in st.index:
            continue
        tbl = st.index[mi.group(1)][0]
        k = 0
        for term in mi.group(2).split(" AND "):
            if re.match(r"^[^<>]*=\?$", term):
                k += 1
            else:
                break
        if k == 0 or not st.growing(tbl):
            continue
        ds, dl = st.distinct(mi.group(1), k)
        per_key = st.rows[tbl][1] / max(dl, 1)
        if dl < 2 * max(ds, 1) and per_key >= 50:
            found.append((tbl, "look-up by a key that does not narrow with the data (%d -> %d "
                          "distinct keys, %.0f rows each)" % (ds, dl, per_key), d))
    return found


def main(argv):
    small = large = allow_path = extra = None
    logs = []
    a = argv[1:]
    while a:
        if a[0] == "--extra" and len(a) > 2:
            extra = (a[1], a[2])
            a = a[3:]
        elif a[0] in ("--small", "--large", "--allow") and len(a) > 1:
            if a[0] == "--small":
                small = a[1]
            elif a[0] == "--large":
                large = a[1]
            else:
                allow_path = a[1]
            a = a[2:]
        else:
            logs.append(a[0])
            a = a[1:]
    if not (small and large and allow_path and logs):
        sys.stderr.write(__doc__ if __doc__ else "usage: queryplan.py --small S --large L --allow F LOG...\n")
        return 2
    bad = 0
    allow = {}
    for no, line in enumerate(open(allow_path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        f = line.split("\t")
        if len(f) != 3 or not re.match(r"^[0-9a-f]{12}$", f[0]) or len(f[2].strip()) < 10 \
                or "REASON" in f[2]:
            print("FAIL %s:%d: not HASH<TAB>TABLE<TAB>REASON (a reason of 10 characters or more): %s"
                  % (allow_path, no, line))
            bad += 1
            continue
        allow[(f[0], f[1])] = f[2].strip()
    stmts = set()
    temp_ddl = []
    for path in logs:
        for s in open(path, "rb").read().split(b"\0"):
            s = s.decode("utf-8").strip()
            if s and DATA.match(s):
                stmts.add(s)
            elif s and TEMP_DDL.match(s) and s not in temp_ddl:
                temp_ddl.append(s)
    st = Store(small, large, extra)
    # the temporary tables a command makes for itself (verify's scratch
    # tables, core/store_verify.c): made again, empty, on both connections,
    # so that the statements over them can be planned (their indexes are
    # what is judged; being temporary, they are not counted as growing)
    for s in temp_ddl:
        for db in (st.s, st.l):
            try:
                db.execute(s)
            except sqlite3.Error:
                pass
    used = set()
    passes = []
    for sql in sorted(stmts):
        h = sha12(sql)
        try:
            found = judge(st, sql)
        except sqlite3.Error as e:
            print("FAIL %s: cannot plan it against the store (%s): %s" % (h, e, sql))
            bad += 1
            continue
        seen = set()
        for t, why, d in found:
            if (h, t) in seen:
                continue
            seen.add((h, t))
            if (h, t) in allow:
                used.add((h, t))
                passes.append("%s\t%s\t%s" % (h, t, allow[(h, t)]))
                continue
            bad += 1
            print("FAIL %s: %s of %s (plan: %s)" % (h, why, t, d))
            print("  SQL: %s" % sql)
            print("  if it is a deliberate whole-table pass (once per command, not per item), list it:")
            print("  %s\t%s\tREASON" % (h, t))
    for line in passes:
        print("whole-table pass (listed): " + line)
    for key in sorted(set(allow) - used):
        print("note: listed but not run here: %s\t%s" % key)
    grow = sorted(t for t in st.tables if st.growing(t))
    print("tables that grow with the data: " + " ".join(
        "%s(%d->%d)" % (t, st.rows[t][0], st.rows[t][1]) for t in grow))
    print("%d statements planned, %d whole-table passes listed, %d failures"
          % (len(stmts), len(passes), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
