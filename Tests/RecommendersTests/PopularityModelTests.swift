import Testing

@testable import Recommenders

@Suite struct PopularityModelTests {
    @Test func scoresAreTheTrainingCountsWhateverTheHistory() {
        let model = PopularityModel(sequences: [[0, 1, 1], [1, 2, 9]], itemCount: 4)
        #expect(model.scores(after: [[3], []]) == [[1, 3, 1, 0], [1, 3, 1, 0]])
    }
}
