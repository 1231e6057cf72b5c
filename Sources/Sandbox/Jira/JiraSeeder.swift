import Ledger

/// Realistic issues from a seed: the same seed gives the same issues.
struct JiraSeeder {
    private var random: SandboxRandom

    init(seed: UInt64) {
        random = SandboxRandom(seed: seed)
    }

    /// `count` issues, ids from 10000 and numbers from 1, created over the six months before
    /// `now`; those past To Do carry the history of their transitions.
    mutating func issues(_ count: Int, now: Timestamp) -> [JiraIssue] {
        let span: Int64 = 180 * 86_400
        var historyID: Int64 = 20_000
        return (0..<count).map { index in
            let created =
                now.unixSeconds - span + Int64(index) * span / Int64(max(count, 1))
                - Int64(random.next(below: 3_600))
            let updated = min(
                created + 60 + Int64(random.next(below: 20 * 86_400)), now.unixSeconds - 120)
            let thing = random.pick(Self.things)
            var issue = JiraIssue(
                id: 10_000 + Int64(index), number: Int64(index + 1),
                summary: "\(thing) \(random.pick(Self.troubles))",
                description: description(about: thing),
                issueTypeID: random.pick(["10001", "10001", "10002", "10003"]),
                priorityID: random.pick(["1", "2", "3", "3", "3", "4", "5"]),
                statusID: JiraCatalog.toDo.id,
                labels: Array(
                    Set((0..<random.next(below: 4)).map { _ in random.pick(Self.labels) })
                )
                .sorted(),
                customFields: [:],
                created: Timestamp(secondsSinceEpoch: created),
                updated: Timestamp(secondsSinceEpoch: updated), resolutionDate: nil, histories: [])
            if random.next(below: 5) < 3 {
                issue.customFields[JiraCatalog.zendeskTicketField.id] = .string(
                    String(random.next(below: 50) + 1))
            }
            if random.next(below: 5) < 2 {
                issue.customFields[JiraCatalog.customerImpactField.id] = ADFDocument.document([
                    ADFDocument.paragraph(random.pick(Self.impacts))
                ])
            }
            let steps = random.pick([0, 0, 1, 1, 2])
            let path = [JiraCatalog.toDo, JiraCatalog.inProgress, JiraCatalog.done]
            for step in 0..<steps {
                let at = created + (updated - created) * Int64(step + 1) / Int64(steps)
                let (from, to) = (path[step], path[step + 1])
                var items = [
                    JiraChange(
                        field: "status", fieldID: "status", fieldType: "jira", from: from.id,
                        fromString: from.name, to: to.id, toString: to.name)
                ]
                if to == JiraCatalog.done {
                    let done = JiraCatalog.resolutionDone
                    items.append(
                        JiraChange(
                            field: "resolution", fieldID: "resolution", fieldType: "jira",
                            fromString: nil, to: done.id, toString: done.name))
                    issue.resolutionDate = Timestamp(secondsSinceEpoch: at)
                }
                issue.histories.append(
                    JiraHistory(
                        id: historyID, created: Timestamp(secondsSinceEpoch: at), items: items))
                historyID += 1
                issue.statusID = to.id
            }
            return issue
        }
    }

    /// Paragraphs, a list of what was tried, and now and then a log excerpt in a code block.
    private mutating func description(about thing: String) -> Value {
        var blocks = [
            ADFDocument.paragraph([
                ADFDocument.text("Since \(random.pick(Self.times)) the \(thing.lowercased()) "),
                ADFDocument.text(random.pick(Self.troubles), marks: ["strong"]),
                ADFDocument.text(". \(random.pick(Self.details))."),
            ]),
            ADFDocument.paragraph("Steps taken so far:"),
            ADFDocument.bulletList(
                (0..<random.next(below: 3) + 2).map { _ in
                    random.pick(Self.attempts)
                }),
        ]
        if random.next(below: 3) == 0 {
            let component = random.pick(Self.components)
            let code = random.next(below: 9_000) + 1_000
            blocks.append(
                ADFDocument.codeBlock(
                    "\(component): error 0x8007\(code): access denied\nretrying in 30 s",
                    language: "text"))
        }
        if random.next(below: 4) == 0 {
            blocks.append(
                ADFDocument.paragraph([
                    ADFDocument.text("Runbook: "),
                    ADFDocument.link(
                        "troubleshooting guide", href: "https://runbooks.example.com/\(index())"),
                ]))
        }
        blocks.append(
            ADFDocument.paragraph("Escalated by \(random.pick(Self.names)) from support."))
        return ADFDocument.document(blocks)
    }

    private mutating func index() -> Int {
        random.next(below: 900) + 100
    }

    static let things = [
        "Printer", "VPN", "Laptop", "Badge reader", "Invoice export", "Login page", "Mailbox",
        "Wi-Fi", "Dashboard", "Phone line",
    ]
    static let troubles = [
        "jams every morning", "drops the connection", "will not start", "shows an error",
        "is very slow", "rejects valid passwords",
    ]
    static let times = ["Monday", "the last release", "this morning", "the office move"]
    static let details = [
        "Several customers on the same plan see it", "It worked fine last week",
        "It happens only in the EU region", "A restart helps for about an hour",
    ]
    static let attempts = [
        "restarted the service", "cleared the cache", "rotated the credentials",
        "checked the status page", "reproduced it on a test account",
    ]
    static let components = ["auth-gateway", "print-spooler", "vpn-client", "export-worker"]
    static let impacts = [
        "Blocks invoicing for one customer.", "Affects about forty users every morning.",
        "Workaround available; low urgency.", "A key account has threatened to cancel.",
    ]
    static let names = ["Ana", "Bruno", "Chen", "Dara", "Emil", "Fatima"]
    static let labels = ["customer", "escalated", "hardware", "network", "billing", "vip"]
}
