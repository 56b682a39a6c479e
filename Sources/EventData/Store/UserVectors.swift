import Foundation
import GRDB

extension SQLiteEventStore {
    public func storeUserVectors(_ vectors: [String: [Float]], name: String) throws {
        try access {
            try queue.write { db in
                try db.execute(sql: "DELETE FROM user_vector WHERE name = ?", arguments: [name])
                let insert = try db.cachedStatement(
                    sql: "INSERT INTO user_vector (name, external, vector) VALUES (?, ?, ?)")
                for user in vectors.keys.sorted() {
                    let bytes = (vectors[user] ?? []).withUnsafeBufferPointer { buffer in
                        Data(buffer.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
                    }
                    try insert.execute(arguments: [name, user, bytes])
                }
            }
        }
    }

    /// The names of the stored vector sets, sorted.
    public func userVectorSetNames() throws -> [String] {
        try access {
            try queue.read { db in
                try String.fetchAll(db, sql: "SELECT DISTINCT name FROM user_vector ORDER BY name")
            }
        }
    }

    public func userVectors(name: String) throws -> [String: [Float]] {
        try access {
            try queue.read { db in
                var result: [String: [Float]] = [:]
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT external, vector FROM user_vector WHERE name = ?", arguments: [name])
                while let row = try rows.next() {
                    let bytes: Data = row[1]
                    guard bytes.count % 4 == 0 else {
                        throw EventDataError.store(
                            path: location,
                            detail: "user vector set '\(name)' holds a vector of \(bytes.count) bytes, not float32 "
                                + "values; write the set again")
                    }
                    let values = stride(from: 0, to: bytes.count, by: 4).map { offset in
                        let word = bytes[(bytes.startIndex + offset)..<(bytes.startIndex + offset + 4)]
                            .enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
                        return Float(bitPattern: word)
                    }
                    result[row[0]] = values
                }
                return result
            }
        }
    }
}
