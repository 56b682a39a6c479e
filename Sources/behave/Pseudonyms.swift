import ArgumentParser
import Foundation
import Pseudonyms

/// `behave pseudonyms`: the key files `behave ingest --pseudonymize` uses.
struct PseudonymsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pseudonyms",
        abstract: "Create, rotate and list pseudonym keys, and look up a user's pseudonyms.",
        discussion: """
            A pseudonym is HMAC-SHA256(key, id), its first 128 bits in hex behind the key's id \
            (k1-3b0c...). The key file (mode 0600) is the only way from an id to its pseudonym: keep it \
            apart from the store and its backups. Rotating adds a key for users first seen from then on; \
            users already stored under an older key keep their pseudonym, which `of` still finds.

            Examples:
              behave pseudonyms create --key-file shop.key
              behave ingest shop.csv --store shop.db --pseudonymize shop.key
              behave pseudonyms of alice@example.com --key-file shop.key
              behave pseudonyms rotate --key-file shop.key
            """,
        subcommands: [PseudonymsCreate.self, PseudonymsRotate.self, PseudonymsList.self, PseudonymsOf.self]
    )
}

/// `--key-file F`, shared by the `pseudonyms` subcommands.
struct PseudonymKeyLocation: ParsableArguments {
    @Option(help: "The pseudonym key file.")
    var keyFile: String

    var file: PseudonymKeyFile { PseudonymKeyFile(url: URL(fileURLWithPath: keyFile)) }
}

/// `behave pseudonyms create`.
struct PseudonymsCreate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Make a new key file with one key (refuses to overwrite one).")

    @OptionGroup var location: PseudonymKeyLocation

    func run() throws {
        let key = try location.file.create()
        say(
            "Created \(location.keyFile) with key \(key.id). Keep it apart from the store: without it no id maps to a pseudonym."
        )
    }
}

/// `behave pseudonyms rotate`.
struct PseudonymsRotate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate", abstract: "Add a new key and make it the current one; older keys stay.")

    @OptionGroup var location: PseudonymKeyLocation

    func run() throws {
        let key = try location.file.rotate()
        say("Key \(key.id) is now current in \(location.keyFile); users already stored keep their pseudonyms.")
    }
}

/// `behave pseudonyms list`.
struct PseudonymsList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the keys (ids and dates; secrets are never shown).")

    @OptionGroup var location: PseudonymKeyLocation

    @Flag(help: "Print JSON instead of text.")
    var json = false

    struct Listed: Encodable {
        var id: String
        var created: String
        var current: Bool
    }

    func run() throws {
        let (keys, current) = try location.file.keys()
        let listed = keys.map { Listed(id: $0.id, created: $0.created, current: $0.id == current) }
        if json { return try printJSON(listed) }
        for key in listed { say("\(key.id)  \(key.created)\(key.current ? "  current" : "")") }
    }
}

/// `behave pseudonyms of`.
struct PseudonymsOf: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "of",
        abstract: "Print each id's pseudonym under every key, the current key's first.",
        discussion: "What to look for in a pseudonymised store, for instance to answer a user's access request.")

    @Argument(help: "User ids in the clear.")
    var ids: [String]

    @OptionGroup var location: PseudonymKeyLocation

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let pseudonymizer = try location.file.load()
        let found = ids.map { (id: $0, pseudonyms: pseudonymizer.pseudonyms(of: $0)) }
        if json { return try printJSON(Dictionary(found.map { ($0.id, $0.pseudonyms) }) { first, _ in first }) }
        for (id, pseudonyms) in found { say("\(id)  \(pseudonyms.joined(separator: "  "))") }
    }
}
