import Foundation
import TestSupport
import Testing

@testable import EventData

/// What every event store must do, whatever its backend: each case runs on SQLite (always) and
/// on PostgreSQL (when a server is given, see ``TestPostgres``).
@Suite("Event store contract: SQLite")
struct SQLiteStoreContract {
    @Test(arguments: StoreContract.allCases)
    func holds(_ behaviour: StoreContract) throws { try behaviour.check(on: .sqlite) }
}

@Suite("Event store contract: PostgreSQL", .enabled(if: TestPostgres.url != nil, TestPostgres.skipped))
struct PostgresStoreContract {
    @Test(arguments: StoreContract.allCases)
    func holds(_ behaviour: StoreContract) throws { try behaviour.check(on: .postgres) }
}

/// The behaviours, one case per check.
enum StoreContract: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case accountingIdentity
    case idempotentReingest
    case rejectsPersisted
    case historyOrder
    case stableDictionaries
    case describeExample
    case describeEmpty
    case fieldsRoundTrip
    case nanValueRejected
    case manyBatches
    case sourceFailure
    case emptySource
    case attributesRoundTrip
    case nulInUserID
    case controlCharactersInOtherFields
    case plausibilityChecks
    case rejectsKeptOnce
    case keepDuplicateRows
    case repeatsAcrossBatches
    case repeatsBesideEarlierEvents
    case interruptedSources
    case roundTrip
    case erasure

    var testDescription: String {
        switch self {
        case .accountingIdentity: "every row is accounted for: read = stored + duplicates + rejected"
        case .idempotentReingest: "re-ingesting the same source adds nothing and counts every event as a duplicate"
        case .rejectsPersisted: "rejected rows are kept with their source, line, kind, reason and raw text"
        case .historyOrder: "histories are in time order per user, ties in input order across sources"
        case .stableDictionaries: "dictionary ids are dense, in order of first appearance, and stable across ingests"
        case .describeExample:
            "describe reports counts, sessions, range, sparsity and quantiles of a hand-computed example"
        case .describeEmpty: "an empty store describes as zeros without sparsity or quantiles"
        case .fieldsRoundTrip: "optional fields and properties round-trip, absent stays absent"
        case .nanValueRejected: "an event whose value SQLite cannot keep (NaN) is rejected, not dropped"
        case .manyBatches: "many batches: progress is reported and time-interleaved users come back per user in order"
        case .sourceFailure: "a source that fails midway keeps the whole batches before the failure and rethrows"
        case .emptySource: "an empty source is recorded as a completed ingest of zero rows"
        case .attributesRoundTrip: "user and item attributes round-trip, later values replace earlier ones"
        case .nulInUserID: "ids with U+0000 are rejected as bad_id, not cut at the NUL and clashed"
        case .controlCharactersInOtherFields:
            "control characters in item ids, session ids and event types are bad_id; U+0000 in a category is refused"
        case .plausibilityChecks:
            "standard plausibility checks reject times outside 1990..2100 and negative or infinite values"
        case .rejectsKeptOnce:
            "re-ingesting a source keeps its rejects once, while each run still accounts for every row"
        case .keepDuplicateRows:
            "identical rows are merged by default and all kept with keepDuplicateRows; re-ingests add nothing"
        case .repeatsAcrossBatches: "repeats within a source are told from events of earlier ingests, across batches"
        case .repeatsBesideEarlierEvents:
            "into a store holding another source's events, only repeats within the source count as repeats"
        case .interruptedSources: "an ingest that stopped early is listed until the same source completes"
        case .roundTrip: "a named set of vectors reads back exactly and a new set of the same name replaces it"
        case .erasure:
            "forgetting a user leaves nothing of them and keeps everyone else's ids; the log holds counts, not ids"
        }
    }

    func check(on backend: StoreBackend) throws {
        let tests = StoreContractTests(backend: backend)
        switch self {
        case .accountingIdentity: try tests.accountingIdentity()
        case .idempotentReingest: try tests.idempotentReingest()
        case .rejectsPersisted: try tests.rejectsPersisted()
        case .historyOrder: try tests.historyOrder()
        case .stableDictionaries: try tests.stableDictionaries()
        case .describeExample: try tests.describeExample()
        case .describeEmpty: try tests.describeEmpty()
        case .fieldsRoundTrip: try tests.fieldsRoundTrip()
        case .nanValueRejected: try tests.nanValueRejected()
        case .manyBatches: try tests.manyBatches()
        case .sourceFailure: try tests.sourceFailure()
        case .emptySource: try tests.emptySource()
        case .attributesRoundTrip: try tests.attributesRoundTrip()
        case .nulInUserID: try tests.nulInUserID()
        case .controlCharactersInOtherFields: try tests.controlCharactersInOtherFields()
        case .plausibilityChecks: try tests.plausibilityChecks()
        case .rejectsKeptOnce: try tests.rejectsKeptOnce()
        case .keepDuplicateRows: try tests.keepDuplicateRows()
        case .repeatsAcrossBatches: try tests.repeatsAcrossBatches()
        case .repeatsBesideEarlierEvents: try tests.repeatsBesideEarlierEvents()
        case .interruptedSources: try tests.interruptedSources()
        case .roundTrip: try tests.roundTrip()
        case .erasure: try tests.erasure()
        }
    }
}

/// The checks, each on a fresh store of ``backend``.
struct StoreContractTests {
    let backend: StoreBackend
    func accountingIdentity() throws {
        // Given a source with five events (one an exact copy of another) and two bad rows
        let store = try backend.makeStore()
        let source = StoreTestSource(
            rows: storeRows([
                .event(storeEvent("u1", 1_000, .view, item: "i1")),
                .rejection(kind: "bad_timestamp", reason: "timestamp 'x' is not a time"),
                .event(storeEvent("u1", 2_000, .cart, item: "i1", value: 9.5)),
                .event(storeEvent("u2", 1_500, .view, item: "i2")),
                .event(storeEvent("u1", 1_000, .view, item: "i1")),
                .rejection(kind: "missing_field", reason: "user_id is empty"),
                .event(storeEvent("u2", 1_600, .click, item: "i2")),
            ]))

        // When it is ingested
        let summary = try store.ingest(source)

        // Then each row is stored, a duplicate or a rejection, and the store agrees
        #expect(summary.rowsRead == 7)
        #expect(summary.stored == 4)
        #expect(summary.duplicates == 1)
        #expect(summary.rejected == 2)
        #expect(summary.rowsRead == summary.stored + summary.duplicates + summary.rejected)
        #expect(summary.rejectsByKind == ["bad_timestamp": 1, "missing_field": 1])
        #expect(summary.rejectExamples.map(\.line) == [2, 6])
        #expect(summary.newUsers == 2 && summary.newItems == 2)
        let description = try store.describe()
        #expect(description.events == 4)
        #expect(description.sources.count == 1)
        let record = try #require(description.sources.first)
        #expect(record.rowsRead == 7 && record.stored == 4 && record.duplicates == 1 && record.rejected == 2)
        #expect(record.completed)
    }

    func idempotentReingest() throws {
        // Given a store that has ingested a source once
        let store = try backend.makeStore()
        let source = StoreTestSource(
            name: "events.csv",
            rows: storeRows([
                .event(storeEvent("u1", 1_000, .view, item: "i1", session: "s1", properties: ["os": "ios"])),
                .event(storeEvent("u1", 2_000, .purchase, item: "i1", value: 12)),
                .event(storeEvent("u2", 1_000, .search)),
                .rejection(kind: "bad_timestamp", reason: "no time"),
            ]))
        let first = try store.ingest(source)
        let before = try store.describe()

        // When it is ingested again
        let second = try store.ingest(source)

        // Then nothing is added: the events are duplicates, the bad row is rejected again
        #expect(first.stored == 3)
        #expect(second.stored == 0)
        #expect(second.duplicates == 3)
        #expect(second.rejected == 1)
        #expect(second.newUsers == 0 && second.newItems == 0)
        let after = try store.describe()
        #expect(after.events == before.events)
        #expect(after.users == before.users && after.items == before.items)
        #expect(after.sources.map(\.stored) == [3, 0])
    }

    func rejectsPersisted() throws {
        // Given two sources with bad rows
        let store = try backend.makeStore()
        _ = try store.ingest(
            StoreTestSource(
                name: "a.csv",
                rows: storeRows([
                    .event(storeEvent("u1", 1)),
                    .rejection(kind: "bad_timestamp", reason: "timestamp 'soon' is not a time"),
                ])))
        _ = try store.ingest(
            StoreTestSource(
                name: "b.csv",
                rows: storeRows([
                    .rejection(kind: "missing_field", reason: "user_id is empty"), .event(storeEvent("u2", 2)),
                ])
            ))

        // When the rejects are read back
        let rejects = try store.rejects(limit: 10)
        let limited = try store.rejects(limit: 1)

        // Then they come oldest source first, with what the reader said
        #expect(rejects.map(\.source) == ["a.csv", "b.csv"])
        #expect(rejects.map(\.rejection.line) == [2, 1])
        #expect(rejects.map(\.rejection.kind) == ["bad_timestamp", "missing_field"])
        #expect(rejects[0].rejection.reason == "timestamp 'soon' is not a time")
        #expect(rejects[0].rejection.raw == "raw 2")
        #expect(limited.count == 1)
        let description = try store.describe()
        #expect(description.rejects == 2)
        #expect(description.rejectsByKind == ["bad_timestamp": 1, "missing_field": 1])
    }

    func historyOrder() throws {
        // Given events out of time order, and same-millisecond events whose input order differs
        // from the order of their other fields
        let store = try backend.makeStore()
        _ = try store.ingest(
            StoreTestSource(
                name: "first",
                rows: storeRows([
                    .event(storeEvent("u1", 300, .view, item: "a")),
                    .event(storeEvent("u2", 50, .view, item: "b")),
                    .event(storeEvent("u1", 100, .view, item: "a", session: "s9")),
                    .event(storeEvent("u1", 100, .view, item: "a", session: "s1")),
                    .event(storeEvent("u1", 100, .view, item: "a", value: 5)),
                    .event(storeEvent("u1", 100, .view, item: "a", value: 1)),
                ])))
        _ = try store.ingest(
            StoreTestSource(name: "second", rows: storeRows([.event(storeEvent("u1", 100, .click, item: "a"))])))

        // When histories are streamed
        var histories: [UserHistory] = []
        try store.forEachUserHistory { histories.append($0) }

        // Then users come in dense order, events by time, ties by source then line
        #expect(histories.map(\.userID) == ["u1", "u2"])
        #expect(histories.map(\.user) == [0, 1])
        let u1 = histories[0].events
        #expect(u1.map(\.timestamp) == [100, 100, 100, 100, 100, 300])
        #expect(u1.map(\.line) == [3, 4, 5, 6, 1, 1])
        #expect(u1.map(\.sessionID) == ["s9", "s1", nil, nil, nil, nil])
        #expect(u1.map(\.value) == [nil, nil, 5, 1, nil, nil])
        #expect(u1[4].type == .click)
        #expect(try store.events(forUser: "u1") == u1)
        #expect(try store.events(forUser: "nobody").isEmpty)
    }

    func stableDictionaries() throws {
        // Given two ingests that share some users and items
        let store = try backend.makeStore()
        _ = try store.ingest(
            StoreTestSource(
                rows: storeRows([
                    .event(storeEvent("alice", 1, item: "x")), .event(storeEvent("bob", 2, item: "y")),
                ])))
        let second = try store.ingest(
            StoreTestSource(
                rows: storeRows([
                    .event(storeEvent("carol", 3, item: "y")), .event(storeEvent("alice", 4, item: "z")),
                ])))

        // When the dictionaries are read
        let users = try store.userIDs()
        let items = try store.itemIDs()

        // Then earlier ids keep their index and new ones are appended
        #expect(users.externalIDs == ["alice", "bob", "carol"])
        #expect(items.externalIDs == ["x", "y", "z"])
        #expect(users.index(of: "carol") == 2 && users[1] == "bob" && users.index(of: "dave") == nil)
        #expect(second.newUsers == 1 && second.newItems == 1)
        var alice: [Int?] = []
        try store.forEachUserHistory { history in
            if history.userID == "alice" { alice = history.events.map(\.item) }
        }
        #expect(alice == [0, 2])
    }

    func describeExample() throws {
        // Given 4 users, 3 items, 12 events and 3 rejects:
        //   u1: view a, click a, purchase b (session s1)   -> 3 events, items {a, b}
        //   u2: view a (session s2), view c                 -> 2 events, items {a, c}
        //   u3: search (session s1, another user's s1)      -> 1 event,  no item
        //   u4: six views of a                               -> 6 events, items {a}
        let store = try backend.makeStore()
        var entries: [StoreRow] = [
            .event(storeEvent("u1", 1_000, .view, item: "a", session: "s1")),
            .event(storeEvent("u1", 2_000, .click, item: "a", session: "s1")),
            .event(storeEvent("u1", 3_000, .purchase, item: "b", session: "s1", value: 10)),
            .event(storeEvent("u2", 1_500, .view, item: "a", session: "s2")),
            .event(storeEvent("u2", 500, .view, item: "c")),
            .event(storeEvent("u3", 4_000, .search, session: "s1")),
            .rejection(kind: "bad_timestamp", reason: "bad"),
            .rejection(kind: "missing_field", reason: "missing"),
            .rejection(kind: "missing_field", reason: "missing"),
        ]
        entries += (0..<6).map { .event(storeEvent("u4", 5_000 + Int64($0), .view, item: "a")) }
        _ = try store.ingest(StoreTestSource(rows: storeRows(entries)))

        // When the store is described
        let description = try store.describe()

        // Then:
        #expect(description.users == 4)
        #expect(description.items == 3)
        #expect(description.events == 12)
        #expect(description.eventsByType == ["view": 9, "click": 1, "purchase": 1, "search": 1])
        // (u1, s1), (u2, s2), (u3, s1)
        #expect(description.sessions == 3)
        #expect(description.firstTimestamp == 500)
        #expect(description.lastTimestamp == 5_005)
        // pairs: u1 {a, b}, u2 {a, c}, u4 {a} = 5 of 4 × 3 cells: 1 - 5/12
        let sparsity = try #require(description.sparsity)
        #expect(abs(sparsity - 7.0 / 12.0) < 1e-12)
        // events per user sorted: [1, 2, 3, 6]; h = q·3:
        // p25 h=0.75 -> 1.75; median h=1.5 -> 2.5; p75 h=2.25 -> 3.75; p90 h=2.7 -> 3 + 0.7·3 = 5.1
        let quantiles = try #require(description.interactionsPerUser)
        #expect(quantiles.min == 1 && quantiles.max == 6)
        #expect(abs(quantiles.p25 - 1.75) < 1e-12)
        #expect(abs(quantiles.median - 2.5) < 1e-12)
        #expect(abs(quantiles.p75 - 3.75) < 1e-12)
        #expect(abs(quantiles.p90 - 5.1) < 1e-12)
        #expect(description.rejects == 3)
        #expect(description.rejectsByKind == ["bad_timestamp": 1, "missing_field": 2])
        // It is Codable for --json.
        let decoded = try JSONDecoder().decode(StoreDescription.self, from: JSONEncoder().encode(description))
        #expect(decoded == description)
    }

    func describeEmpty() throws {
        let description = try backend.makeStore().describe()
        #expect(description.users == 0 && description.events == 0 && description.sessions == 0)
        #expect(description.sparsity == nil && description.interactionsPerUser == nil)
        #expect(description.firstTimestamp == nil && description.sources.isEmpty)
    }

    func fieldsRoundTrip() throws {
        // Given one event with every field and one with none of the optional ones
        let store = try backend.makeStore()
        let properties = ["os": "ios", "quote\"key": "line\nbreak\\é", "ctl": "\u{1}"]
        _ = try store.ingest(
            StoreTestSource(
                rows: storeRows([
                    .event(
                        storeEvent(
                            "u", 10, .purchase, item: "i", session: "s", value: 0, duration: 2.5, category: "books",
                            properties: properties)),
                    .event(storeEvent("u", 20, "Add To Wishlist", item: "", session: "")),
                ])))

        // When the user's events are read
        let events = try store.events(forUser: "u")

        // Then the values come back as given, and empty item/session ids read as absent
        #expect(events.count == 2)
        #expect(events[0].item == 0 && events[0].sessionID == "s" && events[0].value == 0)
        #expect(events[0].duration == 2.5 && events[0].category == "books" && events[0].type == .purchase)
        #expect(events[0].properties == properties)
        #expect(events[1].item == nil && events[1].sessionID == nil && events[1].value == nil)
        #expect(events[1].duration == nil && events[1].category == nil && events[1].properties.isEmpty)
        #expect(events[1].type.rawValue == "add to wishlist")
    }

    func nanValueRejected() throws {
        let store = try backend.makeStore()
        let summary = try store.ingest(
            StoreTestSource(rows: storeRows([.event(storeEvent("u", 1, value: .nan)), .event(storeEvent("u", 2))])))
        #expect(summary.stored == 1 && summary.rejected == 1)
        #expect(summary.rejectsByKind == ["bad_value": 1])
        #expect(try store.rejects(limit: 5).first?.rejection.line == 1)
    }

    func manyBatches() throws {
        // Given 1,000 events of 7 users interleaved in time, ingested in batches growing from 16 to 128 rows
        let store = try backend.makeStore()
        let entries: [StoreRow] = (0..<1_000).map { index in
            .event(storeEvent("u\(index % 7)", Int64(10_000 - index), .view, item: "i\(index % 13)"))
        }
        var reports: [IngestProgress] = []

        // When ingested with progress every 100 rows
        let summary = try store.ingest(
            StoreTestSource(rows: storeRows(entries)),
            batching: IngestBatching(firstBatchRows: 16, maxBatchRows: 128, progressInterval: 100)
        ) { reports.append($0) }

        // Then progress grows to the total and every history is in time order
        #expect(summary.stored == 1_000)
        #expect(reports.count >= 10)
        #expect(reports.map(\.rowsRead) == reports.map(\.rowsRead).sorted())
        #expect(reports.last?.rowsRead == 1_000 && reports.last?.stored == 1_000)
        var total = 0
        try store.forEachUserHistory { history in
            total += history.events.count
            #expect(history.events.map(\.timestamp) == history.events.map(\.timestamp).sorted())
        }
        #expect(total == 1_000)
    }

    func sourceFailure() throws {
        // Given a source that throws after 150 rows, ingested in batches of 64
        let store = try backend.makeStore()
        let failure = EventDataError.unreadable(path: "broken.csv.gz", reason: "truncated gzip stream")
        let source = StoreTestSource(
            name: "broken.csv.gz", rows: storeRows((0..<200).map { .event(storeEvent("u", Int64($0))) }),
            failure: failure, failAfter: 150)

        // When it is ingested
        #expect(throws: failure) {
            _ = try store.ingest(
                source, batching: IngestBatching(firstBatchRows: 64, maxBatchRows: 64, progressInterval: 1_000),
                progress: nil)
        }

        // Then the two full batches are stored and the source is marked incomplete
        let description = try store.describe()
        #expect(description.events == 128)
        let record = try #require(description.sources.first)
        #expect(record.rowsRead == 128 && !record.completed)
    }

    func emptySource() throws {
        let store = try backend.makeStore()
        let summary = try store.ingest(StoreTestSource(name: "empty.csv", rows: []))
        #expect(summary.rowsRead == 0 && summary.stored == 0 && summary.rejectExamples.isEmpty)
        let record = try #require(try store.describe().sources.first)
        #expect(record.name == "empty.csv" && record.completed && record.rowsRead == 0)
    }

    func attributesRoundTrip() throws {
        // Given user and item attribute tables, one user updated later
        let store = try backend.makeStore()
        let written = try store.ingestAttributes(
            [
                AttributeRow(id: "u1", values: ["age": "24", "occupation": "technician"]),
                AttributeRow(id: "u2", values: ["age": "53"]),
            ], kind: .user)
        _ = try store.ingestAttributes([AttributeRow(id: "u2", values: ["age": "54"])], kind: .user)
        _ = try store.ingestAttributes([AttributeRow(id: "i1", values: ["genres": "Comedy|Drama"])], kind: .item)

        // When they are read back
        let users = try store.attributes(kind: .user)
        let items = try store.attributes(kind: .item)

        // Then
        #expect(written == 3)
        #expect(users == ["u1": ["age": "24", "occupation": "technician"], "u2": ["age": "54"]])
        #expect(items == ["i1": ["genres": "Comedy|Drama"]])
    }

    func nulInUserID() throws {
        // Given two user ids that differ only after a NUL, and a clean one
        let store = try backend.makeStore()
        let source = StoreTestSource(
            name: "nul.csv",
            rows: storeRows([
                .event(storeEvent("u\u{0}1", 1_000, item: "i")), .event(storeEvent("u\u{0}2", 2_000, item: "i")),
                .event(storeEvent("bob", 3_000, item: "i")),
            ]))

        // When they are ingested
        let summary = try store.ingest(source)

        // Then the NUL ids are counted rejects with a reason naming the field, the character and
        // its position, the raw text is kept whole, and only the clean user is stored
        #expect(summary.stored == 1 && summary.rejected == 2)
        #expect(summary.rejectsByKind == [RejectionKind.badID: 2])
        #expect(
            summary.rejectExamples.first?.reason
                == "user id contains the control character U+0000 at position 2; clean the id")
        #expect(try store.userIDs().externalIDs == ["bob"])
        let rejects = try store.rejects(limit: 10)
        #expect(rejects.map(\.rejection.raw) == ["u\u{0}1,1000,view,i,,,,", "u\u{0}2,2000,view,i,,,,"])
        #expect(rejects.map(\.source) == ["nul.csv", "nul.csv"])
    }

    func controlCharactersInOtherFields() throws {
        let store = try backend.makeStore()
        let summary = try store.ingest(
            StoreTestSource(
                rows: storeRows([
                    .event(storeEvent("a", 1, item: "\u{1B}[31mred")),
                    .event(storeEvent("a", 2, session: "s\t1")),
                    .event(storeEvent("a", 3, "view\u{7F}")),
                    .event(storeEvent("a", 4, category: "books\u{0}")),
                    .event(storeEvent("a", 5, category: "tab\tseparated", properties: ["note": "a\u{0}b"])),
                ])))
        #expect(summary.stored == 1)
        #expect(summary.rejectsByKind == [RejectionKind.badID: 3, RejectionKind.badValue: 1])
        #expect(
            summary.rejectExamples.map(\.reason) == [
                "item id contains the control character U+001B at position 1; clean the id",
                "session id contains the control character U+0009 at position 2; clean the id",
                "event type contains the control character U+007F at position 5; clean the id",
                "category contains the control character U+0000 at position 6; remove it",
            ])
        // Properties are stored as escaped JSON, so they keep any character.
        let events = try store.events(forUser: "a")
        #expect(events.map(\.category) == ["tab\tseparated"])
        #expect(events.first?.properties == ["note": "a\u{0}b"])
    }

    func plausibilityChecks() throws {
        // Given events at and around the bounds, and odd values
        let day: Int64 = 86_400_000
        let rows = storeRows([
            .event(storeEvent("a", -2_208_988_800_000)),  // 1900-01-01
            .event(storeEvent("a", PlausibilityChecks.standardEarliest - 1)),
            .event(storeEvent("a", PlausibilityChecks.standardEarliest)),
            .event(storeEvent("a", PlausibilityChecks.standardLatest - day)),
            .event(storeEvent("a", PlausibilityChecks.standardLatest)),
            .event(storeEvent("a", 7_258_118_400_000)),  // 2200-01-01
            .event(storeEvent("a", 1_700_000_000_000, .purchase, value: -5)),
            .event(storeEvent("a", 1_700_000_001_000, .purchase, value: 0)),
            .event(storeEvent("a", 1_700_000_002_000, .purchase, value: .infinity)),
            .event(storeEvent("a", 1_700_000_003_000, duration: -1)),
        ])

        // When ingested with the standard checks, with refunds allowed, and without checks
        let checked = try backend.makeStore().ingest(
            StoreTestSource(rows: rows), options: IngestOptions(plausibility: .standard))
        let refunds = try backend.makeStore().ingest(
            StoreTestSource(rows: rows),
            options: IngestOptions(plausibility: PlausibilityChecks(allowNegativeValues: true)))
        let unchecked = try backend.makeStore().ingest(StoreTestSource(rows: rows))

        // Then each violation is a counted reject naming the time or value and the fix
        #expect(checked.stored == 3 && checked.rejected == 7)
        #expect(checked.rejectsByKind == [RejectionKind.implausibleTime: 4, RejectionKind.implausibleValue: 3])
        #expect(checked.rejectExamples.map(\.line) == [1, 2, 5, 6, 7, 9, 10])
        let reasons = checked.rejectExamples.map(\.reason)
        #expect(
            reasons[0]
                == "timestamp 1900-01-01T00:00:00Z is before 1990-01-01T00:00:00Z, the earliest plausible time; "
                + "fix the time or its unit, or widen the time range")
        #expect(reasons[1].hasPrefix("timestamp 1989-12-31T23:59:59.999Z is before"))
        #expect(reasons[2].hasPrefix("timestamp 2100-01-01T00:00:00Z is not before 2100-01-01T00:00:00Z"))
        #expect(reasons[4].contains("value -5.0 is negative") && reasons[4].contains("by allowing them"))
        #expect(reasons[5] == "value inf is not a finite number; give a number")
        #expect(reasons[6] == "duration -1.0 is negative; a duration cannot be")
        #expect(refunds.stored == 4 && refunds.rejectsByKind[RejectionKind.implausibleValue] == 2)
        #expect(unchecked.stored == 10)
        #expect(checked.rowsRead == checked.stored + checked.duplicates + checked.rejected)
    }

    func rejectsKeptOnce() throws {
        // Given a source with two bad rows, ingested twice, and once more under another name
        let store = try backend.makeStore()
        let rows = storeRows([
            .event(storeEvent("u", 1)), .rejection(kind: "bad_timestamp", reason: "no time"),
            .rejection(kind: "missing_field", reason: "no user"),
        ])
        let first = try store.ingest(StoreTestSource(name: "a.csv", rows: rows))
        let second = try store.ingest(StoreTestSource(name: "a.csv", rows: rows))
        let renamed = try store.ingest(StoreTestSource(name: "b.csv", rows: rows))

        // Then the second run counts its rejects as rejected and as already known
        #expect(first.rejected == 2 && first.knownRejects == 0)
        #expect(second.rejected == 2 && second.knownRejects == 2 && second.duplicates == 1)
        #expect(second.rowsRead == second.stored + second.duplicates + second.rejected)
        #expect(renamed.knownRejects == 0)
        let description = try store.describe()
        #expect(description.rejects == 4)
        #expect(description.rejectsByKind == ["bad_timestamp": 2, "missing_field": 2])
        #expect(description.sources.map(\.rejected) == [2, 2, 2])
        #expect(try store.rejects(limit: 10).map(\.source) == ["a.csv", "a.csv", "b.csv", "b.csv"])
    }

    func keepDuplicateRows() throws {
        // Given a log without order ids holding three identical same-day orders and one other
        let orders = storeRows([
            .event(storeEvent("u", 1_700_000_000_000, .purchase, item: "i", value: 5)),
            .event(storeEvent("u", 1_700_000_000_000, .purchase, item: "i", value: 5)),
            .event(storeEvent("u", 1_700_000_000_000, .purchase, item: "j", value: 7)),
            .event(storeEvent("u", 1_700_000_000_000, .purchase, item: "i", value: 5)),
        ])
        let keep = IngestOptions(keepDuplicateRows: true)

        // When ingested by default, the identical rows are merged and counted as repeats
        let merged = try backend.makeStore()
        let mergedSummary = try merged.ingest(StoreTestSource(name: "orders.csv", rows: orders))
        #expect(mergedSummary.stored == 2 && mergedSummary.duplicates == 2 && mergedSummary.repeatedRows == 2)

        // When the same file is ingested again keeping identical rows, only the merged copies are added
        let upgraded = try merged.ingest(StoreTestSource(name: "orders.csv", rows: orders), options: keep)
        #expect(upgraded.stored == 2 && upgraded.duplicates == 2 && upgraded.repeatedRows == 0)

        // And a store that keeps them from the start holds every row; re-ingesting, in either
        // mode, and an overlapping export under another name add nothing
        let kept = try backend.makeStore()
        let first = try kept.ingest(StoreTestSource(name: "orders.csv", rows: orders), options: keep)
        #expect(first.stored == 4 && first.duplicates == 0)
        let again = try kept.ingest(StoreTestSource(name: "orders.csv", rows: orders), options: keep)
        #expect(again.stored == 0 && again.duplicates == 4 && again.repeatedRows == 0)
        #expect(try kept.ingest(StoreTestSource(name: "orders.csv", rows: orders)).stored == 0)
        let overlap = try kept.ingest(
            StoreTestSource(name: "export-2.csv", rows: Array(orders.prefix(2))), options: keep)
        #expect(overlap.stored == 0)
        let events = try kept.events(forUser: "u")
        #expect(events.map(\.line) == [1, 2, 3, 4])
        #expect(events.map(\.item) == [0, 0, 1, 0])
        #expect(try merged.events(forUser: "u").count == 4)
    }

    func repeatsAcrossBatches() throws {
        // Given a source whose identical rows fall into different batches of two rows
        let store = try backend.makeStore()
        let rows = storeRows([
            .event(storeEvent("u", 1, item: "a")), .event(storeEvent("u", 2, item: "b")),
            .event(storeEvent("u", 1, item: "a")), .event(storeEvent("v", 3)), .event(storeEvent("u", 1, item: "a")),
        ])
        let batching = IngestBatching(firstBatchRows: 2, maxBatchRows: 2, progressInterval: 100)

        // When it is ingested twice
        let first = try store.ingest(StoreTestSource(rows: rows), batching: batching, progress: nil)
        let second = try store.ingest(StoreTestSource(rows: rows), batching: batching, progress: nil)

        // Then the first run's duplicates are repeats, the second run's are earlier events
        #expect(first.stored == 3 && first.duplicates == 2 && first.repeatedRows == 2)
        #expect(second.stored == 0 && second.duplicates == 5 && second.repeatedRows == 0)
    }

    func repeatsBesideEarlierEvents() throws {
        // Given a store holding one event, and a source that repeats one of its rows and
        // contains the stored event
        let store = try backend.makeStore()
        _ = try store.ingest(StoreTestSource(name: "old.csv", rows: storeRows([.event(storeEvent("u", 1))])))
        let rows = storeRows([
            .event(storeEvent("u", 1)), .event(storeEvent("v", 2)), .event(storeEvent("v", 2)),
            .event(storeEvent("w", 3)),
        ])

        // When it is ingested
        let summary = try store.ingest(StoreTestSource(name: "new.csv", rows: rows))

        // Then both duplicates are counted, and only the row repeated within it as a repeat
        #expect(summary.stored == 2 && summary.duplicates == 2 && summary.repeatedRows == 1)
    }

    func interruptedSources() throws {
        let store = try backend.makeStore()
        let rows = storeRows((0..<10).map { .event(storeEvent("u", Int64($0))) })
        let failure = EventDataError.unreadable(path: "log.csv.gz", reason: "truncated gzip stream")
        _ = try? store.ingest(
            StoreTestSource(name: "log.csv.gz", rows: rows, failure: failure, failAfter: 5),
            batching: IngestBatching(firstBatchRows: 2, maxBatchRows: 2, progressInterval: 100), progress: nil)
        _ = try store.ingest(StoreTestSource(name: "other.csv", rows: rows))
        let interrupted = try store.describe().interruptedSources
        #expect(interrupted.map(\.name) == ["log.csv.gz"])
        #expect(interrupted.first?.rowsRead == 4)

        _ = try store.ingest(StoreTestSource(name: "log.csv.gz", rows: rows))
        #expect(try store.describe().interruptedSources.isEmpty)
    }

    func roundTrip() throws {
        let store = try backend.makeStore()
        let vectors: [String: [Float]] = ["u1": [1.5, -2, 0, .leastNonzeroMagnitude], "u2": [3, 4, 5, 6]]
        try store.storeUserVectors(vectors, name: "vae-2024-03-01")
        try store.storeUserVectors(["u1": [9]], name: "other")
        #expect(try store.userVectors(name: "vae-2024-03-01") == vectors)
        try store.storeUserVectors(["u3": [7, 8]], name: "vae-2024-03-01")
        #expect(try store.userVectors(name: "vae-2024-03-01") == ["u3": [7, 8]])
        #expect(try store.userVectors(name: "other") == ["u1": [9]])
        #expect(try store.userVectors(name: "missing").isEmpty)
        #expect(try store.userVectorSetNames() == ["other", "vae-2024-03-01"])
    }
}
