import Foundation
import Ledger
import Sandbox
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("Zendesk OAuth")
struct ZendeskOAuthTests {
    static let verifier = "a-verifier-of-at-least-forty-three-characters-0123456789"
    static let redirect = "http://127.0.0.1:54321/oauth/callback"

    /// The S256 challenge, computed here independently of the emulator.
    static var challenge: String {
        Data(Digest.sha256(Array(verifier.utf8)).bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func authorizePath(state: String = "st-1", redirect: String = redirect) -> String {
        "/oauth/authorizations/new?response_type=code&client_id=syncledger-sandbox"
            + "&redirect_uri=\(redirect.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
            + "&scope=read%20write&state=\(state)&code_challenge=\(challenge)"
            + "&code_challenge_method=S256"
    }

    /// Runs the authorisation step and returns the code from the redirect.
    func code(_ sandbox: ZendeskSandbox) async throws -> String {
        let answer = try await sandbox.location(Self.authorizePath())
        #expect(answer.status == 302)
        let location = try #require(answer.location.flatMap(URLComponents.init(string:)))
        #expect(location.port == 54321)
        #expect(location.queryItems?.first { $0.name == "state" }?.value == "st-1")
        return try #require(location.queryItems?.first { $0.name == "code" }?.value)
    }

    func exchange(_ sandbox: ZendeskSandbox, _ code: String, verifier: String = verifier)
        async throws -> ZendeskSandbox.Answer
    {
        try await sandbox.token([
            "grant_type": "authorization_code", "code": code, "client_id": "syncledger-sandbox",
            "client_secret": "sandbox-client-secret", "redirect_uri": Self.redirect,
            "code_verifier": verifier,
        ])
    }

    @Test func theCodeFlowWithPKCEGivesTokensTheAPIAccepts() async throws {
        let sandbox = try ZendeskSandbox()
        let tokens = try await exchange(sandbox, try await code(sandbox))
        #expect(tokens.status == 200)
        #expect(tokens.body["token_type"] == "bearer")
        #expect(tokens.body["scope"] == "read write")
        #expect(tokens.body["expires_in"] == 7_200)
        let access = try #require(tokens.body["access_token"]?.stringValue)
        #expect(tokens.body["refresh_token"]?.stringValue != nil)

        let ticket = try await sandbox.send(
            "GET", "/api/v2/tickets/1.json", authorization: "Bearer \(access)")
        #expect(ticket.status == 200)
    }

    @Test func aCodeIsGoodOnceAndOnlyWithItsVerifier() async throws {
        let sandbox = try ZendeskSandbox()
        let wrong = try await exchange(sandbox, try await code(sandbox), verifier: "not-it")
        #expect(wrong.status == 400)
        #expect(wrong.body["error"] == "invalid_grant")

        let code = try await code(sandbox)
        #expect(try await exchange(sandbox, code).status == 200)
        let again = try await exchange(sandbox, code)
        #expect(again.status == 400)
        #expect(again.body["error"] == "invalid_grant")
        #expect(again.body["error_description"]?.stringValue?.contains("invalid, expired") == true)
    }

    @Test func aRefreshRotatesThePairAndRetiresTheOldOne() async throws {
        let sandbox = try ZendeskSandbox()
        let first = try await exchange(sandbox, try await code(sandbox))
        let oldAccess = try #require(first.body["access_token"]?.stringValue)
        let oldRefresh = try #require(first.body["refresh_token"]?.stringValue)

        let refreshed = try await sandbox.token([
            "grant_type": "refresh_token", "refresh_token": oldRefresh,
            "client_id": "syncledger-sandbox", "client_secret": "sandbox-client-secret",
        ])
        #expect(refreshed.status == 200)
        let newAccess = try #require(refreshed.body["access_token"]?.stringValue)
        #expect(newAccess != oldAccess)
        #expect(refreshed.body["refresh_token"]?.stringValue != oldRefresh)

        let stale = try await sandbox.send(
            "GET", "/api/v2/tickets/1.json", authorization: "Bearer \(oldAccess)")
        #expect(stale.status == 401)
        #expect(stale.body["error"] == "invalid_token")
        #expect(
            try await sandbox.send(
                "GET", "/api/v2/tickets/1.json", authorization: "Bearer \(newAccess)"
            )
            .status == 200)

        let reused = try await sandbox.token([
            "grant_type": "refresh_token", "refresh_token": oldRefresh,
            "client_id": "syncledger-sandbox", "client_secret": "sandbox-client-secret",
        ])
        #expect(reused.status == 400)
        #expect(reused.body["error"] == "invalid_grant")
    }

    @Test func anAccessTokenExpires() async throws {
        let sandbox = try ZendeskSandbox { $0.accessTokenLifetime = 300 }
        let tokens = try await exchange(sandbox, try await code(sandbox))
        let access = try #require(tokens.body["access_token"]?.stringValue)
        sandbox.clock.advance(seconds: 299)
        #expect(
            try await sandbox.send(
                "GET", "/api/v2/tickets/1.json", authorization: "Bearer \(access)"
            )
            .status == 200)
        sandbox.clock.advance(seconds: 1)
        let expired = try await sandbox.send(
            "GET", "/api/v2/tickets/1.json", authorization: "Bearer \(access)")
        #expect(expired.status == 401)
        #expect(expired.body["error"] == "invalid_token")
    }

    @Test func revokingATokenEndsItsWholeGrant() async throws {
        let sandbox = try ZendeskSandbox()
        let tokens = try await exchange(sandbox, try await code(sandbox))
        let access = try #require(tokens.body["access_token"]?.stringValue)
        let refresh = try #require(tokens.body["refresh_token"]?.stringValue)
        let revoked = try await sandbox.send(
            "DELETE", "/api/v2/oauth/tokens/current.json", authorization: "Bearer \(access)")
        #expect(revoked.status == 204)
        #expect(
            try await sandbox.send(
                "GET", "/api/v2/tickets/1.json", authorization: "Bearer \(access)"
            )
            .status == 401)
        let refreshed = try await sandbox.token([
            "grant_type": "refresh_token", "refresh_token": refresh,
            "client_id": "syncledger-sandbox", "client_secret": "sandbox-client-secret",
        ])
        #expect(refreshed.body["error"] == "invalid_grant")

        let another = try await exchange(sandbox, try await code(sandbox))
        let other = try #require(another.body["access_token"]?.stringValue)
        sandbox.emulator.revokeAllTokens()
        #expect(
            try await sandbox.send(
                "GET", "/api/v2/tickets/1.json", authorization: "Bearer \(other)"
            )
            .status == 401)
    }

    @Test func withoutAutomaticConsentAPageAsksAndItsFormApproves() async throws {
        let sandbox = try ZendeskSandbox { $0.autoApproveConsent = false }
        let page = try await sandbox.location(Self.authorizePath())
        #expect(page.status == 200)
        #expect(page.body.contains("<form method=\"post\" action=\"/oauth/authorizations/new\">"))
        #expect(page.body.contains("name=\"code_challenge\""))

        var request = URLRequest(
            url: URL(string: sandbox.server.baseURL + "/oauth/authorizations/new")!)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        let query = try #require(URLComponents(string: Self.authorizePath())?.percentEncodedQuery)
        request.httpBody = Data(query.utf8)
        let (_, response) = try await NoRedirects.session.data(for: request)
        let approved = try #require(response as? HTTPURLResponse)
        #expect(approved.statusCode == 302)
        #expect(approved.value(forHTTPHeaderField: "Location")?.contains("code=") == true)
    }

    @Test func anUnregisteredRedirectIsNeverFollowed() async throws {
        let sandbox = try ZendeskSandbox()
        let elsewhere = try await sandbox.location(
            Self.authorizePath(redirect: "http://evil.example/callback"))
        #expect(elsewhere.status == 400)
        #expect(elsewhere.location == nil)
        let badClient = try await sandbox.token([
            "grant_type": "client_credentials", "client_id": "syncledger-sandbox",
            "client_secret": "wrong",
        ])
        #expect(badClient.status == 401)
        #expect(badClient.body["error"] == "invalid_client")
    }
}
