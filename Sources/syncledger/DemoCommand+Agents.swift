import Agents
import Foundation
import Ledger
import Reconcile

extension DemoCommand.Run {
    /// The demo's `agents` section: a support lead, and a triage agent acting for them.
    static let agentPolicy = """

        agents:
          principals:
            support-lead: {}
            triage-bot:
              actsFor: support-lead
          rules:
            - name: support-desk
              principals: [support-lead]
              tools: ["*"]
              mask: [requester_id, assignee_id]
              change: [priority, tags]
          budgets:
            - principals: [triage-bot]
              calls: 60
              per: 1m

        """

    /// Step 10: an AI agent reads a record through MCP (masked fields left out), is refused a
    /// change the pair's authority gives to the other system, proposes an allowed one, and the
    /// next pass writes it to both systems; every call is in the log.
    func serveAgent() async throws {
        heading("10. An AI agent works through MCP, under a local policy")
        guard let (chosen, counterpart) = try openTickets(1, besides: [ticket]).first else {
            throw DemoError("no open ticket with an issue for the agent")
        }
        let held = try await sandbox.call(.zendesk, "GET", "/api/v2/tickets/\(chosen).json")[
            "ticket"]?["priority"]?.stringValue
        let (priority, mapped) = held == "high" ? ("low", "Low") : ("high", "High")
        close()

        let live = try LiveProjection.open(ledger: ledger)
        let policy = try PolicyReader.policy(text: configurationText(), path: configurationPath)
        let gateway = AgentGateway(
            ledger: ledger, log: live.log, store: live.store, principal: "triage-bot",
            policy: policy)
        let session = MCPSession(gateway: gateway, version: MCPCommand.version)
        say(
            "triage-bot acts for support-lead; syncledger mcp would carry these JSON-RPC "
                + "messages over stdio or HTTP:")
        let mark = try live.log.lastSequence()
        var id = 0
        func call(_ tool: String, _ arguments: Value) async -> Value {
            id += 1
            let request: Value = [
                "jsonrpc": "2.0", "id": .integer(Int64(id)), "method": "tools/call",
                "params": ["name": .string(tool), "arguments": arguments],
            ]
            say("  -> \(tool) \(arguments.json)")
            let answer = await session.handle(request.json).flatMap { try? Value(json: $0) }
            let result = answer?["result"]?["structuredContent"] ?? .null
            if let error = result["error"] {
                say(
                    "  <- refused by rule \(error["rule"]?.stringValue ?? "?"): "
                        + (error["reason"]?.stringValue ?? ""))
            }
            return result
        }
        _ = await session.handle(
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"demo","version":"1"}}}"#
        )

        let record = await call("get_record", ["record": .string("zendesk:ticket/\(chosen)")])
        let shown = record["fields"]?.objectValue?.keys ?? []
        say("  <- \(shown.count) fields (\(shown.joined(separator: ", ")))")
        check(
            record["fields"] != nil && !shown.contains("requester_id"),
            "the agent reads the ticket without its masked fields")
        let owned = await call(
            "propose_change",
            ["record": .string("jira:issue/\(counterpart)"), "fields": ["priority": "Highest"]])
        check(
            owned["error"]?["rule"] == "authority",
            "a change the pair gives to Zendesk is refused on the Jira side")
        let proposed = await call(
            "propose_change",
            [
                "record": .string("zendesk:ticket/\(chosen)"),
                "fields": ["priority": .string(priority)],
            ])
        say("  <- recorded as event \(proposed["event"]?.json ?? "?"); the next pass writes:")
        for write in proposed["plannedWrites"]?.arrayValue ?? [] {
            say("       \(write.stringValue ?? write.json)")
        }
        check(proposed["status"] == "recorded", "the agent's proposal is recorded")
        var calls: [AgentAction] = []
        try live.log.scan(from: mark.next) { result in
            let event = try result.get()
            if event.kind == .agentActed {
                calls.append(try AgentAction(event))
            }
            return true
        }
        say(
            "  the log holds \(calls.count) agentActed events: "
                + calls.map { "\($0.tool) \($0.allowed ? "allow" : "deny") (\($0.rule))" }
                .joined(separator: ", "))
        check(calls.count == 3, "every agent call is an agentActed event")
        live.close()

        try open()
        try await pass()
        let zendesk = try await sandbox.call(.zendesk, "GET", "/api/v2/tickets/\(chosen).json")
        let jira = try await sandbox.call(
            .jira, "GET", "/rest/api/3/issue/\(counterpart)?fields=priority")
        let now = (
            zendesk["ticket"]?["priority"]?.stringValue,
            jira["fields"]?["priority"]?["name"]?.stringValue
        )
        say(
            "  ticket \(chosen) priority \(Value.show(held.map(Value.string))) -> "
                + "\(now.0 ?? "none"); Jira \(counterpart) -> \(now.1 ?? "none")")
        check(
            now.0 == priority && now.1 == mapped,
            "the next pass writes the agent's change to both systems")
    }
}
