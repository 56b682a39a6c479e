import Foundation
import Testing

@testable import EventData

extension StoreContractTests {
    func erasure() throws {
        // Given two users with events, attributes, vectors and rejected rows that name them
        let store = try backend.makeStore()
        let rows: [SourceRow] = [
            .event(storeEvent("u1", 1_000, .view, item: "i1"), line: 1),
            .event(storeEvent("u10", 1_500, .view, item: "i1"), line: 2),
            .event(storeEvent("u1", 3_000, .purchase, item: "i2", value: 5), line: 3),
            .rejected(RowRejection(line: 4, reason: "bad time", kind: "bad_timestamp", raw: "u1,yesterday,view,i3")),
            .rejected(RowRejection(line: 5, reason: "bad time", kind: "bad_timestamp", raw: "u10,yesterday,view,i3")),
        ]
        _ = try store.ingest(StoreTestSource(rows: rows))
        _ = try store.ingestAttributes(
            [
                AttributeRow(id: "u1", values: ["age": "34", "segment-2024": "loyal"]),
                AttributeRow(id: "u10", values: ["age": "51"]),
            ],
            kind: .user)
        try store.storeUserVectors(["u1": [1, 2], "u10": [3, 4]], name: "vae")
        let before = try store.userIDs()

        // When u1 is forgotten (and an id the store never held)
        let erasure = try store.forget(users: ["u1", "nobody"])

        // Then everything of u1 is gone, u10 keeps all of theirs and every dense id stays put
        #expect(erasure.users == 1 && erasure.events == 2 && erasure.attributes == 2)
        #expect(erasure.vectors == 1 && erasure.rejects == 1)
        #expect(erasure.firstEvent == 1_000 && erasure.lastEvent == 3_000)
        #expect(try store.events(forUser: "u1").isEmpty)
        #expect(try store.events(forUser: "u10").count == 1)
        let after = try store.userIDs()
        #expect(after.count == before.count)
        #expect(!after.externalIDs.contains("u1") && after.index(of: "u10") == before.index(of: "u10"))
        #expect(after.externalIDs.contains { $0.hasPrefix("erased-") })
        #expect(try store.attributes(kind: .user).keys.sorted() == ["u10"])
        #expect(try store.userVectors(name: "vae").keys.sorted() == ["u10"])
        #expect(try store.rejects(limit: 10).map(\.rejection.raw) == ["u10,yesterday,view,i3"])
        var histories: [String] = []
        try store.forEachUserHistory { histories.append(after.externalIDs[$0.user]) }
        #expect(histories == ["u10"])

        // And the log records the erasure by its counts only
        let log = try store.erasures()
        #expect(log.count == 1 && log[0].users == 1 && log[0].events == 2 && log[0].firstEvent == nil)
        // A returning user starts afresh
        _ = try store.ingest(StoreTestSource(rows: [.event(storeEvent("u1", 9_000, .view, item: "i1"), line: 1)]))
        #expect(try store.events(forUser: "u1").map(\.timestamp) == [9_000])
    }
}

@Suite("Erasure")
struct ErasureTests {
    @Test("A rejected row names an id only as a whole field")
    func wholeFields() {
        #expect(Erasure.rawText("u1,2024,view", mentions: "u1"))
        #expect(Erasure.rawText("{\"user\": \"u1\"}", mentions: "u1"))
        #expect(Erasure.rawText("x\tu1", mentions: "u1"))
        #expect(!Erasure.rawText("u10,2024,view", mentions: "u1"))
        #expect(!Erasure.rawText("au1,2024", mentions: "u1"))
        #expect(!Erasure.rawText("", mentions: "u1"))
        #expect(!Erasure.rawText("u1", mentions: ""))
    }

    @Test("SQLite overwrites what it deletes: the user's id is nowhere in the files")
    func nothingLeftInTheFile() throws {
        let folder = try makeStoreTestDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("behavior.db").path
        let store = try SQLiteEventStore(path: path)
        let marker = "forget-me-4711"
        _ = try store.ingest(
            StoreTestSource(rows: [
                .event(storeEvent(marker, 1_000, .view, item: "i1", properties: ["note": marker]), line: 1),
                .event(storeEvent("keep-me", 1_000, .view, item: "i1"), line: 2),
                .rejected(RowRejection(line: 3, reason: "bad", kind: "bad_timestamp", raw: "\(marker),x")),
            ]))
        _ = try store.ingestAttributes([AttributeRow(id: marker, values: ["age": "40"])], kind: .user)
        _ = try store.forget(users: [marker])
        let bytes = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .map { String(decoding: try Data(contentsOf: folder.appendingPathComponent($0)), as: UTF8.self) }
            .joined()
        #expect(!bytes.contains(marker))
        #expect(bytes.contains("keep-me"))
    }
}
