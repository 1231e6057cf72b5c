import Ledger
import Testing

/// A JSON event to append that must be refused, and the member the error must name.
struct BadJSONEvent: Sendable, CustomTestStringConvertible {
    let name: String
    let json: Value
    let member: String

    var testDescription: String { name }

    static let all = [
        BadJSONEvent(
            name: "unknown member", json: ["kind": "observed", "colour": "red"], member: "colour"),
        BadJSONEvent(name: "missing kind", json: ["record": "zendesk:ticket/1"], member: "kind"),
        BadJSONEvent(name: "kind not a string", json: ["kind": 1], member: "kind"),
        BadJSONEvent(name: "unknown kind", json: ["kind": "observd"], member: "kind"),
        BadJSONEvent(
            name: "id not a UUID", json: ["kind": "observed", "id": "nope"], member: "id"),
        BadJSONEvent(name: "id not a string", json: ["kind": "observed", "id": 5], member: "id"),
        BadJSONEvent(
            name: "record without a type", json: ["kind": "observed", "record": "zendesk"],
            member: "record"),
        BadJSONEvent(
            name: "record with an empty id",
            json: ["kind": "observed", "record": "zendesk:ticket/"],
            member: "record"),
        BadJSONEvent(
            name: "record not a string", json: ["kind": "observed", "record": 7], member: "record"),
        BadJSONEvent(
            name: "upstreamAt not a time", json: ["kind": "observed", "upstreamAt": "yesterday"],
            member: "upstreamAt"),
        BadJSONEvent(
            name: "upstreamAt on February 30th",
            json: ["kind": "observed", "upstreamAt": "2026-02-30T00:00:00Z"], member: "upstreamAt"),
        BadJSONEvent(
            name: "upstreamAt a number", json: ["kind": "observed", "upstreamAt": 1_700_000_000],
            member: "upstreamAt"),
        BadJSONEvent(
            name: "causation not an array", json: ["kind": "observed", "causation": "x"],
            member: "causation"),
        BadJSONEvent(
            name: "causation holding a non-id", json: ["kind": "observed", "causation": ["x"]],
            member: "causation"),
        BadJSONEvent(
            name: "body nested too deeply",
            json: ["kind": "observed", "body": nestedArrays(depth: 65)],
            member: "body"),
    ]
}

@Suite struct EventJSONTests {
    @Test func anEventPrintsAsOneLineWithMembersInTheDocumentedOrder() async throws {
        let recorded = try #require(Timestamp(rfc3339: "2026-12-03T15:24:01Z"))
        try await withLedger(options: options(clock: TestClock(at: recorded, step: 0))) { log, _ in
            let id = try #require(EventID("0191e2f4-7c3a-7b21-9f00-12ab34cd56ef"))
            try await log.append([
                NewEvent(
                    id: id, kind: .observed, record: .ticket("42"),
                    upstreamAt: Timestamp(rfc3339: "2026-12-03T15:20:00.5Z"),
                    causation: [fixedID(1), fixedID(2)],
                    body: ["status": "pending", "amount": decimal(1250, -2), "note": "a \"b\"\n"]),
                NewEvent(id: fixedID(3), kind: .configApplied, record: nil),
            ])

            let attached = try #require(try log.event(at: 1))
            let expected = [
                #""seq":1"#,
                #""id":"0191e2f4-7c3a-7b21-9f00-12ab34cd56ef""#,
                #""kind":"observed""#,
                #""record":"zendesk:ticket/42""#,
                #""version":1"#,
                #""recordedAt":"2026-12-03T15:24:01Z""#,
                #""upstreamAt":"2026-12-03T15:20:00.500Z""#,
                #""causation":["0191e2f4-7c3a-7b21-9f00-000000000001","#
                    + #""0191e2f4-7c3a-7b21-9f00-000000000002"]"#,
                #""body":{"amount":12.5,"note":"a \"b\"\n","status":"pending"}"#,
            ]
            #expect(attached.jsonLine == "{" + expected.joined(separator: ",") + "}")

            let unattached = try #require(try log.event(at: 2))
            let expectedWithout = [
                #""seq":2"#,
                #""id":"0191e2f4-7c3a-7b21-9f00-000000000003""#,
                #""kind":"configApplied""#,
                #""recordedAt":"2026-12-03T15:24:01Z""#,
                #""causation":[]"#,
                #""body":{}"#,
            ]
            #expect(unattached.jsonLine == "{" + expectedWithout.joined(separator: ",") + "}")
        }
    }

    @Test func aPrintedEventReadsBackAsTheEventThatWasAppended() async throws {
        try await withLedger { log, _ in
            let original = NewEvent(
                id: fixedID(1), kind: .writeFailed, record: .ticket("9/9:x", connection: "jira"),
                upstreamAt: Timestamp(microsecondsSinceEpoch: -1),
                causation: [fixedID(2)], body: ["error": ["code": 429, "retryable": true]])
            try await log.append([original])
            let line = try #require(try log.event(at: 1)).jsonLine

            let parsed = try NewEvent(
                json: try Value(json: line), extraMembers: ["seq", "version", "recordedAt"])
            #expect(parsed == original)
        }
    }

    @Test func anEventReadsFromJSONWithEveryMember() throws {
        let json = try Value(
            json: #"""
                {"id": "0191e2f4-7c3a-7b21-9f00-12ab34cd56ef", "kind": "linked",
                 "record": "zendesk:ticket/42", "upstreamAt": "2026-12-03T16:24:01+01:00",
                 "causation": ["0191e2f4-7c3a-7b21-9f00-000000000001"],
                 "body": {"to": "jira:issue/7"}}
                """#)
        let event = try NewEvent(json: json)
        #expect(event.id == EventID("0191e2f4-7c3a-7b21-9f00-12ab34cd56ef"))
        #expect(event.kind == .linked)
        #expect(event.record == RecordReference("zendesk:ticket/42"))
        #expect(event.upstreamAt == Timestamp(rfc3339: "2026-12-03T15:24:01Z"))
        #expect(event.causation == [fixedID(1)])
        #expect(event.body == ["to": "jira:issue/7"])
    }

    @Test func anEventFromJSONHasDefaultsForOptionalMembers() throws {
        let minimal = try NewEvent(json: ["kind": "observed"])
        #expect(minimal.kind == .observed)
        #expect(minimal.record == nil)
        #expect(minimal.upstreamAt == nil)
        #expect(minimal.causation.isEmpty)
        #expect(minimal.body == [:])
        #expect(minimal.id.high & 0xf000 == 0x7000)
        #expect(try NewEvent(json: ["kind": "observed"]).id != minimal.id)

        let nulls = try NewEvent(json: ["kind": "deleted", "record": nil, "upstreamAt": nil])
        #expect(nulls.record == nil)
        #expect(nulls.upstreamAt == nil)
    }

    @Test(arguments: EventKind.allKnown)
    func everyKnownKindReadsFromJSONByName(_ kind: EventKind) throws {
        #expect(EventKind(name: kind.description) == kind)
        #expect(try NewEvent(json: ["kind": .string(kind.description)]).kind == kind)
    }

    @Test(arguments: BadJSONEvent.all)
    func aBadJSONEventIsRefusedNamingTheMember(_ bad: BadJSONEvent) {
        let error = #expect(throws: LedgerError.self) {
            try NewEvent(json: bad.json)
        }
        #expect(error?.code == .invalidEvent)
        #expect(error?.message.contains("\"\(bad.member)\"") == true, "\(error?.message ?? "")")
    }

    @Test func aJSONEventMustBeAnObject() {
        for json: Value in [[], "observed", nil, 1] {
            let error = #expect(throws: LedgerError.self) {
                try NewEvent(json: json)
            }
            #expect(error?.code == .invalidEvent)
        }
    }

    @Test func membersACallerAllowsAreIgnored() throws {
        let event = try NewEvent(
            json: ["kind": "observed", "expectedVersion": 3], extraMembers: ["expectedVersion"])
        #expect(event.kind == .observed)
        let error = #expect(throws: LedgerError.self) {
            try NewEvent(json: ["kind": "observed", "expectedVersion": 3])
        }
        #expect(error?.message.contains("\"expectedVersion\"") == true)
    }
}
