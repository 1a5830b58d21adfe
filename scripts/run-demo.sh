#!/usr/bin/env bash
# `make run`: the database brought up to date, the demo data (once), and the app on 127.0.0.1:5000.
# The demo password is printed last, once the server answers, after its address, so it does not
# scroll away among the start-up lines. Ctrl-C stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
host=127.0.0.1
port=${PORT:-5000}

# Alembic's "Context impl" and "Will assume" lines say nothing a person needs.
"$bin/flask" db upgrade 2>&1 | grep -v -e "Context impl" -e "Will assume" || true
"$bin/flask" search-index >/dev/null
demo=$("$bin/flask" demo)
password=$(printf '%s\n' "$demo" | sed -n 's/^  Password: //p')
printf '%s\n' "$demo" | grep -v '^  Password: '

"$bin/flask" run --host "$host" --port "$port" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT INT TERM
"$bin/python" - "$host" "$port" <<'PYTHON'
import sys, time, urllib.request
url = f"http://{sys.argv[1]}:{sys.argv[2]}/healthz"
for _ in range(150):
    try:
        with urllib.request.urlopen(url, timeout=1):
            break
    except OSError:
        time.sleep(0.2)
PYTHON
echo
echo "SEND Ready is running at http://$host:$port (Ctrl-C stops it)."
if [ -n "$password" ]; then
  echo "Demo password for every account listed above (shown only this once): $password"
fi
wait "$server"
