import Connectors
import Foundation
import HTTPServer
import Ledger
import Sandbox
import Synchronization

/// The system's time moved on by an offset that only grows: the clock OAuth tokens' lifetimes
/// are judged by, on the sandbox's side and the engine's, so that hours can pass for the tokens
/// while everything else keeps real time.
final class TokenClock: SandboxClock {
    private let offset = Mutex<Int64>(0)

    /// The system's time plus the offset.
    func now() -> Timestamp {
        var time = SystemClock().now()
        time.microseconds += offset.withLock { $0 }
        return time
    }

    /// Moves the clock on by `seconds`.
    func advance(seconds: Int64) {
        offset.withLock { $0 += seconds * 1_000_000 }
    }
}

/// Which emulated system a call goes to.
enum DemoSystem: String, Sendable {
    case zendesk = "Zendesk"
    case jira = "Jira"
}

/// The sandbox the demo runs against: both emulators on loopback, as `syncledger sandbox`
/// serves them, with their rate limits on, plus the calls the story's people make (an agent
/// in Zendesk, an engineer in Jira) with their own API tokens.
final class DemoSandbox: Sendable {
    /// The length of a rate-limit window: one second, so that the backfill fits the demo's
    /// minute with the limits still enforced and announced in every answer.
    static let windowSeconds: Int64 = 1
    /// Zendesk requests allowed per window.
    static let zendeskLimit = 400
    /// Zendesk incremental export requests allowed per window.
    static let exportLimit = 10
    /// Jira requests allowed per window.
    static let jiraLimit = 400
    /// Jira writes to one issue allowed per window.
    static let perIssueLimit = 20

    let zendesk: ZendeskEmulator.Configuration
    let jira: JiraEmulator.Configuration
    let zendeskServer: HTTPServer
    let jiraServer: HTTPServer
    /// The clock the sandbox's OAuth authorities measure token lifetimes on.
    let tokenClock: TokenClock
    /// The people's own client, apart from the engine's budget.
    private let people = ConnectorClient()

    /// Starts both emulators: `tickets` tickets generated from `seed`, no Jira issues.
    init(tickets: Int, seed: UInt64) throws {
        tokenClock = TokenClock()
        var zendesk = ZendeskEmulator.Configuration()
        zendesk.seed = seed
        zendesk.tickets = tickets
        zendesk.rateLimitWindowSeconds = Self.windowSeconds
        zendesk.requestsPerMinute = Self.zendeskLimit
        zendesk.incrementalRequestsPerMinute = Self.exportLimit
        zendesk.tokenClock = tokenClock
        var jira = JiraEmulator.Configuration()
        jira.seed = seed
        jira.issues = 0
        jira.rateLimitWindowSeconds = Self.windowSeconds
        jira.requestsPerMinute = Self.jiraLimit
        jira.perIssueWritesPerMinute = Self.perIssueLimit
        jira.tokenClock = tokenClock
        self.zendesk = zendesk
        self.jira = jira
        zendeskServer = try HTTPServer(router: ZendeskEmulator(configuration: zendesk).router)
        do {
            jiraServer = try HTTPServer(router: JiraEmulator(configuration: jira).router)
        } catch {
            zendeskServer.stop()
            throw error
        }
    }

    /// Stops both servers.
    func stop() {
        zendeskServer.stop(timeout: .seconds(2))
        jiraServer.stop(timeout: .seconds(2))
    }

    /// The OAuth client registered with `system`, as `syncledger connect` is given it.
    func oauthProvider(_ system: DemoSystem) -> OAuthProvider {
        switch system {
        case .zendesk:
            ConnectCommand.oauthProvider(
                "zendesk", baseURL: zendeskServer.baseURL, clientID: zendesk.oauthClientID,
                clientSecret: zendesk.oauthClientSecret)
        case .jira:
            ConnectCommand.oauthProvider(
                "jira", baseURL: jiraServer.baseURL, clientID: jira.oauthClientID,
                clientSecret: jira.oauthClientSecret)
        }
    }

    /// A call a person makes in `system` with their API token; returns the JSON answer, or
    /// `null` for an empty one. Throws for an answer other than 2xx.
    @discardableResult
    func call(
        _ system: DemoSystem, _ method: String, _ path: String, _ body: Value? = nil,
        bearer: String? = nil
    ) async throws -> Value {
        let base = system == .zendesk ? zendeskServer.baseURL : jiraServer.baseURL
        let user = system == .zendesk ? zendesk.email + "/token" : jira.email
        let token = system == .zendesk ? zendesk.apiToken : jira.apiToken
        let authorization =
            bearer.map { "Bearer " + $0 }
            ?? "Basic " + Data("\(user):\(token)".utf8).base64EncodedString()
        var headers = [("Authorization", authorization)]
        if body != nil {
            headers.append(("Content-Type", "application/json"))
        }
        let response = try await people.send(
            ConnectorRequest(
                method: method, url: base + path, headers: headers,
                body: body.map { Array($0.json.utf8) }))
        guard (200..<300).contains(response.status) else {
            throw DemoError(
                "\(system.rawValue) answered \(method) \(path) with \(response.status): "
                    + String(decoding: response.body.prefix(300), as: UTF8.self))
        }
        return response.body.isEmpty ? .null : try Value(jsonBytes: response.body)
    }

    /// The status `system` answers `GET path` with, called with the bearer token `token`.
    func status(_ system: DemoSystem, _ path: String, bearer token: String) async throws -> Int {
        let base = system == .zendesk ? zendeskServer.baseURL : jiraServer.baseURL
        let response = try await people.send(
            ConnectorRequest(
                method: "GET", url: base + path, headers: [("Authorization", "Bearer " + token)]))
        return response.status
    }

    /// Changes `system`'s injected faults through its admin endpoint, `PUT /_sandbox/faults`.
    func setFaults(_ system: DemoSystem, _ faults: Value) async throws {
        let base = system == .zendesk ? zendeskServer.baseURL : jiraServer.baseURL
        let response = try await people.send(
            ConnectorRequest(
                method: "PUT", url: base + "/_sandbox/faults",
                headers: [("Content-Type", "application/json")], body: Array(faults.json.utf8)))
        guard response.status == 200 else {
            throw DemoError("\(system.rawValue) refused the faults \(faults.json)")
        }
    }

    /// Every Jira issue of the project with the ticket its `Zendesk ticket` field names.
    func issuesByTicket() async throws -> [(key: String, ticket: String?)] {
        var issues: [(String, String?)] = []
        var token: String?
        repeat {
            var body: ValueObject = [
                "jql": "project = SUP ORDER BY key ASC", "fields": ["customfield_10100"],
                "maxResults": 100,
            ]
            body["nextPageToken"] = token.map(Value.string)
            let page = try await call(.jira, "POST", "/rest/api/3/search/jql", .object(body))
            for issue in page["issues"]?.arrayValue ?? [] {
                guard let key = issue["key"]?.stringValue else {
                    continue
                }
                issues.append((key, issue["fields"]?["customfield_10100"]?.stringValue))
            }
            token = page["isLast"] == true ? nil : page["nextPageToken"]?.stringValue
        } while token != nil
        return issues
    }

    /// The ids of every ticket in Zendesk.
    func ticketIDs() async throws -> [String] {
        var ids: [String] = []
        var path: String? = "/api/v2/tickets.json?page[size]=100"
        while let next = path {
            let page = try await call(.zendesk, "GET", next)
            for ticket in page["tickets"]?.arrayValue ?? [] {
                if let id = ticket["id"]?.integerValue {
                    ids.append(String(id))
                }
            }
            let after = page["meta"]?["after_cursor"]?.stringValue
            path =
                page["meta"]?["has_more"] == true && after != nil
                ? "/api/v2/tickets.json?page[size]=100&page[after]=\(after!)" : nil
        }
        return ids
    }
}

/// Something the demo found that breaks its story: a step that did not happen as it must.
struct DemoError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
