import CLMDB
import Foundation
import Synchronization
import Testing

@testable import LMDB

@Suite struct EnvironmentTests {
    private func withEnvironment(
        options: Environment.Options = Environment.Options(),
        _ body: (Environment, Database) throws -> Void
    ) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let environment = try Environment(path: directory.path, options: options)
        defer { environment.close() }
        let database = try #require(environment.openDatabases(["items"], create: true)["items"])
        try body(environment, database)
    }

    @Test func storesAndReadsValues() throws {
        try withEnvironment { environment, items in
            try environment.write { transaction in
                try transaction.put(Array("one".utf8), forKey: [1], in: items)
                try transaction.put(Array("two".utf8), forKey: [2], in: items)
            }
            let read = try environment.read { transaction in
                (
                    try transaction.value(forKey: [1], in: items),
                    try transaction.value(forKey: [2], in: items)
                )
            }
            #expect(read.0 == Array("one".utf8))
            #expect(read.1 == Array("two".utf8))
        }
    }

    @Test func aMissingKeyIsAbsentNotAnError() throws {
        try withEnvironment { environment, items in
            let value = try environment.read { try $0.value(forKey: [9], in: items) }
            #expect(value == nil)
            let deleted = try environment.write { try $0.delete(key: [9], in: items) }
            #expect(deleted == false)
        }
    }

    @Test func noOverwriteReportsTheStoredValue() throws {
        try withEnvironment { environment, items in
            let outcomes = try environment.write { transaction in
                [
                    try transaction.put([1], forKey: [7], in: items, flags: .noOverwrite),
                    try transaction.put([2], forKey: [7], in: items, flags: .noOverwrite),
                ]
            }
            #expect(outcomes == [.stored, .keyExists([1])])
            let stored = try environment.read { try $0.value(forKey: [7], in: items) }
            #expect(stored == [1])
        }
    }

    @Test func appendOutOfOrderFailsNamingTheOperation() throws {
        try withEnvironment { environment, items in
            try environment.write { try $0.put([1], forKey: [5], in: items, flags: .append) }
            let error = #expect(throws: LMDBError.self) {
                try environment.write { try $0.put([1], forKey: [3], in: items, flags: .append) }
            }
            #expect(error?.code == LMDBError.keyExists)
            #expect(error?.description.contains("mdb_put failed: MDB_KEYEXIST") == true)
        }
    }

    @Test func aThrowingWriteKeepsNothing() throws {
        struct Stop: Error {}
        try withEnvironment { environment, items in
            #expect(throws: Stop.self) {
                try environment.write { transaction in
                    try transaction.put([1], forKey: [1], in: items)
                    throw Stop()
                }
            }
            let value = try environment.read { try $0.value(forKey: [1], in: items) }
            #expect(value == nil)
        }
    }

    @Test func aFailedNestedTransactionLeavesItsParentWhole() throws {
        struct Stop: Error {}
        try withEnvironment { environment, items in
            try environment.write { transaction in
                try transaction.put([1], forKey: [1], in: items)
                #expect(throws: Stop.self) {
                    try transaction.nested { child in
                        try child.put([2], forKey: [2], in: items)
                        throw Stop()
                    }
                }
                _ = try transaction.nested { child in
                    try child.put([3], forKey: [3], in: items)
                }
            }
            let values = try environment.read { transaction in
                try [1, 2, 3].map { try transaction.value(forKey: [UInt8($0)], in: items) }
            }
            #expect(values == [[1], nil, [3]])
        }
    }

    @Test func cursorsWalkKeysInByteOrderBothWays() throws {
        try withEnvironment { environment, items in
            try environment.write { transaction in
                for key: UInt8 in [30, 10, 20] {
                    try transaction.put([key], forKey: [key], in: items)
                }
            }
            let (forward, backward, seeked) = try environment.read { transaction in
                try transaction.withCursor(on: items) { cursor in
                    var forward: [UInt8] = []
                    var move = Cursor.Move.first
                    while let key = try cursor.withEntry(move, { key, _ in key[0] }) {
                        forward.append(key)
                        move = .next
                    }
                    var backward: [UInt8] = []
                    move = .last
                    while let entry = try cursor.entry(move) {
                        backward.append(entry.key[0])
                        move = .previous
                    }
                    let seeked = try cursor.entry(atLeast: [15])?.key
                    return (forward, backward, seeked)
                }
            }
            #expect(forward == [10, 20, 30])
            #expect(backward == [30, 20, 10])
            #expect(seeked == [20])
        }
    }

    @Test func theMapGrowsWhenAWriteFillsIt() throws {
        var options = Environment.Options()
        options.initialMapSize = 1 << 20
        try withEnvironment(options: options) { environment, items in
            let value = [UInt8](repeating: 0xAB, count: 4000)
            for batch in 0..<16 {
                try environment.write { transaction in
                    for index in 0..<256 {
                        let key = withUnsafeBytes(
                            of: UInt32(batch * 256 + index).bigEndian, Array.init)
                        try transaction.put(value, forKey: key, in: items)
                    }
                }
            }
            #expect(environment.growthCount > 0)
            #expect(environment.mapSize > 1 << 20)
            let entries = try environment.read { try $0.statistics(of: items).entries }
            #expect(entries == 16 * 256)
        }
    }

    @Test func readersKeepReadingWhileTheMapGrows() async throws {
        var options = Environment.Options()
        options.initialMapSize = 1 << 20
        try await withEnvironmentAsync(options: options) { environment, items in
            try environment.write { try $0.put([1], forKey: [0, 0, 0, 0], in: items) }
            let done = StopFlag()
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        var reads = 0
                        while !done.isSet {
                            let value = try environment.read {
                                try $0.value(forKey: [0, 0, 0, 0], in: items)
                            }
                            #expect(value == [1])
                            reads += 1
                            // The pool may have as few threads as cores: let the writer run.
                            await Task.yield()
                        }
                        return reads
                    }
                }
                group.addTask {
                    let value = [UInt8](repeating: 7, count: 2000)
                    // Readers stop even if a write fails, so a failure cannot hang the test.
                    defer { done.set() }
                    for index in 1...6000 {
                        let key = withUnsafeBytes(of: UInt32(index).bigEndian, Array.init)
                        try environment.write { try $0.put(value, forKey: key, in: items) }
                    }
                    return 0
                }
                var total = 0
                for try await reads in group {
                    total += reads
                }
                #expect(total > 0)
            }
            #expect(environment.growthCount > 0)
        }
    }

    private func withEnvironmentAsync(
        options: Environment.Options,
        _ body: (Environment, Database) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let environment = try Environment(path: directory.path, options: options)
        defer { environment.close() }
        let database = try #require(environment.openDatabases(["items"], create: true)["items"])
        try await body(environment, database)
    }

    @Test func aClosedEnvironmentRefusesTransactions() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let environment = try Environment(path: directory.path)
        environment.close()
        environment.close()
        let error = #expect(throws: LMDBError.self) {
            try environment.read { _ in }
        }
        #expect(error?.code == LMDBError.closed)
        #expect(error?.message == "the environment has been closed")
    }

    @Test func aFileThatIsNotLMDBIsRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<65_536).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #expect(
            FileManager.default.createFile(
                atPath: directory.path + "/data.mdb", contents: Data(noise)))
        let error = #expect(throws: LMDBError.self) {
            _ = try Environment(path: directory.path)
        }
        #expect(error?.code == LMDBError.invalid)
        #expect(error?.description.contains("MDB_INVALID") == true)
    }

    @Test func aTruncatedDataFileIsRefusedBeforeItIsMapped() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        do {
            let environment = try Environment(path: directory.path)
            let items = try #require(environment.openDatabases(["items"], create: true)["items"])
            let value = [UInt8](repeating: 1, count: 1000)
            try environment.write { transaction in
                for index in 0..<2000 {
                    let key = withUnsafeBytes(of: UInt32(index).bigEndian, Array.init)
                    try transaction.put(value, forKey: key, in: items)
                }
            }
            environment.close()
        }
        let file = directory.path + "/data.mdb"
        let size = try #require(FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
        #expect(truncate(file, off_t(size / 2)) == 0)
        let error = #expect(throws: LMDBError.self) {
            _ = try Environment(path: directory.path)
        }
        #expect(error?.code == LMDBError.truncated)
        #expect(error?.detail?.contains("truncated") == true)
    }

    @Test func aDirectoryThatDoesNotExistIsReported() throws {
        let error = #expect(throws: LMDBError.self) {
            _ = try Environment(path: "/nonexistent-\(UUID().uuidString)")
        }
        #expect(error?.code == ENOENT)
        #expect(error?.operation == "mdb_env_open")
    }
}

/// A flag one task sets and others poll.
private final class StopFlag: Sendable {
    private let value = Atomic(false)

    var isSet: Bool { value.load(ordering: .acquiring) }

    func set() { value.store(true, ordering: .releasing) }
}
