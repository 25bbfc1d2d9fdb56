#!/usr/bin/env bash
# Make sure the Debian packages a target needs are present.
# Usage: debian-deps.sh run|test|demo
# As root, missing packages are installed through apt; otherwise one line names them and we fail.
set -euo pipefail
common="espeak-ng libportaudio2 libglib2.0-0 libxkbcommon0 libfontconfig1 libdbus-1-3 libx11-6 libgl1 libegl1 fonts-dejavu-core"
gui="libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0 libxkbcommon-x11-0 libxrandr2"
case "${1:-run}" in
  run)  want="$common $gui" ;;
  demo) want="$common" ;;
  test) want="$common $gui xvfb xauth iproute2" ;;  # iproute2: `ip` brings up loopback for the farm tests
  *) echo "usage: $0 run|test|demo" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "shotreel: installing Debian packages:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
  echo "shotreel: missing Debian packages, install them with: sudo apt-get install$missing" >&2
  exit 1
fi
