import FileIO
import Foundation
import JSONScanning

/// Writes events to a CSV or JSON Lines file, streaming through a 1 MiB buffer.
///
/// Both formats carry the canonical fields in this order: `user_id, timestamp, event_type,
/// item_id, session_id, value, duration, category`. `timestamp` is epoch milliseconds,
/// `duration` seconds.
/// - CSV: a header line, then one line per event ending in `\n`; a field is quoted (with `"`
///   doubled) only when it contains a comma, a quote, a carriage return or a line feed; a
///   missing field is empty.
/// - JSON Lines: one object per line with the same keys in the same order; a missing field is
///   `null`.
///
/// An event's free-form `properties` are not written: the writer's columns are fixed.
///
/// ```swift
/// let writer = try EventFileWriter(path: "events.csv", format: .csv)
/// try writer.write(Event(userID: "u1", timestamp: 1_704_067_200_000, type: .view, itemID: "i9"))
/// try writer.finish()
/// ```
public final class EventFileWriter {
    /// The file format of written event logs.
    public enum Format: String, Sendable, Codable, CaseIterable {
        /// Comma-separated values with a header line, fields quoted only when needed (RFC 4180).
        case csv
        /// One JSON object per line with the canonical field names.
        case jsonl
    }

    /// The canonical column names, in the order they are written.
    public static let columns = [
        "user_id", "timestamp", "event_type", "item_id", "session_id", "value", "duration", "category",
    ]

    /// The path being written.
    public let path: String
    /// The format being written.
    public let format: Format
    /// Events written so far (including those still in the buffer).
    public private(set) var eventsWritten = 0

    private var file: OutputFile?
    private var buffer: [UInt8] = []
    private static let flushThreshold = 1 << 20
    private let jsonKeys: [[UInt8]]

    /// Starts the file at `path` (under a temporary name until ``finish()``, so an interrupted
    /// run leaves no partial log) and, for CSV, writes the header.
    ///
    /// - Throws: ``EventDataError/unwritable(path:reason:)`` when the file cannot be created.
    public init(path: String, format: Format) throws {
        self.path = path
        self.format = format
        jsonKeys = Self.columns.enumerated().map { index, name in
            Array(((index == 0 ? "{\"" : ",\"") + name + "\":").utf8)
        }
        do {
            file = try OutputFile(path: path)
        } catch {
            throw EventDataError.unwritable(path: path, reason: error.reason)
        }
        buffer.reserveCapacity(Self.flushThreshold + 4096)
        if format == .csv {
            buffer.append(contentsOf: Self.columns.joined(separator: ",").utf8)
            buffer.append(UInt8(ascii: "\n"))
        }
    }

    /// Appends one event.
    ///
    /// - Throws: ``EventDataError/unwritable(path:reason:)`` when the value or duration is not a
    ///   finite number (neither format can hold it) or the file cannot be written.
    public func write(_ event: Event) throws {
        for (name, number) in [("value", event.value), ("duration", event.duration)] {
            if let number, !number.isFinite {
                throw EventDataError.unwritable(
                    path: path,
                    reason: "event \(eventsWritten + 1) (user \(event.userID)): \(name) \(number) is not a finite "
                        + "number; fix or drop it before writing")
            }
        }
        try writeRow(
            user: prepare(event.userID), timestamp: event.timestamp, type: prepare(event.type.rawValue),
            item: event.itemID.map(prepare), session: event.sessionID.map(prepare),
            value: event.value.map(Number.double) ?? .none, duration: event.duration.map(Number.double) ?? .none,
            category: event.category.map(prepare))
    }

    /// Writes what is buffered and moves the complete file to ``path``. Further writes fail.
    ///
    /// - Throws: ``EventDataError/unwritable(path:reason:)`` when the file cannot be written.
    public func finish() throws {
        try flush()
        do {
            try file?.commit()
        } catch {
            throw EventDataError.unwritable(path: path, reason: error.reason)
        }
        file = nil
    }

    // MARK: - Fast path (the simulator formats each id once, not once per event)

    /// Text already escaped for this writer's format: CSV-quoted if needed, or a JSON string
    /// literal with its quotes.
    struct Text {
        let bytes: [UInt8]
    }

    /// A number field.
    enum Number {
        case none
        /// `units / 10^decimals`, written with exactly `decimals` digits after the point.
        case fixed(Int64, decimals: Int)
        /// Written in Swift's shortest round-tripping form (finite values only).
        case double(Double)
    }

    /// Escapes `text` for this writer's format.
    func prepare(_ text: String) -> Text {
        switch format {
        case .csv:
            let needsQuotes = text.utf8.contains {
                $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n")
                    || $0 == UInt8(ascii: "\r")
            }
            guard needsQuotes else { return Text(bytes: Array(text.utf8)) }
            var bytes: [UInt8] = [UInt8(ascii: "\"")]
            for byte in text.utf8 {
                if byte == UInt8(ascii: "\"") { bytes.append(byte) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
            return Text(bytes: bytes)
        case .jsonl:
            var bytes: [UInt8] = []
            JSONStringLiteral.append(text, to: &bytes)
            return Text(bytes: bytes)
        }
    }

    /// Appends one row of already-escaped fields.
    func writeRow(
        user: Text, timestamp: Int64, type: Text, item: Text?, session: Text?, value: Number, duration: Number,
        category: Text?
    ) throws {
        guard file != nil else {
            throw EventDataError.unwritable(path: path, reason: "the writer was already finished")
        }
        switch format {
        case .csv:
            buffer.append(contentsOf: user.bytes)
            buffer.append(UInt8(ascii: ","))
            appendInteger(timestamp)
            buffer.append(UInt8(ascii: ","))
            buffer.append(contentsOf: type.bytes)
            buffer.append(UInt8(ascii: ","))
            if let item { buffer.append(contentsOf: item.bytes) }
            buffer.append(UInt8(ascii: ","))
            if let session { buffer.append(contentsOf: session.bytes) }
            buffer.append(UInt8(ascii: ","))
            appendNumber(value, missing: [])
            buffer.append(UInt8(ascii: ","))
            appendNumber(duration, missing: [])
            buffer.append(UInt8(ascii: ","))
            if let category { buffer.append(contentsOf: category.bytes) }
            buffer.append(UInt8(ascii: "\n"))
        case .jsonl:
            let null = Array("null".utf8)
            buffer.append(contentsOf: jsonKeys[0])
            buffer.append(contentsOf: user.bytes)
            buffer.append(contentsOf: jsonKeys[1])
            appendInteger(timestamp)
            buffer.append(contentsOf: jsonKeys[2])
            buffer.append(contentsOf: type.bytes)
            buffer.append(contentsOf: jsonKeys[3])
            buffer.append(contentsOf: item?.bytes ?? null)
            buffer.append(contentsOf: jsonKeys[4])
            buffer.append(contentsOf: session?.bytes ?? null)
            buffer.append(contentsOf: jsonKeys[5])
            appendNumber(value, missing: null)
            buffer.append(contentsOf: jsonKeys[6])
            appendNumber(duration, missing: null)
            buffer.append(contentsOf: jsonKeys[7])
            buffer.append(contentsOf: category?.bytes ?? null)
            buffer.append(contentsOf: "}\n".utf8)
        }
        eventsWritten += 1
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    private func appendNumber(_ number: Number, missing: [UInt8]) {
        switch number {
        case .none:
            buffer.append(contentsOf: missing)
        case .fixed(let units, let decimals):
            appendFixed(units, decimals: decimals)
        case .double(let value):
            buffer.append(contentsOf: value.description.utf8)
        }
    }

    /// Decimal digits of `value` without going through `String`.
    private func appendInteger(_ value: Int64) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var count = 0
            repeat {
                digits[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { buffer.append(digits[index]) }
        }
    }

    /// `units / 10^decimals` with exactly `decimals` digits after the point.
    private func appendFixed(_ units: Int64, decimals: Int) {
        guard decimals > 0 else { return appendInteger(units) }
        if units < 0 { buffer.append(UInt8(ascii: "-")) }
        var scale: UInt64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let magnitude = units.magnitude
        appendInteger(Int64(magnitude / scale))
        buffer.append(UInt8(ascii: "."))
        var fraction = magnitude % scale
        for _ in 0..<decimals {
            scale /= 10
            buffer.append(UInt8(ascii: "0") + UInt8(fraction / scale))
            fraction %= scale
        }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        guard let file else {
            throw EventDataError.unwritable(path: path, reason: "the writer was already finished")
        }
        do {
            try file.write(Data(buffer))
        } catch {
            throw EventDataError.unwritable(path: path, reason: error.reason)
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
