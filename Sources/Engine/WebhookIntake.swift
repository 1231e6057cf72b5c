import Connectors
import Foundation
import HTTPServer
import Ledger
import Mapping

/// Receives the providers' webhooks: checks each delivery's signature and age, turns it into
/// events, and answers 2xx only once they are durably in the log.
///
/// A delivery is verified with the connection's signing secret from the vault (the
/// `webhookSecret: vault:NAME` of the configuration), compared in constant time:
///
/// - Zendesk: `X-Zendesk-Webhook-Signature` is base64 HMAC-SHA256 of the
///   `X-Zendesk-Webhook-Signature-Timestamp` followed by the body;
/// - Jira: `X-Hub-Signature` is `sha256=` and the hexadecimal HMAC-SHA256 of the body.
///
/// A delivery older or newer than ``tolerance`` is refused as stale. Each delivery's events
/// get ids derived from the connection and the provider's delivery id, so a delivery sent
/// twice is appended once. Anything refused is answered 4xx with the reason and kept in the
/// ``Quarantine``, never applied.
public struct WebhookIntake: Sendable {
    /// The log deliveries are appended to.
    public let log: EventLog
    /// The configuration in force.
    public let configuration: Configuration
    /// The connectors, which turn a provider's record into an observation.
    public let connections: Connections
    /// Where refused deliveries are kept.
    public let quarantine: Quarantine
    /// How far a delivery's time may be from now.
    public let tolerance: Duration
    /// The clock deliveries' times are checked against.
    public let now: @Sendable () -> Timestamp

    /// Creates an intake.
    public init(
        log: EventLog, configuration: Configuration, connections: Connections,
        quarantine: Quarantine, tolerance: Duration = .seconds(300),
        now: @escaping @Sendable () -> Timestamp = { SystemClock().now() }
    ) {
        self.log = log
        self.configuration = configuration
        self.connections = connections
        self.quarantine = quarantine
        self.tolerance = tolerance
        self.now = now
    }

    /// A router answering `POST /webhooks/{connection}`.
    public var router: Router {
        var router = Router()
        router.add(.post, "/webhooks/{connection}") { request in
            let answer = receive(
                connection: request.parameters["connection"] ?? "", headers: request.headers,
                body: request.body)
            return .json(
                Value.object(["status": .string(answer.reason)]).json, status: answer.status)
        }
        return router
    }

    /// Why a delivery was refused, with the status it is answered with.
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        /// 400 for malformed, 401 for unsigned or badly signed, 404 for an unknown connection.
        public var status: Int
        /// What was wrong.
        public var reason: String

        /// The reason.
        public var description: String { reason }
    }

    /// Checks and records one delivery; returns the status and reason to answer with.
    public func receive(connection name: String, headers: HTTPHeaders, body: [UInt8]) -> (
        status: Int, reason: String
    ) {
        do {
            let events = try events(connection: name, headers: headers, body: body)
            _ = try log.appendWaiting(AppendBatch(events))
            return (200, "recorded \(events.count) events")
        } catch let refusal as Refusal {
            quarantine.keep(
                connection: name, reason: refusal.reason, headers: headers, body: body,
                at: now())
            return (refusal.status, refusal.reason)
        } catch {
            // The log could not take it: the provider will deliver again.
            return (503, "not recorded: \(error)")
        }
    }

    /// The events a delivery reports, after its signature and age are checked.
    public func events(connection name: String, headers: HTTPHeaders, body: [UInt8]) throws
        -> [NewEvent]
    {
        guard let connection = configuration.connection(named: name) else {
            throw Refusal(status: 404, reason: "no connection is named '\(name)'")
        }
        guard let secretName = connection.webhookSecret else {
            throw Refusal(
                status: 401, reason: "the connection '\(name)' has no webhookSecret to check with")
        }
        guard case .secret(let secret)? = connections.vault.credential(for: secretName) else {
            throw Refusal(status: 401, reason: "the vault has no secret '\(secretName)'")
        }
        let key = Array(secret.utf8)
        switch connection.provider {
        case .zendesk:
            return try zendeskEvents(connection, headers: headers, body: body, key: key)
        case .jira:
            return try jiraEvents(connection, headers: headers, body: body, key: key)
        }
    }

    private func zendeskEvents(
        _ connection: Connection, headers: HTTPHeaders, body: [UInt8], key: [UInt8]
    ) throws -> [NewEvent] {
        guard let timestamp = headers["X-Zendesk-Webhook-Signature-Timestamp"],
            let signature = headers["X-Zendesk-Webhook-Signature"],
            let code = Data(base64Encoded: signature)
        else {
            throw Refusal(status: 401, reason: "the delivery is not signed")
        }
        guard HMACSHA256.isValid(Array(code), for: Array(timestamp.utf8) + body, key: key) else {
            throw Refusal(status: 401, reason: "the signature does not match")
        }
        guard let time = Timestamp(rfc3339: timestamp) else {
            throw Refusal(status: 400, reason: "the signature timestamp is not a time")
        }
        try checkAge(time)
        let payload = try json(body)
        guard let detail = payload["detail"], case .object = detail,
            let delivery = payload["id"]?.stringValue
        else {
            throw Refusal(status: 400, reason: "the payload has no event id or ticket detail")
        }
        var events: [NewEvent]
        do {
            events = try connections.zendesk(connection).observation(of: detail, source: "webhook")
        } catch {
            throw Refusal(status: 400, reason: "the ticket cannot be read: \(error)")
        }
        for index in events.indices {
            events[index].id = Self.eventID(connection.name, delivery, index)
        }
        return events
    }

    private func jiraEvents(
        _ connection: Connection, headers: HTTPHeaders, body: [UInt8], key: [UInt8]
    ) throws -> [NewEvent] {
        guard let signature = headers["X-Hub-Signature"], signature.hasPrefix("sha256="),
            let code = [UInt8](hexadecimal: signature.dropFirst("sha256=".count))
        else {
            throw Refusal(status: 401, reason: "the delivery is not signed")
        }
        guard HMACSHA256.isValid(code, for: body, key: key) else {
            throw Refusal(status: 401, reason: "the signature does not match")
        }
        let payload = try json(body)
        guard case .integer(let milliseconds)? = payload["timestamp"],
            let issue = payload["issue"], let kind = payload["webhookEvent"]?.stringValue
        else {
            throw Refusal(status: 400, reason: "the payload has no timestamp, event or issue")
        }
        try checkAge(Timestamp(microsecondsSinceEpoch: milliseconds * 1_000))
        let delivery =
            headers["X-Atlassian-Webhook-Identifier"] ?? Digest.sha256(body).description
        var event: NewEvent
        do {
            event = try connections.jira(connection).observation(of: issue, source: "webhook")
        } catch {
            throw Refusal(status: 400, reason: "the issue cannot be read: \(error)")
        }
        if kind == "jira:issue_deleted" {
            event = NewEvent(
                kind: .deleted, record: event.record, upstreamAt: event.upstreamAt,
                body: ["source": "webhook"])
        }
        event.id = Self.eventID(connection.name, delivery, 0)
        return [event]
    }

    private func checkAge(_ time: Timestamp) throws {
        let limit = tolerance.components.seconds * 1_000_000
        let gap = now().microseconds - time.microseconds
        guard abs(gap) <= limit else {
            throw Refusal(
                status: 401,
                reason: "the delivery is stale: signed at \(time), \(gap / 1_000_000) s from now")
        }
    }

    private func json(_ body: [UInt8]) throws -> Value {
        do {
            return try Value(jsonBytes: body)
        } catch {
            throw Refusal(status: 400, reason: "the body is not JSON: \(error)")
        }
    }

    /// The id of the `index`th event of a delivery: the same for every copy of it.
    static func eventID(_ connection: String, _ delivery: String, _ index: Int) -> EventID {
        var bytes = Digest.sha256(Array("webhook:\(connection):\(delivery):\(index)".utf8)).bytes
        bytes = Array(bytes.prefix(16))
        // Version 8 (custom) and the RFC variant, so the id reads as any other.
        bytes[6] = (bytes[6] & 0x0f) | 0x80
        bytes[8] = (bytes[8] & 0x3f) | 0x80
        return EventID(bytes: bytes)!
    }
}
