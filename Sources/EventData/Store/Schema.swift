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
///
/// ## v2-reject-identity
/// `reject.source_name` (the source's name, copied from `source`) and a unique index over
/// `(source_name, line, kind, raw)`: re-ingesting a source keeps its rejected rows once, as it
/// keeps its events once. The migration first deletes the copies earlier re-ingests stored.
///
/// ## v3-event-occurrence
/// `event.occurrence` joins the primary key: `''` for every event, except that an ingest with
/// ``IngestOptions/keepDuplicateRows`` stores the second, third, ... row of one source that is
/// identical in the other six fields with occurrence `'2'`, `'3'`, ... The table is rebuilt
/// (a primary key cannot be altered), which takes a while on a large store, once.
///
/// ## v4-user-vector
/// `user_vector`: named sets of per-user vectors (embeddings written back by `behave embed`),
/// `(name, external)` -> `vector`, little-endian float32 values, joinable on `user.external`.
///
/// ## v5-erasure
/// `erasure`: one row per ``EventStore/forget(users:)``, with its time and counts, never the ids.
enum StoreSchema {
    /// Every migration of the store, in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            for statement in v1 { try db.execute(sql: statement) }
        }
        migrator.registerMigration("v2-reject-identity") { db in
            for statement in v2RejectIdentity { try db.execute(sql: statement) }
        }
        migrator.registerMigration("v3-event-occurrence") { db in
            for statement in v3EventOccurrence { try db.execute(sql: statement) }
        }
        migrator.registerMigration("v4-user-vector") { db in
            try db.execute(
                sql: """
                    CREATE TABLE user_vector (
                        name TEXT NOT NULL,
                        external TEXT NOT NULL,
                        vector BLOB NOT NULL,
                        PRIMARY KEY (name, external)
                    ) WITHOUT ROWID
                    """)
        }
        migrator.registerMigration("v5-erasure") { db in
            try db.execute(
                sql: """
                    CREATE TABLE erasure (
                        id INTEGER PRIMARY KEY,
                        at TEXT NOT NULL,
                        users INTEGER NOT NULL,
                        events INTEGER NOT NULL,
                        attributes INTEGER NOT NULL,
                        vectors INTEGER NOT NULL,
                        rejects INTEGER NOT NULL
                    )
                    """)
        }
        return migrator
    }

    /// The table names of the v1 schema, which tell a BehaviorKit store from another database.
    static let v1Tables: Set<String> = [
        "user", "item", "event_type", "source", "event", "reject", "user_attribute", "item_attribute",
    ]

    private static let v2RejectIdentity = [
        "ALTER TABLE reject ADD COLUMN source_name TEXT NOT NULL DEFAULT ''",
        "UPDATE reject SET source_name = coalesce((SELECT name FROM source WHERE source.id = reject.source_id), '')",
        """
        DELETE FROM reject WHERE id NOT IN (
            SELECT min(id) FROM reject GROUP BY source_name, line, kind, raw
        )
        """,
        "CREATE UNIQUE INDEX reject_identity ON reject (source_name, line, kind, raw)",
    ]

    private static let v3EventOccurrence = [
        "DROP VIEW IF EXISTS event_view",
        """
        CREATE TABLE event_v3 (
            user_id INTEGER NOT NULL REFERENCES user(id),
            ts INTEGER NOT NULL,
            type_id INTEGER NOT NULL REFERENCES event_type(id),
            item_id INTEGER NOT NULL DEFAULT '',
            value REAL NOT NULL DEFAULT '',
            session TEXT NOT NULL DEFAULT '',
            occurrence TEXT NOT NULL DEFAULT '',
            duration REAL,
            category TEXT,
            properties TEXT,
            source_id INTEGER NOT NULL REFERENCES source(id),
            line INTEGER NOT NULL,
            PRIMARY KEY (user_id, ts, type_id, item_id, value, session, occurrence)
        ) WITHOUT ROWID
        """,
        """
        INSERT INTO event_v3 (user_id, ts, type_id, item_id, value, session, duration, category, properties,
                              source_id, line)
        SELECT user_id, ts, type_id, item_id, value, session, duration, category, properties, source_id, line
        FROM event
        """,
        "DROP TABLE event",
        "ALTER TABLE event_v3 RENAME TO event",
        """
        CREATE VIEW event_view AS
        SELECT user_id, ts, type_id, nullif(item_id, '') AS item_id, nullif(value, '') AS value,
               nullif(session, '') AS session, duration, category, properties, source_id, line
        FROM event
        """,
    ]

    static let v1 = [
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
