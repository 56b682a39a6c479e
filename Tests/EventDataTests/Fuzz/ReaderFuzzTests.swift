import Foundation
import TestSupport
import Testing

@testable import EventData

/// Seeded fuzzing of the event and table readers: valid seed files, mutated and random
/// inputs, and checks that every input row is accounted for, that results do not depend on
/// how the file is cut into chunks or whether it is compressed, and that failures are the
/// documented ``EventDataError``s.
@Suite("Reader fuzzing")
struct ReaderFuzzTests {
    let files: ReaderFixtures

    init() throws { files = try ReaderFixtures() }

    /// One way of reading event files: a file name (which picks the format) and options.
    struct EventCase: CustomStringConvertible {
        var fileName: String
        var format: LogFormat? = nil
        var dialect = DialectOptions()
        /// The first line of every seed (mutated only sometimes, so most inputs get past it).
        var header: String
        var bodies: [String]

        var description: String { "\(fileName) \(format?.rawValue ?? "detected") \(dialect.delimiter ?? "")" }
    }

    static let csvHeader = "user_id,timestamp,event_type,item_id,value,duration,note\n"
    static let csvBodies = [
        "u1,1709296200,view,i1,,,\nu2,2024-03-01T12:30:00Z,purchase,i2,19.5,3,\n",
        "\"u,3\",\"1709296200250\",\"add \"\"to\"\" cart\",\"multi\nline\",3,0.5,x\r\n\r\n  \n"
            + "u4,2024-03-01 12:30:00.5+02:00,View,,1e3,,\"\"\n",
        "u5,1709296200.25,click,i9,-2.5,7,\"a\"b\nu6,notatime,view,i1,abc,,\nu7,,view,,,,\nu8,1,,i1,,,\n",
        "u9,1709296200,view,i1,,,\nu9,1709296201,view,i1,,,\nu\u{e9},1709296202,vi\u{e9}w,\u{1F600},,,",
    ]

    static let eventCases: [EventCase] = [
        EventCase(fileName: "events.csv", header: csvHeader, bodies: csvBodies),
        EventCase(
            fileName: "events.tsv", header: csvHeader.replacingOccurrences(of: ",", with: "\t"),
            bodies: csvBodies.map { $0.replacingOccurrences(of: ",", with: "\t") }),
        EventCase(
            fileName: "events.csv", dialect: DialectOptions(delimiter: "::"),
            header: csvHeader.replacingOccurrences(of: ",", with: "::"),
            bodies: csvBodies.map { $0.replacingOccurrences(of: ",", with: "::") }),
        EventCase(
            fileName: "events.csv", dialect: DialectOptions(delimiter: "\u{2192}"),
            header: csvHeader.replacingOccurrences(of: ",", with: "\u{2192}"),
            bodies: csvBodies.map { $0.replacingOccurrences(of: ",", with: "\u{2192}") }),
        EventCase(
            fileName: "events.csv",
            dialect: DialectOptions(
                hasHeader: false,
                columnNames: ["user_id", "timestamp", "event_type", "item_id", "value", "duration", "note"]),
            header: "u0,1709296200,view,i0,1,2,3\n", bodies: csvBodies),
        EventCase(
            fileName: "ratings.dat", header: "1::1193::5::978300760\n",
            bodies: ["1::661::3::978302109\n2::1357::5::978298709\n", "3::1::4.5::978300275\r\n\r\n"]),
        EventCase(
            fileName: "events.inter", header: "user_id:token\titem_id:token\trating:float\ttimestamp:float\n",
            bodies: [
                "196\t242\t3\t881250949\n186\t302\t3\t891717742\n", "22\t377\t1\t878887116\n244\t51\t2\t880606923",
            ]),
        EventCase(
            fileName: "events.jsonl",
            header:
                #"{"user_id": "u1", "timestamp": 1709296200000, "event_type": "View", "item_id": 42, "value": null}"#
                + "\n",
            bodies: [
                #"{"user_id":7,"timestamp":"2024-03-01T12:30:00Z","event_type":"purchase","value":"19.5","#
                    + #""duration":3,"tags":["x", {"y": 1}],"ok":true}"# + "\n\n",
                #"  {"timestamp": 1709296200, "user_id": "u\ud83d\ude00", "meta": {"a": [1, 2]}, "#
                    + #""ref": "a\"b\u00e9\n"}"# + "\r\n",
                #"{"user_id": "u9", "timestamp": 1.7e9, "event_type": "click", "value": -0.5e-3, "n": false}"#,
            ]),
        EventCase(
            fileName: "events.txt", format: .userItem, header: "u1 i1\n", bodies: ["u1 i2\nu2\ti3\n\n  u3   i4  \n"]),
    ]

    /// Every format through detection: the file name tells nothing, the first line does.
    static var detectionCase: EventCase {
        EventCase(
            fileName: "events.log", header: "",
            bodies: eventCases.map { $0.header + $0.bodies[0] } + ["u1 i1\nu2 i2\n", "a;b;c\n1;2;3\n"])
    }

    @Test("event readers account for every row of mutated files, whatever the chunk size")
    func eventReaders() throws {
        for (index, eventCase) in (Self.eventCases + [Self.detectionCase]).enumerated() {
            let delimiter = Array((eventCase.dialect.delimiter ?? ",").utf8)
            var mutator = ByteMutator(
                seed: FuzzBudget.seed(0xE7E7 + UInt64(index)), tokens: ByteMutator.textTokens + [delimiter])
            let header = Array(eventCase.header.utf8)
            let seeds = eventCase.bodies.map { header + Array($0.utf8) }
            let bodies = eventCase.bodies.map { Array($0.utf8) }
            var events = 0
            var rejections = 0
            for iteration in 0..<FuzzBudget.iterations(150) {
                let input =
                    iteration % 2 == 0 ? mutator.next(from: seeds) : header + mutator.next(from: bodies)
                let chunkSize = 3 + mutator.generator.nextInt(below: 40)
                let rows = try checkEventRead(
                    input, eventCase, chunkSize: chunkSize, alsoCompressed: iteration % 8 == 0)
                events += rows.filter { $0.event != nil }.count
                rejections += rows.filter { $0.rejection != nil }.count
            }
            // Most inputs must get past the header, so that rows are what is fuzzed.
            #expect(events > 100 && rejections > 100, "\(eventCase): \(events) events, \(rejections) rejections")
        }
    }

    @Test("damaged gzip data is read or refused as unreadable, never trapped on")
    func damagedGzip() throws {
        var mutator = ByteMutator(
            seed: FuzzBudget.seed(0x62A1), tokens: [[0x1F, 0x8B], [0x1F, 0x8B, 0x08, 0x00], [0x00], [0xFF]])
        let eventCase = Self.eventCases[0]
        let plain = eventCase.bodies.map { Array((eventCase.header + $0).utf8) }
        let seeds = plain.map { files.gzip($0) } + [files.gzip(plain[0]) + files.gzip(plain[1])]
        for _ in 0..<FuzzBudget.iterations(200) {
            let path = try write("events.csv.gz", bytes: mutator.next(from: seeds))
            let reader: EventFileReader
            do {
                reader = try EventFileReader.open(path: path, format: .csv)
            } catch let error as EventDataError {
                expectDocumented(error, allowed: [.unreadable, .unrecognizedFormat, .badMapping])
                continue
            }
            do {
                var lines: [Int] = []
                try reader.forEachRow { lines.append($0.line) }
                #expect(lines == lines.sorted() && Set(lines).count == lines.count)
            } catch let error as EventDataError {
                expectDocumented(error, allowed: [.unreadable])
            }
        }
    }

    @Test("the table reader matches the reference parser field by field")
    func tableReader() throws {
        let dialects = [
            Dialect(delimiter: Array(",".utf8), hasHeader: true, quoting: true),
            Dialect(delimiter: [0x09], hasHeader: true, quoting: false),
            Dialect(delimiter: Array("::".utf8), hasHeader: true, quoting: true),
            Dialect(delimiter: Array(",".utf8), hasHeader: false, quoting: true),
        ]
        let header = Array(Self.csvHeader.utf8)
        for (index, dialect) in dialects.enumerated() {
            var mutator = ByteMutator(
                seed: FuzzBudget.seed(0x7AB1E + UInt64(index)),
                tokens: ByteMutator.structuralTokens + [dialect.delimiter])
            let convert = { (text: String) in
                Array(text.replacingOccurrences(of: ",", with: String(decoding: dialect.delimiter, as: UTF8.self)).utf8)
            }
            let seeds = Self.csvBodies.map { convert(Self.csvHeader + $0) }
            let bodies = Self.csvBodies.map(convert)
            for iteration in 0..<FuzzBudget.iterations(200) {
                let input = iteration % 2 == 0 ? mutator.next(from: seeds) : header + mutator.next(from: bodies)
                try checkTableRead(input, dialect: dialect, chunkSize: 3 + mutator.generator.nextInt(below: 40))
            }
        }
    }

    @Test("attribute tables account for every data row of mutated files")
    func attributeTables() throws {
        var mutator = ByteMutator(seed: FuzzBudget.seed(0xA77))
        let cases: [(name: String, seeds: [String])] = [
            ("users.user", ["user_id:token\tage:float\tgender:token\n1\t24\tM\n2\t53\tF\n2\t40\tF\n\t1\tM\n"]),
            ("items.csv", ["item_id,category,price\ni1,shoes,19.5\n\"i,2\",\"a \"\"b\"\"\",\ni3;x;y\n"]),
            ("items.tsv", ["item_id\tcategory\ni1\tshoes\ni2\t\"hats\"\n"]),
        ]
        for (name, seedTexts) in cases {
            let seeds = seedTexts.map { Array($0.utf8) }
            for _ in 0..<FuzzBudget.iterations(150) {
                let input = mutator.next(from: seeds)
                let path = try write(name, bytes: input)
                let table: AttributeTable
                let rejections: [RowRejection]
                do {
                    (table, rejections) = try AttributeTableReader.read(path: path)
                } catch let error as EventDataError {
                    expectDocumented(error, allowed: [.unrecognizedFormat, .badMapping])
                    continue
                }
                let dialect =
                    name.hasSuffix(".csv")
                    ? try Presets.csvDialect(path: path, options: DialectOptions())
                    : Dialect(delimiter: [0x09], hasHeader: true, quoting: name.hasSuffix(".tsv"))
                let records = ReferenceReaders.records(input, delimiter: dialect.delimiter, quoting: dialect.quoting)
                    .filter { !$0.isBlank }
                #expect(
                    table.rows.count + rejections.count == max(records.count - 1, 0),
                    "\(name): \(String(decoding: input, as: UTF8.self).debugDescription)")
                #expect(rejections.allSatisfy { !$0.reason.isEmpty && !$0.kind.isEmpty && $0.line >= 1 })
            }
        }
    }

    // MARK: - Checks

    /// Reads `input` as `eventCase` says (and again in chunks of `chunkSize` bytes, and
    /// gzip-compressed when asked) and checks the rows against the reference readers; the
    /// rows (none when the file is refused).
    private func checkEventRead(
        _ input: [UInt8], _ eventCase: EventCase, chunkSize: Int, alsoCompressed: Bool
    ) throws -> [SourceRow] {
        let shown = { String(decoding: input, as: UTF8.self).debugDescription }
        let path = try write(eventCase.fileName, bytes: input)
        let reader: EventFileReader
        do {
            reader = try EventFileReader.open(path: path, format: eventCase.format, dialect: eventCase.dialect)
        } catch let error as EventDataError {
            expectDocumented(error, allowed: [.unrecognizedFormat, .badMapping], shown())
            return []
        }
        let rows = try allRows(reader)
        #expect(
            rows.map(\.line) == ReferenceReaders.rowLines(input, layout: reader.plan.layout), "\(eventCase): \(shown())"
        )
        for row in rows {
            guard let rejection = row.rejection else { continue }
            #expect(!rejection.reason.isEmpty && !rejection.kind.isEmpty, "\(eventCase): \(shown())")
        }
        if case .delimited(let dialect) = reader.plan.layout {
            expectStructuralRejections(rows, input: input, dialect: dialect, shown: shown)
        }
        var chunked = reader
        chunked.chunkSize = chunkSize
        #expect(try allRows(chunked) == rows, "\(eventCase), chunks of \(chunkSize) bytes: \(shown())")
        if alsoCompressed {
            let compressedPath = try write(eventCase.fileName + ".gz", bytes: files.gzip(input))
            let compressed = try EventFileReader.open(
                path: compressedPath, format: eventCase.format ?? reader.format, dialect: eventCase.dialect)
            #expect(try allRows(compressed) == rows, "\(eventCase), gzip: \(shown())")
        }
        return rows
    }

    /// Unclosed quotes and wrong column counts are rejected as such, and only those records.
    private func expectStructuralRejections(_ rows: [SourceRow], input: [UInt8], dialect: Dialect, shown: () -> String)
    {
        let records = ReferenceReaders.records(input, delimiter: dialect.delimiter, quoting: dialect.quoting)
            .filter { !$0.isBlank }
        guard let first = records.first else { return }
        let columnCount = dialect.hasHeader ? first.fields.count : dialect.columnNames?.count ?? first.fields.count
        for (row, record) in zip(rows, records.dropFirst(dialect.hasHeader ? 1 : 0)) {
            let kind = row.rejection?.kind
            if record.hasUnterminatedQuote {
                #expect(kind == RejectionKind.unterminatedQuote, "line \(record.line): \(shown())")
            } else if record.fields.count != columnCount {
                #expect(kind == RejectionKind.wrongColumnCount, "line \(record.line): \(shown())")
            } else {
                #expect(
                    kind != RejectionKind.unterminatedQuote && kind != RejectionKind.wrongColumnCount,
                    "line \(record.line): \(shown())")
            }
        }
    }

    /// Reads `input` with ``DelimitedTableReader`` and compares header, rows and rejections
    /// with the reference parser.
    private func checkTableRead(_ input: [UInt8], dialect: Dialect, chunkSize: Int) throws {
        let shown = { String(decoding: input, as: UTF8.self).debugDescription }
        let path = try write("table.csv", bytes: input)
        let records = ReferenceReaders.records(input, delimiter: dialect.delimiter, quoting: dialect.quoting)
            .filter { !$0.isBlank }
        let reader: DelimitedTableReader
        do {
            reader = try DelimitedTableReader(path: path, dialect: dialect, chunkSize: chunkSize)
        } catch let error as EventDataError {
            expectDocumented(error, allowed: [.unrecognizedFormat], shown())
            let header = records.first
            #expect(
                dialect.hasHeader
                    && (header?.hasUnterminatedQuote == true
                        || header?.fields.contains { String(validating: $0, as: UTF8.self) == nil } == true),
                "refused a good header: \(shown())")
            return
        }
        guard let header = records.first else {
            #expect(reader.columns.isEmpty)
            return
        }
        let columns =
            dialect.hasHeader
            ? header.fields.map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespaces) }
            : (1...header.fields.count).map { "column\($0)" }
        #expect(reader.columns == columns, "\(shown())")
        var lines: [TableLine] = []
        try reader.forEachRow { lines.append($0) }
        let dataRecords = Array(records.dropFirst(dialect.hasHeader ? 1 : 0))
        #expect(lines.count == dataRecords.count, "\(shown())")
        for (line, record) in zip(lines, dataRecords) {
            switch line {
            case .row(let row):
                let fields = record.fields.map { String(validating: $0, as: UTF8.self) }
                #expect(
                    row.line == record.line && !record.hasUnterminatedQuote && row.fields.map(Optional.init) == fields,
                    "line \(record.line): \(shown())")
            case .rejected(let rejection):
                let expectedKind =
                    record.hasUnterminatedQuote
                    ? RejectionKind.unterminatedQuote
                    : record.fields.count != columns.count ? RejectionKind.wrongColumnCount : RejectionKind.invalidUTF8
                #expect(
                    rejection.line == record.line && rejection.kind == expectedKind, "line \(record.line): \(shown())")
                if expectedKind == RejectionKind.invalidUTF8 {
                    #expect(record.fields.contains { String(validating: $0, as: UTF8.self) == nil })
                }
            }
        }
    }

    /// Writes `bytes` to `name` in the fixture folder, without the `fsync` of `Data.write`.
    private func write(_ name: String, bytes: [UInt8]) throws -> String {
        let path = files.folder.appendingPathComponent(name).path
        guard let file = fopen(path, "wb") else { throw CocoaError(.fileWriteUnknown) }
        defer { fclose(file) }
        guard fwrite(bytes, 1, bytes.count, file) == bytes.count else { throw CocoaError(.fileWriteUnknown) }
        return path
    }

    private func allRows(_ reader: EventFileReader) throws -> [SourceRow] {
        var rows: [SourceRow] = []
        try reader.forEachRow { rows.append($0) }
        return rows
    }
}

/// The cases of ``EventDataError``, to say which ones an operation may throw.
enum EventDataErrorCase {
    case unreadable, unwritable, unrecognizedFormat, badMapping, store, invalidOption

    init(_ error: EventDataError) {
        switch error {
        case .unreadable: self = .unreadable
        case .unwritable: self = .unwritable
        case .unrecognizedFormat: self = .unrecognizedFormat
        case .badMapping: self = .badMapping
        case .store: self = .store
        case .invalidOption: self = .invalidOption
        }
    }
}

/// Expects `error` to be one of the `allowed` cases, with a message.
func expectDocumented(
    _ error: EventDataError, allowed: Set<EventDataErrorCase>, _ context: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(allowed.contains(EventDataErrorCase(error)), "\(error) \(context())", sourceLocation: sourceLocation)
    #expect(!(error.errorDescription ?? "").isEmpty, sourceLocation: sourceLocation)
}
