#!/usr/bin/env bash
# The Debian packages the tests need beyond Python and Node: Chromium (the browser tests drive
# /usr/bin/chromium) and Pango (WeasyPrint draws the PDFs with it); and, where it can be installed,
# HAProxy for the two-node test (tests/topology, skipped with a reason without it). Used by `make test`
# and `.ci/run`.
# Installs what is missing when it can (as root, or with sudo that needs no password); otherwise
# stops with one line saying what to install.
set -euo pipefail
# (grep reads to the end below: `grep -q` would stop ldconfig early and pipefail would call that a failure.)

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
if ! { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep "libpangoft2-1.0.so.0" >/dev/null; then
  missing+=(libpango-1.0-0 libpangoft2-1.0-0)
fi
wanted=()
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || wanted+=(haproxy)
[ ${#missing[@]} -eq 0 ] && [ ${#wanted[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo)
elif [ ${#missing[@]} -eq 0 ]; then
  exit 0  # only HAProxy is absent: the two-node test says it was skipped
else
  echo "Missing system packages for the tests: run \`sudo apt-get install ${missing[*]}\`, then \`make test\` again." >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages for the tests (${missing[*]}): install Chromium at /usr/bin/chromium and Pango with your system's package manager." >&2
  exit 1
fi
echo "Installing ${missing[*]} ${wanted[*]} for the browser tests, PDFs and the two-node test"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" "${wanted[@]}" >/dev/null
