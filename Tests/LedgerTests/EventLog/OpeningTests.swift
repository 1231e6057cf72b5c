import Foundation
import Glibc
import LMDB
import Ledger
import Testing

@Suite struct OpeningTests {
    private static var readOnly: EventLog.Options {
        var options = EventLog.Options()
        options.readOnly = true
        return options
    }

    @Test func openingReadOnlyWhereThereIsNoLedgerFailsWithNotFound() async throws {
        try await withTemporaryDirectory { directory in
            let missing = #expect(throws: LedgerError.self) {
                try EventLog.open(at: directory + "/missing", options: Self.readOnly)
            }
            #expect(missing?.code == .notFound)
            #expect(!FileManager.default.fileExists(atPath: directory + "/missing"))

            let empty = #expect(throws: LedgerError.self) {
                try EventLog.open(at: directory, options: Self.readOnly)
            }
            #expect(empty?.code == .notFound)
        }
    }

    @Test func openingForWritingCreatesMissingDirectories() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/several/levels/ledger/"
            let log = try EventLog.open(at: path)
            defer { log.close() }
            try await log.append([observed(nil)])
            #expect(
                FileManager.default.fileExists(
                    atPath: directory + "/several/levels/ledger/data.mdb"))
            #expect(log.isReadOnly == false)
        }
    }

    @Test func aReadOnlyLogReadsButRefusesToAppend() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/ledger"
            let writer = try EventLog.open(at: path)
            try await writer.append([observed(.ticket("1")), observed(.ticket("1"))])
            writer.close()

            let reader = try EventLog.open(at: path, options: Self.readOnly)
            defer { reader.close() }
            #expect(reader.isReadOnly)
            #expect(try reader.read(from: .zero, limit: 10).sequences == [1, 2])
            #expect(try reader.streamVersion(of: .ticket("1")) == 2)
            await #expect(throws: LedgerError.self) {
                try await reader.append([observed(nil)])
            }
            #expect(throws: LedgerError.self) {
                try reader.appendWaiting(AppendBatch([observed(nil)]))
            }
            #expect(try reader.lastSequence() == 2)
        }
    }

    @Test func aSecondWriterIsRefusedBeforeItTouchesTheLedgerNamingTheHolder() async throws {
        try await withLedger { log, path in
            try await log.append([observed(nil)])

            let error = #expect(throws: LedgerError.self) {
                try EventLog.open(at: path)
            }
            #expect(error?.code == .locked)
            #expect(
                error?.message.contains("process \(getpid())") == true, "\(error?.message ?? "")")

            // The refused open left the first log whole: it still reads and appends.
            try await log.append([observed(nil)])
            #expect(try log.read(from: .zero, limit: 10).sequences == [1, 2])

            log.close()
            let reopened = try EventLog.open(at: path)
            defer { reopened.close() }
            #expect(try reopened.lastSequence() == 2)
        }
    }

    @Test func aLedgerWithANewerFormatIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/ledger"
            let log = try EventLog.open(at: path)
            try await log.append([observed(nil)])
            log.close()
            try withStoredDatabase("meta", in: path) { environment, meta in
                try environment.write {
                    try $0.put([2], forKey: Array("format.version".utf8), in: meta)
                }
            }

            for options in [EventLog.Options(), Self.readOnly] {
                let error = #expect(throws: LedgerError.self) {
                    try EventLog.open(at: path, options: options)
                }
                #expect(error?.code == .newerFormat)
                #expect(mentions(error?.message, 2), "\(error?.message ?? "")")
            }
        }
    }

    @Test func anLMDBEnvironmentWithoutTheLedgersDatabasesIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let environment = try Environment(path: directory)
            let items = try #require(
                try environment.openDatabases(["items"], create: true)["items"])
            try environment.write { try $0.put([1], forKey: [1], in: items) }
            environment.close()

            for options in [EventLog.Options(), Self.readOnly] {
                let error = #expect(throws: LedgerError.self) {
                    try EventLog.open(at: directory, options: options)
                }
                #expect(error?.code == .notALedger)
            }
            let (item, events) = try withStoredDatabase("items", in: directory) {
                environment, items in
                (
                    try environment.read { try $0.value(forKey: [1], in: items) },
                    try environment.openDatabases(["events"], create: false)["events"]
                )
            }
            #expect(item == [1])
            #expect(events == nil)
        }
    }

    @Test func aFileWhereTheLedgerShouldBeIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/ledger"
            #expect(FileManager.default.createFile(atPath: path, contents: Data("text".utf8)))
            let error = #expect(throws: LedgerError.self) {
                try EventLog.open(at: path)
            }
            #expect(error?.code == .notALedger)
        }
    }

    @Test func aClosedLogRefusesWork() async throws {
        try await withLedger { log, _ in
            try await log.append([observed(nil)])
            log.close()
            log.close()

            let append = await #expect(throws: LedgerError.self) {
                try await log.append([observed(nil)])
            }
            #expect(append?.code == .closed)
            let read = #expect(throws: LedgerError.self) {
                try log.read(from: .zero, limit: 1)
            }
            #expect(read?.code == .closed)
        }
    }

    @Test func theMapGrowsToHoldMoreThanItStartedWith() async throws {
        var options = EventLog.Options()
        options.initialMapSize = 1 << 20
        let chunk = String(repeating: "0123456789abcdef", count: 6_400)
        try await withTemporaryDirectory { directory in
            let path = directory + "/ledger"
            var log = try EventLog.open(at: path, options: options)
            defer { log.close() }
            for batch in 0..<20 {
                try await log.append(
                    (0..<10).map { index in
                        observed(
                            .ticket("\(batch % 3)"),
                            ["n": .integer(Int64(batch * 10 + index)), "data": .string(chunk)])
                    })
            }
            let statistics = try log.statistics()
            #expect(statistics.lastSequence == 200)
            #expect(statistics.usedBytes > 20 << 20)
            #expect(statistics.mapBytes >= statistics.usedBytes)

            log.close()
            log = try EventLog.open(at: path, options: options)
            var count: Int64 = 0
            try log.scan(from: .zero) { result in
                let event = try result.get()
                #expect(event.body["n"] == .integer(count))
                #expect(event.body["data"]?.stringValue == chunk)
                count += 1
                return true
            }
            #expect(count == 200)
            for record in ["0", "1", "2"] {
                let versions = try log.stream(of: .ticket(record)).map(\.streamVersion)
                #expect(versions == Array(1...UInt64(versions.count)))
            }
            #expect(try log.statistics().recordCount == 3)
            try await log.append([observed(nil)])
            #expect(try log.lastSequence() == 201)
        }
    }
}
