import Foundation
import Synchronization
import TestSupport
import Testing

@testable import EventData
@testable import PostgresStore

@Suite("PostgreSQL store URLs and connection errors")
struct PostgresLocationTests {
    @Test("a store URL gives host, port, user, password, database and schema; the location hides the password")
    func parsesURL() throws {
        let full = try PostgresLocation(url: "postgres://behave:s3cret@db.internal:6543/events?schema=shop_a")
        #expect(full.host == "db.internal" && full.port == 6543 && full.user == "behave")
        #expect(full.password == "s3cret" && full.database == "events" && full.schema == "shop_a")
        #expect(full.description == "postgres://behave@db.internal:6543/events?schema=shop_a")
        let short = try PostgresLocation(url: "postgresql://me@localhost/db?sslmode=disable")
        #expect(short.port == 5432 && short.schema == "public" && short.password == nil)
        #expect(PostgresLocation.isURL("postgres://x") && !PostgresLocation.isURL("behavior.db"))
    }

    @Test(
        "a malformed store URL is refused naming what is wrong and the expected form, without the password",
        arguments: [
            ("postgres://:pw@host/db", "names no user"),
            ("postgres://me:pw@host", "names no database"),
            ("postgres://me@host/db?schema=Bad-Name", "not a plain name"),
            ("postgres://me@host/db?sslmode=require", "sslmode=require is not supported"),
            ("postgres://me@host/db?timeout=3", "unknown parameter"),
        ])
    func refusesBadURL(url: String, problem: String) {
        #expect {
            _ = try PostgresLocation(url: url)
        } throws: { error in
            guard case .store(let path, let detail) = error as? EventDataError else { return false }
            return detail.contains(problem) && detail.contains("postgres://USER") && !path.contains("pw")
        }
    }

    @Test("a server that is not there is named with host and port and the question to ask")
    func unreachableServer() {
        #expect {
            _ = try PostgresEventStore(url: "postgres://behave@127.0.0.1:1/events")
        } throws: { error in
            guard case .store(let path, let detail) = error as? EventDataError else { return false }
            return path == "postgres://behave@127.0.0.1:1/events" && detail.contains("cannot connect to 127.0.0.1:1")
                && detail.contains("is PostgreSQL running")
        }
    }
}

@Suite("PostgreSQL event store", .enabled(if: TestPostgres.url != nil, TestPostgres.skipped))
struct PostgresEventStoreTests {
    private func freshURL() throws -> String { try #require(TestPostgres.freshURL()) }

    @Test("a second store object on the same URL reads what the first stored, and can add to it")
    func sharedBetweenStoreObjects() throws {
        let url = try freshURL()
        let first = try PostgresEventStore(url: url)
        _ = try first.ingest(
            StoreTestSource(name: "a.csv", rows: storeRows([.event(storeEvent("u1", 1, item: "i1"))])))
        let second = try PostgresEventStore(url: url)
        #expect(try second.events(forUser: "u1").count == 1)
        _ = try second.ingest(
            StoreTestSource(name: "b.csv", rows: storeRows([.event(storeEvent("u2", 2, item: "i1"))])))
        #expect(try first.userIDs().externalIDs == ["u1", "u2"])
        #expect(try first.describe().events == 2)
    }

    @Test("ingests from two store objects at once are serialised: dense ids stay consistent, nothing is lost")
    func concurrentIngests() throws {
        // Given two store objects (as two servers would have) and two sources sharing some users and items
        let url = try freshURL()
        let stores = [try PostgresEventStore(url: url), try PostgresEventStore(url: url)]
        let sources = (0..<2).map { part in
            StoreTestSource(
                name: "part\(part).csv",
                rows: storeRows(
                    (0..<2_000).map { index in
                        .event(
                            storeEvent("u\((index * 7 + part) % 300)", Int64(index * 2 + part), item: "i\(index % 50)"))
                    }))
        }

        // When both ingest at the same time
        let results = Mutex<[Result<IngestSummary, any Error>]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let result = Result { try stores[index].ingest(sources[index]) }
            results.withLock { $0.append(result) }
        }

        // Then both succeed, every event is stored once and every history is readable
        let summaries = try results.withLock { $0 }.map { try $0.get() }
        #expect(summaries.map(\.stored).reduce(0, +) == 4_000)
        let description = try stores[0].describe()
        #expect(description.events == 4_000 && description.users == 300 && description.items == 50)
        var total = 0
        try stores[1].forEachUserHistory { total += $0.events.count }
        #expect(total == 4_000)
    }

    @Test("stores opening a new schema at the same moment create it once, without a clash")
    func concurrentFirstOpen() throws {
        let url = try freshURL()
        let opened = Mutex(0)
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                _ = try PostgresEventStore(url: url)
                opened.withLock { $0 += 1 }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(opened.withLock { $0 } == 4)
    }

    @Test("a schema holding other tables is refused, not written into")
    func foreignSchema() throws {
        let url = try freshURL()
        let store = try PostgresEventStore(url: url)
        try store.write { connection, logger in
            try await connection.query("DROP TABLE behaviorkit_migration", logger: logger)
        }
        #expect {
            _ = try PostgresEventStore(url: url)
        } throws: { error in
            guard case .store(_, let detail) = error as? EventDataError else { return false }
            return detail.contains("not a BehaviorKit event store") && detail.contains("?schema=NAME")
        }
    }

    @Test("a store written by a newer schema is refused")
    func newerSchema() throws {
        let url = try freshURL()
        let store = try PostgresEventStore(url: url)
        try store.write { connection, logger in
            try await connection.query("INSERT INTO behaviorkit_migration (name) VALUES ('v99-future')", logger: logger)
        }
        #expect {
            _ = try PostgresEventStore(url: url)
        } throws: { error in
            guard case .store(_, let detail) = error as? EventDataError else { return false }
            return detail.contains("newer version") && detail.contains("v99-future")
        }
    }

    @Test("an attribute value PostgreSQL cannot hold (U+0000) is refused naming the user and attribute")
    func attributeWithNUL() throws {
        let store = try PostgresEventStore(url: try freshURL())
        #expect {
            _ = try store.ingestAttributes([AttributeRow(id: "u1", values: ["city": "Pa\u{0}ris"])], kind: .user)
        } throws: { error in
            guard case .store(_, let detail) = error as? EventDataError else { return false }
            return detail.contains("city") && detail.contains("u1") && detail.contains("U+0000")
        }
        #expect(try store.attributes(kind: .user).isEmpty)
    }
}

@Suite("COPY text rows")
struct CopyTextTests {
    @Test(
        "columns are tab-separated with backslash, tab, newline and CR escaped, NULL as \\N, integers and bytea exact")
    func encodes() {
        var data = CopyText()
        data.text("plain")
        data.text("a\\b\tc\nd\re")
        data.text(nil as String?)
        data.integer(0)
        data.integer(-42)
        data.integer(Int64.min)
        data.double(.nan)
        data.bytes([0, 255])
        data.endRow()
        let text = data.buffers.map { String(buffer: $0) }.joined()
        #expect(
            text == "plain\ta\\\\b\\tc\\nd\\re\t\\N\t0\t-42\t-9223372036854775808\tNaN\t\\\\x00ff\n")
    }
}
