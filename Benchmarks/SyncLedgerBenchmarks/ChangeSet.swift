import Ledger
import Reconcile

/// The field changes people make on linked records: one per record, the first half of the
/// tickets changed in Zendesk and the issues of the second half in Jira, alternately the
/// subject (summary) and the priority.
struct ChangeSet {
    /// One change: the linked records, the field on the side changed, and its new value.
    struct Change {
        var ticket: String
        var issue: String
        var changesPriority: Bool
        /// The new value on the side changed: a subject, a summary or a priority name.
        var value: String
    }

    /// Zendesk's priorities with their Jira names, as the pair maps them.
    static let priorities = [
        ("urgent", "Highest"), ("high", "High"), ("normal", "Medium"), ("low", "Low"),
    ]

    /// Changes made in Zendesk, to be carried to Jira.
    let onZendesk: [Change]
    /// Changes made in Jira, to be carried to Zendesk.
    let onJira: [Change]

    /// Changes in all.
    var count: Int { onZendesk.count + onJira.count }

    /// Plans a change for every link; each priority moves to the next one of the four, from
    /// what the projection holds.
    init(links: [(ticket: String, issue: String)], store: ProjectionStore) throws {
        let queries = SyncQueries(store)
        let sorted = links.sorted { (Int($0.ticket) ?? 0) < (Int($1.ticket) ?? 0) }
        var onZendesk: [Change] = []
        var onJira: [Change] = []
        for (index, link) in sorted.enumerated() {
            let inZendesk = index < sorted.count / 2
            let changesPriority = index % 2 == 1
            var value: String
            if changesPriority {
                let ticket = RecordReference(
                    connection: "zendesk", recordType: "ticket", remoteID: link.ticket)
                let current = try queries.record(ticket)?.fields["priority"]?.value?.stringValue
                let position = Self.priorities.firstIndex { $0.0 == current } ?? 0
                let next = Self.priorities[(position + 1) % Self.priorities.count]
                value = inZendesk ? next.0 : next.1
            } else {
                value =
                    inZendesk
                    ? "Changed in Zendesk: ticket \(link.ticket)"
                    : "Changed in Jira: issue \(link.issue)"
            }
            let change = Change(
                ticket: link.ticket, issue: link.issue, changesPriority: changesPriority,
                value: value)
            if inZendesk {
                onZendesk.append(change)
            } else {
                onJira.append(change)
            }
        }
        self.onZendesk = onZendesk
        self.onJira = onJira
    }

    /// Makes the changes through the providers' APIs: Zendesk's in `update_many` jobs, Jira's
    /// one edit per issue.
    func make(through client: SandboxOperator) async throws {
        try await client.updateTickets(
            onZendesk.map { change in
                [
                    "id": .integer(Int64(change.ticket) ?? 0),
                    change.changesPriority ? "priority" : "subject": .string(change.value),
                ]
            })
        for change in onJira {
            let fields: Value =
                change.changesPriority
                ? ["priority": ["name": .string(change.value)]]
                : ["summary": .string(change.value)]
            _ = try await client.jira(
                "PUT", "/rest/api/3/issue/\(change.issue)", ["fields": fields])
        }
    }

    /// Reads every ticket and issue back and checks that each change reached the other side.
    func verify(through client: SandboxOperator) async throws {
        var tickets: [String: Value] = [:]
        for ticket in try await client.allTickets() {
            tickets[String(ticket["id"]?.integerValue ?? 0)] = ticket
        }
        var issues: [String: Value] = [:]
        for issue in try await client.search(updatedSince: nil, fields: ["summary", "priority"]) {
            issues[issue["key"]?.stringValue ?? ""] = issue["fields"]
        }
        let jiraName = Dictionary(uniqueKeysWithValues: Self.priorities)
        var missing: [String] = []
        for change in onZendesk + onJira {
            let ticket = tickets[change.ticket]
            let issue = issues[change.issue]
            let holds: Bool
            if change.changesPriority {
                let zendesk = ticket?["priority"]?.stringValue ?? ""
                let jira = issue?["priority"]?["name"]?.stringValue
                holds =
                    jiraName[zendesk] == jira
                    && (zendesk == change.value || jira == change.value)
            } else {
                holds =
                    ticket?["subject"]?.stringValue == change.value
                    && issue?["summary"]?.stringValue == change.value
            }
            if !holds {
                missing.append("ticket \(change.ticket) / \(change.issue)")
            }
        }
        guard missing.isEmpty else {
            throw BenchmarkError(
                "\(missing.count) changes did not reach the other side, such as "
                    + missing.prefix(3).joined(separator: ", "))
        }
    }
}
