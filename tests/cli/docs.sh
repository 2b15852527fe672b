#!/bin/sh
# docs.sh: the documentation's links resolve.  Every relative Markdown link
# in README.md and docs/**/*.md points at a file that exists (and at a
# heading that exists when it names one), and every `docs/...` path these
# pages name exists in the tree.  The checker is first run on a small tree
# with one broken link, one missing heading and one missing docs/ path, and
# must report exactly those.
. "$(dirname "$0")/lib.sh"

cat > "$T/links.py" <<'PY'
import os, re, sys
root = sys.argv[1]
files = ['README.md'] + sorted(os.path.relpath(os.path.join(d, f), root)
        for d, _, fs in os.walk(os.path.join(root, 'docs')) for f in fs if f.endswith('.md'))
link_re = re.compile(r'\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
docs_re = re.compile(r'(?<![\w./-])(docs/[\w./-]*)')
def slugs(path):
    out, seen = set(), {}
    fence = False
    for line in open(path, encoding='utf-8'):
        if line.startswith('```'):
            fence = not fence
            continue
        m = None if fence else re.match(r'#{1,6}\s+(.*?)\s*#*\s*$', line)
        if not m:
            continue
        t = re.sub(r'[`*_]|\[([^\]]*)\]\([^)]*\)', lambda x: x.group(1) or '', m.group(1))
        s = re.sub(r'[^\w\- ]', '', t.lower()).replace(' ', '-')
        n = seen.get(s, 0); seen[s] = n + 1
        out.add(s if n == 0 else '%s-%d' % (s, n))
    return out
bad = 0
nlinks = npaths = 0
for f in files:
    src = os.path.join(root, f)
    fence = False
    for no, line in enumerate(open(src, encoding='utf-8'), 1):
        if line.startswith('```'):
            fence = not fence
        for p in docs_re.findall(line):
            p = p.rstrip('.,;:')
            npaths += 1
            if not os.path.exists(os.path.join(root, p)):
                print('%s:%d: %s does not exist' % (f, no, p)); bad += 1
        if fence:
            continue
        for t in link_re.findall(line):
            if re.match(r'[a-zA-Z][a-zA-Z0-9+.-]*:', t):
                continue
            nlinks += 1
            path, _, frag = t.partition('#')
            target = os.path.normpath(os.path.join(os.path.dirname(src), path)) if path else src
            if not os.path.exists(target):
                print('%s:%d: link %s: %s does not exist' % (f, no, t, os.path.relpath(target, root))); bad += 1
            elif frag and target.endswith('.md') and frag not in slugs(target):
                print('%s:%d: link %s: no heading #%s in %s' % (f, no, t, frag, os.path.relpath(target, root))); bad += 1
print('%d files, %d links, %d docs/ paths, %d broken' % (len(files), nlinks, npaths, bad))
sys.exit(1 if bad else 0)
PY

# the checker itself: a tree with three faults, each reported (the missing
# link target is also a missing docs/ path)
mkdir -p "$T/tree/docs/sub"
printf '# Top\n\nSee [a](docs/a.md), `docs/sub/`, `docs/missing.md` and [b](docs/b.md).\n' > "$T/tree/README.md"
printf '# A page\n\n## Second part\n\n[up](../README.md#top), [here](#second-part), [no](#third-part)\n' > "$T/tree/docs/a.md"
python3 "$T/links.py" "$T/tree" > "$T/self.out" 2>&1
sed 's/^/  | /' "$T/self.out"
check_out "the checker finds a broken link, a missing heading and a missing docs/ path" \
	"README.md:3: docs/missing.md does not exist
README.md:3: docs/b.md does not exist
README.md:3: link docs/b.md: docs/b.md does not exist
docs/a.md:5: link #third-part: no heading #third-part in docs/a.md
2 files, 5 links, 4 docs/ paths, 4 broken" cat "$T/self.out"
check_exit 1 "... and exits 1" python3 "$T/links.py" "$T/tree"

# the real tree
python3 "$T/links.py" "$SRC" > "$T/real.out" 2>&1
rc=$?
sed 's/^/  | /' "$T/real.out"
_result $rc "every relative link and docs/ path in README.md and docs/ resolves"
check "README.md links docs/formats.md and docs/formats.md exists" sh -c \
	'grep -q "docs/formats.md" "$1/README.md" && test -f "$1/docs/formats.md"' sh "$SRC"
for f in ccmail-export-set.md msmail-export-bundle.md exchange-migration-files.md \
	background/ccmail-research.md background/msmail-research.md; do
	check "docs/formats/$f is in the repository" test -s "$SRC/docs/formats/$f"
done
# code cites the contracts where they are: docs/formats/, not a folder
# outside the repository
check "no source or doc cites shared/formats/ or /work/shared (outside the repository)" sh -c '
	cd "$1" && ! grep -rn -I --exclude=docs.sh --exclude-dir=out -E "shared/formats|/work/shared|\.\./shared/" \
		README.md docs core engine importers exporters cli tests scripts schema bench Makefile' sh "$SRC"
check "every docs/formats/... path cited in the code exists" sh -c '
	cd "$1" && for p in $(grep -rhoI -E "docs/formats/[A-Za-z0-9_./-]*[A-Za-z0-9_/-]" \
		core engine importers exporters cli tests | sort -u); do
		test -e "$p" || { echo "missing: $p"; exit 1; }; done' sh "$SRC"

finish
