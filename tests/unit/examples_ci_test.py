#!/usr/bin/env python3
"""examples/ci/: both CI files are valid YAML and do what the README says they do: a shard
matrix, the set-up cache, KVM where the runner has it, failed tests' artifacts, JUnit."""
import sys
from pathlib import Path

import yaml

ci = Path(sys.argv[1])
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


gh = yaml.safe_load((ci / "github-actions.yml").read_text())
job = gh["jobs"]["suite"]
steps = job["steps"]
text = (ci / "github-actions.yml").read_text()
check(job["strategy"]["matrix"]["shard"] == [1, 2, 3, 4], "github: shard matrix 1..4")
check(any("ktstr-vm suite" in s.get("run", "") and "--shard ${{ matrix.shard }}/4" in s.get("run", "")
          for s in steps), "github: runs `ktstr-vm suite --shard I/N`")
check(any(s.get("uses", "").startswith("actions/cache") for s in steps), "github: caches the set-up")
check("/dev/kvm" in job["container"]["options"], "github: passes /dev/kvm")
check(any(s.get("uses", "").startswith("actions/upload-artifact") and s.get("if") == "failure()"
          and "ktstr-artifacts" in s["with"]["path"] for s in steps), "github: uploads failed artifacts")
check("--junit" in text and "junit" in str(gh["jobs"]["report"]), "github: publishes JUnit")

gl = yaml.safe_load((ci / "gitlab-ci.yml").read_text())
j = gl["ktstr-suite"]
script = " ".join(j["script"])
check(j["parallel"] == 4, "gitlab: parallel: 4")
check('--shard "$CI_NODE_INDEX/$CI_NODE_TOTAL"' in script, "gitlab: shards by CI_NODE_INDEX/CI_NODE_TOTAL")
check(".ktstr-cache/" in j["cache"]["paths"], "gitlab: caches the set-up")
check("ktstr-artifacts/" in j["artifacts"]["paths"] and j["artifacts"]["when"] == "always", "gitlab: artifacts")
check("junit" in j["artifacts"]["reports"], "gitlab: JUnit report")
check("/dev/kvm" in " ".join(j["before_script"]), "gitlab: KVM where present")

for f in failures:
    print("FAIL:", f)
print(f"{6 + 6 - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
