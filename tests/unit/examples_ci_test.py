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
# The GitHub workflow runs the suite through ktstr-init's action (action.yml, checked by
# tests/install/action_yml_test.py): it caches the set-up and uploads the artifacts itself.
action = [s for s in steps if s.get("uses", "").split("@")[0].endswith("/ktstr-init")]
check(job["strategy"]["matrix"]["shard"] == [1, 2, 3, 4], "github: shard matrix 1..4")
check(len(action) == 1 and action[0]["uses"].endswith("@v1"), "github: uses <org>/ktstr-init@v1")
w = action[0].get("with", {}) if action else {}
check(str(w.get("shard")) == "${{ matrix.shard }}/4", "github: shard I/4 from the matrix")
check("suite" in w and "junit" in w and "retries" in w, "github: suite, junit and retries given")
check("/dev/kvm" in job["container"]["options"], "github: passes /dev/kvm")
check(job["container"]["image"] == "debian:bookworm", "github: Debian 12, as the set-up expects")
check("junit" in str(gh["jobs"]["report"]), "github: publishes JUnit")

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
print(f"{7 + 6 - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
