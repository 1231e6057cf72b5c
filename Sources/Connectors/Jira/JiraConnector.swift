import Foundation
import Ledger

/// Jira Cloud issues as the ledger sees them.
///
/// An issue is the record `<connection>:issue/<key>`, with the fields `summary`, `description`
/// (Atlassian Document Format, as Jira holds it), `status`, `priority` and `issuetype` (by
/// name), `labels`, and each custom field under its id (`customfield_10100`); custom fields are
/// found by name with ``fieldID(named:)``. An observation's upstream time is the issue's
/// `updated`, and its body keeps the provider's issue under `raw`.
///
/// Jira has no idempotency key: before re-sending a create that may have happened, look the
/// issue up by the source reference stored on it (``findIssue(whereField:equals:)``).
public struct JiraConnector: Sendable {
    /// The connection's name.
    public let connection: String
    /// The API root: `https://{site}.atlassian.net` for basic authentication, or
    /// `https://api.atlassian.com/ex/jira/{cloudId}` for OAuth.
    public let baseURL: String
    /// The project the connector works in.
    public let projectKey: String
    /// How requests authenticate.
    public let authentication: ConnectorAuthentication
    /// The runtime requests go through.
    public let client: ConnectorClient

    /// Creates a connector.
    public init(
        connection: String, baseURL: String, projectKey: String,
        authentication: ConnectorAuthentication, client: ConnectorClient = ConnectorClient()
    ) {
        self.connection = connection
        self.baseURL = baseURL
        self.projectKey = projectKey
        self.authentication = authentication
        self.client = client
    }

    // MARK: - Reading

    /// The issues updated at or after `since`, as events, and the cursor to keep: the latest
    /// `updated` seen.
    ///
    /// Jira's JQL counts whole minutes, so each poll overlaps the last and lists again the
    /// issues of the minute it ended in. The poll therefore reads in two steps: first each
    /// listed issue's key and `updated` time alone, then, in full (100 a request), only the
    /// issues not already known at that time. `known` is asked once per page of keys, and
    /// answers, for each key it knows, the `updated` time of the newest observation of that
    /// issue on record; without it every listed issue is read.
    public func poll(
        since: Timestamp,
        known: @Sendable ([String]) throws -> [String: Timestamp] = { _ in [:] }
    ) async throws -> PollResult {
        let jql =
            "project = \(projectKey) AND updated >= \"\(Self.jqlTime(since))\" ORDER BY updated ASC"
        let first = try await request(
            "POST", "/rest/api/3/search/jql",
            body: ["jql": .string(jql), "fields": ["updated"], "maxResults": 100])
        var latest = since
        var unknown: [String] = []
        for try await page in client.pages(from: first, .pageToken(items: "issues")) {
            var listed: [(key: String, updated: Timestamp?)] = []
            for issue in page.items {
                guard let key = issue["key"]?.stringValue else {
                    throw ConnectorError(
                        request: "POST \(baseURL)/rest/api/3/search/jql", attempts: 1,
                        lastStatus: 200,
                        detail: "a listed issue has no key: \(issue.json.prefix(120))")
                }
                let updated = issue["fields"]?["updated"]?.stringValue.flatMap(Self.time)
                if let updated, updated > latest {
                    latest = updated
                }
                listed.append((key, updated))
            }
            let times = try known(listed.map(\.key))
            for (key, updated) in listed {
                if let updated, let time = times[key], time >= updated {
                    continue
                }
                unknown.append(key)
            }
        }
        let events = try await issues(unknown, source: "poll").found.sorted {
            ($0.upstreamAt ?? latest) < ($1.upstreamAt ?? latest)
        }
        return PollResult(events: events, cursor: latest.description)
    }

    /// The observation of `issue`, an object as the API returns it.
    public func observation(of issue: Value, source: String) throws -> NewEvent {
        guard let key = issue["key"]?.stringValue, case .object(let fields)? = issue["fields"]
        else {
            throw ConnectorError(
                request: "a Jira issue", attempts: 1, lastStatus: nil,
                detail: "an issue without a key or fields: \(issue.json.prefix(120))")
        }
        var recorded = ValueObject()
        for (name, value) in fields {
            switch name {
            case "summary", "description", "labels":
                recorded[name] = value
            case "status", "priority", "issuetype":
                recorded[name] = value["name"] ?? .null
            case _ where name.hasPrefix("customfield_"):
                recorded[name] = value
            default:
                break
            }
        }
        return NewEvent(
            kind: .observed,
            record: RecordReference(connection: connection, recordType: "issue", remoteID: key),
            upstreamAt: fields["updated"]?.stringValue.flatMap(Self.time),
            body: ["source": .string(source), "fields": .object(recorded), "raw": issue])
    }

    /// The issue with `key`, observed now.
    public func issue(_ key: String) async throws -> NewEvent {
        try observation(of: try await send("GET", "/rest/api/3/issue/\(key)"), source: "poll")
    }

    /// The id of the field called `name` (a custom field's id is per site). An unknown name,
    /// or one several fields share, is an error that lists what there is.
    public func fieldID(named name: String) async throws -> String {
        let fields = try await send("GET", "/rest/api/3/field").arrayValue ?? []
        let matches = fields.filter { $0["name"]?.stringValue == name }
        guard matches.count == 1, let id = matches[0]["id"]?.stringValue else {
            let candidates = (matches.isEmpty ? fields : matches).compactMap { field -> String? in
                guard let id = field["id"]?.stringValue, let title = field["name"]?.stringValue
                else { return nil }
                return "\(title) (\(id))"
            }
            throw ConnectorError(
                request: "GET \(baseURL)/rest/api/3/field", attempts: 1, lastStatus: 200,
                detail: (matches.isEmpty
                    ? "no field is named '\(name)'; fields: "
                    : "several fields are named '\(name)': ")
                    + candidates.joined(separator: ", "))
        }
        return id
    }

    /// The key of the issue whose field `fieldID` holds `value` exactly, if there is one:
    /// how an in-doubt create is resolved without making a duplicate.
    ///
    /// Jira searches a text field by words (`~`), never for an exact value, so the search
    /// finds every issue whose field contains the value and each page is filtered for the
    /// exact one, up to the last page.
    public func findIssue(whereField fieldID: String, equals value: String) async throws
        -> String?
    {
        let clause = fieldID.hasPrefix("customfield_") ? "cf[\(fieldID.dropFirst(12))]" : fieldID
        let escaped = value.replacingOccurrences(of: "\"", with: "\\\"")
        let first = try await request(
            "POST", "/rest/api/3/search/jql",
            body: [
                "jql": .string(
                    "project = \(projectKey) AND \(clause) ~ \"\(escaped)\" ORDER BY key"),
                "fields": .array([.string(fieldID)]), "maxResults": 100,
            ])
        for try await page in client.pages(from: first, .pageToken(items: "issues")) {
            if let exact = page.items.first(where: { $0["fields"]?[fieldID]?.stringValue == value })
            {
                return exact["key"]?.stringValue
            }
        }
        return nil
    }

    // MARK: - Writing

    /// Creates an issue in the project from record fields (`issuetype` defaults to `Task`),
    /// moves it to the status they name, if any; returns its record and observation.
    ///
    /// Once Jira has answered the create, the issue exists: a failure of the steps after it
    /// (the transitions, the read-back) does not make the create fail, or a retry would make a
    /// second issue. The observation is then `nil`, and the status is left for a later update
    /// to bring once a poll has observed the issue.
    public func create(_ fields: ValueObject) async throws -> (
        record: RecordReference, event: NewEvent?
    ) {
        var body = Self.fieldsBody(fields)
        body["project"] = ["key": .string(projectKey)]
        if body["issuetype"] == nil {
            body["issuetype"] = ["name": "Task"]
        }
        let created = try await send("POST", "/rest/api/3/issue", body: ["fields": .object(body)])
        guard let key = created["key"]?.stringValue else {
            throw ConnectorError(
                request: "POST \(baseURL)/rest/api/3/issue", attempts: 1, lastStatus: 201,
                detail: "the answer has no key")
        }
        let record = RecordReference(connection: connection, recordType: "issue", remoteID: key)
        do {
            if case .string(let status)? = fields["status"] {
                try await transition(key, to: status)
            }
            var event = try await issue(key)
            event.body = Self.withSource(event.body, "writeResponse")
            return (record, event)
        } catch is ConnectorError {
            return (record, nil)
        }
    }

    /// Creates up to 50 issues in one request; returns, for each, its key or the provider's
    /// reason for refusing it, in order.
    public func createMany(_ issues: [ValueObject]) async throws -> [Result<String, ConnectorError>]
    {
        precondition(issues.count <= 50, "Jira creates at most 50 issues per request")
        let updates = issues.map { fields -> Value in
            var body = Self.fieldsBody(fields)
            body["project"] = ["key": .string(projectKey)]
            if body["issuetype"] == nil {
                body["issuetype"] = ["name": "Task"]
            }
            return ["fields": .object(body)]
        }
        let answer = try await send(
            "POST", "/rest/api/3/issue/bulk", body: ["issueUpdates": .array(updates)])
        var results = Array(
            repeating: Result<String, ConnectorError>.failure(
                ConnectorError(
                    request: "POST \(baseURL)/rest/api/3/issue/bulk", attempts: 1, lastStatus: 201,
                    detail: "the answer says nothing of this issue")), count: issues.count)
        var created = (answer["issues"]?.arrayValue ?? []).compactMap { $0["key"]?.stringValue }
            .makeIterator()
        let failures = answer["errors"]?.arrayValue ?? []
        let failed = Dictionary(
            failures.compactMap { failure -> (Int, Value)? in
                failure["failedElementNumber"]?.integerValue.map { (Int($0), failure) }
            }, uniquingKeysWith: { first, _ in first })
        for index in issues.indices {
            if let failure = failed[index] {
                results[index] = .failure(
                    ConnectorError(
                        request: "POST \(baseURL)/rest/api/3/issue/bulk", attempts: 1,
                        lastStatus: failure["status"]?.integerValue.map(Int.init),
                        detail: failure["elementErrors"]?.json ?? "refused"))
            } else if let key = created.next() {
                results[index] = .success(key)
            }
        }
        return results
    }

    /// The site's priorities by name, highest first.
    public func priorities() async throws -> [String] {
        (try await send("GET", "/rest/api/3/priority").arrayValue ?? []).compactMap {
            $0["name"]?.stringValue
        }
    }

    /// Edits only `fields` of issue `key`, and moves it to the status `fields` names, if any,
    /// through the workflow's transitions; returns its observation afterwards.
    public func update(_ key: String, _ fields: ValueObject) async throws -> NewEvent {
        let edited = Self.fieldsBody(fields)
        if !edited.isEmpty {
            _ = try await send("PUT", "/rest/api/3/issue/\(key)", body: ["fields": .object(edited)])
        }
        if case .string(let status)? = fields["status"] {
            try await transition(key, to: status)
        }
        var event = try await issue(key)
        event.body = Self.withSource(event.body, "writeResponse")
        return event
    }

    /// Moves issue `key` to the status named `status`: a status is changed by transitions,
    /// not by an edit, and reaching it may take several (To Do, In Progress, Done). Each step
    /// takes a transition that leads there directly, or else one to a status not yet passed.
    public func transition(_ key: String, to status: String) async throws {
        var passed: Set<String> = []
        for _ in 0..<6 {
            let current = try await send("GET", "/rest/api/3/issue/\(key)?fields=status")
            guard let now = current["fields"]?["status"]?["name"]?.stringValue, now != status
            else {
                return
            }
            passed.insert(now)
            let available =
                try await send("GET", "/rest/api/3/issue/\(key)/transitions")["transitions"]?
                .arrayValue ?? []
            let step =
                available.first { $0["to"]?["name"]?.stringValue == status }
                ?? available.first { !passed.contains($0["to"]?["name"]?.stringValue ?? now) }
            guard let step, let id = step["id"] else {
                break
            }
            _ = try await send(
                "POST", "/rest/api/3/issue/\(key)/transitions", body: ["transition": ["id": id]])
        }
        throw ConnectorError(
            request: "POST \(baseURL)/rest/api/3/issue/\(key)/transitions", attempts: 1,
            lastStatus: nil, detail: "no path of transitions leads \(key) to '\(status)'")
    }

    /// Record fields as Jira's `fields`: names of priority and issue type become `{"name"}`.
    static func fieldsBody(_ fields: ValueObject) -> ValueObject {
        var body = ValueObject()
        for (name, value) in fields {
            switch name {
            case "priority", "issuetype":
                body[name] = value == .null ? .null : ["name": value]
            case "status":
                continue
            default:
                body[name] = value
            }
        }
        return body
    }

    private static func withSource(_ body: Value, _ source: String) -> Value {
        guard case .object(var object) = body else {
            return body
        }
        object["source"] = .string(source)
        return .object(object)
    }

    /// `2026-12-03T10:00:00.000+0000` as a time.
    static func time(_ text: String) -> Timestamp? {
        // Jira writes the offset without a colon; RFC 3339 wants one.
        var normalised = text
        if normalised.count > 5, let sign = normalised.dropLast(4).last, sign == "+" || sign == "-"
        {
            normalised.insert(":", at: normalised.index(normalised.endIndex, offsetBy: -2))
        }
        return Timestamp(rfc3339: normalised)
    }

    /// `since` as JQL writes times: `yyyy-MM-dd HH:mm`, in UTC.
    static func jqlTime(_ since: Timestamp) -> String {
        let text = since.description  // 2026-12-03T10:00:00Z or with a fraction
        let date = text.prefix(10)
        let clock = text.dropFirst(11).prefix(5)
        return "\(date) \(clock)"
    }

    // MARK: - Requests

    func request(_ method: String, _ path: String, body: Value? = nil) async throws
        -> ConnectorRequest
    {
        var headers = [try await authentication.header()]
        if body != nil {
            headers.append(("Content-Type", "application/json"))
        }
        // A search is a POST that changes nothing: it may be retried.
        let isSearch = path.hasSuffix("/search/jql")
        return ConnectorRequest(
            method: method, url: baseURL + path, headers: headers,
            body: body.map { Array($0.json.utf8) }, isIdempotent: isSearch ? true : nil)
    }

    func send(_ method: String, _ path: String, body: Value? = nil) async throws -> Value {
        let request = try await request(method, path, body: body)
        let response = try await client.send(request)
        guard (200..<300).contains(response.status) else {
            throw ConnectorError(
                request: Redaction.describe(request), attempts: 1, lastStatus: response.status,
                detail: Redaction.redact(String(decoding: response.body.prefix(300), as: UTF8.self))
            )
        }
        if response.body.isEmpty {
            return .null
        }
        do {
            return try Value(jsonBytes: response.body)
        } catch {
            throw ConnectorError(
                request: Redaction.describe(request), attempts: 1, lastStatus: response.status,
                detail: "the answer is not JSON: \(error)")
        }
    }
}
