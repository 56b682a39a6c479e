import Classifiers
import Explanations
import Foundation
import Testing

@Suite("Explaining a table classifier's scores")
struct TableExplanationTests {
    @Test("The columns a planted rule uses carry a row's score, summed per column, within 1% of the change")
    func plantedRules() throws {
        let scratch = try Scratch()
        let table = try LabelledTable.read(path: try scratch.write("s.csv", plantedSessions(rows: 1_200)), label: "buy")
        let classifier = try TableClassifier.train(table: table, config: TableClassifierTests.smallConfig)
        // Line 2 buys by the first rule (long and valuable), line 3 by the second (a new visitor
        // in November), line 4 by neither.
        let rows = try scratch.write(
            "rows.csv",
            """
            duration,value,month,visitor,weekend
            9.5,9.2,May,Returning,FALSE
            1.0,0.8,Nov,New,FALSE
            1.2,0.9,Feb,Returning,TRUE

            """)
        let explanations = try classifier.explain(file: rows, lines: nil, limit: 10)
        #expect(explanations.map(\.line) == [2, 3, 4])
        for explanation in explanations {
            #expect(explanation.relativeGap <= 0.01, "line \(explanation.line): gap \(explanation.relativeGap)")
            let total = explanation.columns.reduce(0.0) { $0 + $1.attribution }
            #expect(
                abs(total - (explanation.probability - explanation.baselineProbability)) <= explanation.completenessGap
                    + 1e-9)
            #expect(explanation.columns.count == 5)
        }
        #expect(explanations[0].probability > 0.8 && explanations[1].probability > 0.8)
        #expect(Set(explanations[0].columns.prefix(2).map(\.column)) == ["duration", "value"])
        #expect(explanations[0].columns.prefix(2).allSatisfy { $0.attribution > 0 })
        #expect(Set(explanations[1].columns.prefix(2).map(\.column)) == ["month", "visitor"])
        #expect(explanations[1].columns.first { $0.column == "visitor" }?.value == "New")

        // One line by number; a line the file does not have is named.
        #expect(try classifier.explain(file: rows, lines: [3]).map(\.line) == [3])
        #expect(throws: ClassifierError.self) { try classifier.explain(file: rows, lines: [9]) }
    }

    @Test("Integrated gradients rank the columns as exact Shapley values do (faithfulness on a small table)")
    func agreesWithShapley() throws {
        let scratch = try Scratch()
        let table = try LabelledTable.read(path: try scratch.write("s.csv", plantedSessions(rows: 1_200)), label: "buy")
        let classifier = try TableClassifier.train(table: table, config: TableClassifierTests.smallConfig)
        let rows = try scratch.write("rows.csv", plantedSessions(rows: 200, seed: 11))
        let gradients = try classifier.explain(file: rows, lines: nil, limit: 200)
        let shapley = try classifier.explain(file: rows, lines: nil, limit: 200, method: .exactShapley)
        #expect(gradients.count == 200 && shapley.count == 200)
        var sameTop = 0
        var correlations: [Double] = []
        for (ig, exact) in zip(gradients, shapley) {
            #expect(exact.relativeGap < 1e-4 && exact.steps == 32)
            if ig.columns[0].column == exact.columns[0].column { sameTop += 1 }
            let order = exact.columns.map(\.column)
            let igRanks = Dictionary(uniqueKeysWithValues: ig.columns.enumerated().map { ($1.column, Double($0)) })
            // Spearman's rank correlation of |attribution| (no ties among five columns).
            let squares = order.enumerated().reduce(0.0) { sum, entry in
                let difference = Double(entry.offset) - (igRanks[entry.element] ?? 0)
                return sum + difference * difference
            }
            correlations.append(1 - 6 * squares / Double(5 * (25 - 1)))
        }
        let meanCorrelation = correlations.reduce(0, +) / Double(correlations.count)
        print(
            "integrated gradients against exact Shapley values, 200 rows: top column agrees on \(sameTop), "
                + "mean Spearman \(meanCorrelation)")
        #expect(sameTop >= 150, "top column agrees on \(sameTop) of 200 rows")
        #expect(meanCorrelation >= 0.75, "mean Spearman \(meanCorrelation)")
    }
}
