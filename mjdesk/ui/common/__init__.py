"""Pieces every feature uses: the task runner, the progress strip, dialog helpers, error text."""
