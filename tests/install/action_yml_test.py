#!/usr/bin/env python3
"""action.yml (the GitHub Action at the top of the repository) is a composite action whose
inputs are `ktstr-vm suite`'s own options: each input but `suite` (the manifest) names an option
that `ktstr-vm suite --help` lists, and the run step passes it as that option. It caches, fetches
the kernel, and uploads the JUnit file and the artifacts.
Usage: action_yml_test.py ACTION_YML KTSTR_VM"""
import re
import subprocess
import sys

import yaml

action_path, ktstr_vm = sys.argv[1], sys.argv[2]
action = yaml.safe_load(open(action_path, encoding="utf-8"))
help_text = subprocess.run([ktstr_vm, "suite", "--help"], check=True, capture_output=True, text=True).stdout
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


inputs = action.get("inputs", {})
steps = action["runs"]["steps"]
check(action["runs"]["using"] == "composite", "a composite action")
for name in ("suite", "shard", "retries", "junit"):
    check(name in inputs, f"input {name}")
check(inputs.get("suite", {}).get("required") is True, "suite is required")
check(re.search(r"^\s*manifest\b", help_text, re.M) is not None, "suite --help has the manifest positional")

run_step = next((s for s in steps if s.get("id") == "suite"), {})
script = run_step.get("run", "")
env = run_step.get("env", {})
for name in inputs:
    if name == "suite":
        check('suite "$SUITE"' in script and env.get("SUITE") == "${{ inputs.suite }}", "the manifest is passed")
        continue
    option = "--" + name
    check(re.search(r"^\s*(-\w,\s*)?" + re.escape(option) + r"\b", help_text, re.M) is not None,
          f"input {name}: `ktstr-vm suite --help` has {option}")
    var = name.upper()
    check(env.get(var) == "${{ inputs.%s }}" % name, f"input {name} reaches the run step as ${var}")
    check(f'{option} "${var}"' in script, f"input {name} is passed as {option}")

uses = [s.get("uses", "") for s in steps]
check(sum(u.startswith("actions/cache@") for u in uses) >= 1, "caches the set-up and the tool")
check(any("kernel fetch" in s.get("run", "") for s in steps), "fetches the kernel")
uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
check(any(s["with"]["path"] == "${{ inputs.junit }}" and s.get("if") == "always()" for s in uploads),
      "uploads the JUnit file, always")
check(any(s["with"]["path"] == "${{ inputs.artifacts }}" and s.get("if") == "always()" for s in uploads),
      "uploads the artifacts, always")
check(steps[-1].get("run", "").strip() == 'exit "${{ steps.suite.outputs.status }}"',
      "the last step ends with the suite's status")

for f in failures:
    print("FAIL:", f)
print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
