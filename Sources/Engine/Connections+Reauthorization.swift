import Connectors
import Mapping

extension Connections {
    /// Runs `operation` against `connection`, turning a credential the provider refuses into
    /// ``NeedsReauthorization``, which pauses the connection when it runs under a guard.
    ///
    /// A 401 answer means the credential was refused. An API token refused once will be
    /// refused again. An OAuth access token refused before it expired was revoked, or its grant
    /// ended: one refresh is tried through the credential's OAuth client, and when the token
    /// endpoint refuses it too, or no client is known (a vault written before `syncledger
    /// connect` kept the client), the connection needs authorising. A refresh that works
    /// leaves the 401 as it was; the next call uses the new token. A refresh that gets no
    /// answer, or a server error, leaves it too: nothing says the authorisation is gone.
    public func confirmingAuthorization<R>(
        of connection: Connection, _ operation: () async throws -> R
    ) async throws -> R {
        do {
            return try await operation()
        } catch let error as ConnectorError where error.lastStatus == 401 {
            throw await refusal(of: connection, error)
        }
    }

    private func refusal(of connection: Connection, _ failure: ConnectorError) async -> any Error {
        let refused = "the provider refused the credential (\(failure.request) answered 401)"
        guard case .oauth(let tokens)? = vault.credential(for: connection.credential) else {
            return NeedsReauthorization(connection: connection.credential, reason: refused)
        }
        guard oauthClient(of: connection.credential) != nil else {
            return NeedsReauthorization(
                connection: connection.credential,
                reason: "\(refused), and no OAuth client is known to refresh the token through")
        }
        do {
            _ = try await oauthSession(for: connection, scope: tokens.scope).refreshNow()
            return failure
        } catch let needed as NeedsReauthorization {
            return needed
        } catch let refresh as ConnectorError {
            guard let status = refresh.lastStatus, (400..<500).contains(status) else {
                return failure
            }
            return NeedsReauthorization(
                connection: connection.credential,
                reason: "\(refused), and its refresh was refused with \(status)")
        } catch {
            return failure
        }
    }
}
