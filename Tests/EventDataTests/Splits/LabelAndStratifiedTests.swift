import Randomness
import TensorEngine
import Testing

@testable import EventData

@Suite("Window labels")
struct WindowLabelTests {
    private let day: Int64 = 86_400_000

    @Test("an event exactly at the cut-off is input; one exactly at cut-off + window is in the window")
    func boundaries() throws {
        // Given cut-off 1000, window 7 days: the window is (1000, 1000 + 7 days]
        let cutoff: Int64 = 1000
        let purchase = try PurchaseLabel(cutoff: cutoff, window: .seconds(7 * 86_400))
        let churn = try ChurnLabel(cutoff: cutoff, window: .seconds(7 * 86_400))
        #expect(purchase.windowEnd == cutoff + 7 * day)

        // A purchase at the cut-off is input, not label.
        let atCutoff = splitHistory(0, [splitEvent(cutoff, .purchase)])
        #expect(inputHistory(atCutoff, cutoff: cutoff).events.count == 1)
        #expect(purchase.label(atCutoff) == 0)
        #expect(churn.label(atCutoff) == 1)

        // A purchase at cut-off + window is in the window; one a millisecond later is not.
        let atEnd = splitHistory(0, [splitEvent(0), splitEvent(cutoff + 7 * day, .purchase)])
        #expect(purchase.label(atEnd) == 1)
        #expect(churn.label(atEnd) == 0)
        let pastEnd = splitHistory(0, [splitEvent(0), splitEvent(cutoff + 7 * day + 1, .purchase)])
        #expect(purchase.label(pastEnd) == 0)
        #expect(churn.label(pastEnd) == 1)
        #expect(inputHistory(pastEnd, cutoff: cutoff).events.map(\.timestamp) == [0])
    }

    @Test("hand-computed labels over four users; users with nothing before the cut-off are left out")
    func handComputed() throws {
        let purchase = try PurchaseLabel(cutoff: 10 * day, window: .seconds(3 * 86_400))
        let churn = try ChurnLabel(cutoff: 10 * day, window: .seconds(3 * 86_400))
        let histories = [
            // bought on day 12: purchase 1, churn 0
            splitHistory(0, [splitEvent(1 * day), splitEvent(12 * day, .purchase)]),
            // only viewed on day 11: purchase 0, churn 0
            splitHistory(1, [splitEvent(9 * day, .purchase), splitEvent(11 * day)]),
            // silent until day 20: purchase 0, churn 1
            splitHistory(2, [splitEvent(2 * day), splitEvent(20 * day, .purchase)]),
            // first seen after the cut-off: left out
            splitHistory(3, [splitEvent(11 * day, .purchase)]),
        ]
        let purchases = purchase.examples(histories)
        #expect(purchases.map(\.input.user) == [0, 1, 2])
        #expect(purchases.map(\.label) == [1, 0, 0])
        #expect(purchases.map { $0.input.events.count } == [1, 1, 1])
        #expect(churn.examples(histories).map(\.label) == [0, 0, 1])
        #expect(purchase.label(histories[3]) == nil)
    }

    @Test("other purchase types count when asked; a non-positive window is an error")
    func optionsAndErrors() throws {
        let label = try PurchaseLabel(cutoff: 0, window: .milliseconds(10), purchaseTypes: ["order"])
        #expect(label.windowMilliseconds == 10)
        #expect(label.label(splitHistory(0, [splitEvent(0), splitEvent(5, "order")])) == 1)
        #expect(label.label(splitHistory(0, [splitEvent(0), splitEvent(5, .purchase)])) == 0)
        #expect(throws: EventDataError.self) { try ChurnLabel(cutoff: 0, window: .zero) }
        #expect(throws: EventDataError.self) { try PurchaseLabel(cutoff: 0, window: .seconds(-1)) }
        // A window reaching past the end of time saturates instead of overflowing.
        let late = try ChurnLabel(cutoff: Int64.max - 5, window: .seconds(1))
        #expect(late.windowEnd == Int64.max)
    }

    @Test("leak test: changing events after the cut-off never changes inputs; before never changes labels")
    func noLeak() throws {
        var generator = RandomGenerator(seed: 2024)
        let cutoff = 50 * day
        let purchase = try PurchaseLabel(cutoff: cutoff, window: .seconds(14 * 86_400))
        let churn = try ChurnLabel(cutoff: cutoff, window: .seconds(14 * 86_400))
        let types: [EventType] = [.view, .cart, .purchase]
        func randomEvents(_ count: Int, from start: Int64, span: Int64) -> [StoredEvent] {
            (0..<count).map { _ in
                splitEvent(
                    start + Int64(generator.nextInt(below: Int(span))), types[generator.nextInt(below: types.count)],
                    item: generator.nextInt(below: 20))
            }
            .sorted { $0.timestamp < $1.timestamp }
        }
        for user in 0..<200 {
            // At least one event at or before the cut-off (the last may sit exactly on it).
            var before = randomEvents(1 + generator.nextInt(below: 6), from: cutoff - 40 * day, span: 40 * day + 1)
            if user.isMultiple(of: 5) { before.append(splitEvent(cutoff, .purchase)) }
            let after = randomEvents(generator.nextInt(below: 6), from: cutoff + 1, span: 30 * day)
            let history = splitHistory(user, before + after)

            // Changing everything after the cut-off: same inputs.
            let otherAfter = randomEvents(generator.nextInt(below: 6), from: cutoff + 1, span: 30 * day)
            let changedAfter = splitHistory(user, before + otherAfter)
            #expect(inputHistory(history, cutoff: cutoff) == inputHistory(changedAfter, cutoff: cutoff))
            #expect(inputHistory(history, cutoff: cutoff).events == before)

            // Changing everything before the cut-off (still at least one event): same labels.
            let otherBefore = randomEvents(1 + generator.nextInt(below: 6), from: cutoff - 40 * day, span: 40 * day + 1)
            let changedBefore = splitHistory(user, otherBefore + after)
            #expect(purchase.label(history) == purchase.label(changedBefore))
            #expect(churn.label(history) == churn.label(changedBefore))
            #expect(purchase.label(history) != nil)
        }
    }
}

@Suite("StratifiedSplit")
struct StratifiedSplitTests {
    @Test("each class is cut in the same proportions, within one row per class and part")
    func proportions() throws {
        // Given 103 negatives and 17 positives, split 0.7 / 0.15 / 0.15
        let fractions = try SplitFractions(train: 0.7, validation: 0.15, test: 0.15)
        var labels = [Int](repeating: 0, count: 103) + [Int](repeating: 1, count: 17)
        var generator = RandomGenerator(seed: 3)
        labels = generator.permutation(labels.count).map { labels[$0] }

        // When
        let parts = StratifiedSplit(fractions: fractions, seed: 11).split(labels: labels)

        // Then: every row once, and each class's count per part within one row of its share
        #expect((parts.train + parts.validation + parts.test).sorted() == Array(0..<labels.count))
        for label in [0, 1] {
            let total = Double(labels.filter { $0 == label }.count)
            for (part, share) in [(SplitPart.train, 0.7), (.validation, 0.15), (.test, 0.15)] {
                let count = Double(parts[part].filter { labels[$0] == label }.count)
                #expect(abs(count - total * share) <= 1, "class \(label), \(part)")
            }
        }
        // Hand-computed for the positives: round(17 * 0.7) = 12, round(17 * 0.85) = 14 -> 12 / 2 / 3
        #expect(parts.train.filter { labels[$0] == 1 }.count == 12)
        #expect(parts.validation.filter { labels[$0] == 1 }.count == 2)
        #expect(parts.test.filter { labels[$0] == 1 }.count == 3)
    }

    @Test("the same seed gives the same split; another seed a different one")
    func determinism() throws {
        let fractions = try SplitFractions(train: 0.8, validation: 0.1, test: 0.1)
        let labels = (0..<500).map { $0 % 3 == 0 ? "churn" : "stay" }
        let first = StratifiedSplit(fractions: fractions, seed: 42).assignments(labels: labels)
        let second = StratifiedSplit(fractions: fractions, seed: 42).assignments(labels: labels)
        let other = StratifiedSplit(fractions: fractions, seed: 43).assignments(labels: labels)
        #expect(first == second)
        #expect(first != other)
        #expect(StratifiedSplit(fractions: fractions, seed: 42).split(labels: labels).train.count == 400)
    }

    @Test("categorical labels, a class of one row, and no rows")
    func edgeCases() throws {
        let fractions = try SplitFractions(train: 0.5, validation: 0.25, test: 0.25)
        let split = StratifiedSplit(fractions: fractions, seed: 1)
        // "c" has one row: round(1 * 0.5) = 1 (half away from zero), so it goes to train
        let labels = ["a", "b", "a", "b", "a", "b", "a", "b", "c"]
        let parts = split.assignments(labels: labels)
        for label in ["a", "b"] {
            let rows = labels.indices.filter { labels[$0] == label }
            #expect(rows.filter { parts[$0] == .train }.count == 2)
            #expect(rows.filter { parts[$0] == .validation }.count == 1)
            #expect(rows.filter { parts[$0] == .test }.count == 1)
        }
        #expect(parts[8] == .train)
        #expect(split.assignments(labels: [Bool]()).isEmpty)
    }
}
