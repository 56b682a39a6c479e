import Foundation
import Testing

@testable import Clustering

@Suite("Points")
struct PointsTests {
    @Test("rows, samples and the row subscript")
    func rows() {
        let points = Points(rows: [[1, 2], [3, 4], [5, 6]])
        #expect(points.count == 3 && points.dimension == 2)
        #expect(Array(points[row: 1]) == [3, 4])
        #expect(points.rows([2, 0, 2]) == Points(values: [5, 6, 1, 2, 5, 6], dimension: 2))
        #expect(Points(values: [], dimension: 3).count == 0)
    }

    @Test("column statistics keep their precision far from the origin")
    func statistics() throws {
        // Means 1,000,001.5 and 11.5; population variances 1.25 and 1.25 (Float holds every value).
        let points = Points(rows: [[1e6, 10], [1e6 + 1, 11], [1e6 + 2, 12], [1e6 + 3, 13]])
        let statistics = try #require(points.columnStatistics())
        #expect(statistics.means == [1_000_001.5, 11.5])
        #expect(abs(statistics.meanVariance - 1.25) < 1e-12)
        #expect(Points(rows: [[1], [.infinity]]).columnStatistics() == nil)
        #expect(Points(rows: [[0, 1], [2, .nan], [3, 3]]).firstNonFiniteRow() == 1)
    }

    @Test("decoding refuses values that do not fill whole rows")
    func decoding() throws {
        let points = Points(rows: [[1, 2], [3, 4]])
        let data = try JSONEncoder().encode(points)
        #expect(try JSONDecoder().decode(Points.self, from: data) == points)
        for bad in [#"{"values":[1,2,3],"dimension":2}"#, #"{"values":[],"dimension":0}"#] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(Points.self, from: Data(bad.utf8)) }
        }
    }
}
