import Agents
import Foundation
import Ledger
import Mapping
import Reconcile

/// `syncledger mcp`: the agent gateway, as a Model Context Protocol server over stdio.
struct MCPCommand: Command {
    static let name = "mcp"
    static let summary = "Serve agents over the Model Context Protocol (stdio)."
    static let usage = "mcp --principal NAME [--config FILE] [--ledger PATH]"
    static let discussion = """
        Speaks MCP (JSON-RPC 2.0, one message a line) on standard input and output, as the
        principal NAME: tools to search records, read a record with its counterparts and
        provenance, explain a field, list conflicts and audit findings, and propose changes;
        records as resources. Every call is decided by the policy (the `agents` section of the
        configuration in force, or of FILE with --config), held to its budgets, and recorded
        as an agentActed event. Proposed changes are written by the next sync.

        Examples:
          syncledger mcp --principal triage-bot
          syncledger mcp --principal alice --config syncledger.yaml --ledger ./data
        """
    static let options: [OptionSpec] = [
        .ledger,
        .value("principal", "NAME", "The user or agent every call is made as."),
        .value(
            "config", "FILE", "Read the policy from FILE instead of the configuration in force."),
    ]

    let ledger: String
    let principal: String
    let config: String?

    init(_ arguments: Arguments, environment: [String: String]) throws(UsageError) {
        try arguments.expectPositionals(atMost: 0)
        guard let principal = arguments.value("principal"), !principal.isEmpty else {
            throw UsageError(message: "missing --principal NAME", command: Self.name)
        }
        self.principal = principal
        config = arguments.value("config")
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
        await MCPStdioServer.serve(MCPSession(gateway: gateway, version: "1.0"))
        return ExitStatus.success
    }

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
