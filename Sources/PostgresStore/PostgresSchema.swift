/// The PostgreSQL event store's schema: named, append-only migrations, recorded in
/// `behaviorkit_migration` (never edit one that has shipped; add `v2-...`). A schema holding
/// a migration this build does not know was written by a newer BehaviorKit and is refused.
///
/// ## Tables (v1), the SQLite store's tables with PostgreSQL types
/// - `"user"`, `item`: dictionaries, `id` the dense 0-based index, `external` the source's id.
/// - `event_type`: event type names by dense id.
/// - `event`: one row per stored event, primary key = its identity
///   `(user_id, ts, type_id, item_id, value, session, occurrence)`, which is also the per-user
///   time order. An absent item is `-1`, an absent value `'NaN'` (NaN values are rejected at
///   ingest, and PostgreSQL compares NaN equal to itself), an absent session `''`;
///   `occurrence` is 1, or 2, 3, ... for identical rows kept with `keepDuplicateRows`.
///   `event_view` shows the absent ones as NULL. `ts` is in milliseconds since 1970 UTC,
///   `properties` a JSON object of strings or NULL, `(source_id, line)` where the event came
///   from. There are no foreign keys on `event` and `reject`: the ingest writes the dictionary
///   and source rows itself, in the same transaction, before the rows naming them (as the SQLite
///   store's bulk ingest does), and a key check per row would halve the ingest rate.
/// - `reject`: rows that could not become events; `reason` and `raw` are `bytea` (UTF-8) because
///   they may hold U+0000, which PostgreSQL text cannot. Unique on
///   `(source_name, line, kind, md5(raw))`: re-ingesting a source keeps its rejects once.
/// - `source`: one row per ingest with its row accounting.
/// - `user_attribute`, `item_attribute`: name/value pairs per external id.
/// - `user_vector`: named sets of per-user vectors, little-endian float32 in `bytea`.
/// - `erasure` (v2-erasure): one row per `forget(users:)`, its time and counts, never the ids.
enum PostgresSchema {
    /// The migrations in order: name and statements.
    static let migrations: [(name: String, statements: [String])] = [("v1", v1), ("v2-erasure", v2Erasure)]

    static let migrationTable = """
        CREATE TABLE IF NOT EXISTS behaviorkit_migration (
            name text PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """

    private static let v1 = [
        #"CREATE TABLE "user" (id integer PRIMARY KEY, external text NOT NULL UNIQUE)"#,
        "CREATE TABLE item (id integer PRIMARY KEY, external text NOT NULL UNIQUE)",
        "CREATE TABLE event_type (id integer PRIMARY KEY, name text NOT NULL UNIQUE)",
        """
        CREATE TABLE source (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name text NOT NULL,
            ingested_at bigint NOT NULL,
            rows_read bigint NOT NULL DEFAULT 0,
            stored bigint NOT NULL DEFAULT 0,
            duplicates bigint NOT NULL DEFAULT 0,
            rejected bigint NOT NULL DEFAULT 0,
            completed boolean NOT NULL DEFAULT false
        )
        """,
        """
        CREATE TABLE event (
            user_id integer NOT NULL,
            ts bigint NOT NULL,
            type_id integer NOT NULL,
            item_id integer NOT NULL DEFAULT -1,
            value double precision NOT NULL DEFAULT 'NaN',
            session text NOT NULL DEFAULT '',
            occurrence integer NOT NULL DEFAULT 1,
            duration double precision,
            category text,
            properties text,
            source_id bigint NOT NULL,
            line bigint NOT NULL,
            PRIMARY KEY (user_id, ts, type_id, item_id, value, session, occurrence)
        )
        """,
        """
        CREATE VIEW event_view AS
        SELECT user_id, ts, type_id, nullif(item_id, -1) AS item_id, nullif(value, 'NaN') AS value,
               nullif(session, '') AS session, duration, category, properties, source_id, line
        FROM event
        """,
        """
        CREATE TABLE reject (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            source_id bigint NOT NULL,
            source_name text NOT NULL,
            line bigint NOT NULL,
            kind text NOT NULL,
            reason bytea NOT NULL,
            raw bytea NOT NULL
        )
        """,
        "CREATE UNIQUE INDEX reject_identity ON reject (source_name, line, kind, md5(raw))",
        """
        CREATE TABLE user_attribute (
            external text NOT NULL, name text NOT NULL, value text NOT NULL, PRIMARY KEY (external, name)
        )
        """,
        """
        CREATE TABLE item_attribute (
            external text NOT NULL, name text NOT NULL, value text NOT NULL, PRIMARY KEY (external, name)
        )
        """,
        """
        CREATE TABLE user_vector (
            name text NOT NULL, external text NOT NULL, vector bytea NOT NULL, PRIMARY KEY (name, external)
        )
        """,
    ]

    private static let v2Erasure = [
        """
        CREATE TABLE erasure (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at text NOT NULL,
            users bigint NOT NULL,
            events bigint NOT NULL,
            attributes bigint NOT NULL,
            vectors bigint NOT NULL,
            rejects bigint NOT NULL
        )
        """
    ]
}
