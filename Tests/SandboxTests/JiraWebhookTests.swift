import Foundation
import Ledger
import Sandbox
import Testing

@Suite("Jira webhooks")
struct JiraWebhookTests {
    static let issue =
        #"{"fields":{"project":{"key":"SUP"},"issuetype":{"name":"Task"},"summary":"Hooked"LABELS}}"#

    func create(_ sandbox: JiraSandbox, labels: [String] = []) async throws -> String {
        let members =
            labels.isEmpty
            ? "" : #","labels":[\#(labels.map { "\"\($0)\"" }.joined(separator: ","))]"#
        let created = try await sandbox.send(
            "POST", "/rest/api/3/issue",
            json: Self.issue.replacingOccurrences(of: "LABELS", with: members))
        #expect(created.status == 201)
        return try #require(created.body["key"]?.stringValue)
    }

    func register(_ sandbox: JiraSandbox, _ receiver: WebhookReceiver, jql: String) async throws
        -> Int64
    {
        let registered = try await sandbox.send(
            "POST", "/rest/api/3/webhook",
            json:
                #"{"url":"\#(receiver.url)","webhooks":[{"events":["jira:issue_created","jira:issue_updated","jira:issue_deleted"],"jqlFilter":"\#(jql)"}]}"#
        )
        #expect(registered.status == 200)
        return try #require(
            registered.body["webhookRegistrationResult"]?.arrayValue?.first?["createdWebhookId"]?
                .integerValue)
    }

    @Test func dynamicWebhooksDeliverCreatesUpdatesWithChangelogAndDeletes() async throws {
        let sandbox = try JiraSandbox()
        let receiver = try WebhookReceiver()
        let id = try await register(sandbox, receiver, jql: "project = SUP")

        let key = try await create(sandbox)
        _ = try await sandbox.send(
            "PUT", "/rest/api/3/issue/\(key)", json: #"{"fields":{"summary":"Hooked again"}}"#)
        _ = try await sandbox.send("DELETE", "/rest/api/3/issue/\(key)")
        let calls = try await receiver.wait(for: 3).map { try Value(jsonBytes: $0.body) }
        #expect(
            calls.map { $0["webhookEvent"] }
                == ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"])
        #expect(calls.allSatisfy { $0["issue"]?["key"] == .string(key) })
        let change = calls[1]["changelog"]?["items"]?.arrayValue?.first
        #expect(change?["field"] == "summary")
        #expect(change?["toString"] == "Hooked again")
        #expect(
            receiver.received.first?.headers["X-Atlassian-Webhook-Identifier"]?.hasPrefix("\(id)-")
                == true)

        let listed = try await sandbox.send("GET", "/rest/api/3/webhook")
        let expires = try #require(
            listed.body["values"]?.arrayValue?.first?["expirationDate"]?.integerValue)
        #expect(expires == (JiraSandbox.start.microseconds / 1_000_000 + 30 * 86_400) * 1_000)

        sandbox.clock.advance(seconds: 86_400)
        let refreshed = try await sandbox.send(
            "PUT", "/rest/api/3/webhook/refresh", json: #"{"webhookIds":[\#(id)]}"#)
        #expect(refreshed.body["expirationDate"] == .integer(expires + 86_400_000))

        #expect(
            try await sandbox.send(
                "DELETE", "/rest/api/3/webhook", json: #"{"webhookIds":[\#(id)]}"#
            ).status == 202)
        _ = try await create(sandbox)
        try await Task.sleep(for: .milliseconds(200))
        #expect(receiver.received.count == 3, "a deleted webhook gets nothing")
    }

    @Test func theJQLFilterChoosesTheIssues() async throws {
        let sandbox = try JiraSandbox()
        let receiver = try WebhookReceiver()
        _ = try await register(sandbox, receiver, jql: "project = SUP AND labels = vip")
        _ = try await create(sandbox)
        let wanted = try await create(sandbox, labels: ["vip"])
        let calls = try await receiver.wait(for: 1)
        try await Task.sleep(for: .milliseconds(200))
        #expect(receiver.received.count == 1)
        #expect(try Value(jsonBytes: calls[0].body)["issue"]?["key"] == .string(wanted))
    }

    @Test func anExpiredWebhookGetsNothing() async throws {
        let sandbox = try JiraSandbox()
        let receiver = try WebhookReceiver()
        _ = try await register(sandbox, receiver, jql: "project = SUP")
        sandbox.clock.advance(seconds: 30 * 86_400 + 1)
        _ = try await create(sandbox)
        try await Task.sleep(for: .milliseconds(200))
        #expect(receiver.received.isEmpty)
    }

    @Test func adminWebhooksWithASecretAreSignedAsJiraSignsThem() async throws {
        let sandbox = try JiraSandbox()
        let receiver = try WebhookReceiver()
        let registered = try await sandbox.send(
            "POST", "/rest/webhooks/1.0/webhook",
            json:
                #"{"name":"signed","url":"\#(receiver.url)","events":["jira:issue_created"],"filters":{"issue-related-events-section":"project = SUP"},"secret":"test-secret"}"#
        )
        #expect(registered.status == 201)
        _ = try await create(sandbox)
        let call = try #require(try await receiver.wait(for: 1).first)
        let signature = try #require(call.headers["X-Hub-Signature"])
        let expected = HMACSHA256.authenticate(call.body, key: Array("test-secret".utf8))
        #expect(signature == "sha256=" + expected.hexadecimal)
    }

    @Test func badRegistrationsAreRefusedElementByElement() async throws {
        let sandbox = try JiraSandbox()
        let answer = try await sandbox.send(
            "POST", "/rest/api/3/webhook",
            json:
                #"{"url":"http://127.0.0.1:9/hook","webhooks":[{"events":["jira:issue_exploded"],"jqlFilter":"project = SUP"},{"events":["jira:issue_created"],"jqlFilter":"project = = SUP"},{"events":["jira:issue_created"],"jqlFilter":"project = SUP"}]}"#
        )
        let results = answer.body["webhookRegistrationResult"]?.arrayValue ?? []
        #expect(results.count == 3)
        #expect(results[0]["errors"] != nil)
        #expect(
            results[1]["errors"]?.arrayValue?.first?.stringValue?.contains("Invalid JQL") == true)
        #expect(results[2]["createdWebhookId"]?.integerValue != nil)
    }
}
