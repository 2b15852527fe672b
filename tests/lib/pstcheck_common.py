"""What the PST read-back checkers share (pst_check.py, pst_cal_check.py,
pst_pab_check.py): the list of problems found, how one is recorded, how a
checker ends, and opening a file in pypff down to its "Top of ..." folder.
"""

import sys

problems = []


def bad(fmt, *a):
    """Record one problem (printf-style)."""
    problems.append(fmt % a if a else fmt)


def finish(summary):
    """Print the first 60 problems and the summary line; exit 1 if any."""
    for p in problems[:60]:
        print(p)
    if len(problems) > 60:
        print("... %d more" % (len(problems) - 60))
    print(summary)
    sys.exit(1 if problems else 0)


def pypff_top(path):
    """Open PATH with pypff: (file, root folder, 'Top of ...' folder or None)."""
    import pypff
    f = pypff.file()
    f.open(path)
    root = f.get_root_folder()
    top = None
    for i in range(root.number_of_sub_folders):
        s = root.get_sub_folder(i)
        if (s.name or "").startswith("Top of"):
            top = s
    return f, root, top
