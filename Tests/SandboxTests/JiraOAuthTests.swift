import Foundation
import Ledger
import Sandbox
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("Jira OAuth (3LO)")
struct JiraOAuthTests {
    static let redirect = "http://127.0.0.1:40404/oauth/callback"

    /// Runs the consent step for `scope` and returns the code.
    func code(_ sandbox: JiraSandbox, scope: String) async throws -> String {
        let path =
            "/authorize?audience=api.atlassian.com&client_id=syncledger-sandbox"
            + "&scope=\(scope.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
            + "&redirect_uri=\(Self.redirect.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
            + "&state=s-9&response_type=code&prompt=consent"
        let (_, response) = try await NoRedirects.session.data(
            for: URLRequest(url: URL(string: sandbox.server.baseURL + path)!))
        let http = try #require(response as? HTTPURLResponse)
        #expect(http.statusCode == 302)
        let location = try #require(
            http.value(forHTTPHeaderField: "Location").flatMap(URLComponents.init(string:)))
        #expect(location.queryItems?.first { $0.name == "state" }?.value == "s-9")
        return try #require(location.queryItems?.first { $0.name == "code" }?.value)
    }

    func token(_ sandbox: JiraSandbox, _ body: String) async throws -> JiraSandbox.Answer {
        try await sandbox.send("POST", "/oauth/token", json: body, authorization: "")
    }

    func exchange(_ sandbox: JiraSandbox, scope: String) async throws -> JiraSandbox.Answer {
        let code = try await code(sandbox, scope: scope)
        return try await token(
            sandbox,
            #"{"grant_type":"authorization_code","client_id":"syncledger-sandbox","client_secret":"sandbox-client-secret","code":"\#(code)","redirect_uri":"\#(Self.redirect)"}"#
        )
    }

    func refresh(_ sandbox: JiraSandbox, _ token: String) async throws -> JiraSandbox.Answer {
        try await self.token(
            sandbox,
            #"{"grant_type":"refresh_token","client_id":"syncledger-sandbox","client_secret":"sandbox-client-secret","refresh_token":"\#(token)"}"#
        )
    }

    @Test func theCodeFlowGivesAGatewayTokenAndTheCloudID() async throws {
        let sandbox = try JiraSandbox()
        let tokens = try await exchange(
            sandbox, scope: "read:jira-work write:jira-work offline_access")
        #expect(tokens.status == 200)
        #expect(tokens.body["token_type"] == "Bearer")
        #expect(tokens.body["expires_in"] == 3_600)
        let access = try #require(tokens.body["access_token"]?.stringValue)
        #expect(tokens.body["refresh_token"]?.stringValue != nil)

        let resources = try await sandbox.send(
            "GET", "/oauth/token/accessible-resources", authorization: "Bearer \(access)")
        #expect(resources.status == 200)
        let cloud = try #require(resources.body.arrayValue?.first?["id"]?.stringValue)
        #expect(cloud == "sandbox-cloud")

        let viaGateway = try await sandbox.send(
            "GET", "/ex/jira/\(cloud)/rest/api/3/myself", authorization: "Bearer \(access)")
        #expect(viaGateway.status == 200)
        let direct = try await sandbox.send(
            "GET", "/rest/api/3/myself", authorization: "Bearer \(access)")
        #expect(direct.status == 401, "OAuth tokens go through the gateway path only")
    }

    @Test func withoutOfflineAccessThereIsNoRefreshToken() async throws {
        let sandbox = try JiraSandbox()
        let tokens = try await exchange(sandbox, scope: "read:jira-work")
        #expect(tokens.status == 200)
        #expect(tokens.body["refresh_token"] == nil)
    }

    @Test func reusingAnOldRefreshTokenAfterTheGraceRevokesTheFamily() async throws {
        let sandbox = try JiraSandbox()
        let first = try await exchange(sandbox, scope: "read:jira-work offline_access")
        let oldRefresh = try #require(first.body["refresh_token"]?.stringValue)
        let second = try await refresh(sandbox, oldRefresh)
        #expect(second.status == 200)
        let access = try #require(second.body["access_token"]?.stringValue)

        // Within the grace period a retry with the old token still works.
        sandbox.clock.advance(seconds: 300)
        #expect(try await refresh(sandbox, oldRefresh).status == 200)

        // After it, reusing the old token is taken as theft: the whole family dies.
        sandbox.clock.advance(seconds: 400)
        let stolen = try await refresh(sandbox, oldRefresh)
        #expect(stolen.status == 403)
        #expect(stolen.body["error"] == "invalid_grant")
        let revoked = try await sandbox.send(
            "GET", "/ex/jira/sandbox-cloud/rest/api/3/myself", authorization: "Bearer \(access)")
        #expect(revoked.status == 401)
    }
}
