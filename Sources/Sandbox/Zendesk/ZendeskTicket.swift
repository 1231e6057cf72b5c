import Ledger

/// A ticket as the Zendesk emulator keeps it.
struct ZendeskTicket: Sendable {
    var id: Int64
    var subject: String
    var status: String
    var priority: String?
    var type: String?
    var tags: [String]
    var customFields: [Int64: Value]
    var externalID: String?
    var requesterID: Int64
    var assigneeID: Int64?
    var organizationID: Int64?
    var createdAt: Timestamp
    var updatedAt: Timestamp
    /// Moves on every change, in seconds; the incremental export orders by it.
    var generatedTimestamp: Int64
    var comments: [ZendeskComment]
    var isDeleted = false

    static let statuses = ["new", "open", "pending", "hold", "solved", "closed"]
    static let priorities = ["urgent", "high", "normal", "low"]
    static let types = ["problem", "incident", "question", "task"]

    /// The first comment, which Zendesk shows as the read-only description.
    var description: String { comments.first?.body ?? "" }

    /// The ticket in the shape the API returns, under `baseURL`. With `drift`, as a changed
    /// schema would show it: `urgent` renamed `critical`, and a field nobody documented.
    func json(baseURL: String, fields: [ZendeskTicketField], drift: Bool = false) -> Value {
        var object: ValueObject = [
            "url": .string("\(baseURL)/api/v2/tickets/\(id).json"),
            "id": .integer(id),
            "external_id": externalID.map(Value.string) ?? .null,
            "created_at": .string(createdAt.secondsText),
            "updated_at": .string(updatedAt.secondsText),
            "generated_timestamp": .integer(generatedTimestamp),
            "type": type.map(Value.string) ?? .null,
            "subject": .string(subject),
            "raw_subject": .string(subject),
            "description": .string(description),
            "priority": priority.map(Value.string) ?? .null,
            "status": .string(isDeleted ? "deleted" : status),
            "requester_id": .integer(requesterID),
            "submitter_id": .integer(requesterID),
            "assignee_id": assigneeID.map(Value.integer) ?? .null,
            "organization_id": organizationID.map(Value.integer) ?? .null,
            "tags": .array(tags.map(Value.string)),
            "via": ["channel": "api"],
            "is_public": true,
            "has_incidents": false,
            "allow_attachments": true,
        ]
        let custom = fields.filter(\.isCustom).map { field -> Value in
            ["id": .integer(field.id), "value": customFields[field.id] ?? .null]
        }
        object["custom_fields"] = .array(custom)
        object["fields"] = .array(custom)
        if drift {
            if priority == "urgent" {
                object["priority"] = "critical"
            }
            object["sla_policy_v2"] = ["name": "Standard", "breach_at": .null]
        }
        return .object(object)
    }
}

/// A comment on a ticket.
struct ZendeskComment: Sendable {
    var id: Int64
    var authorID: Int64
    var body: String
    var isPublic: Bool
    var createdAt: Timestamp

    func json() -> Value {
        [
            "id": .integer(id), "type": "Comment", "author_id": .integer(authorID),
            "body": .string(body), "plain_body": .string(body),
            "html_body": .string("<div class=\"zd-comment\"><p>\(body)</p></div>"),
            "public": .bool(isPublic), "created_at": .string(createdAt.secondsText),
            "attachments": [],
        ]
    }
}

/// A ticket field: the system ones and the account's custom fields.
struct ZendeskTicketField: Sendable {
    var id: Int64
    var type: String
    var title: String
    var isCustom: Bool
    var options: [String] = []

    func json(baseURL: String) -> Value {
        var object: ValueObject = [
            "url": .string("\(baseURL)/api/v2/ticket_fields/\(id).json"),
            "id": .integer(id), "type": .string(type), "title": .string(title),
            "raw_title": .string(title), "active": true, "required": false,
            "removable": .bool(isCustom), "description": "",
        ]
        if !options.isEmpty {
            object["custom_field_options"] = .array(
                options.enumerated().map { index, option in
                    [
                        "id": .integer(id * 100 + Int64(index)), "name": .string(option),
                        "value": .string(option.lowercased().replacing(" ", with: "_")),
                    ]
                })
        }
        return .object(object)
    }

    /// The fields every account has, then two custom ones: the linked Jira issue's key and a
    /// product drop-down.
    static let standard: [ZendeskTicketField] = [
        ZendeskTicketField(id: 1, type: "subject", title: "Subject", isCustom: false),
        ZendeskTicketField(id: 2, type: "description", title: "Description", isCustom: false),
        ZendeskTicketField(id: 3, type: "status", title: "Status", isCustom: false),
        ZendeskTicketField(id: 4, type: "tickettype", title: "Type", isCustom: false),
        ZendeskTicketField(id: 5, type: "priority", title: "Priority", isCustom: false),
        ZendeskTicketField(id: 6, type: "assignee", title: "Assignee", isCustom: false),
        ZendeskTicketField(id: 360_001, type: "text", title: "Jira issue", isCustom: true),
        ZendeskTicketField(
            id: 360_002, type: "tagger", title: "Product", isCustom: true,
            options: ["Printers", "Network", "Billing", "Accounts"]),
    ]
}

/// Realistic tickets from a seed: the same seed gives the same tickets.
struct ZendeskSeeder {
    private var random: SandboxRandom

    init(seed: UInt64) {
        random = SandboxRandom(seed: seed)
    }

    /// `count` tickets, ids from 1, created over the months before `now`.
    mutating func tickets(_ count: Int, now: Timestamp) -> [ZendeskTicket] {
        let span: Int64 = 180 * 86_400
        return (0..<count).map { index in
            let created =
                now.unixSeconds - span + Int64(index) * span / Int64(max(count, 1))
                - Int64(random.next(below: 3_600))
            let updated = min(
                created + Int64(random.next(below: 20 * 86_400)), now.unixSeconds - 120)
            let id = Int64(index + 1)
            let thing = random.pick(Self.things)
            let body = description(about: thing)
            return ZendeskTicket(
                id: id, subject: "\(thing) \(random.pick(Self.troubles))",
                status: random.pick(["new", "open", "open", "pending", "solved"]),
                priority: random.pick(["urgent", "high", "normal", "normal", "low"]),
                type: random.pick(ZendeskTicket.types),
                tags: Array(
                    Set((0..<random.next(below: 3) + 1).map { _ in random.pick(Self.tags) })
                )
                .sorted(),
                customFields: [
                    360_002: .string(random.pick(["printers", "network", "billing", "accounts"]))
                ],
                externalID: nil, requesterID: 380_000_000 + id,
                assigneeID: 360_000_000 + Int64(random.next(below: 12)),
                organizationID: 370_000 + Int64(random.next(below: 40)),
                createdAt: Timestamp(secondsSinceEpoch: created),
                updatedAt: Timestamp(secondsSinceEpoch: updated), generatedTimestamp: updated,
                comments: [
                    ZendeskComment(
                        id: id * 1_000, authorID: 380_000_000 + id, body: body, isPublic: true,
                        createdAt: Timestamp(secondsSinceEpoch: created))
                ])
        }
    }

    /// Several paragraphs, with a list and a code block now and then.
    private mutating func description(about thing: String) -> String {
        var paragraphs = [
            "Hello, since \(random.pick(Self.times)) the \(thing.lowercased()) \(random.pick(Self.troubles)). "
                + "\(random.pick(Self.details))."
        ]
        if random.next(below: 2) == 0 {
            paragraphs.append(
                "What we tried:\n"
                    + (0..<3).map { _ in "- \(random.pick(Self.attempts))" }.joined(
                        separator: "\n"))
        }
        if random.next(below: 3) == 0 {
            paragraphs.append(
                "The log says:\n```\nerror 0x8007\(random.next(below: 9_000) + 1_000): access denied\n```"
            )
        }
        paragraphs.append("Thanks, \(random.pick(Self.names))")
        return paragraphs.joined(separator: "\n\n")
    }

    static let things = [
        "Printer", "VPN", "Laptop", "Badge reader", "Invoice export", "Login page", "Mailbox",
        "Wi-Fi", "Dashboard", "Phone line",
    ]
    static let troubles = [
        "jams every morning", "drops the connection", "will not start", "shows an error",
        "is very slow", "rejects my password",
    ]
    static let times = ["Monday", "the last update", "this morning", "the office move"]
    static let details = [
        "Two colleagues on the same floor see it too", "It worked fine last week",
        "It happens only on the second floor", "Restarting helps for an hour",
    ]
    static let attempts = [
        "restarted the device", "cleared the cache", "tried another cable", "logged out and in",
        "asked a colleague to try",
    ]
    static let names = ["Ana", "Bruno", "Chen", "Dara", "Emil", "Fatima"]
    static let tags = ["hardware", "network", "billing", "access", "vip", "floor-2"]
}

/// SplitMix64: faults and data drawn from it repeat for a seed.
struct SandboxRandom: Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
        return mixed ^ (mixed >> 31)
    }

    /// A number in `0..<bound`.
    mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(max(bound, 1)))
    }

    mutating func pick<T>(_ choices: [T]) -> T {
        choices[next(below: choices.count)]
    }
}
