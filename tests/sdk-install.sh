#!/bin/sh
# sdk-install.sh: `make install` into a scratch DESTDIR, then builds the
# out-of-tree example plugin (tests/sdk/example.c) with nothing but
# `pkg-config --cflags impcert` and runs it with the installed impcert
# against the installed refimp. Run from the repository root by
# tests/check.sh with BUILD set. One line per check, then
# "N passed, N failed"; exits 1 if any check failed.
set -u
B=${BUILD:-build}
PREFIX=/opt/impcert
pass=0
fail=0

# ok NAME COND-EXIT-STATUS: record one check.
ok() {
  if [ "$2" -eq 0 ]; then
    pass=$((pass + 1)); echo "ok   $1"
  else
    fail=$((fail + 1)); echo "FAIL $1"
  fi
}
finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
  exit $?
}

T=$(mktemp -d "${TMPDIR:-/tmp}/impcert-sdk.XXXXXX") || {
  echo "sdk-install: cannot make a scratch folder"; fail=1; finish; }
trap 'rm -rf "$T"' EXIT
R=$T$PREFIX

make --no-print-directory install DESTDIR="$T" PREFIX="$PREFIX" \
  BUILD="$B" >"$T/install.log" 2>&1
rc=$?
[ $rc -ne 0 ] && tail -n 20 "$T/install.log"
ok "make install DESTDIR=... PREFIX=$PREFIX" $rc

want="bin/impcert bin/refimp lib/pkgconfig/impcert.pc
  include/impcert/impcert.h include/impcert/constants.h
  include/impcert/wire.pb-c.h include/impcert/jig.pb-c.h
  share/doc/impcert/README.md share/doc/impcert/docs/plugins.md
  share/doc/impcert/specs/wire.proto share/impcert/duts/refimp-native.conf"
[ -e "$B/bin/sqrun" ] && want="$want bin/sqrun"
[ -e tools/wireshark/impcert.lua ] &&
  want="$want share/impcert/wireshark/impcert.lua"
for p in "$B"/plugins/*.so; do
  [ -e "$p" ] && want="$want lib/impcert/plugins/$(basename "$p")"
done
for f in $want; do
  test -s "$R/$f"
  ok "installed $f" $?
done
for x in bin/impcert bin/refimp; do
  test -x "$R/$x"
  ok "$x is executable" $?
done

# The staged .pc says prefix=/opt/impcert; the sysroot maps it into $T.
cflags=$(PKG_CONFIG_SYSROOT_DIR="$T" PKG_CONFIG_PATH="$R/lib/pkgconfig" \
  pkg-config --cflags impcert 2>"$T/pc.err")
rc=$?
[ $rc -ne 0 ] && cat "$T/pc.err"
ok "pkg-config --cflags impcert: $cflags" $rc
case " $cflags " in
  *" -I$R/include "*) rc=0 ;;
  *) rc=1 ;;
esac
ok "cflags name the installed include folder" $rc
case "$cflags" in
  *"$(pwd)"*) rc=1 ;;
  *) rc=0 ;;
esac
ok "cflags point nowhere into the source tree" $rc

mkdir -p "$T/plugins"
# shellcheck disable=SC2086 # cflags is a list of words
cc -std=c11 -Wall -Wextra -Werror -shared -fPIC $cflags tests/sdk/example.c \
  -o "$T/plugins/example.so" >"$T/cc.log" 2>&1
rc=$?
[ $rc -ne 0 ] && cat "$T/cc.log"
ok "example plugin builds with the pkg-config flags only" $rc

# The installed runner finds the installed plugins by default.
"$R/bin/impcert" list >"$T/list.log" 2>&1
rc=$?
grep -q '^BOOT-001 ' "$T/list.log" || rc=1
[ $rc -ne 0 ] && tail -n 5 "$T/list.log"
ok "installed impcert lists lib/impcert/plugins by default" $rc

# {bindir} in the profile is now $R/bin: the installed refimp runs.
"$R/bin/impcert" run --dut harness/duts/refimp-native.conf \
  --plugins "$T/plugins" >"$T/run.log" 2>&1
rc=$?
[ $rc -ne 0 ] && tail -n 20 "$T/run.log"
ok "installed impcert runs the example (exit $rc)" $rc
for id in SDK-EX-001 SDK-EX-002; do
  grep -Eq "^\[ *[0-9]+/[0-9]+\] $id +PASS " "$T/run.log"
  ok "$id passes" $?
done
finish
