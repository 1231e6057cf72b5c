import Agents
import Foundation
import Ledger
import Mapping
import Reconcile

/// `syncledger mcp`: the agent gateway, as a Model Context Protocol server over stdio.
struct MCPCommand: Command {
    static let name = "mcp"
    static let summary = "Serve agents over the Model Context Protocol (stdio or HTTP)."
    static let usage = "mcp --principal NAME [--http PORT] [--config FILE] [--ledger PATH]"
    static let discussion = """
        Speaks MCP (JSON-RPC 2.0, one message a line) on standard input and output, as the
        principal NAME: tools to search records, read a record with its counterparts and
        provenance, explain a field, list conflicts and audit findings, and propose changes;
        records as resources. Every call is decided by the policy (the `agents` section of the
        configuration in force, or of FILE with --config), held to its budgets, and recorded
        as an agentActed event. Proposed changes are written by the next sync.

        With --http, serves the Streamable HTTP transport at http://127.0.0.1:PORT/mcp instead
        (0 picks a free port), prints that URL, and runs until interrupted.

        Examples:
          syncledger mcp --principal triage-bot
          syncledger mcp --principal alice --config syncledger.yaml --ledger ./data
          syncledger mcp --principal triage-bot --http 8765
        """
    static let options: [OptionSpec] = [
        .ledger,
        .value("principal", "NAME", "The user or agent every call is made as."),
        .value(
            "config", "FILE", "Read the policy from FILE instead of the configuration in force."),
        .value("http", "PORT", "Serve Streamable HTTP on 127.0.0.1:PORT instead of stdio."),
    ]

    let ledger: String
    let principal: String
    let config: String?
    let port: UInt16?

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 0)
        guard let principal = arguments.value("principal"), !principal.isEmpty else {
            throw UsageError(message: "missing --principal NAME", command: Self.name)
        }
        self.principal = principal
        config = arguments.value("config")
        port = try arguments.value("http", as: "a port from 0 to 65535") { UInt16($0) }
        ledger = arguments.ledgerPath(environment: environment)
    }

    func run() async throws -> Int32 {
        let live = try LiveProjection.open(ledger: ledger)
        defer { live.close() }
        guard let policy = try policy(live) else {
            return ExitStatus.failure
        }
        guard PolicyDecisionPoint(policy).knows(principal) else {
            Output.error(
                "'\(principal)' is not a principal of the policy; it names "
                    + (policy.principals.isEmpty
                        ? "none (add an agents section to the configuration)"
                        : policy.principals.map(\.name).joined(separator: ", ")))
            return ExitStatus.failure
        }
        Output.flush()
        let gateway = AgentGateway(
            ledger: ledger, log: live.log, store: live.store, principal: principal, policy: policy)
        guard let port else {
            await MCPStdioServer.serve(MCPSession(gateway: gateway, version: Self.version))
            return ExitStatus.success
        }
        let server = try MCPHTTPServer(gateway: gateway, version: Self.version, port: port)
        Output.line("serving MCP for \(principal) at \(server.url)")
        Output.flush()
        await SandboxCommand.waitForInterrupt()
        server.stop()
        return ExitStatus.success
    }

    /// The version the server reports.
    static let version = "1.0"

    /// The policy of `--config`, or of the configuration the ledger has in force.
    private func policy(_ live: LiveProjection) throws -> AgentPolicy? {
        let text: String
        let path: String
        if let config {
            guard let read = ConfigurationSource.read(config) else {
                return nil
            }
            (text, path) = (read, config)
        } else {
            guard let applied = try SyncQueries(live.store).configuration()?.appliedBy,
                let event = try live.log.event(at: applied),
                let content = event.body["content"]?.stringValue
            else {
                Output.error(
                    "the ledger has no configuration in force; apply one (syncledger apply) or "
                        + "pass --config FILE")
                return nil
            }
            (text, path) = (content, event.body["file"]?.stringValue ?? "the applied configuration")
        }
        do {
            return try PolicyReader.policy(text: text, path: path)
        } catch {
            for problem in error.problems {
                Output.error(problem.description)
            }
            Output.error("\(path): the agents section has problems; no call is served")
            return nil
        }
    }
}
