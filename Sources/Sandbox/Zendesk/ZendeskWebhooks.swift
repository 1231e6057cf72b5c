import Foundation
import HTTPServer
import Ledger

/// A webhook registered with the Zendesk emulator.
struct ZendeskWebhook: Sendable {
    var id: String
    var name: String
    var endpoint: String
    var secret: String
    var createdAt: Timestamp

    func json() -> Value {
        [
            "id": .string(id), "name": .string(name), "endpoint": .string(endpoint),
            "http_method": "POST", "request_format": "json", "status": "active",
            "subscriptions": ["conditional_ticket_events"],
            "created_at": .string(createdAt.secondsText),
        ]
    }
}

extension ZendeskEmulator {
    /// Deliveries made, retried after a failure, and given up on.
    public var webhookDeliveries: (delivered: Int, retried: Int, failed: Int) {
        let counts = dispatcher.counts
        return (counts.delivered, counts.retried, counts.failed)
    }

    func addWebhookRoutes(to router: inout Router) {
        router.addBoth(.post, "/api/v2/webhooks") { [self] in guarded($0, createWebhook) }
        router.addBoth(.get, "/api/v2/webhooks") { [self] request in
            guarded(request) { _ in
                let hooks = state.withLock { $0.webhooks.values.sorted { $0.id < $1.id } }
                return .json(["webhooks": .array(hooks.map { $0.json() })])
            }
        }
        router.addBoth(.get, "/api/v2/webhooks/{id}/signing_secret") { [self] request in
            guarded(request) { request in
                guard let hook = state.withLock({ $0.webhooks[request.parameters["id"] ?? ""] })
                else {
                    return Self.notFound
                }
                return .json([
                    "signing_secret": ["algorithm": "SHA256", "secret": .string(hook.secret)]
                ])
            }
        }
        router.addBoth(.delete, "/api/v2/webhooks/{id}") { [self] request in
            guarded(request) { request in
                let removed = state.withLock {
                    $0.webhooks.removeValue(forKey: request.parameters["id"] ?? "")
                }
                return removed == nil ? Self.notFound : HTTPResponse(status: 204)
            }
        }
    }

    private func createWebhook(_ request: HTTPRequest) -> HTTPResponse {
        guard case .success(let body) = request.jsonObject(),
            case .object(let hook)? = body["webhook"],
            let endpoint = hook["endpoint"]?.stringValue,
            let url = URLComponents(string: endpoint),
            url.scheme == "http" || url.scheme == "https",
            url.host != nil
        else {
            return ZendeskInvalid(field: "endpoint", description: "Endpoint: is not a valid URL")
                .response
        }
        let now = configuration.clock.now()
        let created = state.withLock { state -> ZendeskWebhook in
            state.nextWebhook += 1
            let id = "01HSANDBOXWEBHOOK\(String(state.nextWebhook, radix: 10))"
            let secret = Data(
                Digest.sha256(Array("\(configuration.seed):\(id)".utf8)).bytes
            ).base64EncodedString()
            let webhook = ZendeskWebhook(
                id: id, name: hook["name"]?.stringValue ?? "Webhook", endpoint: endpoint,
                secret: secret, createdAt: now)
            state.webhooks[id] = webhook
            return webhook
        }
        return .json(["webhook": created.json()], status: 201)
    }

    /// Queues one signed delivery per registered webhook for a change to `ticket`.
    func announce(_ type: String, _ ticket: ZendeskTicket, baseURL: String) {
        let now = configuration.clock.now()
        let webhooks = state.withLock { state -> [(ZendeskWebhook, Int64)] in
            state.webhooks.values.sorted { $0.id < $1.id }.map { hook in
                state.nextInvocation += 1
                return (hook, state.nextInvocation)
            }
        }
        for (hook, invocation) in webhooks {
            let detail = ticket.json(
                baseURL: baseURL, fields: ZendeskTicketField.standard,
                drift: faults.settings.schemaDrift)
            let body: Value = [
                "id": .string("evt-\(invocation)"),
                "type": .string("zen:event-type:ticket.\(type)"),
                "subject": .string("zen:ticket:\(ticket.id)"), "time": .string(now.secondsText),
                "account_id": 1, "zendesk_event_version": "2022-11-06", "detail": detail,
            ]
            let bytes = Array(body.json.utf8)
            let timestamp = now.secondsText
            let signature = Data(
                HMACSHA256.authenticate(Array(timestamp.utf8) + bytes, key: Array(hook.secret.utf8))
            ).base64EncodedString()
            send(
                WebhookDispatcher.Delivery(
                    url: hook.endpoint,
                    headers: [
                        ("Content-Type", "application/json"),
                        ("X-Zendesk-Webhook-Id", hook.id),
                        ("X-Zendesk-Webhook-Invocation-Id", String(invocation)),
                        ("X-Zendesk-Webhook-Signature-Timestamp", timestamp),
                        ("X-Zendesk-Webhook-Signature", signature),
                    ], body: bytes))
        }
    }

    /// Hands a delivery to the dispatcher through the webhook faults in force: dropped,
    /// duplicated, or held back to follow the next one.
    private func send(_ delivery: WebhookDispatcher.Delivery) {
        let copies = faults.drawDeliveryCopies()
        guard copies > 0 else {
            return
        }
        var outgoing = Array(repeating: delivery, count: copies)
        if faults.settings.webhookReorder {
            let held = heldDelivery.withLock { held -> WebhookDispatcher.Delivery? in
                defer { held = delivery }
                return held
            }
            guard let held else {
                return
            }
            outgoing = Array(repeating: delivery, count: copies) + [held]
        }
        for delivery in outgoing {
            dispatcher.enqueue(delivery)
        }
    }
}
