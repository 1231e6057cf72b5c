import Connectors
import Foundation
import Ledger

/// `syncledger connect`: authorises a connection and keeps its credential in the vault.
struct ConnectCommand: Command {
    static let name = "connect"
    static let summary = "Authorise a connection and keep its credential in the encrypted vault."
    static let usage =
        "connect <connection> --provider zendesk|jira --base-url URL (--client-id ID --client-secret S | --api-token USER:TOKEN) [options]"
    static let discussion = """
        With OAuth, prints the authorisation URL, receives the redirect on a loopback port,
        exchanges the code (PKCE) and stores the tokens; for Jira it also finds the cloud id
        through accessible-resources. With --fetch it fetches the URL itself instead of waiting
        for a browser: for the sandbox, whose consent page approves at once. With --api-token
        it stores the token for basic authentication instead.

        Credentials go to <ledger>/vault.sealed, encrypted with SYNCLEDGER_KEY or the key file
        <ledger>/vault.key (created with mode 0600). The ledger records a connectionChanged
        event saying the connection was authorised, never the secret. That event lifts a pause
        sync recorded when the provider refused the old credential: the next sync polls and
        writes to the connection again.

        Example (against syncledger sandbox):
          syncledger connect zendesk --provider zendesk --base-url http://127.0.0.1:41234 \\
            --client-id syncledger-sandbox --client-secret sandbox-client-secret --fetch
        """
    static let options: [OptionSpec] = [
        .ledger,
        .value("provider", "NAME", "zendesk or jira."),
        .value("base-url", "URL", "The provider's base URL (the site, or the sandbox)."),
        .value("client-id", "ID", "The OAuth client's id."),
        .value("client-secret", "SECRET", "The OAuth client's secret."),
        .value("scope", "SCOPES", "Scopes to ask for (default: the provider's usual ones)."),
        .value("api-token", "USER:TOKEN", "Store an API token for basic authentication instead."),
        .flag("fetch", "Fetch the authorisation URL yourself (the sandbox approves at once)."),
    ]

    let ledger: String
    let connection: String
    let provider: String
    let baseURL: String
    let clientID: String?
    let clientSecret: String?
    let scope: String?
    let apiToken: String?
    let fetch: Bool

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 1)
        guard let connection = arguments.positionals.first else {
            throw UsageError(message: "missing the connection's name", command: Self.name)
        }
        self.connection = connection
        ledger = arguments.ledgerPath(environment: environment)
        guard let provider = arguments.value("provider"), ["zendesk", "jira"].contains(provider)
        else {
            throw UsageError(message: "'--provider' must be zendesk or jira", command: Self.name)
        }
        self.provider = provider
        guard let baseURL = arguments.value("base-url"), URL(string: baseURL)?.host != nil else {
            throw UsageError(
                message: "'--base-url' must be a URL such as https://example.zendesk.com",
                command: Self.name)
        }
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        clientID = arguments.value("client-id")
        clientSecret = arguments.value("client-secret")
        scope = arguments.value("scope")
        apiToken = arguments.value("api-token")
        fetch = arguments.flag("fetch")
        if apiToken == nil && (clientID == nil || clientSecret == nil) {
            throw UsageError(
                message: "give '--client-id' and '--client-secret' for OAuth, or '--api-token'",
                command: Self.name)
        }
        if let apiToken, !apiToken.contains(":") {
            throw UsageError(message: "'--api-token' must be USER:TOKEN", command: Self.name)
        }
    }

    func run() async throws -> Int32 {
        let log = try EventLog.open(at: ledger)
        defer { log.close() }
        let vault: Vault
        do {
            vault = try Vault(
                path: ledger + "/vault.sealed", keyPath: ledger + "/vault.key",
                environment: ProcessInfo.processInfo.environment)
        } catch {
            Output.error("\(error)")
            return ExitStatus.failure
        }

        let description: String
        if let apiToken {
            let parts = apiToken.split(separator: ":", maxSplits: 1).map(String.init)
            try vault.store(.apiToken(account: parts[0], token: parts[1]), for: connection)
            description = "API token for \(parts[0])"
        } else {
            var tokens: OAuthTokens
            do {
                tokens = try await OAuthAuthorization.run(oauthProvider()) { url in
                    if fetch {
                        // Following the consent page's redirect delivers the code.
                        _ = try await ConnectorClient().send(
                            ConnectorRequest(method: "GET", url: url))
                    } else {
                        Output.line("Open this address to authorise \(connection):\n  \(url)")
                        Output.flush()
                    }
                }
            } catch {
                Output.error("the connection '\(connection)' was not authorised: \(error)")
                return ExitStatus.failure
            }
            if provider == "jira" {
                tokens.cloudId = try await cloudID(tokens.accessToken)
            }
            try vault.store(.oauth(tokens), for: connection)
            // The client too, so that syncledger sync can refresh the tokens it expires.
            let client = oauthProvider()
            try vault.store(
                .oauthClient(
                    OAuthClient(
                        tokenURL: client.tokenURL, clientID: client.clientID,
                        clientSecret: client.clientSecret, scope: tokens.scope)),
                for: Vault.clientEntry(of: connection))
            description =
                "OAuth, scope \(tokens.scope), until \(tokens.expiresAt)"
                + (tokens.cloudId.map { ", cloud id \($0)" } ?? "")
        }
        let wasPaused = try Self.isPaused(connection, in: log)
        try log.appendWaiting(
            AppendBatch([
                NewEvent(
                    kind: .connectionChanged, record: nil,
                    body: [
                        "connection": .string(connection), "change": "authorised",
                        "provider": .string(provider),
                        "method": .string(apiToken == nil ? "oauth" : "apiToken"),
                    ])
            ]))
        Output.line("connected \(connection): \(description)")
        if wasPaused {
            Output.line("the pause of \(connection) is lifted; the next sync polls it again")
        }
        return ExitStatus.success
    }

    /// Whether the last change the log records for `connection` paused it.
    static func isPaused(_ connection: String, in log: EventLog) throws -> Bool {
        var paused = false
        try log.scan(from: SequenceNumber(UInt64.max), direction: .backward) { result in
            guard let event = try? result.get(), event.kind == .connectionChanged,
                event.body["connection"]?.stringValue == connection
            else {
                return true
            }
            paused = event.body["change"] == "needsReauthorization"
            return false
        }
        return paused
    }

    private func oauthProvider() -> OAuthProvider {
        Self.oauthProvider(
            provider, baseURL: baseURL, clientID: clientID!, clientSecret: clientSecret!,
            scope: scope)
    }

    /// The OAuth endpoints of `provider` (`zendesk` or `jira`) at `baseURL`, for a client;
    /// `scope` defaults to the provider's usual scopes.
    static func oauthProvider(
        _ provider: String, baseURL: String, clientID: String, clientSecret: String,
        scope: String? = nil
    ) -> OAuthProvider {
        if provider == "jira" {
            return OAuthProvider(
                authorizeURL: baseURL + "/authorize", tokenURL: baseURL + "/oauth/token",
                clientID: clientID, clientSecret: clientSecret,
                scope: scope ?? "read:jira-work write:jira-work offline_access",
                extraAuthorizeArguments: [("audience", "api.atlassian.com"), ("prompt", "consent")])
        }
        return OAuthProvider(
            authorizeURL: baseURL + "/oauth/authorizations/new",
            tokenURL: baseURL + "/oauth/tokens",
            clientID: clientID, clientSecret: clientSecret, scope: scope ?? "read write")
    }

    /// The first site the token can reach, from accessible-resources.
    private func cloudID(_ token: String) async throws -> String? {
        let response = try await ConnectorClient().send(
            ConnectorRequest(
                method: "GET", url: baseURL + "/oauth/token/accessible-resources",
                headers: [("Authorization", "Bearer " + token)]))
        return (try? Value(jsonBytes: response.body))?.arrayValue?.first?["id"]?.stringValue
    }
}
