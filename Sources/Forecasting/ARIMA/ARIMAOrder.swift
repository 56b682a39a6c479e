import Settings

/// The orders of a seasonal ARIMA model, ARIMA(p, d, q)(P, D, Q)_s.
///
/// ```
/// φ(B) Φ(B^s) (1 - B)^d (1 - B^s)^D (y_t - trend) = θ(B) Θ(B^s) ε_t,   ε_t ~ N(0, σ²)
/// ```
///
/// `p`/`q` are the non-seasonal AR/MA orders, `seasonalP`/`seasonalQ` the seasonal ones (in
/// powers of `B^s`), `d`/`seasonalD` the numbers of regular and seasonal differences and
/// `period` the season length `s` (1 for a series without seasons).
///
/// ```swift
/// let airline = ARIMAOrder(p: 0, d: 1, q: 1, seasonalP: 0, seasonalD: 1, seasonalQ: 1, period: 12)
/// airline.description    // "ARIMA(0,1,1)(0,1,1)[12]"
/// ```
public struct ARIMAOrder: Codable, Sendable, Hashable, CustomStringConvertible {
    /// Non-seasonal autoregressive order (key `p`).
    public var p: Int
    /// Regular differences (key `d`).
    public var d: Int
    /// Non-seasonal moving-average order (key `q`).
    public var q: Int
    /// Seasonal autoregressive order, in lags of `period` (key `seasonal-p`).
    public var seasonalP: Int
    /// Seasonal differences at lag `period` (key `seasonal-d`).
    public var seasonalD: Int
    /// Seasonal moving-average order, in lags of `period` (key `seasonal-q`).
    public var seasonalQ: Int
    /// The season length `s` (key `period`); 1 for no seasons.
    public var period: Int

    /// Orders as R writes them; the seasonal ones default to none. ``validate()`` checks them.
    public init(
        p: Int, d: Int, q: Int, seasonalP: Int = 0, seasonalD: Int = 0, seasonalQ: Int = 0, period: Int = 1
    ) {
        self.p = p
        self.d = d
        self.q = q
        self.seasonalP = seasonalP
        self.seasonalD = seasonalD
        self.seasonalQ = seasonalQ
        self.period = period
    }

    /// The largest order any setting accepts; far beyond a useful model, small enough that the
    /// expanded polynomials stay cheap.
    public static let maximumOrder = 30

    /// The largest season length accepted (a daily series with a yearly season).
    public static let maximumPeriod = 400

    /// The AR order of the expanded polynomial `φ(B) Φ(B^s)`: `p + s P`.
    public var expandedAROrder: Int { p + (period > 1 ? period * seasonalP : 0) }

    /// The MA order of the expanded polynomial `θ(B) Θ(B^s)`: `q + s Q`.
    public var expandedMAOrder: Int { q + (period > 1 ? period * seasonalQ : 0) }

    /// The differencing this order applies.
    public var differencing: Differencing {
        Differencing(uncheckedOrder: d, seasonalOrder: period > 1 ? seasonalD : 0, period: period)
    }

    /// Checks every order.
    ///
    /// - Throws: ``InvalidParameter`` naming the first bad key.
    public func validate() throws(InvalidParameter) {
        try InvalidParameter.require("p", p, in: 0...Self.maximumOrder)
        try InvalidParameter.require("d", d, in: 0...2)
        try InvalidParameter.require("q", q, in: 0...Self.maximumOrder)
        try InvalidParameter.require("period", period, in: 1...Self.maximumPeriod)
        try InvalidParameter.require("seasonal-p", seasonalP, in: 0...Self.maximumOrder)
        try InvalidParameter.require("seasonal-d", seasonalD, in: 0...1)
        try InvalidParameter.require("seasonal-q", seasonalQ, in: 0...Self.maximumOrder)
        if period == 1 {
            try InvalidParameter.require(
                seasonalP + seasonalD + seasonalQ == 0, "period", period,
                allowed: "above 1 when a seasonal order (seasonal-p, seasonal-d, seasonal-q) is set")
        }
    }

    public var description: String {
        let regular = "ARIMA(\(p),\(d),\(q))"
        return period > 1 ? regular + "(\(seasonalP),\(seasonalD),\(seasonalQ))[\(period)]" : regular
    }
}
