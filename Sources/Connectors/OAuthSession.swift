import Foundation
import Ledger

/// A provider's OAuth 2.0 endpoints and the client registered with it.
public struct OAuthProvider: Sendable {
    /// Where the user approves access.
    public var authorizeURL: String
    /// Where codes and refresh tokens are exchanged.
    public var tokenURL: String
    /// The client's id.
    public var clientID: String
    /// The client's secret.
    public var clientSecret: String
    /// Scopes to ask for, space-separated.
    public var scope: String
    /// Extra query arguments of the authorisation URL (Atlassian's `audience`, `prompt`).
    public var extraAuthorizeArguments: [(String, String)] = []

    /// Creates a provider description.
    public init(
        authorizeURL: String, tokenURL: String, clientID: String, clientSecret: String,
        scope: String, extraAuthorizeArguments: [(String, String)] = []
    ) {
        self.authorizeURL = authorizeURL
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scope = scope
        self.extraAuthorizeArguments = extraAuthorizeArguments
    }
}

/// The connection's authorisation is gone (revoked, or its refresh token refused): its work
/// must pause until someone runs the command this names.
public struct NeedsReauthorization: Error, Sendable, CustomStringConvertible {
    /// The connection.
    public let connection: String
    /// What the provider said, redacted.
    public let reason: String

    /// The authorisation of `connection` (its name in the vault, which `syncledger connect`
    /// takes) is gone, for `reason`.
    public init(connection: String, reason: String) {
        self.connection = connection
        self.reason = reason
    }

    /// What happened and what to run.
    public var description: String {
        "the connection '\(connection)' needs to be authorised again (\(reason)); "
            + "run: syncledger connect \(connection)"
    }
}

/// A connection's OAuth tokens in use: refreshed before they expire, one refresh at a time
/// however many requests need a token at once, each rotated refresh token stored in the vault
/// before it is used, and a refused refresh turned into ``NeedsReauthorization``.
public actor OAuthSession {
    /// The connection's name in the vault.
    public let connection: String
    private let provider: OAuthProvider
    private let vault: Vault
    private let client: ConnectorClient
    private let margin: Duration
    private let now: @Sendable () -> Timestamp
    private let onRefresh: (@Sendable (OAuthTokens) async throws -> Void)?
    private var refreshing: Task<OAuthTokens, any Error>?
    /// How many refreshes were made: for tests and status.
    public private(set) var refreshCount = 0

    /// A session for `connection`'s tokens in `vault`, refreshing `margin` before expiry.
    ///
    /// `onRefresh` is told of each refresh once the new tokens are stored (to record it);
    /// an error it throws fails the request that needed the token.
    public init(
        connection: String, provider: OAuthProvider, vault: Vault,
        client: ConnectorClient = ConnectorClient(), margin: Duration = .seconds(60),
        now: @escaping @Sendable () -> Timestamp = { SystemClock().now() },
        onRefresh: (@Sendable (OAuthTokens) async throws -> Void)? = nil
    ) {
        self.connection = connection
        self.provider = provider
        self.vault = vault
        self.client = client
        self.margin = margin
        self.now = now
        self.onRefresh = onRefresh
    }

    /// A live access token: the stored one, or a fresh one when it is about to expire.
    public func accessToken() async throws -> String {
        guard case .oauth(let tokens)? = vault.credential(for: connection) else {
            throw NeedsReauthorization(connection: connection, reason: "no tokens are stored")
        }
        let deadline = tokens.expiresAt.microseconds - Int64(margin / .microseconds(1))
        if now().microseconds < deadline {
            return tokens.accessToken
        }
        return try await refreshed(from: tokens).accessToken
    }

    /// Refreshes now, whatever the expiry (after the provider refused the access token).
    public func refreshNow() async throws -> String {
        guard case .oauth(let tokens)? = vault.credential(for: connection) else {
            throw NeedsReauthorization(connection: connection, reason: "no tokens are stored")
        }
        return try await refreshed(from: tokens).accessToken
    }

    private func refreshed(from tokens: OAuthTokens) async throws -> OAuthTokens {
        if let refreshing {
            return try await refreshing.value
        }
        let task = Task { try await self.performRefresh(tokens) }
        refreshing = task
        defer { refreshing = nil }
        return try await task.value
    }

    private func performRefresh(_ tokens: OAuthTokens) async throws -> OAuthTokens {
        guard let refreshToken = tokens.refreshToken else {
            throw NeedsReauthorization(
                connection: connection,
                reason: "the access token expired and there is no refresh token")
        }
        refreshCount += 1
        let response = try await client.send(
            ConnectorRequest(
                method: "POST", url: provider.tokenURL,
                headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: Array(
                    FormBody.encode([
                        ("grant_type", "refresh_token"), ("refresh_token", refreshToken),
                        ("client_id", provider.clientID), ("client_secret", provider.clientSecret),
                    ]).utf8),
                isIdempotent: false))
        let body = (try? Value(jsonBytes: response.body)) ?? .null
        guard response.status == 200, let access = body["access_token"]?.stringValue else {
            let error = body["error"]?.stringValue ?? "HTTP \(response.status)"
            if ["invalid_grant", "invalid_client", "unauthorized_client"].contains(error)
                || response.status == 401 || response.status == 403
            {
                throw NeedsReauthorization(
                    connection: connection, reason: "the provider answered \(error)")
            }
            throw ConnectorError(
                request: "POST \(provider.tokenURL)", attempts: 1, lastStatus: response.status,
                detail: Redaction.redact(String(decoding: response.body.prefix(300), as: UTF8.self))
            )
        }
        let renewed = OAuthTokens(
            accessToken: access,
            refreshToken: body["refresh_token"]?.stringValue ?? tokens.refreshToken,
            expiresAt: Timestamp(
                microsecondsSinceEpoch: now().microseconds
                    + (body["expires_in"]?.integerValue ?? 3_600) * 1_000_000),
            scope: body["scope"]?.stringValue ?? tokens.scope, cloudId: tokens.cloudId)
        // On disk before anyone uses it: a crash now cannot lose the rotated refresh token.
        try vault.store(.oauth(renewed), for: connection)
        try await onRefresh?(renewed)
        return renewed
    }
}

/// `application/x-www-form-urlencoded` bodies.
enum FormBody {
    static func encode(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
        }.joined(separator: "&")
    }
}
