import Glibc
import HTTPServer
import Sandbox
import Synchronization

/// The `sandbox` case: the emulators under load from concurrent loopback clients, next to the
/// same server answering a fixed response (what the server and clients cost on their own).
enum SandboxCase {
    /// The name that selects the case on the command line.
    static let name = "sandbox"

    /// One line saying what the case measures.
    static let summary =
        "Zendesk ticket pages and Jira issue creation from 8 loopback clients, against a fixed answer"

    /// Concurrent clients, each on its own keep-alive connection and thread.
    static let clients = 8

    /// Runs the case and prints its report; the last line is the throughput.
    static func run() async throws {
        let requests = try environmentInteger("SYNCLEDGER_BENCH_REQUESTS", default: 4_000)
        report(
            "case sandbox: \(clients) clients, \(requests) requests each, rate limits off, "
                + "\(sysconf(Int32(_SC_NPROCESSORS_ONLN))) processors")

        let fixedServer = try HTTPServer { _ in .json(#"{"ok":true}"#) }
        let baseline = try load(port: fixedServer.port, requests: requests) {
            "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        }
        fixedServer.stop()
        report("  fixed answer: \(rate(baseline)) requests/s")

        var configuration = ZendeskEmulator.Configuration()
        configuration.requestsPerMinute = 0
        configuration.tickets = 1_000
        let zendesk = ZendeskEmulator(configuration: configuration)
        let server = try HTTPServer(router: zendesk.router)
        let authorization = "Basic YWdlbnRAZXhhbXBsZS5jb20vdG9rZW46c2FuZGJveC10b2tlbg=="
        let pages = try load(port: server.port, requests: requests) {
            "GET /api/v2/tickets.json?page%5Bsize%5D=100 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: \(authorization)\r\n\r\n"
        }
        server.stop()
        report("  zendesk ticket pages (100 tickets each): \(rate(pages)) requests/s")

        var jiraConfiguration = JiraEmulator.Configuration()
        jiraConfiguration.requestsPerMinute = 0
        jiraConfiguration.perIssueWritesPerMinute = 0
        let jira = try HTTPServer(router: JiraEmulator(configuration: jiraConfiguration).router)
        let body =
            #"{"fields":{"project":{"key":"SUP"},"issuetype":{"name":"Task"},"summary":"Printer jams on floor 3","priority":{"name":"High"},"labels":["printer","hardware"],"customfield_10100":"4711","description":{"version":1,"type":"doc","content":[{"type":"paragraph","content":[{"type":"text","text":"The printer jams when printing duplex."}]},{"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"restarted it"}]}]}]}]}}}"#
        let creates = try load(port: jira.port, requests: requests / 4) {
            "POST /rest/api/3/issue HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: Basic YWdlbnRAZXhhbXBsZS5jb206c2FuZGJveC10b2tlbg==\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
                + body
        }
        jira.stop()
        report("  jira issue creation: \(rate(creates)) requests/s")
        report(
            "sandbox: \(rate(pages)) requests/s get, \(rate(creates)) requests/s create, "
                + "fixed answer \(rate(baseline)) requests/s")
    }

    /// Runs `requests` requests on each of ``clients`` connections at once; returns the
    /// requests answered per second. Every answer must be a 2xx.
    private static func load(port: UInt16, requests: Int, _ request: () -> String) throws
        -> Double
    {
        let bytes = Array(request().utf8)
        let failures = Atomic<Int>(0)
        let started = ContinuousClock.now
        let threads = try (0..<clients).map { _ in
            try SystemThread {
                let client = try LoopbackClient(port: port)
                for _ in 0..<requests {
                    let answer = try client.exchange(bytes)
                    if !(200..<300).contains(answer.status) {
                        failures.add(1, ordering: .relaxed)
                    }
                }
            }
        }
        for thread in threads {
            try thread.join()
        }
        let elapsed = ContinuousClock.now - started
        guard failures.load(ordering: .relaxed) == 0 else {
            throw BenchmarkError(
                "\(failures.load(ordering: .relaxed)) requests were not answered 2xx")
        }
        return eventsPerSecond(clients * requests, elapsed)
    }
}
