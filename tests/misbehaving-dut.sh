#!/bin/sh
# misbehaving-dut.sh: impcert against DUTs that crash, hang or do not
# exist. Each case must end with verdict error and the reason, the run must
# go on and exit 1 (or 2 for setup errors), and no DUT process may be left.
set -u
B=${BUILD:-build}
T=$(mktemp -d /tmp/impcert-misbehave-XXXXXX)
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAILED: $*"; }

profile() { # NAME COMMAND [EXTRA LINE]
  printf 'name = %s\ncommand = %s\ncapabilities = jig, jig-power\n%s\n' \
    "$1" "$2" "${3:-}" >"$T/$1.conf"
}

# run NAME WANT_EXIT WANT_TEXT: impcert on two boot tests with profile NAME.
run() {
  "$B/bin/impcert" run --dut "$T/$1.conf" --plugins "$B/plugins" \
    --filter 'BOOT-00[13]' --junit "$T/$1.xml" >"$T/$1.out" 2>&1
  rc=$?
  [ "$rc" -eq "$2" ] && ok "$1: exit $rc" ||
    bad "$1: exit $rc, wanted $2: $(tail -n 5 "$T/$1.out")"
  if [ -n "$3" ]; then
    grep -q "$3" "$T/$1.out" && ok "$1: says '$3'" ||
      bad "$1: output lacks '$3': $(cat "$T/$1.out")"
  fi
}

profile crash '/bin/sh -c "kill -SEGV $$"'
run crash 1 "ERROR.*DUT died unexpectedly (killed by signal 11)"

profile silent "/bin/sleep 600" "startup_timeout_ms = 300"
run silent 1 "ERROR.*did not connect to the jig within 300 ms"

profile hang "/bin/sleep 601" "test_timeout_ms = 400
startup_timeout_ms = 5000"
run hang 1 "ERROR.*timed out after"

profile missing "/nonexistent/firmware --flash {flash}"
run missing 1 "cannot run '/nonexistent/firmware'"

printf 'command = x\nbogus = 1\n' >"$T/badkey.conf"
run badkey 2 "badkey.conf:2: unknown key 'bogus'"

# --until-fail stops after the first failing round.
"$B/bin/impcert" run --dut "$T/crash.conf" --plugins "$B/plugins" \
  --filter BOOT-001 --until-fail --repeat 5 >"$T/uf.out" 2>&1
grep -q "round 1 failed; stopping" "$T/uf.out" &&
  ! grep -q "round 2 of 5" "$T/uf.out" && ok "--until-fail stops at round 1" ||
  bad "--until-fail did not stop: $(cat "$T/uf.out")"

# The reports of the failing runs are still valid JUnit.
xmllint --noout --schema specs/junit.xsd "$T/crash.xml" 2>/dev/null &&
  ok "crash.xml validates" || bad "crash.xml does not validate"

sleep 0.2
if pgrep -f 'sleep 60[01]' >/dev/null; then
  bad "a DUT process was left running"
  pkill -f 'sleep 60[01]'
else
  ok "no DUT process left behind"
fi
rm -rf "$T"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
