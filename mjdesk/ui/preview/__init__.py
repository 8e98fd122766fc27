"""The Preview page: drafts, templates and local files rendered as real recipients."""
