#!/bin/sh
# size.sh: the bare-metal core's size (docs/cross.md): text and static RAM
# (data + bss) of build-bare's objects, against the imp-class budget of
# 256 KiB text and 64 KiB static RAM. A size is not a timing: one run, no
# baseline. The answer is checked: the objects must be there and the
# figures numbers. `make bench` builds the core first (make cross-bare).
. tests/bench/lib/bench.sh
objs=$(find build-bare/obj -name '*.o' 2>/dev/null)
if [ -z "$objs" ] || ! command -v arm-none-eabi-size >/dev/null; then
  echo "size: no bare-metal core (make cross-bare) or no arm-none-eabi-size"
  bench_line size.bare.text - KiB - - 'value<256' 0 FAIL not built
  bench_line size.bare.ram - KiB - - 'value<64' 0 FAIL not built
  exit 1
fi
# shellcheck disable=SC2086
set -- $(arm-none-eabi-size -t $objs | tail -n 1)
case "$1$2$3" in
  *[!0-9]*|'')
    bench_line size.bare.text - KiB - - 'value<256' 1 FAIL "unreadable size: $*"
    exit 1 ;;
esac
text=$(awk "BEGIN {printf \"%.1f\", $1 / 1024}")
ram=$(awk "BEGIN {printf \"%.1f\", ($2 + $3) / 1024}")
bench_line size.bare.text "$text" KiB - - 'value<256' 1 ok "arm-none-eabi -Os, core+sq+api+pb"
bench_line size.bare.ram "$ram" KiB - - 'value<64' 1 ok "data+bss, heap not included"
