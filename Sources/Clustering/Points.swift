/// Points to cluster: a row-major matrix of `Float`, one point per row.
///
/// ```swift
/// let points = Points(rows: [[0, 0], [0, 1], [10, 10]])
/// points.count       // 3
/// points[row: 2]     // [10.0, 10.0]
/// let sample = points.rows([0, 2])
/// ```
///
/// Decoding checks that the values fill whole rows, so a model read from a file never holds a
/// ragged matrix.
public struct Points: Sendable, Equatable, Codable {
    /// `count * dimension` values, row after row.
    public let values: [Float]
    /// The number of points (rows).
    public let count: Int
    /// The number of values of each point (columns), at least 1.
    public let dimension: Int

    /// Points from values laid out row after row.
    ///
    /// - Precondition: `dimension >= 1` and `values.count` is a multiple of `dimension`.
    public init(values: [Float], dimension: Int) {
        precondition(dimension >= 1, "Points: dimension \(dimension) must be at least 1")
        precondition(
            values.count % dimension == 0,
            "Points: \(values.count) values do not fill rows of \(dimension)")
        self.values = values
        self.dimension = dimension
        count = values.count / dimension
    }

    /// Points from rows of equal length (converted to `Float`).
    ///
    /// - Precondition: at least one row, and every row has the first row's length, at least 1.
    public init(rows: [[Double]]) {
        precondition(!rows.isEmpty, "Points: no rows (use init(values:dimension:) for an empty matrix)")
        let dimension = rows[0].count
        precondition(
            rows.allSatisfy { $0.count == dimension },
            "Points: rows must all have \(dimension) values")
        var values: [Float] = []
        values.reserveCapacity(rows.count * dimension)
        for row in rows {
            for value in row { values.append(Float(value)) }
        }
        self.init(values: values, dimension: dimension)
    }

    /// The values of point `row`.
    public subscript(row row: Int) -> ArraySlice<Float> {
        precondition(row >= 0 && row < count, "Points: row \(row) is outside 0..<\(count)")
        return values[(row * dimension)..<((row + 1) * dimension)]
    }

    /// The points at `indexes`, in that order (repeats allowed): a sample.
    ///
    /// - Precondition: every index is in `0..<count`.
    public func rows(_ indexes: [Int]) -> Points {
        var sample = [Float](repeating: 0, count: indexes.count * dimension)
        values.withUnsafeBufferPointer { source in
            sample.withUnsafeMutableBufferPointer { target in
                for (position, index) in indexes.enumerated() {
                    precondition(index >= 0 && index < count, "Points: row \(index) is outside 0..<\(count)")
                    for column in 0..<dimension {
                        target[position * dimension + column] = source[index * dimension + column]
                    }
                }
            }
        }
        return Points(values: sample, dimension: dimension)
    }

    /// Calls `body` with the values of every row, row after row (`count * dimension` of them).
    func withUnsafeValues<Result>(_ body: (UnsafePointer<Float>) throws -> Result) rethrows -> Result {
        try values.withUnsafeBufferPointer { buffer in
            // An empty array's base address may be nil; nothing is read through it then.
            guard let base = buffer.baseAddress else {
                return try withUnsafePointer(to: Float(0)) { try body($0) }
            }
            return try body(base)
        }
    }

    /// The first row holding a value that is not finite (NaN or infinite), or nil.
    func firstNonFiniteRow() -> Int? {
        guard let position = values.firstIndex(where: { !$0.isFinite }) else { return nil }
        return position / dimension
    }

    private enum CodingKeys: String, CodingKey {
        case values, dimension
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let values = try container.decode([Float].self, forKey: .values)
        let dimension = try container.decode(Int.self, forKey: .dimension)
        guard dimension >= 1, values.count % dimension == 0 else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: decoder.codingPath,
                    debugDescription:
                        "Points: \(values.count) values do not fill rows of \(dimension) (the dimension must be at least 1)"
                ))
        }
        self.init(values: values, dimension: dimension)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(values, forKey: .values)
        try container.encode(dimension, forKey: .dimension)
    }
}

extension Points {
    /// The mean of each column and the mean of the columns' variances (population variances,
    /// as NumPy's `var`), in `Double`, in one pass; nil when a value is NaN or infinite.
    ///
    /// Values are summed minus the first row, so the variances do not cancel on data far from
    /// the origin.
    func columnStatistics() -> (means: [Double], meanVariance: Double)? {
        guard count > 0 else { return (means: [Double](repeating: 0, count: dimension), meanVariance: 0) }
        var sums = [Double](repeating: 0, count: dimension)
        var squares = [Double](repeating: 0, count: dimension)
        let pilot = values[0..<dimension].map(Double.init)
        withUnsafeValues { base in
            sums.withUnsafeMutableBufferPointer { sumBuffer in
                squares.withUnsafeMutableBufferPointer { squareBuffer in
                    pilot.withUnsafeBufferPointer { pilotBuffer in
                        guard let sums = sumBuffer.baseAddress, let squares = squareBuffer.baseAddress,
                            let pilot = pilotBuffer.baseAddress
                        else { return }
                        for i in 0..<count {
                            accumulate(base + i * dimension, minus: pilot, into: sums, squares: squares, dimension)
                        }
                    }
                }
            }
        }
        // A sum of Float values in Double cannot overflow, so it is finite exactly when every value is.
        guard sums.allSatisfy(\.isFinite) else { return nil }
        let n = Double(count)
        let means = (0..<dimension).map { pilot[$0] + sums[$0] / n }
        let variances = (0..<dimension).map { max(0, squares[$0] / n - (sums[$0] / n) * (sums[$0] / n)) }
        return (means, variances.reduce(0, +) / Double(dimension))
    }
}

/// Adds `x - pilot` and its squares, over `count` contiguous values, to `count` sums each.
@inline(__always)
private func accumulate(
    _ x: UnsafePointer<Float>, minus pilot: UnsafePointer<Double>, into sums: UnsafeMutablePointer<Double>,
    squares: UnsafeMutablePointer<Double>, _ count: Int
) {
    var c = 0
    while c + 8 <= count {
        let value =
            SIMD8<Double>(UnsafeRawPointer(x + c).loadUnaligned(as: SIMD8<Float>.self))
            - UnsafeRawPointer(pilot + c).loadUnaligned(as: SIMD8<Double>.self)
        let sum = UnsafeRawPointer(sums + c).loadUnaligned(as: SIMD8<Double>.self)
        let square = UnsafeRawPointer(squares + c).loadUnaligned(as: SIMD8<Double>.self)
        UnsafeMutableRawPointer(sums + c).storeBytes(of: sum + value, as: SIMD8<Double>.self)
        UnsafeMutableRawPointer(squares + c).storeBytes(of: square + value * value, as: SIMD8<Double>.self)
        c += 8
    }
    while c < count {
        let value = Double(x[c]) - pilot[c]
        sums[c] += value
        squares[c] += value * value
        c += 1
    }
}
