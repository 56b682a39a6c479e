import EventData
import FuzzSupport

/// The ways a file is read; the first input byte picks one, the rest is the file.
private let layouts: [(name: String, format: LogFormat?, dialect: DialectOptions)] = [
    ("events.csv", nil, DialectOptions()),
    ("events.tsv", nil, DialectOptions()),
    ("events.csv", nil, DialectOptions(delimiter: "::")),
    ("events.csv", nil, DialectOptions(hasHeader: false, columnNames: ["user_id", "timestamp", "event_type"])),
    ("ratings.dat", nil, DialectOptions()),
    ("events.inter", nil, DialectOptions()),
    ("events.jsonl", nil, DialectOptions()),
    ("events.txt", .userItem, DialectOptions()),
    ("events.log", nil, DialectOptions()),
]

/// Reads the input as an event log and checks what `EventSource` promises: rows in
/// increasing line order, each rejection with a kind and a reason, and failures only as
/// `EventDataError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventReaders(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let layout = layouts[Int(data[0]) % layouts.count]
    let path = FuzzFiles.write(data + 1, size - 1, name: layout.name)
    do {
        let reader = try EventFileReader.open(path: path, format: layout.format, dialect: layout.dialect)
        var previous = 0
        try reader.forEachRow { row in
            let line: Int
            switch row {
            case .event(_, let eventLine):
                line = eventLine
            case .rejected(let rejection):
                line = rejection.line
                require(!rejection.kind.isEmpty && !rejection.reason.isEmpty, "a rejection without kind or reason")
            }
            require(line > previous && line <= size, "row on line \(line) after line \(previous)")
            previous = line
        }
    } catch is EventDataError {
        return 0
    } catch {
        require(false, "undocumented error \(error)")
    }
    return 0
}
