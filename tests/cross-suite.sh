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

# The whole conformance suite through harness/duts/refimp-$A.conf.
"$B/bin/impcert" run --dut "harness/duts/refimp-$A.conf" --plugins "$B/plugins" \
  --junit "$B/check-junit-$A.xml" -j 2 >"$T/suite.log" 2>&1
rc=$?
cat "$T/suite.log"
check "suite against $A: exit 0" [ "$rc" -eq 0 ]
line=$(grep -E '^impcert: [0-9]+ tests: ' "$T/suite.log" | tail -n 1)
n=$(printf '%s' "$line" | sed -nE 's/^impcert: ([0-9]+) tests: ([0-9]+) pass.*/\1/p')
p=$(printf '%s' "$line" | sed -nE 's/^impcert: ([0-9]+) tests: ([0-9]+) pass.*/\2/p')
check "suite against $A: a summary line" [ -n "$n" ]
check "suite against $A: every test ran and passed ($p of $n)" \
  [ -n "$n" ] && [ "$n" -gt 0 ] && [ "$p" = "$n" ]
# Same test count as a native run would list: nothing silently left out.
native=$("$B/bin/impcert" list --plugins "$B/plugins" 2>/dev/null | grep -cE '^[A-Z]+-[0-9]+')
check "suite against $A: all $native listed tests ran (ran $n)" [ "$n" = "$native" ]

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
