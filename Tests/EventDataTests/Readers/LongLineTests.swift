import Foundation
import Testing

@testable import EventData

@Suite("Lines longer than the reader's limit")
struct LongLineTests {
    let files: ReaderFixtures

    init() throws { files = try ReaderFixtures() }

    /// A JSON Lines event of exactly `length` bytes (at least 60) for user `user`.
    static func event(user: String, length: Int) -> String {
        let start = #"{"user_id": "\#(user)", "timestamp": 1709296200, "pad": ""#
        return start + String(repeating: "x", count: length - start.utf8.count - 2) + #""}"#
    }

    @Test("a JSON Lines line at the limit is rejected with its line and the limit; the lines after it are read")
    func jsonLinesOverLimit() throws {
        let lines = [
            Self.event(user: "u1", length: 60),
            Self.event(user: "u2", length: 200),
            "",
            Self.event(user: "u3", length: 63),
            Self.event(user: "u4", length: 64),
            Self.event(user: "u5", length: 65) + "\r",
            Self.event(user: "u6", length: 62) + "\r",
            Self.event(user: "u7", length: 500),
        ]
        let path = try files.write("events.jsonl", lines.joined(separator: "\n"))
        var reader = try EventFileReader.open(path: path)
        reader.chunkSize = 16
        reader.maximumRecordBytes = 64
        var rows: [SourceRow] = []
        try reader.forEachRow { rows.append($0) }

        #expect(rows.map(\.line) == [1, 2, 4, 5, 6, 7, 8])
        #expect(rows.compactMap(\.event).map(\.userID) == ["u1", "u3", "u6"])
        let rejections = rows.compactMap(\.rejection)
        #expect(rejections.map(\.line) == [2, 5, 6, 8])
        #expect(rejections.allSatisfy { $0.kind == RejectionKind.recordTooLong })
        #expect(
            rejections.map(\.reason).first == """
                the line is 200 bytes long; lines must be shorter than 64 bytes (a line is held in memory whole): \
                split the record or keep large values out of the log
                """)
        #expect(rejections[1].reason.hasPrefix("the line is 64 bytes long;"))
        #expect(rejections[2].reason.hasPrefix("the line is 66 bytes long;"))
        #expect(rejections[3].reason.hasPrefix("the line is 500 bytes long;"))
        #expect(rejections[0].raw == String(lines[1].prefix(64)))
    }

    @Test("user-item lines over the limit are rejected the same way")
    func userItemOverLimit() throws {
        let long = "u2 " + String(repeating: "i", count: 100)
        let path = try files.write("pairs.txt", "u1 i1\n\(long)\nu1 i2")
        var reader = try EventFileReader.open(path: path, format: .userItem)
        reader.chunkSize = 8
        reader.maximumRecordBytes = 32
        var rows: [SourceRow] = []
        try reader.forEachRow { rows.append($0) }
        #expect(rows.map(\.line) == [1, 2, 3])
        #expect(rows.compactMap(\.event).map(\.itemID) == ["i1", "i2"])
        #expect(rows[1].rejection?.kind == RejectionKind.recordTooLong)
        #expect(
            rows[1].rejection?.reason.hasPrefix("the line is 103 bytes long; lines must be shorter than 32 bytes")
                == true)
    }

    @Test("a JSON Lines line over 64 MiB is rejected and the good lines around it become events")
    func jsonLinesOver64MiB() throws {
        let path = files.folder.appendingPathComponent("huge.jsonl").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(
            contentsOf: Data((Self.event(user: "u1", length: 80) + "\n" + #"{"user_id": "u2", "pad": ""#).utf8))
        let chunk = Data(repeating: UInt8(ascii: "x"), count: 1 << 20)
        for _ in 0..<65 { try handle.write(contentsOf: chunk) }
        try handle.write(contentsOf: Data(("\"}\n" + Self.event(user: "u3", length: 80) + "\n").utf8))
        try handle.close()

        var rows: [SourceRow] = []
        try EventFileReader.open(path: path).forEachRow { rows.append($0) }
        #expect(rows.map(\.line) == [1, 2, 3])
        #expect(rows.compactMap(\.event).map(\.userID) == ["u1", "u3"])
        let rejection = try #require(rows[1].rejection)
        #expect(rejection.kind == RejectionKind.recordTooLong)
        #expect(
            rejection.reason.hasPrefix(
                "the line is \(65 * (1 << 20) + 28) bytes long; lines must be shorter than 64 MiB"))
    }
}
