import Foundation
import Testing

@testable import EventData

@Suite("Table column kinds and encoder")
struct TableEncoderTests {
    let columns = ["visits", "weekend", "month", "visitor", "day", "session"]
    // Given a small table with a missing visit count, a missing visitor type and an id column.
    var rows: [[String]] {
        (0..<24).map { i in
            [
                i == 3 ? "NA" : "\(i % 4)", i % 2 == 0 ? "TRUE" : "FALSE", ["Feb", "June", "Nov"][i % 3],
                i == 5 ? "" : (i % 3 == 0 ? "New" : "Returning"), ["Mon", "Tuesday", "sun"][i % 3], "s\(i)",
            ]
        }
    }

    @Test func kindsAreInferredAndOverridable() {
        let profiles = ColumnKindInference.profiles(columns: columns, rows: rows)
        #expect(profiles.map(\.kind) == [.numeric, .boolean, .month, .categorical, .weekday, .ignored])
        #expect(profiles[0].missing == 1 && profiles[3].missing == 1)
        #expect(profiles[5].note?.contains("id") == true)
        let overridden = ColumnKindInference.profiles(columns: columns, rows: rows, overrides: ["visits": .categorical])
        #expect(overridden[0].kind == .categorical)
    }

    @Test func theEncoderImputesScalesAndOneHotsFromTrainingRowsOnly() throws {
        let profiles = ColumnKindInference.profiles(columns: columns, rows: rows)
        let encoder = try TableEncoder.fit(profiles: profiles, rows: rows)
        #expect(
            encoder.featureNames == [
                "visits", "visits=missing", "weekend", "month.sin", "month.cos",
                "visitor=Returning", "visitor=New", "visitor=other", "visitor=missing", "day.sin", "day.cos",
            ])
        let positions = try encoder.positions(in: columns).get()
        // A missing count becomes the training median: 23 counts (six 0s, six 1s, six 2s, five
        // 3s), the 12th is 1. A visitor type never seen in training goes to "other".
        let features = try encoder.encode(["", "no", "Feb", "Tourist", "Mon", "x"], positions: positions)
        let visits = encoder.columns[0]
        #expect(visits.fill == 1)
        #expect(abs(features[0] - Float((visits.fill - visits.mean) / visits.deviation)) < 1e-6)
        #expect(features[1] == 1 && features[2] == 0)
        #expect(abs(features[3] - Float(sin(2 * Double.pi / 12))) < 1e-6)
        #expect(Array(features[5...8]) == [0, 0, 1, 0])
        #expect(features.count == encoder.width)
    }

    @Test func headersAreMatchedByNameAndBadCellsNamed() throws {
        let profiles = ColumnKindInference.profiles(columns: columns, rows: rows)
        let encoder = try TableEncoder.fit(profiles: profiles, rows: rows)
        // Extra and reordered columns are fine; absent ones are listed.
        let reordered = ["extra", "day", "visitor", "month", "weekend", "visits"]
        let positions = try encoder.positions(in: reordered).get()
        #expect(positions == [5, 4, 3, 2, 1])
        #expect(encoder.positions(in: ["visits", "day"]) == .failure(.init(names: ["weekend", "month", "visitor"])))
        #expect(throws: TableValueError(column: "visits", value: "many", expected: .numeric)) {
            try encoder.encode(
                ["many", "yes", "Feb", "New", "Mon", "s"], positions: try encoder.positions(in: columns).get())
        }
        let decoded = try JSONDecoder().decode(TableEncoder.self, from: JSONEncoder().encode(encoder))
        #expect(decoded == encoder)
    }
}

@Suite("Table encoder log scaling")
struct TableEncoderLogScalingTests {
    @Test func rightSkewedNonNegativeColumnsAreLogScaledOthersNot() throws {
        // Durations: mostly small with a long tail (skewness well above 1); offsets: symmetric.
        let durations = (0..<50).map { $0 < 45 ? "\($0 % 5)" : "\(1_000 * ($0 - 44))" }
        let offsets = (0..<50).map { "\($0 - 25)" }
        let rows = zip(durations, offsets).map { [$0, $1] }
        let profiles = ColumnKindInference.profiles(columns: ["duration", "offset"], rows: rows)
        let encoder = try TableEncoder.fit(profiles: profiles, rows: rows)
        #expect(encoder.columns.map(\.logTransform) == [true, false])
        let duration = encoder.columns[0]
        let features = try encoder.encode(["6000", "0"], positions: [0, 1])
        #expect(abs(Double(features[0]) - (log1p(6_000) - duration.mean) / duration.deviation) < 1e-5)
    }

    @Test func identifierColumnsAreIgnoredWithANoteUnlessOverridden() {
        let columns = ["customerID", "number", "email", "spend", "count", "offset"]
        let rows: [[String]] = (0..<40).map { i in
            [
                "C-\(9_000 + i)", "\(15_634_602 + 7 * i)", i == 39 ? "a@x" : "u\(i)@x",
                String(format: "%.2f", Double(i) * 1.5),
                "\(i % 25)", "\(i - 20)",
            ]
        }
        let profiles = ColumnKindInference.profiles(columns: columns, rows: rows)
        #expect(profiles.map(\.kind) == [.ignored, .ignored, .ignored, .numeric, .numeric, .numeric])
        #expect(profiles[0].note == "identifier: 40 distinct of 40; give it the kind categorical to use it")
        #expect(profiles[1].note == "identifier: 40 distinct of 40; give it the kind numeric to use it")
        #expect(profiles[2].note?.hasPrefix("identifier: 40 distinct of 40") == true)
        let overridden = ColumnKindInference.profiles(
            columns: columns, rows: rows, overrides: ["customerID": .categorical, "number": .numeric])
        #expect(overridden[0].kind == .categorical && overridden[1].kind == .numeric)
        // Twenty rows are too few to call anything an identifier.
        #expect(ColumnKindInference.profiles(columns: columns, rows: Array(rows.prefix(20)))[1].kind == .numeric)
    }

    @Test func valuesTooLargeToScaleNameTheirColumn() throws {
        let columns = ["amount"]
        let rows = (0..<10).map { [$0 < 5 ? "1e308" : "-1e308"] }
        let profiles = ColumnKindInference.profiles(columns: columns, rows: rows)
        #expect(throws: TableValueError.self) { try TableEncoder.fit(profiles: profiles, rows: rows) }
        let fitted = try TableEncoder.fit(profiles: profiles, rows: (0..<10).map { [String($0)] })
        let error = #expect(throws: TableValueError.self) { try fitted.encode(["1e308"], positions: [0]) }
        #expect(
            error?.localizedDescription
                == "column 'amount': '1e308' is too far outside the training values to scale; check the value")
    }
}

@Suite("Table encoder for numbers")
struct NumericTableEncoderTests {
    @Test("a table of numbers is scaled as the same table of text would be, without parsing")
    func numbersMatchText() throws {
        var numbers: [[Double]] = []
        for row in 0..<50 {
            let duration = row < 45 ? Double(row % 5) : Double(1_000 * (row - 44))
            numbers.append([duration, Double(row - 25)])
        }
        let text = numbers.map { $0.map { String(Int($0)) } }
        let fromText = try TableEncoder.fit(
            profiles: ColumnKindInference.profiles(columns: ["duration", "offset"], rows: text), rows: text)
        let fromNumbers = try TableEncoder.fitNumeric(names: ["duration", "offset"], rows: numbers)
        #expect(fromNumbers.columns.map(\.logTransform) == [true, false])
        let expected = try fromText.encode(["6000", "3"], positions: [0, 1])
        #expect(fromNumbers.encode(numbers: [6_000, 3]) == expected)
        #expect(fromNumbers.encode(numberRows: [[6_000, 3], [6_000, 3]]) == expected + expected)
    }

    @Test("a value that is not a finite number is named")
    func nonFinite() {
        #expect(
            throws: TableValueError(column: "b", value: "nan", expected: .numeric, problem: "is not a finite number")
        ) {
            try TableEncoder.fitNumeric(names: ["a", "b"], rows: [[1, .nan]])
        }
    }
}
