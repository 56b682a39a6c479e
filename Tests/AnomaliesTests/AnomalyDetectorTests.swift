import Anomalies
import Embeddings
import EventData
import Foundation
import Randomness
import Settings
import Testing

/// A table of ordinary orders (amount, hour, country) with a few odd ones at the end.
private func ordersCSV(rows: Int = 400, odd: Int = 4, seed: UInt64 = 1) -> String {
    var rng = RandomGenerator(seed: seed)
    var lines = ["order,amount,hour,country"]
    for row in 0..<rows {
        let amount = 20 + 10 * Double(rng.nextNormal())
        let hour = 9 + rng.nextInt(below: 12)
        lines.append("o\(row),\(String(format: "%.2f", amount)),\(hour),\(["FR", "DE"][row % 2])")
    }
    for row in 0..<odd { lines.append("x\(row),\(400 + row),\(10 + row),FR") }
    return lines.joined(separator: "\n") + "\n"
}

private func scratchFile(_ name: String, _ contents: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("anomalies-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent(name).path
    try contents.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Suite("Anomaly thresholds, reasons and table scoring")
struct AnomalyDetectorTests {
    @Test("contamination flags that share of the scored rows; a false-positive rate cuts the reference")
    func thresholds() {
        let scores = (1...20).map(Double.init)
        #expect(AnomalyThreshold.contamination(0.1).cut(scores: scores, reference: []) == 19)
        #expect(AnomalyThreshold.contamination(0.01).cut(scores: scores, reference: []) == 20, "at least one row")
        let reference = (1...100).map(Double.init)
        let cut = AnomalyThreshold.falsePositiveRate(0.05).cut(scores: [], reference: reference)
        #expect(reference.filter { $0 >= cut }.count == 5)
        #expect(throws: InvalidParameter("contamination", value: 0.7, allowed: "a share above 0 and at most 0.5")) {
            try AnomalyThreshold.contamination(0.7).validate()
        }
    }

    @Test(
        "the odd rows are flagged, with the column that makes them odd among the reasons (first for the forest)",
        arguments: [AnomalyMethod.isolationForest, .deepIsolationForest, .autoencoder, .variational])
    func flagsWithReasons(method: AnomalyMethod) throws {
        let input = try scratchFile("orders.csv", ordersCSV())
        defer { try? FileManager.default.removeItem(atPath: (input as NSString).deletingLastPathComponent) }
        let reference = try ReferenceTable.read(path: input)
        #expect(reference.profiles.first { $0.name == "order" }?.kind == .ignored, "ids are not features")
        var config = AnomalyConfig(method: method, seed: 3)
        config.autoencoder.epochs = 40
        let detector = try AnomalyDetector.fit(features: reference.features, encoder: reference.encoder, config: config)
        let output = input + ".scored.csv"
        let summary = try detector.score(file: input, to: output, threshold: .contamination(0.01))
        #expect(summary.scored == 404 && summary.failed == 0 && summary.flagged == 4)
        #expect(summary.unusedColumns == ["order"])
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines[0] == "order,amount,hour,country,anomaly_score,flag,reasons,error")
        let flagged = lines.dropFirst().filter { $0.split(separator: ",", omittingEmptySubsequences: false)[5] == "1" }
        #expect(flagged.allSatisfy { $0.hasPrefix("x") }, "\(flagged)")
        // An autoencoder spreads a row's error over the columns it reconstructs from each other.
        let reasons = flagged.map { String($0.split(separator: ",")[6]) }
        #expect(
            reasons.allSatisfy { method == .isolationForest ? $0.hasPrefix("amount ") : $0.contains("amount ") },
            "\(reasons)")
    }

    @Test("rows that cannot be scored keep their place with the reason; missing columns are named")
    func badRows() throws {
        let reference = try scratchFile("ref.csv", ordersCSV(rows: 100, odd: 0))
        defer { try? FileManager.default.removeItem(atPath: (reference as NSString).deletingLastPathComponent) }
        let fitted = try ReferenceTable.read(path: reference)
        let detector = try AnomalyDetector.fit(
            features: fitted.features, encoder: fitted.encoder, config: AnomalyConfig(seed: 1))
        let input = reference + ".new.csv"
        try "order,amount,hour,country\na,12.5,10,FR\nb,lots,10,DE\nc,13,11\n".write(
            toFile: input, atomically: true, encoding: .utf8)
        let summary = try detector.score(file: input, to: input + ".out", threshold: .falsePositiveRate(0.01))
        #expect(summary.scored == 1 && summary.failed == 2)
        let lines = try String(contentsOfFile: input + ".out", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[2].contains("'lots'") && lines[2].hasPrefix("b,lots,10,DE,,,,"))
        #expect(lines[3] == ",,,,,,,\"line 4: expected 4 columns, found 3\"")
        try "order,amount\na,1\n".write(toFile: input, atomically: true, encoding: .utf8)
        #expect {
            try detector.score(file: input, to: input + ".out", threshold: .contamination(0.1))
        } throws: { error in
            (error as? UnsupervisedError)?.localizedDescription.contains("the detector needs 'hour', 'country'") == true
        }
    }
}

@Suite("Reference tables with bad input")
struct ReferenceTableErrorTests {
    @Test("an empty file, an unknown column for --kind and a table of ids only are named")
    func badTables() throws {
        let empty = try scratchFile("empty.csv", "")
        defer { try? FileManager.default.removeItem(atPath: (empty as NSString).deletingLastPathComponent) }
        #expect { try ReferenceTable.read(path: empty) } throws: { error in
            (error as? UnsupervisedError)?.localizedDescription.contains("the file is empty") == true
        }
        let ids = try scratchFile("ids.csv", "id\n" + (0..<30).map { "user\($0)" }.joined(separator: "\n") + "\n")
        defer { try? FileManager.default.removeItem(atPath: (ids as NSString).deletingLastPathComponent) }
        #expect { try ReferenceTable.read(path: ids, overrides: ["amount": .numeric]) } throws: { error in
            (error as? UnsupervisedError)?.localizedDescription.contains("no column 'amount' to set the kind of")
                == true
        }
        #expect { try ReferenceTable.read(path: ids) } throws: { error in
            (error as? UnsupervisedError)?.localizedDescription.contains("no usable column") == true
        }
    }
}
