import EventData
import Foundation
import Testing

@Suite("User vectors in the store")
struct UserVectorTests {
    @Test("a named set of vectors reads back exactly and a new set of the same name replaces it")
    func roundTrip() throws {
        let store = try SQLiteEventStore.inMemory()
        let vectors: [String: [Float]] = ["u1": [1.5, -2, 0, .leastNonzeroMagnitude], "u2": [3, 4, 5, 6]]
        try store.storeUserVectors(vectors, name: "vae-2024-03-01")
        try store.storeUserVectors(["u1": [9]], name: "other")
        #expect(try store.userVectors(name: "vae-2024-03-01") == vectors)
        try store.storeUserVectors(["u3": [7, 8]], name: "vae-2024-03-01")
        #expect(try store.userVectors(name: "vae-2024-03-01") == ["u3": [7, 8]])
        #expect(try store.userVectors(name: "other") == ["u1": [9]])
        #expect(try store.userVectors(name: "missing").isEmpty)
        #expect(try store.userVectorSetNames() == ["other", "vae-2024-03-01"])
    }
}
