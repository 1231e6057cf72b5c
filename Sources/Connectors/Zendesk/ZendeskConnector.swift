import Foundation
import Ledger

/// How a connector authenticates: an API token, or an OAuth session's bearer token.
public enum ConnectorAuthentication: Sendable {
    /// `Authorization: Basic base64(user:secret)`, with `user` as the provider spells it
    /// (Zendesk's `email/token`, Jira's `email`).
    case basic(user: String, secret: String)
    /// `Authorization: Bearer <token>` from the session, refreshed as needed.
    case oauth(OAuthSession)

    func header() async throws -> (name: String, value: String) {
        switch self {
        case .basic(let user, let secret):
            return (
                "Authorization", "Basic " + Data("\(user):\(secret)".utf8).base64EncodedString()
            )
        case .oauth(let session):
            return ("Authorization", "Bearer " + (try await session.accessToken()))
        }
    }
}

/// What a poll found: the events to append, and the cursor to keep for the next poll.
public struct PollResult: Sendable {
    /// `observed` and `deleted` events, oldest change first.
    public var events: [NewEvent]
    /// Where the next poll starts.
    public var cursor: String?
}

/// A guarded update refused because the record changed after the state it was planned from.
public struct ConcurrentChange: Error, Sendable, CustomStringConvertible {
    /// The record's id at the provider.
    public let record: String
    /// What the provider said.
    public let detail: String

    /// The record `record` changed since the stamp sent; `detail` is the provider's answer.
    public init(record: String, detail: String) {
        self.record = record
        self.detail = detail
    }

    /// The refusal in a line.
    public var description: String {
        "\(record) changed after the state the update was planned from: \(detail)"
    }
}

/// Zendesk Support tickets as the ledger sees them.
///
/// A ticket becomes a record `<connection>:ticket/<id>` whose fields are `subject`,
/// `description`, `status`, `priority`, `type`, `tags`, `external_id`, `assignee_id`,
/// `requester_id`, `organization_id`, and each custom field as `custom_field:<id>`. An
/// observation carries those fields, the ticket's `updated_at` as its upstream time, and the
/// provider's whole ticket under `raw` for provenance.
public struct ZendeskConnector: Sendable {
    /// The connection's name: the first part of its records' references.
    public let connection: String
    /// `https://{subdomain}.zendesk.com`, or the sandbox's base URL.
    public let baseURL: String
    /// How requests authenticate.
    public let authentication: ConnectorAuthentication
    /// The runtime requests go through.
    public let client: ConnectorClient

    /// Creates a connector.
    public init(
        connection: String, baseURL: String, authentication: ConnectorAuthentication,
        client: ConnectorClient = ConnectorClient()
    ) {
        self.connection = connection
        self.baseURL = baseURL
        self.authentication = authentication
        self.client = client
    }

    static let plainFields = [
        "subject", "description", "status", "priority", "type", "tags", "external_id",
        "assignee_id", "requester_id", "organization_id",
    ]

    /// The tickets changed since `cursor` (or since `startTime`, for a first poll) through the
    /// incremental cursor export, as events.
    public func poll(after cursor: String?, startTime: Timestamp) async throws -> PollResult {
        let start =
            cursor.map { "cursor=\(FormBody.encode([("c", $0)]).dropFirst(2))" }
            ?? "start_time=\(startTime.microseconds / 1_000_000)"
        let first = try await request("GET", "/api/v2/incremental/tickets/cursor.json?\(start)")
        var events: [NewEvent] = []
        var kept = cursor
        for try await page in client.pages(from: first, .incrementalExport(items: "tickets")) {
            for ticket in page.items {
                events += try observation(of: ticket, source: "poll")
            }
            kept = page.cursor ?? kept
        }
        return PollResult(events: events, cursor: kept)
    }

    /// The events reporting `ticket`, an object as the API returns it: an observation, or a
    /// deletion for a ticket whose status is `deleted`.
    public func observation(of ticket: Value, source: String) throws -> [NewEvent] {
        guard case .integer(let id)? = ticket["id"] else {
            throw ConnectorError(
                request: "a Zendesk ticket", attempts: 1, lastStatus: nil,
                detail: "a ticket without an integer id: \(ticket.json.prefix(120))")
        }
        let record = RecordReference(
            connection: connection, recordType: "ticket", remoteID: String(id))
        let upstream = ticket["updated_at"]?.stringValue.flatMap { Timestamp(rfc3339: $0) }
        if ticket["status"] == "deleted" {
            return [
                NewEvent(
                    kind: .deleted, record: record, upstreamAt: upstream,
                    body: ["source": .string(source)])
            ]
        }
        var fields = ValueObject()
        for name in Self.plainFields {
            fields[name] = ticket[name] ?? .null
        }
        for custom in ticket["custom_fields"]?.arrayValue ?? [] {
            if case .integer(let field)? = custom["id"] {
                fields["custom_field:\(field)"] = custom["value"] ?? .null
            }
        }
        return [
            NewEvent(
                kind: .observed, record: record, upstreamAt: upstream,
                body: ["source": .string(source), "fields": .object(fields), "raw": ticket])
        ]
    }

    /// The observation of ticket `id`; `nil` when it does not exist.
    public func ticket(_ id: String) async throws -> NewEvent? {
        let request = try await request("GET", "/api/v2/tickets/\(id).json")
        let response = try await client.send(request)
        if response.status == 404 {
            return nil
        }
        guard response.status == 200, let ticket = (try? Value(jsonBytes: response.body))?["ticket"]
        else {
            throw ConnectorError(
                request: Redaction.describe(request), attempts: 1, lastStatus: response.status,
                detail: Redaction.redact(String(decoding: response.body.prefix(300), as: UTF8.self))
            )
        }
        return try observation(of: ticket, source: "poll").first
    }

    /// The observations of the tickets with `ids` that exist, read 100 at a time, each
    /// marked as coming from `source`.
    public func tickets(_ ids: [String], source: String = "poll") async throws -> [NewEvent] {
        var events: [NewEvent] = []
        for start in stride(from: 0, to: ids.count, by: 100) {
            let chunk = ids[start..<min(start + 100, ids.count)].joined(separator: ",")
            let answer = try await send("GET", "/api/v2/tickets/show_many.json?ids=\(chunk)")
            for ticket in answer["tickets"]?.arrayValue ?? [] {
                events += try observation(of: ticket, source: source)
            }
        }
        return events
    }

    /// Creates a ticket from record fields, with `idempotencyKey` so a retry creates one
    /// ticket; returns the created ticket's observation events.
    public func create(_ fields: ValueObject, idempotencyKey: String) async throws -> (
        record: RecordReference, events: [NewEvent]
    ) {
        let body = Self.ticketBody(fields, creating: true)
        let response = try await send(
            "POST", "/api/v2/tickets.json", body: ["ticket": .object(body)],
            headers: [("Idempotency-Key", idempotencyKey)])
        let events = try observation(of: response["ticket"] ?? .null, source: "writeResponse")
        guard let record = events.first?.record else {
            throw ConnectorError(
                request: "POST \(baseURL)/api/v2/tickets.json", attempts: 1, lastStatus: 201,
                detail: "the answer has no ticket")
        }
        return (record, events)
    }

    /// Updates only `fields` of ticket `id`; returns the observation of the ticket after it.
    ///
    /// With `stamp` (the ticket's `updated_at` as last observed) the update is a safe update:
    /// Zendesk refuses it when the ticket changed since, and this throws ``ConcurrentChange``
    /// rather than overwrite a change nobody has seen.
    public func update(
        _ id: String, _ fields: ValueObject, unchangedSince stamp: Timestamp? = nil
    ) async throws -> [NewEvent] {
        var body = Self.ticketBody(fields, creating: false)
        Self.stamp(&body, unchangedSince: stamp)
        let response: Value
        do {
            response = try await send(
                "PUT", "/api/v2/tickets/\(id).json", body: ["ticket": .object(body)])
        } catch let error as ConnectorError
            where stamp != nil
            && (error.lastStatus == 409 || error.detail.contains("Safe Update"))
        {
            throw ConcurrentChange(record: id, detail: error.detail)
        }
        return try observation(of: response["ticket"] ?? .null, source: "writeResponse")
    }

    /// One ticket's part of an `update_many` job.
    public struct TicketUpdate: Sendable {
        /// The ticket's id.
        public var id: String
        /// The fields to set, and only those.
        public var fields: ValueObject
        /// When set, a safe update: Zendesk refuses this ticket if it changed after this time.
        public var unchangedSince: Timestamp?

        /// Sets `fields` of ticket `id`, safely when `unchangedSince` is given.
        public init(_ id: String, _ fields: ValueObject, unchangedSince: Timestamp? = nil) {
            self.id = id
            self.fields = fields
            self.unchangedSince = unchangedSince
        }
    }

    /// How one ticket of an `update_many` job ended.
    public enum TicketUpdateOutcome: Sendable {
        /// The ticket was updated.
        case updated
        /// Zendesk refused the ticket's update, for this reason.
        case refused(ConnectorError)
        /// A safe update collided: the ticket changed after its stamp.
        case collided(ConcurrentChange)
    }

    /// Updates up to 100 tickets in one `update_many` job, each with only its own fields (and
    /// its own safe-update stamp, if any), and waits for the job; returns how each ticket's
    /// update ended, in order.
    ///
    /// Zendesk runs the job after answering: its status is read until it has finished, after
    /// a pause of `pause` that doubles each time, at most `reads` times. A job's results carry
    /// no tickets, so the next poll is what shows each ticket's fields. Throws
    /// ``ConnectorError`` when the request is refused or the job does not finish in time.
    public func updateMany(
        _ updates: [TicketUpdate], pause: Duration = .milliseconds(250), reads: Int = 8
    ) async throws -> [TicketUpdateOutcome] {
        precondition(updates.count <= 100, "Zendesk updates at most 100 tickets per job")
        let tickets = updates.map { update -> Value in
            var body = Self.ticketBody(update.fields, creating: false)
            body["id"] = Int64(update.id).map(Value.integer) ?? .string(update.id)
            Self.stamp(&body, unchangedSince: update.unchangedSince)
            return .object(body)
        }
        let path = "/api/v2/tickets/update_many.json"
        var job =
            try await send("PUT", path, body: ["tickets": .array(tickets)])["job_status"] ?? .null
        var wait = pause
        var read = 0
        while !["completed", "failed", "killed"].contains(job["status"]?.stringValue ?? "") {
            guard read < reads, let id = job["id"]?.stringValue else {
                throw ConnectorError(
                    request: "PUT \(baseURL)\(path)", attempts: 1, lastStatus: 200,
                    detail: "the job did not finish after \(read) reads of its status: "
                        + "\(job.json.prefix(200))")
            }
            try await client.sleeper.sleep(for: wait)
            wait *= 2
            read += 1
            job = try await send("GET", "/api/v2/job_statuses/\(id).json")["job_status"] ?? .null
        }

        let results = job["results"]?.arrayValue ?? []
        let name = "job \(job["id"]?.stringValue ?? "?") (\(job["status"]?.stringValue ?? "?"))"
        return updates.enumerated().map { index, update in
            let result =
                results.first { $0["index"]?.integerValue == Int64(index) }
                ?? results.first { $0["index"] == nil && $0["id"] == tickets[index]["id"] }
            guard let result else {
                return .refused(
                    ConnectorError(
                        request: "PUT \(baseURL)\(path)", attempts: 1, lastStatus: 200,
                        detail: "\(name) says nothing of ticket \(update.id)"))
            }
            guard result["error"] != nil || result["success"] == false else {
                return .updated
            }
            let reason = result["details"]?.stringValue ?? result["error"]?.json ?? "refused"
            if update.unchangedSince != nil, result["error"] == "UpdateConflict" {
                return .collided(ConcurrentChange(record: update.id, detail: reason))
            }
            return .refused(
                ConnectorError(
                    request: "PUT \(baseURL)\(path)", attempts: 1, lastStatus: 200,
                    detail: "ticket \(update.id): " + reason))
        }
    }

    /// Makes `body` a safe update when `stamp` is given: Zendesk then refuses it if the ticket
    /// changed after `stamp`, which it compares to the second.
    private static func stamp(_ body: inout ValueObject, unchangedSince stamp: Timestamp?) {
        guard let stamp else {
            return
        }
        body["safe_update"] = true
        body["updated_stamp"] = .string(
            Timestamp(microsecondsSinceEpoch: stamp.microseconds / 1_000_000 * 1_000_000)
                .description)
    }

    /// The comments of ticket `id`, oldest first, each as its author, body, visibility and
    /// time.
    public func comments(of id: String) async throws -> [ValueObject] {
        let first = try await request("GET", "/api/v2/tickets/\(id)/comments.json")
        var comments: [ValueObject] = []
        let response = try await client.send(first)
        guard response.status == 200,
            case .array(let items)? = (try? Value(jsonBytes: response.body))?["comments"]
        else {
            throw ConnectorError(
                request: Redaction.describe(first), attempts: 1, lastStatus: response.status,
                detail: Redaction.redact(String(decoding: response.body.prefix(300), as: UTF8.self))
            )
        }
        for item in items {
            var comment = ValueObject()
            comment["id"] = item["id"] ?? .null
            comment["author_id"] = item["author_id"] ?? .null
            comment["body"] = item["body"] ?? .null
            comment["public"] = item["public"] ?? .null
            comment["created_at"] = item["created_at"] ?? .null
            comments.append(comment)
        }
        return comments
    }

    /// Adds a comment to ticket `id`, public or internal.
    public func addComment(to id: String, body text: String, isPublic: Bool) async throws {
        _ = try await send(
            "PUT", "/api/v2/tickets/\(id).json",
            body: ["ticket": ["comment": ["body": .string(text), "public": .bool(isPublic)]]])
    }

    /// The id of the custom ticket field titled `title`, as the record field name
    /// `custom_field:<id>`. An unknown title, or one several fields share, is an error that
    /// lists the candidates.
    public func customField(titled title: String) async throws -> String {
        let fields =
            try await send("GET", "/api/v2/ticket_fields.json")["ticket_fields"]?.arrayValue ?? []
        let custom = fields.filter { $0["removable"] == true }
        let matches = custom.filter { $0["title"]?.stringValue == title }
        guard matches.count == 1, case .integer(let id)? = matches[0]["id"] else {
            let candidates = (matches.isEmpty ? custom : matches).compactMap { field -> String? in
                guard let name = field["title"]?.stringValue, case .integer(let id)? = field["id"]
                else { return nil }
                return "\(name) (\(id))"
            }
            throw ConnectorError(
                request: "GET \(baseURL)/api/v2/ticket_fields.json", attempts: 1, lastStatus: 200,
                detail: (matches.isEmpty
                    ? "no custom ticket field is titled '\(title)'; custom fields: "
                    : "several custom ticket fields are titled '\(title)': ")
                    + candidates.joined(separator: ", "))
        }
        return "custom_field:\(id)"
    }

    /// Record fields as a ticket request body: `description` becomes the first comment on a
    /// create (it is read-only afterwards), custom fields go into `custom_fields`.
    static func ticketBody(_ fields: ValueObject, creating: Bool) -> ValueObject {
        var body = ValueObject()
        var custom: [Value] = []
        for (name, value) in fields {
            if name.hasPrefix("custom_field:"), let id = Int64(name.dropFirst(13)) {
                custom.append(["id": .integer(id), "value": value])
            } else if name == "description" {
                if creating {
                    body["comment"] = ["body": value, "public": true]
                }
            } else {
                body[name] = value
            }
        }
        if !custom.isEmpty {
            body["custom_fields"] = .array(custom)
        }
        return body
    }

    // MARK: - Requests

    func request(
        _ method: String, _ path: String, body: Value? = nil,
        headers: [(name: String, value: String)] = []
    ) async throws -> ConnectorRequest {
        var all = [try await authentication.header()] + headers
        if body != nil {
            all.append(("Content-Type", "application/json"))
        }
        return ConnectorRequest(
            method: method, url: baseURL + path, headers: all,
            body: body.map { Array($0.json.utf8) })
    }

    func send(
        _ method: String, _ path: String, body: Value? = nil,
        headers: [(name: String, value: String)] = []
    ) async throws -> Value {
        let request = try await request(method, path, body: body, headers: headers)
        let response = try await client.send(request)
        guard (200..<300).contains(response.status) else {
            throw ConnectorError(
                request: Redaction.describe(request), attempts: 1, lastStatus: response.status,
                detail: Redaction.redact(String(decoding: response.body.prefix(300), as: UTF8.self))
            )
        }
        do {
            return try Value(jsonBytes: response.body)
        } catch {
            throw ConnectorError(
                request: Redaction.describe(request), attempts: 1, lastStatus: response.status,
                detail: "the answer is not JSON: \(error)")
        }
    }
}
