#!/usr/bin/env python3
"""The host's layers point one way (docs/architecture.md, "Layers of src/host"): a file in a
layer includes headers of its own folder and of the layers below it, never above. The build
enforces this too (each layer's library sees only the folders below it); this test names the
offending line, and with --self-check shows that an upward include is caught. It also checks
that docs/architecture.md's layer table names every file of every layer.

Usage: host_layers_test.py SRC_HOST_DIR
       host_layers_test.py --self-check
"""
import os
import re
import sys
import tempfile

# Each layer and what it may include, besides itself (transitively closed).
BELOW = {
    "base": set(),
    "report": {"base"},
    "verdict": {"base"},
    "pack": {"base"},
    "vm": {"pack", "verdict", "report", "base"},
    "suite": {"vm", "pack", "verdict", "report", "base"},
    "cli": {"suite", "vm", "pack", "verdict", "report", "base"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def check(host):
    owner = {}
    for layer in BELOW:
        folder = os.path.join(host, layer)
        for name in os.listdir(folder) if os.path.isdir(folder) else []:
            owner[name] = layer
    owner["base_layout.hpp"] = "pack"  # generated from pack/base_layout.hpp.in
    problems = []
    for layer in BELOW:
        folder = os.path.join(host, layer)
        if not os.path.isdir(folder):
            problems.append(f"{layer}/: missing layer folder")
            continue
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    header = os.path.basename(m.group(1))
                    target = owner.get(header)
                    if target and target != layer and target not in BELOW[layer]:
                        problems.append(f"{layer}/{name}:{number}: includes {target}/{header}, "
                                        f"a layer above or beside {layer}")
    loose = [n for n in os.listdir(host) if n.endswith((".cpp", ".hpp"))]
    problems += [f"{n}: a source outside every layer folder" for n in sorted(loose)]
    return problems


def undocumented(host):
    """Files of a layer folder that docs/architecture.md's layer table does not name."""
    doc = os.path.join(host, "..", "..", "docs/architecture.md")
    text = open(doc, encoding="utf-8").read() if os.path.isfile(doc) else ""
    missing = []
    for layer in BELOW:
        folder = os.path.join(host, layer)
        for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            stem = name.split(".")[0]
            if f"{layer}/{stem}." not in text and f"`{layer}/{name}`" not in text:
                missing.append(f"{layer}/{name}: not in docs/architecture.md's layer table")
    return sorted(set(missing))


def self_check():
    with tempfile.TemporaryDirectory() as tmp:
        for layer in BELOW:
            os.makedirs(os.path.join(tmp, layer))
        open(os.path.join(tmp, "vm", "vm_session.hpp"), "w").write("#pragma once\n")
        open(os.path.join(tmp, "pack", "pack.cpp"), "w").write('#include "vm_session.hpp"\n')
        open(os.path.join(tmp, "cli", "main.cpp"), "w").write('#include "vm_session.hpp"\n')
        got = check(tmp)
        ok = got == ["pack/pack.cpp:1: includes vm/vm_session.hpp, a layer above or beside pack"]
        print("\n".join(got))
        print("self-check:", "ok" if ok else "FAILED")
        return 0 if ok else 1


def main():
    if sys.argv[1:] == ["--self-check"]:
        return self_check()
    problems = check(sys.argv[1]) + undocumented(sys.argv[1])
    print("\n".join(problems) if problems else "every include points down or sideways within a layer")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
