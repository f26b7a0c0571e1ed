#!/bin/sh
# cross-bare.sh: the bare-metal core (make cross-bare, docs/cross.md) is a
# pair of arm-none-eabi libraries that need nothing from outside but the
# board interface reference-fw/hal/hal.h, ISO C library functions and the
# compiler's runtime: no POSIX, no OS, no OpenSSL, no protobuf-c runtime.
# Also checks each component is in them and the size budget (text under
# 256 KiB, static RAM under 64 KiB).
set -u
X=${BARE_DIR:-build-bare}
T=$(mktemp -d "${TMPDIR:-/tmp}/cross-bare.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
check() { # check WHAT COND...: one assertion
  what=$1; shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what"; fi
}
finish() { echo "cross-bare: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

LIBS="$X/lib/libsq.a $X/lib/librefimp.a"
for l in $LIBS; do check "$l exists (make cross-bare)" [ -f "$l" ]; done
[ "$fail" -eq 0 ] || finish
NM=arm-none-eabi-nm

# Every component is in: one object each that only it has.
for l in $LIBS; do arm-none-eabi-ar t "$l"; done >"$T/members"
for o in boot.o store.o frame.o session.o vm.o parse.o gc.o app.o imp.o \
         pbmini.o wire.pb-c.o jig.pb-c.o; do
  check "the libraries hold $o" grep -qx "$o" "$T/members"
done
# Each library holds as many objects as it has sources (no name clash in ar).
n_sq=$(ls reference-fw/sq/*.c | wc -l)
n_rf=$(( $(ls reference-fw/core/*.c reference-fw/api/*.c reference-fw/pb/*.c | wc -l) + 2 ))
check "libsq.a: $n_sq objects" [ "$(arm-none-eabi-ar t "$X/lib/libsq.a" | wc -l)" -eq "$n_sq" ]
check "librefimp.a: $n_rf objects" [ "$(arm-none-eabi-ar t "$X/lib/librefimp.a" | wc -l)" -eq "$n_rf" ]

# What the libraries need from outside: undefined minus defined.
$NM -A -u $LIBS | awk 'NF >= 2 && $(NF-1) == "U" {print $NF, $1}' | sort >"$T/undef"
$NM --defined-only $LIBS | awk 'NF == 3 {print $3}' | sort -u >"$T/defined"
awk '{print $1}' "$T/undef" | sort -u | comm -23 - "$T/defined" >"$T/needed"
# The board interface: the functions hal.h declares.
grep -oE '\bhal_[a-z0-9_]+ *\(' reference-fw/hal/hal.h | tr -d ' (' | sort -u >"$T/hal"
# ISO C (C11) library functions the core may use, and the compiler runtime.
cat >"$T/iso" <<'EOF'
abort abs atoi atol calloc free labs llabs malloc qsort realloc strtod strtof
strtol strtoll strtoul strtoull bsearch div ldiv
memchr memcmp memcpy memmove memset strcat strchr strcmp strcoll strcpy
strcspn strerror strlen strncat strncmp strncpy strpbrk strrchr strspn strstr
strtok
snprintf sprintf vsnprintf vsprintf
isalnum isalpha isdigit islower isspace isupper isxdigit tolower toupper
setjmp longjmp
acos acosf asin asinf atan atanf atan2 atan2f ceil ceilf cos cosf cosh exp
expf fabs fabsf floor floorf fmod fmodf frexp ldexp log logf log10 log10f
log2 log2f lround llround lroundf llroundf modf pow powf round roundf sin
sinf sinh sqrt sqrtf tan tanf tanh trunc truncf nan nanf
__assert_func __errno _impure_ptr __ctype_ptr__ _ctype_
EOF
tr ' ' '\n' <"$T/iso" | grep . | sort -u >"$T/allowed"
cat "$T/hal" >>"$T/allowed"
sort -u -o "$T/allowed" "$T/allowed"
grep -vE '^(__aeabi_|__gnu_|__(pop|clz|ctz|ffs|bswap)[a-z0-9]*$)' "$T/needed" |
  comm -23 - "$T/allowed" >"$T/foreign"
if [ -s "$T/foreign" ]; then
  echo "outside symbols the bare core must not need (symbol, referencing object):"
  while read -r s; do grep "^$s " "$T/undef" | head -n 3; done <"$T/foreign"
fi
check "needs only hal.h, ISO C and the compiler runtime" [ ! -s "$T/foreign" ]
check "needs no protobuf-c runtime symbol" sh -c "! grep -q '^protobuf_c_' '$T/needed'"
check "uses the board interface" grep -q '^hal_' "$T/needed"

# The size budget: text (+ read-only data) and static RAM (data + bss).
arm-none-eabi-size -t $LIBS >"$T/size" 2>&1
set -- $(tail -n 1 "$T/size")
text=$1 data=$2 bss=$3
echo "bare core: text $text, data $data, bss $bss bytes"
check "text $text < 256 KiB" [ "$text" -lt 262144 ]
check "static RAM $((data + bss)) < 64 KiB" [ $((data + bss)) -lt 65536 ]
finish
