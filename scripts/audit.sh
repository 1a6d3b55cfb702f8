#!/bin/sh
# `make audit`: pip-audit over requirements.lock, the exact versions `make setup` installs
# (pip and setuptools included). Fails on any known vulnerability, on a lock that no longer
# matches the virtualenv, and — loudly — when the advisory database cannot be reached, since
# then nothing was audited. Not part of `make test`: it needs the network.
set -u
LOCK=requirements.lock
AUDIT=.venv-audit/bin/pip-audit
SERVICE=${AUDIT_SERVICE:-pypi}   # pypi: PyPI's JSON API; osv: api.osv.dev

current=$(mktemp) && out=$(mktemp)
trap 'rm -f "$current" "$out"' EXIT
.venv/bin/pip freeze --all --exclude-editable 2>/dev/null > "$current"
if ! diff -u "$LOCK" "$current" > /dev/null; then
  diff -u "$LOCK" "$current" | head -20
  echo "make audit: $LOCK does not match .venv: run 'make lock' and commit it" >&2
  exit 1
fi

"$AUDIT" --strict --progress-spinner off --vulnerability-service "$SERVICE" \
  --no-deps --disable-pip --requirement "$LOCK" > "$out" 2>&1
status=$?
grep -v -e '--no-deps is supported' -e 'pip-compile' "$out"
if [ "$status" -ne 0 ] && grep -q -e 'could not be audited' -e 'ConnectionError' \
    -e 'NameResolutionError' -e 'ServiceError' "$out"; then
  echo "make audit: FAILED — the $SERVICE advisory database could not be reached, so NOTHING" \
       "was audited (try AUDIT_SERVICE=osv, or run where pypi.org's JSON API is reachable)" >&2
elif [ "$status" -ne 0 ]; then
  echo "make audit: FAILED — known vulnerabilities above: upgrade, 'make lock', commit" >&2
else
  echo "make audit: no known vulnerability in $(wc -l < "$LOCK") locked packages"
fi
exit "$status"
