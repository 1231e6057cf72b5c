import Ledger

extension JiraConnector {
    /// An admin webhook Jira delivers to.
    public struct Webhook: Sendable, Hashable {
        /// Its id, the last part of its `self` address.
        public var id: String
        /// Where it delivers.
        public var url: String
    }

    /// The site's admin webhooks (Jira never shows their secrets).
    public func adminWebhooks() async throws -> [Webhook] {
        let answer = try await send("GET", "/rest/webhooks/1.0/webhook")
        return (answer.arrayValue ?? []).compactMap { hook in
            guard let address = hook["self"]?.stringValue, let url = hook["url"]?.stringValue,
                let id = address.split(separator: "/").last
            else {
                return nil
            }
            return Webhook(id: String(id), url: url)
        }
    }

    /// Registers an admin webhook for the project's issues created, updated and deleted,
    /// delivering to `url` and signing each delivery with `secret` (`X-Hub-Signature`).
    public func registerAdminWebhook(named name: String, url: String, secret: String)
        async throws
    {
        _ = try await send(
            "POST", "/rest/webhooks/1.0/webhook",
            body: [
                "name": .string(name), "url": .string(url),
                "events": ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"],
                "filters": ["issue-related-events-section": .string("project = \(projectKey)")],
                "secret": .string(secret),
            ])
    }

    /// Removes admin webhook `id`.
    public func deleteAdminWebhook(_ id: String) async throws {
        _ = try await send("DELETE", "/rest/webhooks/1.0/webhook/\(id)")
    }
}
