import ArgumentParser
import Foundation
import Serving

extension APIScope: ExpressibleByArgument {}

/// `behave keys`: API keys for `behave serve` (`add`, `revoke`, `list`).
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Add, revoke and list the API keys a server accepts.",
        discussion: """
            Keys live in a file of salted SHA-256 hashes (mode 0600): a key is shown once, when \
            it is added, and cannot be read back. Scopes: score (recommend and score), ingest \
            (send events), admin (everything). Clients send `Authorization: Bearer KEY`.

            Examples:
              behave keys add --file keys.json --scope score --label "web shop"
              behave keys list --file keys.json
              behave keys revoke 1f2e3d4c --file keys.json
            """,
        subcommands: [KeysAdd.self, KeysRevoke.self, KeysList.self]
    )
}

/// `--file F`, shared by the `keys` subcommands.
struct KeyFileLocation: ParsableArguments {
    @Option(help: "The key file (created by the first `keys add`).")
    var file: String

    var keys: APIKeyFile { APIKeyFile(url: URL(fileURLWithPath: file)) }
}

/// `behave keys add`.
struct KeysAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a key and print it (the only time it is shown).")

    @OptionGroup var location: KeyFileLocation

    @Option(
        parsing: .upToNextOption,
        help: "What the key may do: score, ingest and/or admin (space or comma separated).")
    var scope: [String] = []

    @Option(help: "A note on who holds the key.")
    var label = ""

    /// The scopes given, each checked.
    func scopes() throws -> [APIScope] {
        let words = scope.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        guard !words.isEmpty else { throw ValidationError("--scope is required: score, ingest and/or admin.") }
        return try words.map { word in
            guard let scope = APIScope(rawValue: word) else {
                throw ValidationError("--scope \(word): use score, ingest or admin.")
            }
            return scope
        }
    }

    func validate() throws { _ = try scopes() }

    func run() throws {
        let added = try location.keys.add(scopes: try scopes(), label: label)
        note(
            "Added key \(added.id) (\(added.entry.scopes.map(\.rawValue).joined(separator: ", "))) to \(location.file). "
                + "Store it now; it cannot be shown again.")
        say(added.key)
    }
}

/// `behave keys revoke`.
struct KeysRevoke: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a key by its id.")

    @Argument(help: "The key's id (the 8 hex digits after bk_, as `keys list` shows).")
    var id: String

    @OptionGroup var location: KeyFileLocation

    func run() throws {
        let entry = try location.keys.revoke(id: id)
        say("Revoked key \(entry.id)\(entry.label.isEmpty ? "" : " (\(entry.label))").")
    }
}

/// `behave keys list`.
struct KeysList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "The keys' ids, scopes, labels and dates (never the keys).")

    @OptionGroup var location: KeyFileLocation

    func run() throws {
        let entries = try location.keys.load().entries
        guard !entries.isEmpty else {
            say("No keys in \(location.file) yet; `behave keys add --file \(location.file) --scope score` adds one.")
            return
        }
        say(
            textTable(
                header: ["id", "scopes", "label", "created", "revoked"],
                rows: entries.map {
                    [$0.id, $0.scopes.map(\.rawValue).joined(separator: ","), $0.label, $0.created, $0.revoked ?? ""]
                }))
    }
}
