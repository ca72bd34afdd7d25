#!/usr/bin/env bash
# Builds the Linux bundle from a clean checkout into dist/therapytimer/ and runs its own self-test.
#
#   bash packaging/build.sh
#
# Uses a private virtual environment in build/ (the package as a user installs it, plus PyInstaller),
# renders the icons from resources/icons/therapytimer.svg, bundles, adds the desktop entry and icons,
# then runs dist/therapytimer/therapytimer --self-test offscreen. Prints the build time and the size.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
sh packaging/debian-deps.sh
rm -rf build/pyinstaller dist/therapytimer
python3 -m venv build/venv
build/venv/bin/pip install -q --disable-pip-version-check '.[build]'
QT_QPA_PLATFORM=offscreen build/venv/bin/python packaging/make_icons.py build/icons >/dev/null
THERAPYTIMER_ICONS="$PWD/build/icons" build/venv/bin/pyinstaller --noconfirm --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/therapytimer.spec
share=dist/therapytimer/share
install -D -m 644 packaging/linux/therapytimer.desktop "$share/applications/therapytimer.desktop"
install -D -m 644 resources/icons/therapytimer.svg "$share/icons/hicolor/scalable/apps/therapytimer.svg"
for size in 16 24 32 48 64 128 256 512; do
  install -D -m 644 "build/icons/therapytimer-$size.png" "$share/icons/hicolor/${size}x${size}/apps/therapytimer.png"
done
QT_QPA_PLATFORM=offscreen dist/therapytimer/therapytimer --self-test
dist/therapytimer/therapytimer --version
echo "built dist/therapytimer in $(( $(date +%s) - start )) s; size $(du -sm dist/therapytimer | cut -f1) MB"
