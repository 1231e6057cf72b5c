import Foundation
import HTTPServer
import Ledger
import Synchronization

/// The authorisation-code flow with PKCE, as a command-line tool runs it: a loopback server
/// receives the redirect, the code is exchanged with its verifier, and the tokens come back.
public enum OAuthAuthorization {
    /// Why the flow did not end with tokens.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What happened; never a secret.
        public let description: String
    }

    /// Runs the flow against `provider`: starts the redirect receiver on a free loopback port,
    /// hands the authorisation URL to `open` (print it, or fetch it when consent is
    /// automatic), waits up to `timeout` for the redirect, checks its `state`, and exchanges
    /// the code.
    public static func run(
        _ provider: OAuthProvider, client: ConnectorClient = ConnectorClient(),
        timeout: Duration = .seconds(300),
        now: @escaping @Sendable () -> Timestamp = { SystemClock().now() },
        open: @Sendable (String) async throws -> Void
    ) async throws -> OAuthTokens {
        let verifier = randomText(48)
        let state = randomText(16)
        let received = Mutex<(code: String?, state: String?, error: String?)?>(nil)
        var router = Router()
        router.add(.get, "/oauth/callback") { request in
            received.withLock {
                $0 = (request.query("code"), request.query("state"), request.query("error"))
            }
            return .text("SyncLedger is authorised. You may close this window.\n")
        }
        let receiver = try HTTPServer(router: router)
        defer { receiver.stop() }
        let redirect = receiver.baseURL + "/oauth/callback"

        var arguments: [(String, String)] = [
            ("response_type", "code"), ("client_id", provider.clientID),
            ("redirect_uri", redirect), ("scope", provider.scope), ("state", state),
            ("code_challenge", challenge(for: verifier)), ("code_challenge_method", "S256"),
        ]
        arguments += provider.extraAuthorizeArguments
        try await open(provider.authorizeURL + "?" + FormBody.encode(arguments))

        let deadline = ContinuousClock.now + timeout
        var answer: (code: String?, state: String?, error: String?)?
        while answer == nil {
            guard ContinuousClock.now < deadline else {
                throw Failure(description: "no authorisation arrived within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
            answer = received.withLock { $0 }
        }
        guard answer?.state == state else {
            throw Failure(description: "the redirect carried another state; the flow was not ours")
        }
        guard let code = answer?.code else {
            throw Failure(description: "the provider refused: \(answer?.error ?? "no code")")
        }
        let response = try await client.send(
            ConnectorRequest(
                method: "POST", url: provider.tokenURL,
                headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: Array(
                    FormBody.encode([
                        ("grant_type", "authorization_code"), ("code", code),
                        ("redirect_uri", redirect), ("client_id", provider.clientID),
                        ("client_secret", provider.clientSecret), ("code_verifier", verifier),
                    ]).utf8),
                isIdempotent: false))
        let body = (try? Value(jsonBytes: response.body)) ?? .null
        guard response.status == 200, let access = body["access_token"]?.stringValue else {
            throw Failure(
                description: "the token endpoint answered \(response.status): "
                    + (body["error"]?.stringValue ?? "no tokens"))
        }
        return OAuthTokens(
            accessToken: access, refreshToken: body["refresh_token"]?.stringValue,
            expiresAt: Timestamp(
                microsecondsSinceEpoch: now().microseconds
                    + (body["expires_in"]?.integerValue ?? 3_600) * 1_000_000),
            scope: body["scope"]?.stringValue ?? provider.scope)
    }

    /// The S256 PKCE challenge of `verifier`.
    static func challenge(for verifier: String) -> String {
        Data(Digest.sha256(Array(verifier.utf8)).bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// `count` random URL-safe characters from the system's generator.
    static func randomText(_ count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
