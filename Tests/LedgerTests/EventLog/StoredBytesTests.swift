import Glibc
import LMDB
import Ledger
import Testing

/// Tests that read or change what the log stored, through LMDB, as `docs/event-format.md`
/// describes it.
@Suite struct StoredBytesTests {
    /// Appends three events without a record, closes the log and runs `body` with its path.
    static func withThreeEvents(_ body: (String) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/ledger"
            let log = try EventLog.open(at: path)
            try await log.append(
                (1...3).map { observed(nil, ["n": .integer(Int64($0))], id: fixedID(UInt8($0))) })
            log.close()
            try await body(path)
        }
    }

    @Test func theDocumentedExampleEventIsStoredByteForByte() async throws {
        let recorded = try #require(Timestamp(rfc3339: "2026-12-03T15:24:01Z"))
        let example = try #require(RecordReference("zendesk:ticket/42"))
        let id = try #require(EventID("0191e2f4-7c3a-7b21-9f00-12ab34cd56ef"))
        try await withTemporaryDirectory { directory in
            let path = directory + "/ledger"
            let log = try EventLog.open(
                at: path, options: options(clock: TestClock(at: recorded, step: 0)))
            try await log.append([observed(example), observed(.ticket("7"))])
            try await log.append([observed(example), observed(.ticket("8"))])
            let appended = try await log.append([
                NewEvent(id: id, kind: .observed, record: example, body: ["status": "pending"])
            ])
            #expect(appended.map(\.sequence) == [5])
            log.close()

            // The example in docs/event-format.md, field by field.
            let expected: [UInt8] =
                [0x01, 0x01]  // version 1, kind observed
                + [0x01, 0x91, 0xe2, 0xf4, 0x7c, 0x3a, 0x7b, 0x21]  // id
                + [0x9f, 0x00, 0x12, 0xab, 0x34, 0xcd, 0x56, 0xef]
                + [0x00, 0x06, 0x61, 0xbc, 0x59, 0x58, 0xc6, 0x40]  // recorded time
                + [0x01]  // flags: a record follows
                + [0x07, 0x7a, 0x65, 0x6e, 0x64, 0x65, 0x73, 0x6b]  // "zendesk"
                + [0x06, 0x74, 0x69, 0x63, 0x6b, 0x65, 0x74]  // "ticket"
                + [0x02, 0x34, 0x32]  // "42"
                + [0x03]  // stream version 3
                + [0x00]  // no causation
                + [0x07, 0x01]  // body: an object of one member
                + [0x06, 0x73, 0x74, 0x61, 0x74, 0x75, 0x73]  // "status"
                + [0x05, 0x07, 0x70, 0x65, 0x6e, 0x64, 0x69, 0x6e, 0x67]  // string "pending"
            #expect(try storedEvent(5, in: path) == expected)

            try withStoredDatabase("ids", in: path) { environment, ids in
                let stored = try environment.read { try $0.value(forKey: id.bytes, in: ids) }
                #expect(stored == eventKey(5))
            }
            try withStoredDatabase("streams", in: path) { environment, streams in
                let prefix: [UInt8] =
                    [0x07] + Array("zendesk".utf8) + [0x06] + Array("ticket".utf8)
                    + [0x02] + Array("42".utf8)
                let stored = try environment.read { transaction in
                    try [1, 2, 3, 4].map {
                        try transaction.value(forKey: prefix + eventKey($0), in: streams)
                    }
                }
                #expect(stored == [eventKey(1), eventKey(3), eventKey(5), nil])
            }
            try withStoredDatabase("meta", in: path) { environment, meta in
                let stored = try environment.read { transaction in
                    try ["format.version", "count.records", "count.kind.\u{1}"].map {
                        try transaction.value(forKey: Array($0.utf8), in: meta)
                    }
                }
                #expect(stored == [[0x01], eventKey(3), eventKey(5)])
            }
        }
    }

    @Test func scanDeliversAFailureForADamagedEventAndGoesOn() async throws {
        try await Self.withThreeEvents { path in
            try replaceStoredEvent(2, in: path, with: [0x01, 0x01, 0xff])
            let log = try EventLog.open(at: path)
            defer { log.close() }

            for direction in [ReadDirection.forward, .backward] {
                var outcomes: [Result<UInt64, LedgerError>] = []
                try log.scan(from: direction == .forward ? .zero : 3, direction: direction) {
                    result in
                    outcomes.append(result.map(\.sequence.rawValue))
                    return true
                }
                #expect(outcomes.count == 3)
                let sequences = outcomes.compactMap { try? $0.get() }
                #expect(sequences == (direction == .forward ? [1, 3] : [3, 1]))
                guard case .failure(let failure) = outcomes[1] else {
                    Issue.record("the damaged event was delivered as \(outcomes[1])")
                    continue
                }
                #expect(failure.code == .corrupt)
                #expect(failure.message.contains("event 2"), "\(failure.message)")
            }

            let whole = #expect(throws: LedgerError.self) {
                try log.read(from: .zero, limit: 10)
            }
            #expect(whole?.code == .corrupt)
            let single = #expect(throws: LedgerError.self) { try log.event(at: 2) }
            #expect(single?.code == .corrupt)
            #expect(try log.event(at: 3)?.id == fixedID(3))
            #expect(try log.read(from: 3, limit: 10).sequences == [3])

            try await log.append([observed(nil)])
            #expect(try log.lastSequence() == 4)
        }
    }

    @Test func aScanInPlaceLendsAnEventWithADamagedBodyAndRefusesItsBody() async throws {
        try await Self.withThreeEvents { path in
            var bytes = try storedEvent(2, in: path)
            bytes.removeSubrange(28...)
            // An object of one member whose value has an unknown tag.
            try replaceStoredEvent(2, in: path, with: bytes + [7, 1, 1, 0x6e, 9])
            let log = try EventLog.open(at: path)
            defer { log.close() }

            var ids: [EventID] = []
            var bodies: [Result<Value, LedgerError>] = []
            try log.scanInPlace(from: .zero) { view in
                ids.append(view.id)
                #expect(view.bodyCount == 1)
                bodies.append(Result { () throws(LedgerError) in try view.body().value })
                return true
            }
            #expect(ids == [fixedID(1), fixedID(2), fixedID(3)])
            #expect(try bodies[0].get() == ["n": 1])
            #expect(try bodies[2].get() == ["n": 3])
            guard case .failure(let failure) = bodies[1] else {
                Issue.record("the damaged body was delivered as \(bodies[1])")
                return
            }
            #expect(failure.code == .corrupt)
            #expect(failure.message.contains("event 2"), "\(failure.message)")
            #expect(failure.message.contains("unknown value tag 9"), "\(failure.message)")
        }
    }

    @Test func aScanInPlaceEndsWithTheErrorOfAnEnvelopeThatDoesNotDecode() async throws {
        for (damage, code) in [
            ({ (bytes: inout [UInt8]) in bytes[26] |= 0x04 }, LedgerError.Code.corrupt),
            ({ (bytes: inout [UInt8]) in bytes[0] = 2 }, .unsupportedEvent),
        ] {
            try await Self.withThreeEvents { path in
                try modifyStoredEvent(2, in: path, damage)
                let log = try EventLog.open(at: path)
                defer { log.close() }

                var seen: [UInt64] = []
                let error = #expect(throws: LedgerError.self) {
                    try log.scanInPlace(from: .zero) { view in
                        seen.append(view.sequence.rawValue)
                        return true
                    }
                }
                #expect(error?.code == code)
                #expect(error?.message.contains("event 2") == true, "\(error?.message ?? "")")
                #expect(seen == [1])
            }
        }
    }

    @Test func aLedgerWhoseLastEventIsDamagedStillReadsTheOthers() async throws {
        try await Self.withThreeEvents { path in
            try replaceStoredEvent(3, in: path, with: [0x01])
            var options = EventLog.Options()
            options.readOnly = true
            let log = try EventLog.open(at: path, options: options)
            defer { log.close() }

            #expect(try log.lastSequence() == 3)
            var outcomes: [Result<UInt64, LedgerError>] = []
            try log.scan(from: .zero) { result in
                outcomes.append(result.map(\.sequence.rawValue))
                return true
            }
            #expect(outcomes.compactMap { try? $0.get() } == [1, 2])
            #expect(outcomes.count == 3)
        }
    }

    @Test(arguments: MalformedEncoding.all)
    func anEventWhoseBodyIsNotCanonicalReadsAsDamaged(_ malformed: MalformedEncoding) async throws {
        try await Self.withThreeEvents { path in
            var header = try storedEvent(2, in: path)
            // version, kind, id, recorded time, flags (none), causation count (0)
            header.removeSubrange(28...)
            try replaceStoredEvent(2, in: path, with: header + malformed.bytes)
            let log = try EventLog.open(at: path)
            defer { log.close() }

            let error = #expect(throws: LedgerError.self) { try log.event(at: 2) }
            #expect(error?.code == .corrupt)
            #expect(error?.message.contains("event 2") == true)
            // The body starts at byte 28. A reader may name the first byte of the faulty item or
            // the byte after its length prefix, so allow one byte either way.
            let offset = try #require(error.flatMap(namedOffset), "\(error?.message ?? "")")
            #expect(abs(offset - (28 + malformed.offset)) <= 1, "\(error?.message ?? "")")
            #expect(try log.event(at: 1)?.body == ["n": 1])
        }
    }

    @Test func anEventWhoseBodyNestsTooDeeplyReadsAsDamaged() async throws {
        try await Self.withThreeEvents { path in
            var bytes = try storedEvent(2, in: path)
            bytes.removeSubrange(28...)
            try replaceStoredEvent(2, in: path, with: bytes + nestedArrays(depth: 65).encoded)
            let log = try EventLog.open(at: path)
            defer { log.close() }
            let error = #expect(throws: LedgerError.self) { try log.event(at: 2) }
            #expect(error?.code == .corrupt)
        }
    }

    @Test func anEventOfAnUnknownKindStillReads() async throws {
        try await Self.withThreeEvents { path in
            try modifyStoredEvent(2, in: path) { $0[1] = 200 }
            let log = try EventLog.open(at: path)
            defer { log.close() }

            let event = try #require(try log.event(at: 2))
            #expect(event.kind.code == 200)
            #expect(event.kind.isKnown == false)
            #expect(event.kind.description == "unknown(200)")
            #expect(event.id == fixedID(2))
            #expect(event.body == ["n": 2])
            #expect(event.jsonLine.contains(#""kind":"unknown(200)""#))
            #expect(try log.read(from: .zero, limit: 10).sequences == [1, 2, 3])

            try await log.append([observed(nil)])
            #expect(try log.lastSequence() == 4)
        }
    }

    @Test func anEventWithANewerEncodingVersionIsReportedAsUnsupported() async throws {
        try await Self.withThreeEvents { path in
            try modifyStoredEvent(2, in: path) { $0[0] = 2 }
            let log = try EventLog.open(at: path)
            defer { log.close() }

            let error = #expect(throws: LedgerError.self) { try log.event(at: 2) }
            #expect(error?.code == .unsupportedEvent)
            #expect(error?.message.contains("event 2") == true)
            #expect(error?.message.contains("version 2") == true)

            var outcomes: [Result<UInt64, LedgerError>] = []
            try log.scan(from: .zero) { result in
                outcomes.append(result.map(\.sequence.rawValue))
                return true
            }
            #expect(outcomes.compactMap { try? $0.get() } == [1, 3])
            if case .failure(let failure) = outcomes[1] {
                #expect(failure.code == .unsupportedEvent)
            } else {
                Issue.record("the event of version 2 was delivered as \(outcomes[1])")
            }
        }
    }

    @Test(arguments: LayoutDamage.all)
    func anEventThatBreaksTheLayoutReadsAsDamaged(_ damage: LayoutDamage) async throws {
        try await Self.withThreeEvents { path in
            try modifyStoredEvent(2, in: path, damage.change)
            let log = try EventLog.open(at: path)
            defer { log.close() }
            let error = #expect(throws: LedgerError.self) { try log.event(at: 2) }
            #expect(error?.code == .corrupt)
            #expect(error?.message.contains("event 2") == true)
            #expect(error.flatMap(namedOffset) != nil, "\(error?.message ?? "")")
        }
    }

    @Test func anEventWithADecimalExponentBeyond32BitsReadsAsDamagedNotACrash() async {
        await #expect(processExitsWith: .success) {
            try await StoredBytesTests.withThreeEvents { path in
                var bytes = try storedEvent(2, in: path)
                bytes.removeSubrange(28...)
                // A decimal 1 × 10^-2147483648.
                bytes += [4, 2, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
                try replaceStoredEvent(2, in: path, with: bytes)
                let log = try EventLog.open(at: path)
                do {
                    _ = try log.event(at: 2)
                } catch let error as LedgerError where error.code == .corrupt {
                    log.close()
                    exit(0)
                }
                exit(1)
            }
        }
    }

    @Test func anEventWithTheSmallest64BitDecimalExponentReadsAsDamagedNotACrash() async {
        await #expect(processExitsWith: .success) {
            try await StoredBytesTests.withThreeEvents { path in
                var bytes = try storedEvent(2, in: path)
                bytes.removeSubrange(28...)
                // A decimal 1 × 10^-9223372036854775808 (zigzag 2^64 - 1).
                bytes += [4, 2] + [UInt8](repeating: 0xFF, count: 9) + [0x01]
                try replaceStoredEvent(2, in: path, with: bytes)
                let log = try EventLog.open(at: path)
                do {
                    _ = try log.event(at: 2)
                } catch let error as LedgerError where error.code == .corrupt {
                    log.close()
                    exit(0)
                }
                exit(1)
            }
        }
    }

}

/// A way to break the documented layout of a stored event (without a record, see
/// `StoredBytesTests.withThreeEvents`).
struct LayoutDamage: Sendable, CustomTestStringConvertible {
    let name: String
    let change: @Sendable (inout [UInt8]) -> Void

    var testDescription: String { name }

    static let all = [
        LayoutDamage(name: "unknown flag") { $0[26] |= 0x04 },
        LayoutDamage(name: "a byte after the body") { $0.append(0) },
        LayoutDamage(name: "cut inside the id") { $0.removeSubrange(10...) },
        LayoutDamage(name: "cut inside the recorded time") { $0.removeSubrange(20...) },
        LayoutDamage(name: "no body") { $0.removeSubrange(28...) },
        LayoutDamage(name: "causation count beyond the bytes") { $0[27] = 5 },
        LayoutDamage(name: "record flag without a record") { $0[26] |= 0x01 },
        LayoutDamage(name: "upstream time flag without a time") { $0[26] |= 0x02 },
    ]
}
