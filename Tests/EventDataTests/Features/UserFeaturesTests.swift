import Foundation
import Testing

@testable import EventData

@Suite("UserFeatures")
struct UserFeaturesTests {
    /// 2024-01-01 00:00 UTC, a Monday.
    private static let monday: Int64 = 1_704_067_200_000
    private static let hour: Int64 = 3_600_000
    private static let minute: Int64 = 60_000
    private static let day: Int64 = 86_400_000

    private static func event(
        _ timestamp: Int64, _ type: EventType, item: Int? = nil, value: Double? = nil, duration: Double? = nil,
        category: String? = nil
    ) -> StoredEvent {
        StoredEvent(
            timestamp: timestamp, type: type, item: item, value: value, duration: duration, category: category,
            sourceID: 1, line: 0)
    }

    /// Alice: Monday 10:00-10:20 views two shoes and carts one; Tuesday 09:00-09:45 views a hat
    /// and buys the shoe (40) and the hat (25.5).
    private static let alice = UserHistory(
        user: 0, userID: "alice",
        events: [
            event(monday + 10 * hour, .view, item: 1, duration: 30, category: "shoes"),
            event(monday + 10 * hour + 10 * minute, .view, item: 2, duration: 50, category: "shoes"),
            event(monday + 10 * hour + 20 * minute, .cart, item: 2, category: "shoes"),
            event(monday + day + 9 * hour, .view, item: 3, duration: 10, category: "hats"),
            event(monday + day + 9 * hour + 30 * minute, .purchase, item: 2, value: 40, category: "shoes"),
            event(monday + day + 9 * hour + 45 * minute, .purchase, item: 3, value: 25.5, category: "hats"),
        ])

    /// Bob: Monday 23:00 views item 1, 23:05 clicks it; no values, durations or categories.
    private static let bob = UserHistory(
        user: 1, userID: "bob",
        events: [event(monday + 23 * hour, .view, item: 1), event(monday + 23 * hour + 5 * minute, .click, item: 1)])

    private static let reference = monday + 2 * day

    private static func extractor() throws -> UserFeatureExtractor {
        try UserFeatureExtractor(referenceTime: reference, eventTypes: [.view, .cart, .purchase])
    }

    private static func hours(_ shares: [Int: Double]) -> [Double] { (0..<24).map { shares[$0] ?? 0 } }

    @Test("columns are named in the documented order")
    func columnNames() throws {
        let columns = try Self.extractor().columns
        #expect(columns.count == 4 + 2 * 3 + 9 + 24 + 7)
        #expect(
            Array(columns.prefix(19)) == [
                "recency_days", "frequency", "monetary", "tenure_days", "count_view", "count_cart", "count_purchase",
                "share_view", "share_cart", "share_purchase", "distinct_items", "distinct_categories", "sessions",
                "mean_session_events", "mean_session_minutes", "mean_dwell_seconds", "view_to_cart",
                "cart_to_purchase", "view_to_purchase",
            ])
        #expect(columns[19] == "hour_00" && columns[28] == "hour_09" && columns[42] == "hour_23")
        #expect(
            Array(columns.suffix(7)) == ["dow_mon", "dow_tue", "dow_wed", "dow_thu", "dow_fri", "dow_sat", "dow_sun"])
    }

    @Test("a hand-computed user gets every feature exactly")
    func handComputedAlice() throws {
        // Given
        let extractor = try Self.extractor()

        // When
        let row = extractor.features(for: Self.alice)

        // Then
        let expected: [Double] =
            [
                51_300_000.0 / 86_400_000,  // recency: reference (Wed 00:00) - Tue 09:45 = 14 h 15 min
                6,  // frequency
                65.5,  // monetary: 40 + 25.5
                85_500_000.0 / 86_400_000,  // tenure: Tue 09:45 - Mon 10:00 = 23 h 45 min
                3, 1, 2,  // count view, cart, purchase
                3.0 / 6, 1.0 / 6, 2.0 / 6,  // shares of 6 events
                3,  // distinct items {1, 2, 3}
                2,  // distinct categories {shoes, hats}
                2,  // sessions: Mon 10:00-10:20 (10 min gaps), Tue 09:00-09:45 (30 min gap continues)
                3,  // mean session events: 6 / 2
                32.5,  // mean session minutes: (20 + 45) / 2
                30,  // mean dwell seconds: (30 + 50 + 10) / 3
                1.0 / 3,  // view -> cart: 1 / 3
                2,  // cart -> purchase: 2 / 1
                2.0 / 3,  // view -> purchase: 2 / 3
            ]
            + Self.hours([9: 0.5, 10: 0.5])  // 3 events at 10 h, 3 at 09 h
            + [0.5, 0.5, 0, 0, 0, 0, 0]  // 3 on Monday, 3 on Tuesday
        #expect(row == expected)
    }

    @Test("a user without carts or purchases gets 0 for the conversions and monetary value")
    func handComputedBob() throws {
        let row = try Self.extractor().features(for: Self.bob)

        let expected: [Double] =
            [
                89_700_000.0 / 86_400_000,  // recency: Wed 00:00 - Mon 23:05 = 24 h 55 min
                2,  // frequency (the click counts though it has no column)
                0,  // monetary: no purchase
                300_000.0 / 86_400_000,  // tenure: 5 min
                1, 0, 0,  // count view, cart, purchase
                0.5, 0, 0,  // shares of 2 events
                1,  // distinct items {1}
                0,  // no categories
                1,  // one session
                2,  // mean session events: 2 / 1
                5,  // mean session minutes: 23:05 - 23:00
                0,  // no durations
                0,  // view -> cart: 0 / 1
                0,  // cart -> purchase: 0 / 0 is 0
                0,  // view -> purchase: 0 / 1
            ]
            + Self.hours([23: 1])
            + [1, 0, 0, 0, 0, 0, 0]
        #expect(row == expected)
    }

    @Test("empty denominators give 0: purchases without views or carts, and an empty history")
    func emptyDenominators() throws {
        let extractor = try Self.extractor()
        let buyer = UserHistory(
            user: 2, userID: "buyer", events: [Self.event(Self.monday, .purchase, value: 10)])
        let columns = extractor.columns

        let row = extractor.features(for: buyer)
        let feature = { (name: String) in columns.firstIndex(of: name).map { row[$0] } }
        #expect(feature("view_to_cart") == 0)
        #expect(feature("cart_to_purchase") == 0)
        #expect(feature("view_to_purchase") == 0)
        #expect(feature("mean_dwell_seconds") == 0)
        #expect(feature("monetary") == 10)
        #expect(row.allSatisfy { $0.isFinite })

        let empty = extractor.features(for: UserHistory(user: 3, userID: "nobody", events: []))
        #expect(empty == [Double](repeating: 0, count: columns.count))
    }

    @Test("hour and weekday are UTC, and times before 1970 fall on the right side of midnight")
    func beforeEpoch() throws {
        // Given: 1969-12-31 23:59:59.999 UTC, a Wednesday
        let extractor = try UserFeatureExtractor(referenceTime: 0, eventTypes: [])
        let row = extractor.features(for: UserHistory(user: 0, userID: "u", events: [Self.event(-1, .view)]))

        // Then
        let columns = extractor.columns
        #expect(columns.firstIndex(of: "hour_23").map { row[$0] } == 1)
        #expect(columns.firstIndex(of: "dow_wed").map { row[$0] } == 1)
        #expect(row[0] == 1.0 / 86_400_000)  // recency: 1 ms
    }

    @Test("an event type listed twice is rejected with a message naming the option")
    func duplicateTypes() {
        // "VIEW " normalises to "view", so it repeats the first entry
        let error = #expect(throws: EventDataError.self) {
            try UserFeatureExtractor(referenceTime: 0, eventTypes: [.view, "VIEW "])
        }
        #expect(
            error?.localizedDescription
                == "UserFeatureExtractor.eventTypes: lists \"view\" twice; give each event type once.")
    }

    @Test("the store table defaults to the latest event and the stored types in funnel order")
    func tableFromStore() throws {
        // Given: Alice's and Bob's events, ingested out of user order
        let store = try SQLiteEventStore.inMemory()
        let events = [
            storeEvent("alice", Self.monday + 10 * Self.hour, .view, item: "1"),
            storeEvent("bob", Self.monday + 23 * Self.hour, .click, item: "1"),
            storeEvent("alice", Self.monday + 11 * Self.hour, .purchase, item: "1", value: 9.5),
        ]
        _ = try store.ingest(StoreTestSource(rows: storeRows(events.map(StoreRow.event))))

        // When
        let table = try UserFeatureExtractor.table(from: store)

        // Then: reference = Bob's 23:00, types view, click, purchase
        let extractor = try UserFeatureExtractor(
            referenceTime: Self.monday + 23 * Self.hour, eventTypes: [.view, .click, .purchase])
        #expect(table.columns == extractor.columns)
        #expect(table.userIDs == ["alice", "bob"])
        #expect(table.rows.count == 2)
        #expect(table.rows[0][0] == 12.0 / 24)  // Alice's recency: 23:00 - 11:00
        #expect(table.rows[0][2] == 9.5)
        #expect(table.rows[1][0] == 0)
    }

    @Test("a table as of a time uses only the events up to it and leaves out users without any")
    func tableAsOf() throws {
        let store = try SQLiteEventStore.inMemory()
        let events = [
            storeEvent("alice", Self.monday + 10 * Self.hour, .view, item: "1"),
            storeEvent("alice", Self.monday + 11 * Self.hour, .purchase, item: "1", value: 9.5),
            storeEvent("bob", Self.monday + 23 * Self.hour, .click, item: "1"),
        ]
        _ = try store.ingest(StoreTestSource(rows: storeRows(events.map(StoreRow.event))))
        let table = try UserFeatureExtractor.table(
            from: store, referenceTime: Self.monday + 10 * Self.hour, eventTypes: [.view, .purchase])
        #expect(table.userIDs == ["alice"])
        #expect(table.rows[0][0] == 0 && table.rows[0][1] == 1 && table.rows[0][2] == 0, "the purchase is later")
    }

    @Test("category share columns cover the store's most frequent categories")
    func categoryShares() throws {
        let store = try SQLiteEventStore.inMemory()
        var events = [
            storeEvent("alice", Self.monday, .view, item: "1", category: "books"),
            storeEvent("alice", Self.monday + Self.hour, .view, item: "2", category: "toys"),
            storeEvent("bob", Self.monday + 2 * Self.hour, .view, item: "2", category: "toys"),
        ]
        events.append(storeEvent("bob", Self.monday + 3 * Self.hour, .view, item: "3", category: "garden"))
        events.append(storeEvent("bob", Self.monday + 4 * Self.hour, .view, item: "2", category: "toys"))
        _ = try store.ingest(StoreTestSource(rows: storeRows(events.map(StoreRow.event))))
        let table = try UserFeatureExtractor.table(from: store, topCategories: 2)
        #expect(Array(table.columns.suffix(2)) == ["category_toys", "category_books"])
        #expect(Array(table.rows[0].suffix(2)) == [0.5, 0.5])
        #expect(Array(table.rows[1].suffix(2)) == [2.0 / 3, 0])
    }

    @Test("the CSV prints numbers compactly, quotes ids only when needed and appends attributes as text")
    func csvOutput() throws {
        // Given
        let table = FeatureTable(
            columns: ["a", "b"], userIDs: ["u1", "x,\"y\""], rows: [[1, 0.25], [0.00001, -2]])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("features-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("features.csv").path

        // When
        try table.writeCSV(to: path, attributes: ["u1": ["city": "Paris, FR"]], attributeColumns: ["city"])

        // Then
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == "user_id,a,b,city\nu1,1,0.25,\"Paris, FR\"\n\"x,\"\"y\"\"\",1e-05,-2,\n")

        try table.writeCSV(to: path)
        #expect(
            try String(contentsOfFile: path, encoding: .utf8) == "user_id,a,b\nu1,1,0.25\n\"x,\"\"y\"\"\",1e-05,-2\n")
    }

    @Test("the CSV refuses non-finite values and unwritable paths with the place named")
    func csvErrors() throws {
        let table = FeatureTable(columns: ["a"], userIDs: ["u1"], rows: [[.nan]])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("features-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("nan.csv").path

        let nan = #expect(throws: EventDataError.self) { try table.writeCSV(to: path) }
        #expect(
            nan?.localizedDescription
                == "\(path): cannot write: row 1 (user u1), column a: nan is not a finite number; "
                + "fix or drop it before writing")
        let repeated = #expect(throws: EventDataError.self) {
            try FeatureTable(columns: ["a"], userIDs: ["u1"], rows: [[1]]).writeCSV(to: path, attributeColumns: ["a"])
        }
        #expect(repeated?.localizedDescription.contains("column \"a\" appears twice") == true)
        let missingFolder = directory.appendingPathComponent("no/such/folder/out.csv").path
        #expect(throws: EventDataError.self) {
            try FeatureTable(columns: [], userIDs: [], rows: []).writeCSV(to: missingFolder)
        }
    }
}
