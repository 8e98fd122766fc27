"""resources/windows/mjdesk.iss, the Windows installer script, checked where Inno Setup cannot
run: every file it takes from the bundle is one build.spec puts there, and its version comes
from the command line (the release workflow's /DAppVersion=mjdesk.__version__)."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from support import inno


def test_it_packs_the_folder_build_spec_makes() -> None:
    folder, _exe = inno.spec_bundle()
    bundle_dir = inno.resolve(inno.defines()["BundleDir"])
    assert bundle_dir == inno.ROOT / "dist" / folder
    assert inno.file_sources() == ["{#BundleDir}\\*"]


def test_every_bundle_file_it_names_is_in_the_bundle() -> None:
    layout = inno.spec_layout()
    assert "_internal/resources/NOTICES.txt" in layout
    assert "_internal/resources/windows/mjdesk.iss" not in layout  # the script packs the bundle
    named = inno.bundle_names()
    assert "_internal/resources/NOTICES.txt" in named  # shown before installing
    assert "mjdesk.exe" in named  # the Start menu entry, the uninstaller's icon
    assert sorted(name for name in named if name not in layout) == []


def test_the_files_it_takes_from_the_checkout_exist() -> None:
    setup = inno.setup()
    assert inno.resolve(setup["SetupIconFile"]).is_file()
    assert inno.resolve(setup["OutputDir"]) == inno.ROOT / "dist"


def test_its_version_comes_from_a_define() -> None:
    text = inno.SCRIPT.read_text(encoding="utf-8")
    assert re.search(r"^#ifndef AppVersion\s*\n\s*#error", text, re.M)
    setup = inno.setup()
    assert setup["AppVersion"] == "{#AppVersion}"
    assert "{#AppVersion}" in setup["OutputBaseFilename"]
    assert not re.search(r"\d+\.\d+\.\d+", "\n".join(inno.lines()))  # no version typed in


def test_it_installs_per_user_without_admin_rights_and_keeps_data() -> None:
    setup = inno.setup()
    assert setup["PrivilegesRequired"] == "lowest"
    assert setup["PrivilegesRequiredOverridesAllowed"] == "dialog commandline"
    assert setup["DefaultDirName"] == "{autopf}\\mjdesk"
    assert setup["AppPublisher"]
    # nothing is deleted outside the program folder (the user's data lives in their profile)
    deleted = re.findall(r'^Type:\s*\w+;\s*Name:\s*"([^"]+)"', "\n".join(inno.lines()), re.M)
    assert deleted
    assert all(PurePosixPath(name.replace("\\", "/")).parts[0] == "{app}" for name in deleted)


def test_the_release_workflow_builds_it_with_the_package_version() -> None:
    workflow = (inno.ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    assert "resources\\windows\\mjdesk.iss" in workflow
    assert '"/DAppVersion=$version"' in workflow
    assert "mjdesk-*-windows-x64-setup.exe" in workflow
