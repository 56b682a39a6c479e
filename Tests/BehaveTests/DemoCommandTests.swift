import ArgumentParser
import Randomness
import TensorEngine
import Testing

@testable import behave

@Suite("behave demo")
struct DemoCommandTests {
    @Test("defaults parse")
    func defaults() throws {
        let demo = try Demo.parse([])
        #expect(demo.seed == 42)
        #expect(demo.epochs == 12)
    }

    @Test(
        "bad flags give errors that say what to do",
        arguments: [
            (["--epochs", "0"], "--epochs must be at least 1."),
            (["--users", "10"], "--users must be at least 64."),
            (["--threads", "0"], "--threads must be at least 1 (got 0)."),
        ])
    func badFlags(arguments: [String], message: String) {
        #expect {
            try Demo.parse(arguments)
        } throws: { error in
            Demo.message(for: error) == message
        }
    }

    @Test("a flag that is not a number names the flag")
    func notANumber() {
        #expect {
            try Demo.parse(["--epochs", "many"])
        } throws: { error in
            Demo.message(for: error).contains("--epochs")
        }
    }

    @Test("synthetic purchases are seeded")
    func syntheticData() {
        var first = RandomGenerator(seed: 3)
        var second = RandomGenerator(seed: 3)
        let a = SyntheticPurchases(users: 64, generator: &first)
        let b = SyntheticPurchases(users: 64, generator: &second)
        #expect(a.features == b.features)
        #expect(a.labels == b.labels)
        #expect(Set(a.labels).isSubset(of: [0, 1]))
        let (x, y) = a.batch([0, 5])
        #expect(x.shape == [2, SyntheticPurchases.featureCount])
        #expect(y.shape == [2])
    }
}
