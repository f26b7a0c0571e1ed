#!/bin/sh
# cross-suite.sh: the conformance suite and the Squirrel language cases
# against refimp/sqrun cross-built for CROSS_ARCH (armhf, the default, or
# arm64) and run under qemu-user (docs/cross.md). `make check` runs it for
# armhf, `make cross-check` for both. Needs `make cross-ARCH` first.
set -u
B=${BUILD:-build}
A=${CROSS_ARCH:-armhf}
case $A in
  armhf) qemu=qemu-arm triple=arm-linux-gnueabihf machine=28 ;;
  arm64) qemu=qemu-aarch64 triple=aarch64-linux-gnu machine=b7 ;;
  *) echo "cross-suite: CROSS_ARCH=$A: expected armhf or arm64" >&2
     echo "0 passed, 1 failed"; exit 1 ;;
esac
X=build-$A
T=$(mktemp -d "${TMPDIR:-/tmp}/cross-suite.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
check() { # check WHAT COND...: one assertion
  what=$1; shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what"; fi
}
finish() { echo "cross-$A: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

for f in "$X/bin/refimp" "$X/bin/sqrun" "$B/bin/impcert"; do
  check "$f exists (make cross-$A)" [ -x "$f" ]
done
[ "$fail" -eq 0 ] || finish

# elf_machine FILE: the ELF header's e_machine low byte in hex (28 = ARM,
# b7 = AArch64), so a native binary in the cross folder cannot pass for ARM.
elf_machine() { od -An -tx1 -j18 -N1 "$1" | tr -d ' \n'; }
check "$X/bin/refimp is an $A binary" [ "$(elf_machine "$X/bin/refimp")" = "$machine" ]
check "$X/bin/sqrun is an $A binary" [ "$(elf_machine "$X/bin/sqrun")" = "$machine" ]

# The cross profile must declare what the native one does (same tests run).
key() { sed -n "s/^$1 *= *//p" "$2"; }
check "refimp-$A.conf declares the capabilities of refimp-native.conf" \
  [ "$(key capabilities "harness/duts/refimp-$A.conf")" = \
    "$(key capabilities harness/duts/refimp-native.conf)" ]

# suite NAME PROFILE [OPTIONS]: one impcert run; its log is $T/NAME.log.
suite() {
  name=$1 prof=$2; shift 2
  "$B/bin/impcert" run --dut "$prof" --plugins "$B/plugins" \
    --junit "$B/check-junit-$name.xml" -j 2 "$@" >"$T/$name.log" 2>&1
  rc=$?
  grep -vE '^\[ *[0-9]+/[0-9]+\] [A-Z]+-[A-Za-z0-9_-]+ +PASS ' "$T/$name.log"
  check "$name: exit 0" [ "$rc" -eq 0 ]
}
# The whole suite through harness/duts/refimp-$A.conf, then the virtual-clock
# tests through refimp-virtual.conf given the same wrapper and binary (as
# tests/check.sh does natively).
suite "$A" "harness/duts/refimp-$A.conf"
{ grep -E '^wrapper *=' "harness/duts/refimp-$A.conf"
  sed "s|^name *=.*|name = refimp-$A-virtual|; s|{bindir}/refimp |{bindir}/../../$X/bin/refimp |; s|^startup_timeout_ms.*|$(grep '^startup_timeout_ms' "harness/duts/refimp-$A.conf")|; s|^test_timeout_ms.*|$(grep '^test_timeout_ms' "harness/duts/refimp-$A.conf")|" \
    harness/duts/refimp-virtual.conf
} >"$T/virtual.conf"
check "virtual profile derived for $A" grep -q "$X/bin/refimp .*--time virtual" "$T/virtual.conf"
suite "$A-virtual" "$T/virtual.conf" --filter 'TIME-*'

# Every listed test passed in one of the two runs, or was skipped for a
# capability refimp-native.conf does not declare either (another board, a
# jig feature refimp lacks): the same tests as tests/check.sh runs natively.
"$B/bin/impcert" list --plugins "$B/plugins" 2>/dev/null |
  sed -nE 's/^([A-Z]+-[A-Za-z0-9_-]+) .*/\1/p' | sort -u >"$T/listed"
cat "$T/$A.log" "$T/$A-virtual.log" |
  sed -nE 's/^\[ *[0-9]+\/[0-9]+\] ([A-Z]+-[A-Za-z0-9_-]+) +PASS .*/\1/p' | sort -u >"$T/passed"
native_caps=",$(key capabilities harness/duts/refimp-native.conf | tr -d ' '),"
sed -nE "s/^\[ *[0-9]+\/[0-9]+\] ([A-Z]+-[A-Za-z0-9_-]+) +SKIP .*capability '([^']+)'.*/\1 \2/p" \
  "$T/$A.log" | while read -r id cap; do
    case $native_caps in *",$cap,"*) ;; *) echo "$id" ;; esac
  done | sort -u >"$T/not-native"
check "tests listed" [ -s "$T/listed" ]
missing=$(comm -23 "$T/listed" "$T/passed" | comm -23 - "$T/not-native" | tr '\n' ' ')
check "every test run natively passed against $A (not passed: ${missing:-none})" [ -z "$missing" ]
echo "cross-$A: $(wc -l <"$T/passed") of $(wc -l <"$T/listed") tests passed;" \
  "$(wc -l <"$T/not-native") skipped for capabilities refimp-native.conf lacks too"

# The Squirrel language cases through the ARM sqrun: 32-bit integers and
# unsigned char are what the imp has, so these matter most on ARM.
if [ -x "$B/tests/sqcases" ]; then
  printf '#!/bin/sh\nexec %s -L /usr/%s "%s" "$@"\n' "$qemu" "$triple" \
    "$(pwd)/$X/bin/sqrun" >"$T/sqrun"
  chmod +x "$T/sqrun"
  "$B/tests/sqcases" tests/data/sq "$T/sqrun" >"$T/sq.log" 2>&1
  rc=$?
  tail -n 20 "$T/sq.log"
  check "Squirrel cases under $A: exit 0" [ "$rc" -eq 0 ]
  check "Squirrel cases under $A: none failed" \
    grep -Eq '^[0-9]+ passed, 0 failed' "$T/sq.log"
fi
finish
