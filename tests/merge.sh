#!/bin/sh
# merge.sh: shards cover each test exactly once, and `impcert merge` joins
# their reports into one that validates and holds every test.
set -u
B=${BUILD:-build}
T=$(mktemp -d /tmp/impcert-merge-XXXXXX)
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAILED: $*"; }
IC="$B/bin/impcert"

all=$("$IC" list --plugins "$B/plugins" | awk '{print $1}' | sort)
s1=$("$IC" list --plugins "$B/plugins" --shard 1/3 | awk '{print $1}')
s2=$("$IC" list --plugins "$B/plugins" --shard 2/3 | awk '{print $1}')
s3=$("$IC" list --plugins "$B/plugins" --shard 3/3 | awk '{print $1}')
joined=$(printf '%s\n%s\n%s\n' "$s1" "$s2" "$s3" | sort)
[ "$joined" = "$all" ] && ok "3 shards cover every test exactly once" ||
  bad "shards 1..3 do not partition the tests"
again=$("$IC" list --plugins "$B/plugins" --shard 2/3 | awk '{print $1}')
[ "$again" = "$s2" ] && ok "a shard is the same on every call" ||
  bad "shard 2/3 changed between calls"
"$IC" list --plugins "$B/plugins" --shard 4/3 >/dev/null 2>&1
[ $? -eq 2 ] && ok "--shard 4/3 is a usage error" || bad "--shard 4/3 accepted"

for k in 1 2; do
  "$IC" run --dut harness/duts/refimp-native.conf --plugins "$B/plugins" \
    --filter 'SEC-*' --shard "$k/2" -q --junit "$T/s$k.xml" >/dev/null 2>&1
done
if "$IC" merge "$T/s1.xml" "$T/s2.xml" -o "$T/all.xml" >/dev/null; then
  ok "merge wrote $T/all.xml"
else
  bad "merge failed"
fi
xmllint --noout --schema specs/junit.xsd "$T/all.xml" 2>/dev/null &&
  ok "the merged report validates" || bad "the merged report does not validate"
n=$(/usr/bin/python3 - "$T/all.xml" <<'PY'
import sys
from junitparser import JUnitXml
print(sum(1 for s in JUnitXml.fromfile(sys.argv[1]) for c in s))
PY
)
want=$("$IC" list --plugins "$B/plugins" --filter 'SEC-*' | wc -l)
[ "$want" -gt 1 ] && [ "$n" = "$want" ] &&
  ok "the merged report holds the $want SEC tests" ||
  bad "the merged report holds '$n' tests, not $want"
echo "not xml" >"$T/bad.xml"
"$IC" merge "$T/s1.xml" "$T/bad.xml" -o "$T/x.xml" 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && grep -q "bad.xml: not well-formed" "$T/err" &&
  [ ! -e "$T/x.xml" ] && ok "a broken input is named and nothing written" ||
  bad "broken input: exit $rc, $(cat "$T/err")"
rm -rf "$T"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
