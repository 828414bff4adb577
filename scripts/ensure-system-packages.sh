#!/usr/bin/env bash
# Debian packages outside the virtualenv. The server needs CJK fonts and Pango for the PDF
# bulletins (WeasyPrint; without the fonts Chinese prints as boxes); with `test`, the browser
# tests also need Debian's Chromium.
set -euo pipefail
missing=()
if [ "${1:-}" = "test" ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
fi
ldconfig -p 2>/dev/null | grep "libpangoft2-1.0" >/dev/null || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
# Not `grep -q`: it stops at the first match, fc-list dies of SIGPIPE, and with pipefail the
# fonts would look missing (then apt-get update runs for nothing).
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
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
