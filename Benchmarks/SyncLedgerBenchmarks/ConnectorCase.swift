import Connectors
import Foundation
import HTTPServer
import Ledger
import Sandbox
import Synchronization

/// The `connector` case: tickets read from the Zendesk emulator and written to the Jira
/// emulator through the connectors' runtime, both under rate limits scaled from a minute to
/// six seconds, measured against the ceiling those limits allow.
enum ConnectorCase {
    /// The name that selects the case on the command line.
    static let name = "connector"

    /// One line saying what the case measures.
    static let summary =
        "tickets read and issues written under scaled rate limits, against the ceiling"

    /// The limits, per window, and the window.
    static let zendeskLimit = 700
    static let jiraLimit = 600
    static let window: Int64 = 6
    /// Tickets per page read, and issues per bulk create: small enough that the run spans
    /// several windows, so the limits, not the payloads, set the pace.
    static let pageSize = 10
    static let batchSize = 10

    /// Runs the case; the last line is the throughput and how close it came to the ceiling.
    static func run() async throws {
        let records = try environmentInteger("SYNCLEDGER_BENCH_RECORDS", default: 20_000)
        report(
            "case connector: \(records) tickets, Zendesk \(zendeskLimit) and Jira \(jiraLimit) "
                + "requests per \(window) s window")

        var zendeskConfiguration = ZendeskEmulator.Configuration()
        zendeskConfiguration.tickets = records
        zendeskConfiguration.requestsPerMinute = zendeskLimit
        zendeskConfiguration.rateLimitWindowSeconds = window
        let zendesk = try HTTPServer(
            router: ZendeskEmulator(configuration: zendeskConfiguration).router)
        defer { zendesk.stop() }
        var jiraConfiguration = JiraEmulator.Configuration()
        jiraConfiguration.requestsPerMinute = jiraLimit
        jiraConfiguration.rateLimitWindowSeconds = window
        jiraConfiguration.perIssueWritesPerMinute = 0
        let jira = try HTTPServer(router: JiraEmulator(configuration: jiraConfiguration).router)
        defer { jira.stop() }

        let tooMany = TooManyCounter()
        let zendeskClient = ConnectorClient(log: { tooMany.note($0) })
        let jiraClient = ConnectorClient(log: { tooMany.note($0) })

        // Read: every ticket, a cursor page at a time.
        let started = ContinuousClock.now
        let first = ConnectorRequest(
            method: "GET", url: zendesk.baseURL + "/api/v2/tickets.json?page%5Bsize%5D=\(pageSize)",
            headers: [
                (
                    "Authorization",
                    "Basic "
                        + Data("agent@example.com/token:sandbox-token".utf8).base64EncodedString()
                )
            ])
        var tickets: [Value] = []
        var reads = 0
        for try await page in zendeskClient.pages(from: first, .cursor(items: "tickets")) {
            tickets += page.items
            reads += 1
        }
        let readTime = ContinuousClock.now - started
        guard tickets.count == records else {
            throw BenchmarkError("read \(tickets.count) tickets, not \(records)")
        }
        report(
            "  read \(tickets.count) tickets in \(reads) requests, \(fixed(readTime.seconds, decimals: 2)) s"
        )

        // Write: bulk creates.
        let writeStarted = ContinuousClock.now
        var writes = 0
        var created = 0
        let authorization =
            "Basic " + Data("agent@example.com:sandbox-token".utf8).base64EncodedString()
        for start in stride(from: 0, to: tickets.count, by: batchSize) {
            let updates = tickets[start..<min(start + batchSize, tickets.count)].map {
                ticket -> Value in
                [
                    "fields": [
                        "project": ["key": "SUP"], "issuetype": ["name": "Task"],
                        "summary": ticket["subject"] ?? "Ticket",
                        "customfield_10100": .string(
                            "zendesk:ticket/\(ticket["id"]?.integerValue ?? 0)"),
                    ]
                ]
            }
            let response = try await jiraClient.send(
                ConnectorRequest(
                    method: "POST", url: jira.baseURL + "/rest/api/3/issue/bulk",
                    headers: [
                        ("Authorization", authorization), ("Content-Type", "application/json"),
                    ],
                    body: Array(Value.object(["issueUpdates": .array(updates)]).json.utf8)))
            writes += 1
            guard response.status == 201 else {
                throw BenchmarkError("a bulk create answered \(response.status)")
            }
            created += (try Value(jsonBytes: response.body))["issues"]?.arrayValue?.count ?? 0
        }
        let writeTime = ContinuousClock.now - writeStarted
        guard created == records else {
            throw BenchmarkError("created \(created) issues, not \(records)")
        }
        report(
            "  wrote \(created) issues in \(writes) requests, \(fixed(writeTime.seconds, decimals: 2)) s"
        )

        // The ceiling is each provider's limit spread over its window, for as long as the
        // connector spent on it.
        let total = ContinuousClock.now - started
        let readCeiling = readTime.seconds * Double(zendeskLimit) / Double(window)
        let writeCeiling = writeTime.seconds * Double(jiraLimit) / Double(window)
        report(
            "  reads at \(fixed(Double(reads) / readCeiling, decimals: 2)) of Zendesk's ceiling, "
                + "writes at \(fixed(Double(writes) / writeCeiling, decimals: 2)) of Jira's")
        let fraction = Double(reads + writes) / (readCeiling + writeCeiling)
        let afterFirstWindow = tooMany.count(after: started + .seconds(window))
        report(
            "  429 answers: \(tooMany.total) in all, \(afterFirstWindow) after the first window")
        report(
            "connector: \(rate(eventsPerSecond(records, total))) records/s, "
                + "\(fixed(fraction, decimals: 2)) of the rate-limit ceiling, \(tooMany.total) 429 answers"
        )
    }
}

/// Counts 429 answers from the client's log lines, with when they came.
final class TooManyCounter: Sendable {
    private let times = Mutex<[ContinuousClock.Instant]>([])

    func note(_ line: String) {
        if line.contains("→ 429") {
            times.withLock { $0.append(ContinuousClock.now) }
        }
    }

    var total: Int { times.withLock { $0.count } }

    func count(after instant: ContinuousClock.Instant) -> Int {
        times.withLock { $0.filter { $0 > instant }.count }
    }
}
