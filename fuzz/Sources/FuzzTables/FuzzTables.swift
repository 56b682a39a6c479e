import EventData
import FuzzSupport

/// File names (which pick the dialect); the first input byte picks one, the rest is the file.
private let names = ["table.csv", "table.tsv", "users.user", "items.item", "table.csv.gz"]

/// Reads the input as a table and as an attribute table, and checks that every data row is
/// a row or a rejection and that failures are `EventDataError`s.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTables(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let path = FuzzFiles.write(data + 1, size - 1, name: names[Int(data[0]) % names.count])
    do {
        let reader = try DelimitedTableReader(path: path)
        var previous = 0
        try reader.forEachRow { line in
            switch line {
            case .row(let row):
                require(row.fields.count == reader.columns.count, "a row with \(row.fields.count) fields")
                require(row.line > previous, "row line \(row.line) after \(previous)")
                previous = row.line
            case .rejected(let rejection):
                require(rejection.line > previous, "rejection line \(rejection.line) after \(previous)")
                previous = rejection.line
            }
        }
    } catch is EventDataError {
    } catch {
        require(false, "undocumented error \(error)")
    }
    do {
        let (table, rejections) = try AttributeTableReader.read(path: path)
        require(Set(table.rows.map(\.id)).count == table.rows.count, "duplicate ids kept")
        require(rejections.allSatisfy { !$0.reason.isEmpty }, "a rejection without a reason")
    } catch is EventDataError {
    } catch {
        require(false, "undocumented error \(error)")
    }
    return 0
}
