import Foundation
import Testing

@testable import ScoringServer

@Suite("Event staging folders")
struct EventStagingTests {
    @Test("a staging folder left by a process that is gone is removed; a live process's folder is kept")
    func staleFoldersRemoved() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("staging-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let gone = base.appendingPathComponent("\(EventIngestion.stagingPrefix)\(finished.processIdentifier)-x")
        let live = base.appendingPathComponent(
            "\(EventIngestion.stagingPrefix)\(ProcessInfo.processInfo.processIdentifier)-y")
        for folder in [gone, live] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }

        let new = EventIngestion.stagingFolder(in: base)

        #expect(!FileManager.default.fileExists(atPath: gone.path))
        #expect(FileManager.default.fileExists(atPath: live.path) && FileManager.default.fileExists(atPath: new.path))
    }
}
