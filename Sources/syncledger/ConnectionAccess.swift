import Connectors
import Foundation
import Mapping

/// Connectors for a configuration's connections, authorised with the credentials the vault
/// holds under each connection's `credential` name.
struct ConnectionAccess {
    let vault: Vault

    /// Opens the vault of the ledger at `ledger`.
    init(ledger: String) throws {
        vault = try Vault(
            path: ledger + "/vault.sealed", keyPath: ledger + "/vault.key",
            environment: ProcessInfo.processInfo.environment)
    }

    /// How requests to `connection` authenticate, and the API root they go to.
    func authentication(for connection: Connection) throws -> (
        ConnectorAuthentication, baseURL: String
    ) {
        switch vault.credential(for: connection.credential) {
        case .apiToken(let account, let token)?:
            return (.basic(user: account, secret: token), connection.baseURL)
        case .oauth(let tokens)?:
            // The access token is used while it lasts; a refresh needs the OAuth client, which
            // syncledger connect is given again.
            let provider = OAuthProvider(
                authorizeURL: "", tokenURL: connection.baseURL + "/oauth/token", clientID: "",
                clientSecret: "", scope: tokens.scope)
            let session = OAuthSession(
                connection: connection.credential, provider: provider, vault: vault)
            var root = connection.baseURL
            if connection.provider == .jira, let cloud = tokens.cloudId {
                let gateway =
                    URL(string: root)?.host?.hasSuffix(".atlassian.net") == true
                    ? "https://api.atlassian.com" : root
                root = gateway + "/ex/jira/" + cloud
            }
            return (.oauth(session), root)
        case nil:
            throw AccessError(
                description:
                    "the vault has no credential '\(connection.credential)' for the connection "
                    + "'\(connection.name)'; run syncledger connect \(connection.credential) first")
        }
    }

    /// The id of the custom field `reference` names, asked of its connection's API.
    func resolve(_ reference: CustomFieldReference, in configuration: Configuration) async throws
        -> String
    {
        guard let connection = configuration.connection(named: reference.connection) else {
            throw AccessError(description: "no connection '\(reference.connection)'")
        }
        let (authentication, root) = try authentication(for: connection)
        switch connection.provider {
        case .zendesk:
            return try await ZendeskConnector(
                connection: connection.name, baseURL: root, authentication: authentication
            ).customField(titled: reference.name)
        case .jira:
            return try await JiraConnector(
                connection: connection.name, baseURL: root, projectKey: connection.project ?? "",
                authentication: authentication
            ).fieldID(named: reference.name)
        }
    }
}

/// A connection that cannot be reached as configured.
struct AccessError: Error, CustomStringConvertible {
    let description: String
}
