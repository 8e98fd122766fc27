"""The workspace schema as a list of forward migrations.

Each migration runs in one transaction; a workspace records every version it passed in
``schema_version``. Never edit a released migration: add the next one.
"""

from __future__ import annotations

from typing import NamedTuple

# The contact columns that the summary triggers keep in step with the consent ledger
# and the memberships, so the Contacts table can sort and show them without joins.
CONSENT_LATEST = """
    SELECT {col} FROM consent_ledger
    WHERE contact_id = {who}
    ORDER BY given_at DESC, status = 'withdrawn' DESC, id DESC LIMIT 1
"""
"""A contact's latest consent record, the one its summary shows: ``col`` of it, for the
contact whose id is the SQL ``who``."""

_LISTS_LABEL = """
    SELECT coalesce(group_concat(name, ', '), '') FROM (
        SELECT l.name AS name FROM memberships m JOIN lists l ON l.id = m.list_id
        WHERE m.contact_id = {who} ORDER BY l.name COLLATE NOCASE)
"""

_SUBSCRIPTION_LABEL = """
    SELECT CASE
        WHEN count(*) = 0 THEN ''
        WHEN total(unsub) = 0 THEN 'subscribed'
        WHEN total(unsub) = count(*) THEN 'unsubscribed'
        ELSE 'unsubscribed from ' || CAST(total(unsub) AS INTEGER) || ' of ' || count(*)
    END FROM (
        SELECT (m.status = 'unsubscribed' OR coalesce(m.mailjet_status, '') = 'unsubscribed')
            AS unsub
        FROM memberships m WHERE m.contact_id = {who})
"""


def _refresh_consent(who: str, table: str = "contacts", key: str = "id") -> str:
    """The statement a ledger trigger runs: the summary of contact ``who`` set from its
    latest record, in ``table`` (the contacts up to format 9, `CONSENT_SUMMARIES` since;
    format 1's text must never change)."""
    latest = {col: CONSENT_LATEST.format(col=col, who=who) for col in ("status", "given_at")}
    source = CONSENT_LATEST.format(col="coalesce(source_file, '')", who=who)
    return f"""
        UPDATE {table} SET
            consent_status = coalesce(({latest["status"]}), 'none'),
            consent_at = ({latest["given_at"]}),
            consent_source = coalesce(({source}), '')
        WHERE {key} = {who};
    """


def _refresh_memberships(who: str) -> str:
    return f"""
        UPDATE contacts SET
            lists_label = ({_LISTS_LABEL.format(who=who)}),
            subscription_label = ({_SUBSCRIPTION_LABEL.format(who=who)})
        WHERE id = {who};
    """


def _contacts_table(name: str, key_rule: str) -> str:
    """The contacts table as format 1 made it (``key_rule`` "UNIQUE") and format 6 makes it
    again (the key kept unique by an index instead): the same columns in the same order.
    Both are released migrations: the text this makes must never change."""
    key = f"email_key TEXT NOT NULL {key_rule}".rstrip()
    return f"""CREATE TABLE {name} (
    id INTEGER PRIMARY KEY,
    {key},
    email TEXT NOT NULL,
    first_name TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
    last_name TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
    properties TEXT NOT NULL DEFAULT '{{}}' CHECK (json_valid(properties)),
    flags TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- summaries kept by triggers, never written directly
    consent_status TEXT NOT NULL DEFAULT 'none'
        CHECK (consent_status IN ('none', 'granted', 'withdrawn')),
    consent_at TEXT,
    consent_source TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
    lists_label TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
    subscription_label TEXT NOT NULL DEFAULT '' COLLATE NOCASE
);"""


# The triggers that keep derived data in step, named for the bulk writers that suspend them
# and do their work set-based (mjdesk.core.bulk).
CONSENT_SUMMARY_ON_INSERT = "consent_summary_on_insert"
CONSENT_SUMMARY_ON_DELETE = "consent_summary_on_delete"

V1_CORE = f"""
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

{_contacts_table("contacts", "UNIQUE")}
CREATE INDEX contacts_by_name ON contacts (last_name, first_name);
CREATE INDEX contacts_by_consent ON contacts (consent_status, consent_at);
CREATE INDEX contacts_by_consent_at ON contacts (consent_at);
CREATE INDEX contacts_by_source ON contacts (consent_source);
CREATE INDEX contacts_by_lists ON contacts (lists_label);
CREATE INDEX contacts_by_subscription ON contacts (subscription_label);
CREATE INDEX contacts_by_flags ON contacts (flags);

CREATE TABLE property_types (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    datatype TEXT NOT NULL CHECK (datatype IN ('str', 'int', 'float', 'bool', 'datetime'))
);

CREATE TABLE activity (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    summary TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    details TEXT NOT NULL DEFAULT '{{}}' CHECK (json_valid(details)),
    undone_at TEXT,
    undone_by INTEGER REFERENCES activity (id)
);

-- What one activity changed, so it can be undone: the contact row before it
-- (NULL before = the activity created the contact).
CREATE TABLE activity_changes (
    activity_id INTEGER NOT NULL REFERENCES activity (id),
    contact_id INTEGER NOT NULL,
    before TEXT CHECK (before IS NULL OR json_valid(before)),
    PRIMARY KEY (activity_id, contact_id)
) WITHOUT ROWID;

CREATE TABLE import_batches (
    id INTEGER PRIMARY KEY,
    activity_id INTEGER REFERENCES activity (id),
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    sheet TEXT,
    mapping TEXT NOT NULL DEFAULT '{{}}' CHECK (json_valid(mapping)),
    counts TEXT NOT NULL DEFAULT '{{}}' CHECK (json_valid(counts)),
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    undone_at TEXT
);

CREATE TABLE consent_ledger (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    status TEXT NOT NULL CHECK (status IN ('granted', 'withdrawn')),
    given_at TEXT NOT NULL,
    source_file TEXT,
    source_sha256 TEXT,
    source_sheet TEXT,
    source_row INTEGER,
    wording TEXT,
    lawful_basis TEXT NOT NULL DEFAULT 'consent',
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    batch_id INTEGER REFERENCES import_batches (id)
);
CREATE INDEX consent_by_contact ON consent_ledger (contact_id, given_at);
CREATE INDEX consent_by_batch ON consent_ledger (batch_id);

-- The ledger is append-only. The two sanctioned removals, undoing an import and erasing a
-- person on request, first name what they remove here, inside the same transaction.
CREATE TABLE ledger_release (
    kind TEXT NOT NULL CHECK (kind IN ('batch', 'contact')),
    ref INTEGER NOT NULL,
    PRIMARY KEY (kind, ref)
) WITHOUT ROWID;

CREATE TRIGGER consent_ledger_no_update BEFORE UPDATE ON consent_ledger BEGIN
    SELECT RAISE(ABORT, 'the consent ledger is append-only');
END;

CREATE TRIGGER consent_ledger_guarded_delete BEFORE DELETE ON consent_ledger
WHEN NOT EXISTS (
    SELECT 1 FROM ledger_release
    WHERE (kind = 'batch' AND ref = OLD.batch_id) OR (kind = 'contact' AND ref = OLD.contact_id))
BEGIN
    SELECT RAISE(ABORT, 'the consent ledger is append-only');
END;

CREATE TRIGGER {CONSENT_SUMMARY_ON_INSERT} AFTER INSERT ON consent_ledger BEGIN
    {_refresh_consent("NEW.contact_id")}
END;

CREATE TRIGGER {CONSENT_SUMMARY_ON_DELETE} AFTER DELETE ON consent_ledger BEGIN
    {_refresh_consent("OLD.contact_id")}
END;

CREATE TABLE lists (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    mailjet_id INTEGER,
    created_at TEXT NOT NULL
);

CREATE TABLE memberships (
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'subscribed' CHECK (status IN ('subscribed', 'unsubscribed')),
    added_at TEXT NOT NULL,
    -- as last seen in Mailjet (NULL: never synced)
    mailjet_status TEXT CHECK (mailjet_status IN ('subscribed', 'unsubscribed', 'removed')),
    mailjet_changed_at TEXT,
    synced_at TEXT,
    PRIMARY KEY (contact_id, list_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_list ON memberships (list_id, status);

CREATE TRIGGER memberships_summary_on_insert AFTER INSERT ON memberships BEGIN
    {_refresh_memberships("NEW.contact_id")}
END;

CREATE TRIGGER memberships_summary_on_update AFTER UPDATE ON memberships BEGIN
    {_refresh_memberships("OLD.contact_id")}
    {_refresh_memberships("NEW.contact_id")}
END;

CREATE TRIGGER memberships_summary_on_delete AFTER DELETE ON memberships BEGIN
    {_refresh_memberships("OLD.contact_id")}
END;

CREATE TRIGGER lists_rename AFTER UPDATE OF name ON lists BEGIN
    UPDATE contacts SET lists_label = ({_LISTS_LABEL.format(who="contacts.id")})
    WHERE id IN (SELECT contact_id FROM memberships WHERE list_id = NEW.id);
END;

-- An erased person leaves only a keyed hash of the address, so a later spreadsheet
-- cannot quietly bring them back.
CREATE TABLE tombstones (
    address_hash TEXT PRIMARY KEY,
    erased_at TEXT NOT NULL,
    erased_by TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
"""

CONTACTS_SEARCH_ON_INSERT = "contacts_search_on_insert"
CONTACTS_SEARCH_ON_DELETE = "contacts_search_on_delete"

V2_SEARCH = f"""
-- Substring search over address and names: a trigram index answers any term of three
-- characters or more without scanning the table. Shorter terms match the start of the
-- address (email_key's index) or of a name (these two).
CREATE INDEX contacts_by_first_name ON contacts (first_name);
CREATE VIRTUAL TABLE contacts_search USING fts5(text, tokenize = 'trigram');

INSERT INTO contacts_search (rowid, text)
    SELECT id, email || ' ' || first_name || ' ' || last_name FROM contacts;

CREATE TRIGGER {CONTACTS_SEARCH_ON_INSERT} AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_search (rowid, text)
        VALUES (NEW.id, NEW.email || ' ' || NEW.first_name || ' ' || NEW.last_name);
END;

CREATE TRIGGER contacts_search_on_update AFTER UPDATE OF email, first_name, last_name ON contacts
BEGIN
    UPDATE contacts_search SET text = NEW.email || ' ' || NEW.first_name || ' ' || NEW.last_name
        WHERE rowid = NEW.id;
END;

CREATE TRIGGER {CONTACTS_SEARCH_ON_DELETE} AFTER DELETE ON contacts BEGIN
    DELETE FROM contacts_search WHERE rowid = OLD.id;
END;
"""


CONTACTS_COUNT_ON_INSERT = "contacts_count_on_insert"
CONTACTS_COUNT_ON_DELETE = "contacts_count_on_delete"

V3_COUNTERS = f"""
-- Running totals kept by triggers, so that the size of a big table is a lookup.
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO counters (name, value) SELECT 'contacts', count(*) FROM contacts;

CREATE TRIGGER {CONTACTS_COUNT_ON_INSERT} AFTER INSERT ON contacts BEGIN
    UPDATE counters SET value = value + 1 WHERE name = 'contacts';
END;

CREATE TRIGGER {CONTACTS_COUNT_ON_DELETE} AFTER DELETE ON contacts BEGIN
    UPDATE counters SET value = value - 1 WHERE name = 'contacts';
END;
"""


V4_DEFERRED_INDEXING = """
-- A big import writes its contacts and consent records first and leaves the indexes to
-- catch up in the background (mjdesk.core.indexing): the sort indexes it dropped, by the
-- statement that creates them again, and the ranges of contact ids not yet in the search
-- index. Searches cover those ranges by reading the rows themselves until then.
CREATE TABLE index_backlog (
    name TEXT PRIMARY KEY,
    sql TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE search_backlog (
    first_id INTEGER PRIMARY KEY,
    last_id INTEGER NOT NULL CHECK (last_id >= first_id)
);
"""


V5_PREFIX_PAGES = """
-- A search by one or two letters, in address order, takes its first page from the indexes
-- alone: each name index carries the address key, so the names that start with the letters
-- are put in address order without reading their rows.
DROP INDEX IF EXISTS contacts_by_first_name;
DELETE FROM index_backlog WHERE name = 'contacts_by_first_name';
CREATE INDEX contacts_by_first_name ON contacts (first_name, email_key);
CREATE INDEX contacts_by_last_name ON contacts (last_name, email_key);
"""


V6_KEY_INDEX = f"""
-- The address key is kept unique by an index of its own instead of the column's UNIQUE
-- (whose index SQLite never drops): an import that at least doubles the table drops it,
-- inserts its contacts in file order and builds it once, inside its transaction, which
-- beats putting a million keys into it one by one. The table is made again with the
-- same columns in the same order, ids and rows; its other indexes and its triggers are
-- created again as they were (Migration.rebuilds).
{_contacts_table("contacts_v6", "")}
INSERT INTO contacts_v6 SELECT * FROM contacts ORDER BY id;
DROP TABLE contacts;
ALTER TABLE contacts_v6 RENAME TO contacts;
CREATE UNIQUE INDEX contacts_by_key ON contacts (email_key);
"""


V7_REVIEW = """
-- The consent review's flags, one row per contact and flag (a minority of contacts carry
-- any), so that counting and filtering by a flag reads this small table, not the contacts.
-- ``hint`` says more: the fix of a possible typo, the address a duplicate shares.
-- mjdesk.core.flags computes them again after every change; a deleted contact's go with it.
CREATE TABLE contact_flags (
    flag TEXT NOT NULL,
    contact_id INTEGER NOT NULL,
    hint TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (flag, contact_id)
) WITHOUT ROWID;
CREATE INDEX contact_flags_by_contact ON contact_flags (contact_id);

CREATE TRIGGER contact_flags_on_delete AFTER DELETE ON contacts BEGIN
    DELETE FROM contact_flags WHERE contact_id = OLD.id;
END;

-- Counting the contacts of each import (and filtering by one) reads this index alone.
CREATE INDEX consent_by_batch_contact ON consent_ledger (batch_id, contact_id);
"""


V8_SYNC = """
-- What Mailjet holds, as the last pull saw it (mjdesk.core.sync): one Mailjet account per
-- workspace, its profile's. A Mailjet contact is ours when the keys of the addresses match.
CREATE TABLE mailjet_contacts (
    mailjet_id INTEGER PRIMARY KEY,
    email_key TEXT NOT NULL,
    email TEXT NOT NULL,
    is_excluded INTEGER NOT NULL DEFAULT 0,
    is_spam INTEGER NOT NULL DEFAULT 0,
    is_anonymized INTEGER NOT NULL DEFAULT 0,
    hard_bounced_at TEXT,
    properties TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(properties)),
    updated_at TEXT NOT NULL DEFAULT '',  -- Mailjet's LastUpdateAt: its properties are
    pulled_at TEXT NOT NULL               -- read again only when it moved
);
CREATE INDEX mailjet_contacts_by_key ON mailjet_contacts (email_key);

-- When a list was last pulled, and how each membership stood when both sides last agreed
-- (a pull, or a push confirmed by reading Mailjet again): the base of the three-way plan.
ALTER TABLE lists ADD COLUMN pulled_at TEXT;
ALTER TABLE memberships ADD COLUMN synced_status TEXT
    CHECK (synced_status IN ('subscribed', 'unsubscribed', 'removed'));

-- People erased here whom Mailjet must still be told to erase: their Mailjet id, nothing else.
CREATE TABLE mailjet_erasures (
    mailjet_id INTEGER PRIMARY KEY,
    erased_at TEXT NOT NULL,
    done_at TEXT
);
"""


SYNC_JOURNAL_VERSION = 9
"""The sync journal's migration number (one line to change if another lands first)."""

SYNC_JOURNAL = """
-- The journal of a push (mjdesk.core.sync.journal): each run over one list, and its steps,
-- each written before its request is sent and marked as Mailjet answers, so that a push cut
-- short (a crash, a cancel, the network) resumes where it stopped and sends nothing twice.
CREATE TABLE sync_runs (
    id INTEGER PRIMARY KEY,
    list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    mailjet_list_id INTEGER NOT NULL,
    actor TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    state TEXT NOT NULL DEFAULT 'running'
        CHECK (state IN ('running', 'done', 'cancelled', 'failed')),
    summary TEXT NOT NULL DEFAULT ''
);
-- One unfinished run per list: a second push resumes it instead of starting another.
CREATE UNIQUE INDEX sync_runs_unfinished ON sync_runs (list_id)
    WHERE state IN ('running', 'cancelled');

-- ``sending``: the request may have gone (a crash mid-request); ``unknown``: it went and
-- its reply was lost. Either way Mailjet is read again before anything is sent again.
CREATE TABLE sync_steps (
    run_id INTEGER NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN
        ('define_properties', 'add', 'update', 'unsubscribe', 'erase', 'verify')),
    payload TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN
        ('pending', 'sending', 'sent', 'unknown', 'done', 'failed')),
    job_id INTEGER,
    sent_at TEXT,
    done_at TEXT,
    result TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
"""


CONSENT_SUMMARIES_VERSION = 10
"""The migration that moves the consent summaries out of the contacts table."""

CONSENT_SUMMARIES = "consent_summaries"
"""The table of each contact's consent summary (its latest record's status, date and
source file), kept by triggers beside the contacts."""
CONTACTS_WITH_CONSENT = "contacts_with_consent"
"""The contacts with their consent summaries, as one row each (a view: use it as
``contacts_with_consent AS contacts`` where a query sorts or filters by consent)."""
CONSENT_ROW_ON_INSERT = "consent_row_on_insert"
CONSENT_ROW_ON_DELETE = "consent_row_on_delete"

V10_CONSENT_SUMMARIES = f"""
-- Each contact's consent summary moves to a narrow table of its own: a bulk withdrawal
-- of a hundred thousand contacts spread over a million then rewrites a few thousand small
-- pages instead of every page of the wide contacts table. Every contact has one row
-- ('none' until it has a consent record), made and removed with it.
CREATE TABLE {CONSENT_SUMMARIES} (
    contact_id INTEGER PRIMARY KEY,
    consent_status TEXT NOT NULL DEFAULT 'none'
        CHECK (consent_status IN ('none', 'granted', 'withdrawn')),
    consent_at TEXT,
    consent_source TEXT NOT NULL DEFAULT '' COLLATE NOCASE
);
INSERT INTO {CONSENT_SUMMARIES} (contact_id, consent_status, consent_at, consent_source)
    SELECT id, consent_status, consent_at, consent_source FROM contacts ORDER BY id;

DROP TRIGGER {CONSENT_SUMMARY_ON_INSERT};
DROP TRIGGER {CONSENT_SUMMARY_ON_DELETE};
DROP INDEX IF EXISTS contacts_by_consent;
DROP INDEX IF EXISTS contacts_by_consent_at;
DROP INDEX IF EXISTS contacts_by_source;
DELETE FROM index_backlog
    WHERE name IN ('contacts_by_consent', 'contacts_by_consent_at', 'contacts_by_source');
ALTER TABLE contacts DROP COLUMN consent_status;
ALTER TABLE contacts DROP COLUMN consent_at;
ALTER TABLE contacts DROP COLUMN consent_source;

CREATE INDEX consent_summaries_by_status ON {CONSENT_SUMMARIES} (consent_status, consent_at);
CREATE INDEX consent_summaries_by_at ON {CONSENT_SUMMARIES} (consent_at);
CREATE INDEX consent_summaries_by_source ON {CONSENT_SUMMARIES} (consent_source);

CREATE TRIGGER {CONSENT_SUMMARY_ON_INSERT} AFTER INSERT ON consent_ledger BEGIN
    {_refresh_consent("NEW.contact_id", CONSENT_SUMMARIES, "contact_id")}
END;

CREATE TRIGGER {CONSENT_SUMMARY_ON_DELETE} AFTER DELETE ON consent_ledger BEGIN
    {_refresh_consent("OLD.contact_id", CONSENT_SUMMARIES, "contact_id")}
END;

CREATE TRIGGER {CONSENT_ROW_ON_INSERT} AFTER INSERT ON contacts BEGIN
    INSERT INTO {CONSENT_SUMMARIES} (contact_id) VALUES (NEW.id);
END;

CREATE TRIGGER {CONSENT_ROW_ON_DELETE} AFTER DELETE ON contacts BEGIN
    DELETE FROM {CONSENT_SUMMARIES} WHERE contact_id = OLD.id;
END;

CREATE VIEW {CONTACTS_WITH_CONSENT} AS
    SELECT c.*, s.consent_status, s.consent_at, s.consent_source
    FROM contacts c JOIN {CONSENT_SUMMARIES} s ON s.contact_id = c.id;
"""


MAILING_CACHE_VERSION = 11
"""The mailing cache's migration number."""

MAILING_CACHE = """
-- Campaign drafts and templates as Mailjet last showed them, with their content, so that
-- every preview works offline (mjdesk.core.preview.cache). ``list_id`` is the draft's
-- Mailjet list (0 for a template); ``status`` is Mailjet's draft status number.
CREATE TABLE mailings (
    kind TEXT NOT NULL CHECK (kind IN ('draft', 'template')),
    mailjet_id INTEGER NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    sender_name TEXT NOT NULL DEFAULT '',
    sender_email TEXT NOT NULL DEFAULT '',
    reply_to TEXT NOT NULL DEFAULT '',
    status INTEGER NOT NULL DEFAULT 0,
    list_id INTEGER NOT NULL DEFAULT 0,
    modified_at TEXT NOT NULL DEFAULT '',
    html TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    mjml TEXT NOT NULL DEFAULT '',
    headers TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(headers)),
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (kind, mailjet_id)
) WITHOUT ROWID;

-- The account's sender addresses (or ``*@domain``), lower-case, and whether Mailjet has
-- validated them (``Active``), as last fetched: the pre-flight check reads it offline.
CREATE TABLE mailjet_senders (
    email TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    fetched_at TEXT NOT NULL
) WITHOUT ROWID;
"""


STATISTICS_CACHE_VERSION = 12
"""The statistics cache's migration number."""

STATISTICS_CACHE = """
-- Mailjet's statistics as last fetched (mjdesk.core.stats), so the Statistics page opens
-- offline and says how old its figures are. Ids are Mailjet's; nothing here is personal.
CREATE TABLE stats_campaigns (
    campaign_id INTEGER PRIMARY KEY,
    subject TEXT NOT NULL DEFAULT '',
    sent_at TEXT NOT NULL DEFAULT '',
    mailjet_list_id INTEGER NOT NULL DEFAULT 0,
    list_name TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
    processed INTEGER NOT NULL DEFAULT 0,
    delivered INTEGER NOT NULL DEFAULT 0,
    opened INTEGER NOT NULL DEFAULT 0,
    clicked INTEGER NOT NULL DEFAULT 0,
    hard_bounced INTEGER NOT NULL DEFAULT 0,
    soft_bounced INTEGER NOT NULL DEFAULT 0,
    blocked INTEGER NOT NULL DEFAULT 0,
    spam INTEGER NOT NULL DEFAULT 0,
    unsubscribed INTEGER NOT NULL DEFAULT 0,
    open_events INTEGER NOT NULL DEFAULT 0,
    click_events INTEGER NOT NULL DEFAULT 0,
    fetched_at TEXT NOT NULL
);
CREATE INDEX stats_campaigns_sent ON stats_campaigns (sent_at);

-- A campaign's detail, fetched with its figures or when it is opened: opens and clicks by the
-- hour they happened (statcounters, CounterTiming=Event), its links, its mailbox providers.
CREATE TABLE stats_details (
    campaign_id INTEGER PRIMARY KEY REFERENCES stats_campaigns (campaign_id) ON DELETE CASCADE,
    fetched_at TEXT NOT NULL
);
CREATE TABLE stats_hours (
    campaign_id INTEGER NOT NULL REFERENCES stats_details (campaign_id) ON DELETE CASCADE,
    hour TEXT NOT NULL,
    opened INTEGER NOT NULL DEFAULT 0,
    clicked INTEGER NOT NULL DEFAULT 0,
    open_events INTEGER NOT NULL DEFAULT 0,
    click_events INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, hour)
) WITHOUT ROWID;
CREATE TABLE stats_links (
    campaign_id INTEGER NOT NULL REFERENCES stats_details (campaign_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    url TEXT NOT NULL,
    clicked_messages INTEGER NOT NULL DEFAULT 0,
    clicked_events INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, position, url)
) WITHOUT ROWID;
CREATE TABLE stats_providers (
    campaign_id INTEGER NOT NULL REFERENCES stats_details (campaign_id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    attempted INTEGER NOT NULL DEFAULT 0,
    delivered INTEGER NOT NULL DEFAULT 0,
    opened INTEGER NOT NULL DEFAULT 0,
    clicked INTEGER NOT NULL DEFAULT 0,
    soft_bounced INTEGER NOT NULL DEFAULT 0,
    hard_bounced INTEGER NOT NULL DEFAULT 0,
    spam INTEGER NOT NULL DEFAULT 0,
    unsubscribed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, provider)
) WITHOUT ROWID;

-- Mailjet's lists: current members by subscription state, and joins and leaves per day.
CREATE TABLE stats_lists (
    mailjet_list_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL COLLATE NOCASE,
    subscribed INTEGER NOT NULL DEFAULT 0,
    unsubscribed INTEGER NOT NULL DEFAULT 0,
    fetched_at TEXT NOT NULL
);
CREATE TABLE stats_list_days (
    mailjet_list_id INTEGER NOT NULL REFERENCES stats_lists (mailjet_list_id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    joined INTEGER NOT NULL DEFAULT 0,
    left_list INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (mailjet_list_id, day)
) WITHOUT ROWID;

-- Each completed fetch: the page says how old the figures are from the newest.
CREATE TABLE stats_fetches (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('full', 'refresh')),
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    campaigns INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0
);
"""


MEMBERSHIP_SUMMARY_GUARD_VERSION = 13

_SUMMARY_INPUTS_CHANGED = """
    OLD.contact_id IS NOT NEW.contact_id OR OLD.list_id IS NOT NEW.list_id
    OR (OLD.status = 'unsubscribed' OR coalesce(OLD.mailjet_status, '') = 'unsubscribed')
        IS NOT (NEW.status = 'unsubscribed' OR coalesce(NEW.mailjet_status, '') = 'unsubscribed')
"""

# A membership's summaries on its contact (the lists, the subscription) follow only its
# contact, its list and whether it counts as unsubscribed: a pull or a push that records
# Mailjet's state and when it was synced (50,000 rows after a first push) changes none of
# them, so the trigger no longer computes both summaries twice over for each such row.
MEMBERSHIP_SUMMARY_GUARD = f"""
DROP TRIGGER memberships_summary_on_update;
CREATE TRIGGER memberships_summary_on_update AFTER UPDATE ON memberships
WHEN {_SUMMARY_INPUTS_CHANGED.strip()}
BEGIN
    {_refresh_memberships("OLD.contact_id")}
    {_refresh_memberships("NEW.contact_id")}
END;
"""


CONSENT_VIEW_VERSION = 14

CONSENT_VIEW = f"""
-- The contacts with their consent summaries, their id taken from the summaries' side: a
-- page in the order of a summary (its source, its date) then walks that index alone, each
-- equal value already in id order, instead of sorting a whole source file's contacts by id.
DROP VIEW {CONTACTS_WITH_CONSENT};
CREATE VIEW {CONTACTS_WITH_CONSENT} AS
    SELECT s.contact_id AS id, c.email_key, c.email, c.first_name, c.last_name, c.properties,
        c.flags, c.created_at, c.updated_at, c.lists_label, c.subscription_label,
        s.consent_status, s.consent_at, s.consent_source
    FROM {CONSENT_SUMMARIES} s JOIN contacts c ON c.id = s.contact_id;
"""


class Migration(NamedTuple):
    """One step forward: from ``version - 1`` to ``version``."""

    version: int
    title: str
    sql: str
    rebuilds: str = ""
    """A table the step makes again under the same name (dropping the old one): its
    indexes and triggers as they were before the step are created again after it, and
    the step runs with foreign keys off (dropping the table must not cascade) and checked
    before it commits."""


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "contacts, consent ledger, lists, journal, imports, tombstones", V1_CORE),
    Migration(2, "search indexes", V2_SEARCH),
    Migration(3, "contact counter", V3_COUNTERS),
    Migration(4, "indexes that catch up after a big import", V4_DEFERRED_INDEXING),
    Migration(5, "name indexes that carry the address key", V5_PREFIX_PAGES),
    Migration(6, "the address key unique by an index", V6_KEY_INDEX, rebuilds="contacts"),
    Migration(7, "consent review flags", V7_REVIEW),
    Migration(8, "what Mailjet holds, for sync", V8_SYNC),
    Migration(SYNC_JOURNAL_VERSION, "the sync journal (push and resume)", SYNC_JOURNAL),
    Migration(
        CONSENT_SUMMARIES_VERSION,
        "consent summaries in a table of their own",
        V10_CONSENT_SUMMARIES,
    ),
    Migration(MAILING_CACHE_VERSION, "drafts, templates and senders for preview", MAILING_CACHE),
    Migration(STATISTICS_CACHE_VERSION, "Mailjet statistics, cached", STATISTICS_CACHE),
    Migration(
        MEMBERSHIP_SUMMARY_GUARD_VERSION,
        "membership summaries kept only when they can change",
        MEMBERSHIP_SUMMARY_GUARD,
    ),
    Migration(CONSENT_VIEW_VERSION, "contacts with consent sorted by index", CONSENT_VIEW),
)

LATEST_VERSION = MIGRATIONS[-1].version
