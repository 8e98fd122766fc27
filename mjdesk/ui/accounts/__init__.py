"""Mailjet accounts: the accounts dialog and the connection status in the status bar."""
