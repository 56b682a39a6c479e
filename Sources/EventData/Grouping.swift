/// Whole numbers with thousands separators, as reports print them.
public enum Grouping {
    /// 1234567 -> "1,234,567"; -1234 -> "-1,234".
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
            result.append(character)
        }
        return (value < 0 ? "-" : "") + result
    }
}
