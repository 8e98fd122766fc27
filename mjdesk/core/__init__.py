"""The product's rules in plain Python: no Qt and no network here."""
