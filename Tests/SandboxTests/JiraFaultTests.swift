import Foundation
import Ledger
import Sandbox
import Testing

@Suite("Jira faults")
struct JiraFaultTests {
    @Test func serverErrorsStormsAndDriftComeAndGoThroughTheAdminEndpoint() async throws {
        let sandbox = try JiraSandbox { $0.requestsPerMinute = 0 }
        #expect(
            try await sandbox.send("PUT", "/_sandbox/faults", json: #"{"serverErrorRate":1}"#)
                .status == 200)
        let failing = try await sandbox.send("GET", "/rest/api/3/myself")
        #expect(failing.status == 503)
        #expect(failing.body["errorMessages"]?.arrayValue?.isEmpty == false)

        _ = try await sandbox.send(
            "PUT", "/_sandbox/faults", json: #"{"serverErrorRate":0,"rateLimitStormRate":1}"#)
        let stormed = try await sandbox.send("GET", "/rest/api/3/myself")
        #expect(stormed.status == 429)
        #expect(stormed.headers["retry-after"] != nil)

        _ = try await sandbox.send(
            "PUT", "/_sandbox/faults", json: #"{"rateLimitStormRate":0,"schemaDrift":true}"#)
        let created = try await sandbox.send(
            "POST", "/rest/api/3/issue",
            json:
                #"{"fields":{"project":{"key":"SUP"},"issuetype":{"name":"Task"},"summary":"Drift","priority":{"name":"Highest"}}}"#
        )
        let key = try #require(created.body["key"]?.stringValue)
        let drifted = try await sandbox.send("GET", "/rest/api/3/issue/\(key)")
        #expect(drifted.body["fields"]?["priority"]?["name"] == "Blocker")
        #expect(drifted.body["fields"]?["customfield_19999"] == "undocumented")
    }

    @Test func revokedTokensStopWorking() async throws {
        let sandbox = try JiraSandbox()
        let code = try await JiraOAuthTests().code(sandbox, scope: "read:jira-work")
        let tokens = try await JiraOAuthTests().token(
            sandbox,
            #"{"grant_type":"authorization_code","client_id":"syncledger-sandbox","client_secret":"sandbox-client-secret","code":"\#(code)","redirect_uri":"\#(JiraOAuthTests.redirect)"}"#
        )
        let access = try #require(tokens.body["access_token"]?.stringValue)
        let path = "/ex/jira/sandbox-cloud/rest/api/3/myself"
        #expect(
            try await sandbox.send("GET", path, authorization: "Bearer \(access)").status == 200)
        #expect(
            try await sandbox.send("POST", "/_sandbox/revoke-tokens", authorization: "").status
                == 204)
        #expect(
            try await sandbox.send("GET", path, authorization: "Bearer \(access)").status == 401)
    }
}
