"""The practice sandbox: a local Mailjet stand-in served on loopback HTTP. No Qt."""
