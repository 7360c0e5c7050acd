#!/usr/bin/env bash
# Installs the Debian packages sched builds with. Idempotent: packages that
# are already installed are left alone and nothing is downloaded.
set -euo pipefail

packages=(cmake make gcc pkg-config libglpk-dev libigraph-dev libcriterion-dev libcjson-dev
  libprotobuf-c-dev protobuf-c-compiler libonnx-dev libcsv-dev clang libclang-rt-14-dev gnuplot-nox
  parallel)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "setup: error: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
  fi
fi
if ! command -v apt-get >/dev/null; then
  echo "setup: error: apt-get not found; install these Debian packages by hand: ${missing[*]}" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get update -qq || ! $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
  echo "setup: error: apt-get could not install: ${missing[*]}" >&2
  exit 1
fi
echo "setup: done"
