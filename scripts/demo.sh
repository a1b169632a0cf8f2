#!/usr/bin/env bash
# Sets up the machine (see setup.sh), then runs containerd with a busybox
# container `demo` and dexec in the foreground. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec node scripts/demo.mjs
