"""Qt enum values as plain numbers, for code on the way to the first paint.

PySide builds the Python enums of the whole ``Qt`` namespace the first time any of them
is touched (about 20 ms of start-up), so the window, the contacts model and page use these
until the first page is on screen. A test holds each to its ``Qt`` enum.
"""

# Qt.ItemDataRole
DISPLAY_ROLE = 0
TOOLTIP_ROLE = 3
FOREGROUND_ROLE = 9
ACCESSIBLE_TEXT_ROLE = 11
# Qt.Orientation
HORIZONTAL = 1
# Qt.SortOrder
ASCENDING = 0
DESCENDING = 1
