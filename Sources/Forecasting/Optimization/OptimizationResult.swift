/// The outcome of a minimisation by ``BFGS`` or ``NelderMead``.
public struct OptimizationResult: Sendable, Equatable {
    /// The best point found.
    public var point: [Double]
    /// The objective there (`+∞` if no finite value was found).
    public var value: Double
    /// Iterations taken (over every run, for restarted methods).
    public var iterations: Int
    /// Objective evaluations, those for numerical gradients included.
    public var evaluations: Int
    /// Whether a stopping rule other than the iteration limit ended the (last) search.
    public var converged: Bool
}
