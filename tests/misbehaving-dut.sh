#!/bin/sh
# misbehaving-dut.sh: impcert against DUTs that crash (at start and at each
# step of the conversation), hang, flood, send garbage, never connect or do
# not exist. Each case must end with a verdict and its reason, the run must
# go on and exit 1 (or 2 for setup errors), and no DUT process may be
# left (impcert reaps every DUT it started, dut.c).
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

profile silent "/bin/sleep 600.$$" "startup_timeout_ms = 300"
run silent 1 "ERROR.*did not connect to the jig within 300 ms"

profile hang "/bin/sleep 601.$$" "test_timeout_ms = 400
startup_timeout_ms = 5000"
run hang 1 "ERROR.*timed out after"

profile missing "/nonexistent/firmware --flash {flash}"
run missing 1 "cannot run '/nonexistent/firmware'"

printf 'command = x\nbogus = 1\n' >"$T/badkey.conf"
run badkey 2 "badkey.conf:2: unknown key 'bogus'"

# A fake device (tests/fakedut.py) that misbehaves at one step of the
# conversation: each gets a clean verdict naming what went wrong, and the
# run goes on to the second test.
fake() { # MODE TEST VERDICT TEXT
  profile "$1" "/usr/bin/python3 $(pwd)/tests/fakedut.py $1 --jig {jig} --ports {ports} --ca {ca} --server-name {server_name} --server-addr {server_addr}" "test_timeout_ms = 6000
startup_timeout_ms = 5000"
  run "$1" 1 "$2 .*$3 .*$4"
  grep -q "BOOT-003" "$T/$1.out" && ok "$1: the run went on" ||
    bad "$1: the run stopped after the first test"
}
fake die-after-hello BOOT-001 ERROR "the DUT died unexpectedly (exit status 1)"
fake jig-garbage BOOT-001 ERROR "the DUT broke the jig protocol: frame 1: length 3735928559 exceeds maximum 65536"
fake jig-flood BOOT-001 ERROR "DUT flooded the jig with over"
fake die-after-connect BOOT-001 ERROR "the DUT died unexpectedly (exit status 3)"
fake die-in-handshake BOOT-003 ERROR "the DUT died unexpectedly (killed by signal 11)"
fake die-after-request BOOT-003 ERROR "the DUT died unexpectedly (killed by signal 9)"
fake cloud-garbage BOOT-003 FAIL "got the session closed (frame 1: length 3735928559 exceeds maximum 262144)"
fake cloud-flood BOOT-003 FAIL "expected DeviceState, got ActivationRequest"
fake hang-after-request BOOT-003 ERROR "timed out after"

# --until-fail stops after the first failing round.
"$B/bin/impcert" run --dut "$T/crash.conf" --plugins "$B/plugins" \
  --filter BOOT-001 --until-fail --repeat 5 >"$T/uf.out" 2>&1
grep -q "round 1 failed; stopping" "$T/uf.out" &&
  ! grep -q "round 2 of 5" "$T/uf.out" && ok "--until-fail stops at round 1" ||
  bad "--until-fail did not stop: $(cat "$T/uf.out")"

# --retries: a DUT that crashes on its first power-on in this run, then
# works, passes on the retry and is reported FLAKY, never a silent pass.
profile flaky "/bin/sh -c 'm={flash}/../../crashed-once; if [ -e \$m ]; then exec $(pwd)/$B/bin/refimp --flash {flash} --server-name {server_name} --server-addr {server_addr} --ports {ports} --ca {ca} --jig {jig}; else touch \$m; kill -SEGV \$\$; fi'"
"$B/bin/impcert" run --dut "$T/flaky.conf" --plugins "$B/plugins" \
  --filter BOOT-001 --retries 2 --junit "$T/flaky.xml" >"$T/fl.out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "BOOT-001.*FLAKY" "$T/fl.out" &&
  grep -q "1 of the passes are flaky" "$T/fl.out" &&
  ok "a pass after a retry is reported FLAKY" ||
  bad "flaky: exit $rc: $(cat "$T/fl.out")"
grep -q '<flakyError type="error" message="error: attempt 1:' "$T/flaky.xml" &&
  xmllint --noout --schema specs/junit.xsd "$T/flaky.xml" 2>/dev/null &&
  ok "the flaky pass carries a flakyError and validates" ||
  bad "flaky.xml lacks flakyError or does not validate"

# A signal stops a run: the running test ends as an error, the one not
# started is left out, the report is written, the DUT is killed, the work
# folder removed, and the exit status is 3.
profile stuck "/bin/sleep 602.$$" "test_timeout_ms = 60000
startup_timeout_ms = 60000"
mkdir -p "$T/work"
IMPCERT_WORKDIR="$T/work" "$B/bin/impcert" run --dut "$T/stuck.conf" \
  --plugins "$B/plugins" --filter 'BOOT-00[13]' --junit "$T/stuck.xml" \
  >"$T/stuck.out" 2>&1 &
ic=$!
for _ in $(seq 50); do pgrep -f "sleep 602\.$$" >/dev/null && break; sleep 0.1; done
kill -INT $ic
wait $ic
rc=$?
[ $rc -eq 3 ] && grep -q "interrupted by signal 2: 1 of the selected tests ran" "$T/stuck.out" &&
  grep -q "BOOT-001 .*ERROR .*interrupted by signal 2" "$T/stuck.out" &&
  ok "SIGINT stops the run with exit 3 and says so" ||
  bad "SIGINT: exit $rc: $(cat "$T/stuck.out")"
grep -q 'BOOT-001' "$T/stuck.xml" && ! grep -q 'BOOT-003' "$T/stuck.xml" &&
  xmllint --noout --schema specs/junit.xsd "$T/stuck.xml" 2>/dev/null &&
  ok "the interrupted run's report holds the test that ran, and validates" ||
  bad "stuck.xml: $(cat "$T/stuck.xml" 2>&1 | head -20)"
[ -z "$(ls -A "$T/work")" ] && ok "the interrupted run removed its work folder" ||
  bad "left in the work folder: $(ls -A "$T/work")"

# The reports of the failing runs are still valid JUnit.
xmllint --noout --schema specs/junit.xsd "$T/crash.xml" 2>/dev/null &&
  ok "crash.xml validates" || bad "crash.xml does not validate"

sleep 0.2
# only this run's DUTs: other clones may run this script at the same time
mine="sleep 60[012]\\.$$|$(pwd)/tests/fakedut.py"
if pgrep -f "$mine" >/dev/null; then
  bad "a DUT process was left running: $(pgrep -af "$mine")"
else
  ok "no DUT process left behind"
fi
rm -rf "$T"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
