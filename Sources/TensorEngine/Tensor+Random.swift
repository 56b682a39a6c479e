import Randomness

extension Tensor {
    /// Values drawn uniformly from `range`.
    public static func uniform(
        _ shape: [Int], in range: ClosedRange<Float> = 0...1, generator: inout RandomGenerator,
        requiresGradient: Bool = false
    ) -> Tensor {
        let n = shape.reduce(1, *)
        let width = range.upperBound - range.lowerBound
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = range.lowerBound + width * generator.nextUniform() }
        return Tensor(shape: shape, scalars: values, requiresGradient: requiresGradient)
    }

    /// Values drawn from a normal distribution.
    public static func normal(
        _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1, generator: inout RandomGenerator,
        requiresGradient: Bool = false
    ) -> Tensor {
        let n = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = mean + standardDeviation * generator.nextNormal() }
        return Tensor(shape: shape, scalars: values, requiresGradient: requiresGradient)
    }

    /// Ones with probability `p`, zeros otherwise.
    public static func bernoulli(_ shape: [Int], probability p: Float, generator: inout RandomGenerator) -> Tensor {
        let n = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = generator.nextBernoulli(p) ? 1 : 0 }
        return Tensor(shape: shape, scalars: values)
    }
}
