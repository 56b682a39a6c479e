import EventData
import Foundation

/// Shows progress of long work on standard error: a redrawn bar with rate and ETA on a
/// terminal, plain log lines (at most one every few seconds) otherwise.
final class ProgressReporter {
    private let label: String
    private let total: Int?
    private let unit: String
    private let interactive: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast

    /// - Parameters:
    ///   - label: What is running ("ingest").
    ///   - total: The expected count when known (enables the bar and ETA).
    ///   - unit: What is counted ("rows").
    init(label: String, total: Int? = nil, unit: String) {
        self.label = TerminalText.escaped(label)
        self.total = total
        self.unit = unit
        interactive = isatty(STDERR_FILENO) == 1
    }

    /// Reports that `done` units are finished; `detail` (e.g. a row count) is appended.
    func update(_ done: Int, detail: String? = nil) {
        let now = Date()
        let minimumGap: TimeInterval = interactive ? 0.1 : 5
        guard now.timeIntervalSince(lastDraw) >= minimumGap else { return }
        lastDraw = now
        write(line(done: done, now: now) + (detail.map { ", " + TerminalText.escaped($0) } ?? ""), final: false)
    }

    /// Reports the end of the work.
    func finish(_ done: Int, detail: String? = nil) {
        write(line(done: done, now: Date()) + (detail.map { ", " + TerminalText.escaped($0) } ?? ""), final: true)
    }

    /// Writes a whole line (an epoch summary) above the bar, which is redrawn on the next update.
    func log(_ text: String) {
        let text = TerminalText.escaped(text)
        let output = interactive ? "\r\u{1B}[K" + text + "\n" : text + "\n"
        FileHandle.standardError.write(Data(output.utf8))
        lastDraw = .distantPast
    }

    private func line(done: Int, now: Date) -> String {
        let elapsed = max(now.timeIntervalSince(start), 1e-9)
        let rate = Double(done) / elapsed
        var text = "\(label): \(Self.grouped(done)) \(unit)"
        var timing = "\(Self.grouped(Int(rate))) \(unit)/s"
        if let total, total > 0 {
            let fraction = min(Double(done) / Double(total), 1)
            let width = 24
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            text = "\(label) [\(bar)] \(Self.grouped(done))/\(Self.grouped(total)) \(unit)"
            if rate > 0 && done < total {
                timing += String(format: ", ETA %.0fs", Double(total - done) / rate)
            }
        }
        return text + " (\(timing), \(String(format: "%.1f", elapsed))s)"
    }

    private func write(_ text: String, final: Bool) {
        let output = interactive ? "\r\u{1B}[K" + text + (final ? "\n" : "") : text + "\n"
        FileHandle.standardError.write(Data(output.utf8))
    }

    /// 1234567 -> "1,234,567".
    static func grouped(_ value: Int) -> String { Grouping.grouped(value) }
}
