import Foundation

/// What to do with a row whose date or value cannot be read.
public enum BadRowPolicy: String, Codable, Sendable, CaseIterable {
    /// Leave the bad cell out (a bad date drops the row, a bad value leaves that period
    /// missing) and list the problem in ``SeriesReading/badRows``.
    case skip
    /// Throw ``ForecastingError/badRow(source:line:column:text:reason:)`` at the first one.
    case fail
}

/// Series read from a CSV file, with what was wrong in it.
public struct SeriesReading: Sendable {
    /// One series per value column, in the order asked for, all on the same dates.
    public var series: [TimeSeries]
    /// Indexes of periods between the first and last date that no row covers (left `.nan`).
    public var missingPeriods: [Int]
    /// Rows whose date an earlier row already had; the earlier row's values were kept.
    public var duplicateDates: [DuplicateDate]
    /// Cells that could not be read (each a ``ForecastingError/badRow(source:line:column:text:reason:)``).
    public var badRows: [ForecastingError]

    /// A row repeating an earlier row's date.
    public struct DuplicateDate: Sendable, Equatable {
        /// The repeated date as written in the file.
        public var date: String
        /// The line of the repeating row, which was ignored.
        public var line: Int
        /// The line of the row that was kept.
        public var keptLine: Int
    }

    /// How many items of each list ``summary`` shows.
    public static let summaryExamples = 3

    /// One line per kind of problem, with counts and the first few cases; empty when the file
    /// was clean. For example:
    /// `2 missing periods (2024-01-03, 2024-01-09): left missing, not zero`.
    public var summary: [String] {
        var lines: [String] = []
        let shown = Self.summaryExamples
        if !missingPeriods.isEmpty, let first = series.first {
            let dates = missingPeriods.prefix(shown).map { first.dateText(at: $0) }
            let more = missingPeriods.count > shown ? ", ..." : ""
            lines.append(
                "\(missingPeriods.count) missing periods (\(dates.joined(separator: ", "))\(more)): "
                    + "left missing, not zero"
            )
        }
        if !duplicateDates.isEmpty {
            let cases = duplicateDates.prefix(shown).map { "\($0.date) on line \($0.line), kept line \($0.keptLine)" }
            let more = duplicateDates.count > shown ? "; ..." : ""
            lines.append(
                "\(duplicateDates.count) duplicate dates (\(cases.joined(separator: "; "))\(more)): later rows ignored")
        }
        if !badRows.isEmpty {
            let cases = badRows.prefix(shown).compactMap(\.errorDescription)
            let more = badRows.count > shown ? "; ..." : ""
            lines.append("\(badRows.count) unreadable cells (\(cases.joined(separator: "; "))\(more)): skipped")
        }
        return lines
    }
}

extension TimeSeries {
    /// The most periods a file may span (about 570 years of hours): a wrong year in one row
    /// otherwise asks for a series of millions of missing periods.
    public static let maximumPeriods = 5_000_000

    /// Reads one series per value column from CSV text with a header row.
    ///
    /// Dates are ISO (`YYYY-MM-DD` or full ISO 8601, see ``ISODate/milliseconds(_:)``); rows may
    /// come in any order. The frequency, unless given, is the smallest spacing between dates
    /// (an hour, a day or a week); every date must then sit on that grid. Dates no row covers
    /// become missing values (`.nan`, never 0), as do empty cells and `NA`, `NaN`, `null`.
    ///
    /// ```swift
    /// let reading = try TimeSeries.read(
    ///     csv: "date,visits,orders\n2024-01-01,10,2\n2024-01-03,12,3\n", valueColumns: ["visits", "orders"])
    /// reading.series[0].values    // [10, .nan, 12]
    /// reading.missingPeriods      // [1]
    /// reading.summary             // ["1 missing periods (2024-01-02): left missing, not zero"]
    /// ```
    ///
    /// - Parameters:
    ///   - text: The CSV text (comma-separated, optionally quoted, UTF-8).
    ///   - source: The name errors use for the text (the file's path).
    ///   - dateColumn: The header of the date column.
    ///   - valueColumns: The headers of the value columns; empty takes every other column.
    ///   - frequency: The spacing, when it should not be inferred (a file with one date needs it).
    ///   - seasonPeriod: Periods per season; `nil` takes the frequency's default.
    ///   - badRows: Whether an unreadable cell is skipped and reported, or throws.
    /// - Throws: ``ForecastingError`` naming the line and column of what cannot be read, a missing
    ///   column, or dates off a regular hourly, daily or weekly grid.
    public static func read(
        csv text: String, source: String = "CSV text", dateColumn: String = "date", valueColumns: [String] = [],
        frequency: Frequency? = nil, seasonPeriod: Int? = nil, badRows: BadRowPolicy = .skip
    ) throws -> SeriesReading {
        let records = csvRecords(text)
        guard let header = records.first else {
            throw ForecastingError.missingColumn(source: source, column: dateColumn, available: [])
        }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        func position(_ column: String) throws -> Int {
            guard let index = names.firstIndex(of: column) else {
                throw ForecastingError.missingColumn(source: source, column: column, available: names)
            }
            return index
        }
        let datePosition = try position(dateColumn)
        let columns = valueColumns.isEmpty ? names.filter { $0 != dateColumn } : valueColumns
        guard !columns.isEmpty else {
            throw ForecastingError.missingColumn(source: source, column: "(a value column)", available: names)
        }
        let valuePositions = try columns.map(position)

        var problems: [ForecastingError] = []
        func report(_ problem: ForecastingError) throws {
            if badRows == .fail { throw problem }
            problems.append(problem)
        }
        // Each readable row: its date, line and values (.nan where missing or unreadable).
        var rows: [(stamp: Int64, line: Int, date: String, values: [Double])] = []
        for record in records.dropFirst() {
            func cell(_ position: Int) -> String? {
                position < record.fields.count ? record.fields[position].trimmingCharacters(in: .whitespaces) : nil
            }
            guard let dateText = cell(datePosition) else {
                try report(
                    .badRow(
                        source: source, line: record.line, column: dateColumn, text: "",
                        reason: "is absent: the row has only \(record.fields.count) fields"))
                continue
            }
            guard let stamp = ISODate.milliseconds(dateText) else {
                try report(
                    .badRow(
                        source: source, line: record.line, column: dateColumn, text: dateText,
                        reason: "is not a date; write YYYY-MM-DD or ISO 8601 (2024-01-31T13:00:00Z)"))
                continue
            }
            var values: [Double] = []
            for (column, valuePosition) in zip(columns, valuePositions) {
                guard let valueText = cell(valuePosition) else {
                    try report(
                        .badRow(
                            source: source, line: record.line, column: column, text: "",
                            reason: "is absent: the row has only \(record.fields.count) fields"))
                    values.append(.nan)
                    continue
                }
                switch parseValue(valueText) {
                case .value(let value): values.append(value)
                case .missing: values.append(.nan)
                case .unreadable(let reason):
                    try report(
                        .badRow(
                            source: source, line: record.line, column: column, text: valueText,
                            reason: reason))
                    values.append(.nan)
                }
            }
            rows.append((stamp, record.line, dateText, values))
        }
        guard !rows.isEmpty else { throw ForecastingError.noDates(source: source) }

        // Sort by date (stable, so the first row of a date in the file stays first), then
        // drop later rows of a date already seen.
        let sorted = rows.enumerated().sorted { ($0.element.stamp, $0.offset) < ($1.element.stamp, $1.offset) }
            .map(\.element)
        var unique = [sorted[0]]
        var duplicates: [SeriesReading.DuplicateDate] = []
        for row in sorted.dropFirst() {
            if let last = unique.last, last.stamp == row.stamp {
                duplicates.append(.init(date: row.date, line: row.line, keptLine: last.line))
            } else {
                unique.append(row)
            }
        }
        duplicates.sort { $0.line < $1.line }

        let spacing = try frequency ?? inferFrequency(unique.map { ($0.stamp, $0.line) }, source: source)
        let first = unique[0].stamp
        let last = unique[unique.count - 1]
        let span = (last.stamp - first) / spacing.milliseconds + 1
        guard span <= Int64(maximumPeriods) else {
            throw ForecastingError.irregularDates(
                source: source, line: last.line,
                detail: "the dates span \(span) \(spacing.rawValue)s (at most \(maximumPeriods)); check this date")
        }
        let length = Int(span)
        var columnsOfValues = [[Double]](repeating: [Double](repeating: .nan, count: length), count: columns.count)
        var covered = [Bool](repeating: false, count: length)
        for row in unique {
            let offset = row.stamp - first
            guard offset % spacing.milliseconds == 0 else {
                throw ForecastingError.irregularDates(
                    source: source, line: row.line,
                    detail: "\(row.date) is not a whole number of \(spacing.rawValue)s after the first date "
                        + "\(ISODate.text(first, withTime: spacing == .hour)); every date must sit on one grid")
            }
            let index = Int(offset / spacing.milliseconds)
            covered[index] = true
            for (column, value) in row.values.enumerated() { columnsOfValues[column][index] = value }
        }
        let series = try zip(columns, columnsOfValues).map { name, values in
            try TimeSeries(name: name, start: first, frequency: spacing, values: values, seasonPeriod: seasonPeriod)
        }
        return SeriesReading(
            series: series, missingPeriods: covered.indices.filter { !covered[$0] }, duplicateDates: duplicates,
            badRows: problems)
    }

    /// Reads one series per value column from a CSV file; see
    /// ``read(csv:source:dateColumn:valueColumns:frequency:seasonPeriod:badRows:)``.
    ///
    /// - Throws: ``ForecastingError/unreadable(path:reason:)`` when the file cannot be read as
    ///   UTF-8, and what the text reader throws, naming `path`.
    public static func read(
        contentsOf path: String, dateColumn: String = "date", valueColumns: [String] = [],
        frequency: Frequency? = nil, seasonPeriod: Int? = nil, badRows: BadRowPolicy = .skip
    ) throws -> SeriesReading {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ForecastingError.unreadable(path: path, reason: error.localizedDescription)
        }
        return try read(
            csv: text, source: path, dateColumn: dateColumn, valueColumns: valueColumns, frequency: frequency,
            seasonPeriod: seasonPeriod, badRows: badRows)
    }

    /// The frequency whose period is the smallest spacing between consecutive `dates` (sorted,
    /// distinct, each with its line).
    static func inferFrequency(_ dates: [(stamp: Int64, line: Int)], source: String) throws -> Frequency {
        guard dates.count >= 2 else {
            throw ForecastingError.irregularDates(
                source: source, line: dates.first?.line ?? 1,
                detail: "one date alone does not show the spacing; give the frequency (hour, day or week)")
        }
        var smallest = 1
        for i in 2..<dates.count
        where dates[i].stamp - dates[i - 1].stamp < dates[smallest].stamp
            - dates[smallest - 1].stamp
        {
            smallest = i
        }
        let gap = dates[smallest].stamp - dates[smallest - 1].stamp
        guard let frequency = Frequency(milliseconds: gap) else {
            throw ForecastingError.irregularDates(
                source: source, line: dates[smallest].line,
                detail: "the smallest spacing between dates is \(Double(gap) / 3_600_000) hours (from line "
                    + "\(dates[smallest - 1].line)); only hourly, daily and weekly series are read "
                    + "(give the frequency when no two dates are one period apart)")
        }
        return frequency
    }

    private enum ParsedValue {
        case value(Double)
        case missing
        case unreadable(String)
    }

    private static let missingMarkers: Set<String> = ["", "na", "n/a", "nan", "null", "none"]

    private static func parseValue(_ text: String) -> ParsedValue {
        if missingMarkers.contains(text.lowercased()) { return .missing }
        guard let value = Double(text) else { return .unreadable("is not a number") }
        guard value.isFinite else { return .unreadable("is not a finite number") }
        return .value(value)
    }
}
