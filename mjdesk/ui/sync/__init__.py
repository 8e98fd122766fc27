"""The Lists and Sync pages: lists with their Mailjet counterparts, pull and plan."""
