import EventData
import PostgresNIO

/// PostgreSQL and connection errors as the store's ``EventDataError``, in plain words with the fix.
enum PostgresErrors {
    static func storeError(_ error: any Error, address: PostgresLocation) -> any Error {
        if error is EventDataError { return error }
        let location = address.description
        if let damaged = error as? DamagedStore {
            return EventDataError.store(
                path: location,
                detail: "\(damaged.detail): the store is damaged; ingest the sources again into a new one")
        }
        guard let error = error as? PSQLError else {
            return EventDataError.store(path: location, detail: "\(error)")
        }
        if let info = error.serverInfo {
            let message = info[.message] ?? "unknown error"
            let detail: String
            switch info[.sqlState] ?? "" {
            case "28P01", "28000":
                detail =
                    "refused the login of user \(address.user) (\(message)); check the user and password in the URL "
                    + "and the server's pg_hba.conf"
            case "3D000":
                detail =
                    "has no database \(address.database); create it (`createdb \(address.database)`) or name another"
            case "42501":
                detail = "denied access (\(message)); grant the user the rights it needs on schema \(address.schema)"
            case "53100":
                detail = "the database server's disk is full (\(message)); free some space"
            case "57P01", "57P02", "57P03":
                detail = "the server is shutting down or starting (\(message)); retry when it is up"
            default:
                let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                let extra = info[.detail].map { ": \($0)" } ?? ""
                detail = "PostgreSQL error\(state): \(message)\(extra)"
            }
            return EventDataError.store(path: location, detail: detail)
        }
        switch error.code {
        case .connectionError:
            let cause = error.underlying.map { " (\($0))" } ?? ""
            return EventDataError.store(
                path: location,
                detail: "cannot connect to \(address.host):\(address.port)\(cause); is PostgreSQL running and "
                    + "listening there?")
        case .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
            return EventDataError.store(
                path: location, detail: "the connection to the server was lost (\(error.code)); retry the command")
        case .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError:
            return EventDataError.store(
                path: location,
                detail: "cannot log in as \(address.user) (\(error.code)); give the password in the URL "
                    + "(postgres://USER:PASSWORD@HOST/DB)")
        default:
            return EventDataError.store(path: location, detail: "PostgreSQL client error: \(error.code)")
        }
    }
}

/// Stored rows the store cannot have written: the tables were changed by hand or damaged.
struct DamagedStore: Error {
    let detail: String
}
