import Foundation
import Testing

@testable import EventData

@Suite("Attribute table reader")
struct AttributeTableReaderTests {
    let files: ReaderFixtures

    init() throws { files = try ReaderFixtures() }

    @Test("a RecBole .user file: typed header, user_id as the id, other columns as attributes")
    func recBoleUsers() throws {
        let path = try files.write(
            "ml-100k.user",
            "user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n"
                + "1\t24\tM\ttechnician\t85711\n2\t53\tF\tother\t94043\n\n3\t23\tM\n")
        let (table, rejections) = try AttributeTableReader.read(path: path)
        #expect(table.idColumn == "user_id")
        #expect(table.columns == ["age", "gender", "occupation", "zip_code"])
        #expect(
            table.rows == [
                AttributeRow(
                    id: "1", values: ["age": "24", "gender": "M", "occupation": "technician", "zip_code": "85711"]),
                AttributeRow(
                    id: "2", values: ["age": "53", "gender": "F", "occupation": "other", "zip_code": "94043"]),
            ])
        #expect(rejections.map(\.kind) == ["wrong_column_count"])
        #expect(rejections.first?.line == 5)
    }

    @Test("a RecBole .item file keeps multi-word values such as genres")
    func recBoleItems() throws {
        let path = try files.write(
            "ml-100k.item",
            "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
                + "1\tToy Story\t1995\tAnimation Children's Comedy\n")
        let (table, _) = try AttributeTableReader.read(path: path)
        #expect(table.idColumn == "item_id")
        #expect(table.rows.first?.values["class"] == "Animation Children's Comedy")
    }

    @Test("any CSV with a named id column; empty, duplicate and non-UTF-8 rows are rejected")
    func csvTable() throws {
        let bytes =
            Array("sku,category,price\ns1,shoes,9.5\n,bags,3\ns1,hats,4\n\"s2\",\"a, b\",\n".utf8)
            + Array("s3,caf".utf8) + [0xE9] + Array(",1\n".utf8)
        let path = try files.write("items.csv", bytes: bytes)
        let (table, rejections) = try AttributeTableReader.read(path: path, idColumn: "sku")
        #expect(table.columns == ["category", "price"])
        #expect(
            table.rows == [
                AttributeRow(id: "s1", values: ["category": "shoes", "price": "9.5"]),
                AttributeRow(id: "s2", values: ["category": "a, b"]),
            ])
        #expect(rejections.map(\.kind) == ["missing_field", "duplicate_id", "invalid_utf8"])
        #expect(rejections[1].reason == "id 's1' already appeared on line 2; the first row is kept")
        // Rows read = rows kept + rejections (blank lines aside).
        #expect(table.rows.count + rejections.count == 5)
    }

    @Test("the id column defaults to the first; an unknown one is a mapping error listing the columns")
    func idColumn() throws {
        let path = try files.write("users.csv", "uid,age\nu1,30\n")
        #expect(try AttributeTableReader.read(path: path).table.rows.first?.id == "u1")
        #expect(try AttributeTableReader.read(path: path, idColumn: "2").table.rows.first?.id == "30")
        let error = eventDataError { _ = try AttributeTableReader.read(path: path, idColumn: "user") }
        #expect(
            error
                == .badMapping(
                    path: path,
                    detail: "id column 'user' is not in the file; available columns: 'uid', 'age'; name the id "
                        + "column (or its position from 1 to 2)"))
    }

    @Test("an empty table file gives no rows")
    func emptyTable() throws {
        let (table, rejections) = try AttributeTableReader.read(path: try files.write("none.csv", ""))
        #expect(table.rows.isEmpty && rejections.isEmpty)
    }
}
