#!/usr/bin/env bash
# Install the pinned Newman (Postman's command-line collection runner) for the tooling test
# tests/test_postman_newman.py, outside git's tracking, and print the binary's path:
#
#   export NEWMAN_BIN=$(.ci/install-newman.sh)
#   REQUIRE_NEWMAN=1 python -m pytest tests
#
# Needs Node.js and npm. The shipped runner (python -m postman.run) never does.
set -euo pipefail
cd "$(dirname "$0")/.."

NEWMAN_VERSION=6.2.2 # the version tests/test_postman_scopes.py was read off
PREFIX="${NEWMAN_PREFIX:-.ci-node}"
BIN="$PREFIX/node_modules/.bin/newman"

if [ ! -x "$BIN" ] || [ "$("$BIN" --version 2>/dev/null)" != "$NEWMAN_VERSION" ]; then
  command -v npm >/dev/null || { echo "install-newman: npm not found (install Node.js)" >&2; exit 1; }
  mkdir -p "$PREFIX"
  npm install --prefix "$PREFIX" --no-save --no-audit --no-fund --loglevel=error \
    "newman@$NEWMAN_VERSION" >&2
fi
echo "$(cd "$(dirname "$BIN")" && pwd)/newman"
