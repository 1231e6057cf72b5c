import Dispatch
import Foundation
import HTTPServer
import Ledger
import Sandbox

/// `syncledger sandbox`: the local provider APIs, until interrupted.
struct SandboxCommand: Command {
    static let name = "sandbox"
    static let summary = "Serve local Zendesk and Jira APIs to develop and test against."
    static let usage =
        "sandbox [--seed N] [--tickets N] [--issues N] [--zendesk-port P] [--jira-port P] [--json]"
    static let discussion = """
        Starts the emulators on 127.0.0.1 and prints their base URLs and credentials: an API
        token for basic authentication and an OAuth client (its consent page approves at once,
        so the whole OAuth flow runs without a browser). Data is generated from the seed, so
        the same seed gives the same tickets. Runs until interrupted (Ctrl-C or SIGTERM), then
        finishes the requests in progress and stops. See docs/sandbox.md for what the
        emulators do and where they differ from the real services.
        """
    static let options: [OptionSpec] = [
        .value("seed", "N", "Seed of the generated data (default 1)."),
        .value("tickets", "N", "Tickets to generate (default 50)."),
        .value("zendesk-port", "P", "Port of the Zendesk API (default: any free one)."),
        .value("jira-port", "P", "Port of the Jira API (default: any free one)."),
        .value("issues", "N", "Jira issues to seed (default: as many as tickets)."),
        .flag("no-rate-limits", "Serve without rate limits."),
        .value(
            "token-lifetime", "SECONDS",
            "How long OAuth access tokens last (default: 2 hours Zendesk, 1 hour Jira)."),
        .value(
            "faults", "JSON",
            "Faults to inject from the start, as PUT /_sandbox/faults takes them."),
        .flag("json", "Print the URLs and credentials as one JSON object."),
    ]

    let seed: UInt64
    let tickets: Int
    let issues: Int
    let zendeskPort: UInt16
    let jiraPort: UInt16
    let rateLimits: Bool
    let tokenLifetime: Int64?
    let faults: FaultSettings
    let json: Bool

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 0)
        seed = try arguments.value("seed", as: "a whole number", UInt64.init) ?? 1
        tickets =
            try arguments.value("tickets", as: "a number from 0 to 100000") {
                Int($0).flatMap { (0...100_000).contains($0) ? $0 : nil }
            } ?? 50
        issues =
            try arguments.value("issues", as: "a number from 0 to 100000") {
                Int($0).flatMap { (0...100_000).contains($0) ? $0 : nil }
            } ?? tickets
        zendeskPort = try arguments.value("zendesk-port", as: "a port number", UInt16.init) ?? 0
        jiraPort = try arguments.value("jira-port", as: "a port number", UInt16.init) ?? 0
        rateLimits = !arguments.flag("no-rate-limits")
        tokenLifetime = try arguments.value("token-lifetime", as: "a number of seconds from 1") {
            Int64($0).flatMap { $0 >= 1 ? $0 : nil }
        }
        var faults = FaultSettings()
        if let text = arguments.value("faults") {
            do {
                faults = try FaultSettings(json: text)
            } catch {
                throw UsageError(message: "'--faults': \(error)", command: Self.name)
            }
        }
        self.faults = faults
        json = arguments.flag("json")
    }

    func run() async throws -> Int32 {
        var zendesk = ZendeskEmulator.Configuration()
        zendesk.seed = seed
        zendesk.tickets = tickets
        if !rateLimits {
            zendesk.requestsPerMinute = 0
            zendesk.incrementalRequestsPerMinute = 0
        }
        zendesk.faults = faults
        var jira = JiraEmulator.Configuration()
        if let tokenLifetime {
            zendesk.accessTokenLifetime = tokenLifetime
            jira.accessTokenLifetime = tokenLifetime
        }
        jira.faults = faults
        jira.seed = seed
        jira.issues = issues
        if !rateLimits {
            jira.requestsPerMinute = 0
            jira.perIssueWritesPerMinute = 0
        }
        let zendeskServer: HTTPServer
        let jiraServer: HTTPServer
        do {
            var serving = HTTPServer.Configuration()
            serving.port = zendeskPort
            zendeskServer = try HTTPServer(
                configuration: serving, router: ZendeskEmulator(configuration: zendesk).router)
        } catch {
            Output.error("the Zendesk sandbox cannot start: \(error)")
            return ExitStatus.failure
        }
        do {
            var serving = HTTPServer.Configuration()
            serving.port = jiraPort
            jiraServer = try HTTPServer(
                configuration: serving, router: JiraEmulator(configuration: jira).router)
        } catch {
            zendeskServer.stop()
            Output.error("the Jira sandbox cannot start: \(error)")
            return ExitStatus.failure
        }

        let description: Value = [
            "zendesk": [
                "baseURL": .string(zendeskServer.baseURL),
                "email": .string(zendesk.email), "apiToken": .string(zendesk.apiToken),
                "oauth": [
                    "authorizeURL": .string(zendeskServer.baseURL + "/oauth/authorizations/new"),
                    "tokenURL": .string(zendeskServer.baseURL + "/oauth/tokens"),
                    "clientID": .string(zendesk.oauthClientID),
                    "clientSecret": .string(zendesk.oauthClientSecret),
                    "redirectURI": .string(zendesk.oauthRedirectURI),
                ],
            ],
            "jira": [
                "baseURL": .string(jiraServer.baseURL),
                "gatewayURL": .string(jiraServer.baseURL + "/ex/jira/" + jira.cloudId),
                "cloudId": .string(jira.cloudId),
                "email": .string(jira.email), "apiToken": .string(jira.apiToken),
                "oauth": [
                    "authorizeURL": .string(jiraServer.baseURL + "/authorize"),
                    "tokenURL": .string(jiraServer.baseURL + "/oauth/token"),
                    "resourcesURL": .string(
                        jiraServer.baseURL + "/oauth/token/accessible-resources"),
                    "clientID": .string(jira.oauthClientID),
                    "clientSecret": .string(jira.oauthClientSecret),
                    "redirectURI": .string(jira.oauthRedirectURI),
                ],
            ],
            "seed": .integer(Int64(seed)), "tickets": .integer(Int64(tickets)),
            "issues": .integer(Int64(issues)),
        ]
        if json {
            Output.line(description.json)
        } else {
            Output.line("Zendesk  \(zendeskServer.baseURL)")
            Output.line("  API token  \(zendesk.email)/token:\(zendesk.apiToken)")
            Output.line(
                "  OAuth      client \(zendesk.oauthClientID), secret \(zendesk.oauthClientSecret),"
                    + " redirect \(zendesk.oauthRedirectURI) (any loopback port)")
            Output.line(
                "Jira     \(jiraServer.baseURL)  (OAuth: \(jiraServer.baseURL)/ex/jira/\(jira.cloudId))"
            )
            Output.line("  API token  \(jira.email):\(jira.apiToken)")
            Output.line(
                "  OAuth      client \(jira.oauthClientID), secret \(jira.oauthClientSecret),"
                    + " redirect \(jira.oauthRedirectURI) (any loopback port)")
            Output.line("Data     \(tickets) tickets and \(issues) issues from seed \(seed)")
            Output.line("Serving until interrupted.")
        }
        Output.flush()

        await Self.waitForInterrupt()
        zendeskServer.stop(timeout: .seconds(5))
        jiraServer.stop(timeout: .seconds(5))
        if !json {
            Output.line("Stopped.")
        }
        return ExitStatus.success
    }

    /// Returns when the process gets SIGINT or SIGTERM.
    static func waitForInterrupt() async {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let queue = DispatchQueue(label: "syncledger.signals")
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumed = SignalLatch(continuation)
            for number in [SIGINT, SIGTERM] {
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { resumed.fire() }
                source.resume()
                resumed.keep(source)
            }
        }
    }
}

/// Resumes a continuation once, whichever signal comes first, and keeps the signal sources
/// alive until then. Only touched on the signal queue after setup.
private final class SignalLatch: @unchecked Sendable {
    private var continuation: CheckedContinuation<Void, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<Void, Never>) {
        self.continuation = continuation
    }

    func keep(_ source: any DispatchSourceSignal) {
        sources.append(source)
    }

    func fire() {
        continuation?.resume()
        continuation = nil
        sources.forEach { $0.cancel() }
    }
}
