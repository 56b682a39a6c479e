import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import ScoringServer

/// `GET /v1/models/{name}/drift` and the drift gauges: what live models were asked, against
/// their training profiles.
@Suite(.serialized) struct DriftEndpointTests {
    typealias Server = ScoringServerTests

    /// `count` table rows of the fixture's `intent` model, with `a` as given.
    private static func rows(_ count: Int, a: (Int) -> Int) -> String {
        let rows = (0..<count).map { row in
            #"{"a": \#(a(row)), "b": \#(row % 5), "color": "\#(["red", "blue"][row % 2])"}"#
        }
        return #"{"rows": [\#(rows.joined(separator: ","))]}"#
    }

    @Test func requestsAreComparedWithTheTrainingProfile() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let server = try fixture.server()
        try await server.makeApplication().test(.router) { client in
            let score = Server.headers(fixture.scoreKey)
            let admin = Server.headers(fixture.adminKey)
            // Before any request: no report yet.
            try await client.execute(uri: "/v1/models/intent/drift", method: .get, headers: admin) { response in
                let body = Server.object(response.body)
                #expect(response.status == .ok && body["recorded_rows"] as? Int == 0 && body["report"] == nil)
                #expect(body["model"] as? String == "intent" && body["version"] as? String == "1")
            }
            // Rows like the training rows, then rows whose `a` is far outside them.
            try await client.execute(
                uri: "/v1/models/intent/score", method: .post, headers: score,
                body: Server.body(Self.rows(100) { $0 % 7 })
            ) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/models/intent/drift", method: .get, headers: admin) { response in
                let report = Server.object(response.body)["report"] as? [String: Any] ?? [:]
                let features = report["features"] as? [[String: Any]] ?? []
                #expect(features.compactMap { $0["name"] as? String } == ["a", "b", "color"])
                #expect(features.allSatisfy { $0["drifted"] as? Bool == false }, "\(features)")
                #expect(report["verdict"] as? String == "stable")
            }
            try await client.execute(
                uri: "/v1/models/intent/score", method: .post, headers: score,
                body: Server.body(Self.rows(100) { _ in 40 })
            ) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/models/intent/drift", method: .get, headers: admin) { response in
                let body = Server.object(response.body)
                let report = body["report"] as? [String: Any] ?? [:]
                let a = (report["features"] as? [[String: Any]])?.first { $0["name"] as? String == "a" } ?? [:]
                #expect(body["recorded_rows"] as? Int == 200)
                #expect(a["drifted"] as? Bool == true && a["statistic"] as? String == "wasserstein")
                #expect((a["value"] as? Double ?? 0) > (a["threshold"] as? Double ?? 1))
                #expect(report["drifted_share"] as? Double != nil && report["verdict"] as? String != "stable")
            }
            // The gauges carry the same figures.
            try await client.execute(uri: "/metrics", method: .get, headers: admin) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"behave_drift_feature_drifted{model="intent",feature="a"} 1"#), "\(text)")
                #expect(text.contains(#"behave_drift_window_rows{model="intent"} 200"#))
            }
            // A recommender's requests: the history's figures and the best score.
            try await client.execute(
                uri: "/v1/models/recs/recommend", method: .post, headers: score,
                body: Server.body(#"{"user": "\#(fixture.user)"}"#)
            ) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/models/recs/drift", method: .get, headers: admin) { response in
                let report = Server.object(response.body)["report"] as? [String: Any] ?? [:]
                let names = (report["features"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
                #expect(Set(names ?? []) == ["item", "known_item", "history_length"])
                #expect((report["scores"] as? [String: Any])?["statistic"] as? String == "psi")
            }
            // The purchase model records the feature table of the users it scores.
            try await client.execute(
                uri: "/v1/models/buyers/score", method: .post, headers: score,
                body: Server.body(#"{"users": ["\#(fixture.user)"]}"#)
            ) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/models/buyers/drift", method: .get, headers: admin) { response in
                let report = Server.object(response.body)["report"] as? [String: Any] ?? [:]
                let names = (report["features"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
                #expect(names.contains("recency_days") && names.contains("history_length"))
            }
            // Drift is for the admin scope; an unknown model is named.
            try await client.execute(uri: "/v1/models/intent/drift", method: .get, headers: score) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/v1/models/nope/drift", method: .get, headers: admin) { response in
                #expect(response.status == .notFound && Server.error(response.body)["field"] as? String == "name")
            }
        }
    }

    @Test func aModelWithoutProfileSaysSo() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try FileManager.default.removeItem(
            at: fixture.registry.version("1", of: "buyers").directory.appendingPathComponent("profile.json"))
        let server = try fixture.server()
        try await server.makeApplication().test(.router) { client in
            try await client.execute(
                uri: "/v1/models/buyers/drift", method: .get, headers: Server.headers(fixture.adminKey)
            ) { response in
                #expect(response.status == .notFound)
                #expect((Server.error(response.body)["message"] as? String)?.contains("no training profile") == true)
            }
        }
    }
}
