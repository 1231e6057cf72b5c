import Engine
import Foundation
import Ledger
import Mapping

/// `syncledger status`: what the ledger knows of each connection.
struct StatusCommand: Command {
    static let name = "status"
    static let summary = "Show each connection's polls, webhooks, writes, budget and pauses."
    static let usage = "status [--config FILE] [--ledger PATH] [--json]"
    static let discussion = """
        For each connection of the configuration in force (or of FILE with --config): when a
        poll last moved its cursor and the cursor; webhook events recorded and deliveries
        refused; writes in doubt (intended, no outcome yet); failed writes and the last error;
        the rate limit its last answer reported; and whether it is paused, why, and the
        command that lifts the pause. Everything comes from the ledger: the log, read once,
        <ledger>/quarantine.jsonl and <ledger>/budget.json, which sync writes after each
        pass. No provider is asked, and the ledger is opened read-only, so it works while
        sync runs.

        Example:
          syncledger status --json
        """
    static let options: [OptionSpec] = [
        .ledger,
        .value("config", "FILE", "Report on this file's connections instead."),
        .flag("json", "Print one JSON object."),
    ]

    let ledger: String
    let path: String?
    let json: Bool

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 0)
        ledger = arguments.ledgerPath(environment: environment)
        path = arguments.value("config")
        json = arguments.flag("json")
    }

    func run() async throws -> Int32 {
        var connections: [Connection]?
        if let path {
            guard
                let file = ConfigurationSource.file(
                    path, consequence: "; run syncledger check \(path)")
            else {
                return ExitStatus.failure
            }
            connections = file.configuration.connections
        }
        var options = EventLog.Options()
        options.readOnly = true
        let log = try EventLog.open(at: ledger, options: options)
        defer { log.close() }
        let status = try LedgerStatus(
            log: log, quarantine: Quarantine(ledger: ledger),
            budget: BudgetSnapshot.read(ledger: ledger), connections: connections,
            now: SystemClock().now())

        if json {
            Output.line(Self.value(of: status, ledger: log.path).json)
        } else {
            print(status, ledger: log.path)
        }
        return ExitStatus.success
    }

    private func print(_ status: LedgerStatus, ledger: String) {
        let now = status.takenAt
        Output.line("ledger     \(ledger), last event \(status.lastSequence)")
        if let applied = status.configuration {
            Output.line(
                "config     \(applied.file) (digest \(applied.digest.prefix(12))), applied "
                    + Self.when(applied.appliedAt, now))
        } else {
            Output.line("config     none in force; run syncledger apply")
        }
        Output.line("last pass  " + (status.lastPass.map { Self.when($0, now) } ?? "none recorded"))
        for connection in status.connections {
            Output.line("")
            for line in Self.lines(connection, now: now) {
                Output.line(line)
            }
        }
        if status.quarantinedElsewhere > 0 {
            Output.line("")
            Output.line(
                "\(status.quarantinedElsewhere) refused deliveries name no connection shown here")
        }
    }

    /// The lines that describe one connection.
    static func lines(_ connection: ConnectionStatus, now: Timestamp) -> [String] {
        var lines = [connection.name + (connection.provider.map { " (\($0))" } ?? "")]
        func row(_ label: String, _ text: String) {
            lines.append("  " + label.padding(toLength: 12, withPad: " ", startingAt: 0) + text)
        }

        if let pause = connection.pause {
            let since = pause.since.map { " since " + when($0, now) } ?? ""
            row("state", Output.styled("paused", "31") + since + ": " + pause.reason)
            row("", "run: " + pause.command)
        } else {
            row("state", "active")
        }

        row("last poll", connection.lastPoll.map { when($0, now) } ?? "never")
        row("cursor", connection.cursor ?? "none")

        var webhooks = count(connection.webhookEvents, "event")
        if let last = connection.lastWebhook {
            webhooks += ", last " + when(last, now)
        }
        webhooks += "; " + count(connection.quarantined, "delivery", "deliveries") + " refused"
        if let refusal = connection.lastQuarantined {
            webhooks += " (last: \(refusal.reason))"
        }
        row("webhooks", webhooks)

        var pending = count(connection.pendingIntents, "write") + " in doubt"
        if let oldest = connection.oldestPending {
            pending += ", the oldest intended " + when(oldest, now)
        }
        row("intents", pending)

        var failures = count(connection.failures, "failed write")
        if let last = connection.lastFailure {
            failures += ", the last " + when(last.at, now) + " (event \(last.event))"
        }
        row("failures", failures)
        if let last = connection.lastFailure {
            row("", last.error)
        }

        if let budget = connection.budget {
            let limit = budget.limit.map { " of \($0)" } ?? ""
            let reset = budget.resetsAt.map { "; that window ends \($0)" } ?? ""
            row(
                "budget",
                "\(budget.remaining)\(limit) requests left, as the last answer said "
                    + when(budget.observedAt, now) + reset)
        } else {
            row("budget", "not known: no answer with rate-limit headers recorded yet")
        }
        return lines
    }

    /// `2026-12-04T10:00:00Z (3m ago)`.
    static func when(_ time: Timestamp, _ now: Timestamp) -> String {
        "\(time) (\(age(from: time, to: now)))"
    }

    /// How long before `now` `time` was, roughly: `12s ago`, `3m ago`, `2h 5m ago`, `4d ago`.
    static func age(from time: Timestamp, to now: Timestamp) -> String {
        let seconds = (now.microseconds - time.microseconds) / 1_000_000
        switch seconds {
        case ..<0: return "in the future"
        case ..<60: return "\(seconds)s ago"
        case ..<3_600: return "\(seconds / 60)m ago"
        case ..<86_400: return "\(seconds / 3_600)h \(seconds % 3_600 / 60)m ago"
        default: return "\(seconds / 86_400)d ago"
        }
    }

    private static func count(_ number: Int, _ singular: String, _ plural: String? = nil)
        -> String
    {
        "\(number) " + (number == 1 ? singular : plural ?? singular + "s")
    }
}
