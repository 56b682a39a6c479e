import GRDB

/// The event store's SQLite schema: named, append-only migrations.
///
/// Never edit a migration that has shipped; add a new one (`v2-...`) instead. A store whose
/// file holds a migration this build does not know was written by a newer BehaviorKit and is
/// refused (see ``SQLiteEventStore/init(path:)``).
///
/// ## Tables (v1)
/// - `user`, `item`: dictionaries, `id` is the dense 0-based index used everywhere inside,
///   `external` the identifier from the source system.
/// - `event_type`: dictionary of event type names (normalised, see ``EventType``).
/// - `event`: one row per stored event, clustered (`WITHOUT ROWID`) on its identity
///   `(user_id, ts, type_id, item_id, value, session)`, which is both the de-duplication key and
///   the per-user time order: a user's events are contiguous and sorted by time on disk, so
///   reading histories is a sequential scan, and ingesting a log written user by user appends.
///   Primary-key columns cannot be NULL, so an absent item, value or session is stored as the
///   empty string `''` (a text value, which never equals an integer id, a real value or a
///   non-empty session id); `event_view` shows them as NULL. `ts` is in milliseconds since
///   1970 UTC; `properties` is a JSON object of strings or NULL; `(source_id, line)` say where
///   the event came from and break ties between events of one user at the same millisecond.
/// - `reject`: rows that could not become events, with their line, kind, reason and raw text.
/// - `source`: one row per ingest, with its row accounting
///   (`rows_read = stored + duplicates + rejected` once `completed` is 1).
/// - `user_attribute`, `item_attribute`: name/value pairs per external id, joinable on
///   `user.external` / `item.external`.
enum StoreSchema {
    /// Every migration of the store, in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            for statement in v1 { try db.execute(sql: statement) }
        }
        return migrator
    }

    private static let v1 = [
        """
        CREATE TABLE user (
            id INTEGER PRIMARY KEY,
            external TEXT NOT NULL UNIQUE
        )
        """,
        """
        CREATE TABLE item (
            id INTEGER PRIMARY KEY,
            external TEXT NOT NULL UNIQUE
        )
        """,
        """
        CREATE TABLE event_type (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        )
        """,
        """
        CREATE TABLE source (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            ingested_at INTEGER NOT NULL,
            rows_read INTEGER NOT NULL DEFAULT 0,
            stored INTEGER NOT NULL DEFAULT 0,
            duplicates INTEGER NOT NULL DEFAULT 0,
            rejected INTEGER NOT NULL DEFAULT 0,
            completed INTEGER NOT NULL DEFAULT 0 CHECK (completed IN (0, 1))
        )
        """,
        """
        CREATE TABLE event (
            user_id INTEGER NOT NULL REFERENCES user(id),
            ts INTEGER NOT NULL,
            type_id INTEGER NOT NULL REFERENCES event_type(id),
            item_id INTEGER NOT NULL DEFAULT '',
            value REAL NOT NULL DEFAULT '',
            session TEXT NOT NULL DEFAULT '',
            duration REAL,
            category TEXT,
            properties TEXT,
            source_id INTEGER NOT NULL REFERENCES source(id),
            line INTEGER NOT NULL,
            PRIMARY KEY (user_id, ts, type_id, item_id, value, session)
        ) WITHOUT ROWID
        """,
        """
        CREATE VIEW event_view AS
        SELECT user_id, ts, type_id, nullif(item_id, '') AS item_id, nullif(value, '') AS value,
               nullif(session, '') AS session, duration, category, properties, source_id, line
        FROM event
        """,
        """
        CREATE TABLE reject (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES source(id),
            line INTEGER NOT NULL,
            kind TEXT NOT NULL,
            reason TEXT NOT NULL,
            raw TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE user_attribute (
            external TEXT NOT NULL,
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (external, name)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE item_attribute (
            external TEXT NOT NULL,
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (external, name)
        ) WITHOUT ROWID
        """,
    ]
}
