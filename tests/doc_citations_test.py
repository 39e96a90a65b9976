#!/usr/bin/env python3
"""Every `*.md` path cited in the repository's sources, headers, scripts and docs names a file
that exists in the repository. A citation is a path token ending in `.md`; it may be written
relative to the citing file's folder (a sibling page, inside docs/) or to the repository
root (a page under docs/, named with its folder). Outside documents are named by project and title, never by a path, so
any path that resolves nowhere is a stale citation and fails this test.

Usage: doc_citations_test.py REPO_ROOT
       doc_citations_test.py --self-check   (a scratch repository with one good and one stale
                                             citation: only the stale one is reported)
"""
import os
import re
import subprocess
import sys

CITED = re.compile(r"[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b")
CHECKED_SUFFIXES = (".c", ".cpp", ".hpp", ".h", ".in", ".sh", ".py", ".md", ".txt", ".cmake",
                    ".toml", ".yml", ".yaml", ".json")


def tracked_files(root):
    out = subprocess.run(["git", "-C", root, "ls-files", "-z", "--cached", "--others",
                          "--exclude-standard"], capture_output=True, check=True).stdout
    return [p for p in out.decode().split("\0") if p]


def resolves(root, citing, cited):
    cited = cited.lstrip("./") if cited.startswith("./") else cited
    here = os.path.dirname(citing)
    for base in (here, ""):
        path = os.path.normpath(os.path.join(root, base, cited))
        if path.startswith(os.path.abspath(root) + os.sep) and os.path.isfile(path):
            return True
    return False


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    stale = []
    files = [f for f in tracked_files(root)
             if f.endswith(CHECKED_SUFFIXES) or os.path.basename(f) in ("CMakeLists.txt",)]
    for rel in files:
        if rel.startswith("build/") or rel == "tests/doc_citations_test.py":
            continue  # build output; this checker's own self-check names made-up pages
        try:
            with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
                lines = f.readlines()
        except (FileNotFoundError, IsADirectoryError):
            continue
        for number, line in enumerate(lines, 1):
            for match in CITED.finditer(line):
                cited = match.group(0)
                if "://" in line[max(0, match.start() - 80):match.start()]:
                    continue  # part of a URL: an outside page, not a repository path
                if "share/doc/" in cited:
                    continue  # where an install puts the docs, not a citation
                if not resolves(root, rel, cited):
                    stale.append(f"{rel}:{number}: cites {cited}, which is not in the repository")
    for s in stale:
        print(s)
    print(f"{len(files)} files checked, {len(stale)} stale citations")
    return 1 if stale else 0


def self_check():
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "docs"))
        open(os.path.join(tmp, "docs", "real.md"), "w").write("see sibling real.md\n")
        open(os.path.join(tmp, "a.cpp"), "w").write("// docs/real.md and docs/gone.md\n")
        subprocess.run(["git", "init", "-q", tmp], check=True)
        got = subprocess.run([sys.executable, __file__, tmp], capture_output=True, text=True)
        ok = got.returncode == 1 and "a.cpp:1: cites docs/gone.md" in got.stdout \
            and "real.md" not in got.stdout.replace("2 files checked", "")
        print(got.stdout, end="")
        print("self-check:", "ok" if ok else "FAILED")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(self_check() if sys.argv[1:] == ["--self-check"] else main())
