import Ledger

extension ZendeskConnector {
    /// A webhook Zendesk delivers to.
    public struct Webhook: Sendable, Hashable {
        /// Its id.
        public var id: String
        /// Where it delivers.
        public var endpoint: String
    }

    /// The account's webhooks.
    public func webhooks() async throws -> [Webhook] {
        let answer = try await send("GET", "/api/v2/webhooks")
        return (answer["webhooks"]?.arrayValue ?? []).compactMap { hook in
            guard let id = hook["id"]?.stringValue, let endpoint = hook["endpoint"]?.stringValue
            else {
                return nil
            }
            return Webhook(id: id, endpoint: endpoint)
        }
    }

    /// Creates a webhook that posts ticket events as JSON to `endpoint`; returns its id.
    ///
    /// A `conditional_ticket_events` webhook is called by the triggers that name it: on a
    /// Zendesk account a trigger ("when a ticket is created or updated, notify this webhook")
    /// must name it before tickets reach it.
    public func createWebhook(named name: String, endpoint: String) async throws -> String {
        let answer = try await send(
            "POST", "/api/v2/webhooks",
            body: [
                "webhook": [
                    "name": .string(name), "endpoint": .string(endpoint), "http_method": "POST",
                    "request_format": "json", "status": "active",
                    "subscriptions": ["conditional_ticket_events"],
                ]
            ])
        guard let id = answer["webhook"]?["id"]?.stringValue else {
            throw ConnectorError(
                request: "POST \(baseURL)/api/v2/webhooks", attempts: 1, lastStatus: 201,
                detail: "the answer names no webhook id")
        }
        return id
    }

    /// The secret webhook `id` signs its deliveries with.
    public func signingSecret(ofWebhook id: String) async throws -> String {
        let answer = try await send("GET", "/api/v2/webhooks/\(id)/signing_secret")
        guard let secret = answer["signing_secret"]?["secret"]?.stringValue else {
            throw ConnectorError(
                request: "GET \(baseURL)/api/v2/webhooks/\(id)/signing_secret", attempts: 1,
                lastStatus: 200, detail: "the answer holds no secret")
        }
        return secret
    }
}
