#!/usr/bin/env bash
# Installs what dexec needs on a Debian 12 machine with Node.js 20, as root,
# then installs the node modules and builds the workspace. Each step is
# skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9
export DEBIAN_FRONTEND=noninteractive TURBO_TELEMETRY_DISABLED=1 CI=true

missing=()
command -v containerd >/dev/null || missing+=(containerd)
command -v runc >/dev/null || missing+=(runc)
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
command -v mkfifo >/dev/null || missing+=(coreutils)
command -v script >/dev/null || missing+=(bsdutils)
# better-sqlite3 compiles its native module with node-gyp when no prebuilt
# binary can be downloaded: it needs a C++ toolchain, make and python3.
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v python3 >/dev/null || missing+=(python3)
# The audit log finds the process behind a unix socket client with ss.
command -v ss >/dev/null || missing+=(iproute2)
# dockerd 20.10, the reference the conformance tests compare dexec with; they
# start their own instance, so the packaged service is never used. Only the
# tests ask for these (--with-dockerd).
if [[ "${1:-}" == "--with-dockerd" ]]; then
  command -v dockerd >/dev/null || missing+=(docker.io)
  # docker-py, one of the real clients of the end-to-end tests.
  dpkg -s python3-docker >/dev/null 2>&1 || missing+=(python3-docker)
  # systemd-socket-activate, for the test of dexec serve under socket activation.
  command -v systemd-socket-activate >/dev/null || missing+=(systemd)
  # openssl makes the CA and the certificates of the TLS tests.
  command -v openssl >/dev/null || missing+=(openssl)
fi
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]]; then
  echo "setup: installing pnpm $PNPM_VERSION" >&2
  npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null
fi

echo "setup: installing node modules" >&2
pnpm install --frozen-lockfile --reporter=silent
echo "setup: building" >&2
pnpm -s build >/dev/null
