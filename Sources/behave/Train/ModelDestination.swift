import ArgumentParser
import Foundation
import Serving

/// `--registry DIR --name NAME`: write a trained model as the next version of a model in a
/// registry instead of to `--out`.
struct RegistryOptions: ParsableArguments {
    @Option(help: "A model registry folder: register the model there as the next version of --name (instead of --out).")
    var registry: String?

    @Option(help: "The model's name in --registry (letters, digits, '-', '_', '.').")
    var name: String?

    /// Where to write: `--out` (or `fallback`) or a registry's staging folder.
    func destination(out: String?, fallback: String) throws -> ModelDestination {
        switch (registry, name) {
        case (nil, nil):
            let directory = URL(fileURLWithPath: out ?? fallback)
            try checkOutputDirectory(directory.path, option: "--out")
            return ModelDestination(directory: directory, registry: nil, name: nil)
        case (let registry?, let name?):
            guard out == nil else { throw ValidationError("Give either --out or --registry with --name, not both.") }
            guard ModelRegistry.isValidName(name) else {
                throw ValidationError(
                    "--name \(name): use 1 to 64 letters, digits, '-', '_' or '.', not starting with '.'.")
            }
            return ModelDestination(
                directory: nil, registry: ModelRegistry(root: URL(fileURLWithPath: registry)), name: name)
        default:
            throw ValidationError("--registry and --name go together: --registry DIR --name NAME.")
        }
    }
}

/// Where a trained model is written, and how it is finished there.
struct ModelDestination {
    /// The model directory (`--out`), or nil for a registry.
    let directory: URL?
    let registry: ModelRegistry?
    let name: String?

    /// Runs `write` with the folder to write into: `--out`, or in a registry a staging folder
    /// that is then registered as the next version (and removed when `write` fails). Returns
    /// where the model went, for the closing message.
    func write(_ write: (URL) throws -> Void) throws -> String {
        guard let registry, let name else {
            guard let directory else { preconditionFailure("ModelDestination: neither --out nor --registry") }
            try write(directory)
            return directory.path
        }
        let staging = try registry.stagingDirectory(for: name)
        do {
            try write(staging)
            let version = try registry.register(staged: staging, as: name)
            let live =
                try registry.entry(name).live == version
                ? ", live"
                : "; `behave models promote \(name) \(version) --registry \(registry.root.path)` makes it live"
            return "\(registry.root.path) as \(name) version \(version)\(live)"
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
    }
}
