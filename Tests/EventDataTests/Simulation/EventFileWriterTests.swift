import Foundation
import Testing

@testable import EventData

@Suite("Event file writer")
struct EventFileWriterTests {
    static let awkward = Event(
        userID: "user \"one\", the first", timestamp: -1_500, type: "add_to_wishlist", itemID: "line\nbreak",
        sessionID: "s\r1", value: 0.1, duration: 12, category: "back\\slash\ttab\u{1}")

    @Test("CSV quotes exactly the fields that need it and round-trips through a CSV reader")
    func csvQuoting() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.csv").path
            let writer = try EventFileWriter(path: path, format: .csv)
            try writer.write(Self.awkward)
            try writer.write(Event(userID: "u2", timestamp: 5, type: .view))
            try writer.finish()
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.hasPrefix("user_id,timestamp,event_type,item_id,session_id,value,duration,category\n"))
            #expect(text.hasSuffix("\nu2,5,view,,,,,\n"))
            #expect(text.contains("\"user \"\"one\"\", the first\",-1500,add_to_wishlist,\"line\nbreak\","))
            let records = parseCSV(text)
            #expect(records.count == 3)
            #expect(
                records[1] == [
                    "user \"one\", the first", "-1500", "add_to_wishlist", "line\nbreak", "s\r1", "0.1", "12.0",
                    "back\\slash\ttab\u{1}",
                ])
            #expect(writer.eventsWritten == 2)
        }
    }

    @Test("JSON Lines escapes strings, writes null for missing fields and decodes back")
    func jsonEscaping() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.jsonl").path
            let writer = try EventFileWriter(path: path, format: .jsonl)
            try writer.write(Self.awkward)
            try writer.write(Event(userID: "u2", timestamp: 5, type: .view))
            try writer.finish()
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 2)
            let expected =
                #"{"user_id":"u2","timestamp":5,"event_type":"view","item_id":null,"session_id":null,"#
                + #""value":null,"duration":null,"category":null}"#
            #expect(lines[1] == expected)
            let object = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
            #expect(object?["user_id"] as? String == Self.awkward.userID)
            #expect(object?["item_id"] as? String == "line\nbreak")
            #expect(object?["session_id"] as? String == "s\r1")
            #expect(object?["category"] as? String == Self.awkward.category)
            #expect((object?["timestamp"] as? NSNumber)?.int64Value == -1_500)
            #expect((object?["value"] as? NSNumber)?.doubleValue == 0.1)
        }
    }

    @Test("fixed-point numbers keep their decimals")
    func fixedPoint() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.csv").path
            let writer = try EventFileWriter(path: path, format: .csv)
            let user = writer.prepare("u")
            let type = writer.prepare("cart")
            for (units, decimals) in [(1_205, 2), (7, 2), (-305, 2), (0, 1), (42, 0)] {
                try writer.writeRow(
                    user: user, timestamp: 0, type: type, item: nil, session: nil,
                    value: .fixed(Int64(units), decimals: decimals), duration: .none, category: nil)
            }
            try writer.finish()
            let values = parseCSV(try String(contentsOfFile: path, encoding: .utf8)).dropFirst().map { $0[5] }
            #expect(values == ["12.05", "0.07", "-3.05", "0.0", "42"])
        }
    }

    @Test("a non-finite value is refused with the event's number")
    func nonFiniteValue() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.csv").path
            let writer = try EventFileWriter(path: path, format: .csv)
            #expect {
                try writer.write(Event(userID: "u1", timestamp: 0, type: .purchase, value: .infinity))
            } throws: { error in
                let message = error.localizedDescription
                return message.hasPrefix(path) && message.contains("event 1") && message.contains("value inf")
            }
        }
    }

    @Test("a file in a missing folder cannot be created, and the error names it")
    func missingFolder() {
        let folder = "/nonexistent-folder-\(UUID().uuidString)"
        let path = folder + "/events.csv"
        #expect(
            throws: EventDataError.unwritable(
                path: path, reason: "the folder \(folder) does not exist; create it first")
        ) {
            try EventFileWriter(path: path, format: .csv)
        }
    }

    @Test("writing after finish fails instead of losing events")
    func writeAfterFinish() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("events.csv").path
            let writer = try EventFileWriter(path: path, format: .csv)
            try writer.finish()
            #expect(throws: EventDataError.self) {
                try writer.write(Event(userID: "u1", timestamp: 0, type: .view))
            }
        }
    }
}
