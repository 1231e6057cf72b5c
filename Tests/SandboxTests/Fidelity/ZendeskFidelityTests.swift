import Foundation
import Ledger
import Sandbox
import Testing
import YAML

/// The official Zendesk Support OpenAPI document (YAML), read once.
enum ZendeskSpecification {
    static let file = "zendesk-support-oas.yaml"

    static let document: OpenAPIDocument? = {
        guard
            let data = FileManager.default.contents(
                atPath: OpenAPIDocument.specsDirectory + "/" + file),
            let value = try? YAMLReader.value(of: Array(data))
        else {
            return nil
        }
        return OpenAPIDocument(value: value)
    }()
}

/// The Zendesk emulator's answers, and the requests the project sends it, checked against the
/// official Zendesk Support OpenAPI document.
@Suite(
    "Zendesk fidelity to the official OpenAPI document",
    .enabled(
        if: OpenAPIDocument.exists(ZendeskSpecification.file),
        "needs the Zendesk OpenAPI document in the specs directory or SYNCLEDGER_SPECS"))
struct ZendeskFidelityTests {
    func check(
        _ answer: ZendeskSandbox.Answer, _ method: String, _ path: String, status: String
    ) throws {
        let document = try #require(ZendeskSpecification.document, "the document does not load")
        #expect(
            String(answer.status) == status, "\(method) \(path): \(answer.body.json.prefix(200))")
        let schema = try #require(
            document.responseSchema(method, path, status: status),
            "the document has no \(status) schema for \(method) \(path)")
        let problems = document.problems(answer.body, schema)
        #expect(
            problems.isEmpty, "\(method) \(path): \(problems.prefix(8).joined(separator: "; "))")
    }

    @Test func ticketAnswersMatchTheirSchemas() async throws {
        let sandbox = try ZendeskSandbox()
        try check(
            try await sandbox.send("GET", "/api/v2/tickets.json?page%5Bsize%5D=5"), "get",
            "/api/v2/tickets", status: "200")
        try check(
            try await sandbox.send("GET", "/api/v2/tickets.json?page=1&per_page=5"), "get",
            "/api/v2/tickets", status: "200")
        try check(
            try await sandbox.send("GET", "/api/v2/tickets/3.json"), "get",
            "/api/v2/tickets/{ticket_id}", status: "200")
        try check(
            try await sandbox.send("GET", "/api/v2/tickets/show_many.json?ids=1,2"), "get",
            "/api/v2/tickets/show_many", status: "200")
        try check(
            try await sandbox.send(
                "POST", "/api/v2/tickets.json",
                json:
                    #"{"ticket":{"subject":"Spec","comment":{"body":"Checked"},"priority":"high"}}"#
            ),
            "post", "/api/v2/tickets", status: "201")
        try check(
            try await sandbox.send(
                "PUT", "/api/v2/tickets/3.json", json: #"{"ticket":{"status":"open","tags":["a"]}}"#
            ),
            "put", "/api/v2/tickets/{ticket_id}", status: "200")
        try check(
            try await sandbox.send("GET", "/api/v2/tickets/3/comments.json"), "get",
            "/api/v2/tickets/{ticket_id}/comments", status: "200")
    }

    @Test func fieldsJobsAndTheExportMatchTheirSchemas() async throws {
        let sandbox = try ZendeskSandbox()
        try check(
            try await sandbox.send("GET", "/api/v2/ticket_fields.json"), "get",
            "/api/v2/ticket_fields", status: "200")
        let job = try await sandbox.send(
            "POST", "/api/v2/tickets/create_many.json",
            json: #"{"tickets":[{"subject":"A","comment":{"body":"a"}}]}"#)
        try check(job, "post", "/api/v2/tickets/create_many", status: "200")
        let id = try #require(job.body["job_status"]?["id"]?.stringValue)
        try check(
            try await sandbox.send("GET", "/api/v2/job_statuses/\(id).json"), "get",
            "/api/v2/job_statuses/{job_status_id}", status: "200")
        try check(
            try await sandbox.send("GET", "/api/v2/incremental/tickets/cursor.json?start_time=0"),
            "get", "/api/v2/incremental/tickets/cursor", status: "200")
    }

    @Test func theRequestsTheProjectSendsMatchTheirSchemas() throws {
        let document = try #require(ZendeskSpecification.document)
        // Custom field values ({"id", "value"}) are left out: the document describes the member
        // with the schema of a field's definition, which requires a key, type and title that
        // no value carries, and the service does not ask for.
        let requests: [(String, String, String)] = [
            (
                "post", "/api/v2/tickets",
                #"{"ticket":{"subject":"Printer","comment":{"body":"It jams.","public":true},"priority":"urgent","type":"incident","tags":["printer"],"external_id":"jira:SUP-1"}}"#
            ),
            (
                "put", "/api/v2/tickets/{ticket_id}",
                #"{"ticket":{"status":"open","priority":"high","comment":{"body":"Synced","public":false},"safe_update":true,"updated_stamp":"2026-12-03T10:00:00Z"}}"#
            ),
        ]
        for (method, path, body) in requests {
            let schema = try #require(
                document.requestSchema(method, path), "no request schema for \(method) \(path)")
            let problems = document.problems(try Value(json: body), schema)
            #expect(problems.isEmpty, "\(method) \(path): \(problems.joined(separator: "; "))")
        }
    }
}
