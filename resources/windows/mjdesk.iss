; Inno Setup script for the mjdesk Windows installer, packing the PyInstaller folder dist\mjdesk.
;
; Build (on Windows, after `pyinstaller --noconfirm build.spec`), from the repository root:
;   $version = python -c "import mjdesk; print(mjdesk.__version__)"
;   & "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" "/DAppVersion=$version" resources\windows\mjdesk.iss
; The release workflow runs the same command (adding /DSign and /Smjdesk=... when it signs).
; Output: dist\mjdesk-<version>-windows-x64-setup.exe
;
; Installs for the current user, without administrator rights, in %LOCALAPPDATA%\Programs\mjdesk;
; run elevated, it offers (or takes /ALLUSERS for) an install for all users in Program Files.
; Silent install for IT: mjdesk-<version>-windows-x64-setup.exe /VERYSILENT /SUPPRESSMSGBOXES
; (add /ALLUSERS when elevated, /DIR="..." for another folder, /LOG="file" for a log).
; An upgrade installs over the old version; mjdesk keeps its data, settings and logs under the
; user's profile (platformdirs: %LOCALAPPDATA%\mjdesk\mjdesk), never in the program folder, so
; neither an upgrade nor the uninstaller touches them.

#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=<mjdesk.__version__> resources\windows\mjdesk.iss
#endif
; the PyInstaller folder, relative to this script; make dist / build.spec make dist\mjdesk
#define BundleDir "..\..\dist\mjdesk"

[Setup]
; AppId is the identity Windows knows the installation by: never change it, or an upgrade
; installs beside the old version instead of over it.
AppId={{6B0F7E53-3C8A-4E0B-9B8B-2D6F0C8E41A7}
AppName=mjdesk
AppVersion={#AppVersion}
AppVerName=mjdesk {#AppVersion}
AppPublisher=mjdesk team
AppCopyright=mjdesk team
VersionInfoTextVersion={#AppVersion}
VersionInfoProductName=mjdesk
VersionInfoProductTextVersion={#AppVersion}
VersionInfoCompany=mjdesk team
VersionInfoDescription=mjdesk installer
; {autopf} is %LOCALAPPDATA%\Programs for a per-user install, Program Files for all users
DefaultDirName={autopf}\mjdesk
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; the licence notices of the bundled libraries (Qt's LGPL notice among them), shown before
; installing; nothing to accept
InfoBeforeFile={#BundleDir}\_internal\resources\NOTICES.txt
SetupIconFile=..\icons\mjdesk.ico
UninstallDisplayIcon={app}\mjdesk.exe
UninstallDisplayName=mjdesk
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
OutputDir=..\..\dist
OutputBaseFilename=mjdesk-{#AppVersion}-windows-x64-setup
; a running mjdesk is asked to close before its files are replaced
CloseApplications=yes
#ifdef Sign
; the workflow defines the "mjdesk" sign tool with ISCC /Smjdesk=...; setup and uninstaller
SignTool=mjdesk
SignedUninstaller=yes
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; an upgrade replaces the old runtime whole, so no library of the old version lingers
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\mjdesk"; Filename: "{app}\mjdesk.exe"
Name: "{autodesktop}\mjdesk"; Filename: "{app}\mjdesk.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\mjdesk.exe"; Description: "{cm:LaunchProgram,mjdesk}"; Flags: nowait postinstall skipifsilent
