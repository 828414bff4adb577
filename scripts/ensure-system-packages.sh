#!/usr/bin/env bash
# Browser tests need Debian's Chromium and CJK fonts (without them Chinese renders as boxes).
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
# Not `grep -q`: it stops at the first match, fc-list dies of SIGPIPE, and with pipefail the
# fonts would look missing (then apt-get update runs for nothing).
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages for browser tests: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
elif command -v sudo >/dev/null; then
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Please install: apt-get install ${missing[*]}" >&2
  exit 1
fi
