import Ledger
import Testing

/// One read of a log holding events 1 to 10, and the positions it must return.
struct ReadCase: Sendable, CustomTestStringConvertible {
    let start: UInt64
    let direction: ReadDirection
    let limit: Int
    let expected: [UInt64]

    var testDescription: String { "\(direction) from \(start), limit \(limit)" }

    static let all = [
        ReadCase(start: 0, direction: .forward, limit: 100, expected: Array(1...10)),
        ReadCase(start: 1, direction: .forward, limit: 3, expected: [1, 2, 3]),
        ReadCase(start: 5, direction: .forward, limit: 100, expected: Array(5...10)),
        ReadCase(start: 10, direction: .forward, limit: 5, expected: [10]),
        ReadCase(start: 11, direction: .forward, limit: 5, expected: []),
        ReadCase(start: .max, direction: .forward, limit: 5, expected: []),
        ReadCase(start: 0, direction: .backward, limit: 5, expected: []),
        ReadCase(start: 1, direction: .backward, limit: 5, expected: [1]),
        ReadCase(start: 5, direction: .backward, limit: 100, expected: [5, 4, 3, 2, 1]),
        ReadCase(start: 10, direction: .backward, limit: 3, expected: [10, 9, 8]),
        ReadCase(start: 11, direction: .backward, limit: 2, expected: [10, 9]),
        ReadCase(start: .max, direction: .backward, limit: 1, expected: [10]),
        ReadCase(start: 3, direction: .forward, limit: 1, expected: [3]),
        ReadCase(start: 3, direction: .forward, limit: 0, expected: []),
        ReadCase(start: 3, direction: .backward, limit: 0, expected: []),
    ]
}

@Suite struct ReadingTests {
    @Test(arguments: ReadCase.all)
    func readsFromAPositionInEitherDirectionUpToTheLimit(_ read: ReadCase) async throws {
        try await withLedger { log, _ in
            try await log.append(
                (1...10).map { observed(.ticket("\($0 % 3)"), ["n": .integer(Int64($0))]) })
            let events = try log.read(
                from: SequenceNumber(read.start), direction: read.direction, limit: read.limit)
            #expect(events.sequences == read.expected)
            #expect(
                events.map { $0.body["n"]?.integerValue }
                    == read.expected.map { Optional(Int64($0)) })
        }
    }

    @Test func anEmptyLogHasNothingToRead() async throws {
        try await withLedger { log, _ in
            let last = try log.lastSequence()
            #expect(last.rawValue == 0)
            #expect(try log.read(from: .zero, limit: 10).isEmpty)
            #expect(try log.read(from: 1, direction: .backward, limit: 10).isEmpty)
            let end = SequenceNumber(.max)
            #expect(try log.read(from: end, direction: .backward, limit: 10).isEmpty)
            #expect(try log.event(at: 1) == nil)
        }
    }

    @Test func scanStopsWhenTheBodyAsksTo() async throws {
        try await withLedger { log, _ in
            try await log.append((1...10).map { _ in observed(nil) })
            var seen: [UInt64] = []
            try log.scan(from: 4) { result in
                seen.append(try result.get().sequence.rawValue)
                return seen.count < 3
            }
            #expect(seen == [4, 5, 6])
        }
    }

    @Test func aScanInPlaceSeesWhatWholeEventsHold() async throws {
        try await withLedger { log, _ in
            let upstream = try #require(Timestamp(rfc3339: "2026-11-30T08:00:00.25Z"))
            let first = observed(.ticket("ü/1:x"), ["subject": "Printer", "tags": ["a", "b"]])
            try await log.append([
                first,
                NewEvent(
                    kind: .writeIntended, record: .ticket("2", connection: "jira"),
                    upstreamAt: upstream, causation: [first.id, fixedID(9)],
                    body: ["fields": ["summary": "Printer"]]),
                NewEvent(kind: .configApplied, record: nil, body: .string("not a collection")),
                observed(.ticket("ü/1:x"), [:]),
            ])
            let whole = try log.read(from: .zero, limit: 10)

            for direction in [ReadDirection.forward, .backward] {
                var viewed: [Event] = []
                var counts: [Int?] = []
                var concerning: [Bool] = []
                try log.scanInPlace(from: direction == .forward ? 1 : 4, direction: direction) {
                    view in
                    viewed.append(try view.event())
                    counts.append(view.bodyCount)
                    concerning.append(view.concerns(.ticket("ü/1:x")))
                    #expect(view.causationCount == view.causation.count)
                    #expect(view.bodySize == (try view.body()).bytes.count)
                    return true
                }
                let expected = direction == .forward ? whole : whole.reversed()
                #expect(viewed == expected)
                let expectedCounts: [Int?] = [2, 1, nil, 0]
                let expectedConcerning = [true, false, false, true]
                #expect(
                    counts == (direction == .forward ? expectedCounts : expectedCounts.reversed()))
                #expect(
                    concerning
                        == (direction == .forward
                            ? expectedConcerning : expectedConcerning.reversed()))
            }
            #expect(whole[1].upstreamAt == upstream)
            #expect(whole[1].causation == [first.id, fixedID(9)])
        }
    }

    @Test func aScanInPlaceStopsWhenTheBodyAsksTo() async throws {
        try await withLedger { log, _ in
            try await log.append((1...10).map { _ in observed(.ticket("1")) })
            var seen: [UInt64] = []
            var versions: [UInt64] = []
            try log.scanInPlace(from: 4) { view in
                seen.append(view.sequence.rawValue)
                versions.append(view.streamVersion)
                return seen.count < 3
            }
            #expect(seen == [4, 5, 6])
            #expect(versions == [4, 5, 6])
        }
    }

    @Test func aRecordsStreamHoldsItsEventsInVersionOrder() async throws {
        try await withLedger { log, _ in
            let four = RecordReference.ticket("4")
            let fortyTwo = RecordReference.ticket("42")
            let slashed = RecordReference.ticket("4/2")
            let otherConnection = RecordReference.ticket("4", connection: "zendesk2")
            let order: [RecordReference?] = [four, fortyTwo, nil, four, slashed, four]
            try await log.append(order.map { observed($0) })
            try await log.append([observed(otherConnection), observed(four), observed(fortyTwo)])

            let stream = try log.stream(of: four)
            #expect(stream.sequences == [1, 4, 6, 8])
            #expect(stream.map(\.streamVersion) == [1, 2, 3, 4])
            #expect(stream.allSatisfy { $0.record == four })
            #expect(try log.stream(of: four, fromVersion: 3).sequences == [6, 8])
            #expect(try log.stream(of: four, fromVersion: 2, limit: 2).sequences == [4, 6])
            #expect(try log.stream(of: four, fromVersion: 0).sequences == [1, 4, 6, 8])
            #expect(try log.stream(of: four, fromVersion: 5).isEmpty)
            #expect(try log.stream(of: fortyTwo).sequences == [2, 9])
            #expect(try log.stream(of: slashed).sequences == [5])
            #expect(try log.stream(of: otherConnection).sequences == [7])

            #expect(try log.streamVersion(of: four) == 4)
            #expect(try log.streamVersion(of: fortyTwo) == 2)
            #expect(try log.streamVersion(of: slashed) == 1)
            #expect(try log.streamVersion(of: otherConnection) == 1)
            #expect(try log.streamVersion(of: .ticket("5")) == 0)
            #expect(try log.stream(of: .ticket("5")).isEmpty)
        }
    }

    @Test func recordsWhoseIDsDifferOnlyInNormalisationHaveSeparateStreams() async throws {
        try await withLedger { log, _ in
            let precomposed = RecordReference.ticket("\u{E9}")
            let decomposed = RecordReference.ticket("e\u{301}")
            try await log.append([
                observed(precomposed), observed(decomposed), observed(decomposed),
            ])
            #expect(try log.streamVersion(of: precomposed) == 1)
            #expect(try log.streamVersion(of: decomposed) == 2)
            #expect(try log.stream(of: decomposed).sequences == [2, 3])
            let stored = try #require(try log.event(at: 2)?.record)
            #expect(Array(stored.remoteID.utf8) == [0x65, 0xCC, 0x81])
        }
    }

    @Test func readingTheStreamOfAnInvalidReferenceFails() async throws {
        try await withLedger { log, _ in
            let invalid = RecordReference(connection: "zendesk", recordType: "", remoteID: "1")
            let error = #expect(throws: LedgerError.self) { try log.stream(of: invalid) }
            #expect(error?.code == .invalidEvent)
            #expect(throws: LedgerError.self) { try log.streamVersion(of: invalid) }
        }
    }

    @Test func statisticsCountEventsPerKindAndDistinctRecords() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/ledger"
            var log = try EventLog.open(at: path)
            defer { log.close() }
            try await log.append([
                observed(.ticket("a"), id: fixedID(1)), observed(.ticket("a")),
                observed(.ticket("b")),
                NewEvent(kind: .deleted, record: .ticket("b")),
                NewEvent(kind: .linked, record: nil),
                NewEvent(kind: .configApplied, record: nil),
                NewEvent(kind: .writeIntended, record: .ticket("c", connection: "jira")),
            ])
            try await log.append([observed(.ticket("a"), id: fixedID(1))])
            _ = try? await log.append(
                AppendBatch([observed(.ticket("d"))], expectedVersions: [.ticket("d"): 5]))

            let expectedKinds: [EventKind: UInt64] = [
                .observed: 3, .deleted: 1, .linked: 1, .configApplied: 1, .writeIntended: 1,
            ]
            let statistics = try log.statistics()
            #expect(statistics.formatVersion == 1)
            #expect(statistics.lastSequence == 7)
            #expect(statistics.eventCount == 7)
            #expect(statistics.recordCount == 3)
            #expect(statistics.eventsByKind == expectedKinds)
            #expect(statistics.usedBytes > 0)
            #expect(statistics.fileBytes >= statistics.usedBytes)
            #expect(statistics.mapBytes >= statistics.usedBytes)

            log.close()
            log = try EventLog.open(at: path)
            let reopened = try log.statistics()
            #expect(reopened.eventCount == 7)
            #expect(reopened.recordCount == 3)
            #expect(reopened.eventsByKind == expectedKinds)
        }
    }

    @Test func anEmptyLogHasZeroStatistics() async throws {
        try await withLedger { log, _ in
            let statistics = try log.statistics()
            #expect(statistics.lastSequence == .zero)
            #expect(statistics.eventCount == 0)
            #expect(statistics.recordCount == 0)
            #expect(statistics.eventsByKind.isEmpty)
        }
    }
}
