import EventData
import FuzzSupport

/// Parses the input as a timestamp in every unit and checks that `auto` agrees with one of
/// the explicit units.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTimestamps(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let results = TimestampUnit.allCases.map { TimestampParser.parse(text, unit: $0) }
    if let auto = results[0] {
        require(results.dropFirst().contains(auto), "auto read \(auto), no explicit unit did: \(results)")
    }
    return 0
}
