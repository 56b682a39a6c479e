/// RFC 4180 text for CSV output files: fields with a comma, quote or line break are quoted,
/// quotes doubled; numbers in their shortest exact form.
///
/// ```swift
/// CSVText.line(["user", "note"])            // "user,note\n"
/// CSVText.field("say \"hi\", then go")      // "\"say \"\"hi\"\", then go\""
/// CSVText.number(3.0)                       // "3"
/// ```
public enum CSVText {
    /// The fields as one CSV line, ending in `\n`.
    public static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }

    /// `value` as a CSV field: quoted, with `"` doubled, only when it needs to be.
    public static func field(_ value: String) -> String {
        let special = value.utf8.contains { (byte: UInt8) -> Bool in
            byte == 44 || byte == 34 || byte == 10 || byte == 13  // , " \n \r
        }
        guard special else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `value` without a decimal point when whole (and exactly representable as an integer),
    /// otherwise in Swift's shortest round-tripping form.
    public static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
        return value.description
    }
}
