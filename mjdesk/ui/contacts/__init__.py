"""The Contacts page: the lazily fetched table, search and sort, and the index catch-up."""
