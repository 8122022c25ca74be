#!/usr/bin/env bash
# Installs the Debian 12 packages stockd needs to build, test and benchmark.
# Idempotent: asks apt only for packages that are not installed yet.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang-format git clang-14 libclang-rt-14-dev
  librocksdb-dev libtomlplusplus-dev libcli11-dev librapidcheck-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libfmt-dev libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  librdkafka-dev kcat prometheus chromium openssl
  python3 wrk fio
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
