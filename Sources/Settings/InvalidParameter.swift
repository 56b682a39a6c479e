import Foundation

/// A configuration value that cannot work: which parameter, the value given, and what is
/// allowed.
///
/// Library configurations (a model's sizes, a training schedule, a simulation) name their
/// parameters by the keys of their YAML files (`max-length`, `learning-rate`); the command line
/// uses the same names as flags, so it can say `--max-length 0` where a Swift caller sees the
/// parameter.
///
/// ```swift
/// guard maxLength >= 1 else {
///     throw InvalidParameter("max-length", value: maxLength, allowed: "at least 1")
/// }
/// ```
public struct InvalidParameter: Error, LocalizedError, Sendable, Equatable, CustomStringConvertible {
    /// The parameter's key (`max-length`).
    public var parameter: String
    /// The value given, as text.
    public var value: String
    /// What the parameter accepts (`between 1 and 1048576`), or why this value does not fit.
    public var allowed: String

    public init(_ parameter: String, value: some CustomStringConvertible, allowed: String) {
        self.parameter = parameter
        self.value = value.description
        self.allowed = allowed
    }

    public var description: String { "\(parameter) is \(value); it must be \(allowed)" }

    public var errorDescription: String? { description }

    /// Throws when `value` is outside `range`.
    public static func require<Value: Comparable & CustomStringConvertible>(
        _ parameter: String, _ value: Value, in range: ClosedRange<Value>
    ) throws(InvalidParameter) {
        guard range.contains(value) else {
            throw InvalidParameter(
                parameter, value: value, allowed: "between \(range.lowerBound) and \(range.upperBound)")
        }
    }

    /// Throws `allowed` when `condition` is false.
    public static func require(
        _ condition: Bool, _ parameter: String, _ value: some CustomStringConvertible, allowed: String
    ) throws(InvalidParameter) {
        guard condition else { throw InvalidParameter(parameter, value: value, allowed: allowed) }
    }

    /// The widest network layer any configuration accepts (2^20): far beyond any useful network,
    /// small enough that a corrupt or hostile value is refused before anything is allocated.
    public static let maximumLayerWidth = 1 << 20

    /// Throws unless `widths` holds at most `count` layer widths between 1 and
    /// ``maximumLayerWidth``; `example` shows the form (`128,64`).
    public static func requireLayerWidths(
        _ parameter: String, _ widths: [Int], count: Int, example: String
    ) throws(InvalidParameter) {
        try require(
            widths.allSatisfy { (1...maximumLayerWidth).contains($0) } && widths.count <= count, parameter,
            widths.map(String.init).joined(separator: ","),
            allowed: "up to \(count) widths between 1 and \(maximumLayerWidth), like \(example)")
    }
}
