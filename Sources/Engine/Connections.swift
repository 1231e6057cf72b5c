import Connectors
import Foundation
import Ledger
import Mapping
import Synchronization

/// The connectors of a configuration's connections, authorised with the credentials the
/// vault holds under each connection's `credential` name.
public struct Connections: Sendable {
    /// The vault the credentials come from.
    public let vault: Vault
    /// The runtime every connector's requests go through, each connection's paced by a rate
    /// budget of its own (see ``client(for:)``).
    public let client: ConnectorClient
    private let budgets = ConnectionBudgets()
    /// How OAuth access tokens are refreshed, and where each refresh is recorded.
    public var tokenRefresh = TokenRefresh()
    /// The rate limit each connection's last answer reported.
    public let rateLimits = RateLimitReadings()

    /// Opens the vault of the ledger at `ledger`.
    public init(ledger: String, client: ConnectorClient = ConnectorClient()) throws {
        vault = try Vault(
            path: ledger + "/vault.sealed", keyPath: ledger + "/vault.key",
            environment: ProcessInfo.processInfo.environment)
        self.client = client
    }

    /// How requests to `connection` authenticate, and the API root they go to.
    public func authentication(for connection: Connection) throws -> (
        ConnectorAuthentication, baseURL: String
    ) {
        switch vault.credential(for: connection.credential) {
        case .apiToken(let account, let token)?:
            return (.basic(user: account, secret: token), connection.baseURL)
        case .oauth(let tokens)?:
            let session = oauthSession(for: connection, scope: tokens.scope)
            var root = connection.baseURL
            if connection.provider == .jira, let cloud = tokens.cloudId {
                let gateway =
                    URL(string: root)?.host?.hasSuffix(".atlassian.net") == true
                    ? "https://api.atlassian.com" : root
                root = gateway + "/ex/jira/" + cloud
            }
            return (.oauth(session), root)
        case .secret?, .oauthClient?:
            throw EngineError(
                "the vault entry '\(connection.credential)' of the connection "
                    + "'\(connection.name)' is a secret or an OAuth client, not a credential; run syncledger "
                    + "connect \(connection.credential)")
        case nil:
            throw EngineError(
                "the vault has no credential '\(connection.credential)' for the connection "
                    + "'\(connection.name)'; run syncledger connect \(connection.credential) first")
        }
    }

    /// ``client`` with the rate budget of `connection`: a provider counts an account's
    /// requests, so one connection's answers must not pace another connection's requests,
    /// which go at the same time. Every answer is also read for ``rateLimits``.
    public func client(for connection: Connection) -> ConnectorClient {
        let paced = ConnectorClient(
            transport: client.transport, budget: budgets.budget(of: connection.name),
            policy: client.policy, random: client.random, sleeper: client.sleeper,
            log: client.log)
        return rateLimits.client(paced, for: connection.name)
    }

    /// The Zendesk connector of `connection`.
    public func zendesk(_ connection: Connection) throws -> ZendeskConnector {
        let (authentication, root) = try authentication(for: connection)
        return ZendeskConnector(
            connection: connection.name, baseURL: root, authentication: authentication,
            client: client(for: connection))
    }

    /// The Jira connector of `connection`.
    public func jira(_ connection: Connection) throws -> JiraConnector {
        let (authentication, root) = try authentication(for: connection)
        return JiraConnector(
            connection: connection.name, baseURL: root, projectKey: connection.project ?? "",
            authentication: authentication, client: client(for: connection))
    }

    /// The id of the custom field `reference` names, asked of its connection's API.
    public func resolve(_ reference: CustomFieldReference, in configuration: Configuration)
        async throws -> String
    {
        guard let connection = configuration.connection(named: reference.connection) else {
            throw EngineError("no connection '\(reference.connection)'")
        }
        switch connection.provider {
        case .zendesk:
            return try await zendesk(connection).customField(titled: reference.name)
        case .jira:
            return try await jira(connection).fieldID(named: reference.name)
        }
    }

    /// The id of every custom field `configuration` names, each asked of its connection's API:
    /// what ``ConfigurationFile/appliedEvent(resolving:)`` needs.
    public func resolveCustomFields(of configuration: Configuration) async throws
        -> [CustomFieldReference: String]
    {
        var ids: [CustomFieldReference: String] = [:]
        for reference in configuration.customFields {
            ids[reference] = try await resolve(reference, in: configuration)
        }
        return ids
    }
}

/// Each connection's rate budget, made when the connection is first used.
final class ConnectionBudgets: Sendable {
    private let budgets = Mutex<[String: RateBudget]>([:])

    /// The budget of the connection named `name`.
    func budget(of name: String) -> RateBudget {
        budgets.withLock { budgets in
            if let budget = budgets[name] {
                return budget
            }
            let budget = RateBudget()
            budgets[name] = budget
            return budget
        }
    }
}

/// Something the engine cannot do as configured, said plainly.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
