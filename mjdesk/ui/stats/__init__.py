"""The Statistics page: sent campaigns' figures and honest rates, a campaign's detail,
comparisons, lists, charts and exports (CSV, XLSX, PNG, a one-page PDF)."""
