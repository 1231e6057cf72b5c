import Foundation
import Ledger
import Reconcile
import Testing

/// Replays prove the live projection: a sync driven step by step, the way an engine drives it,
/// leaves exactly the bytes a replay from the first event leaves, however the replay batches.
@Suite("Replay")
struct ReplayTests {
    /// SplitMix64, so a failing seed repeats.
    struct Random {
        var state: UInt64

        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9e37_79b9_7f4a_7c15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
            return Int((mixed ^ (mixed >> 31)) % UInt64(bound))
        }
    }

    /// Drives a sync at random for `steps` steps: people edit either side, the planner's writes
    /// are intended and succeed or fail, echoes come back (some normalised, some late, some
    /// twice), records are deleted. Returns the log position reached.
    func drive(_ scenario: SyncScenario, seed: UInt64, steps: Int) throws {
        var random = Random(state: seed)
        let subjects: [Value] = ["Printer jams", "VPN down", "  VPN down ", "Mailbox full", ""]
        let statuses: [Value] = ["open", "pending", "solved"]
        var time: Int64 = 0
        for _ in 0..<steps {
            time += 1 + Int64(random.next(5))
            let number = String(random.next(6))
            switch random.next(10) {
            case 0...3:
                // A person edits a ticket.
                var fields: ValueObject = ["subject": subjects[random.next(subjects.count)]]
                if random.next(2) == 0 {
                    fields["status"] = statuses[random.next(statuses.count)]
                }
                if random.next(3) == 0 {
                    fields["tags"] = .array([.string("t\(random.next(4))")])
                }
                try scenario.observe(.ticket(number), at: time - Int64(random.next(3)), fields)
            case 4...5:
                // A person edits an issue the sync created, if there is one.
                let issue = RecordReference.issue("SUP-\(number)")
                if try scenario.record(issue) != nil {
                    try scenario.observe(
                        issue, at: time,
                        ["summary": subjects[random.next(subjects.count)], "priority": "Medium"])
                }
            case 6...8:
                // The engine carries out the plan; each write echoes back, or fails.
                for write in try scenario.plan().prefix(3) {
                    let intent = try scenario.append(write.intent.event(write.record))[0]
                    if random.next(8) == 0 {
                        try scenario.append(
                            WriteOutcome.failed(intent: intent, error: "HTTP 503").event(
                                write.record))
                        continue
                    }
                    if write.intent.operation == .create {
                        let created = RecordReference.issue("SUP-\(write.record.remoteID)")
                        try scenario.append(
                            WriteOutcome.succeeded(intent: intent, created: created).event(
                                write.record),
                            LinkChange(pair: "support", counterpart: created).event(write.record))
                        try scenario.observe(created, at: time, write.intent.fields)
                    } else {
                        try scenario.append(
                            WriteOutcome.succeeded(intent: intent).event(write.record))
                        var echo = write.intent.fields
                        if random.next(3) == 0, case .string(let text)? = echo["summary"] {
                            echo["summary"] = .string(text + " ")
                        }
                        try scenario.observe(write.record, at: time, echo)
                        if random.next(4) == 0 {
                            try scenario.observe(write.record, at: time, echo)
                        }
                    }
                }
            default:
                try scenario.append(NewEvent(kind: .deleted, record: .ticket(number)))
            }
        }
    }

    func rebuild(_ scenario: SyncScenario, batchSize: Int, until: SequenceNumber? = nil) throws
        -> (dump: [[UInt8]], digest: Digest)
    {
        let directory = scenario.directory + "/replay-\(batchSize)-\(UUID().uuidString)"
        let projection = SyncProjection()
        let store = try ProjectionStore(
            at: directory, identity: projection.identity, tableNames: projection.tableNames)
        defer { store.close() }
        try Projector(log: scenario.log, store: store, projection: projection, batchSize: batchSize)
            .catchUp(until: until)
        var dump: [[UInt8]] = []
        try store.forEachEntry { table, key, value in
            dump.append(Array(table.utf8) + [0] + Array(key) + [0] + Array(value))
        }
        return (dump, try store.digest())
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func aReplayLeavesTheBytesTheLiveProjectionHolds(seed: UInt64) throws {
        let scenario = try SyncScenario()
        try drive(scenario, seed: seed, steps: 300)
        let live = try scenario.dump()
        let liveDigest = try scenario.store.digest()
        #expect(live.count > 50, "the run should build a sizeable projection")

        for batchSize in [1, 7, 10_000] {
            let replayed = try rebuild(scenario, batchSize: batchSize)
            #expect(replayed.dump == live, "seed \(seed), batches of \(batchSize)")
            #expect(replayed.digest == liveDigest)
        }
    }

    @Test func twoReplaysWriteByteIdenticalDatabaseFiles() throws {
        let scenario = try SyncScenario()
        try drive(scenario, seed: 21, steps: 200)
        var files: [Data] = []
        for attempt in 0..<2 {
            let directory = scenario.directory + "/file-replay-\(attempt)"
            let projection = SyncProjection()
            let store = try ProjectionStore(
                at: directory, identity: projection.identity, tableNames: projection.tableNames)
            try Projector(log: scenario.log, store: store, projection: projection, batchSize: 64)
                .catchUp()
            store.close()
            files.append(try Data(contentsOf: URL(fileURLWithPath: directory + "/data.mdb")))
        }
        #expect(files[0].count > 0)
        #expect(files[0] == files[1])
    }

    @Test func aReplayUntilAPointLeavesWhatTheLiveProjectionHeldThen() throws {
        let scenario = try SyncScenario()
        try drive(scenario, seed: 9, steps: 100)
        let middle = try scenario.store.checkpoint()
        let earlier = try scenario.store.digest()
        try drive(scenario, seed: 10, steps: 100)
        #expect(try scenario.store.digest() != earlier)

        #expect(try rebuild(scenario, batchSize: 50, until: middle).digest == earlier)
    }

    @Test func aDamagedEntryChangesTheDigestAndIsNamed() throws {
        let scenario = try SyncScenario()
        try drive(scenario, seed: 5, steps: 100)
        let directory = scenario.directory + "/copy"
        let projection = SyncProjection()
        let copy = try ProjectionStore(
            at: directory, identity: projection.identity, tableNames: projection.tableNames)
        defer { copy.close() }
        try Projector(log: scenario.log, store: copy, projection: projection).catchUp()
        #expect(try copy.firstDifference(from: scenario.store) == nil)

        let checkpoint = try copy.checkpoint()
        try copy.write(advancingFrom: checkpoint, to: checkpoint) { tables in
            try tables.put(
                [1, 2, 3], forKey: Array("zendesk:ticket/0".utf8),
                in: try tables.table("records"))
        }
        #expect(try copy.digest() != scenario.store.digest())
        let difference = try #require(try copy.firstDifference(from: scenario.store))
        #expect(difference.table == "records")
        #expect(difference.key == Array("zendesk:ticket/0".utf8))
    }
}
