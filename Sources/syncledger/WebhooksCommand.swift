import Engine
import Foundation
import Ledger

/// `syncledger webhooks`: points each connection's provider at the engine's receiver.
struct WebhooksCommand: Command {
    static let name = "webhooks"
    static let summary = "Register each connection's webhook and keep its signing secret."
    static let usage = "webhooks --url BASE [--config FILE] [--ledger PATH]"
    static let discussion = """
        For every connection of the configuration that names a webhookSecret, registers a
        webhook delivering to BASE/webhooks/<connection> (where syncledger sync --listen
        receives them, behind whatever public address BASE is), and stores the secret its
        deliveries are signed with in the vault under that webhookSecret's name. Records a
        connectionChanged event (change: webhookRegistered) per connection.

        Zendesk: a webhook for ticket events, kept if one already delivers there. On a
        Zendesk account a trigger must also notify it; the sandbox delivers every change.
        Jira: an admin webhook for the project's issues, signed with a new secret; one
        already delivering there is replaced, since Jira never shows a secret back.

        Example:
          syncledger webhooks --url https://sync.example.com
        """
    static let options: [OptionSpec] = [
        .ledger,
        .value("url", "BASE", "The address the providers reach the receiver at."),
        .value("config", "FILE", "The configuration file (default syncledger.yaml)."),
    ]

    let ledger: String
    let path: String
    let base: String

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 0)
        ledger = arguments.ledgerPath(environment: environment)
        path = arguments.value("config") ?? "syncledger.yaml"
        guard let base = arguments.value("url") else {
            throw UsageError(message: "--url is required", command: Self.name)
        }
        guard let scheme = URL(string: base)?.scheme, ["http", "https"].contains(scheme) else {
            throw UsageError(
                message: "--url must be an http:// or https:// address, not '\(base)'",
                command: Self.name)
        }
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
    }

    func run() async throws -> Int32 {
        guard
            let setup = try EngineSetup.open(
                ledger: ledger, configuration: path, doing: "registered")
        else {
            return ExitStatus.failure
        }
        defer { setup.close() }
        let receiving = setup.file.configuration.connections.filter { $0.webhookSecret != nil }
        guard !receiving.isEmpty else {
            Output.error("no connection of \(path) names a webhookSecret; nothing to register")
            return ExitStatus.failure
        }
        var status = ExitStatus.success
        for connection in receiving {
            let endpoint = "\(base)/webhooks/\(connection.name)"
            do {
                let done = try await setup.engine.connections.registerWebhook(
                    for: connection, at: endpoint)
                _ = try await setup.log.append(
                    AppendBatch([
                        NewEvent(
                            kind: .connectionChanged, record: nil,
                            body: [
                                "connection": .string(connection.name),
                                "change": "webhookRegistered", "endpoint": .string(endpoint),
                            ])
                    ]))
                Output.line(
                    "\(connection.name): delivers to \(endpoint)"
                        + (done.existed ? " (registered before; " : " (new; ")
                        + "signing secret kept as vault:\(done.secretEntry))")
            } catch {
                Output.error("\(connection.name): not registered: \(error)")
                status = ExitStatus.failure
            }
        }
        return status
    }
}
