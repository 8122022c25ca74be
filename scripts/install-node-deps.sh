#!/usr/bin/env bash
# Installs the npm packages the build and the tests need, pinned in package-lock.json:
# web/ (uPlot, embedded into the binary's dashboard) and tests/integration (Redocly,
# Prism, standardwebhooks, playwright-core). Skips a directory whose lock file has not
# changed since its last install. Needs Node.js >= 20.19 (the machine image has it;
# otherwise Debian's nodejs is installed, which may be too old for @redocly/cli).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install-node-deps: installing Debian's nodejs and npm"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm
fi

for dir in web tests/integration; do
  cd "$root/$dir"
  stamp=node_modules/.stockd-lock-stamp
  if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
    continue
  fi
  echo "install-node-deps: npm ci in $dir"
  # Playwright must never download a browser: the tests use Debian's chromium.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
done
