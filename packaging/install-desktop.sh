#!/usr/bin/env bash
# Add Shotreel to the desktop's application menu for this user (after `make run` created .venv).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ -x "$root/.venv/bin/shotreel-studio" ] || { echo "shotreel: run 'make run' first (no .venv yet)" >&2; exit 1; }
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
mkdir -p "$apps"
tmp="$(mktemp "$apps/.shotreel.XXXXXX")"
sed -e "s|@VENV@|$root/.venv|g" -e "s|@ROOT@|$root|g" "$root/packaging/shotreel.desktop.in" > "$tmp"
chmod 644 "$tmp"
mv "$tmp" "$apps/shotreel.desktop"
echo "installed $apps/shotreel.desktop"
