import Foundation
import Testing

@testable import EventData

@Suite("JSON Lines reader")
struct JSONLinesReaderTests {
    let files: ReaderFixtures

    init() throws { files = try ReaderFixtures() }

    @Test("objects become events; numbers, escapes and nested values are handled")
    func goodLines() throws {
        let path = try files.write(
            "events.jsonl",
            #"""
            {"user_id": "u1", "timestamp": 1709296200000, "event_type": "View", "item_id": 42, "value": null, "ref": "a\"b\u00e9\n"}
            {"user_id":7,"timestamp":"2024-03-01T12:30:00Z","event_type":"purchase","value":"19.5","duration":3,"tags":["x", {"y": 1}],"ok":true}

              {"timestamp": 1709296200, "user_id": "u\ud83d\ude00", "meta": {"a": [1, 2]}}
            """#)
        let rows = try files.rows(path)
        #expect(rows.count == 3)
        let first = try #require(rows[0].event)
        #expect(first.userID == "u1" && first.type == .view && first.itemID == "42" && first.value == nil)
        #expect(first.properties == ["ref": "a\"bé\n"])
        let second = try #require(rows[1].event)
        #expect(second.userID == "7")
        #expect(second.timestamp == 1_709_296_200_000)
        #expect(second.value == 19.5 && second.duration == 3)
        #expect(second.properties == ["tags": #"["x", {"y": 1}]"#, "ok": "true"])
        let third = try #require(rows[2].event)
        #expect(rows[2].line == 4)
        #expect(third.userID == "u😀")
        #expect(third.type.rawValue == "interaction")
        #expect(third.properties == ["meta": #"{"a": [1, 2]}"#])
    }

    @Test("malformed lines are rejected as bad_json with the place of the problem")
    func badLines() throws {
        let path = try files.write(
            "bad.jsonl",
            #"""
            {"user_id": "u1", "timestamp": 1, "event_type": "view"}
            {"user_id": "u2", "timestamp": 2, "event_type": "view"
            ["user_id", "u3"]
            {"user_id": "u4", "timestamp": 01}
            {"user_id": "u5", "timestamp": 5} trailing
            {"user_id": "u6\x", "timestamp": 6}
            {"user_id": "u7", "timestamp": 7, "event_type": tru}
            {"user_id": "u8", "timestamp": 8, "bad": "\ud800"}
            {"user_id": "u9", "timestamp": 9, "a": [1, 2}
            not json at all
            """#)
        let rows = try files.rows(path)
        #expect(rows.count == 10)
        #expect(rows[0].event?.userID == "u1")
        for row in rows.dropFirst() { #expect(row.rejection?.kind == "bad_json", "line \(row.line)") }
        #expect(
            rows[1].rejection?.reason == "not a JSON object: expected ',' or '}' after a value at the end of the line")
        #expect(rows[2].rejection?.reason == "not a JSON object: expected a JSON object ('{') at character 1")
        #expect(rows[4].rejection?.reason == "not a JSON object: unexpected text after the object at character 35")
        #expect(rows.map(\.line) == Array(1...10))
    }

    @Test("a line that names a key twice, in any object or in two Unicode forms, is rejected as bad_json")
    func duplicateKeys() throws {
        let path = try files.write(
            "duplicates.jsonl",
            #"""
            {"user_id": "u1", "timestamp": 1, "user_id": "u2"}
            {"user_id": "u3", "timestamp": 3, "meta": {"a": 1, "a": 2}}
            {"user_id": "u4", "timestamp": 4, "caf\u00e9": 1, "cafe\u0301": 2}
            {"user_id": "u5", "timestamp": 5, "a": 1, "\u0061": 2}
            {"user_id": "u6", "timestamp": 6, "meta": {"a": 1}, "tags": [{"a": 1}, {"a": 2}], "café": 1, "a": 0}
            """#)
        let rows = try files.rows(path)
        #expect(rows.map { $0.rejection?.kind } == ["bad_json", "bad_json", "bad_json", "bad_json", nil])
        #expect(rows[0].rejection?.reason == "not a JSON object: the key 'user_id' is repeated at character 35")
        #expect(rows[1].rejection?.reason == "not a JSON object: the key 'a' is repeated at character 52")
        #expect(
            rows[2].rejection?.reason
                == "not a JSON object: the key 'cafe\u{301}' is repeated (in another Unicode form)")
        #expect(rows[3].rejection?.reason == "not a JSON object: the key 'a' is repeated at character 43")
        #expect(rows[4].event?.properties["café"] == "1")
    }

    @Test("an object or array in a mapped field, a missing user and invalid UTF-8 are rejected")
    func badValues() throws {
        var bytes: [UInt8] = Array(#"{"user_id": {"id": 1}, "timestamp": 1}"#.utf8) + [0x0A]
        bytes += Array(#"{"timestamp": 1, "user_id": null}"#.utf8) + [0x0A]
        bytes += Array(#"{"user_id": "u"#.utf8) + [0xFF]
        bytes += Array(#"", "timestamp": 1}"#.utf8) + [0x0A]
        bytes += Array(#"{"user_id": "ok", "timestamp": 1}"#.utf8)
        let rows = try files.rows(try files.write("values.jsonl", bytes: bytes))
        #expect(rows.map { $0.rejection?.kind } == ["bad_value", "missing_field", "invalid_utf8", nil])
        #expect(
            rows[0].rejection?.reason
                == "user_id (key 'user_id') is an object or array; it must be a string or a number")
    }

    @Test("keys map like columns: by mapping, by canonical name in any spelling")
    func keyMapping() throws {
        let path = try files.write(
            "shop.ndjson",
            #"""
            {"customer": "c1", "ts": "2024-03-01 00:00:00", "action": "cart", "userId": "x"}
            {"customer": "c2", "ts": "2024-03-01 00:00:01", "action": "cart", "price": 3}
            """#)
        let rows = try files.rows(
            path,
            mapping: ColumnMapping(
                columns: [.userID: "customer", .timestamp: "ts", .eventType: "action", .value: "price"]))
        #expect(rows.compactMap(\.event?.userID) == ["c1", "c2"])
        #expect(rows[0].event?.properties == ["userId": "x"])
        #expect(rows[1].event?.value == 3)

        let camel = try files.write("camel.jsonl", #"{"userId": "u", "Timestamp": 5, "eventType": "click"}"#)
        #expect(try files.rows(camel).first?.event == Event(userID: "u", timestamp: 5000, type: .click))
    }

    @Test("a mapped key that no sampled line has is a mapping error listing the keys seen")
    func mappingError() throws {
        let path = try files.write("events.jsonl", #"{"customer": "c1", "ts": 1}"#)
        let error = eventDataError {
            _ = try EventFileReader.open(path: path, mapping: ColumnMapping(columns: [.timestamp: "ts"]))
        }
        #expect(
            error
                == .badMapping(
                    path: path,
                    detail: "no key gives user_id: none is named 'user_id' and the mapping names none; available keys: "
                        + "'customer', 'ts' (in the first 100 lines); map one, e.g. user_id=<key>"))
    }

    @Test("optional keys that appear only later are still mapped")
    func lateOptionalKeys() throws {
        var text = ""
        for index in 0..<150 { text += #"{"user_id": "u", "timestamp": \#(index), "event_type": "view"}"# + "\n" }
        text += #"{"user_id": "u", "timestamp": 999, "event_type": "purchase", "value": 12.5}"# + "\n"
        let rows = try files.rows(try files.write("late.jsonl", text))
        #expect(rows.count == 151)
        #expect(rows.last?.event?.value == 12.5)
    }

    @Test("a JSON Lines file of only blank lines gives no rows")
    func blankFile() throws {
        #expect(try files.rows(try files.write("blank.jsonl", "\n  \n\n")).isEmpty)
        #expect(try files.rows(try files.write("empty.jsonl", "")).isEmpty)
    }
}
