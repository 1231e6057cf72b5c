import Ledger
import Testing

/// Counts events per record and remembers the last body per record: a small fold with the
/// shape of a real one.
struct CountingProjection: Projection {
    var identity = "tests.counting/1"
    let tableNames = ["counts", "bodies"]
    /// Fails on the event at this position, to test that a batch rolls back.
    var failingAt: SequenceNumber? = nil

    func apply(_ events: [Event], to tables: borrowing ProjectionTables) throws {
        let counts = try tables.table("counts")
        let bodies = try tables.table("bodies")
        for event in events {
            if event.sequence == failingAt {
                throw LedgerError(.projection, "refusing event \(event.sequence)")
            }
            let key = Array((event.record?.description ?? "-").utf8)
            let count = try tables.withValue(in: counts, forKey: key) { $0.first ?? 0 } ?? 0
            try tables.put([count + 1], forKey: key, in: counts)
            try tables.put(event.body.encoded, forKey: key, in: bodies)
        }
    }
}

@Suite struct ProjectionStoreTests {
    func appendTickets(_ count: Int, to log: EventLog) async throws {
        for index in 0..<count {
            try await log.append([
                observed(.ticket(String(index % 3)), ["n": .integer(Int64(index))])
            ])
        }
    }

    func open(_ path: String, _ projection: CountingProjection = CountingProjection()) throws
        -> ProjectionStore
    {
        try ProjectionStore(
            at: path, identity: projection.identity, tableNames: projection.tableNames)
    }

    func entries(_ store: ProjectionStore) throws -> [String] {
        var entries: [String] = []
        try store.forEachEntry { table, key, value in
            entries.append("\(table) \(Array(key)) \(Array(value))")
        }
        return entries
    }

    @Test func catchingUpAppliesEveryEventAndMovesTheCheckpoint() async throws {
        try await withLedger { log, path in
            try await appendTickets(10, to: log)
            let store = try open(path + "-projection")
            defer { store.close() }
            var progress: [SequenceNumber] = []
            let projector = Projector(
                log: log, store: store, projection: CountingProjection(), batchSize: 4)

            #expect(try projector.catchUp { progress.append($0) } == 10)
            #expect(progress == [4, 8, 10])
            #expect(try store.checkpoint() == 10)
            let count = try store.read { tables in
                try tables.withValue(
                    in: try tables.table("counts"), forKey: Array("zendesk:ticket/0".utf8)
                ) {
                    $0.first
                }
            }
            #expect(count == 4)
        }
    }

    @Test func theResultDoesNotDependOnWhereBatchesEnd() async throws {
        try await withLedger { log, path in
            try await appendTickets(25, to: log)
            var dumps: [[String]] = []
            for (index, size) in [1, 7, 1000].enumerated() {
                let store = try open(path + "-projection-\(index)")
                defer { store.close() }
                try Projector(
                    log: log, store: store, projection: CountingProjection(), batchSize: size
                )
                .catchUp()
                dumps.append(try entries(store))
            }
            #expect(dumps[0] == dumps[1])
            #expect(dumps[0] == dumps[2])
            #expect(dumps[0].count == 3 + 3 + 2, "three records in two tables, two meta entries")
        }
    }

    @Test func catchingUpStopsAtTheLimitAndResumesAfterReopening() async throws {
        try await withLedger { log, path in
            try await appendTickets(6, to: log)
            do {
                let store = try open(path + "-projection")
                defer { store.close() }
                let projector = Projector(log: log, store: store, projection: CountingProjection())
                #expect(try projector.catchUp(until: 4) == 4)
            }
            let store = try open(path + "-projection")
            defer { store.close() }
            #expect(try store.checkpoint() == 4)
            let projector = Projector(log: log, store: store, projection: CountingProjection())
            #expect(try projector.catchUp() == 6)
        }
    }

    @Test func aFailingEventRollsItsBatchBackCheckpointIncluded() async throws {
        try await withLedger { log, path in
            try await appendTickets(6, to: log)
            let store = try open(path + "-projection")
            defer { store.close() }
            let failing = CountingProjection(failingAt: 5)
            let projector = Projector(log: log, store: store, projection: failing, batchSize: 3)

            let error = #expect(throws: LedgerError.self) { try projector.catchUp() }
            #expect(error?.message == "refusing event 5")
            #expect(try store.checkpoint() == 3)
            let stored = try store.read { tables in try tables.count(of: try tables.table("bodies"))
            }
            #expect(stored == 3)
        }
    }

    @Test func aStoreBuiltByAnotherProjectionIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            try open(directory + "/projection").close()
            var other = CountingProjection()
            other.identity = "tests.counting/2"

            let error = #expect(throws: LedgerError.self) {
                try open(directory + "/projection", other)
            }
            #expect(error?.code == .projection)
            #expect(error?.message.contains("'tests.counting/1'") == true)
            #expect(error?.message.contains("syncledger replay") == true)
        }
    }

    @Test func aWriteFromAnotherCheckpointIsNotApplied() async throws {
        try await withTemporaryDirectory { directory in
            let store = try open(directory + "/projection")
            defer { store.close() }
            #expect(try store.write(advancingFrom: .zero, to: 5) { _ in true } == true)
            var ran = false
            #expect(try store.write(advancingFrom: 3, to: 8) { _ in ran = true } == nil)
            #expect(!ran)
            #expect(try store.checkpoint() == 5)

            let error = #expect(throws: LedgerError.self) {
                try store.write(advancingFrom: 5, to: 4) { _ in }
            }
            #expect(error?.message.contains("cannot move back") == true)
        }
    }

    @Test func projectorsRacingOnOneStoreApplyEachEventOnce() async throws {
        try await withLedger { log, path in
            try await appendTickets(300, to: log)
            // One store shared by two projectors, as two processes would share its files
            // (LMDB forbids opening one environment twice in a process).
            let first = try open(path + "-projection")
            let second = first
            defer { first.close() }
            async let one = Task {
                try Projector(
                    log: log, store: first, projection: CountingProjection(), batchSize: 7
                )
                .catchUp()
            }.value
            async let two = Task {
                try Projector(
                    log: log, store: second, projection: CountingProjection(), batchSize: 5
                )
                .catchUp()
            }.value
            #expect(try await [one, two] == [300, 300])
            let counts = try first.read { tables in
                let counts = try tables.table("counts")
                return try (0..<3).map { record in
                    try tables.withValue(in: counts, forKey: Array("zendesk:ticket/\(record)".utf8))
                    {
                        $0.first
                    }
                }
            }
            #expect(counts == [100, 100, 100])
        }
    }

    @Test func keepingUpAppliesEventsAsTheyAreAppended() async throws {
        try await withLedger { log, path in
            try await appendTickets(2, to: log)
            let store = try open(path + "-projection")
            defer { store.close() }
            let projector = Projector(log: log, store: store, projection: CountingProjection())
            let running = Task { try await projector.keepUp() }
            defer { running.cancel() }

            #expect(await eventually { (try? store.checkpoint()) == 2 })
            try await appendTickets(3, to: log)
            #expect(await eventually { (try? store.checkpoint()) == 5 })
            running.cancel()
            try await running.value
        }
    }

    @Test func aDamagedEventStopsTheProjectionNamingIt() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/ledger"
            do {
                let log = try EventLog.open(at: path)
                defer { log.close() }
                try await appendTickets(3, to: log)
            }
            var damaged = try storedEvent(2, in: path)
            damaged[damaged.count - 1] = 0xff
            try replaceStoredEvent(2, in: path, with: damaged)

            let log = try EventLog.open(at: path)
            defer { log.close() }
            let store = try open(directory + "/projection")
            defer { store.close() }
            let error = #expect(throws: LedgerError.self) {
                try Projector(log: log, store: store, projection: CountingProjection()).catchUp()
            }
            #expect(error?.code == .corrupt)
            #expect(error?.message.contains("event 2") == true, "\(error?.message ?? "")")
            #expect(try store.checkpoint() == .zero)
        }
    }
}
