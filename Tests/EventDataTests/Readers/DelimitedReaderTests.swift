import Foundation
import Testing

@testable import EventData

@Suite("Delimited readers")
struct DelimitedReaderTests {
    let files: ReaderFixtures

    init() throws { files = try ReaderFixtures() }

    @Test("canonical CSV columns become events, other columns properties")
    func canonicalColumns() throws {
        let path = try files.write(
            "events.csv",
            """
            user_id,timestamp,event_type,item_id,session_id,value,duration,category,referrer
            u1,1709296200000,View,i9,s1,,12.5,shoes,google
            u2,1709296201,purchase,i3,,19.99,,,

            """)
        let rows = try files.rows(path)
        #expect(rows.count == 2)
        let first = try #require(rows[0].event)
        #expect(first.userID == "u1")
        #expect(first.timestamp == 1_709_296_200_000)
        #expect(first.type == .view)
        #expect(first.itemID == "i9")
        #expect(first.sessionID == "s1")
        #expect(first.value == nil)
        #expect(first.duration == 12.5)
        #expect(first.category == "shoes")
        #expect(first.properties == ["referrer": "google"])
        #expect(rows[0].line == 2)
        let second = try #require(rows[1].event)
        #expect(second.timestamp == 1_709_296_201_000)
        #expect(second.value == 19.99)
        #expect(second.sessionID == nil && second.category == nil && second.properties.isEmpty)
    }

    @Test("quoted fields hold delimiters, embedded newlines and doubled quotes; lines stay physical")
    func quotedFields() throws {
        let path = try files.write(
            "quoted.csv",
            "user_id,timestamp,event_type,note\n"
                + "u1,1,view,\"a, b\"\n"
                + "u2,2,view,\"first line\nsecond line\"\n"
                + "u3,3,view,\"she said \"\"hi\"\"\"\n"
                + "\"u4\",4,\"view\",\"\"\n")
        let rows = try files.rows(path)
        #expect(rows.map(\.line) == [2, 3, 5, 6])
        #expect(rows[0].event?.properties["note"] == "a, b")
        #expect(rows[1].event?.properties["note"] == "first line\nsecond line")
        #expect(rows[2].event?.properties["note"] == "she said \"hi\"")
        #expect(rows[3].event?.userID == "u4")
        #expect(rows[3].event?.properties.isEmpty == true)
    }

    @Test("CRLF line endings, a UTF-8 BOM and a missing final newline are handled")
    func crlfAndBOM() throws {
        let text = "user_id,timestamp,event_type\r\nu1,1,view\r\n\"u2\",2,\"cl\r\nick\"\r\nu3,3,cart"
        let path = try files.write("crlf.csv", bytes: [0xEF, 0xBB, 0xBF] + Array(text.utf8))
        let rows = try files.rows(path)
        #expect(rows.count == 3)
        #expect(rows.map { $0.event?.userID } == ["u1", "u2", "u3"])
        #expect(rows[1].event?.type.rawValue == "cl\r\nick")
        #expect(rows.map(\.line) == [2, 3, 5])
    }

    @Test("a file without a header maps columns by position or by given names")
    func headerless() throws {
        let path = try files.write("plain.csv", "u1,1000,view,i1\nu2,2000,cart,i2\n")
        let byPosition = try files.rows(
            path,
            mapping: ColumnMapping(columns: [.userID: "1", .timestamp: "column2", .eventType: "3", .itemID: "4"]),
            dialect: DialectOptions(hasHeader: false))
        #expect(byPosition.compactMap(\.event?.userID) == ["u1", "u2"])
        #expect(byPosition.map(\.line) == [1, 2])
        #expect(byPosition[1].event?.itemID == "i2")

        let byName = try files.rows(
            path, dialect: DialectOptions(hasHeader: false, columnNames: ["user_id", "timestamp", "event_type", "sku"]))
        #expect(byName[0].event?.properties == ["sku": "i1"])
        #expect(byName[1].event?.type == .cart)
    }

    @Test("TSV, semicolon, pipe and '::' separators")
    func separators() throws {
        let tsv = try files.write("events.tsv", "user_id\ttimestamp\tevent_type\nu1\t1\tview, really\n")
        #expect(try files.rows(tsv).first?.event?.type.rawValue == "view, really")

        // No comma in the header: the semicolon is found by sniffing.
        let semicolon = try files.write("euro.csv", "user_id;timestamp;event_type\nu1;1;view\n")
        #expect(try files.rows(semicolon).first?.event?.userID == "u1")

        let pipe = try files.write("pipe.txt", "user_id|timestamp|event_type\nu1|1|view\n")
        #expect(
            try files.rows(pipe, format: .csv, dialect: DialectOptions(delimiter: "|")).first?.event?.userID == "u1")

        let colons = try files.write("colons.txt", "u1::5::view\nu2::6::click:x\n")
        let rows = try files.rows(
            colons, format: .csv, mapping: ColumnMapping(columns: [.userID: "1", .timestamp: "2", .eventType: "3"]),
            dialect: DialectOptions(delimiter: "::", hasHeader: false))
        #expect(rows.map { $0.event?.type.rawValue } == ["view", "click:x"])
    }

    @Test("blank lines are skipped and not counted as rows, but they count as lines")
    func blankLines() throws {
        let path = try files.write("blank.csv", "\n\nuser_id,timestamp\n\nu1,1\n   \n\r\nu2,2\n\n")
        let rows = try files.rows(path)
        #expect(rows.count == 2)
        #expect(rows.map(\.line) == [5, 8])
    }

    @Test("an empty file and a header-only file give no rows")
    func emptyAndHeaderOnly() throws {
        #expect(try files.rows(try files.write("empty.csv", "")).isEmpty)
        #expect(try files.rows(try files.write("bom.csv", bytes: [0xEF, 0xBB, 0xBF])).isEmpty)
        #expect(try files.rows(try files.write("header.csv", "user_id,timestamp,event_type\n")).isEmpty)
        #expect(try files.rows(try files.write("header2.csv", "user_id,timestamp,event_type")).isEmpty)
    }

    @Test("a row with the wrong number of columns is rejected with expected and found counts")
    func wrongColumnCount() throws {
        let path = try files.write("count.csv", "user_id,timestamp,event_type\nu1,1\nu2,2,view,extra\nu3,3,view\n")
        let rows = try files.rows(path)
        #expect(rows.count == 3)
        #expect(rows[0].rejection?.kind == "wrong_column_count")
        #expect(rows[0].rejection?.reason == "expected 3 columns, found 2")
        #expect(rows[0].rejection?.raw == "u1,1")
        #expect(rows[1].rejection?.reason == "expected 3 columns, found 4")
        #expect(rows[2].event?.userID == "u3")
    }

    @Test("a quote left open at the end of the file rejects that one record")
    func unterminatedQuote() throws {
        let path = try files.write("open.csv", "user_id,timestamp,event_type\nu1,1,view\nu2,2,\"view\nu3,3,view\n")
        let rows = try files.rows(path)
        #expect(rows.count == 2)
        #expect(rows[0].event?.userID == "u1")
        let rejection = try #require(rows[1].rejection)
        #expect(rejection.kind == "unterminated_quote")
        #expect(rejection.line == 3)
        #expect(rejection.raw.hasPrefix("u2,2,\"view"))
    }

    @Test("invalid UTF-8 in any field rejects the row and names the column")
    func invalidUTF8() throws {
        let bytes =
            Array("user_id,timestamp,event_type,title\nu1,1,view,caf".utf8) + [0xE9] + Array("\nu2,2,view,café\n".utf8)
        let rows = try files.rows(try files.write("latin1.csv", bytes: bytes))
        #expect(rows.count == 2)
        #expect(rows[0].rejection?.kind == "invalid_utf8")
        #expect(rows[0].rejection?.reason.contains("column 'title'") == true)
        #expect(rows[1].event?.properties["title"] == "café")
    }

    @Test("empty required fields, bad timestamps and bad numbers are rejected with the column named")
    func badValues() throws {
        let path = try files.write(
            "bad.csv",
            """
            user_id,timestamp,event_type,value,duration
            ,1,view,,
            u1,,view,,
            u1,yesterday,view,,
            u1,1,,,
            u1,1,view,12$,
            u1,1,view,,long
            u1,1,view,1e3,-2.5

            """)
        let rows = try files.rows(path)
        #expect(
            rows.map { $0.rejection?.kind } == [
                "missing_field", "missing_field", "bad_timestamp", "missing_field", "bad_number", "bad_number", nil,
            ])
        #expect(
            rows[0].rejection?.reason == "user_id is empty or missing (column 'user_id'); every event needs a user id")
        #expect(
            rows[2].rejection?.reason
                == "timestamp 'yesterday' (column 'timestamp') is not epoch seconds, epoch milliseconds or ISO-8601 "
                + "(e.g. 2024-03-01T12:30:00Z)")
        #expect(rows[4].rejection?.reason == "value '12$' (column 'value') is not a number")
        #expect(rows[5].rejection?.reason == "duration 'long' (column 'duration') is not a number")
        #expect(rows[6].event?.value == 1000)
        #expect(rows[6].event?.duration == -2.5)
    }

    @Test("without an event type column the type is the constant given, else interaction")
    func constantEventType() throws {
        let path = try files.write("noevent.csv", "user_id,timestamp,item_id\nu1,1,i1\n")
        #expect(try files.rows(path).first?.event?.type.rawValue == "interaction")
        let rated = try files.rows(path, mapping: ColumnMapping(constantEventType: "Purchase"))
        #expect(rated.first?.event?.type == .purchase)
    }

    @Test("mapping errors name the file, the column and the available columns")
    func mappingErrors() throws {
        let path = try files.write("shop.csv", "customer,ts,action\nc1,1,view\n")
        let missing = eventDataError {
            _ = try EventFileReader.open(
                path: path, mapping: ColumnMapping(columns: [.userID: "client", .timestamp: "ts"]))
        }
        #expect(
            missing
                == .badMapping(
                    path: path,
                    detail: "column 'client', mapped to user_id, is not in the file; available columns: 'customer', "
                        + "'ts', 'action'; map user_id to one of them (or to a position from 1 to 3)"))
        let unmapped = eventDataError { _ = try EventFileReader.open(path: path) }
        #expect(
            unmapped
                == .badMapping(
                    path: path,
                    detail: "no column gives user_id: none is named 'user_id' and the mapping names none; available "
                        + "columns: 'customer', 'ts', 'action'; map one, e.g. user_id=<column>"))
        let fixed = try files.rows(
            path, mapping: ColumnMapping(columns: [.userID: "customer", .timestamp: "ts", .eventType: "action"]))
        #expect(fixed.first?.event?.userID == "c1")
    }

    @Test("records that straddle read chunks parse the same as in one chunk")
    func chunkBoundaries() throws {
        var text = "user_id,timestamp,event_type,note\r\n"
        for index in 0..<300 {
            switch index % 4 {
            case 0: text += "u\(index),\(index),view,\"multi\nline, \"\"quoted\"\"\"\r\n"
            case 1: text += "u\(index),\(index),cart,plain\r\n"
            case 2: text += "\r\n"
            default: text += "u\(index),\(index),view,\"\"\r\n"
            }
        }
        let path = try files.write("chunks.csv", text)
        func records(chunkSize: Int) throws -> [[String]] {
            let parser = DelimitedParser(
                window: ByteWindow(source: try ByteSource(path: path), chunkSize: chunkSize),
                delimiter: [UInt8(ascii: ",")], quoting: true)
            var result: [[String]] = []
            while let record = try parser.next() {
                result.append(
                    ["\(record.line)"]
                        + (0..<record.fieldCount).map { String(decoding: record.field($0), as: UTF8.self) })
            }
            return result
        }
        let whole = try records(chunkSize: 1 << 20)
        #expect(whole.count == 301)
        #expect(whole[1] == ["2", "u0", "0", "view", "multi\nline, \"quoted\""])
        for chunkSize in [1, 2, 3, 7, 64] {
            #expect(try records(chunkSize: chunkSize) == whole, "chunk size \(chunkSize)")
        }
    }

    @Test("'::' separators split correctly when chunks cut through them")
    func multiByteDelimiterAcrossChunks() throws {
        let path = try files.write("cut.dat", "1::2::3\n44::55::66")
        for chunkSize in [1, 2, 3, 5] {
            let parser = DelimitedParser(
                window: ByteWindow(source: try ByteSource(path: path), chunkSize: chunkSize),
                delimiter: Array("::".utf8), quoting: false)
            var fields: [[String]] = []
            while let record = try parser.next() {
                fields.append((0..<record.fieldCount).map { String(decoding: record.field($0), as: UTF8.self) })
            }
            #expect(fields == [["1", "2", "3"], ["44", "55", "66"]], "chunk size \(chunkSize)")
        }
    }

    @Test("a record longer than the limit stops the read with an error naming file and line")
    func overlongRecord() throws {
        let path = try files.write("runaway.csv", "a,b\n\"" + String(repeating: "x", count: 5000) + "\n")
        let parser = DelimitedParser(
            window: ByteWindow(source: try ByteSource(path: path), chunkSize: 1024, maximumRecordBytes: 2048),
            delimiter: [UInt8(ascii: ",")], quoting: true)
        _ = try parser.next()
        let error = eventDataError { _ = try parser.next() }
        guard case .unreadable(let errorPath, let reason) = error else {
            Issue.record("expected an unreadable error, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path)
        #expect(reason.hasPrefix("line 2: the record is longer than"))
    }

    @Test("a delimiter that cannot work is an option error, not a crash")
    func badDelimiter() throws {
        let path = try files.write("x.csv", "user_id,timestamp\nu1,1\n")
        for delimiter in ["", "\n", "\""] {
            let error = eventDataError {
                _ = try EventFileReader.open(path: path, dialect: DialectOptions(delimiter: delimiter))
            }
            #expect(error?.errorDescription?.contains("cannot separate fields") == true)
        }
        #expect(try files.rows(path, format: .csv, dialect: DialectOptions(delimiter: "comma")).count == 1)
    }

    @Test("a missing file is an error naming it")
    func missingFile() {
        let error = eventDataError { _ = try EventFileReader.open(path: "/nonexistent/events.csv", format: .csv) }
        #expect(error == .unreadable(path: "/nonexistent/events.csv", reason: "no such file; check the path"))
    }

    @Test("every non-blank data row becomes exactly one event or rejection")
    func accountingIdentity() throws {
        var text = "user_id,timestamp,event_type,value\n"
        var dataRows = 0
        for index in 0..<500 {
            switch index % 7 {
            case 0: text += "\n"
            case 1:
                text += "u\(index),\(index),view,\n"
                dataRows += 1
            case 2:
                text += "u\(index),not-a-time,view,\n"
                dataRows += 1
            case 3:
                text += ",\(index),view,\n"
                dataRows += 1
            case 4:
                text += "u\(index),\(index),view,abc\n"
                dataRows += 1
            case 5:
                text += "u\(index),\(index)\n"
                dataRows += 1
            default:
                text += "\"u\(index)\",\(index),\"a\nb\",3\n"
                dataRows += 1
            }
        }
        text += "u9,9,\"open\n"
        dataRows += 1
        let rows = try files.rows(try files.write("mixed.csv", text))
        let events = rows.filter { $0.event != nil }.count
        let rejections = rows.filter { $0.rejection != nil }.count
        #expect(events + rejections == dataRows)
        #expect(events > 0 && rejections > 0)
        #expect(
            Set(rows.compactMap(\.rejection?.kind)) == [
                "bad_timestamp", "missing_field", "bad_number", "wrong_column_count", "unterminated_quote",
            ])
    }
}
