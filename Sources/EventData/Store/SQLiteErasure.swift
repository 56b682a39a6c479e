import Foundation
import GRDB

extension SQLiteEventStore {
    public func forget(users: [String]) throws -> Erasure {
        let result = try access {
            try queue.write { db -> Erasure in
                // Deleted content is overwritten with zeros, not left in free pages, so nothing of
                // the users can be read back from the file.
                try db.execute(sql: "PRAGMA secure_delete = ON")
                defer { try? db.execute(sql: "PRAGMA secure_delete = OFF") }
                var erasure = Erasure(
                    at: ISO8601DateFormatter().string(from: Date()), users: 0, events: 0, attributes: 0, vectors: 0,
                    rejects: 0)
                for external in Set(users).sorted() {
                    try db.execute(sql: "DELETE FROM user_attribute WHERE external = ?", arguments: [external])
                    erasure.attributes += db.changesCount
                    try db.execute(sql: "DELETE FROM user_vector WHERE external = ?", arguments: [external])
                    erasure.vectors += db.changesCount
                    let candidates = try Row.fetchAll(
                        db, sql: "SELECT id, raw FROM reject WHERE instr(raw, ?) > 0", arguments: [external])
                    for row in candidates where Erasure.rawText(row["raw"], mentions: external) {
                        try db.execute(sql: "DELETE FROM reject WHERE id = ?", arguments: [row["id"] as Int64])
                        erasure.rejects += 1
                    }
                    guard
                        let id = try Int64.fetchOne(
                            db, sql: "SELECT id FROM user WHERE external = ?", arguments: [external])
                    else { continue }
                    if let span = try Row.fetchOne(
                        db, sql: "SELECT min(ts) AS first, max(ts) AS last FROM event WHERE user_id = ?",
                        arguments: [id]),
                        let first = span["first"] as Int64?, let last = span["last"] as Int64?
                    {
                        erasure.firstEvent = min(erasure.firstEvent ?? first, first)
                        erasure.lastEvent = max(erasure.lastEvent ?? last, last)
                    }
                    try db.execute(sql: "DELETE FROM event WHERE user_id = ?", arguments: [id])
                    erasure.events += db.changesCount
                    try db.execute(
                        sql: "UPDATE user SET external = ? WHERE id = ?", arguments: [Erasure.placeholder(), id])
                    erasure.users += 1
                }
                try db.execute(
                    sql: """
                        INSERT INTO erasure (at, users, events, attributes, vectors, rejects)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        erasure.at, erasure.users, erasure.events, erasure.attributes, erasure.vectors, erasure.rejects,
                    ])
                return erasure
            }
        }
        // The renamed entries: the next read takes the dictionary afresh.
        dictionaries.clear()
        // Copy the zeroed pages from the write-ahead log into the file and empty the log, so
        // neither holds an older copy of the deleted rows.
        try access { try queue.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) } }
        return result
    }

    public func erasures() throws -> [Erasure] {
        try access {
            try queue.read { db in
                guard try db.tableExists("erasure") else { return [] }
                return try Row.fetchAll(
                    db, sql: "SELECT at, users, events, attributes, vectors, rejects FROM erasure ORDER BY id"
                ).map { row in
                    Erasure(
                        at: row["at"], users: row["users"], events: row["events"], attributes: row["attributes"],
                        vectors: row["vectors"], rejects: row["rejects"])
                }
            }
        }
    }
}
