import Connectors
import Foundation
import Ledger

/// A plain client of the two emulators, each provider on a budget of its own: it makes the
/// changes people would make, reads back what the providers hold, and serves as the minimal
/// client of the baseline.
struct SandboxOperator: Sendable {
    /// Zendesk's base URL.
    let zendeskURL: String
    /// Jira's base URL.
    let jiraURL: String
    /// The client of Zendesk requests.
    let zendesk: ConnectorClient
    /// The client of Jira requests.
    let jira: ConnectorClient

    /// A client of the emulators at `zendeskURL` and `jiraURL`; each attempt is logged to
    /// `log`.
    init(zendeskURL: String, jiraURL: String, log: @escaping @Sendable (String) -> Void) {
        self.zendeskURL = zendeskURL
        self.jiraURL = jiraURL
        zendesk = ConnectorClient(log: log)
        jira = ConnectorClient(log: log)
    }

    // MARK: - Zendesk

    /// Sends a Zendesk request; the answer's JSON, or an error for anything but a 2xx.
    func zendesk(_ method: String, _ path: String, _ body: Value? = nil) async throws -> Value {
        try await send(
            zendesk, method, path.hasPrefix("http") ? path : zendeskURL + path, body,
            authorization: SyncRig.zendeskAuthorization)
    }

    /// Updates tickets through `update_many`, 100 per job, each job's status read once;
    /// `changes` are ticket objects with their `id`.
    func updateTickets(_ changes: [Value]) async throws {
        for start in stride(from: 0, to: changes.count, by: 100) {
            let chunk = Array(changes[start..<min(start + 100, changes.count)])
            let job = try await zendesk(
                "PUT", "/api/v2/tickets/update_many.json", ["tickets": .array(chunk)])
            guard let id = job["job_status"]?["id"]?.stringValue else {
                throw BenchmarkError("update_many answered no job: \(job.json.prefix(200))")
            }
            let status = try await zendesk("GET", "/api/v2/job_statuses/\(id).json")
            let results = status["job_status"]?["results"]?.arrayValue ?? []
            guard results.count == chunk.count, results.allSatisfy({ $0["success"] == true })
            else {
                throw BenchmarkError("an update_many job failed: \(status.json.prefix(300))")
            }
        }
    }

    /// Every ticket, 100 per cursor page.
    func allTickets() async throws -> [Value] {
        var tickets: [Value] = []
        var next: String? = "/api/v2/tickets.json?page%5Bsize%5D=100"
        while let url = next {
            let page = try await zendesk("GET", url)
            tickets += page["tickets"]?.arrayValue ?? []
            next = page["meta"]?["has_more"] == true ? page["links"]?["next"]?.stringValue : nil
        }
        return tickets
    }

    /// The tickets changed since `cursor` (or since the epoch), 1,000 per export page, and
    /// the cursor to continue from.
    func export(after cursor: String?) async throws -> (tickets: [Value], cursor: String) {
        var url =
            cursor.map { "/api/v2/incremental/tickets/cursor.json?per_page=1000&cursor=\($0)" }
            ?? "/api/v2/incremental/tickets/cursor.json?per_page=1000&start_time=0"
        var tickets: [Value] = []
        while true {
            let page = try await zendesk("GET", url)
            tickets += page["tickets"]?.arrayValue ?? []
            guard let after = page["after_cursor"]?.stringValue else {
                throw BenchmarkError("an export page has no cursor")
            }
            if page["end_of_stream"] == true {
                return (tickets, after)
            }
            url = page["after_url"]?.stringValue ?? ""
        }
    }

    // MARK: - Jira

    /// Sends a Jira request; the answer's JSON (null when empty), or an error for anything
    /// but a 2xx.
    func jira(_ method: String, _ path: String, _ body: Value? = nil) async throws -> Value {
        try await send(
            jira, method, jiraURL + path, body, authorization: SyncRig.jiraAuthorization)
    }

    /// The issues of project SUP updated at or after `since` (JQL's `yyyy-MM-dd HH:mm`, or
    /// every issue when `nil`), 100 per page, with `fields`.
    func search(updatedSince since: String?, fields: [String]) async throws -> [Value] {
        let restriction = since.map { " AND updated >= \"\($0)\"" } ?? ""
        var issues: [Value] = []
        var token: String?
        repeat {
            var body: ValueObject = [
                "jql": .string("project = SUP\(restriction) ORDER BY updated ASC"),
                "fields": .array(fields.map(Value.string)), "maxResults": 100,
            ]
            if let token {
                body["nextPageToken"] = .string(token)
            }
            let page = try await jira("POST", "/rest/api/3/search/jql", .object(body))
            issues += page["issues"]?.arrayValue ?? []
            token = page["isLast"] == true ? nil : page["nextPageToken"]?.stringValue
        } while token != nil
        return issues
    }

    // MARK: - Requests

    private func send(
        _ client: ConnectorClient, _ method: String, _ url: String, _ body: Value?,
        authorization: String
    ) async throws -> Value {
        var headers = [("Authorization", authorization)]
        if body != nil {
            headers.append(("Content-Type", "application/json"))
        }
        let request = ConnectorRequest(
            method: method, url: url, headers: headers, body: body.map { Array($0.json.utf8) },
            isIdempotent: method == "POST" && url.hasSuffix("/search/jql") ? true : nil)
        let response = try await client.send(request)
        guard (200..<300).contains(response.status) else {
            throw BenchmarkError(
                "\(method) \(url) answered \(response.status): "
                    + String(decoding: response.body.prefix(300), as: UTF8.self))
        }
        return response.body.isEmpty ? .null : try Value(jsonBytes: response.body)
    }
}
