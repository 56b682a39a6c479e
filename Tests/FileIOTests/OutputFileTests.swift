import FileIO
import Foundation
import Testing

@Suite struct OutputFileTests {
    private func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fileio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func aCommittedFileAppearsWhole() throws {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("out.csv").path
        let file = try OutputFile(path: path)
        try file.write(Data("a,b\n".utf8))
        #expect(!FileManager.default.fileExists(atPath: path))
        try file.write(Data("1,2\n".utf8))
        try file.commit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a,b\n1,2\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.csv"])
    }

    @Test func anUncommittedFileLeavesTheEarlierOneAndNoLeftovers() throws {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("out.csv").path
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: path))
        do {
            let file = try OutputFile(path: path)
            try file.write(Data("half a".utf8))
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.csv"])
    }

    @Test func badOutputPathsAreNamedBeforeAnyWork() throws {
        let folder = try temporaryFolder()
        #expect(throws: FileError(path: folder.path, reason: "this is a folder; give a file name for the output")) {
            try OutputFile(path: folder.path)
        }
        let missing = folder.appendingPathComponent("no/such/out.csv").path
        #expect(throws: FileError.self) { try OutputLocation.checkFile(missing) }
        let file = folder.appendingPathComponent("taken")
        try Data().write(to: file)
        let error = #expect(throws: FileError.self) { try OutputLocation.checkDirectory(file.path) }
        #expect(error?.reason.contains("this is a file, not a folder") == true)
        let inside = #expect(throws: FileError.self) {
            try OutputLocation.checkDirectory(file.appendingPathComponent("model").path)
        }
        #expect(inside?.reason.contains("is a file, so no folder can be made inside it") == true)
        try OutputLocation.checkDirectory(folder.appendingPathComponent("new/model").path)
    }

    @Test func foundationErrorsAreDescribedInPlainWords() {
        let cocoa = CocoaError(.fileWriteNoPermission)
        #expect(FileError.describe(cocoa) == "permission denied")
        let unknown = CocoaError(
            .fileWriteUnknown, userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))])
        #expect(FileError.describe(unknown) == "no space left on device")
        #expect(!FileError.describe(CocoaError(.fileWriteUnknown)).contains("could not be completed"))
        do {
            try Data().write(to: URL(fileURLWithPath: "/proc/no-such-dir/file"))
            Issue.record("writing under /proc should fail")
        } catch {
            #expect(!FileError.describe(error).contains("NSCocoaErrorDomain"))
        }
    }
}
