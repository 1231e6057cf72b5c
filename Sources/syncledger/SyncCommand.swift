import Engine
import Foundation
import HTTPServer
import Ledger
import Mapping
import Reconcile

/// `syncledger sync`: keeps the configured pairs in step.
struct SyncCommand: Command {
    static let name = "sync"
    static let summary = "Poll the connections and write what the pairs call for."
    static let usage = "sync [--config FILE] [--once] [--listen PORT] [--ledger PATH]"
    static let discussion = """
        Polls every connection of the configuration (default syncledger.yaml) into the log,
        then performs the writes the projections plan: each recorded as writeIntended before
        the call and writeSucceeded or writeFailed after it, a create linked to its new record
        in the same batch. The configuration must be in force (syncledger apply).

        With --once it makes one pass (poll, then write until nothing is planned) and exits;
        otherwise it repeats at the shortest pollEvery of the connections (30s by default)
        until interrupted. With --listen it also receives webhooks on 127.0.0.1:PORT at
        /webhooks/<connection>, checked with each connection's webhookSecret; refused
        deliveries are answered 4xx with the reason and kept in <ledger>/quarantine.jsonl.

        A connection whose credential the provider refuses (a revoked OAuth grant, a refresh
        refused, an API token no longer valid) is paused: the ledger records it once, and it is
        neither polled nor written to, in this pass or any later one, until syncledger connect
        authorises it again. The other connections go on. Each pass prints one line per paused
        connection with the command to run. Exits 1 when every connection is paused, since
        nothing can be synced.

        Example:
          syncledger sync --once
        """
    static let options: [OptionSpec] = [
        .ledger,
        .value("config", "FILE", "The configuration file (default syncledger.yaml)."),
        .flag("once", "Make one pass and exit."),
        .value("listen", "PORT", "Receive webhooks on this loopback port (not with --once)."),
    ]

    let ledger: String
    let path: String
    let once: Bool
    let listen: UInt16?

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 0)
        ledger = arguments.ledgerPath(environment: environment)
        path = arguments.value("config") ?? "syncledger.yaml"
        once = arguments.flag("once")
        listen = try arguments.value("listen", as: "a port number", UInt16.init)
        if once, listen != nil {
            throw UsageError(
                message: "--listen serves between passes; not with --once", command: Self.name)
        }
    }

    func run() async throws -> Int32 {
        guard
            let setup = try EngineSetup.open(
                ledger: ledger, configuration: path, doing: "synced")
        else {
            return ExitStatus.failure
        }
        defer { setup.close() }
        let (file, log, engine) = (setup.file, setup.log, setup.engine)
        var receiver: HTTPServer?
        if let listen {
            let intake = WebhookIntake(
                log: log, configuration: file.configuration, connections: engine.connections,
                quarantine: Quarantine(ledger: ledger))
            var configuration = HTTPServer.Configuration()
            configuration.port = listen
            receiver = try HTTPServer(configuration: configuration, router: intake.router)
            Output.line("receiving webhooks at \(receiver!.baseURL)/webhooks/<connection>")
        }
        defer { receiver?.stop() }
        let interval =
            file.configuration.connections.compactMap(\.pollEvery).min() ?? .seconds(30)
        while true {
            let report: SyncEngine.PassReport
            do {
                report = try await engine.runOnce()
            } catch {
                Output.error("the pass stopped: \(error)")
                return ExitStatus.failure
            }
            let recovery = report.recovery
            if recovery.confirmed + recovery.replanned > 0 {
                Output.line(
                    "settled writes left in doubt: \(recovery.confirmed) had happened, "
                        + "\(recovery.replanned) planned again")
            }
            let polled = report.polled.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            Output.line(
                "polled \(polled.joined(separator: ", ")); created \(report.created), "
                    + "updated \(report.updated), failed \(report.failed)"
                    + (report.adopted > 0 ? "; adopted \(report.adopted)" : ""))
            Output.flush()
            Self.explain(report)
            if report.paused.count == file.configuration.connections.count, !report.paused.isEmpty {
                Output.error(
                    "every connection is paused; nothing can be synced until one is connected")
                return ExitStatus.failure
            }
            if once {
                return report.failed == 0 ? ExitStatus.success : ExitStatus.failure
            }
            try await Task.sleep(for: interval)
        }
    }

    /// One line per paused connection: why, since when, and what to run.
    static func explain(_ report: SyncEngine.PassReport) {
        for (name, pause) in report.paused.sorted(by: { $0.key < $1.key }) {
            let since = pause.since.map { " since \($0)" } ?? ""
            Output.note(
                "\(name) is paused\(since): \(pause.reason); it is not polled or written to "
                    + "until you run: \(pause.command)")
        }
        if report.deferred > 0 {
            Output.note(
                "\(report.deferred) write\(report.deferred == 1 ? "" : "s") to paused connections "
                    + "wait\(report.deferred == 1 ? "s" : "")")
        }
    }
}
