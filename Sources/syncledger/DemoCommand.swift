import Connectors
import Engine
import Foundation
import Ledger
import Mapping

/// `syncledger demo`: the main job told by the real engine against the local sandbox.
struct DemoCommand: Command {
    static let name = "demo"
    static let summary = "Run the whole story against the local sandbox, with measured numbers."
    static let usage = "demo [--tickets N] [--seed N] [--keep DIR]"
    static let discussion = """
        Starts the sandbox's Zendesk (with N generated tickets) and Jira (with no issues) on
        loopback with their rate limits on, then runs the sync engine on a fresh ledger: it
        connects both systems through OAuth, applies a configuration, receives signed
        webhooks, and backfills until every ticket has its issue. Then a short story, each
        step measured: an edit carried each way, a conflict decided by its rule, a storm of
        429 answers, an expired access token, a lost webhook caught by polling, and a sync
        process killed in the middle of a write and restarted. It ends with provenance, a
        replay that proves the projections, and a count of issues per ticket.

        The ledger lives in a temporary directory removed at the end, unless --keep names a
        directory to keep it (and the configuration) in. See docs/demo.md for what each
        step's numbers mean.

        Example:
          syncledger demo --tickets 200
        """
    static let options: [OptionSpec] = [
        .value("tickets", "N", "Tickets in the sandbox's Zendesk (default 1000)."),
        .value("seed", "N", "Seed of the generated tickets (default 1)."),
        .value("keep", "DIR", "Keep the ledger and configuration in DIR (created; must be empty)."),
    ]

    let tickets: Int
    let seed: UInt64
    let keep: String?

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 0)
        tickets =
            try arguments.value("tickets", as: "a number from 10 to 20000") {
                Int($0).flatMap { (10...20_000).contains($0) ? $0 : nil }
            } ?? 1_000
        seed = try arguments.value("seed", as: "a whole number", UInt64.init) ?? 1
        keep = arguments.value("keep")
    }

    func run() async throws -> Int32 {
        let started = ContinuousClock.now
        let directory: String
        do {
            directory = try Self.directory(keep)
        } catch {
            Output.error("\(error)")
            return ExitStatus.failure
        }
        defer {
            if keep == nil {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        let demo: Run
        do {
            demo = try Run(directory: directory, tickets: tickets, seed: seed, started: started)
        } catch {
            Output.error("the sandbox cannot start: \(error)")
            return ExitStatus.failure
        }
        defer { demo.stop() }
        do {
            try await demo.tell()
        } catch {
            Output.error("the demo stopped: \(error)")
            return ExitStatus.failure
        }
        return demo.failures.isEmpty ? ExitStatus.success : ExitStatus.failure
    }

    /// The directory the ledger and configuration go in: `keep`, made and checked empty, or a
    /// new temporary one.
    static func directory(_ keep: String?) throws -> String {
        guard let keep else {
            let temporary = NSTemporaryDirectory()
            let base = temporary.hasSuffix("/") ? String(temporary.dropLast()) : temporary
            var template = Array((base + "/syncledger-demo.XXXXXX").utf8CString)
            guard let made = mkdtemp(&template) else {
                throw DemoError("no temporary directory: \(String(cString: strerror(errno)))")
            }
            return String(cString: made)
        }
        try FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
        guard try FileManager.default.contentsOfDirectory(atPath: keep).isEmpty else {
            throw DemoError("\(keep) is not empty; --keep needs a new or empty directory")
        }
        return keep
    }
}

extension DemoCommand {
    /// One run of the demo: the sandbox, the receiver, the engine on the ledger, and what the
    /// story has found so far. Used from one task at a time.
    final class Run {
        let directory: String
        let ledger: String
        let configurationPath: String
        let tickets: Int
        let started: ContinuousClock.Instant
        let sandbox: DemoSandbox
        let receiver: DemoReceiver
        /// The engine's network, counting answers.
        let transport: CountingTransport
        /// The engine's runtime: one budget for both connections, as `syncledger sync` has.
        let client: ConnectorClient
        /// The configuration file in force, once applied.
        var file: ConfigurationFile?
        /// The engine on the ledger while the demo holds it.
        var session: DemoEngine?
        /// Every ticket's id, as Zendesk lists them.
        var ticketIDs: [String] = []
        /// The ticket the story follows, and its issue.
        var ticket = ""
        var issue = ""
        /// Claims that did not hold; the demo exits 1 when there is any.
        var failures: [String] = []

        init(directory: String, tickets: Int, seed: UInt64, started: ContinuousClock.Instant)
            throws
        {
            self.directory = directory
            ledger = directory + "/ledger"
            configurationPath = directory + "/syncledger.yaml"
            self.tickets = tickets
            self.started = started
            sandbox = try DemoSandbox(tickets: tickets, seed: seed)
            do {
                receiver = try DemoReceiver()
            } catch {
                sandbox.stop()
                throw error
            }
            transport = CountingTransport(hosts: [
                sandbox.zendeskServer.baseURL: .zendesk, sandbox.jiraServer.baseURL: .jira,
            ])
            client = ConnectorClient(transport: transport)
        }

        /// The whole story, in order.
        func tell() async throws {
            try await setUp()
            try await backfill()
            try await carryPriority()
            try await carryStatus()
            try await decideConflict()
            try await weatherStorm()
            try await refreshTokens()
            try await catchLostWebhook()
            try await recoverFromKill()
            try await serveAgent()
            try await prove()
            heading("Done")
            let total = ContinuousClock.now - started
            if failures.isEmpty {
                say("Every claim held. Total elapsed: \(Self.seconds(total)).")
            } else {
                say("Total elapsed: \(Self.seconds(total)). Claims that did not hold:")
                failures.forEach { say("  - \($0)") }
            }
        }

        /// Stops the engine, the receiver and the sandbox.
        func stop() {
            receiver.attach(nil)
            session?.close()
            session = nil
            receiver.stop()
            sandbox.stop()
        }

        /// The open engine; a step that needs it runs only while the demo holds the ledger.
        var engine: DemoEngine {
            get throws {
                guard let session else {
                    throw DemoError("the ledger is not open")
                }
                return session
            }
        }

        /// Opens the engine on the ledger and lets the receiver hand it webhooks.
        func open() throws {
            guard let file else {
                throw DemoError("no configuration is in force")
            }
            let session = try DemoEngine(
                ledger: ledger, file: file, client: client,
                clients: [
                    "zendesk": sandbox.oauthProvider(.zendesk),
                    "jira": sandbox.oauthProvider(.jira),
                ],
                tokenClock: sandbox.tokenClock)
            self.session = session
            receiver.attach(session.intake)
        }

        /// Stops handing webhooks to the engine and closes the ledger, so another process can
        /// take it.
        func close() {
            receiver.attach(nil)
            session?.close()
            session = nil
        }

        /// Records a claim; one that does not hold is said at once and fails the demo.
        func check(_ holds: Bool, _ claim: String) {
            if !holds {
                failures.append(claim)
                say("  NOT AS CLAIMED: \(claim)")
            }
        }

        // MARK: - Telling

        func heading(_ title: String) {
            Output.line("")
            Output.line(Output.styled("== " + title, "1"))
            Output.flush()
        }

        func say(_ text: String) {
            Output.line(text)
            Output.flush()
        }

        /// Prints a command line as a user would type it.
        func shell(_ words: [String]) {
            say(
                "$ syncledger "
                    + words.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " "))
        }

        /// `1.23 s`, or `45 ms` below a second.
        static func seconds(_ duration: Duration) -> String {
            let milliseconds = Double(duration / .milliseconds(1))
            return milliseconds < 1_000
                ? "\(Int(milliseconds.rounded())) ms"
                : String(format: "%.2f s", milliseconds / 1_000)
        }

        /// `12,345`.
        static func count(_ number: Int) -> String {
            let digits = String(number.magnitude)
            var grouped = ""
            for (index, digit) in digits.enumerated() {
                if index > 0 && (digits.count - index) % 3 == 0 {
                    grouped.append(",")
                }
                grouped.append(digit)
            }
            return (number < 0 ? "-" : "") + grouped
        }

        /// What a pass did, on one line.
        static func describe(_ report: SyncEngine.PassReport) -> String {
            let polled = report.polled.sorted { $0.key < $1.key }
                .map { "\($0.key) \(count($0.value))" }.joined(separator: ", ")
            return "polled \(polled) events; created \(count(report.created)), "
                + "updated \(report.updated), failed \(report.failed)"
        }
    }
}
