"""mjdesk: consented mailing lists for Mailjet, on the desktop."""

__version__ = "0.1.0"
APP_NAME = "mjdesk"
APP_AUTHOR = "mjdesk"
