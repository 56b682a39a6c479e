import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Serving
import Testing

@testable import ScoringServer

@Suite(.serialized) struct ScoringServerTests {
    static func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    static func headers(_ key: String?) -> HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        if let key { fields[.authorization] = "Bearer \(key)" }
        return fields
    }

    static func object(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
    }

    /// The `error` object of an error answer.
    static func error(_ buffer: ByteBuffer) -> [String: Any] {
        object(buffer)["error"] as? [String: Any] ?? [:]
    }

    @Test func everyEndpointAnswersAndNamesTheVersion() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let server = try fixture.server()
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(
                    Self.object(response.body)["models"] as? [String: String] == [
                        "recs": "1", "intent": "1", "buyers": "1",
                    ])
            }
            let key = Self.headers(fixture.scoreKey)
            try await client.execute(uri: "/v1/models", method: .get, headers: key) { response in
                let models = Self.object(response.body)["models"] as? [[String: Any]] ?? []
                #expect(models.compactMap { $0["name"] as? String } == ["buyers", "intent", "recs"])
                #expect(models.compactMap { $0["task"] as? String } == ["purchase", "classify", "next-item"])
                #expect(models.allSatisfy { $0["metrics"] != nil })
            }
            // Recommend from a history, and for a user of the store.
            let history = #"{"history": ["\#(fixture.items[0])", "\#(fixture.items[1])"], "k": 3}"#
            try await client.execute(
                uri: "/v1/models/recs/recommend", method: .post, headers: key, body: Self.body(history)
            ) { response in
                #expect(response.status == .ok && response.headers[.modelVersion] == "1")
                let answer = Self.object(response.body)
                #expect(answer["model"] as? String == "recs" && answer["version"] as? String == "1")
                #expect((answer["items"] as? [[String: Any]])?.count == 3 && answer["history_length"] as? Int == 2)
            }
            try await client.execute(
                uri: "/v1/models/recs/recommend", method: .post, headers: key,
                body: Self.body(#"{"user": "\#(fixture.user)", "k": 5, "exclude_seen": true}"#)
            ) { response in
                #expect(response.status == .ok)
                #expect((Self.object(response.body)["items"] as? [[String: Any]])?.count == 5)
            }
            // Score table rows; numbers, strings and null all read as cells.
            try await client.execute(
                uri: "/v1/models/intent/score", method: .post, headers: key,
                body: Self.body(
                    #"{"rows": [{"a": 6, "b": 1, "color": "red"}, {"a": "1", "b": null, "color": "blue"}]}"#)
            ) { response in
                #expect(response.status == .ok)
                let scores = Self.object(response.body)["scores"] as? [[String: Any]] ?? []
                #expect(
                    scores.count == 2
                        && scores.allSatisfy { ($0["probability"] as? Double).map { (0...1).contains($0) } == true })
            }
            // Explain table rows: every column's attribution, adding up to the change.
            try await client.execute(
                uri: "/v1/models/intent/explain", method: .post, headers: key,
                body: Self.body(#"{"rows": [{"a": 6, "b": 1, "color": "red"}]}"#)
            ) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let answer = Self.object(response.body)
                #expect(answer["model"] as? String == "intent" && answer["version"] as? String == "1")
                let explanations = answer["explanations"] as? [[String: Any]] ?? []
                let columns = explanations.first?["columns"] as? [[String: Any]] ?? []
                #expect(
                    explanations.count == 1
                        && Set(columns.compactMap { $0["column"] as? String }) == ["a", "b", "color"])
                let total = columns.compactMap { $0["attribution"] as? Double }.reduce(0, +)
                let change =
                    (explanations.first?["probability"] as? Double ?? 0)
                    - (explanations.first?["baseline_probability"] as? Double ?? 0)
                #expect(abs(total - change) <= abs(change) * 0.01 + 1e-9)
            }
            // Explain a user's purchase score: every feature's attribution, adding up to the change.
            try await client.execute(
                uri: "/v1/models/buyers/explain", method: .post, headers: key,
                body: Self.body(#"{"users": ["\#(fixture.user)"], "at": "2030-01-01T00:00:00Z"}"#)
            ) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let users = Self.object(response.body)["users"] as? [[String: Any]] ?? []
                #expect(users.count == 1 && users.first?["user"] as? String == fixture.user)
                let features = users.first?["features"] as? [[String: Any]] ?? []
                let total = features.compactMap { $0["attribution"] as? Double }.reduce(0, +)
                let change =
                    (users.first?["probability"] as? Double ?? 0)
                    - (users.first?["baseline_probability"] as? Double ?? 0)
                #expect(!features.isEmpty && abs(total - change) <= abs(change) * 0.01 + 1e-9)
            }
            // An explain request is capped at 100 rows.
            let rows = Array(repeating: #"{"a": 6, "b": 1, "color": "red"}"#, count: 101).joined(separator: ",")
            try await client.execute(
                uri: "/v1/models/intent/explain", method: .post, headers: key, body: Self.body(#"{"rows": [\#(rows)]}"#)
            ) { response in
                #expect(response.status == .badRequest)
                #expect((Self.error(response.body)["message"] as? String)?.contains("at most 100") == true)
            }
            // The live recommender is the popularity model: it has no history to explain, and says so.
            try await client.execute(
                uri: "/v1/models/recs/explain", method: .post, headers: key,
                body: Self.body(#"{"users": ["\#(fixture.user)"]}"#)
            ) { response in
                #expect(response.status == .badRequest)
                #expect((Self.error(response.body)["message"] as? String)?.contains("reads no history") == true)
            }
            try await client.execute(
                uri: "/v1/models/recs/explain", method: .post, headers: key,
                body: Self.body(#"{"rows": [{"a": 6}]}"#)
            ) { response in
                #expect(response.status == .badRequest)
                #expect((Self.error(response.body)["message"] as? String)?.contains("give users") == true)
            }
            // Score users of the store with the purchase model, as of a given time.
            try await client.execute(
                uri: "/v1/models/buyers/score", method: .post, headers: key,
                body: Self.body(#"{"users": ["\#(fixture.user)"], "at": "2030-01-01T00:00:00Z"}"#)
            ) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let scores = Self.object(response.body)["scores"] as? [[String: Any]] ?? []
                #expect(
                    scores.count == 1 && (scores.first?["probability"] as? Double).map { (0...1).contains($0) } == true)
            }
            // Metrics need the admin scope and count what was answered.
            try await client.execute(uri: "/metrics", method: .get, headers: Self.headers(fixture.adminKey)) {
                response in
                let text = String(buffer: response.body)
                #expect(response.status == .ok && text.contains("behave_requests_total"))
                #expect(
                    text.contains(#"endpoint="/v1/models/{name}/recommend""#)
                        && text.contains("behave_request_duration_seconds"))
            }
        }
    }

    @Test func keysAndBadRequestsGetJSONErrorsNamingTheField() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let server = try fixture.server()
        try await server.makeApplication().test(.router) { client in
            let recommend = "/v1/models/recs/recommend"
            let good = Self.body(#"{"history": ["\#(fixture.items[0])"]}"#)
            func expectError(
                _ uri: String, _ method: HTTPRequest.Method = .post, key: String?, body: String?,
                _ status: HTTPResponse.Status, field: String? = nil, containing text: String? = nil
            ) async throws {
                try await client.execute(
                    uri: uri, method: method, headers: Self.headers(key), body: body.map(Self.body)
                ) { response in
                    let error = Self.error(response.body)
                    #expect(response.status == status, "\(uri) \(body ?? "")")
                    #expect(error["code"] is String, "\(uri) \(body ?? "")")
                    if let field { #expect(error["field"] as? String == field, "\(body ?? ""): \(error)") }
                    if let text { #expect((error["message"] as? String)?.contains(text) == true, "\(error)") }
                }
            }
            try await expectError(recommend, key: nil, body: nil, .unauthorized)
            try await expectError(
                recommend, key: "bk_00000000_" + String(repeating: "0", count: 64), body: nil, .unauthorized)
            try await expectError(recommend, key: fixture.ingestKey, body: nil, .forbidden, containing: "score scope")
            try await expectError("/metrics", .get, key: fixture.scoreKey, body: nil, .forbidden)
            let key = fixture.scoreKey
            try await expectError("/v1/models/nope/recommend", key: key, body: "{}", .notFound, field: "name")
            try await expectError("/v1/nothing", .get, key: key, body: nil, .notFound)
            try await expectError(recommend, key: key, body: "", .badRequest, containing: "empty")
            try await expectError(recommend, key: key, body: "[1, 2]", .badRequest, containing: "not a JSON object")
            try await expectError(recommend, key: key, body: "{\"user\": ", .badRequest)
            try await expectError(recommend, key: key, body: #"{"usr": "u1"}"#, .badRequest, field: "usr")
            try await expectError(recommend, key: key, body: #"{"history": "i1"}"#, .badRequest, field: "history")
            try await expectError(
                recommend, key: key, body: #"{"history": ["x-unknown"]}"#, .badRequest, field: "history")
            try await expectError(recommend, key: key, body: #"{"user": "nobody-here"}"#, .notFound, field: "user")
            try await expectError(
                recommend, key: key, body: #"{"history": ["\#(fixture.items[0])"], "k": 0}"#, .badRequest, field: "k")
            let long = "[" + Array(repeating: "\"\(fixture.items[0])\"", count: 51).joined(separator: ",") + "]"
            try await expectError(recommend, key: key, body: #"{"history": \#(long)}"#, .badRequest, field: "history")
            try await expectError(
                recommend, key: key, body: "{\"history\": [\"" + String(repeating: "x", count: 5_000) + "\"]}",
                .contentTooLarge)
            try await expectError(
                "/v1/models/intent/recommend", key: key, body: "{}", .badRequest, containing: "/score")
            let score = "/v1/models/intent/score"
            try await expectError(score, key: key, body: #"{"rows": []}"#, .badRequest, field: "rows")
            try await expectError(
                score, key: key, body: #"{"rows": [{"a": 1, "b": 2}]}"#, .badRequest, field: "rows[0].color")
            try await expectError(
                score, key: key, body: #"{"rows": [{"a": "lots", "b": 2, "color": "red"}]}"#, .badRequest,
                field: "rows[0].a")
            try await expectError(
                score, key: key, body: #"{"rows": [{"a": [1], "b": 2, "color": "red"}]}"#, .badRequest,
                field: "rows[0].a")
            // A good request still works after all that.
            try await client.execute(uri: recommend, method: .post, headers: Self.headers(key), body: good) {
                #expect($0.status == .ok)
            }
        }
    }

    @Test func promotionsSwapModelsAndABrokenVersionIsRefusedWhileTheOldServes() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let server = try fixture.server()
        try await server.makeApplication().test(.router) { client in
            let body = Self.body(#"{"history": ["\#(fixture.items[0])"], "k": 2}"#)
            let key = Self.headers(fixture.scoreKey)
            func version() async throws -> String? {
                try await client.execute(uri: "/v1/models/recs/recommend", method: .post, headers: key, body: body) {
                    $0.headers[.modelVersion]
                }
            }
            #expect(try await version() == "1")
            try fixture.registry.promote("recs", version: "2")
            server.models.refresh()
            #expect(try await version() == "2")
            // SASRec explains a user's top recommendation per past item, with attention rollout.
            try await client.execute(
                uri: "/v1/models/recs/explain", method: .post, headers: key,
                body: Self.body(#"{"users": ["\#(fixture.user)"]}"#)
            ) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let answers = Self.object(response.body)["recommendations"] as? [[String: Any]] ?? []
                let events = answers.first?["events"] as? [[String: Any]] ?? []
                let total = events.compactMap { $0["attribution"] as? Double }.reduce(0, +)
                let change =
                    (answers.first?["score"] as? Double ?? 0) - (answers.first?["baseline_score"] as? Double ?? 0)
                #expect(
                    answers.count == 1 && !events.isEmpty && events.allSatisfy { $0["rollout"] is Double },
                    "\(String(buffer: response.body).prefix(600))")
                #expect(abs(total - change) <= abs(change) * 0.01 + 1e-6)
            }
            // Version 3 has a config.json but garbage weights: refused, version 2 keeps serving.
            let staging = try fixture.registry.stagingDirectory(for: "recs")
            let two = fixture.registry.root.appendingPathComponent("recs/2")
            for file in try FileManager.default.contentsOfDirectory(atPath: two.path) {
                try FileManager.default.copyItem(
                    at: two.appendingPathComponent(file), to: staging.appendingPathComponent(file))
            }
            try Data("not weights".utf8).write(to: staging.appendingPathComponent("weights.safetensors"))
            try fixture.registry.register(staged: staging, as: "recs")
            try fixture.registry.promote("recs", version: "3")
            server.models.refresh()
            #expect(try await version() == "2")
            #expect(server.models.refusals["recs"]?.version == "3")
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(
                    (Self.object(response.body)["refused"] as? [String: String])?["recs"]?.contains("version 3") == true
                )
            }
            try await client.execute(uri: "/metrics", method: .get, headers: Self.headers(fixture.adminKey)) {
                #expect(String(buffer: $0.body).contains("behave_model_load_failures_total"))
            }
            try fixture.registry.rollback("recs")
            server.models.refresh()
            #expect(try await version() == "2" && server.models.refusals.isEmpty)
            // A revoked key stops working once the keys are read again.
            let entries = try fixture.keyFile.load().entries
            try fixture.keyFile.revoke(id: try #require(entries.first?.id))
            server.keys.reload()
            try await client.execute(uri: "/v1/models", method: .get, headers: key) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    @Test func eventsAreStoredBeforeTheAnswerWithRejectsAndDuplicatesCounted() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let server = try fixture.server()
        try await server.makeApplication().test(.router) { client in
            let ingest = Self.headers(fixture.ingestKey)
            let batch = """
                {"events": [
                  {"user_id": "newcomer", "timestamp": 1704091790643, "event_type": "view", "item_id": "\(fixture.items[0])"},
                  {"user_id": "newcomer", "timestamp": 1704091805501, "event_type": "click", "item_id": "\(fixture.items[1])"},
                  {"timestamp": 1704091805502, "event_type": "click"}
                ]}
                """
            try await client.execute(uri: "/v1/events", method: .post, headers: ingest, body: Self.body(batch)) {
                response in
                let answer = Self.object(response.body)
                #expect(response.status == .ok, "\(answer)")
                #expect(
                    answer["received"] as? Int == 3 && answer["stored"] as? Int == 2 && answer["rejected"] as? Int == 1)
                let rejects = answer["rejects"] as? [[String: Any]] ?? []
                #expect(rejects.first?["index"] as? Int == 2 && (rejects.first?["reason"] as? String)?.isEmpty == false)
            }
            // Acknowledged means stored: the store has them, and a model can use them at once.
            #expect(try fixture.store.events(forUser: "newcomer").count == 2)
            try await client.execute(
                uri: "/v1/models/recs/recommend", method: .post, headers: Self.headers(fixture.scoreKey),
                body: Self.body(#"{"user": "newcomer", "k": 3}"#)
            ) { response in
                #expect(response.status == .ok && Self.object(response.body)["history_length"] as? Int == 2)
            }
            // The same batch again adds nothing.
            try await client.execute(uri: "/v1/events", method: .post, headers: ingest, body: Self.body(batch)) {
                response in
                let answer = Self.object(response.body)
                #expect(answer["stored"] as? Int == 0 && answer["duplicates"] as? Int == 2)
            }
            // The ingest scope is needed; bad bodies are named.
            try await client.execute(
                uri: "/v1/events", method: .post, headers: Self.headers(fixture.scoreKey), body: Self.body(batch)
            ) { #expect($0.status == .forbidden) }
            for (body, field) in [
                (#"{"events": {}}"#, "events"), (#"{"events": [1]}"#, "events[0]"), (#"{"event": []}"#, "event"),
                (#"{"events": []}"#, "events"), ("{}", "events"),
            ] {
                try await client.execute(uri: "/v1/events", method: .post, headers: ingest, body: Self.body(body)) {
                    response in
                    #expect(
                        response.status == .badRequest && Self.error(response.body)["field"] as? String == field,
                        "\(body)")
                }
            }
            try await client.execute(uri: "/metrics", method: .get, headers: Self.headers(fixture.adminKey)) {
                #expect(String(buffer: $0.body).contains(#"behave_events_total{outcome="stored"} 2"#))
            }
        }
    }

    @Test func readinessWaitsForEveryLiveModel() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        // Only a kind this server does not serve: not ready, and /readyz says why.
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let models = LiveModels(registry: fixture.registry, kinds: ModelKinds(), logger: logger)
        models.refresh()
        #expect(!models.isReady && models.all.isEmpty)
        #expect(models.refusals["recs"]?.reason.contains("does not serve next-item") == true)
        let served = LiveModels(registry: fixture.registry, logger: logger)
        served.refresh()
        #expect(served.isReady && served.all.count == 3)
    }
}
