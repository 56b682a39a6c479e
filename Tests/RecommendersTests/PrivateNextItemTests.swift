import EventData
import Foundation
import NeuralNet
import PrivacyAccounting
import Settings
import Testing

@testable import Recommenders

@Suite(.serialized) struct PrivateNextItemTests {
    static func privateConfig(_ kind: NextItemModelKind, loss: NextItemLoss, epsilon: Double = 50) -> NextItemConfig {
        var config = NextItemTrainingTests.smallConfig(kind).privateDefaults(epsilon: epsilon)
        config.loss = loss
        config.negatives = 4
        config.privacy?.noiseSeed = 3
        config.epochs = 4
        config.evaluateEvery = 2
        return config
    }

    @Test func thePartitionHoldsOutUsersAndTakesTheCatalogueFromThemAlone() throws {
        let data = NextItemTrainingTests.data
        let partition = data.privatePartition(heldOutFraction: 0.2, seed: 9)
        #expect(partition.heldOut.users.count == Int((Double(data.users.count) * 0.2).rounded()))
        #expect(partition.units.count + partition.heldOut.users.count == data.users.count)
        let heldOutIDs = Set(partition.heldOut.users.map(\.user))
        let touched = Set(
            data.users.filter { heldOutIDs.contains($0.user) }.flatMap { user in
                (user.train + [user.validation?.target, user.test?.target].compactMap { $0 }).map { data.items[$0] }
            })
        #expect(Set(partition.heldOut.items.externalIDs) == touched)
        // Held-out users keep their leave-one-out split, renumbered.
        for user in partition.heldOut.users {
            guard let original = data.users.first(where: { $0.user == user.user }) else {
                Issue.record("held-out user \(user.user) is not a user of the data")
                continue
            }
            #expect(user.train.map { partition.heldOut.items[$0] } == original.train.map { data.items[$0] })
            #expect(user.test.map { partition.heldOut.items[$0.target] } == original.test.map { data.items[$0.target] })
        }
        // Protected users train on all their items the catalogue knows.
        let protected = data.users.filter { !heldOutIDs.contains($0.user) }
        let kept = protected.map { user in
            (user.train + [user.validation?.target, user.test?.target].compactMap { $0 })
                .compactMap { partition.heldOut.items.index(of: data.items[$0]) }
        }
        #expect(partition.units == kept.filter { $0.count >= 2 })
        let all = protected.reduce(0) { $0 + $1.train.count + ($1.validation == nil ? 0 : 2) }
        #expect(partition.itemsLeftOut == all - kept.reduce(0) { $0 + $1.count })
        // The same seed, the same partition.
        #expect(data.privatePartition(heldOutFraction: 0.2, seed: 9).units == partition.units)
        #expect(data.privatePartition(heldOutFraction: 0.2, seed: 10).units != partition.units)
    }

    @Test(arguments: [
        (NextItemModelKind.sasrec, NextItemLoss.bce), (.sasrec, .sampledCE), (.sasrec, .ce), (.gru4rec, .ce),
        (.gru4rec, .sampledCE),
    ])
    func theEngineSplitsEveryLossByUserAndTheRunIsStated(kind: NextItemModelKind, loss: NextItemLoss) throws {
        let trainer = try NextItemTrainer(
            config: Self.privateConfig(kind, loss: loss), data: NextItemTrainingTests.data)
        let outcome = try trainer.train()
        let run = try #require(outcome.privateRun)
        // The split is checked against one-user passes; a mismatch would fall back.
        #expect(run.perUnitGradients == .engine, "\(kind) \(loss): \(run.perUnitGradients)")
        let units = try #require(trainer.privateData).units.count
        #expect(run.steps == 4 * trainer.stepsPerEpoch)
        #expect(run.settings.samplingRate == Double(32) / Double(units))
        let statement = try #require(run.statement)
        #expect(statement.unit == .user && abs(statement.epsilon - 50) < 0.5)
        // Everything else belongs to the held-out users.
        #expect(outcome.data.users.count == trainer.data.users.count)
        #expect(outcome.model.itemCount == trainer.data.itemCount)
        #expect(!outcome.logLines.contains { $0.contains("loss") })
        #expect(outcome.logLines.last?.contains("split by the engine") == true)
    }

    @Test func aGenerousBudgetStillLearnsThePlantedSuccessor() throws {
        var config = Self.privateConfig(.sasrec, loss: .sampledCE, epsilon: 50)
        config.epochs = 30
        config.evaluateEvery = 10
        config.learningRate = 0.01
        let outcome = try NextItemTrainer(config: config, data: NextItemTrainingTests.data).train()
        let pop = try NextItemTrainer(config: .defaults(for: .pop), data: outcome.data).train()
        let ndcg = outcome.metrics.test?.full.ndcg(at: 10) ?? 0
        let popNDCG = pop.metrics.test?.full.ndcg(at: 10) ?? 1
        #expect(ndcg > popNDCG + 0.2, "private NDCG@10 \(ndcg) vs popularity \(popNDCG) on the held-out users")
    }

    @Test func aPrivatePackageKeepsItsStatementButNoSeedAndRefusesUpdates() throws {
        let config = Self.privateConfig(.gru4rec, loss: .ce)
        let outcome = try NextItemTrainer(config: config, data: NextItemTrainingTests.data).train()
        let package = NextItemPackage(trained: outcome, store: "memory")
        let directory = try temporaryDirectory().appendingPathComponent("model")
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        try package.save(to: directory, log: outcome.logLines)
        let loaded = try NextItemPackage.load(from: directory)
        #expect(loaded.manifest.privacy == outcome.privateRun?.statement)
        #expect(loaded.manifest.config.privacy?.epsilon == 50)
        #expect(loaded.manifest.config.privacy?.noiseSeed == nil)
        #expect(loaded.items == outcome.data.items)
        let text = try String(contentsOf: directory.appendingPathComponent("config.json"), encoding: .utf8)
        #expect(!text.contains("noiseSeed") && !text.contains("noise-seed"))
        let store = try store(with: cyclicShop())
        #expect(throws: RecommenderError.self) {
            _ = try NextItemUpdate(live: loaded, watermark: 0).run(store: store)
        }
    }

    @Test func theProfileOfAPrivateModelReadsOnlyHeldOutUsers() throws {
        let store = try store(with: cyclicShop())
        let data = try NextItemData.load(from: store)
        let outcome = try NextItemTrainer(config: Self.privateConfig(.gru4rec, loss: .ce), data: data).train()
        let package = NextItemPackage(trained: outcome, store: store.location)
        let profile = try package.trainingProfile(store: store, data: outcome.data)
        #expect(profile.rows == outcome.data.users.count)
        #expect(profile.rows < data.users.count)
    }

    @Test func budgetsAreCheckedWhereTheyAreGiven() throws {
        let sasrec = NextItemConfig.defaults(for: .sasrec)
        let budget = try sasrec.applying(settings: ["dp-epsilon": 3, "dp-accountant": "pld"])
        #expect(budget.privacy?.epsilon == 3 && budget.privacy?.accountant == .pld)
        #expect(budget.privacy?.clipNorm == NextItemConfig.privateClipNorm)
        #expect(throws: InvalidParameter.self) { try sasrec.applying(settings: ["dp-delta": 1e-6]) }
        #expect(throws: InvalidParameter.self) { try sasrec.applying(settings: ["dp-accountant": "moments"]) }
        #expect(throws: InvalidParameter.self) {
            try NextItemConfig.defaults(for: .pop).applying(settings: ["dp-epsilon": 3])
        }
        var pop = NextItemConfig.defaults(for: .pop)
        pop.privacy = PrivacyBudget(epsilon: 3, clipNorm: 1)
        #expect(throws: InvalidParameter.self) { try pop.validate() }
        var windows = NextItemConfig.defaults(for: .gru4rec).privateDefaults(epsilon: 3)
        #expect(windows.slidingWindows == false)
        windows.slidingWindows = true
        #expect(throws: InvalidParameter.self) { try windows.validate() }
        var seeded = sasrec.privateDefaults(epsilon: 3)
        seeded.privacy?.noiseSeed = 4
        #expect(try seeded.applying(settings: ["epochs": 5]).privacy?.noiseSeed == 4)
        var tiny = Self.privateConfig(.sasrec, loss: .bce, epsilon: 1e-4)
        tiny.epochs = 1_000
        #expect(throws: RecommenderError.self) {
            try NextItemTrainer(config: tiny, data: NextItemTrainingTests.data).train()
        }
    }

    @Test func tooFewUsersToHoldOutIsNamed() throws {
        // One user: held out (at least one is), so no user is left to protect.
        let data = try NextItemData.load(from: store(with: cyclicShop(users: 1, seed: 4)))
        #expect {
            try NextItemTrainer(config: Self.privateConfig(.sasrec, loss: .bce), data: data)
        } throws: { error in
            guard case RecommenderError.notEnoughData(let detail) = error else { return false }
            return detail.contains("holds out 20% of the 1 user to validate on")
        }
    }
}
