#!/bin/sh
# size.sh [JSON]: text/data/bss of refimp per target (`make size`,
# docs/cross.md), printed as a table and written to JSON (default
# reports/size.json).
#
#   own           refimp's own code: the objects of core/, api/, sq/, the
#                 generated wire code, pb/ (bare only), hal/posix and main.c
#                 (Linux targets); no C library, no OpenSSL, no protobuf-c
#   with_openssl  the linked refimp with OpenSSL and protobuf-c linked in
#                 statically (the C library stays dynamic): what refimp
#                 brings to a Linux target; none for the bare core, whose
#                 TLS and SHA-256 belong to the board (hal.h)
#
# Needs `make all cross-armhf cross-arm64 cross-bare` and the native
# static link (the Makefile's `size` target builds them all).
set -u
OUT=${1:-reports/size.json}
B=${BUILD:-build}
status=0

# own_objs DIR: refimp's own objects in a Linux build folder.
own_objs() {
  find "$1/obj/reference-fw/core" "$1/obj/reference-fw/api" \
       "$1/obj/reference-fw/sq" "$1/obj/reference-fw/hal/posix" \
       "$1/obj/refimp-gen" -name '*.o' 2>/dev/null
  ls "$1/obj/reference-fw/main.o" 2>/dev/null
}
# sum TOOL FILE...: "text data bss" totals of the files.
sum() {
  tool=$1; shift
  [ $# -gt 0 ] || { echo "- - -"; return 1; }
  "$tool" -t "$@" 2>/dev/null | tail -n 1 | awk '{print $1, $2, $3}'
}

rows=""
json=""
# target NAME SIZE-TOOL OWN-OBJECTS... -- LINKED-BINARY|-
target() {
  name=$1 tool=$2; shift 2
  objs=""
  while [ "$1" != -- ]; do objs="$objs $1"; shift; done
  linked=$2
  # shellcheck disable=SC2086
  if ! own=$(sum "$tool" $objs) || [ -z "$own" ]; then
    echo "size: $name: no objects (build it first: make size)" >&2
    status=1; own="- - -"
  fi
  withssl="- - -"
  if [ "$linked" != - ]; then
    if [ -f "$linked" ]; then withssl=$(sum "$tool" "$linked")
    else echo "size: $name: $linked missing" >&2; status=1; fi
  fi
  rows="$rows$(printf '%-8s %10s %8s %8s   %10s %8s %8s' "$name" $own $withssl)
"
  set -- $own; o="{\"text\": $1, \"data\": $2, \"bss\": $3}"
  [ "$1" = - ] && o=null
  if [ "$linked" = - ]; then w=null
  else set -- $withssl; w="{\"text\": $1, \"data\": $2, \"bss\": $3}"
       [ "$1" = - ] && w=null; fi
  json="$json${json:+,
}    \"$name\": {\"own\": $o, \"with_openssl\": $w}"
}

# shellcheck disable=SC2046
target native size $(own_objs "$B") -- "$B/size/refimp-static"
# shellcheck disable=SC2046
target armhf arm-linux-gnueabihf-size $(own_objs build-armhf) -- build-armhf/bin/refimp
# shellcheck disable=SC2046
target arm64 aarch64-linux-gnu-size $(own_objs build-arm64) -- build-arm64/bin/refimp
# shellcheck disable=SC2046
target bare arm-none-eabi-size $(find build-bare/obj -name '*.o' 2>/dev/null) -- -

printf '%-8s %30s   %30s\n' "" "own code (bytes)" "with OpenSSL+protobuf-c"
printf '%-8s %10s %8s %8s   %10s %8s %8s\n' target text data bss text data bss
printf '%s' "$rows"

# The bare core's budget: an imp-class module (docs/cross.md).
set -- $(sum arm-none-eabi-size $(find build-bare/obj -name '*.o' 2>/dev/null))
within=false
if [ "${1:--}" != - ] && [ "$1" -lt 262144 ] && [ $(($2 + $3)) -lt 65536 ]; then
  within=true
fi
echo "bare core budget: text < 262144, data+bss < 65536: $within"
[ "$within" = true ] || status=1

mkdir -p "$(dirname "$OUT")"
cat >"$OUT" <<EOF
{
  "unit": "bytes",
  "note": "own = refimp's own objects; with_openssl = the linked refimp with OpenSSL and protobuf-c static, C library dynamic",
  "targets": {
$json
  },
  "bare_budget": {"text": 262144, "static_ram": 65536, "within": $within}
}
EOF
echo "size: written to $OUT"
exit $status
