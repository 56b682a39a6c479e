import Pseudonyms

/// Another source's events with user ids (and any named columns) replaced by keyed pseudonyms
/// before anything reaches the store (``Pseudonymizer``).
///
/// - A user already stored under a pseudonym of an older key keeps it (pass the store's user
///   ids as `storedUsers`), so a key rotation does not split anyone's history in two; everyone
///   else gets the current key's pseudonym.
/// - `columns` names further fields to pseudonymise: `session` (the session id) or any extra
///   column an event carries in ``Event/properties``. User ids are always pseudonymised. Each
///   extra column must be on the first event, so a misspelt name stops the read before
///   anything is stored instead of leaving the real column in the clear.
/// - A rejected row keeps its line, kind and reason, but not its raw text, which holds the
///   clear id.
///
/// ```swift
/// let pseudonymizer = try PseudonymKeyFile(url: keyURL).load()
/// let source = PseudonymizingSource(reader, pseudonymizer: pseudonymizer, columns: ["email"],
///                                   storedUsers: Set(try store.userIDs().externalIDs))
/// try store.ingest(source)
/// ```
public struct PseudonymizingSource: EventSource {
    public let source: any EventSource
    public let pseudonymizer: Pseudonymizer
    /// Fields pseudonymised besides the user id.
    public let columns: [String]
    /// The store's user ids, among which older keys' pseudonyms are looked for.
    public let storedUsers: Set<String>

    /// What a rejected row's raw text becomes.
    public static let withheld = "(withheld: the row was read with pseudonymisation, and its raw text holds clear ids)"

    public init(
        _ source: any EventSource, pseudonymizer: Pseudonymizer, columns: [String] = [],
        storedUsers: Set<String> = []
    ) {
        self.source = source
        self.pseudonymizer = pseudonymizer
        self.columns = columns
        self.storedUsers = storedUsers
    }

    public var name: String { source.name }

    public var timesAreOrderOnly: Bool { source.timesAreOrderOnly }

    public func forEachRow(_ body: (SourceRow) throws -> Void) throws {
        // Ids repeat on every event of a user: each is worked out once per read.
        var users: [String: String] = [:]
        var checked = false
        try source.forEachRow { row in
            switch row {
            case .event(var event, let line):
                if !checked {
                    try checkColumns(on: event)
                    checked = true
                }
                if let known = users[event.userID] {
                    event.userID = known
                } else {
                    let pseudonym = pseudonymizer.pseudonym(of: event.userID, reusing: storedUsers)
                    users[event.userID] = pseudonym
                    event.userID = pseudonym
                }
                for column in columns {
                    if column == "session" {
                        event.sessionID = event.sessionID.map { pseudonymizer.pseudonym(of: $0) }
                    } else if let value = event.properties[column] {
                        event.properties[column] = pseudonymizer.pseudonym(of: value)
                    }
                }
                try body(.event(event, line: line))
            case .rejected(var rejection):
                rejection.raw = Self.withheld
                try body(.rejected(rejection))
            }
        }
    }

    private func checkColumns(on event: Event) throws {
        for column in columns where column != "session" && event.properties[column] == nil {
            let extra = event.properties.keys.sorted()
            throw EventDataError.invalidOption(
                name: "pseudonymize column '\(column)'",
                detail: "\(source.name) has no such column on its first event ("
                    + (extra.isEmpty
                        ? "it has no extra columns" : "its extra columns: \(extra.joined(separator: ", "))")
                    + "); name a column it has, or `session`")
        }
    }
}
