import Ledger
import Reconcile

/// Generates the log of a Zendesk ↔ Jira sync: tickets created and synced to new issues, then
/// changes on either side carried over as write intents, outcomes and echoes, with some
/// conflicts (both sides changed before a sync) and some failed writes retried.
///
/// Positions are counted as events are generated, so intents and outcomes can name each
/// other; the events must be appended, in order, to an empty ledger. Equal seeds give equal
/// events, except for the ids.
struct SyncWorkload {
    /// The pair every record belongs to.
    static let pair = SyncPair(
        name: "support",
        left: RecordSet(connection: "zendesk", recordType: "ticket"),
        right: RecordSet(connection: "jira", recordType: "issue"),
        fields: [
            FieldMapping(left: "subject", right: "summary"),
            FieldMapping(left: "description", right: "description"),
            FieldMapping(
                left: "status", right: "status", authority: .manual,
                values: ValueMap([
                    ("open", "To Do"), ("pending", "In Progress"), ("solved", "Done"),
                ])),
            FieldMapping(
                left: "priority", right: "priority", authority: .owner(.left),
                values: ValueMap([
                    ("low", "Low"), ("normal", "Medium"), ("high", "High"), ("urgent", "Highest"),
                ])),
            FieldMapping(left: "tags", right: "labels", authority: .mergeSet),
            FieldMapping(left: "assignee", right: "assignee"),
            FieldMapping(left: "due_at", right: "duedate"),
            FieldMapping(
                left: "type", right: "issuetype", authority: .owner(.left),
                values: ValueMap([("question", "Task"), ("incident", "Bug"), ("problem", "Story")])),
        ])

    /// Fields a change may touch, and how often: the subject and status change most.
    private static let changeable = [0, 0, 1, 2, 2, 2, 4, 5, 6]

    /// Tickets (and as many issues).
    let ticketCount: Int
    /// Events to generate in all.
    let eventCount: Int

    private var generator: SeededGenerator
    private var position: UInt64 = 0
    private var time = Timestamp(secondsSinceEpoch: 1_767_600_000)
    /// Each ticket's tags and each issue's labels: the one field whose written value depends
    /// on what the destination holds (merged sets). Everything else written is the change.
    private var tags: [Value] = []
    private var labels: [Value] = []
    private var pending: [NewEvent] = []

    /// What was generated, for the report.
    private(set) var conflicts = 0
    private(set) var failures = 0
    private(set) var echoes = 0

    /// Creates a workload of `eventCount` events over `ticketCount` linked pairs of records.
    init(seed: UInt64, ticketCount: Int, eventCount: Int) {
        self.ticketCount = ticketCount
        self.eventCount = eventCount
        generator = SeededGenerator(seed: seed)
        pending.append(
            NewEvent(
                kind: .configApplied, record: nil,
                body: ["configuration": SyncConfiguration(pairs: [Self.pair]).value]))
        position = 1
    }

    /// Whether every event has been generated.
    var isFinished: Bool { position >= UInt64(eventCount) && pending.isEmpty }

    /// The next batch of at most `count` events; batches never split one sync step.
    mutating func next(_ count: Int) -> [NewEvent] {
        while pending.count < count && position < UInt64(eventCount) {
            if tags.count < ticketCount {
                createTicket()
            } else {
                change()
            }
        }
        let batch = Array(pending.prefix(count))
        pending.removeFirst(batch.count)
        return batch
    }

    // MARK: - Steps

    private mutating func emit(_ event: NewEvent) -> SequenceNumber {
        pending.append(event)
        position += 1
        return SequenceNumber(position)
    }

    private mutating func tick() -> Timestamp {
        time.microseconds += Int64(generator.next(upperBound: 20_000_000 as UInt64)) + 1
        return time
    }

    /// A new ticket, created in Jira, linked, and echoed back: five events.
    private mutating func createTicket() {
        let number = tags.count + 1
        let ticket = Self.ticket(number)
        let issue = Self.issue(number)
        let fields = ticketBody(number)
        let observed = emit(
            Observation(source: "webhook", fields: fields).event(ticket, upstreamAt: tick()))
        let mapped = carry(fields, from: .left)
        let intent = emit(
            WriteIntent(
                pair: Self.pair.name, operation: .create, fields: mapped,
                idempotencyKey: "syncledger:support:create:\(ticket)",
                decisions: decisions(for: mapped, basis: observed, side: .right),
                target: Self.pair.right
            ).event(ticket))
        _ = emit(WriteOutcome.succeeded(intent: intent, created: issue).event(ticket))
        _ = emit(LinkChange(pair: Self.pair.name, counterpart: issue).event(ticket))
        var issueBody = mapped
        issueBody["reporter"] = .string("agent-\(number % 40)@example.com")
        issueBody["project"] = "SUP"
        _ = emit(Observation(source: "poll", fields: issueBody).event(issue, upstreamAt: tick()))
        echoes += 1
        tags.append(fields["tags"] ?? [])
        labels.append(issueBody["labels"] ?? [])
    }

    /// A change on one side carried to the other: observation, intent, outcome, echo. Some
    /// changes meet a change on the other side first (a conflict); some writes fail once.
    private mutating func change() {
        let index = Int(generator.next(upperBound: UInt64(ticketCount)))
        let side: Side = generator.next(upperBound: 10 as UInt64) < 7 ? .left : .right
        var fieldIndex = Self.changeable[
            Int(generator.next(upperBound: UInt64(Self.changeable.count)))]
        if side == .right && [3, 7].contains(fieldIndex) {
            // The left owns priority and type; the right does not change them.
            fieldIndex = 0
        }
        let mapping = Self.pair.fields[fieldIndex]
        let name = mapping.field(on: side)
        let value = newValue(for: mapping.left, on: side)
        let record = side == .left ? Self.ticket(index + 1) : Self.issue(index + 1)
        let observed = emit(
            Observation(source: "webhook", fields: [name: value]).event(record, upstreamAt: tick()))
        set(name, to: value, on: side, index)

        var winner = side
        var winnerValue = value
        var basis = observed
        if mapping.authority == .lastWriterWins && generator.next(upperBound: 20 as UInt64) == 0 {
            // The other side changed the same field a moment later: it wins.
            conflicts += 1
            let otherName = mapping.field(on: side.opposite)
            let otherValue = newValue(for: mapping.left, on: side.opposite)
            let otherRecord = side == .left ? Self.issue(index + 1) : Self.ticket(index + 1)
            basis = emit(
                Observation(source: "poll", fields: [otherName: otherValue]).event(
                    otherRecord, upstreamAt: tick()))
            set(otherName, to: otherValue, on: side.opposite, index)
            winner = side.opposite
            winnerValue = otherValue
        }
        let destinationSide = winner.opposite
        let destination = destinationSide == .left ? Self.ticket(index + 1) : Self.issue(index + 1)
        let written = written(mapping, from: winner, value: winnerValue, index: index)
        let fields: ValueObject = [mapping.field(on: destinationSide): written]
        let intentEvent = WriteIntent(
            pair: Self.pair.name, operation: .update, fields: fields,
            idempotencyKey: "syncledger:support:\(destination):\(basis)",
            decisions: decisions(for: fields, basis: basis, side: destinationSide))
        var intent = emit(intentEvent.event(destination))
        if generator.next(upperBound: 50 as UInt64) == 0 {
            failures += 1
            _ = emit(WriteOutcome.failed(intent: intent, error: "HTTP 503").event(destination))
            intent = emit(intentEvent.event(destination))
        }
        _ = emit(WriteOutcome.succeeded(intent: intent).event(destination))
        _ = emit(
            Observation(source: "webhook", fields: fields).event(destination, upstreamAt: tick()))
        echoes += 1
        set(mapping.field(on: destinationSide), to: written, on: destinationSide, index)
    }

    // MARK: - Values

    private func carry(_ fields: ValueObject, from side: Side) -> ValueObject {
        var mapped = ValueObject()
        for mapping in Self.pair.fields {
            if let value = fields[mapping.field(on: side)] {
                mapped[mapping.field(on: side.opposite)] =
                    (try? mapping.carry(value, from: side)) ?? value
            }
        }
        return mapped
    }

    /// What the destination is written: the carried value, or for merged sets the union.
    private func written(_ mapping: FieldMapping, from side: Side, value: Value, index: Int)
        -> Value
    {
        let carried = (try? mapping.carry(value, from: side)) ?? value
        guard mapping.authority == .mergeSet else {
            return carried
        }
        let destination = side == .left ? labels[index] : tags[index]
        var union = carried.arrayValue ?? []
        for element in destination.arrayValue ?? [] where !union.contains(element) {
            union.append(element)
        }
        return .array(union)
    }

    private func decisions(for fields: ValueObject, basis: SequenceNumber, side: Side)
        -> [String: WriteIntent.Decision]
    {
        var decisions: [String: WriteIntent.Decision] = [:]
        for mapping in Self.pair.fields where fields[mapping.field(on: side)] != nil {
            decisions[mapping.field(on: side)] = WriteIntent.Decision(
                rule: mapping.authority, basis: basis)
        }
        return decisions
    }

    private mutating func set(_ name: String, to value: Value, on side: Side, _ index: Int) {
        if name == "tags" {
            tags[index] = value
        } else if name == "labels" {
            labels[index] = value
        }
    }

    private mutating func newValue(for leftField: String, on side: Side) -> Value {
        let value: Value
        switch leftField {
        case "subject": value = .string(subject())
        case "description": value = .string(description())
        case "status": value = .string(pick(["open", "pending", "solved"]))
        case "tags": value = .array([.string(pick(Self.tags)), .string(pick(Self.tags))])
        case "assignee":
            value = .string("agent-\(generator.next(upperBound: 40 as UInt64))@example.com")
        case "due_at":
            value = .string(
                "2026-\(10 + generator.next(upperBound: 3 as UInt64))-1\(generator.next(upperBound: 10 as UInt64))"
            )
        default: value = .string(pick(["low", "normal", "high", "urgent"]))
        }
        let mapping = Self.pair.fields.first { $0.left == leftField }!
        return side == .left ? value : (try? mapping.carry(value, from: .left)) ?? value
    }

    private mutating func ticketBody(_ number: Int) -> ValueObject {
        [
            "subject": .string(subject()),
            "description": .string(description()),
            "status": "open",
            "priority": .string(pick(["low", "normal", "high", "urgent"])),
            "tags": .array([.string(pick(Self.tags))]),
            "assignee": .string("agent-\(generator.next(upperBound: 40 as UInt64))@example.com"),
            "due_at": "2026-12-24",
            "type": .string(pick(["question", "incident", "problem"])),
            "requester_id": .integer(380_000_000_000 + Int64(number)),
            "organization_id": .integer(360_000_000 + Int64(number % 300)),
        ]
    }

    private mutating func subject() -> String {
        "\(pick(Self.things)) \(pick(Self.troubles)) on floor \(generator.next(upperBound: 9 as UInt64))"
    }

    private mutating func description() -> String {
        (0..<3).map { _ in
            "The \(pick(Self.things).lowercased()) \(pick(Self.troubles)) since \(pick(Self.times)); "
                + "\(pick(Self.actions))."
        }.joined(separator: " ")
    }

    private mutating func pick(_ choices: [String]) -> String {
        choices[Int(generator.next(upperBound: UInt64(choices.count)))]
    }

    static func ticket(_ number: Int) -> RecordReference {
        RecordReference(connection: "zendesk", recordType: "ticket", remoteID: String(number))
    }

    static func issue(_ number: Int) -> RecordReference {
        RecordReference(connection: "jira", recordType: "issue", remoteID: "SUP-\(number)")
    }

    private static let things = [
        "Printer", "VPN", "Laptop", "Badge reader", "Invoice export", "Login page", "Mailbox",
    ]
    private static let troubles = [
        "jams", "drops the connection", "will not start", "shows an error", "is slow",
    ]
    private static let times = ["Monday", "the last update", "this morning", "the office move"]
    private static let actions = [
        "restarting did not help", "two colleagues see the same", "it worked last week",
        "the error code is 0x80070005", "please call back before noon",
    ]
    private static let tags = ["hardware", "network", "billing", "access", "urgent", "vip"]
}
