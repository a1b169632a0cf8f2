#!/usr/bin/env bash
# Sets up the machine (see setup.sh) and runs every test: unit, integration
# against a private containerd, and end-to-end through real Docker clients.
# The last line of output is `N passed, N failed, N skipped`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --with-dockerd
exec pnpm -s vitest run --reporter=default --reporter=./scripts/summary-reporter.mjs
