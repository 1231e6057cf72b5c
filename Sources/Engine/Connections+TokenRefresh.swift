import Connectors
import Ledger
import Mapping

extension Connections {
    /// What refreshing a connection's OAuth access token needs, and who is told of it.
    public struct TokenRefresh: Sendable {
        /// The OAuth client each credential was authorised for, by its vault name: a refresh
        /// authenticates as that client at its token endpoint. A credential not named here
        /// refreshes through the client `syncledger connect` kept in the vault; without
        /// either, the access token is used while it lasts and its expiry pauses the
        /// connection until `syncledger connect` is run again.
        public var clients: [String: OAuthProvider] = [:]
        /// The clock the tokens' expiry is judged by.
        public var now: @Sendable () -> Timestamp = { SystemClock().now() }
        /// Records each refresh, given its `connectionChanged` event (an append to the log);
        /// `nil` records nothing.
        public var record: (@Sendable (NewEvent) async throws -> Void)?

        /// No clients, the system clock, nothing recorded.
        public init() {}
    }

    /// The OAuth client the credential `name` refreshes through: the one given in
    /// ``TokenRefresh/clients``, else the one `syncledger connect` kept in the vault.
    func oauthClient(of name: String) -> OAuthProvider? {
        tokenRefresh.clients[name] ?? vault.oauthClient(of: name)?.provider
    }

    /// The OAuth session of `connection`'s credential, refreshing through its client when one
    /// is known.
    func oauthSession(for connection: Connection, scope: String) -> OAuthSession {
        let provider =
            oauthClient(of: connection.credential)
            ?? OAuthProvider(
                authorizeURL: "", tokenURL: connection.baseURL + "/oauth/token", clientID: "",
                clientSecret: "", scope: scope)
        let name = connection.name
        let onRefresh = tokenRefresh.record.map { record in
            { @Sendable (tokens: OAuthTokens) async throws in
                try await record(Self.refreshedEvent(connection: name, expiresAt: tokens.expiresAt))
            }
        }
        return OAuthSession(
            connection: connection.credential, provider: provider, vault: vault, client: client,
            now: tokenRefresh.now, onRefresh: onRefresh)
    }

    /// The `connectionChanged` event saying `connection`'s access token was refreshed and
    /// until when the new one lasts; it never holds a token.
    public static func refreshedEvent(connection: String, expiresAt: Timestamp) -> NewEvent {
        NewEvent(
            kind: .connectionChanged, record: nil,
            body: [
                "connection": .string(connection), "change": "refreshed",
                "expiresAt": .string(expiresAt.description),
            ])
    }
}
