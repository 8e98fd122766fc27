"""Campaign and list statistics from Mailjet, cached in the workspace: the figures and their
rates (`figures`), the cache and its queries (`cache`), and exports (`export`). No Qt here; the
fetch lives in mjdesk.mailjet.stats_fetch."""
