import Foundation
import Testing

@testable import EventData

@Suite("Reader schemas and column mappings")
struct ReaderSchemaTests {
    let files: ReaderFixtures

    init() throws { files = try ReaderFixtures() }

    private static let shopCSV = "customer,ts,action,sku,price,channel\nc1,1709296200000,Cart,s1,9.5,web\n"

    @Test("a YAML schema file sets format, layout, mapping and timestamp unit")
    func yamlSchema() throws {
        let schemaPath = try files.write(
            "shop.yaml",
            """
            format: csv
            delimiter: ","
            header: true
            columns: { user_id: customer, timestamp: ts, event_type: action, item_id: sku, value: price }
            timestamp_unit: milliseconds   # auto | seconds | milliseconds | iso8601
            """)
        let schema = try ReaderSchema.load(path: schemaPath)
        #expect(schema.format == .csv)
        #expect(schema.dialect == DialectOptions(delimiter: ",", hasHeader: true))
        #expect(
            schema.mapping.columns == [
                .userID: "customer", .timestamp: "ts", .eventType: "action", .itemID: "sku", .value: "price",
            ])
        #expect(schema.mapping.timestampUnit == .milliseconds)

        var rows: [SourceRow] = []
        try EventFileReader.open(path: try files.write("shop.txt", Self.shopCSV), schema: schema).forEachRow {
            rows.append($0)
        }
        #expect(
            rows.first?.event
                == Event(
                    userID: "c1", timestamp: 1_709_296_200_000, type: .cart, itemID: "s1", value: 9.5,
                    properties: ["channel": "web"]))
    }

    @Test("a JSON schema file with the same keys, positions as numbers and a constant event type")
    func jsonSchema() throws {
        let schemaPath = try files.write(
            "ratings.json",
            #"""
            {"format": "csv", "delimiter": "tab", "header": false, "quoting": false,
             "columns": {"user_id": 1, "item_id": 2, "value": 3, "timestamp": 4},
             "constant_event_type": "rating", "timestamp_unit": "seconds"}
            """#)
        let schema = try ReaderSchema.load(path: schemaPath)
        #expect(schema.dialect == DialectOptions(delimiter: "\t", hasHeader: false, quoting: false))
        #expect(schema.mapping.constantEventType == .rating)
        let data = try files.write("ratings.txt", "196\t242\t3\t881250949\n")
        var events: [Event] = []
        try EventFileReader.open(path: data, schema: schema).forEachRow {
            if let event = $0.event { events.append(event) }
        }
        #expect(events == [Event(userID: "196", timestamp: 881_250_949_000, type: .rating, itemID: "242", value: 3)])
    }

    @Test("YAML names give columns to a header-less file")
    func yamlNames() throws {
        let schema = try ReaderSchema.parse(
            "header: false\nnames: [who, when, what]\ncolumns:\n  user_id: who\n  timestamp: when\n  event_type: what\n",
            path: "inline.yaml")
        let data = try files.write("log.csv", "u1,2024-03-01T00:00:00Z,view\n")
        var events: [Event] = []
        try EventFileReader.open(path: data, schema: schema).forEachRow {
            if let event = $0.event { events.append(event) }
        }
        #expect(events.first?.userID == "u1")
    }

    @Test("schema mistakes are errors that name the schema file and the key")
    func schemaErrors() throws {
        let misspelt = eventDataError { _ = try ReaderSchema.parse("formt: csv\n", path: "s.yaml") }
        #expect(
            misspelt
                == .badMapping(
                    path: "s.yaml",
                    detail: "formt: unknown key; use format, delimiter, header, quoting, names, columns, "
                        + "constant_event_type, timestamp_unit"))
        let fieldAtTop = eventDataError { _ = try ReaderSchema.parse("user_id: customer\n", path: "s.yaml") }
        #expect(fieldAtTop?.errorDescription?.contains("put column mappings under 'columns'") == true)
        let badField = eventDataError { _ = try ReaderSchema.parse("columns: {shopper: customer}\n", path: "s.yaml") }
        #expect(badField?.errorDescription?.contains("columns.shopper: not an event field") == true)
        let badUnit = eventDataError { _ = try ReaderSchema.parse(#"{"timestamp_unit": "weeks"}"#, path: "s.json") }
        #expect(badUnit?.errorDescription?.contains("unknown timestamp unit 'weeks'") == true)
        let badFormat = eventDataError { _ = try ReaderSchema.parse("format: parquet\n", path: "s.yaml") }
        #expect(badFormat?.errorDescription?.contains("unknown format 'parquet'") == true)
        let notYAML = eventDataError { _ = try ReaderSchema.parse("columns: [unclosed\n", path: "s.yaml") }
        #expect(notYAML?.errorDescription?.hasPrefix("s.yaml: ") == true)
        let badJSON = eventDataError { _ = try ReaderSchema.parse(#"{"format": }"#, path: "s.json") }
        #expect(badJSON?.errorDescription?.hasPrefix("s.json: ") == true)
        let missing = eventDataError {
            _ = try ReaderSchema.load(path: files.folder.appendingPathComponent("none.yaml").path)
        }
        #expect(missing?.errorDescription?.contains("cannot read") == true)
    }

    @Test("flags build the same schema, and unknown flags are errors naming them")
    func flags() throws {
        let schema = try ReaderSchema(
            flags: [
                "format": "tsv", "header": "no", "user-id": "1", "timestamp": "2", "constant_event_type": "View",
                "timestamp_unit": "ms", "names": "a, b, c", "delimiter": "\\t",
            ])
        #expect(schema.format == .tsv)
        #expect(schema.dialect == DialectOptions(delimiter: "\t", hasHeader: false, columnNames: ["a", "b", "c"]))
        #expect(
            schema.mapping
                == ColumnMapping(
                    columns: [.userID: "1", .timestamp: "2"], constantEventType: .view, timestampUnit: .milliseconds))
        #expect(throws: EventDataError.invalidOption(name: "header", detail: "'maybe' is not true or false")) {
            try ReaderSchema(flags: ["header": "maybe"])
        }
        let unknown = eventDataError { _ = try ReaderSchema(flags: ["colour": "red"]) }
        #expect(
            unknown?.errorDescription?.hasPrefix("colour: unknown setting; use a field name (user_id, timestamp")
                == true)
        let badDelimiter = eventDataError { _ = try ReaderSchema(flags: ["delimiter": "\""]) }
        #expect(badDelimiter?.errorDescription?.contains("cannot separate fields") == true)
    }

    @Test("field names are read in any spelling; mappings layer")
    func fieldNames() {
        #expect(EventField(parsing: "userId") == .userID)
        #expect(EventField(parsing: "EVENT-TYPE") == .eventType)
        #expect(EventField(parsing: "price") == nil)
        let base = ColumnMapping(
            columns: [.userID: "a", .value: "b"], constantEventType: .rating, timestampUnit: .seconds)
        let layered = base.overridden(by: ColumnMapping(columns: [.value: "c"], timestampUnit: .milliseconds))
        #expect(
            layered
                == ColumnMapping(
                    columns: [.userID: "a", .value: "c"], constantEventType: .rating, timestampUnit: .milliseconds))
    }
}
