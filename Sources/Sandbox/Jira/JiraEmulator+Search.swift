import Foundation
import HTTPServer
import Ledger

extension JiraEmulator {
    /// What a search asks for, from the query (GET) or the JSON body (POST).
    private struct SearchRequest {
        var jql = ""
        var nextPageToken: String?
        var maxResults = 50
        var fields: [String] = []
        var expand: [String] = []
    }

    /// `GET|POST /search/jql`: one page of the issues a bounded JQL query selects, with
    /// `isLast` and, unless it is the last page, a `nextPageToken` for the next.
    func search(_ request: HTTPRequest) -> HTTPResponse {
        let search: SearchRequest
        switch Self.searchRequest(request) {
        case .failure(let refusal): return refusal.response
        case .success(let parsed): search = parsed
        }
        let query: JiraQuery
        do {
            query = try JiraQuery(parsing: search.jql)
        } catch {
            return JiraErrorCollection(message: error.message).response
        }
        guard query.isBounded else {
            return JiraErrorCollection(
                message:
                    "Unbounded JQL queries are not allowed here. Please add a search restriction "
                    + "to your query."
            ).response
        }
        var offset = 0
        if let token = search.nextPageToken {
            guard let decoded = JiraPageToken.offset(in: token, jql: search.jql) else {
                return JiraErrorCollection(
                    message: "The nextPageToken is invalid or belongs to another query."
                ).response
            }
            offset = decoded
        }
        let issues: [JiraIssue]
        let matched: [Int]
        do {
            (issues, matched) = try select(query, jql: search.jql)
        } catch {
            return JiraErrorCollection(message: error.message).response
        }

        let page = matched.dropFirst(offset).prefix(search.maxResults).map { issues[$0] }
        let selection = JiraFieldSelection(search.fields, fallback: .idAlone)
        var expand = Self.expansions(search.expand)
        let wantsNames = expand.remove("names") != nil
        let base = baseURL(request)
        let texts = page.map { issue -> String in
            if selection.idOnly && expand.isEmpty {
                return Value.object(["id": .string(String(issue.id))]).json
            }
            return rendered(
                issue, baseURL: base, selection: selection, expand: expand, drifted: false)
        }
        let isLast = offset + page.count >= matched.count
        var result: ValueObject = ["isLast": .bool(isLast)]
        if !isLast {
            result["nextPageToken"] = .string(
                JiraPageToken.make(offset: offset + page.count, jql: search.jql))
        }
        if wantsNames {
            result["names"] = JiraIssue.names(selection)
        }
        // The page is assembled from each issue's JSON, rendered once per change.
        let rest = String(Value.object(result).json.dropFirst())
        return .json(#"{"issues":[\#(texts.joined(separator: ","))],\#(rest)"#)
    }

    /// The issues `query` is run over, and the positions among them of those it selects, in
    /// its order.
    ///
    /// A query that names its issues by key (`key in (…)`) is run over those alone. Any other
    /// is run over every issue; unless it is relative to now (`updated >= -5m`), the positions
    /// it selected are kept until an issue changes, since each page of a search runs it again.
    private func select(_ query: JiraQuery, jql: String) throws(JiraQuery.Problem) -> (
        [JiraIssue], [Int]
    ) {
        let now = configuration.clock.now()
        if let named = query.namedIssues {
            let issues = state.withLock { state in
                Set(named.compactMap { state.issue($0, projectKey: site.projectKey)?.id })
                    .sorted().compactMap { state.issues[$0] }
            }
            return (issues, try query.positions(in: issues, site: site, now: now))
        }
        let reusable = !query.isRelativeToNow
        let (issues, revision, known) = state.withLock { state in
            (
                state.liveIssues(), state.revision,
                reusable ? state.positions(selectedBy: jql) : nil
            )
        }
        if let known {
            return (issues, known)
        }
        let matched = try query.positions(in: issues, site: site, now: now)
        if reusable {
            state.withLock { $0.remember(matched, selectedBy: jql, at: revision) }
        }
        return (issues, matched)
    }

    /// The JSON text of `issue` with `selection` and `expand` (and, when `drifted`, as a
    /// changed schema shows it), from the cache while the issue has not changed since.
    func rendered(
        _ issue: JiraIssue, baseURL: String, selection: JiraFieldSelection, expand: Set<String>,
        drifted: Bool
    ) -> String {
        let key = JiraRenderKey(
            id: issue.id, updated: issue.updated.microseconds, histories: issue.histories.count,
            baseURL: baseURL, fields: selection.fieldIDs, expand: expand, drifted: drifted)
        if let text = renderings.withLock({ $0[key] }) {
            return text
        }
        let value = issue.json(site: site, baseURL: baseURL, selection: selection, expand: expand)
        let text = (drifted ? Self.drifted(value) : value).json
        renderings.withLock { cache in
            if cache.count > 100_000 {
                cache.removeAll()
            }
            cache[key] = text
        }
        return text
    }

    private static func searchRequest(_ request: HTTPRequest) -> Result<
        SearchRequest, JiraErrorCollection
    > {
        var search = SearchRequest()
        var maxResults: Value?
        if request.method == .post {
            let body: ValueObject
            switch Self.body(request) {
            case .failure(let refusal): return .failure(refusal)
            case .success(let object): body = object
            }
            search.jql = body["jql"]?.stringValue ?? ""
            search.nextPageToken = body["nextPageToken"]?.stringValue
            maxResults = body["maxResults"]
            search.fields = body["fields"]?.arrayValue?.compactMap(\.stringValue) ?? []
            if let expand = body["expand"] {
                search.expand =
                    expand.arrayValue?.compactMap(\.stringValue)
                    ?? [expand.stringValue ?? ""]
            }
        } else {
            search.jql = request.query("jql") ?? ""
            search.nextPageToken = request.query("nextPageToken")
            maxResults = request.query("maxResults").map { Int64($0).map(Value.integer) ?? .null }
            search.fields = queryValues(request, "fields")
            search.expand = queryValues(request, "expand")
        }
        if let maxResults {
            guard let count = maxResults.integerValue, count >= 0 else {
                return .failure(
                    JiraErrorCollection(message: "maxResults must be a whole number of 0 or more."))
            }
            // Jira pages at most 100 issues with fields; asking for none still returns one.
            search.maxResults = Int(min(max(count, 1), 100))
        }
        return .success(search)
    }
}

/// What an issue's rendering depends on: any change to the issue moves its `updated` time or
/// adds to its history.
struct JiraRenderKey: Hashable {
    var id: Int64
    var updated: Int64
    var histories: Int
    var baseURL: String
    var fields: [String]
    var expand: Set<String>
    var drifted: Bool
}

/// The opaque `nextPageToken` of a search: where the next page starts, tied to its query.
enum JiraPageToken {
    static func make(offset: Int, jql: String) -> String {
        let text = "\(offset):\(fingerprint(jql))"
        return Data(text.utf8).base64EncodedString()
            .replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
    }

    /// The offset in `token`, or `nil` when it is not a token of a search for `jql`.
    static func offset(in token: String, jql: String) -> Int? {
        var base64 = token.replacing("-", with: "+").replacing("_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else {
            return nil
        }
        let parts = String(decoding: data, as: UTF8.self).split(separator: ":")
        guard parts.count == 2, parts[1] == fingerprint(jql), let offset = Int(parts[0]),
            offset >= 0
        else {
            return nil
        }
        return offset
    }

    private static func fingerprint(_ jql: String) -> String {
        String(Digest.sha256(Array(jql.utf8)).description.prefix(16))
    }
}
