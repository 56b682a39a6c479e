import Foundation

extension DriftReport {
    /// A self-contained HTML page of the report: the summary, every feature's line, and one
    /// small bar chart (training against recent shares) per drifted feature and for drifted
    /// scores. No scripts, no outside files.
    ///
    /// - Parameter title: The page's heading (the model's name).
    public func htmlPage(title: String) -> String {
        var html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Drift: \(escape(title))</title>
            <style>
            body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
            table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: left; }
            tr.drifted td { color: #b00020; font-weight: 600; }
            .plots { display: flex; flex-wrap: wrap; gap: 24px; } figure { margin: 0; }
            figcaption { font-weight: 600; } .key span { display: inline-block; width: 10px; height: 10px; }
            </style></head><body>
            <h1>Drift: \(escape(title))</h1>
            <p>Verdict: <strong>\(escape(verdict))</strong>. \(driftedFeatures) of \(features.count) features drifted \
            (\(percent(driftedShare))); training \(trainingRows) rows, recent \(recentRows) rows.</p>

            """
        if !facts.isEmpty {
            html +=
                "<p>"
                + facts.sorted { $0.key < $1.key }.map { "\(escape($0.key)): \($0.value)" }
                .joined(separator: " · ") + "</p>\n"
        }
        html += "<table><tr><th>feature</th><th>group</th><th>statistic</th><th>value</th><th>threshold</th>"
        html += "<th>training mean</th><th>recent mean</th><th></th></tr>\n"
        for drift in (scores.map { [$0] } ?? []) + features {
            html += "<tr\(drift.drifted ? " class=\"drifted\"" : "")><td>\(escape(drift.name))</td>"
            html += "<td>\(escape(drift.group))</td><td>\(escape(drift.statistic))</td>"
            html += "<td>\(number(drift.value))</td><td>\(number(drift.threshold))</td>"
            html += "<td>\(drift.trainingMean.map(number) ?? "")</td><td>\(drift.recentMean.map(number) ?? "")</td>"
            html += "<td>\(drift.drifted ? "drifted" : "ok")</td></tr>\n"
        }
        html += "</table>\n"
        let plotted = ((scores.map { [$0] } ?? []) + features).filter { $0.drifted && !$0.bins.isEmpty }
        if !plotted.isEmpty {
            html += "<h2>Drifted features</h2>\n<p class=\"key\"><span style=\"background:#8aa\"></span> training "
            html +=
                "<span style=\"background:#d55\"></span> recent (share of rows per bin)</p>\n<div class=\"plots\">\n"
            for drift in plotted { html += plot(drift) }
            html += "</div>\n"
        }
        return html + "</body></html>\n"
    }

    /// One feature's bars: at most 12 bins (categories: the largest by either share).
    private func plot(_ drift: FeatureDrift) -> String {
        var bins = drift.bins
        if bins.count > 12 {
            bins = Array(bins.sorted { max($0.training, $0.recent) > max($1.training, $1.recent) }.prefix(12))
        }
        let (width, height, left, bottom) = (400.0, 190.0, 48.0, 70.0)
        let top = max(bins.map { max($0.training, $0.recent) }.max() ?? 0, 1e-9)
        let slot = (width - left) / Double(max(bins.count, 1))
        var svg = "<figure><figcaption>\(escape(drift.name)): \(escape(drift.statistic)) \(number(drift.value))"
        svg += " (threshold \(number(drift.threshold)))</figcaption>\n"
        svg += "<svg width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\">\n"
        for (index, bin) in bins.enumerated() {
            let x = left + Double(index) * slot
            for (offset, share, color) in [(0.1, bin.training, "#8aa"), (0.5, bin.recent, "#d55")] {
                let barHeight = (height - bottom - 10) * share / top
                svg += "<rect x=\"\(number(x + slot * offset))\" y=\"\(number(height - bottom - barHeight))\" "
                svg += "width=\"\(number(slot * 0.4))\" height=\"\(number(barHeight))\" fill=\"\(color)\">"
                svg += "<title>\(escape(bin.label)): \(percent(share))</title></rect>\n"
            }
            let labelX = number(x + slot / 2)
            let labelY = number(height - bottom + 6)
            svg += "<text x=\"\(labelX)\" y=\"\(labelY)\" font-size=\"10\" text-anchor=\"end\" "
            svg += "transform=\"rotate(-45 \(labelX) \(labelY))\">\(escape(String(bin.label.prefix(18))))</text>\n"
        }
        return svg + "</svg></figure>\n"
    }

    private func number(_ value: Double) -> String {
        value.isFinite ? String(format: "%.4g", value) : "\(value)"
    }

    private func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
