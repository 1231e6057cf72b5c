import Foundation
import Ledger
import Sandbox
import Testing

/// The official Jira Cloud platform OpenAPI document, read once.
enum JiraSpecification {
    static let file = "jira-cloud-platform.swagger-v3.v3.json"

    static let document: OpenAPIDocument? = {
        guard
            let data = FileManager.default.contents(
                atPath: OpenAPIDocument.specsDirectory + "/" + file),
            let value = try? Value(jsonBytes: Array(data))
        else {
            return nil
        }
        return OpenAPIDocument(value: value)
    }()
}

/// The Jira emulator's answers, and the requests the project sends it, checked against the
/// official Jira Cloud platform OpenAPI document.
@Suite(
    "Jira fidelity to the official OpenAPI document",
    .enabled(
        if: OpenAPIDocument.exists(JiraSpecification.file),
        "needs the Jira OpenAPI document in the specs directory or SYNCLEDGER_SPECS"))
struct JiraFidelityTests {
    static var document: OpenAPIDocument? { JiraSpecification.document }

    static let createBody =
        #"{"fields":{"project":{"key":"SUP"},"issuetype":{"name":"Task"},"summary":"Printer jams","priority":{"name":"High"},"labels":["printer"],"customfield_10100":"4711","description":{"version":1,"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"It jams."}]}]}}}"#

    func check(
        _ answer: JiraSandbox.Answer, _ method: String, _ path: String, status: String
    ) throws {
        let document = try #require(Self.document)
        #expect(
            String(answer.status) == status, "\(method) \(path): \(answer.body.json.prefix(200))")
        // Where the document describes an error status without a body, Jira still answers
        // with its error collection.
        let schema = try #require(
            document.responseSchema(method, path, status: status)
                ?? (status.hasPrefix("4") ? ["$ref": "#/components/schemas/ErrorCollection"] : nil),
            "the document has no \(status) schema for \(method) \(path)")
        let problems = document.problems(answer.body, schema)
        #expect(
            problems.isEmpty, "\(method) \(path): \(problems.prefix(8).joined(separator: "; "))")
    }

    @Test func issueAnswersMatchTheirSchemas() async throws {
        let sandbox = try JiraSandbox()
        let created = try await sandbox.send("POST", "/rest/api/3/issue", json: Self.createBody)
        try check(created, "post", "/rest/api/3/issue", status: "201")
        let key = try #require(created.body["key"]?.stringValue)

        try check(
            try await sandbox.send("GET", "/rest/api/3/issue/\(key)?expand=changelog,names"), "get",
            "/rest/api/3/issue/{issueIdOrKey}", status: "200")
        try check(
            try await sandbox.send("GET", "/rest/api/3/issue/\(key)/transitions"), "get",
            "/rest/api/3/issue/{issueIdOrKey}/transitions", status: "200")
        try check(
            try await sandbox.send(
                "POST", "/rest/api/3/issue/bulk",
                json: #"{"issueUpdates":[\#(Self.createBody),{"fields":{"summary":"no project"}}]}"#
            ),
            "post", "/rest/api/3/issue/bulk", status: "201")
    }

    @Test func searchAndSiteAnswersMatchTheirSchemas() async throws {
        let sandbox = try JiraSandbox()
        try check(
            try await sandbox.send(
                "GET", "/rest/api/3/search/jql",
                query: [
                    ("jql", "project = SUP ORDER BY updated"), ("fields", "*all"),
                    ("maxResults", "5"),
                ]),
            "get", "/rest/api/3/search/jql", status: "200")
        try check(
            try await sandbox.send("GET", "/rest/api/3/field"), "get", "/rest/api/3/field",
            status: "200")
        try check(
            try await sandbox.send("GET", "/rest/api/3/priority"), "get", "/rest/api/3/priority",
            status: "200")
        try check(
            try await sandbox.send("GET", "/rest/api/3/myself"), "get", "/rest/api/3/myself",
            status: "200")
        try check(
            try await sandbox.send("GET", "/rest/api/3/project/SUP"), "get",
            "/rest/api/3/project/{projectIdOrKey}", status: "200")
    }

    @Test func errorsMatchTheErrorCollectionSchema() async throws {
        let sandbox = try JiraSandbox()
        try check(
            try await sandbox.send(
                "POST", "/rest/api/3/issue", json: #"{"fields":{"project":{"key":"SUP"}}}"#),
            "post", "/rest/api/3/issue", status: "400")
        try check(
            try await sandbox.send("GET", "/rest/api/3/issue/SUP-99999"), "get",
            "/rest/api/3/issue/{issueIdOrKey}", status: "404")
    }

    @Test func theRequestsTheProjectSendsMatchTheirSchemas() throws {
        let document = try #require(Self.document)
        let requests: [(String, String, String)] = [
            ("post", "/rest/api/3/issue", Self.createBody),
            (
                "put", "/rest/api/3/issue/{issueIdOrKey}",
                #"{"fields":{"summary":"Renamed"},"update":{"labels":[{"add":"vip"}]}}"#
            ),
            (
                "post", "/rest/api/3/issue/{issueIdOrKey}/transitions",
                #"{"transition":{"id":"21"}}"#
            ),
            (
                "post", "/rest/api/3/search/jql",
                #"{"jql":"project = SUP","fields":["summary","updated"],"maxResults":50}"#
            ),
            (
                "post", "/rest/api/3/webhook",
                #"{"url":"http://127.0.0.1:9/hook","webhooks":[{"events":["jira:issue_updated"],"jqlFilter":"project = SUP"}]}"#
            ),
        ]
        for (method, path, body) in requests {
            let schema = try #require(
                document.requestSchema(method, path), "no request schema for \(method) \(path)")
            let problems = document.problems(try Value(json: body), schema)
            #expect(problems.isEmpty, "\(method) \(path): \(problems.joined(separator: "; "))")
        }
    }

    @Test func theCheckerFindsAShapeThatIsWrong() throws {
        let document = try #require(Self.document)
        let schema = try #require(
            document.responseSchema("post", "/rest/api/3/issue", status: "201"))
        let problems = document.problems(["id": 10_001, "key": "SUP-1", "colour": "red"], schema)
        #expect(problems.contains { $0.contains("$.id: expected a string") })
        #expect(problems.contains { $0.contains("'colour' is not in the schema") })
    }
}
