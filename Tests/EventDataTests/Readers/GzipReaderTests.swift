import Foundation
import Testing

@testable import EventData

@Suite("Gzip input")
struct GzipReaderTests {
    let files: ReaderFixtures

    init() throws { files = try ReaderFixtures() }

    private static let csv = "user_id,timestamp,event_type,item_id\nu1,1,view,i1\nu2,2,cart,i2\nu1,3,purchase,i1\n"

    @Test("a .csv.gz file reads the same as the plain file")
    func roundTrip() throws {
        let plain = try files.rows(try files.write("events.csv", Self.csv))
        let compressed = try files.rows(try files.writeGzip("events.csv.gz", members: [Self.csv]))
        #expect(compressed == plain)
        #expect(compressed.count == 3)
    }

    @Test("compression is recognised by its magic bytes, whatever the name")
    func detectedByMagic() throws {
        let path = try files.writeGzip("events.csv", members: [Self.csv])
        #expect(try files.rows(path).compactMap(\.event?.userID) == ["u1", "u2", "u1"])
        // A `.gz` name on plain text is read as plain text.
        let plain = try files.write("plain.csv.gz", Self.csv)
        #expect(try files.rows(plain, format: .csv).count == 3)
    }

    @Test("a large compressed file streams through many chunks")
    func largeFile() throws {
        var text = "user_id,timestamp,event_type\n"
        for index in 0..<60_000 { text += "user\(index % 977),\(1_700_000_000 + index),view\n" }
        let path = try files.writeGzip("big.csv.gz", members: [text])
        var count = 0
        var progress: [ReadProgress] = []
        try EventFileReader.open(path: path).forEachRow(
            progress: { progress.append($0) },
            { row in
                if row.event != nil { count += 1 }
            })
        #expect(count == 60_000)
        let last = try #require(progress.last)
        #expect(last.bytesRead == last.totalBytes)
    }

    @Test("concatenated gzip members are read one after the other")
    func concatenatedMembers() throws {
        let path = try files.writeGzip(
            "parts.csv.gz", members: ["user_id,timestamp,event_type\nu1,1,view\n", "u2,2,view\n", "u3,3,view\n"])
        #expect(try files.rows(path).compactMap(\.event?.userID) == ["u1", "u2", "u3"])
    }

    @Test("a truncated gzip file is an error naming the file")
    func truncated() throws {
        let whole = files.gzip(Array(Self.csv.utf8))
        let path = try files.write("cut.csv.gz", bytes: Array(whole.dropLast(12)))
        let error = eventDataError { _ = try files.rows(path, format: .csv) }
        guard case .unreadable(let errorPath, let reason) = error else {
            Issue.record("expected an unreadable error, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path)
        #expect(reason.contains("truncated"))
    }

    @Test("corrupt gzip data is an error naming the file")
    func corrupt() throws {
        var bytes = files.gzip(Array(String(repeating: Self.csv, count: 20).utf8))
        for index in 12..<min(bytes.count - 8, 40) { bytes[index] ^= 0x5A }
        let path = try files.write("bad.csv.gz", bytes: bytes)
        let error = eventDataError { _ = try files.rows(path, format: .csv) }
        guard case .unreadable(let errorPath, let reason) = error else {
            Issue.record("expected an unreadable error, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path)
        #expect(reason.contains("corrupt") || reason.contains("truncated"))
    }
}
