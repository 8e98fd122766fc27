"""A chart's place on the page. Qt Charts is loaded when the first chart is drawn, not when
the window starts: the panel is a plain widget until then."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QSize
from PySide6.QtWidgets import QVBoxLayout, QWidget

from mjdesk.core.work import UserError

if TYPE_CHECKING:
    from PySide6.QtCharts import QChart, QChartView

    from mjdesk.ui.stats.charts import ChartMaker

PNG_SIZE = QSize(1200, 700)
"""Exported charts are this many pixels, whatever the window's size."""


class ChartPanel(QWidget):
    """Shows the chart a maker makes, made again when the palette changes (the OS switched
    between light and dark); saves it as a PNG of a fixed size."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self.setMinimumHeight(220)
        self.maker: ChartMaker | None = None
        self.view: QChartView | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def chart(self) -> QChart | None:
        return None if self.view is None else self.view.chart()

    def show_chart(self, maker: ChartMaker | None) -> None:
        """Show what ``maker(palette)`` makes (None: nothing)."""
        self.maker = maker
        if maker is None and self.view is None:
            return
        from PySide6.QtCharts import QChart, QChartView
        from PySide6.QtGui import QPainter

        if self.view is None:
            self.view = QChartView(self)
            self.view.setAccessibleName(self.accessibleName())
            self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._layout.addWidget(self.view)
        old = self.view.chart()
        self.view.setChart(maker(self.palette()) if maker is not None else QChart())
        if old is not None:
            old.deleteLater()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.maker is not None:
            self.show_chart(self.maker)

    def save_png(self, out: Path, size: QSize = PNG_SIZE) -> Path:
        """The chart, light, as a PNG of ``size`` pixels."""
        if self.maker is None:
            raise UserError("There is no chart to save yet.")
        from mjdesk.ui.stats.charts import save_png

        return save_png(self.maker, out, size)
