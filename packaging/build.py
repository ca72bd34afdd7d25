"""Builds the bundle for this system from a checkout, checks it, and packs what a clinic installs.

    python packaging/build.py            # the bundle: dist/therapytimer/ (and dist/TherapyTimer.app on macOS)
    python packaging/build.py installer  # from that bundle: the file a clinic is handed (see below)

One script for the three systems, so Linux, Windows and macOS are built the same way: packaging/build.sh
runs it on Linux after the Debian packages Qt needs, and the workflow (.github/workflows/build.yml) on
each hosted runner. Standard library only, so it runs with any Python 3.11+ before the build has an
environment of its own.

`bundle` makes a private virtual environment in build/venv (the package as a user installs it, plus
PyInstaller), renders the icons, runs packaging/therapytimer.spec, adds the Linux desktop entry and icons
under share/, checks the macOS Info.plist names the version, and runs the bundle's own --self-test
offscreen (and the .app's on macOS).

`installer` packs the built bundle:
- Windows: packaging/windows/therapytimer.iss through Inno Setup's compiler (iscc), a per-user setup
  program with a Start-menu entry and an uninstaller: TherapyTimer-VERSION-windows-x64-setup.exe;
- macOS: TherapyTimer.app in a disk image with a link to Applications: TherapyTimer-VERSION-macos-ARCH.dmg;
- Linux: the folder as therapytimer-VERSION-linux-ARCH.tar.gz.

Signing is optional and needs no secret in this repository: with THERAPYTIMER_SIGN_COMMAND (Windows) or
THERAPYTIMER_CODESIGN_IDENTITY (macOS) set, the files are signed; see packaging/windows/README.md and
packaging/macos/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import plistlib
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
DIST = ROOT / "dist"
BUNDLE = DIST / "therapytimer"
APP = DIST / "TherapyTimer.app"
ISS = ROOT / "packaging" / "windows" / "therapytimer.iss"
ENTITLEMENTS = ROOT / "packaging" / "macos" / "entitlements.plist"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
PILLOW = "pillow>=10,<13"  # macOS only: PyInstaller turns the PNG icon into .icns with it
ISCC_PLACES = (r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe", r"C:\Program Files\Inno Setup 6\ISCC.exe")


class BuildError(Exception):
    """A step failed or its result is not what was built for; the message says which."""


def system(platform_name: str | None = None) -> str:
    """ "windows", "macos" or "linux": the three systems this script builds for."""
    name = platform_name or sys.platform
    if name == "win32":
        return "windows"
    if name == "darwin":
        return "macos"
    return "linux"


def version(root: Path = ROOT) -> str:
    """The version, defined once, in pyproject.toml."""
    with open(root / "pyproject.toml", "rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def numeric_version(text: str) -> str:
    """Four numbers for Windows' file version ("0.2.0rc1" → "0.2.0.0"): Windows allows nothing else there."""
    numbers = [int(n) for n in re.findall(r"\d+", text.split("+")[0])[:3]]
    return ".".join(str(n) for n in [*numbers, 0, 0, 0, 0][:4])


def venv_python(venv: Path, platform_name: str | None = None) -> Path:
    """The interpreter of a virtual environment: Scripts\\python.exe on Windows, bin/python elsewhere."""
    if system(platform_name) == "windows":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def executable(name: str, folder: Path | None = None, platform_name: str | None = None) -> Path:
    """One of the bundle's two programs (therapytimer, therapytimer-gui) by its file name on this system."""
    return (folder or BUNDLE) / (f"{name}.exe" if system(platform_name) == "windows" else name)


def machine() -> str:
    """The processor the bundle is for, as release file names say it (x64 on Windows, arm64 on a new Mac)."""
    arch = platform.machine().lower()
    return {"amd64": "x86_64", "aarch64": "arm64"}.get(arch, arch)


def installer_name(ver: str, platform_name: str | None = None, arch: str | None = None) -> str:
    """The file a clinic is handed; the .iss names the Windows one the same way (a test checks it)."""
    kind = system(platform_name)
    if kind == "windows":
        return f"TherapyTimer-{ver}-windows-x64-setup.exe"
    if kind == "macos":
        return f"TherapyTimer-{ver}-macos-{arch or machine()}.dmg"
    return f"therapytimer-{ver}-linux-{arch or machine()}.tar.gz"


def run(command: Sequence[str | Path], env: Mapping[str, str] | None = None) -> None:
    """Run one step, showing it; a failure stops the build with the step named."""
    shown = " ".join(shlex.quote(str(part)) for part in command)
    print(f"+ {shown}", flush=True)
    result = subprocess.run([str(part) for part in command], env={**os.environ, **(env or {})}, check=False)
    if result.returncode:
        raise BuildError(f"{shown} failed (exit status {result.returncode})")


def output(command: Sequence[str | Path], env: Mapping[str, str] | None = None) -> str:
    """What a step prints (its last line), e.g. the bundle's `--version`."""
    result = subprocess.run(
        [str(part) for part in command],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
    )
    if result.returncode:
        raise BuildError(f"{command[0]} failed (exit status {result.returncode}): {result.stderr.strip()}")
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


OFFSCREEN = {"QT_QPA_PLATFORM": "offscreen"}


def linux_share(bundle: Path, icons: Path, root: Path = ROOT) -> list[Path]:
    """The desktop entry and icons under the bundle's share/, where `cp -r` to /usr/local/share puts them."""
    share = bundle / "share"
    wanted = [(root / "packaging" / "linux" / "therapytimer.desktop", share / "applications" / "therapytimer.desktop")]
    wanted.append(
        (root / "resources" / "icons" / "therapytimer.svg", share / "icons/hicolor/scalable/apps/therapytimer.svg")
    )
    for size in ICON_SIZES:
        png = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "therapytimer.png"
        wanted.append((icons / f"therapytimer-{size}.png", png))
    for source, target in wanted:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        target.chmod(0o644)
    return [target for _, target in wanted]


def check_app(app: Path, ver: str) -> dict[str, object]:
    """The built .app opens the window (not the command line) and its Info.plist names this version."""
    with open(app / "Contents" / "Info.plist", "rb") as handle:
        info: dict[str, object] = plistlib.load(handle)
    for key in ("CFBundleShortVersionString", "CFBundleVersion"):
        if info.get(key) != ver:
            raise BuildError(f"{app} Info.plist: {key} is {info.get(key)!r}, not {ver!r}")
    program = app / "Contents" / "MacOS" / str(info.get("CFBundleExecutable"))
    if not program.is_file() or info.get("LSBackgroundOnly"):
        raise BuildError(f"{app} Info.plist: CFBundleExecutable {program.name!r} is not the window's program")
    return info


def bundle() -> Path:
    """Build dist/therapytimer (and the .app on macOS) and run its self-test; returns the folder."""
    start = time.monotonic()
    kind, ver = system(), version()
    shutil.rmtree(BUILD / "pyinstaller", ignore_errors=True)
    shutil.rmtree(BUNDLE, ignore_errors=True)
    shutil.rmtree(APP, ignore_errors=True)
    run([sys.executable, "-m", "venv", BUILD / "venv"])
    python = venv_python(BUILD / "venv")
    extra = [PILLOW] if kind == "macos" else []
    run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", f"{ROOT}[build]", *extra])
    icons = BUILD / "icons"
    run([python, ROOT / "packaging" / "make_icons.py", icons], env=OFFSCREEN)
    spec = ROOT / "packaging" / "therapytimer.spec"
    workpath = BUILD / "pyinstaller"
    pyinstaller: list[str | Path] = [
        python,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        DIST,
    ]
    run([*pyinstaller, "--workpath", workpath, spec], env={"THERAPYTIMER_ICONS": str(icons)})
    if kind == "linux":
        linux_share(BUNDLE, icons)
    cli = executable("therapytimer")
    run([cli, "--self-test"], env=OFFSCREEN)
    if kind == "macos":
        info = check_app(APP, ver)
        run([APP / "Contents" / "MacOS" / str(info["CFBundleExecutable"]), "--self-test"], env=OFFSCREEN)
    said = output([cli, "--version"])
    if said != f"therapytimer {ver}":
        raise BuildError(f"the bundle says {said!r}, but pyproject.toml says version {ver}")
    size = sum(p.stat().st_size for p in BUNDLE.rglob("*") if p.is_file() and not p.is_symlink()) // 2**20
    print(f"built {BUNDLE.relative_to(ROOT)} ({said}) in {time.monotonic() - start:.0f} s; size {size} MB")
    return BUNDLE


def find_iscc(env: Mapping[str, str] | None = None) -> Path:
    """Inno Setup's compiler: ISCC (a path), else iscc on PATH, else where its installer puts it."""
    env = os.environ if env is None else env
    candidates = [env.get("ISCC"), shutil.which("iscc"), *ISCC_PLACES]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise BuildError("Inno Setup's compiler (ISCC.exe) was not found: install Inno Setup 6, or set ISCC to its path")


def iscc_command(iscc: Path, ver: str, env: Mapping[str, str] | None = None) -> list[str]:
    """The compiler's command line: the version and folders as /D defines (the .iss holds none of them),
    and, when THERAPYTIMER_SIGN_COMMAND is set, the sign tool Inno Setup runs on the setup program and
    the uninstaller (`$f` in the command stands for the file)."""
    env = os.environ if env is None else env
    command = [
        str(iscc),
        "/Qp",
        f"/DAppVersion={ver}",
        f"/DAppNumericVersion={numeric_version(ver)}",
        f"/DSourceDir={BUNDLE}",
        f"/DOutputDir={DIST}",
        f"/DIconFile={BUILD / 'icons' / 'therapytimer.ico'}",
        f"/DLicenseFile={ROOT / 'LICENSE'}",
    ]
    sign = env.get("THERAPYTIMER_SIGN_COMMAND")
    if sign:
        command += [f"/Ssigntool={sign}", "/DSign"]
    return [*command, str(ISS)]


def sign_windows(files: Sequence[Path], env: Mapping[str, str] | None = None) -> int:
    """Sign the bundle's programs before they are packed, with THERAPYTIMER_SIGN_COMMAND; returns how many."""
    env = os.environ if env is None else env
    sign = env.get("THERAPYTIMER_SIGN_COMMAND")
    if not sign:
        return 0
    for path in files:
        command = sign.replace("$f", subprocess.list2cmdline([str(path)]))
        print(f"+ (sign) {path.name}", flush=True)  # the command may hold a password: never shown
        if subprocess.run(command, shell=True, check=False).returncode:
            raise BuildError(f"signing {path} failed")
    return len(files)


def dmg_stage(app: Path, stage: Path) -> Path:
    """The disk image's contents: the .app and a link to /Applications to drag it onto."""
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    shutil.copytree(app, stage / app.name, symlinks=True)
    (stage / "Applications").symlink_to("/Applications")
    return stage


def codesign_commands(
    app: Path, dmg: Path, env: Mapping[str, str] | None = None
) -> tuple[list[list[str]], list[list[str]]]:
    """Signing on macOS, when THERAPYTIMER_CODESIGN_IDENTITY is set: the .app before it goes into the disk
    image, then the image, notarised when THERAPYTIMER_NOTARY_PROFILE names a keychain profile (made once
    with `xcrun notarytool store-credentials`). Returns (before the image, after it); empty: unsigned."""
    env = os.environ if env is None else env
    identity = env.get("THERAPYTIMER_CODESIGN_IDENTITY")
    if not identity:
        return [], []
    sign = ["codesign", "--force", "--timestamp", "--options", "runtime", "--sign", identity]
    app_sign = [*sign, "--entitlements", str(ENTITLEMENTS), "--deep", str(app)]
    before = [app_sign, ["codesign", "--verify", "--strict", "--deep", str(app)]]
    after = [[*sign, str(dmg)]]
    profile = env.get("THERAPYTIMER_NOTARY_PROFILE")
    if profile:
        after += [
            ["xcrun", "notarytool", "submit", str(dmg), "--keychain-profile", profile, "--wait"],
            ["xcrun", "stapler", "staple", str(dmg)],
        ]
    return before, after


def linux_archive(folder: Path, target: Path) -> Path:
    """The bundle folder as a .tar.gz (modes and links kept), unpacking to therapytimer/."""
    with tarfile.open(target, "w:gz") as archive:
        archive.add(folder, arcname=folder.name)
    return target


def installer() -> Path:
    """Pack the built bundle for this system; returns the file."""
    kind, ver = system(), version()
    if not executable("therapytimer").is_file():
        raise BuildError(f"no bundle in {BUNDLE}: run `python packaging/build.py` first")
    target = DIST / installer_name(ver)
    target.unlink(missing_ok=True)
    if kind == "windows":
        sign_windows(sorted(BUNDLE.glob("*.exe")))
        run(iscc_command(find_iscc(), ver))
    elif kind == "macos":
        check_app(APP, ver)
        stage = dmg_stage(APP, BUILD / "dmg")
        before, after = codesign_commands(stage / APP.name, target)
        for step in before:
            run(step)
        volume = f"TherapyTimer {ver}"
        run(["hdiutil", "create", "-volname", volume, "-srcfolder", stage, "-ov", "-format", "UDZO", target])
        run(["hdiutil", "verify", target])
        for step in after:
            run(step)
    else:
        linux_archive(BUNDLE, target)
    if not target.is_file():
        raise BuildError(f"{target} was not made")
    print(f"made {target.relative_to(ROOT)} ({target.stat().st_size // 2**20} MB)")
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the bundle for this system, or pack it for installing.")
    parser.add_argument("what", nargs="?", choices=("bundle", "installer"), default="bundle")
    args = parser.parse_args(argv)
    try:
        bundle() if args.what == "bundle" else installer()
    except BuildError as exc:
        print(f"build.py: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
