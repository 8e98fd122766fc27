"""Mailing preview: the mail as each recipient will get it, and the checks before sending."""
