import CZlib
import Foundation
import Testing

@testable import EventData

/// A fresh temporary folder per test, removed when the test ends.
final class ReaderFixtures {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("behaviorkit-readers-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// Writes `text` (UTF-8) to `name` and returns the path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, bytes: Array(text.utf8))
    }

    /// Writes raw bytes to `name` and returns the path.
    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Writes `text` gzip-compressed (one member per element of `members`) to `name`.
    @discardableResult
    func writeGzip(_ name: String, members: [String]) throws -> String {
        try write(name, bytes: members.flatMap { gzip(Array($0.utf8)) })
    }

    /// `bytes` as one gzip member, compressed with zlib's deflate.
    func gzip(_ bytes: [UInt8]) -> [UInt8] {
        // zlib keeps a pointer back to the stream, so it must not move.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        // 15 + 16: the largest window, with a gzip header and trailer.
        let status = deflateInit2_(
            stream, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
            Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "deflateInit2_ failed: \(status)")
        defer { deflateEnd(stream) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(bytes.count))) + 64)
        let produced = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.pointee.next_in = inBuffer.baseAddress
                stream.pointee.avail_in = uInt(inBuffer.count)
                stream.pointee.next_out = outBuffer.baseAddress
                stream.pointee.avail_out = uInt(outBuffer.count)
                let result = deflate(stream, Z_FINISH)
                precondition(result == Z_STREAM_END, "deflate failed: \(result)")
                return outBuffer.count - Int(stream.pointee.avail_out)
            }
        }
        return Array(output[0..<produced])
    }

    /// Every row of `path` read as `format` with `mapping`.
    func rows(
        _ path: String, format: LogFormat? = nil, mapping: ColumnMapping = ColumnMapping(),
        dialect: DialectOptions = DialectOptions()
    ) throws -> [SourceRow] {
        var rows: [SourceRow] = []
        try EventFileReader.open(path: path, format: format, mapping: mapping, dialect: dialect).forEachRow {
            rows.append($0)
        }
        return rows
    }
}

extension SourceRow {
    /// The event, if this row is one.
    var event: Event? {
        if case .event(let event, _) = self { return event }
        return nil
    }

    /// The rejection, if this row is one.
    var rejection: RowRejection? {
        if case .rejected(let rejection) = self { return rejection }
        return nil
    }

    /// The 1-based line of the row.
    var line: Int {
        switch self {
        case .event(_, let line): return line
        case .rejected(let rejection): return rejection.line
        }
    }
}

/// The `EventDataError` that `body` throws, or `nil`.
func eventDataError(_ body: () throws -> Void) -> EventDataError? {
    do {
        try body()
        return nil
    } catch let error as EventDataError {
        return error
    } catch {
        return nil
    }
}
