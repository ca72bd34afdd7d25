#!/usr/bin/env bash
# Builds the Linux bundle from a clean checkout into dist/therapytimer/ and runs its own self-test.
#
#   bash packaging/build.sh              # the bundle
#   bash packaging/build.sh installer    # then dist/therapytimer-VERSION-linux-ARCH.tar.gz from it
#
# Installs the Debian packages Qt needs, then runs packaging/build.py, the one build script of every
# system (Windows and macOS run it directly; see .github/workflows/build.yml): a private virtual
# environment in build/ (the package as a user installs it, plus PyInstaller), the icons rendered from
# resources/icons/therapytimer.svg, the bundle, the desktop entry and icons under share/, and the bundle's
# --self-test offscreen. Prints the build time and the size.
set -euo pipefail
cd "$(dirname "$0")/.."
sh packaging/debian-deps.sh
exec python3 packaging/build.py "$@"
