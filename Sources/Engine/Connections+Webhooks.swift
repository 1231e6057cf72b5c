import Connectors
import Foundation
import Ledger
import Mapping

extension Connections {
    /// What registering one connection's webhook did.
    public struct WebhookRegistration: Sendable, Hashable {
        /// The connection.
        public var connection: String
        /// Where the provider now delivers.
        public var endpoint: String
        /// Whether a webhook already delivered there (Zendesk's is kept; Jira's, whose
        /// secret cannot be read back, is replaced).
        public var existed: Bool
        /// The vault entry the signing secret is kept in.
        public var secretEntry: String
    }

    /// Points `connection`'s provider at `endpoint` and keeps the secret its deliveries are
    /// signed with in the vault, under the entry the connection's `webhookSecret` names.
    ///
    /// Running it again is safe: a Zendesk webhook already delivering to `endpoint` is kept
    /// and its secret read again; a Jira admin webhook delivering there is replaced by one
    /// with a new secret, since Jira never shows a secret back.
    public func registerWebhook(for connection: Connection, at endpoint: String) async throws
        -> WebhookRegistration
    {
        guard let entry = connection.webhookSecret else {
            throw EngineError(
                "the connection '\(connection.name)' names no webhookSecret (vault:<name>) to "
                    + "keep the signing secret in")
        }
        var existed = false
        let secret: String
        switch connection.provider {
        case .zendesk:
            let zendesk = try zendesk(connection)
            let id: String
            if let hook = try await zendesk.webhooks().first(where: { $0.endpoint == endpoint }) {
                (id, existed) = (hook.id, true)
            } else {
                id = try await zendesk.createWebhook(named: "SyncLedger", endpoint: endpoint)
            }
            secret = try await zendesk.signingSecret(ofWebhook: id)
        case .jira:
            guard connection.auth == .apiToken else {
                // Atlassian serves admin webhooks to a site's users, not through the OAuth
                // gateway; OAuth apps register dynamic webhooks, which this does not do.
                throw EngineError(
                    "Jira admin webhooks are registered with an API token (an administrator's); "
                        + "the connection '\(connection.name)' uses OAuth. Register the webhook "
                        + "in Jira's settings and store its secret with syncledger secret "
                        + entry)
            }
            let jira = try jira(connection)
            for hook in try await jira.adminWebhooks() where hook.url == endpoint {
                try await jira.deleteAdminWebhook(hook.id)
                existed = true
            }
            secret = Self.newSecret()
            try await jira.registerAdminWebhook(named: "SyncLedger", url: endpoint, secret: secret)
        }
        try vault.store(.secret(secret), for: entry)
        return WebhookRegistration(
            connection: connection.name, endpoint: endpoint, existed: existed,
            secretEntry: entry)
    }

    /// 32 random bytes as hex, from the system's generator.
    static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let word = generator.next() as UInt64
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
