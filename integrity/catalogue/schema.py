"""SQLite schema of the shipped catalogue and the list kinds it knows.

Why SQLite: one small file that is committed with the code (a snapshot reviewers can cite), readable
by any tool, and updated by ``integrity catalogue import`` in a transaction.
"""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 1

DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lists (
    list_id TEXT PRIMARY KEY,       -- e.g. pku_core, cssci, cscd, cas_warning, provincial_authority:gansu
    title TEXT NOT NULL,            -- zh-CN label shown in findings
    kind TEXT NOT NULL,             -- edition|period|warning|registry|provincial|provincial_authority
    version TEXT NOT NULL,
    snapshot TEXT,                  -- date of the source snapshot (ISO), when known
    source TEXT NOT NULL,
    licence TEXT,
    sha256 TEXT,                    -- of the imported file(s)
    rows INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS journals (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    issn TEXT,
    cn TEXT,
    raw_cn TEXT,                    -- as published when it is not a valid CN (e.g. internal permit numbers)
    status TEXT NOT NULL DEFAULT 'active',   -- active | ceased | merged
    ceased_year INTEGER,
    successor_id INTEGER,
    excluded_kind TEXT,             -- electronic | internal | proceedings | special (never counted, seed 003)
    publication_type TEXT,
    language TEXT,
    sponsor TEXT,
    frequency TEXT,
    place TEXT,
    founded INTEGER,
    cnki_code TEXT,
    origin TEXT NOT NULL            -- list_id of the source that created the row
);
CREATE TABLE IF NOT EXISTS names (
    journal_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    kind TEXT NOT NULL              -- current | former | alias
);
CREATE TABLE IF NOT EXISTS memberships (
    journal_id INTEGER NOT NULL,
    list_id TEXT NOT NULL,
    start_year INTEGER,
    end_year INTEGER,
    edition TEXT,
    grade TEXT,                     -- e.g. warning level or reason, provincial grade
    note TEXT                       -- how the row was joined (exact name, former name, fuzzy score ...)
);
CREATE INDEX IF NOT EXISTS ix_journals_issn ON journals(issn);
CREATE INDEX IF NOT EXISTS ix_journals_cn ON journals(cn);
CREATE INDEX IF NOT EXISTS ix_names_key ON names(key);
CREATE INDEX IF NOT EXISTS ix_memberships_journal ON memberships(journal_id);
"""

# Lists every catalogue has after a build; titles are the zh-CN labels used in findings.
BUILTIN_LISTS: dict[str, tuple[str, str]] = {
    "cnki": ("中国知网期刊目录", "registry"),
    "pku_core": ("北大《中文核心期刊要目总览》", "edition"),
    "cssci": ("CSSCI 来源期刊", "period"),
    "cssci_extended": ("CSSCI 扩展版来源期刊", "period"),
    "cssci_collection": ("CSSCI 来源集刊", "period"),
    "cscd": ("CSCD 核心库", "period"),
    "cscd_extended": ("CSCD 扩展库", "period"),
    "cas_warning": ("中科院国际期刊预警名单", "warning"),
}

LIST_KINDS = ("edition", "period", "warning", "registry", "provincial", "provincial_authority")


def create(conn: sqlite3.Connection) -> None:
    conn.executescript(DDL)
    conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
