import ArgumentParser
import Foundation
import Testing

@testable import behave

@Suite("behave anomalies")
struct AnomaliesCommandTests {
    @Test(
        "flags that cannot work say what to do",
        arguments: [
            (["anomalies", "--out", "s.csv"], "Give --data FILE (a table) or --store FILE"),
            (
                ["anomalies", "--data", "a.csv", "--out", "s.csv", "--model", "lof"],
                "The value 'lof' is invalid for '--model <model>'"
            ),
            (
                ["anomalies", "--data", "a.csv", "--out", "s.csv", "--contamination", "0.6"],
                "--contamination 0.6: must be a share above 0 and at most 0.5."
            ),
            (
                ["anomalies", "--data", "a.csv", "--out", "s.csv", "--false-positive-rate", "0.01"],
                "--false-positive-rate needs --fit (rows taken as normal); without it use --contamination."
            ),
            (
                [
                    "anomalies", "--data", "a.csv", "--fit", "b.csv", "--out", "s.csv", "--contamination", "0.1",
                    "--false-positive-rate", "0.01",
                ],
                "Give --contamination or --false-positive-rate, not both."
            ),
            (
                ["anomalies", "--data", "a.csv", "--out", "s.csv", "--trees", "0"],
                "--trees 0: must be between 1 and 100000."
            ),
            (
                ["anomalies", "--data", "a.csv", "--out", "s.csv", "--model", "vae", "--latent-size", "0"],
                "--latent-size 0: must be between 1 and 1048576."
            ),
            (
                ["anomalies", "--data", "a.csv", "--out", "s.csv", "--hidden-layers", "64,x"],
                "--hidden-layers 64,x: write widths separated by commas, like 64,32."
            ),
            (["anomalies", "--data", "a.csv", "--out", "s.csv", "--kind", "x"], "--kind x: write name=kind"),
        ])
    func badFlags(arguments: [String], message: String) {
        let failure = parseFailure(arguments)
        #expect(failure?.hasPrefix(message) == true, "\(arguments): \(failure ?? "parsed")")
    }

    @Test("scores a table from the command line, fitting on another")
    func endToEnd() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "behave-anom-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var reference = ["amount,items,label"]
        // Spread out, so that a row beyond every reference row is isolated sooner than any of them.
        for row in 0..<200 { reference.append("\(10 + (row * 37) % 101),\(1 + (row * 11) % 17),0") }
        let fit = directory.appendingPathComponent("normal.csv").path
        try (reference.joined(separator: "\n") + "\n").write(toFile: fit, atomically: true, encoding: .utf8)
        let data = directory.appendingPathComponent("today.csv").path
        try "amount,items,label\n12,2,0\n900,40,1\n".write(toFile: data, atomically: true, encoding: .utf8)
        let out = directory.appendingPathComponent("scored.csv").path
        try AnomaliesCommand.parse(["--data", data, "--fit", fit, "--kind", "label=ignored", "--out", out, "--json"])
            .run()
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 3 && lines[0] == "amount,items,label,anomaly_score,flag,reasons,error")
        #expect(lines[1].split(separator: ",")[4] == "0")
        #expect(lines[2].split(separator: ",")[4] == "1" && lines[2].contains("amount"), "\(lines[2])")
    }
}
