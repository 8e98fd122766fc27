"""The Mailjet client layer over mailjet-rest (accounts, paging, retries, typed errors). No Qt."""
