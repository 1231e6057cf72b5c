import Foundation
import Ledger
import Synchronization

/// The OAuth 2.0 side of an emulated provider: registered clients, authorisation codes bound
/// to PKCE challenges, access tokens that expire, and refresh tokens that rotate.
///
/// Refresh tokens are issued in families: each refresh retires the token it used and issues the
/// next of its family. Reusing a retired one fails; outside the provider's grace period it
/// also revokes the whole family, as a stolen token would warrant. Both emulators use it with
/// their own endpoints and error shapes.
final class OAuthAuthority: Sendable {
    /// A client application allowed to ask for tokens.
    struct Client: Sendable {
        var id: String
        var secret: String
        var redirectURIs: [String]
    }

    /// How long things live, in seconds.
    struct Lifetimes: Sendable {
        var code: Int64 = 600
        var accessToken: Int64 = 3_600
        var refreshToken: Int64 = 30 * 86_400
        /// How long a retired refresh token may still be reused harmlessly; `nil` for never.
        var refreshReuseGrace: Int64?
        /// Whether a refresh also ends the access token issued with the refresh token it used
        /// (the old pair dies together).
        var refreshEndsPreviousAccess = false
    }

    /// Why a grant was refused, as RFC 6749 names it.
    struct Refusal: Error, Sendable {
        var error: String
        var description: String
    }

    /// Tokens issued by a grant.
    struct Grant: Sendable {
        var accessToken: String
        var refreshToken: String?
        var expiresIn: Int64
        var refreshExpiresIn: Int64?
        var scope: String
    }

    private struct Code {
        var clientID: String
        var redirectURI: String
        var challenge: String?
        var scope: String
        var expiresAt: Int64
    }

    private struct Access {
        var clientID: String
        var scope: String
        var family: Int
        var expiresAt: Int64
        /// The refresh token issued with it.
        var sibling: String
    }

    private struct Refresh {
        var clientID: String
        var scope: String
        var family: Int
        var expiresAt: Int64
        /// When it was used and replaced; `nil` while current.
        var retiredAt: Int64?
    }

    private struct State {
        var codes: [String: Code] = [:]
        var accessTokens: [String: Access] = [:]
        var refreshTokens: [String: Refresh] = [:]
        var revokedFamilies: Set<Int> = []
        var nextFamily = 1
        var random: SandboxRandom
    }

    let clients: [Client]
    let lifetimes: Lifetimes
    private let clock: any SandboxClock
    private let state: Mutex<State>

    init(clients: [Client], lifetimes: Lifetimes, clock: any SandboxClock, seed: UInt64) {
        self.clients = clients
        self.lifetimes = lifetimes
        self.clock = clock
        state = Mutex(State(random: SandboxRandom(seed: seed ^ 0x0a17_4a17)))
    }

    private var now: Int64 { clock.now().unixSeconds }

    func client(_ id: String) -> Client? {
        clients.first { $0.id == id }
    }

    /// Issues a code for an approved authorisation request.
    func issueCode(
        clientID: String, redirectURI: String, challenge: String?, scope: String
    ) throws(Refusal) -> String {
        guard let client = client(clientID) else {
            throw Refusal(error: "invalid_client", description: "Unknown client \(clientID)")
        }
        guard client.redirectURIs.contains(redirectURI) else {
            throw Refusal(
                error: "invalid_request",
                description: "redirect_uri \(redirectURI) is not registered for this client")
        }
        let expiresAt = now + lifetimes.code
        return state.withLock { state in
            let code = Self.token(&state.random, prefix: "code")
            state.codes[code] = Code(
                clientID: clientID, redirectURI: redirectURI, challenge: challenge, scope: scope,
                expiresAt: expiresAt)
            return code
        }
    }

    /// Exchanges a code (once) for tokens, checking the client, the redirect and the PKCE
    /// verifier.
    func exchange(
        code: String, clientID: String, secret: String?, redirectURI: String?, verifier: String?
    ) throws(Refusal) -> Grant {
        try authenticate(clientID, secret, requireSecret: verifier == nil)
        let now = self.now
        let result: Result<Grant, Refusal> = state.withLock { state in
            guard let issued = state.codes.removeValue(forKey: code), issued.expiresAt > now,
                issued.clientID == clientID
            else {
                return .failure(Self.invalidGrant)
            }
            if let redirectURI, redirectURI != issued.redirectURI {
                return .failure(Self.invalidGrant)
            }
            if let challenge = issued.challenge {
                guard let verifier, Self.challenge(for: verifier) == challenge else {
                    return .failure(
                        Refusal(error: "invalid_grant", description: "PKCE verification failed"))
                }
            }
            let family = state.nextFamily
            state.nextFamily += 1
            return .success(
                issue(&state, clientID: clientID, scope: issued.scope, family: family, now: now))
        }
        return try result.get()
    }

    /// Exchanges a refresh token for a new pair, retiring it.
    func refresh(_ token: String, clientID: String, secret: String?) throws(Refusal) -> Grant {
        try authenticate(clientID, secret, requireSecret: false)
        let now = self.now
        let grace = lifetimes.refreshReuseGrace
        let result: Result<Grant, Refusal> = state.withLock { state in
            guard var refresh = state.refreshTokens[token], refresh.clientID == clientID,
                refresh.expiresAt > now, !state.revokedFamilies.contains(refresh.family)
            else {
                return .failure(Self.invalidGrant)
            }
            if let retiredAt = refresh.retiredAt {
                guard let grace, now - retiredAt <= grace else {
                    // A retired token used again: treat the family as stolen.
                    revoke(family: refresh.family, in: &state)
                    return .failure(Self.invalidGrant)
                }
            } else {
                refresh.retiredAt = now
                state.refreshTokens[token] = refresh
                if lifetimes.refreshEndsPreviousAccess {
                    state.accessTokens = state.accessTokens.filter { $0.value.sibling != token }
                }
            }
            return .success(
                issue(
                    &state, clientID: clientID, scope: refresh.scope, family: refresh.family,
                    now: now))
        }
        return try result.get()
    }

    /// Tokens for the client itself, without a user: no refresh token.
    func clientCredentials(clientID: String, secret: String?, scope: String) throws(Refusal)
        -> Grant
    {
        try authenticate(clientID, secret, requireSecret: true)
        let now = self.now
        return state.withLock { state in
            let family = state.nextFamily
            state.nextFamily += 1
            var grant = issue(&state, clientID: clientID, scope: scope, family: family, now: now)
            state.refreshTokens[grant.refreshToken!] = nil
            grant.refreshToken = nil
            grant.refreshExpiresIn = nil
            return grant
        }
    }

    /// Whether `accessToken` is live: issued, not expired, its family not revoked.
    func validate(_ accessToken: String) -> Bool {
        let now = self.now
        return state.withLock { state in
            guard let access = state.accessTokens[accessToken] else {
                return false
            }
            return access.expiresAt > now && !state.revokedFamilies.contains(access.family)
        }
    }

    /// Revokes the family of `accessToken` (every access and refresh token from its grant).
    @discardableResult
    func revoke(accessToken: String) -> Bool {
        state.withLock { state in
            guard let family = state.accessTokens[accessToken]?.family else {
                return false
            }
            revoke(family: family, in: &state)
            return true
        }
    }

    /// Revokes every token issued so far: an administrator cutting an integration off.
    func revokeAll() {
        state.withLock { state in
            for family in 1..<state.nextFamily {
                state.revokedFamilies.insert(family)
            }
        }
    }

    // MARK: - Helpers

    static let invalidGrant = Refusal(
        error: "invalid_grant",
        description: "The provided authorization grant is invalid, expired, or revoked")

    /// The S256 challenge for `verifier`: base64url of its SHA-256, without padding.
    static func challenge(for verifier: String) -> String {
        Data(Digest.sha256(Array(verifier.utf8)).bytes).base64EncodedString()
            .replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
    }

    private func authenticate(_ clientID: String, _ secret: String?, requireSecret: Bool)
        throws(Refusal)
    {
        guard let client = client(clientID) else {
            throw Refusal(error: "invalid_client", description: "Client authentication failed")
        }
        if secret != nil || requireSecret {
            guard secret == client.secret else {
                throw Refusal(error: "invalid_client", description: "Client authentication failed")
            }
        }
    }

    private func issue(
        _ state: inout State, clientID: String, scope: String, family: Int, now: Int64
    ) -> Grant {
        let access = Self.token(&state.random, prefix: "at")
        let refresh = Self.token(&state.random, prefix: "rt")
        state.accessTokens[access] = Access(
            clientID: clientID, scope: scope, family: family,
            expiresAt: now + lifetimes.accessToken, sibling: refresh)
        state.refreshTokens[refresh] = Refresh(
            clientID: clientID, scope: scope, family: family,
            expiresAt: now + lifetimes.refreshToken)
        return Grant(
            accessToken: access, refreshToken: refresh, expiresIn: lifetimes.accessToken,
            refreshExpiresIn: lifetimes.refreshToken, scope: scope)
    }

    private func revoke(family: Int, in state: inout State) {
        state.revokedFamilies.insert(family)
    }

    private static func token(_ random: inout SandboxRandom, prefix: String) -> String {
        prefix + "_" + (0..<4).map { _ in String(random.next(), radix: 16) }.joined()
    }
}
