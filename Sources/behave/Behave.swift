import ArgumentParser

/// The `behave` command-line tool: the root holds configuration only.
@main
struct Behave: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "behave",
        abstract: "Deep learning on user-behaviour data.",
        version: "0.1.0",
        subcommands: [Demo.self]
    )
}
