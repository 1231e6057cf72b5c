import Foundation
import HTTPServer
import Ledger
import Sandbox
import Synchronization
import Testing

/// A loopback server that records the webhook calls it gets, failing the first few.
final class WebhookReceiver: Sendable {
    let server: HTTPServer
    private let log: CallLog

    /// The calls taken, and how many more to refuse; shared with the server's handler.
    private final class CallLog: Sendable {
        let calls = Mutex<[HTTPRequest]>([])
        let refusalsLeft: Atomic<Int>

        init(refusing count: Int) {
            refusalsLeft = Atomic(count)
        }
    }

    init(failingFirst failures: Int = 0) throws {
        let log = CallLog(refusing: failures)
        self.log = log
        server = try HTTPServer { request in
            if log.refusalsLeft.subtract(1, ordering: .relaxed).oldValue > 0 {
                return .text("try again", status: 500)
            }
            log.calls.withLock { $0.append(request) }
            return .text("ok")
        }
    }

    deinit {
        server.stop()
    }

    var url: String { server.baseURL + "/hooks/zendesk" }

    var received: [HTTPRequest] {
        log.calls.withLock { $0 }
    }

    /// Waits up to five seconds for `count` calls.
    func wait(for count: Int) async throws -> [HTTPRequest] {
        for _ in 0..<500 where received.count < count {
            try await Task.sleep(for: .milliseconds(10))
        }
        return received
    }
}

@Suite("Zendesk webhooks")
struct ZendeskWebhookTests {
    func register(_ sandbox: ZendeskSandbox, _ receiver: WebhookReceiver) async throws -> (
        id: String, secret: String
    ) {
        let created = try await sandbox.send(
            "POST", "/api/v2/webhooks.json",
            json:
                #"{"webhook":{"name":"sync","endpoint":"\#(receiver.url)","http_method":"POST","request_format":"json","status":"active","subscriptions":["conditional_ticket_events"]}}"#
        )
        #expect(created.status == 201)
        let id = try #require(created.body["webhook"]?["id"]?.stringValue)
        let secret = try await sandbox.send("GET", "/api/v2/webhooks/\(id)/signing_secret.json")
        return (id, try #require(secret.body["signing_secret"]?["secret"]?.stringValue))
    }

    @Test func everyTicketChangeIsDeliveredSignedAsZendeskSignsIt() async throws {
        let sandbox = try ZendeskSandbox()
        let receiver = try WebhookReceiver()
        let (id, secret) = try await register(sandbox, receiver)

        _ = try await sandbox.send(
            "POST", "/api/v2/tickets.json",
            json: #"{"ticket":{"subject":"Hooked","comment":{"body":"Hello"}}}"#)
        _ = try await sandbox.send(
            "PUT", "/api/v2/tickets/51.json", json: #"{"ticket":{"status":"open"}}"#)
        _ = try await sandbox.send("DELETE", "/api/v2/tickets/51.json")

        let calls = try await receiver.wait(for: 3)
        #expect(calls.count == 3)
        var types: [Value] = []
        for call in calls {
            #expect(call.path == "/hooks/zendesk")
            #expect(call.headers["X-Zendesk-Webhook-Id"] == id)
            let timestamp = try #require(call.headers["X-Zendesk-Webhook-Signature-Timestamp"])
            let signature = try #require(call.headers["X-Zendesk-Webhook-Signature"])
            let expected = HMACSHA256.authenticate(
                Array(timestamp.utf8) + call.body, key: Array(secret.utf8))
            #expect(Data(expected).base64EncodedString() == signature)
            let event = try Value(jsonBytes: call.body)
            #expect(event["subject"] == "zen:ticket:51")
            types.append(event["type"] ?? .null)
        }
        #expect(
            types == [
                "zen:event-type:ticket.created", "zen:event-type:ticket.updated",
                "zen:event-type:ticket.deleted",
            ])
        #expect(try Value(jsonBytes: calls[1].body)["detail"]?["status"] == "open")
    }

    @Test func aFailedDeliveryIsRetriedUntilItIsTaken() async throws {
        let sandbox = try ZendeskSandbox { $0.webhookRetryPause = .milliseconds(5) }
        let receiver = try WebhookReceiver(failingFirst: 2)
        _ = try await register(sandbox, receiver)
        _ = try await sandbox.send(
            "PUT", "/api/v2/tickets/3.json", json: #"{"ticket":{"priority":"urgent"}}"#)

        let calls = try await receiver.wait(for: 1)
        #expect(calls.count == 1)
        // The receiver records the call before it answers; the tally moves when the answer
        // reaches the dispatcher.
        for _ in 0..<500 where sandbox.emulator.webhookDeliveries.delivered == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(sandbox.emulator.webhookDeliveries.delivered == 1)
        #expect(sandbox.emulator.webhookDeliveries.retried == 2)
        #expect(sandbox.emulator.webhookDeliveries.failed == 0)
    }

    @Test func aDeliveryThatNeverSucceedsIsDroppedAfterItsAttempts() async throws {
        let sandbox = try ZendeskSandbox {
            $0.webhookRetryPause = .milliseconds(5)
            $0.webhookAttempts = 3
        }
        let receiver = try WebhookReceiver(failingFirst: 100)
        _ = try await register(sandbox, receiver)
        _ = try await sandbox.send(
            "PUT", "/api/v2/tickets/3.json", json: #"{"ticket":{"priority":"low"}}"#)
        for _ in 0..<500 where sandbox.emulator.webhookDeliveries.failed == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(sandbox.emulator.webhookDeliveries.failed == 1)
        #expect(sandbox.emulator.webhookDeliveries.retried == 2)
        #expect(receiver.received.isEmpty)
    }

    @Test func webhooksAreListedAndRemovedAndNeedAValidEndpoint() async throws {
        let sandbox = try ZendeskSandbox()
        let receiver = try WebhookReceiver()
        let (id, _) = try await register(sandbox, receiver)
        let listed = try await sandbox.send("GET", "/api/v2/webhooks.json")
        #expect(listed.body["webhooks"]?.arrayValue?.first?["endpoint"] == .string(receiver.url))
        #expect(try await sandbox.send("DELETE", "/api/v2/webhooks/\(id).json").status == 204)
        #expect(try await sandbox.send("GET", "/api/v2/webhooks.json").body["webhooks"] == [])

        let invalid = try await sandbox.send(
            "POST", "/api/v2/webhooks.json", json: #"{"webhook":{"endpoint":"not a url"}}"#)
        #expect(invalid.status == 422)
    }
}
