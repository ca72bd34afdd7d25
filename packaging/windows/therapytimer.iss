; The Windows installer (Inno Setup 6): a per-user install that needs no administrator rights, with a
; Start-menu entry, an optional desktop icon and an uninstaller (Settings > Apps, or the Start menu).
;
; packaging/build.py installer compiles it after packaging/build.py has built dist\therapytimer, passing
; the version from pyproject.toml (defined once there) and the folders:
;
;   iscc /DAppVersion=0.1.0 /DAppNumericVersion=0.1.0.0 /DSourceDir=...\dist\therapytimer ^
;        /DOutputDir=...\dist /DIconFile=...\build\icons\therapytimer.ico /DLicenseFile=...\LICENSE therapytimer.iss
;
; Signing (optional, no secret here): packaging/windows/README.md. Your data is never part of this: it
; lives in %LOCALAPPDATA%\therapytimer, and uninstalling leaves it where it is.

#ifndef AppVersion
  #error Give the version: iscc /DAppVersion=X.Y.Z (packaging/build.py installer does)
#endif
#ifndef AppNumericVersion
  #define AppNumericVersion "0.0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\therapytimer"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#ifndef IconFile
  #define IconFile "..\..\build\icons\therapytimer.ico"
#endif
#ifndef LicenseFile
  #define LicenseFile "..\..\LICENSE"
#endif

[Setup]
; One fixed id: a newer installer replaces the installed version instead of adding a second one.
AppId={{B464EAB5-BE06-47D4-B19C-AAF85884C45C}
AppName=TherapyTimer
AppVersion={#AppVersion}
AppVerName=TherapyTimer {#AppVersion}
AppPublisher=TherapyTimer developers
AppComments=Per-code therapy timers and billing units for PT, OT and SLP. No network code: your data stays on this computer.
VersionInfoVersion={#AppNumericVersion}
VersionInfoProductVersion={#AppNumericVersion}
VersionInfoDescription=TherapyTimer setup
; Per user, no administrator rights: {autopf} is %LOCALAPPDATA%\Programs then. An administrator may still
; choose "for all users" in the dialog, which installs under Program Files.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DefaultDirName={autopf}\TherapyTimer
DefaultGroupName=TherapyTimer
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Windows 10 and later (Qt 6 needs them).
MinVersion=10.0
OutputDir={#OutputDir}
OutputBaseFilename=TherapyTimer-{#AppVersion}-windows-x64-setup
SetupIconFile={#IconFile}
LicenseFile={#LicenseFile}
UninstallDisplayIcon={app}\therapytimer-gui.exe
UninstallDisplayName=TherapyTimer
; A running TherapyTimer is asked to close before its files are replaced (its timers are on disk).
CloseApplications=yes
RestartApplications=no
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
#ifdef Sign
; build.py passes /Ssigntool=<THERAPYTIMER_SIGN_COMMAND> and /DSign: the setup program and the
; uninstaller are signed too.
SignTool=signtool
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole bundle: therapytimer-gui.exe (the window), therapytimer.exe (the command line), Qt and Python.
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\TherapyTimer"; Filename: "{app}\therapytimer-gui.exe"; Comment: "Per-code therapy timers and billing units"
Name: "{autodesktop}\TherapyTimer"; Filename: "{app}\therapytimer-gui.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\therapytimer-gui.exe"; Description: "{cm:LaunchProgram,TherapyTimer}"; Flags: nowait postinstall skipifsilent
