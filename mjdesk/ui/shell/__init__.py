"""The shell: the main window that hosts the feature pages; welcome, crash, upgrade, self-test."""
