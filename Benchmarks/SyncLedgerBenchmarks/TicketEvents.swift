import Ledger

/// SplitMix64: a small, fast generator whose output depends only on its seed, so every run
/// generates the same events.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    /// Creates a generator; equal seeds give equal sequences.
    init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
        return mixed ^ (mixed >> 31)
    }
}

/// Generates `observed` events for help-desk tickets, as a Zendesk poller would record them.
///
/// Events go to the records `zendesk:ticket/1` to `zendesk:ticket/<recordCount>` in turn, and
/// each body is a ticket of about 400 encoded bytes whose text, status, tags and times vary
/// from event to event. Equal seeds give equal events, except for the ids, which carry the
/// time they were made (as ``EventID/generate(at:)`` ids do in use).
struct TicketEvents {
    /// How many records the events are spread over.
    let recordCount: Int

    private var generator: SeededGenerator
    private var nextTicket: Int
    private var upstreamTime: Timestamp

    /// Creates a source whose first event concerns ticket `firstTicket`.
    init(seed: UInt64, recordCount: Int, firstTicket: Int = 1) {
        self.recordCount = recordCount
        self.generator = SeededGenerator(seed: seed)
        self.nextTicket = (firstTicket - 1) % recordCount
        self.upstreamTime = Timestamp(secondsSinceEpoch: 1_767_600_000)
    }

    /// The next `count` events.
    mutating func next(_ count: Int) -> [NewEvent] {
        var events: [NewEvent] = []
        events.reserveCapacity(count)
        for _ in 0..<count {
            events.append(next())
        }
        return events
    }

    /// The next event.
    mutating func next() -> NewEvent {
        let ticket = nextTicket + 1
        nextTicket = (nextTicket + 1) % recordCount
        upstreamTime.microseconds += Int64(generator.next(upperBound: 40_000_000 as UInt64))
        let record = RecordReference(
            connection: "zendesk", recordType: "ticket", remoteID: String(ticket))
        return NewEvent(
            id: .generate(using: &generator), kind: .observed, record: record,
            upstreamAt: upstreamTime, body: ticketBody(ticket, updatedAt: upstreamTime))
    }

    private mutating func ticketBody(_ ticket: Int, updatedAt: Timestamp) -> Value {
        let createdAt = Timestamp(
            microsecondsSinceEpoch: 1_735_700_000_000_000 + Int64(ticket) * 2_700_000_000)
        let tagCount = Int(generator.next(upperBound: 4 as UInt64)) + 1
        let tags = (0..<tagCount).map { _ in Value.string(pick(Self.tags)) }
        let assignee: Value =
            generator.next(upperBound: 5 as UInt64) == 0
            ? .null : .integer(360_000_000_000 + Int64(generator.next(upperBound: 40 as UInt64)))
        let members: [(String, Value)] = [
            ("id", .integer(Int64(ticket))),
            ("subject", .string(subject())),
            ("description", .string(description())),
            ("status", .string(pick(Self.statuses))),
            ("priority", .string(pick(Self.priorities))),
            ("type", .string(pick(Self.types))),
            ("tags", .array(tags)),
            ("requester_id", .integer(Int64(380_000_000_000 + ticket * 7))),
            ("assignee_id", assignee),
            ("group_id", .integer(Int64(22_000_000 + generator.next(upperBound: 8 as UInt64)))),
            ("created_at", .string(createdAt.description)),
            ("updated_at", .string(updatedAt.description)),
            ("via", ["channel": .string(pick(Self.channels))]),
        ]
        return .object(ValueObject(members))
    }

    private mutating func subject() -> String {
        "\(pick(Self.problems)) \(pick(Self.features))"
    }

    private mutating func description() -> String {
        let opening = pick(Self.openings)
        let detail = pick(Self.details)
        return "Since \(opening) \(pick(Self.features)) \(detail) Order \(orderNumber()). "
            + pick(Self.closings)
    }

    private mutating func orderNumber() -> String {
        "#" + String(generator.next(upperBound: 9_000_000 as UInt64) + 1_000_000)
    }

    private mutating func pick(_ choices: [String]) -> String {
        choices[Int(generator.next(upperBound: UInt64(choices.count)))]
    }

    private static let statuses = ["new", "open", "pending", "hold", "solved", "closed"]
    private static let priorities = ["low", "normal", "high", "urgent"]
    private static let types = ["question", "incident", "problem", "task"]
    private static let channels = ["email", "web", "api", "chat", "voice"]
    private static let tags = [
        "billing", "refund", "vip", "mobile", "android", "ios", "export", "sso", "outage",
        "feature_request", "enterprise", "trial", "escalated", "bug",
    ]
    private static let problems = [
        "Cannot open", "Error when saving", "Slow loading of", "Question about",
        "Missing data in", "Duplicate entries in", "Wrong totals in", "Timeout in",
    ]
    private static let features = [
        "the invoice export", "the billing page", "the mobile app", "single sign-on",
        "the reporting dashboard", "the CSV import", "team permissions", "the API keys page",
    ]
    private static let openings = [
        "this morning", "the last update", "Monday", "we moved to the new plan", "yesterday",
    ]
    private static let details = [
        "fails with an error and nothing is saved.", "shows a blank screen after a while.",
        "takes more than a minute and then times out.", "shows numbers that do not match.",
        "logs people out without a message.",
    ]
    private static let closings = [
        "Could you look into it? Thanks.", "This blocks our month-end close.",
        "Screenshots are attached.", "Please call me back when you can.",
    ]
}
