import Foundation
import Testing

@testable import EventData

@Suite("Delimited table reader")
struct DelimitedTableReaderTests {
    let files: ReaderFixtures

    init() throws { files = try ReaderFixtures() }

    func lines(_ reader: DelimitedTableReader) throws -> [TableLine] {
        var lines: [TableLine] = []
        try reader.forEachRow { lines.append($0) }
        return lines
    }

    @Test("a CSV with quotes, CRLF and a blank line gives its rows as text with their lines")
    func csvRows() throws {
        let path = try files.write("t.csv", "\u{FEFF}a, b ,c\r\n1,\"x, y\",\r\n\r\n2,\"say \"\"hi\"\"\",3\r\n")
        let reader = try DelimitedTableReader(path: path)
        #expect(reader.columns == ["a", "b", "c"])
        #expect(
            try lines(reader) == [
                .row(TableRow(line: 2, fields: ["1", "x, y", ""])),
                .row(TableRow(line: 4, fields: ["2", "say \"hi\"", "3"])),
            ])
    }

    @Test("bad rows are rejected with their line and reason, the rest still read")
    func rejections() throws {
        let path = try files.write("t.csv", "a,b\n1,2,3\n\"open,2\n")
        let read = try lines(try DelimitedTableReader(path: path))
        guard case .rejected(let wrong) = read.first else {
            Issue.record("the 3-field row was not rejected")
            return
        }
        #expect(wrong.line == 2 && wrong.kind == RejectionKind.wrongColumnCount)
        #expect(wrong.reason == "expected 2 columns, found 3")
        guard case .rejected(let open) = read.last else {
            Issue.record("the unclosed quote was not rejected")
            return
        }
        #expect(open.kind == RejectionKind.unterminatedQuote)
    }

    @Test("semicolons and tabs are sniffed from the header")
    func sniffing() throws {
        let semicolon = try DelimitedTableReader(path: try files.write("s.csv", "a;b\n1;2\n"))
        #expect(semicolon.columns == ["a", "b"])
        let tabs = try DelimitedTableReader(path: try files.write("t.tsv", "a\tb\n1\t2\n"))
        #expect(try lines(tabs) == [.row(TableRow(line: 2, fields: ["1", "2"]))])
    }

    @Test("an empty file has no columns and no rows; a missing file names its path")
    func emptyAndMissing() throws {
        let empty = try DelimitedTableReader(path: try files.write("e.csv", "\n\n"))
        let emptyLines = try lines(empty)
        #expect(empty.columns.isEmpty && emptyLines.isEmpty)
        #expect(throws: EventDataError.self) { try DelimitedTableReader(path: "/nonexistent/x.csv") }
    }
}
