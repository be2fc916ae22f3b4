"""One delivery mechanism for everything the product sends out: stored rows, leased claims,
attempts, retries with back-off, parking on permanent errors, a backlog (ADR 13)."""
