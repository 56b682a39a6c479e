import ArgumentParser
import Foundation
import Serving

/// `behave models`: the model registry (`list`, `promote`, `rollback`).
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the models of a registry, promote a version, or roll back.",
        discussion: """
            A registry is a folder of models, each NAME/VERSION/ as `behave train --registry DIR \
            --name NAME` writes them (versions 1, 2, 3, ... never reused), and NAME/live.json \
            naming the live version. The first version registered is live; later ones when \
            promoted. A server serves the live version of every model and picks up a promotion \
            or rollback without restarting.

            Examples:
              behave train next-item --registry registry --name shop-recs
              behave models list --registry registry
              behave models promote shop-recs 2 --registry registry
              behave models rollback shop-recs --registry registry
            """,
        subcommands: [ModelsList.self, ModelsPromote.self, ModelsRollback.self]
    )
}

/// `--registry DIR`, shared by the `models` subcommands.
struct RegistryLocation: ParsableArguments {
    @Option(help: "The registry folder.")
    var registry: String

    var models: ModelRegistry { ModelRegistry(root: URL(fileURLWithPath: registry)) }
}

/// `behave models list`.
struct ModelsList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Every model with its versions, task, training time and the live version.")

    @OptionGroup var location: RegistryLocation

    @Flag(help: "Print JSON (with each version's metrics card).")
    var json = false

    struct Listing: Encodable {
        var name: String
        var live: String?
        var history: [String]
        var versions: [Version]

        struct Version: Encodable {
            var version: String
            var task: String?
            var model: String?
            var created: String?
            var live: Bool
            var metrics: RawJSON?
        }
    }

    func run() throws {
        let entries = try location.models.entries()
        let listings = entries.map { entry in
            Listing(
                name: entry.name, live: entry.live, history: entry.history,
                versions: entry.versions.map { version in
                    Listing.Version(
                        version: version.version, task: version.task, model: version.model, created: version.created,
                        live: version.version == entry.live, metrics: version.metrics.flatMap(RawJSON.init(data:)))
                })
        }
        if json {
            try printJSON(listings)
            return
        }
        guard !entries.isEmpty else {
            say(
                "No models in \(location.registry) yet; `behave train ... --registry \(location.registry) --name NAME` adds one."
            )
            return
        }
        var rows: [[String]] = []
        for listing in listings {
            for version in listing.versions {
                let task = version.task ?? "(unreadable)"
                let live = version.live ? "live" : ""
                rows.append([listing.name, version.version, live, task, version.model ?? "", version.created ?? ""])
            }
        }
        say(textTable(header: ["model", "version", "", "task", "kind", "trained"], rows: rows))
    }
}

/// `behave models promote`.
struct ModelsPromote: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote", abstract: "Make a version the live one.")

    @Argument(help: "The model's name.")
    var name: String

    @Argument(help: "The version to make live.")
    var version: String

    @OptionGroup var location: RegistryLocation

    func run() throws {
        let change = try location.models.promote(name, version: version)
        say(
            change.previous == change.live
                ? "\(name) version \(version) was already live."
                : "\(name): version \(change.live) is live (was \(change.previous ?? "none")).")
    }
}

/// `behave models rollback`.
struct ModelsRollback: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback", abstract: "Make the version that was live before the current one live again.")

    @Argument(help: "The model's name.")
    var name: String

    @OptionGroup var location: RegistryLocation

    func run() throws {
        let change = try location.models.rollback(name)
        say("\(name): version \(change.live) is live again (was \(change.previous ?? "none")).")
    }
}

/// Columns padded to their widest cell.
func textTable(header: [String], rows: [[String]]) -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { row in
        row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }.joined(separator: "\n")
}
