import Embeddings
import EventData
import Foundation

/// Anomaly scores for the users of an event store: any detector over their behaviour features,
/// or the rate rule over their events.
///
/// ```swift
/// let table = try UserAnomalies.table(from: store)
/// let result = try UserAnomalies.score(table, config: AnomalyConfig(method: .isolationForest), threshold: .contamination(0.01))
/// for (user, flagged) in zip(table.userIDs, result.flags) where flagged { print(user) }
/// ```
public enum UserAnomalies {
    /// The column the rate rule reads: a user's most events within any 60 seconds.
    public static let peakColumn = "peak_events_per_minute"

    /// The scores of a table's users, the cut and which are flagged.
    public struct Result: Sendable {
        public var scores: [Double]
        public var flags: [Bool]
        /// For flagged users, the columns that contribute most (empty for others).
        public var reasons: [[AnomalyReason]]
        public var cut: Double
    }

    /// The behaviour features of every user with events up to `at` (all events when nil): the
    /// columns of ``UserFeatureExtractor`` with shares of the 20 most frequent categories, the time
    /// profile folded into dayparts (``FeatureTable/foldingTimeProfile()``), then
    /// ``peakColumn``.
    public static func table(from store: any EventStore, at: Int64? = nil) throws -> FeatureTable {
        var table = try UserFeatureExtractor.table(from: store, referenceTime: at, topCategories: 20)
            .foldingTimeProfile()
        var peaks: [String: Int] = [:]
        try store.forEachUserHistory { history in
            let events = at.map { limit in history.events.filter { $0.timestamp <= limit } } ?? history.events
            peaks[history.userID] = BotFilter.peakEventsPerMinute(events)
        }
        table.columns.append(peakColumn)
        for (row, user) in table.userIDs.enumerated() { table.rows[row].append(Double(peaks[user] ?? 0)) }
        return table
    }

    /// Scores every row of `table` (users, or sessions from ``SessionTable``; fitted on all of
    /// them: labels are never needed) and flags those past the threshold (a false-positive rate
    /// counts the table's own rows as the reference). The rate rule reads ``peakColumn``.
    ///
    /// - Throws: ``UnsupervisedError`` for bad settings, too few users, or a diverged autoencoder.
    public static func score(
        _ table: FeatureTable, config: AnomalyConfig, threshold: AnomalyThreshold
    ) throws(UnsupervisedError) -> Result {
        do {
            try threshold.validate()
        } catch {
            throw .invalidParameter(error)
        }
        if config.method == .rate {
            guard let column = table.columns.firstIndex(of: peakColumn) else {
                throw .badData(path: "", detail: "the rate rule needs the column \(peakColumn)")
            }
            let scores = table.rows.map { $0[column] }
            let cut = threshold.cut(scores: scores, reference: scores.sorted())
            let flags = scores.map { $0 >= cut }
            return Result(
                scores: scores, flags: flags,
                reasons: flags.map { $0 ? [AnomalyReason(column: peakColumn, share: 1)] : [] }, cut: cut)
        }
        let encoder: TableEncoder
        do {
            encoder = try TableEncoder.fitNumeric(names: table.columns, rows: table.rows)
        } catch {
            throw .badData(path: "", detail: error.localizedDescription)
        }
        let features = encoder.encode(numberRows: table.rows)
        let detector = try AnomalyDetector.fit(features: features, encoder: encoder, config: config)
        let scores = detector.scores(of: features)
        let cut = threshold.cut(scores: scores, reference: detector.referenceScores)
        let flags = scores.map { $0 >= cut }
        let width = encoder.width
        let reasons = flags.enumerated().map { row, flagged in
            flagged ? detector.reasons(of: Array(features[(row * width)..<((row + 1) * width)])) : []
        }
        return Result(scores: scores, flags: flags, reasons: reasons, cut: cut)
    }
}
