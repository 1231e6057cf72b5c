import Ledger
import Testing

/// An event the log must refuse to store.
struct InvalidEvent: Sendable, CustomTestStringConvertible {
    let name: String
    let event: NewEvent

    var testDescription: String { name }

    static let all = [
        InvalidEvent(
            name: "body of arrays nested 65 deep",
            event: observed(.ticket("1"), ["deep": nestedArrays(depth: 64)])),
        InvalidEvent(
            name: "body of objects nested 65 deep",
            event: observed(.ticket("1"), nestedObjects(depth: 65))),
        InvalidEvent(
            name: "empty connection",
            event: observed(RecordReference(connection: "", recordType: "ticket", remoteID: "1"))),
        InvalidEvent(
            name: "empty record type",
            event: observed(RecordReference(connection: "zendesk", recordType: "", remoteID: "1"))),
        InvalidEvent(
            name: "empty remote id",
            event: observed(
                RecordReference(connection: "zendesk", recordType: "ticket", remoteID: ""))),
        InvalidEvent(
            name: "':' in the connection",
            event: observed(
                RecordReference(connection: "zen:desk", recordType: "ticket", remoteID: "1"))),
        InvalidEvent(
            name: "reference longer than 480 bytes",
            event: observed(.ticket(String(repeating: "9", count: 470)))),
    ]
}

@Suite struct AppendingTests {
    @Test func sequenceNumbersStartAtOneAndStayContiguousAcrossBatchesAndReopening() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/ledger"
            var log = try EventLog.open(at: path)
            defer { log.close() }
            #expect(try log.lastSequence().rawValue == 0)

            let first = try await log.append((1...3).map { observed(.ticket("\($0)")) })
            let second = try await log.append([observed(.ticket("1")), observed(nil)])
            #expect(first.map(\.sequence) == [1, 2, 3])
            #expect(second.map(\.sequence) == [4, 5])
            #expect((first + second).allSatisfy { $0.isNew })

            log.close()
            log = try EventLog.open(at: path)
            #expect(try log.lastSequence() == 5)
            let third = try await log.append([observed(.ticket("2")), observed(.ticket("1"))])
            #expect(third.map(\.sequence) == [6, 7])
            #expect(third.map(\.streamVersion) == [2, 3])
            #expect(try log.read(from: .zero, limit: 100).sequences == Array(1...7))
        }
    }

    @Test func appendedEventsReadBackAsTheyWereAppended() async throws {
        let start = try #require(Timestamp(rfc3339: "2026-12-03T15:24:01Z"))
        let clock = TestClock(at: start, step: 1_000_000)
        try await withLedger(options: options(clock: clock)) { log, _ in
            let body: Value = [
                "status": "open", "tags": ["a", "b"], "amount": decimal(1250, -2),
                "nested": ["deep": [nil, true, -7]], "name": "e\u{301}",
            ]
            let attached = NewEvent(
                id: fixedID(10), kind: .writeIntended, record: .ticket("42"),
                upstreamAt: Timestamp(rfc3339: "2026-12-03T15:20:00.123456Z"),
                causation: [fixedID(1), fixedID(2)], body: body)
            let unattached = NewEvent(
                id: fixedID(11), kind: .configApplied, record: nil, body: ["digest": "abc"])

            let result = try await log.append([attached, unattached])
            #expect(
                result == [
                    AppendedEvent(id: fixedID(10), sequence: 1, streamVersion: 1, isNew: true),
                    AppendedEvent(id: fixedID(11), sequence: 2, streamVersion: 0, isNew: true),
                ])

            let stored = try #require(try log.event(at: 1))
            #expect(stored.sequence == 1)
            #expect(stored.id == attached.id)
            #expect(stored.kind == .writeIntended)
            #expect(stored.record == attached.record)
            #expect(stored.streamVersion == 1)
            #expect(stored.recordedAt == start)
            #expect(stored.upstreamAt == attached.upstreamAt)
            #expect(stored.causation == [fixedID(1), fixedID(2)])
            #expect(stored.body == body)
            #expect(try log.event(withID: fixedID(10)) == stored)

            let other = try #require(try log.event(at: 2))
            #expect(other.id == fixedID(11))
            #expect(other.kind == .configApplied)
            #expect(other.record == nil)
            #expect(other.streamVersion == 0)
            #expect(other.upstreamAt == nil)
            #expect(other.causation.isEmpty)
            #expect(other.recordedAt == start)
            #expect(other.body == ["digest": "abc"])

            try await log.append([observed(.ticket("42"), id: fixedID(12))])
            let later = try #require(try log.event(withID: fixedID(12)))
            #expect(later.recordedAt.microseconds == start.microseconds + 1_000_000)
            #expect(later.streamVersion == 2)
            #expect(later.body == [:])

            #expect(try log.event(withID: fixedID(99)) == nil)
            #expect(try log.event(at: 4) == nil)
            #expect(try log.event(at: .zero) == nil)
        }
    }

    @Test func everyKnownKindReadsBackAsItself() async throws {
        try await withLedger { log, _ in
            try await log.append(
                EventKind.allKnown.map { NewEvent(kind: $0, record: .ticket("1")) })
            let kinds = try log.read(from: .zero, limit: 100).map(\.kind)
            #expect(kinds == EventKind.allKnown)
            #expect(
                kinds.map(\.description) == [
                    "observed", "deleted", "linked", "unlinked", "writeIntended", "writeSucceeded",
                    "writeFailed", "configApplied", "cursorAdvanced", "connectionChanged",
                    "agentActed", "auditFound",
                ])
            #expect(kinds.map(\.code) == Array(1...12))
        }
    }

    @Test func recordedTimesNeverGoBackwardsWhenTheClockDoes() async throws {
        let noon = try #require(Timestamp(rfc3339: "2026-06-01T12:00:00Z"))
        let hour: Int64 = 3_600_000_000
        let clock = TestClock(at: noon, step: 0)
        try await withTemporaryDirectory { directory in
            let path = directory + "/ledger"
            var log = try EventLog.open(at: path, options: options(clock: clock))
            defer { log.close() }
            try await log.append([observed(.ticket("1"))])
            clock.set(Timestamp(microsecondsSinceEpoch: noon.microseconds - hour))
            try await log.append([observed(.ticket("1"))])

            log.close()
            clock.set(Timestamp(microsecondsSinceEpoch: noon.microseconds - 2 * hour))
            log = try EventLog.open(at: path, options: options(clock: clock))
            try await log.append([observed(.ticket("1"))])
            let later = Timestamp(microsecondsSinceEpoch: noon.microseconds + 1)
            clock.set(later)
            try await log.append([observed(.ticket("1"))])

            let times = try log.read(from: .zero, limit: 10).map(\.recordedAt)
            #expect(times == [noon, noon, noon, later])
        }
    }

    @Test func appendingAnIDAlreadyInTheLogReturnsTheOriginalPosition() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/ledger"
            var log = try EventLog.open(at: path)
            defer { log.close() }
            let original = observed(.ticket("1"), ["v": 1], id: fixedID(1))
            try await log.append([original, observed(.ticket("1"), id: fixedID(2))])

            var changed = original
            changed.body = ["v": 2]
            let again = try await log.append([changed])
            #expect(
                again == [
                    AppendedEvent(id: fixedID(1), sequence: 1, streamVersion: 1, isNew: false)
                ])
            #expect(try log.lastSequence() == 2)
            #expect(try log.event(at: 1)?.body == ["v": 1])
            #expect(try log.streamVersion(of: .ticket("1")) == 2)

            let mixed = try await log.append([
                observed(.ticket("1"), id: fixedID(2)), observed(.ticket("1"), id: fixedID(3)),
            ])
            #expect(
                mixed == [
                    AppendedEvent(id: fixedID(2), sequence: 2, streamVersion: 2, isNew: false),
                    AppendedEvent(id: fixedID(3), sequence: 3, streamVersion: 3, isNew: true),
                ])

            log.close()
            log = try EventLog.open(at: path)
            let afterReopening = try await log.append([original])
            #expect(
                afterReopening == [
                    AppendedEvent(id: fixedID(1), sequence: 1, streamVersion: 1, isNew: false)
                ])
            #expect(try log.lastSequence() == 3)
            #expect(try log.statistics().eventCount == 3)
        }
    }

    @Test func anIDRepeatedWithinOneBatchIsAppendedOnce() async throws {
        try await withLedger { log, _ in
            try await log.append([observed(nil)])
            let result = try await log.append([
                observed(.ticket("7"), ["first": true], id: fixedID(5)),
                observed(.ticket("7"), ["second": true], id: fixedID(5)),
            ])
            #expect(
                result == [
                    AppendedEvent(id: fixedID(5), sequence: 2, streamVersion: 1, isNew: true),
                    AppendedEvent(id: fixedID(5), sequence: 2, streamVersion: 1, isNew: false),
                ])
            #expect(try log.lastSequence() == 2)
            #expect(try log.event(at: 2)?.body == ["first": true])
            #expect(try log.streamVersion(of: .ticket("7")) == 1)
        }
    }

    @Test func aStaleExpectedVersionFailsTheWholeBatchNamingBothVersions() async throws {
        try await withLedger { log, _ in
            let first = RecordReference.ticket("first")
            let second = RecordReference.ticket("second")
            try await log.append((1...3).map { _ in observed(first) })
            let events = [observed(second, id: fixedID(1)), observed(first, id: fixedID(2))]

            let error = await #expect(throws: LedgerError.self) {
                try await log.append(AppendBatch(events, expectedVersions: [first: 7, second: 0]))
            }
            #expect(error?.code == .versionConflict)
            #expect(mentions(error?.message, 3), "\(error?.message ?? "")")
            #expect(mentions(error?.message, 7), "\(error?.message ?? "")")
            #expect(error?.message.contains(first.description) == true)
            #expect(try log.lastSequence() == 3)
            #expect(try log.event(withID: fixedID(1)) == nil)
            #expect(try log.streamVersion(of: second) == 0)
            let statistics = try log.statistics()
            #expect(statistics.eventCount == 3)
            #expect(statistics.recordCount == 1)

            let appended = try await log.append(
                AppendBatch(events, expectedVersions: [first: 3, second: 0]))
            #expect(appended.map(\.sequence) == [4, 5])
            #expect(appended.map(\.streamVersion) == [1, 4])
        }
    }

    @Test func aConflictingBatchFailsAloneWhileBatchesCommittedWithItSucceed() async throws {
        let clock = GatedClock()
        try await withLedger(options: options(clock: clock)) { log, _ in
            defer { clock.open() }
            let contested = RecordReference.ticket("contested")
            let holding = Task { try await log.append([observed(contested)]) }
            try #require(await eventually { clock.readings == 1 })

            // Queued while the writer is inside the first commit, so they commit together.
            let records = (0..<4).map { RecordReference.ticket("r\($0)") }
            let started = Collected<Int>()
            let good = records.map { record in
                Task {
                    started.append(1)
                    return try await log.append(
                        AppendBatch([observed(record)], expectedVersions: [record: 0]))
                }
            }
            let conflicting = Task {
                started.append(1)
                return try await log.append(
                    AppendBatch(
                        [observed(contested, id: fixedID(9))], expectedVersions: [contested: 0]))
            }
            try #require(await eventually { started.count == 5 })
            try await Task.sleep(for: .milliseconds(200))
            clock.open()

            _ = try await holding.value
            for task in good {
                #expect(try await task.value.map(\.streamVersion) == [1])
            }
            let error = await #expect(throws: LedgerError.self) {
                try await conflicting.value
            }
            #expect(error?.code == .versionConflict)
            #expect(try log.event(withID: fixedID(9)) == nil)
            #expect(try log.streamVersion(of: contested) == 1)
            #expect(try log.read(from: .zero, limit: 10).sequences == [1, 2, 3, 4, 5])
            for record in records {
                #expect(try log.streamVersion(of: record) == 1)
            }

            let next = try await log.append(
                AppendBatch([observed(contested)], expectedVersions: [contested: 1]))
            #expect(next.map(\.streamVersion) == [2])
        }
    }

    @Test func aRetriedBatchWithStaleExpectationsReturnsTheOriginalPositions() async throws {
        try await withLedger { log, _ in
            let record = RecordReference.ticket("a")
            let batch = AppendBatch(
                [observed(record, id: fixedID(1)), observed(record, id: fixedID(2))],
                expectedVersions: [record: 0])
            let original = try await log.append(batch)
            try await log.append([observed(record, id: fixedID(3))])

            let retried = try await log.append(batch)
            #expect(
                retried == [
                    AppendedEvent(id: fixedID(1), sequence: 1, streamVersion: 1, isNew: false),
                    AppendedEvent(id: fixedID(2), sequence: 2, streamVersion: 2, isNew: false),
                ])
            #expect(retried.map(\.sequence) == original.map(\.sequence))
            #expect(try log.lastSequence() == 3)

            let partlyApplied = AppendBatch(
                [observed(record, id: fixedID(1)), observed(record, id: fixedID(4))],
                expectedVersions: [record: 0])
            let error = await #expect(throws: LedgerError.self) {
                try await log.append(partlyApplied)
            }
            #expect(error?.code == .versionConflict)
            #expect(try log.event(withID: fixedID(4)) == nil)
        }
    }

    @Test(arguments: InvalidEvent.all)
    func aBatchWithAnInvalidEventFailsWhole(_ invalid: InvalidEvent) async throws {
        try await withLedger { log, _ in
            try await log.append([observed(.ticket("0"))])
            let valid = observed(.ticket("1"), id: fixedID(1))

            let error = await #expect(throws: LedgerError.self) {
                try await log.append([valid, invalid.event])
            }
            #expect(error?.code == .invalidEvent)
            #expect(try log.lastSequence() == 1)
            #expect(try log.event(withID: fixedID(1)) == nil)
            #expect(try log.streamVersion(of: .ticket("1")) == 0)
            #expect(try log.statistics().eventCount == 1)

            #expect(try await log.append([valid]).map(\.sequence) == [2])
        }
    }

    @Test func aBodyNestedToTheMaximumDepthIsStored() async throws {
        try await withLedger { log, _ in
            let body = nestedObjects(depth: Value.maximumDepth)
            try await log.append([observed(.ticket("1"), body)])
            #expect(try log.event(at: 1)?.body == body)
        }
    }

    @Test func anExpectationForAnInvalidRecordFailsTheBatch() async throws {
        try await withLedger { log, _ in
            let invalid = RecordReference(connection: "", recordType: "ticket", remoteID: "1")
            let error = await #expect(throws: LedgerError.self) {
                try await log.append(
                    AppendBatch([observed(.ticket("1"))], expectedVersions: [invalid: 0]))
            }
            #expect(error?.code == .invalidEvent)
            let last = try log.lastSequence()
            #expect(last.rawValue == 0)
        }
    }

    @Test func appendingWaitingBlocksUntilTheBatchIsStored() async throws {
        try await withLedger { log, _ in
            let result = try log.appendWaiting(
                AppendBatch([observed(.ticket("1"), id: fixedID(1))]))
            #expect(
                result == [
                    AppendedEvent(id: fixedID(1), sequence: 1, streamVersion: 1, isNew: true)
                ])
            #expect(try log.event(at: 1)?.id == fixedID(1))
        }
    }
}
