#!/bin/sh
# junit-reader.sh: reads a report written by the harness's JUnit writer the
# way its consumers do. `harness_junit_test --write-sample` writes a report
# with all five verdicts and hostile text and prints the counts it holds;
# the report must then pass xmllint against specs/junit.xsd, and Debian's
# python3-junitparser must count the same testcases, failures, errors and
# skips. One line per check, then "N passed, N failed". Run from the
# repository root with BUILD set (tests/check.sh does); writes only to a
# temporary directory.
set -u
B=${BUILD:-build}
T=$B/tests/harness_junit_test
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/junit-reader.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
FILE=$tmp/sample.xml

# check NAME CMD...: run CMD, count it, show its output when it fails.
check() {
  name=$1; shift
  if "$@" >"$tmp/out" 2>&1; then
    pass=$((pass + 1)); echo "junit-reader: ok   $name"
  else
    fail=$((fail + 1)); echo "junit-reader: FAIL $name"
    sed 's/^/    /' "$tmp/out" | head -n 30
  fi
}

write_sample() {
  [ -x "$T" ] || { echo "$T not built"; return 1; }
  "$T" --write-sample "$FILE" >"$tmp/expected" || return 1
  cat "$tmp/expected"
  grep -Eq '^tests=[0-9]+ failures=[0-9]+ errors=[0-9]+ skipped=[0-9]+$' \
    "$tmp/expected"
}

# A python3 that has junitparser (the Debian one if PATH has another).
find_python() {
  for py in python3 /usr/bin/python3; do
    if "$py" -c 'import junitparser' 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  return 1
}

junitparser_counts() {
  py=$(find_python) || { echo "no python3 with junitparser"; return 1; }
  "$py" - "$FILE" "$(cat "$tmp/expected")" <<'EOF'
import sys
from junitparser import JUnitXml, Failure, Error, Skipped

path, expected = sys.argv[1], sys.argv[2]
want = dict(kv.split("=") for kv in expected.split())
want = {k: int(v) for k, v in want.items()}
xml = JUnitXml.fromfile(path)
got = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
attrs = dict(got)
bad = []
for suite in xml:
    per = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for case in suite:
        per["tests"] += 1
        results = case.result
        if len(results) > 1:
            bad.append("%s: %d outcome elements" % (case.name, len(results)))
        for r in results:
            if isinstance(r, Failure):
                per["failures"] += 1
            elif isinstance(r, Error):
                per["errors"] += 1
            elif isinstance(r, Skipped):
                per["skipped"] += 1
    for k in per:
        got[k] += per[k]
        a = getattr(suite, k)
        attrs[k] += a if a is not None else 0
        if a != per[k]:
            bad.append("suite %s: %s attribute %s, testcases say %d"
                       % (suite.name, k, a, per[k]))
for k in want:
    if got[k] != want[k]:
        bad.append("%s: junitparser counted %d, writer wrote %d"
                   % (k, got[k], want[k]))
print("counted", " ".join("%s=%d" % (k, got[k]) for k in sorted(got)))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF
}

# No consumer may count an inconclusive case as a pass, and each one has
# its inconclusive.<name> suite property.
junitparser_inconclusive() {
  py=$(find_python) || { echo "no python3 with junitparser"; return 1; }
  "$py" - "$FILE" <<'EOF'
import sys
from junitparser import JUnitXml, Error

xml = JUnitXml.fromfile(sys.argv[1])
n, bad = 0, []
for suite in xml:
    props = {p.name: p.value for p in suite.properties()}
    for case in suite:
        for r in case.result:
            if isinstance(r, Error) and r.type == "inconclusive":
                n += 1
                if case.is_passed:
                    bad.append(case.name + " counts as passed")
                if "inconclusive." + case.name not in props:
                    bad.append(case.name + " lacks its property")
print("inconclusive cases:", n)
for b in bad:
    print(b)
sys.exit(1 if bad or n == 0 else 0)
EOF
}

# Each device_time.<name> property names a case of its suite and holds a
# plain decimal (seconds, as testcase/@time); the sample has one.
junitparser_device_time() {
  py=$(find_python) || { echo "no python3 with junitparser"; return 1; }
  "$py" - "$FILE" <<'EOF'
import re, sys
from junitparser import JUnitXml

xml = JUnitXml.fromfile(sys.argv[1])
n, bad = 0, []
for suite in xml:
    names = {case.name for case in suite}
    for p in suite.properties():
        if not p.name.startswith("device_time."):
            continue
        n += 1
        case = p.name[len("device_time."):]
        if case not in names:
            bad.append(p.name + " names no case of suite " + suite.name)
        if not re.fullmatch(r"[0-9]+\.[0-9]{3}", p.value or ""):
            bad.append("%s = %r is not seconds like 1.250" % (p.name, p.value))
print("device_time properties:", n)
for b in bad:
    print(b)
sys.exit(1 if bad or n == 0 else 0)
EOF
}

check "harness_junit_test --write-sample" write_sample
if [ -s "$FILE" ]; then
  check "xmllint well-formed" xmllint --noout "$FILE"
  check "xmllint --schema specs/junit.xsd" \
    xmllint --noout --schema specs/junit.xsd "$FILE"
  check "junitparser counts match the writer" junitparser_counts
  check "junitparser: inconclusive is never a pass" junitparser_inconclusive
  check "device_time properties name cases, hold seconds" \
    junitparser_device_time
else
  fail=$((fail + 1)); echo "junit-reader: FAIL no sample file to read"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
