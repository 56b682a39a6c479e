import EventData
import Foundation
import HummingbirdTesting
import PostgresStore
import TestSupport
import Testing

@testable import ScoringServer

@Suite("Scale-out on a shared PostgreSQL store", .enabled(if: TestPostgres.url != nil, TestPostgres.skipped))
struct PostgresScaleOutTests {
    @Test("events ingested through one server are in the next recommendation of another sharing the store")
    func eventsThroughOneServerReachTheOther() async throws {
        // Given the fixture's models and two servers, each with its own connection to one PostgreSQL store
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let url = try #require(TestPostgres.freshURL())
        let stores = [try PostgresEventStore(url: url), try PostgresEventStore(url: url)]
        _ = try stores[0].ingest(
            try BehaviorSimulator(config: SimulationConfig(users: 60, items: 30, days: 21, seed: 2)))
        let servers = try stores.map { store in
            try fixture.server { configuration in
                configuration.serving.store = store
                configuration.eventStore = store
            }
        }
        let batch = """
            {"events": [
              {"user_id": "newcomer", "timestamp": 1704091790643, "event_type": "view", "item_id": "\(fixture.items[0])"},
              {"user_id": "newcomer", "timestamp": 1704091805501, "event_type": "click", "item_id": "\(fixture.items[1])"}
            ]}
            """

        // When the events arrive through the first server
        try await servers[0].makeApplication().test(.router) { client in
            try await client.execute(
                uri: "/v1/events", method: .post, headers: ScoringServerTests.headers(fixture.ingestKey),
                body: ScoringServerTests.body(batch)
            ) { response in
                #expect(response.status == .ok && ScoringServerTests.object(response.body)["stored"] as? Int == 2)
            }
        }

        // Then the second server recommends from them at once, and a repeat through it adds nothing
        try await servers[1].makeApplication().test(.router) { client in
            try await client.execute(
                uri: "/v1/models/recs/recommend", method: .post, headers: ScoringServerTests.headers(fixture.scoreKey),
                body: ScoringServerTests.body(#"{"user": "newcomer", "k": 3}"#)
            ) { response in
                let answer = ScoringServerTests.object(response.body)
                #expect(response.status == .ok && answer["history_length"] as? Int == 2, "\(answer)")
            }
            try await client.execute(
                uri: "/v1/events", method: .post, headers: ScoringServerTests.headers(fixture.ingestKey),
                body: ScoringServerTests.body(batch)
            ) { response in
                #expect(ScoringServerTests.object(response.body)["duplicates"] as? Int == 2)
            }
        }
        #expect(try stores[0].events(forUser: "newcomer").count == 2)
    }
}
