#!/usr/bin/env bash
# Installs the integration tests' npm packages (pinned in tests/integration/package-lock.json)
# when they are missing or out of date. Needs Node.js >= 20.19 (the machine image has it;
# otherwise Debian's nodejs is installed, which may be too old for @redocly/cli).
set -euo pipefail
cd "$(dirname "$0")/../tests/integration"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install-node-deps: installing Debian's nodejs and npm"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm
fi

stamp=node_modules/.stockd-lock-stamp
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
  exit 0
fi
echo "install-node-deps: npm ci in tests/integration"
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
