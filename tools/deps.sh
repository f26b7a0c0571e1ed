#!/bin/sh
# deps.sh PACKAGE...: make sure each Debian package is installed.
# Installs the missing ones with apt-get when run as root; otherwise prints
# the exact command to run and fails.
#
# deps.sh --sysroot ARCH DIR PACKAGE...: the cross builds' target libraries
# (docs/cross.md). Downloads the ARCH (armhf, arm64) build of each Debian
# package and unpacks it into DIR, a sysroot; nothing is installed into the
# host's package set, so a version skew between the host's and the target's
# Multi-Arch: same packages cannot break either. DIR/.packages lists what
# was unpacked; it is only written when everything worked.

# update_index: apt-get update. An index that fails to download (a mirror
# mid-sync, typically one foreign architecture's security index) is only a
# warning: apt then uses the other indexes, and a package that really cannot
# be found makes the install or download fail with its own message.
update_index() {
  apt-get update -qq >/dev/null 2>&1 ||
    echo "deps: warning: apt-get update reported errors; using the indexes it has" >&2
}

sysroot() {
  arch=$1 dir=$2; shift 2
  if ! dpkg --print-foreign-architectures | grep -qx "$arch" &&
     [ "$(dpkg --print-architecture)" != "$arch" ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "deps: run as root:  dpkg --add-architecture $arch && apt-get update" >&2
      exit 1
    fi
    dpkg --add-architecture "$arch" || exit 1
    update_index
  fi
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/deps-$arch.XXXXXX") || exit 1
  # apt drops root to _apt for downloads: it must be able to write here.
  chmod 777 "$tmp"
  pkgs=""
  for p in "$@"; do pkgs="$pkgs $p:$arch"; done
  # shellcheck disable=SC2086
  if ! (cd "$tmp" && apt-get download -qq $pkgs >/dev/null); then
    [ "$(id -u)" = 0 ] && update_index
    # shellcheck disable=SC2086
    (cd "$tmp" && apt-get download -qq $pkgs >/dev/null) || {
      echo "deps: apt-get download$pkgs failed" >&2; rm -rf "$tmp"; exit 1; }
  fi
  rm -rf "$dir" && mkdir -p "$dir" || exit 1
  for f in "$tmp"/*.deb; do
    dpkg-deb -x "$f" "$dir" || { echo "deps: cannot unpack $f" >&2; exit 1; }
    dpkg-deb --show --showformat='${Package}:${Architecture} ${Version}\n' \
      "$f" >>"$tmp/list"
  done
  mv "$tmp/list" "$dir/.packages"
  rm -rf "$tmp"
  echo "deps: $arch sysroot in $dir:$pkgs"
  exit 0
}

[ "${1:-}" = --sysroot ] && { shift; sysroot "$@"; }

missing=""
for p in "$@"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)
  [ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: missing Debian packages:$missing"
if [ "$(id -u)" != 0 ]; then
  echo "deps: run as root:  apt-get update && apt-get install -y$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
update_index
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
  echo "deps: apt-get install$missing failed" >&2; exit 1; }
echo "deps: installed$missing"
