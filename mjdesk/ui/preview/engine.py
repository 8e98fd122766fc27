"""QtWebEngine locked down for previewing mail: nothing leaves the computer unless asked.

This module is the only one that loads QtWebEngine, and nothing imports it at start-up: the
Preview page imports it when the first preview opens (see `mjdesk.ui.preview.page`), so the
window still starts fast. It keeps working in the frozen app (build.spec bundles the modules).

What keeps a preview private:
- an off-the-record profile for each page (no disk cache, no cookies kept, nothing shared);
- on every page, a request interceptor that blocks every request that is not the mail itself
  (its ``data:`` document, and ``data:`` images, fonts and styles written inside it): remote
  images and tracking pixels, CSS ``url()`` and ``@import``, stylesheet links, iframes, media
  and posters, fonts, prefetches, favicons, and any navigation away. "Load images" lets
  ``http(s)`` images through, and nothing else;
- JavaScript off (and everything around it: plugins, local-file access, DNS prefetch,
  hyperlink auditing pings, window opening); clicking a link does not navigate, it is
  reported (`PreviewPage.linkClicked`) so the page can say where it would go;
- the HTML is set with no base URL, so a relative address resolves to nothing at all.

Dark mode: a mail's own ``prefers-color-scheme: dark`` rules are switched on (the media query is
rewritten so it always matches, as Apple Mail or iOS would honour it), and Chromium's automatic
dark rendering (`QWebEngineSettings.ForceDarkMode`) darkens whatever the mail leaves light,
as Gmail's and Outlook's apps do. Chromium leaves a mail that declares a dark colour scheme
of its own as it is.

`snapshot` renders a mail to a `QImage` without the window (given a QApplication), waiting
until it has really painted; the command line's ``mjdesk preview --png`` uses it.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QSize, Qt, QThread, QUrl, Signal
from PySide6.QtGui import QImage
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QWidget

from mjdesk.core.preview.preflight import DESKTOP_WIDTH
from mjdesk.ui.preview.headless import prepare_environment

MAX_HTML_BYTES = 2 * 1024 * 1024
"""QtWebEngine loads set HTML as a ``data:`` URL, which it caps at 2 MB."""
MAX_SNAPSHOT_HEIGHT = 16_000
"""A snapshot this tall is cut (a mail longer than that is a problem of its own)."""

_Type = QWebEngineUrlRequestInfo.ResourceType
_INLINE_TYPES = frozenset(
    {
        _Type.ResourceTypeMainFrame,
        _Type.ResourceTypeImage,
        _Type.ResourceTypeFontResource,
        _Type.ResourceTypeStylesheet,
    }
)
_DARK_QUERY = re.compile(r"\(\s*prefers-color-scheme\s*:\s*dark\s*\)", re.IGNORECASE)
_LIGHT_QUERY = re.compile(r"\(\s*prefers-color-scheme\s*:\s*light\s*\)", re.IGNORECASE)

_OFF = (
    QWebEngineSettings.WebAttribute.JavascriptEnabled,
    QWebEngineSettings.WebAttribute.JavascriptCanOpenWindows,
    QWebEngineSettings.WebAttribute.JavascriptCanAccessClipboard,
    QWebEngineSettings.WebAttribute.JavascriptCanPaste,
    QWebEngineSettings.WebAttribute.PluginsEnabled,
    QWebEngineSettings.WebAttribute.PdfViewerEnabled,
    QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls,
    QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls,
    QWebEngineSettings.WebAttribute.LocalStorageEnabled,
    QWebEngineSettings.WebAttribute.DnsPrefetchEnabled,
    QWebEngineSettings.WebAttribute.HyperlinkAuditingEnabled,
    QWebEngineSettings.WebAttribute.AutoLoadIconsForPage,
    QWebEngineSettings.WebAttribute.TouchIconsEnabled,
    QWebEngineSettings.WebAttribute.AllowRunningInsecureContent,
    QWebEngineSettings.WebAttribute.WebGLEnabled,
    QWebEngineSettings.WebAttribute.Accelerated2dCanvasEnabled,
    QWebEngineSettings.WebAttribute.ScreenCaptureEnabled,
    QWebEngineSettings.WebAttribute.FullScreenSupportEnabled,
    QWebEngineSettings.WebAttribute.NavigateOnDropEnabled,
    QWebEngineSettings.WebAttribute.ErrorPageEnabled,
    QWebEngineSettings.WebAttribute.FocusOnNavigationEnabled,
)


@dataclass(frozen=True)
class Look:
    """How a mail is shown: its width in CSS pixels, dark or light, remote images or not."""

    width: int = DESKTOP_WIDTH
    dark: bool = False
    load_images: bool = False


def allowed(resource: QWebEngineUrlRequestInfo.ResourceType, scheme: str, images: bool) -> bool:
    """Whether a preview lets a request through: only the mail's own ``data:`` content, and
    with ``images`` remote (http/https) images."""
    if scheme == "data":
        return resource in _INLINE_TYPES
    return images and scheme in ("http", "https") and resource == _Type.ResourceTypeImage


class PrivacyInterceptor(QWebEngineUrlRequestInterceptor):
    """Blocks every request `allowed` refuses, and counts what it let through and blocked."""

    def __init__(self, parent: QWebEnginePage | None = None) -> None:
        super().__init__(parent)
        self.load_images = False
        self.blocked: list[str] = []
        self.let_through: list[str] = []

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        url = info.requestUrl()
        if allowed(info.resourceType(), url.scheme().lower(), self.load_images):
            if url.scheme().lower() != "data":
                self.let_through.append(url.toString())
            return
        info.block(True)
        if url.scheme().lower() != "data":
            self.blocked.append(url.toString())


_prepared: list[str] | None = None


def private_profile() -> QWebEngineProfile:
    """A new off-the-record profile: no disk cache, no cookies kept, no spell-checking. The
    first one starts Chromium, so the headless flags are set then when there is no screen
    (or the process runs as root)."""
    global _prepared
    if _prepared is None:
        offscreen = os.environ.get("QT_QPA_PLATFORM") == "offscreen"
        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
        _prepared = prepare_environment() if offscreen or as_root else []
    profile = QWebEngineProfile()
    assert profile.isOffTheRecord()
    profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.NoCache)
    profile.setPersistentCookiesPolicy(
        QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies
    )
    profile.setSpellCheckEnabled(False)
    return profile


def for_dark_mode(html: str) -> str:
    """``html`` with its dark-scheme media rules always on and its light-scheme ones off."""
    html = _DARK_QUERY.sub("(min-width: 0px)", html)
    return _LIGHT_QUERY.sub("(max-width: 0px)", html)


class PreviewPage(QWebEnginePage):
    """A page on the private profile that only ever shows the HTML it is given."""

    #: a link in the mail was clicked: where it would go (it does not navigate)
    linkClicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        profile = private_profile()
        super().__init__(profile, parent)
        # Its own profile, deleted with it and after it (Chromium wants a profile to outlive
        # its pages): nothing is shared between previews, and nothing is left at exit.
        profile.setParent(self)
        self.interceptor = PrivacyInterceptor(self)
        self.setUrlRequestInterceptor(self.interceptor)
        settings = self.settings()
        for attribute in _OFF:
            settings.setAttribute(attribute, False)
        self.look = Look()
        self.apply(self.look)

    def apply(self, look: Look) -> None:
        """Use ``look``'s images and dark settings from the next `show_html` on."""
        self.look = look
        self.interceptor.load_images = look.load_images
        settings = self.settings()
        settings.setAttribute(QWebEngineSettings.WebAttribute.AutoLoadImages, look.load_images)
        settings.setAttribute(QWebEngineSettings.WebAttribute.ForceDarkMode, look.dark)

    def show_html(self, html: str) -> None:
        """Show ``html`` as the current `Look` says (its own base: nothing relative resolves)."""
        if self.look.dark:
            html = for_dark_mode(html)
        if len(html.encode("utf-8")) > MAX_HTML_BYTES:
            html = (
                "<p style='font: 14px sans-serif; padding: 1em'>This mail's HTML is over 2 MB: "
                "too big to preview (and far beyond Gmail's 102 KB clipping).</p>"
            )
        self.interceptor.blocked.clear()
        self.interceptor.let_through.clear()
        self.setHtml(html, QUrl())

    def acceptNavigationRequest(
        self, url: QUrl | str, kind: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        target = QUrl(url) if isinstance(url, str) else url
        if target.scheme() == "data" and kind == QWebEnginePage.NavigationType.NavigationTypeTyped:
            return True  # (setHtml's own load)
        if kind == QWebEnginePage.NavigationType.NavigationTypeLinkClicked:
            self.linkClicked.emit(target.toString())
        return False


class PreviewView(QWebEngineView):
    """A web view showing one `PreviewPage`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview = PreviewPage(self)
        self.setPage(self.preview)
        self.setAccessibleName("The mail as the recipient sees it")
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)


def _spin(condition: Callable[[], bool], timeout_s: float) -> bool:
    """Run the event loop until ``condition()`` holds; whether it did within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        QThread.msleep(5)
    return True


def _uniform(image: QImage) -> bool:
    """Whether every sampled pixel has the same colour (nothing painted yet, or blank)."""
    first = image.pixel(0, 0)
    step_x = max(1, image.width() // 40)
    step_y = max(1, image.height() // 80)
    return all(
        image.pixel(x, y) == first
        for y in range(0, image.height(), step_y)
        for x in range(0, image.width(), step_x)
    )


def wait_painted(view: QWebEngineView, timeout_s: float = 10.0, settle_s: float = 1.0) -> QImage:
    """The view's picture once it has painted: two grabs alike and not all one colour (a mail
    that really is blank is taken once ``settle_s`` has passed without change)."""
    began = time.monotonic()
    previous: QImage | None = None
    image = view.grab().toImage()
    while time.monotonic() - began < timeout_s:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        QThread.msleep(40)
        image = view.grab().toImage()
        stable = previous is not None and image == previous
        if stable and (not _uniform(image) or time.monotonic() - began > settle_s):
            return image
        previous = image
    return image


class SnapshotError(RuntimeError):
    """The mail could not be rendered in time."""


def snapshot(
    html: str,
    width: int = DESKTOP_WIDTH,
    *,
    dark: bool = False,
    load_images: bool = False,
    timeout_s: float = 30.0,
) -> QImage:
    """The rendered ``html`` as an image ``width`` CSS pixels wide and as tall as the mail
    (at most `MAX_SNAPSHOT_HEIGHT`), painted offscreen with the same privacy as the window.

    Needs a QApplication (nothing else of the window); times the device pixel ratio on a
    high-DPI screen. Raises `SnapshotError` when the page did not load within ``timeout_s``.
    """
    view = PreviewView()
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    try:
        view.preview.apply(Look(width, dark, load_images))
        view.resize(QSize(width, 600))
        view.show()
        loaded: list[bool] = []
        view.preview.loadFinished.connect(loaded.append)
        view.preview.show_html(html)
        if not _spin(lambda: bool(loaded), timeout_s):
            raise SnapshotError(f"the mail did not render within {timeout_s:g} s")
        height = _settled_height(view.preview, timeout_s=2.0)
        view.resize(QSize(width, max(1, min(height, MAX_SNAPSHOT_HEIGHT))))
        return wait_painted(view, timeout_s)
    finally:
        view.close()
        view.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _settled_height(page: QWebEnginePage, timeout_s: float) -> int:
    """The document's height once its layout stops changing."""
    deadline = time.monotonic() + timeout_s
    last = -1.0
    while time.monotonic() < deadline:
        height = page.contentsSize().height()
        if height == last and height > 0:
            break
        last = height
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        QThread.msleep(40)
    return int(page.contentsSize().height() + 0.5)


def save_png(image: QImage, path: Path) -> None:
    """Write ``image`` as PNG to ``path`` (given the ``.png`` suffix when it has another);
    OSError when it cannot be written."""
    target = path if path.suffix.lower() == ".png" else path.with_name(path.name + ".png")
    if not image.save(str(target)):  # (the format follows the suffix)
        raise OSError(f"could not write {target}")
