#!/bin/sh
# html-report.sh: checks impcert's self-contained HTML report (--html) the
# way a person reads it: in a real browser. Runs two tests against refimp,
# checks the page fetches nothing from the network, then renders it in
# headless Chromium (Debian package `chromium`, installed by `make deps`):
# the rendered DOM must hold one chart per test with its arrows, and a
# screenshot must come out. Run by tests/check.sh (env BUILD set).
# Prints one line per check and ends with "N passed, N failed".
set -u
B=${BUILD:-build}
T=$(mktemp -d /tmp/impcert-html-XXXXXX)
PROFILE=$(mktemp -d /tmp/impcert-chromium-XXXXXX)
HTML=$T/report.html
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAILED: $*"; }
finish() {
  rm -rf "$T" "$PROFILE"
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
  exit $?
}

"$B/bin/impcert" run --dut harness/duts/refimp-native.conf \
  --plugins "$B/plugins" --filter 'BOOT-00[14]' --html "$HTML" \
  >"$T/run.log" 2>&1
rc=$?
if [ "$rc" -le 1 ] && [ -s "$HTML" ]; then
  ok "impcert run --html wrote $HTML (exit $rc)"
else
  bad "impcert run --html exited $rc, no report: $(tail -n 3 "$T/run.log")"
  finish
fi
[ -e "$HTML.tmp" ] && bad "temporary file $HTML.tmp left behind"

# Self-contained: no src= or href= (quoted or not) naming a network URL,
# no <script>, no <link>, no CSS url() or @import.
NET="(src|href)[[:space:]]*=[[:space:]]*[\"']?[[:space:]]*(https?:)?//"
if grep -Eiq "$NET" "$HTML"; then
  bad "the report fetches from the network:" \
    "$(grep -Eio "$NET[^ >]*" "$HTML" | head -n 3 | tr "\\n" " ")"
else
  ok "no src= or href= to a network URL"
fi
if grep -Eiq '<script|<link|<iframe|<img|url\(|@import' "$HTML"; then
  bad "the report has a script, link, frame, image or CSS url()"
else
  ok "no <script>, <link>, <iframe>, <img>, url() or @import"
fi
if xmllint --noout "$HTML" 2>"$T/xmllint.err"; then
  ok "the page is well-formed (xmllint)"
else
  bad "xmllint: $(head -n 3 "$T/xmllint.err")"
fi

CHROMIUM=/usr/bin/chromium
if [ ! -x "$CHROMIUM" ]; then
  bad "$CHROMIUM is missing: run \`make deps\`," \
    "which installs the Debian package chromium"
  finish
fi
set -- --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$PROFILE"
timeout 120 "$CHROMIUM" "$@" --dump-dom "file://$HTML" \
  >"$T/dom.html" 2>"$T/chromium.err"
rc=$?
if [ "$rc" -eq 0 ] && [ -s "$T/dom.html" ]; then
  ok "headless Chromium rendered the page"
else
  bad "chromium --dump-dom exited $rc: $(tail -n 3 "$T/chromium.err")"
  finish
fi

# One chart per test, with lifelines and arrows made of <line> and <path>.
svgs=$(grep -o '<svg' "$T/dom.html" | wc -l)
cases=$(grep -o '<section class="case' "$T/dom.html" | wc -l)
if [ "$svgs" -eq 2 ] && [ "$cases" -eq 2 ]; then
  ok "rendered DOM has 2 test sections with one <svg> chart each"
else
  bad "rendered DOM has $cases test sections and $svgs <svg> charts," \
    "want 2 and 2"
fi
for id in BOOT-001 BOOT-004; do
  if grep -q "<span class=\"id\">$id</span>" "$T/dom.html"; then
    ok "rendered DOM names test $id"
  else
    bad "rendered DOM lacks test $id"
  fi
done
arrows=$(grep -o '<g class="arrow">' "$T/dom.html" | wc -l)
HEAD='<g class="arrow"><title>[^<]*</title><line [^>]*>(</line>)?<path '
heads=$(grep -Eo "$HEAD" "$T/dom.html" | wc -l)
# Every message line of the transcripts (escaped in the page) is one arrow.
WHO='(D-&gt;C|C-&gt;D|D-&gt;jig|jig-&gt;D)'
msgs=$(grep -Ec "(^|<pre>) +[0-9]+\.[0-9]+ $WHO " "$HTML")
if [ "$arrows" -gt 0 ] && [ "$arrows" -eq "$msgs" ] &&
   [ "$heads" -eq "$arrows" ]; then
  ok "rendered charts have $arrows arrows (<line> + <path>), one per message"
else
  bad "rendered charts have $arrows arrows ($heads with <line> and" \
    "<path>), the transcripts $msgs messages"
fi
if grep -q 'ActivationRequest' "$T/dom.html" &&
   grep -Eq '<text class="time"[^>]*>[0-9]+\.[0-9]{3}</text>' "$T/dom.html"; then
  ok "arrows are labelled with messages and timestamps"
else
  bad "no message labels or timestamps in the charts"
fi

timeout 120 "$CHROMIUM" "$@" --window-size=1000,1400 \
  --screenshot="$T/shot.png" "file://$HTML" >/dev/null 2>>"$T/chromium.err"
size=$(wc -c <"$T/shot.png" 2>/dev/null || echo 0)
magic=$(head -c 8 "$T/shot.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')
if [ "$magic" = 89504e470d0a1a0a ] && [ "$size" -gt 20000 ]; then
  ok "screenshot is a PNG of $size bytes"
else
  bad "screenshot missing or tiny ($size bytes, magic '$magic')"
fi
[ -n "${HTML_REPORT_KEEP:-}" ] && cp "$T/shot.png" "$HTML" "$HTML_REPORT_KEEP"/
finish
