import EventData
import Foundation

/// Where a PostgreSQL event store lives, from a URL:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME&sslmode=disable]`
/// (`postgresql://` works too).
///
/// `schema` (default `public`) holds the store's tables, so several stores can share one
/// database. Connections are not encrypted: use the store on loopback or a private network
/// (`sslmode` other than `disable` is refused rather than silently ignored).
public struct PostgresLocation: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var schema: String

    /// Whether `text` names a PostgreSQL store (rather than an SQLite file path).
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses a store URL.
    ///
    /// - Throws: ``EventDataError/store(path:detail:)`` naming what is wrong and the expected form.
    public init(url text: String) throws {
        let form = "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]"
        func bad(_ detail: String) -> EventDataError {
            .store(path: Self.redacted(text), detail: "\(detail); write the store as \(form)")
        }
        guard Self.isURL(text), let components = URLComponents(string: text) else {
            throw bad("is not a PostgreSQL URL")
        }
        guard let host = components.host, !host.isEmpty else { throw bad("names no host") }
        guard let user = components.user, !user.isEmpty else { throw bad("names no user") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw bad("names no database (the path after the host)")
        }
        self.host = host
        port = components.port ?? 5432
        self.user = user
        password = components.password
        self.database = database
        schema = "public"
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "schema":
                guard Self.isPlainName(value) else {
                    throw bad(
                        "schema \(value.debugDescription) is not a plain name (lower-case letters, digits and _, "
                            + "not starting with a digit)")
                }
                schema = value
            case "sslmode":
                guard value == "disable" else {
                    throw bad(
                        "sslmode=\(value) is not supported (connections are not encrypted); use the store on "
                            + "loopback or a private network with sslmode=disable")
                }
            default:
                throw bad("has the unknown parameter \(item.name.debugDescription) (known: schema, sslmode)")
            }
        }
    }

    /// The URL without the password, for messages and the store's ``EventStore/location``.
    public var description: String {
        let query = schema == "public" ? "" : "?schema=\(schema)"
        return "postgres://\(user)@\(host):\(port)/\(database)\(query)"
    }

    /// `text` with any password replaced by `***`.
    static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? text
    }

    /// Lower-case letters, digits and underscores, not starting with a digit: safe to quote
    /// into SQL as an identifier.
    static func isPlainName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first), name.utf8.count <= 63 else {
            return false
        }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
