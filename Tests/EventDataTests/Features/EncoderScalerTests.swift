import Foundation
import Testing

@testable import EventData

@Suite("EncoderScaler")
struct EncoderScalerTests {
    private static func roundTrip<T: Codable>(_ value: T) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
    }

    private static func expectClose(_ actual: [[Double]], _ expected: [[Double]], tolerance: Double = 1e-12) {
        #expect(actual.map(\.count) == expected.map(\.count))
        for (a, e) in zip(actual.joined(), expected.joined()) {
            #expect(abs(a - e) <= tolerance, "\(a) != \(e)")
        }
    }

    // MARK: MinMaxScaler

    @Test func minMaxScalesByTrainingRangeByHand() throws {
        // Given column 0 in [2, 6] and column 1 in [-1, 1]
        let train: [[Double]] = [[2, -1], [4, 0], [6, 1]]
        // When
        let scaler = try MinMaxScaler().fit(train)
        // Then (x - min) / (max - min): (4 - 2) / 4 = 0.5, (0 + 1) / 2 = 0.5
        #expect(scaler.minimums == [2, -1])
        #expect(scaler.maximums == [6, 1])
        Self.expectClose(try scaler.transform(train), [[0, 0], [0.5, 0.5], [1, 1]])
    }

    @Test func minMaxUsesTrainingParametersOnTestDataWithoutRefitting() throws {
        // Given a scaler fitted on train only
        let scaler = try MinMaxScaler().fit([[0], [10]])
        let before = scaler
        // When test values lie outside the training range
        let test = try scaler.transform([[20], [-5], [5]])
        // Then they map outside [0, 1] with the training range, and the parameters are unchanged
        Self.expectClose(test, [[2], [-0.5], [0.5]])
        #expect(scaler == before)
        #expect(scaler.minimums == [0] && scaler.maximums == [10])
    }

    @Test func minMaxConstantColumnMapsToZero() throws {
        let scaler = try MinMaxScaler().fit([[3, 1], [3, 2]])
        Self.expectClose(try scaler.transform([[3, 1], [7, 2]]), [[0, 0], [0, 1]])
    }

    @Test func minMaxSkipsNaNWhenFittingAndPassesItThrough() throws {
        let scaler = try MinMaxScaler().fit([[1], [.nan], [3]])
        #expect(scaler.minimums == [1] && scaler.maximums == [3])
        let out = try scaler.transform([[.nan], [2]])
        #expect(out[0][0].isNaN)
        #expect(out[1] == [0.5])
    }

    @Test func minMaxColumnFormMatchesRowForm() throws {
        let rowsFit = try MinMaxScaler().fit([[1, 10], [3, 30]])
        let columnsFit = try MinMaxScaler().fit(columns: [[1, 3], [10, 30]])
        #expect(rowsFit == columnsFit)
        #expect(try columnsFit.transform(columns: [[2], [20]]) == [[0.5], [0.5]])
    }

    @Test func minMaxRoundTripsThroughJSON() throws {
        let scaler = try MinMaxScaler().fit([[1, -2], [5, 2]])
        let decoded = try Self.roundTrip(scaler)
        #expect(decoded == scaler)
        #expect(try decoded.transform([[3, 0]]) == [[0.5, 0.5]])
    }

    @Test func minMaxRejectsBadInputWithMessages() throws {
        #expect(
            throws: EventDataError.invalidOption(
                name: "MinMaxScaler.fit", detail: "there are no rows to fit on; pass the training rows")
        ) {
            try MinMaxScaler().fit([])
        }
        #expect(
            throws: EventDataError.invalidOption(
                name: "MinMaxScaler.fit",
                detail: "row 1 has 1 values but row 0 has 2; give every row the same columns")
        ) {
            try MinMaxScaler().fit([[1, 2], [3]])
        }
        #expect(
            throws: EventDataError.invalidOption(
                name: "MinMaxScaler.fit",
                detail: "column 0 has no values (only NaN or none); drop the column or fill its missing values")
        ) {
            try MinMaxScaler().fit([[.nan], [.nan]])
        }
        let scaler = try MinMaxScaler().fit([[0, 0], [1, 1]])
        #expect(
            throws: EventDataError.invalidOption(
                name: "MinMaxScaler.transform",
                detail:
                    "row 0 has 3 values but the scaler was fitted on 2 columns; pass the same columns as in training")
        ) {
            try scaler.transform([[1, 2, 3]])
        }
        #expect(
            throws: EventDataError.invalidOption(
                name: "MinMaxScaler.transform",
                detail: "row 1, column 1 is infinite; replace it with a finite value or NaN (missing)")
        ) {
            try scaler.transform([[0, 0], [0, .infinity]])
        }
    }

    @Test func minMaxRejectsCorruptSavedParameters() {
        let json = Data(#"{"minimums":[1,2],"maximums":[0]}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(MinMaxScaler.Fitted.self, from: json) }
    }

    // MARK: StandardScaler

    @Test func standardScalerUsesPopulationDeviationByHand() throws {
        // Given [2, 4, 4, 4, 5, 5, 7, 9]: mean 5, squared deviations sum 32, population std sqrt(32 / 8) = 2
        let train: [[Double]] = [2, 4, 4, 4, 5, 5, 7, 9].map { [$0] }
        // When
        let scaler = try StandardScaler().fit(train)
        // Then z = (x - 5) / 2
        #expect(scaler.means == [5])
        #expect(scaler.standardDeviations == [2])
        Self.expectClose(try scaler.transform([[2], [9], [5]]), [[-1.5], [2], [0]])
    }

    @Test func standardScalerTestDataNeverChangesTrainingStatistics() throws {
        // Given train [1, 3]: mean 2, std 1
        let scaler = try StandardScaler().fit([[1], [3]])
        // When transforming very different test data
        let test = try scaler.transform([[100], [-100]])
        // Then the output uses the training mean and deviation, and refitting on train agrees
        Self.expectClose(test, [[98], [-102]])
        #expect(scaler == (try StandardScaler().fit([[1], [3]])))
        #expect(scaler.means == [2] && scaler.standardDeviations == [1])
    }

    @Test func standardScalerConstantColumnMapsToZero() throws {
        let scaler = try StandardScaler().fit([[4, 1], [4, 3]])
        #expect(scaler.standardDeviations == [0, 1])
        Self.expectClose(try scaler.transform([[4, 2], [10, 2]]), [[0, 0], [0, 0]])
    }

    @Test func standardScalerSkipsNaNWhenFittingAndPassesItThrough() throws {
        // Given present values [1, 3] (the NaN is skipped): mean 2, std 1
        let scaler = try StandardScaler().fit(columns: [[1, .nan, 3]])
        #expect(scaler.means == [2] && scaler.standardDeviations == [1])
        let out = try scaler.transform(columns: [[.nan, 4]])
        #expect(out[0][0].isNaN)
        #expect(out[0][1] == 2)
    }

    @Test func standardScalerRoundTripsThroughJSON() throws {
        let scaler = try StandardScaler().fit([[1, 10], [2, 20], [6, 30]])
        let decoded = try Self.roundTrip(scaler)
        #expect(decoded == scaler)
        #expect(try decoded.transform([[7, 15]]) == (try scaler.transform([[7, 15]])))
    }

    @Test func standardScalerRejectsWrongColumnCountAndCorruptParameters() throws {
        let scaler = try StandardScaler().fit([[1, 2]])
        #expect(
            throws: EventDataError.invalidOption(
                name: "StandardScaler.transform",
                detail: "got 1 columns but the scaler was fitted on 2; pass the same columns as in training")
        ) {
            try scaler.transform(columns: [[1]])
        }
        let json = Data(#"{"means":[0],"standardDeviations":[-1]}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(StandardScaler.Fitted.self, from: json) }
    }

    // MARK: OneHotEncoder

    @Test func oneHotOrdersCategoriesAndEncodesUnseenAsZeros() throws {
        // Given train categories, fitted once
        let encoder = try OneHotEncoder().fit(["shoes", "hats", "shoes", "bags"])
        // Then categories are sorted, and an unseen test value is all zeros
        #expect(encoder.categories == ["bags", "hats", "shoes"])
        #expect(encoder.transform(["hats", "toys"]) == [[0, 1, 0], [0, 0, 0]])
        #expect(encoder.position(of: "toys") == nil)
        // And transforming test values did not add them
        #expect(encoder.width == 3)
    }

    @Test func oneHotRoundTripsAndRejectsEmptyOrRepeatedCategories() throws {
        let encoder = try OneHotEncoder().fit(["b", "a"])
        let decoded = try Self.roundTrip(encoder)
        #expect(decoded == encoder)
        #expect(decoded.transform("b") == [0, 1])
        #expect(
            throws: EventDataError.invalidOption(
                name: "OneHotEncoder.fit", detail: "there are no values to fit on; pass the training column")
        ) {
            try OneHotEncoder().fit([String]())
        }
        let json = Data(#"{"categories":["a","a"]}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(OneHotEncoder.Fitted.self, from: json) }
    }

    // MARK: VocabularyEncoder

    @Test func vocabularyOrdersByCountThenStringAndReservesZeroForUnknown() throws {
        // Given counts a:3, c:2, b:2, d:1 (b and c tie: b first)
        let vocabulary = try VocabularyEncoder().fit(["c", "a", "d", "b", "a", "c", "b", "a"])
        // Then
        #expect(vocabulary.tokens == ["a", "b", "c", "d"])
        #expect(vocabulary.counts == [3, 2, 2, 1])
        #expect(vocabulary.size == 5)
        #expect(vocabulary.indices(of: ["a", "b", "c", "d", "zzz"]) == [1, 2, 3, 4, 0])
        #expect(vocabulary.token(at: 0) == nil)
        #expect(vocabulary.token(at: 3) == "c")
        #expect(vocabulary.token(at: 5) == nil)
    }

    @Test func vocabularyAppliesMinimumCountAndMaximumSize() throws {
        let values = ["c", "a", "d", "b", "a", "c", "b", "a"]
        let frequent = try VocabularyEncoder(minimumCount: 2).fit(values)
        #expect(frequent.tokens == ["a", "b", "c"])
        #expect(frequent.index(of: "d") == VocabularyEncoder.outOfVocabularyIndex)
        // The size limit cuts the b/c tie deterministically: b stays, c goes
        let capped = try VocabularyEncoder(maximumSize: 2).fit(values)
        #expect(capped.tokens == ["a", "b"])
        #expect(capped.index(of: "c") == 0)
    }

    @Test func vocabularyTestValuesNeverChangeTheFittedVocabulary() throws {
        let vocabulary = try VocabularyEncoder().fit(["x", "y"])
        let before = vocabulary
        #expect(vocabulary.indices(of: ["new", "x", "new"]) == [0, 1, 0])
        #expect(vocabulary == before)
        #expect(vocabulary.size == 3)
    }

    @Test func vocabularyRoundTripsAndRejectsBadLimits() throws {
        let vocabulary = try VocabularyEncoder().fit(["b", "a", "b"])
        let decoded = try Self.roundTrip(vocabulary)
        #expect(decoded == vocabulary)
        #expect(decoded.index(of: "b") == 1)
        #expect(throws: EventDataError.invalidOption(name: "minimumCount", detail: "is 0; use 1 or more")) {
            try VocabularyEncoder(minimumCount: 0)
        }
        #expect(
            throws: EventDataError.invalidOption(
                name: "maximumSize", detail: "is -1; use 0 or more, or nil for no limit")
        ) {
            try VocabularyEncoder(maximumSize: -1)
        }
        let json = Data(#"{"tokens":["a","b"],"counts":[1]}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(VocabularyEncoder.Fitted.self, from: json) }
    }

    // MARK: HashingEncoder

    @Test func hashingUsesKnownFNV1aValues() throws {
        // Reference FNV-1a 64-bit values (offset basis for "", published vectors for "a" and "foobar")
        #expect(HashingEncoder.fnv1a64("") == 0xcbf2_9ce4_8422_2325)
        #expect(HashingEncoder.fnv1a64("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(HashingEncoder.fnv1a64("foobar") == 0x8594_4171_f739_67e8)
        // Fixed buckets for fixed strings, the same in every run
        let hashing = try HashingEncoder(buckets: 1000)
        #expect(hashing.buckets(for: ["a", "foobar", "purchase", ""]) == [996, 968, 634, 37])
        #expect(try HashingEncoder(buckets: 16).bucket(for: "a") == 12)
    }

    @Test func hashingRoundTripsAndRejectsBadBuckets() throws {
        let hashing = try HashingEncoder(buckets: 7)
        let decoded = try Self.roundTrip(hashing)
        #expect(decoded == hashing)
        #expect(decoded.bucket(for: "item-42") == hashing.bucket(for: "item-42"))
        #expect(throws: EventDataError.invalidOption(name: "buckets", detail: "is 0; use 1 or more")) {
            try HashingEncoder(buckets: 0)
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(HashingEncoder.self, from: Data(#"{"buckets":0}"#.utf8))
        }
    }
}
