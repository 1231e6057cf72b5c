import HTTPServer
import Ledger

/// A ticket field the request got wrong, answered as Zendesk's 422 `RecordInvalid`.
struct ZendeskInvalid: Error, Sendable, CustomStringConvertible {
    let field: String
    let description: String
    /// A safe update's collision: answered 409 `UpdateConflict`, not 422.
    var isConflict = false

    var response: HTTPResponse {
        if isConflict {
            return .json(
                ["error": "UpdateConflict", "description": .string(description)], status: 409)
        }
        return .json(
            [
                "error": "RecordInvalid", "description": "Record validation errors",
                "details": [
                    .init(stringLiteral: field): [
                        ["description": .string(description), "error": "InvalidValue"]
                    ]
                ],
            ], status: 422)
    }
}

/// What the Zendesk emulator holds: its tickets, remembered idempotent requests and jobs.
struct ZendeskState: Sendable {
    var tickets: [Int64: ZendeskTicket] = [:]
    /// Every ticket id, ascending, deleted ones included: ids only grow.
    var order: [Int64] = []
    var nextTicketID: Int64
    var nextEventID: Int64 = 1_000_000
    var idempotency: [String: Remembered] = [:]
    var jobs: [String: Value] = [:]
    var webhooks: [String: ZendeskWebhook] = [:]
    var nextWebhook = 0
    var nextInvocation: Int64 = 0

    /// A request made with an `Idempotency-Key`: its body's digest and the answer given.
    struct Remembered: Sendable {
        var digest: Digest
        var response: HTTPResponse
    }

    init(tickets: [ZendeskTicket]) {
        for ticket in tickets {
            self.tickets[ticket.id] = ticket
        }
        order = tickets.map(\.id).sorted()
        nextTicketID = (tickets.map(\.id).max() ?? 0) + 1
    }

    /// Tickets not deleted, by id.
    func liveTickets() -> [ZendeskTicket] {
        order.compactMap { ticket($0) }
    }

    /// How many tickets are not deleted.
    var liveCount: Int {
        order.count { tickets[$0]?.isDeleted == false }
    }

    /// Up to `size` live tickets after the id `after` (or from the start), and whether more
    /// follow; touches only the tickets it returns.
    func page(after: Int64?, size: Int) -> (tickets: [ZendeskTicket], hasMore: Bool) {
        var index = after.map { after in firstIndex { $0 > after } } ?? 0
        var page: [ZendeskTicket] = []
        while index < order.count {
            if let ticket = ticket(order[index]) {
                if page.count == size {
                    return (page, true)
                }
                page.append(ticket)
            }
            index += 1
        }
        return (page, false)
    }

    /// Up to `size` live tickets before the id `before`, in ascending order.
    func page(before: Int64, size: Int) -> [ZendeskTicket] {
        var index = firstIndex { $0 >= before } - 1
        var page: [ZendeskTicket] = []
        while index >= 0 && page.count < size {
            if let ticket = ticket(order[index]) {
                page.append(ticket)
            }
            index -= 1
        }
        return page.reversed()
    }

    /// The first position in `order` whose id satisfies `predicate`, which must be false then
    /// true along the ids (a binary search).
    private func firstIndex(where predicate: (Int64) -> Bool) -> Int {
        var low = 0
        var high = order.count
        while low < high {
            let middle = (low + high) / 2
            if predicate(order[middle]) {
                high = middle
            } else {
                low = middle + 1
            }
        }
        return low
    }

    func ticket(_ id: Int64) -> ZendeskTicket? {
        tickets[id].flatMap { $0.isDeleted ? nil : $0 }
    }

    mutating func create(_ members: ValueObject, now: Timestamp) -> Result<
        (ZendeskTicket, Value), ZendeskInvalid
    > {
        guard case .object(let comment)? = members["comment"],
            let body = comment["body"]?.stringValue ?? comment["html_body"]?.stringValue,
            !body.isEmpty
        else {
            return .failure(
                ZendeskInvalid(field: "description", description: "Description: cannot be blank"))
        }
        let id = nextTicketID
        let seconds = now.unixSeconds
        var ticket = ZendeskTicket(
            id: id, subject: "", status: "new", priority: nil, type: nil, tags: [],
            customFields: [:], externalID: nil,
            requesterID: members["requester_id"]?.integerValue ?? 380_000_000,
            assigneeID: nil, organizationID: nil, createdAt: now, updatedAt: now,
            generatedTimestamp: seconds,
            comments: [
                ZendeskComment(
                    id: nextEventID, authorID: 380_000_000, body: body,
                    isPublic: comment["public"] != false, createdAt: now)
            ])
        nextEventID += 1
        var changes: [Value] = [["type": "Comment", "body": .string(body)]]
        if let invalid = apply(members, to: &ticket, changes: &changes, creating: true) {
            return .failure(invalid)
        }
        if ticket.subject.isEmpty {
            ticket.subject = String(body.prefix(60))
        }
        nextTicketID += 1
        tickets[id] = ticket
        order.append(id)
        return .success((ticket, audit(for: ticket, changes: changes, now: now)))
    }

    mutating func update(_ id: Int64, _ members: ValueObject, now: Timestamp) -> Result<
        (ZendeskTicket, Value), ZendeskInvalid
    > {
        guard var ticket = ticket(id) else {
            return .failure(ZendeskInvalid(field: "id", description: "Ticket \(id) not found"))
        }
        if members["safe_update"] == true {
            guard let stamp = members["updated_stamp"]?.stringValue,
                stamp == ticket.updatedAt.secondsText
            else {
                return .failure(
                    ZendeskInvalid(
                        field: "updated_stamp",
                        description:
                            "Safe Update prevented the update due to outdated ticket data. "
                            + "Please fetch the latest ticket data and try again.",
                        isConflict: true))
            }
        }
        var changes: [Value] = []
        if case .object(let comment)? = members["comment"],
            let body = comment["body"]?.stringValue ?? comment["html_body"]?.stringValue
        {
            ticket.comments.append(
                ZendeskComment(
                    id: nextEventID, authorID: 360_000_000, body: body,
                    isPublic: comment["public"] != false, createdAt: now))
            nextEventID += 1
            changes.append(["type": "Comment", "body": .string(body)])
        }
        if let invalid = apply(members, to: &ticket, changes: &changes, creating: false) {
            return .failure(invalid)
        }
        if !changes.isEmpty {
            ticket.updatedAt = now
        }
        ticket.generatedTimestamp = max(now.unixSeconds, ticket.generatedTimestamp + 1)
        tickets[id] = ticket
        return .success((ticket, audit(for: ticket, changes: changes, now: now)))
    }

    mutating func delete(_ id: Int64, now: Timestamp) -> Bool {
        guard var ticket = ticket(id) else {
            return false
        }
        ticket.isDeleted = true
        ticket.updatedAt = now
        ticket.generatedTimestamp = max(now.unixSeconds, ticket.generatedTimestamp + 1)
        tickets[id] = ticket
        return true
    }

    /// Applies the writable members, noting each change; returns what was invalid, if anything.
    private func apply(
        _ members: ValueObject, to ticket: inout ZendeskTicket, changes: inout [Value],
        creating: Bool
    ) -> ZendeskInvalid? {
        func change(_ field: String, _ value: Value, _ previous: Value) {
            if value != previous {
                changes.append([
                    "type": creating ? "Create" : "Change", "field_name": .string(field),
                    "value": value, "previous_value": previous,
                ])
            }
        }
        if let subject = members["subject"] {
            guard let text = subject.stringValue else {
                return ZendeskInvalid(field: "subject", description: "Subject: is invalid")
            }
            change("subject", subject, .string(ticket.subject))
            ticket.subject = text
        }
        for (name, allowed) in [
            ("status", ZendeskTicket.statuses), ("priority", ZendeskTicket.priorities),
            ("type", ZendeskTicket.types),
        ] {
            guard let value = members[name] else {
                continue
            }
            if value == .null && name != "status" {
                change(
                    name, .null,
                    (name == "priority" ? ticket.priority : ticket.type).map(Value.string) ?? .null)
                if name == "priority" { ticket.priority = nil } else { ticket.type = nil }
                continue
            }
            guard let text = value.stringValue, allowed.contains(text) else {
                return ZendeskInvalid(
                    field: name, description: "\(name.capitalized): \(value.json) is not valid")
            }
            switch name {
            case "status":
                change(name, value, .string(ticket.status))
                ticket.status = text
            case "priority":
                change(name, value, ticket.priority.map(Value.string) ?? .null)
                ticket.priority = text
            default:
                change(name, value, ticket.type.map(Value.string) ?? .null)
                ticket.type = text
            }
        }
        if let tags = members["tags"] {
            guard case .array(let elements) = tags, elements.allSatisfy({ $0.stringValue != nil })
            else {
                return ZendeskInvalid(
                    field: "tags", description: "Tags: must be an array of strings")
            }
            // Writing tags replaces the whole set; Zendesk keeps them lower-cased and unique.
            let normalised = Array(Set(elements.compactMap { $0.stringValue?.lowercased() }))
                .sorted()
            // Audit events carry tags as one space-separated string.
            change(
                "tags", .string(normalised.joined(separator: " ")),
                .string(ticket.tags.joined(separator: " ")))
            ticket.tags = normalised
        }
        if let external = members["external_id"] {
            ticket.externalID = external.stringValue
        }
        if let assignee = members["assignee_id"] {
            ticket.assigneeID = assignee.integerValue
        }
        if case .array(let fields)? = members["custom_fields"] {
            for field in fields {
                guard case .integer(let id)? = field["id"],
                    ZendeskTicketField.standard.contains(where: { $0.id == id && $0.isCustom })
                else {
                    return ZendeskInvalid(
                        field: "custom_fields", description: "Custom field \(field.json) is unknown"
                    )
                }
                let value = field["value"] ?? .null
                change("custom_fields_\(id)", value, ticket.customFields[id] ?? .null)
                ticket.customFields[id] = value
            }
        }
        return nil
    }

    private mutating func audit(for ticket: ZendeskTicket, changes: [Value], now: Timestamp)
        -> Value
    {
        defer { nextEventID += 1 }
        return [
            "id": .integer(nextEventID), "ticket_id": .integer(ticket.id),
            "created_at": .string(now.secondsText), "author_id": 360_000_000,
            "events": .array(
                changes.enumerated().map { index, change in
                    var event = change.objectValue ?? [:]
                    event["id"] = .integer(nextEventID * 100 + Int64(index))
                    return .object(event)
                }),
        ]
    }

    /// Stores a finished job and returns its status object.
    mutating func recordJob(results: [Value], baseURL: String) -> Value {
        let id = "job-\(jobs.count + 1)"
        let job: Value = [
            "id": .string(id), "url": .string("\(baseURL)/api/v2/job_statuses/\(id).json"),
            "status": "completed", "total": .integer(Int64(results.count)),
            "progress": .integer(Int64(results.count)), "message": "Completed",
            "results": .array(results),
        ]
        jobs[id] = job
        return job
    }
}
