"""Sync with Mailjet, the rules without the network: what a pull found is stored here
(`pull`), a plan is made from it (`plan`), and a consent record travels as contact
properties (`consent_properties`). The calls to Mailjet are in `mjdesk.mailjet.syncing`."""
