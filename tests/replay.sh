#!/bin/sh
# replay.sh: `impcert replay` of every capture in captures/ against refimp,
# each judged by its .expect file; synthesized captures regenerated from
# their captures/src/*.conv must be byte for byte the committed ones; and
# the replay's own failure paths (a divergence it must find, bad inputs,
# --emit-test). Ends with "N passed, N failed".
set -u
B=${BUILD:-build}
IC=$B/bin/impcert
CAPGEN=$B/bin/capgen
DUT=harness/duts/refimp-native.conf
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0
skip=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# --- every capture, as its .expect says -----------------------------------
for cap in captures/*.app.pcap; do
  name=$(basename "$cap" .app.pcap)
  if [ ! -f "captures/$name.expect" ]; then
    bad "$name: captures/$name.expect is missing"
    continue
  fi
  "$IC" replay "$cap" --dut "$DUT" --timeout 3000 >"$TMP/$name.out" 2>&1
  rc=$?
  if grep -q ': SKIP: ' "$TMP/$name.out"; then
    skip=$((skip + 1))
    echo "skip: $name ($(sed -n 's/.*SKIP: //p' "$TMP/$name.out"))"
  elif [ $rc -eq 0 ]; then
    ok "$name: $(tail -n 1 "$TMP/$name.out" | sed 's/^impcert replay: //')"
  else
    bad "$name: exit $rc"
    cat "$TMP/$name.out"
  fi
done

# --- synthesized captures are what their conversation says -----------------
for conv in captures/src/*.conv; do
  name=$(basename "$conv" .conv)
  if "$CAPGEN" "$conv" "$TMP/$name.app.pcap" 2>"$TMP/$name.err" &&
     cmp -s "$TMP/$name.app.pcap" "captures/$name.app.pcap"; then
    ok "$name: capgen $conv reproduces captures/$name.app.pcap"
  else
    bad "$name: capgen $conv differs from captures/$name.app.pcap" \
        "$(cat "$TMP/$name.err")"
  fi
done

# --- the replay finds a divergence, names the field, shows both sides ------
# cold boot whose recorded device reported wake reason 0 instead of 9.
sed -n '1,/D DeviceState/p' captures/src/server-list.conv |
  sed 's/wake_reason=9/wake_reason=0/' >"$TMP/wrong-wake.conv"
"$CAPGEN" "$TMP/wrong-wake.conv" "$TMP/wrong-wake.app.pcap"
"$IC" replay "$TMP/wrong-wake.app.pcap" --dut "$DUT" --timeout 3000 \
  >"$TMP/ww.out" 2>&1
rc=$?
step=$("$IC" replay "$TMP/wrong-wake.app.pcap" --steps | grep -n DeviceState |
  cut -d: -f1)
if [ $rc -eq 1 ] &&
   grep -q "diverges at step $step (packet [0-9]*, byte offset [0-9]*): device_state.wake_reason" "$TMP/ww.out" &&
   grep -q 'capture: DeviceState{.*wake_reason=0' "$TMP/ww.out" &&
   grep -q 'DUT: *DeviceState{.*wake_reason=9' "$TMP/ww.out"; then
  ok "a wrong wake reason diverges at step $step with both sides, exit 1"
else
  bad "a wrong wake reason: exit $rc"; cat "$TMP/ww.out"
fi
# The same divergence written in an .expect makes it pass.
printf 'diverge at step %s: device_state.wake_reason\n' "$step" \
  >"$TMP/wrong-wake.expect"
if "$IC" replay "$TMP/wrong-wake.app.pcap" --dut "$DUT" --timeout 3000 \
   >/dev/null 2>&1; then
  ok "an .expect naming that divergence exits 0"
else
  bad "an .expect naming that divergence did not exit 0"
fi
# A field-bug capture against an .expect of 'match' fails.
echo match >"$TMP/m.expect"
"$IC" replay captures/fieldbug-no-wifi-settings.app.pcap --dut "$DUT" \
  --expect "$TMP/m.expect" --timeout 1000 >"$TMP/fb.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q 'NOT as expected' "$TMP/fb.out"; then
  ok "a field bug replayed with expect 'match' exits 1"
else
  bad "a field bug with expect 'match': exit $rc"; cat "$TMP/fb.out"
fi

# --- --emit-test: a capture becomes a test tests/replay.sh then runs -------
mkdir "$TMP/emit"
"$IC" replay captures/fieldbug-blinkup-crash.app.pcap --dut "$DUT" \
  --timeout 1000 --emit-test "$TMP/emit" >"$TMP/emit.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -qx 'diverge at step 7: jig-not-closed' \
     "$TMP/emit/fieldbug-blinkup-crash.expect" &&
   cmp -s captures/fieldbug-blinkup-crash.app.pcap \
     "$TMP/emit/fieldbug-blinkup-crash.app.pcap" &&
   "$IC" replay "$TMP/emit/fieldbug-blinkup-crash.app.pcap" --dut "$DUT" \
     --timeout 1000 >/dev/null 2>&1; then
  ok "--emit-test writes the pair, and replaying it passes"
else
  bad "--emit-test: exit $rc"; cat "$TMP/emit.out"
fi
"$IC" replay captures/fieldbug-blinkup-crash.app.pcap --dut "$DUT" \
  --timeout 1000 --emit-test "$TMP/emit" >"$TMP/emit2.out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q 'exists already' "$TMP/emit2.out"; then
  ok "--emit-test refuses to overwrite an .expect (exit 2)"
else
  bad "--emit-test over an existing .expect: exit $rc"
fi

# --- bad input: clear messages and exit 2 ----------------------------------
# expect_2 NAME PATTERN CMD...: CMD exits 2 and its output matches PATTERN.
expect_2() {
  name=$1; pat=$2; shift 2
  "$@" >"$TMP/e.out" 2>&1
  rc=$?
  if [ $rc -eq 2 ] && grep -q -- "$pat" "$TMP/e.out"; then
    ok "$name (exit 2)"
  else
    bad "$name: exit $rc, want 2 and '$pat'"; cat "$TMP/e.out"
  fi
}
head -c 300 captures/code-update.app.pcap >"$TMP/cut.app.pcap"
expect_2 "a cut capture names the byte offset" "at offset [0-9]*" \
  "$IC" replay "$TMP/cut.app.pcap" --steps
printf 'not a pcap at all\n' >"$TMP/junk.app.pcap"
expect_2 "a non-pcap is refused naming the file" "junk.app.pcap: at offset 0" \
  "$IC" replay "$TMP/junk.app.pcap" --steps
printf 'match\ndiverge at step two: x\n' >"$TMP/bad.expect"
expect_2 "a bad .expect line names file:line" "bad.expect:2:" \
  "$IC" replay captures/reload.app.pcap --dut "$DUT" --expect "$TMP/bad.expect"
printf 'diverge at step 999: kind\n' >"$TMP/far.expect"
expect_2 "an .expect step past the end is refused" "step 999 does not exist" \
  "$IC" replay captures/reload.app.pcap --dut "$DUT" --expect "$TMP/far.expect"
expect_2 "no --dut is a usage error" "needs --dut" \
  "$IC" replay captures/reload.app.pcap
expect_2 "a bad --timeout is a usage error" "timeout" \
  "$IC" replay captures/reload.app.pcap --dut "$DUT" --timeout 0
if [ -f "$B/check-captures/BOOT-004.pcap" ]; then
  expect_2 "a TLS capture is refused with a hint" "app.pcap" \
    "$IC" replay "$B/check-captures/BOOT-004.pcap" --steps
fi
if "$IC" replay --help | grep -q 'emit-test'; then
  ok "--help describes --emit-test (exit 0)"
else
  bad "--help"
fi

echo "($skip captures skipped: the profile lacks a capability they need)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
