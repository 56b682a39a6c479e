import Foundation
import Testing

/// The PostgreSQL server tests may use: `make test` starts a throwaway cluster on loopback and
/// names it in `BEHAVIORKIT_TEST_POSTGRES_URL` (`postgres://USER@127.0.0.1:PORT/DB`); without it
/// the suites that need it are reported as skipped.
public enum TestPostgres {
    /// The server's URL, or nil when there is none.
    public static let url = ProcessInfo.processInfo.environment["BEHAVIORKIT_TEST_POSTGRES_URL"].flatMap {
        $0.isEmpty ? nil : $0
    }

    /// Why a suite that needs the server did not run.
    public static let skipped: Comment =
        "PostgreSQL tests SKIPPED: no server; `make test` starts one (or set BEHAVIORKIT_TEST_POSTGRES_URL)"

    /// The URL of a schema of its own (created on first use), so tests running side by side
    /// do not meet; nil without a server.
    public static func freshURL() -> String? {
        url.map { $0 + "?schema=test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") }
    }
}
