import Randomness

@testable import Clustering

/// Gaussian blobs: `counts[b]` points around `centres[b]`, each value drawn with standard
/// deviation `spread`, blob after blob; `truth` holds each point's blob.
func blobs(centres: [[Double]], counts: [Int], spread: Double, seed: UInt64) -> (points: Points, truth: [Int]) {
    var generator = RandomGenerator(seed: seed)
    var rows: [[Double]] = []
    var truth: [Int] = []
    for (blob, centre) in centres.enumerated() {
        for _ in 0..<counts[blob] {
            rows.append(centre.map { $0 + spread * Double(generator.nextNormal()) })
            truth.append(blob)
        }
    }
    return (Points(rows: rows), truth)
}

/// Whether two labelings put the same points together (the same partition).
func samePartition(_ a: [Int], _ b: [Int]) -> Bool {
    guard a.count == b.count else { return false }
    var forward: [Int: Int] = [:]
    var backward: [Int: Int] = [:]
    for (x, y) in zip(a, b) {
        if forward[x, default: y] != y || backward[y, default: x] != x { return false }
        forward[x] = y
        backward[y] = x
    }
    return true
}
