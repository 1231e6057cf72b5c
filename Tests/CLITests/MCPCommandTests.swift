import Foundation
import Ledger
import Testing

/// `syncledger mcp` driven over stdio with raw JSON-RPC messages, as an MCP client drives it,
/// on ledgers built through `append`.
@Suite("MCP server")
struct MCPCommandTests {
    static let configuration = #"""
        {"kind":"configApplied","body":{"configuration":{"pairs":[{"name":"support","left":{"connection":"zendesk","recordType":"ticket"},"right":{"connection":"jira","recordType":"issue"},"direction":"both","fields":[{"left":"subject","right":"summary","authority":"lastWriterWins"},{"left":"priority","right":"priority","authority":"owner:left","values":[["urgent","Highest"],["normal","Medium"],["high","High"]]}]}]}}}
        """#

    /// Two linked tickets in organisations 7 and 8, and an unlinked urgent one in 7.
    static let history = [
        configuration,
        #"{"kind":"observed","record":"zendesk:ticket/1","upstreamAt":"2026-12-03T10:00:00Z","body":{"source":"poll","fields":{"subject":"Printer jams","priority":"normal","organization_id":7,"requester_id":501}}}"#,
        #"{"kind":"observed","record":"zendesk:ticket/2","upstreamAt":"2026-12-03T10:00:00Z","body":{"source":"poll","fields":{"subject":"VPN drops","priority":"urgent","organization_id":8,"requester_id":502}}}"#,
        #"{"kind":"observed","record":"jira:issue/SUP-1","upstreamAt":"2026-12-03T10:00:01Z","body":{"source":"poll","fields":{"summary":"Printer jams","priority":"Medium"}}}"#,
        #"{"kind":"observed","record":"jira:issue/SUP-2","upstreamAt":"2026-12-03T10:00:01Z","body":{"source":"poll","fields":{"summary":"VPN drops","priority":"Highest"}}}"#,
        #"{"kind":"linked","record":"zendesk:ticket/1","body":{"pair":"support","counterpart":"jira:issue/SUP-1"}}"#,
        #"{"kind":"linked","record":"zendesk:ticket/2","body":{"pair":"support","counterpart":"jira:issue/SUP-2"}}"#,
        #"{"kind":"observed","record":"zendesk:ticket/3","upstreamAt":"2026-12-03T10:00:02Z","body":{"source":"webhook","fields":{"subject":"Printer on fire","priority":"urgent","organization_id":7,"requester_id":503}}}"#,
    ]

    static let policy = """
        agents:
          principals:
            alice:
              attributes:
                organizations: [7]
            triage-bot:
              actsFor: alice
            viewer: {}
          rules:
            - name: own-tickets
              principals: [alice]
              tools: ["*"]
              records: zendesk:ticket
              where:
                organization_id: $organizations
              mask: [requester_id]
              change: [subject, priority]
            - name: own-issues
              principals: [alice]
              tools: [search_records, get_record, explain_field, list_conflicts, propose_change]
              records: jira:issue
              where:
                id: ["SUP-1*"]
              change: [summary, priority]
            - name: no-escalation
              effect: deny
              principals: [triage-bot]
              tools: [propose_change]
              where:
                priority: urgent
            - name: viewer-search
              principals: [viewer]
              tools: search_records
          budgets:
            - principals: [triage-bot]
              tools: [get_record]
              calls: 2
              per: 1h
        """

    /// A ledger holding ``history``, and the policy file beside it.
    static func ledger(_ directory: TemporaryDirectory) throws -> (ledger: String, policy: String) {
        let appended = try SyncLedgerCLI.append(history, to: directory.ledger)
        try #require(appended.status == 0, "\(appended)")
        let policy = directory.url.appendingPathComponent("policy.yaml").path
        try Self.policy.write(toFile: policy, atomically: true, encoding: .utf8)
        return (directory.ledger.path, policy)
    }

    static func client(_ principal: String, _ paths: (ledger: String, policy: String)) throws
        -> MCPClient
    {
        try MCPClient([
            "--principal", principal, "--config", paths.policy, "--ledger", paths.ledger,
        ])
    }

    @Test("initialize agrees a revision the client speaks, or offers the newest")
    func versionNegotiation() throws {
        try withTemporaryDirectory { directory in
            let paths = try Self.ledger(directory)
            let client = try Self.client("alice", paths)
            let early = try client.request("tools/list")
            #expect(early["error"]?["code"] == -32600, "\(early.json)")
            #expect(try client.request("ping")["result"] == .object([:]))

            let result = try client.initialize("2025-03-26")
            #expect(result["protocolVersion"] == "2025-03-26")
            #expect(result["serverInfo"]?["name"] == "syncledger")
            #expect(result["capabilities"]?["tools"] != nil)
            #expect(result["capabilities"]?["resources"] != nil)
            // Before 2025-06-18 a tool result carries no structured content.
            let older = try client.call("search_records", ["text": "printer"])
            #expect(older["structuredContent"] == nil)
            #expect(older["content"]?.arrayValue?.first?["type"] == "text")

            let other = try Self.client("alice", paths)
            #expect(try other.initialize("1999-01-01")["protocolVersion"] == "2025-11-25")
            let newer = try other.call("search_records", ["text": "printer"])
            #expect(newer["structuredContent"]?["records"] != nil)
        }
    }

    @Test("malformed messages, unknown methods and bad parameters get JSON-RPC errors")
    func protocolErrors() throws {
        try withTemporaryDirectory { directory in
            let client = try Self.client("alice", try Self.ledger(directory))
            try client.initialize()
            let parse = try #require(try client.send(raw: "{not json"))
            #expect(parse["error"]?["code"] == -32700)
            #expect(parse["id"] == .null)
            let invalid = try #require(
                try client.send(raw: #"{"jsonrpc":"1.0","id":9,"method":"ping"}"#))
            #expect(invalid["error"]?["code"] == -32600)
            #expect(invalid["id"] == 9)
            #expect(try client.request("prompts/get")["error"]?["code"] == -32601)
            let unknown = try client.request(
                "tools/call", ["name": "drop_tables", "arguments": [:]])
            #expect(unknown["error"]?["code"] == -32602)
            let bad = try client.request(
                "tools/call", ["name": "search_records", "arguments": ["colour": "red"]])
            #expect(bad["error"]?["code"] == -32602)
            #expect(bad["error"]?["message"]?.stringValue?.contains("colour") == true)
            let missing = try client.request(
                "tools/call", ["name": "get_record", "arguments": [:]])
            #expect(missing["error"]?["code"] == -32602)
            // A batch answers each request in it, and nothing for a notification.
            let batch = try #require(
                try client.send(
                    raw:
                        #"[{"jsonrpc":"2.0","id":"a","method":"ping"},{"jsonrpc":"2.0","method":"notifications/cancelled"},{"jsonrpc":"2.0","id":"b","method":"ping"}]"#
                ))
            #expect(batch.arrayValue?.map { $0["id"] } == ["a", "b"])
        }
    }

    @Test("tools/list shows a principal only the tools it may call")
    func toolsByPrincipal() throws {
        try withTemporaryDirectory { directory in
            let paths = try Self.ledger(directory)
            let viewer = try Self.client("viewer", paths)
            try viewer.initialize()
            let names = try viewer.request("tools/list")["result"]?["tools"]?.arrayValue?.map {
                $0["name"]
            }
            #expect(names == ["search_records"])
            let refused = try viewer.call("get_record", ["record": "zendesk:ticket/1"])
            #expect(refused["isError"] == true)
            #expect(refused["structuredContent"]?["error"]?["rule"] == "default")

            let alice = try Self.client("alice", paths)
            try alice.initialize()
            let all = try alice.request("tools/list")["result"]?["tools"]?.arrayValue ?? []
            #expect(all.count == 6)
            #expect(all.allSatisfy { $0["inputSchema"]?["type"] == "object" })

            let stranger = try SyncLedgerCLI.run([
                "mcp", "--principal", "mallory", "--config", paths.policy, "--ledger", paths.ledger,
            ])
            #expect(stranger.status == 1)
            #expect(stranger.stderr.contains("'mallory' is not a principal"))
        }
    }

    @Test("row filters and masks hold in search, records, provenance and resources")
    func rowsAndMasks() throws {
        try withTemporaryDirectory { directory in
            let client = try Self.client("alice", try Self.ledger(directory))
            try client.initialize()
            let found = try client.call("search_records", [:])["structuredContent"]
            let records = found?["records"]?.arrayValue?.compactMap { $0["record"]?.stringValue }
            // Ticket 2 is in organisation 8; SUP-2 is outside SUP-1*.
            #expect(
                records?.sorted() == ["jira:issue/SUP-1", "zendesk:ticket/1", "zendesk:ticket/3"])
            #expect(found?["records"]?.arrayValue?.first?["fields"]?["requester_id"] == nil)
            // A masked field matches nothing, by value or by text.
            let byMask = try client.call("search_records", ["where": ["requester_id": 501]])
            #expect(byMask["structuredContent"]?["records"] == [])
            let byText = try client.call("search_records", ["text": "501"])
            #expect(byText["structuredContent"]?["records"] == [])
            let linked = try client.call("search_records", ["linkedTo": "zendesk:ticket/1"])
            #expect(
                linked["structuredContent"]?["records"]?.arrayValue?.first?["record"]
                    == "jira:issue/SUP-1")

            let hidden = try client.call("get_record", ["record": "zendesk:ticket/2"])
            #expect(hidden["isError"] == true)
            #expect(
                hidden["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("VPN") == false
            )
            let shown = try client.call("get_record", ["record": "zendesk:ticket/1"])
            let fields = shown["structuredContent"]?["fields"]
            #expect(fields?["subject"]?["value"] == "Printer jams")
            #expect(fields?["subject"]?["setBy"] == 2)
            #expect(fields?["requester_id"] == nil)
            #expect(
                shown["structuredContent"]?["counterparts"]?.arrayValue?.first?["record"]
                    == "jira:issue/SUP-1")

            let masked = try client.call(
                "explain_field", ["record": "zendesk:ticket/1", "field": "requester_id"])
            #expect(masked["isError"] == true)
            #expect(masked["structuredContent"]?["error"]?["rule"] == "mask")
            #expect(
                masked["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("501") == false
            )
            let explained = try client.call(
                "explain_field", ["record": "zendesk:ticket/1", "field": "subject"])
            #expect(
                explained["structuredContent"]?["chain"]?.arrayValue?.first?["role"] == "observed")
            #expect(
                explained["structuredContent"]?["links"]?.arrayValue?.first?["counterpart"]
                    == "jira:issue/SUP-1")

            let listed = try client.request("resources/list")["result"]?["resources"]?.arrayValue
            #expect(listed?.compactMap { $0["name"]?.stringValue }.sorted() == records?.sorted())
            let read = try client.request(
                "resources/read", ["uri": "syncledger://record/zendesk:ticket/1"])
            let text = try #require(
                read["result"]?["contents"]?.arrayValue?.first?["text"]?.stringValue)
            #expect(try Value(json: text)["fields"]?["requester_id"] == nil)
            #expect(!text.contains("501"))
            let refused = try client.request(
                "resources/read", ["uri": "syncledger://record/zendesk:ticket/2"])
            #expect(refused["error"]?["code"] == -32001)
            #expect(refused["error"]?["message"]?.stringValue?.contains("VPN") == false)
        }
    }

    @Test("proposals spend only the agents' share of a connection's remaining quota")
    func connectionShare() throws {
        try withTemporaryDirectory { directory in
            let paths = try Self.ledger(directory)
            // The sync's last reading of Zendesk: 10 requests left in a window ending in ten
            // minutes. At the default share (0.2), agents may spend two.
            let now = Date()
            let format = ISO8601DateFormatter()
            let budget: Value = [
                "takenAt": .string(format.string(from: now)),
                "connections": [
                    "zendesk": [
                        "remaining": 10,
                        "observedAt": .string(format.string(from: now.addingTimeInterval(-60))),
                        "resetsAt": .string(format.string(from: now.addingTimeInterval(600))),
                    ]
                ],
            ]
            try budget.json.write(
                toFile: paths.ledger + "/budget.json", atomically: true, encoding: .utf8)
            let client = try Self.client("alice", paths)
            try client.initialize()
            for subject in ["First", "Second"] {
                let allowed = try client.call(
                    "propose_change",
                    ["record": "zendesk:ticket/1", "fields": ["subject": .string(subject)]])
                #expect(allowed["isError"] == false, "\(allowed.json)")
            }
            let refused = try client.call(
                "propose_change", ["record": "zendesk:ticket/1", "fields": ["subject": "Third"]])
            let error = refused["structuredContent"]?["error"]
            #expect(error?["rule"] == "agentShare", "\(refused.json)")
            #expect(error?["retryable"] == true)
            #expect((error?["retryAfterMilliseconds"]?.integerValue ?? 0) > 500_000)
            // Jira has no reading: its proposals are held to nothing but the policy.
            let jira = try client.call(
                "propose_change", ["record": "jira:issue/SUP-1", "fields": ["summary": "Fourth"]])
            #expect(jira["isError"] == false, "\(jira.json)")
        }
    }

    @Test("conflicts and audit findings list only what the principal may see")
    func conflictsAndFindings() throws {
        try withTemporaryDirectory { directory in
            let paths = try Self.ledger(directory)
            let appended = try SyncLedgerCLI.append(
                [
                    #"{"kind":"observed","record":"zendesk:ticket/1","upstreamAt":"2026-12-03T10:05:00Z","body":{"source":"webhook","fields":{"subject":"Printer jams again"}}}"#,
                    #"{"kind":"observed","record":"jira:issue/SUP-1","upstreamAt":"2026-12-03T10:06:00Z","body":{"source":"webhook","fields":{"summary":"Printer broken"}}}"#,
                    #"{"kind":"observed","record":"zendesk:ticket/2","upstreamAt":"2026-12-03T10:05:00Z","body":{"source":"webhook","fields":{"subject":"VPN down"}}}"#,
                    #"{"kind":"observed","record":"jira:issue/SUP-2","upstreamAt":"2026-12-03T10:06:00Z","body":{"source":"webhook","fields":{"summary":"VPN broken"}}}"#,
                    #"{"kind":"auditFound","record":"zendesk:ticket/1","body":{"finding":"drift","pair":"support","record":"zendesk:ticket/1","field":"requester_id","ledger":501,"live":777,"detail":"requester_id: ledger 501, live 777"}}"#,
                    #"{"kind":"auditFound","record":"zendesk:ticket/1","body":{"finding":"drift","pair":"support","record":"zendesk:ticket/1","field":"subject","ledger":"a","live":"b","detail":"subject: ledger a, live b"}}"#,
                    #"{"kind":"auditFound","record":"zendesk:ticket/2","body":{"finding":"drift","pair":"support","record":"zendesk:ticket/2","field":"subject","ledger":"c","live":"d","detail":"subject: ledger c, live d"}}"#,
                ], to: directory.ledger)
            try #require(appended.status == 0, "\(appended)")
            let client = try Self.client("alice", paths)
            try client.initialize()

            let conflicts = try client.call("list_conflicts", [:])["structuredContent"]?[
                "conflicts"]?.arrayValue
            #expect(conflicts?.count == 1, "\(String(describing: conflicts))")
            let conflict = conflicts?.first
            #expect(conflict?["left"] == "zendesk:ticket/1")
            #expect(conflict?["conflict"]?["left"] == "Printer jams again")
            #expect(conflict?["conflict"]?["right"] == "Printer broken")
            #expect(conflict?["conflict"]?["resolution"] == "right")

            let findings = try client.call("list_audit_findings", [:])["structuredContent"]?[
                "findings"]?.arrayValue
            #expect(findings?.count == 2)
            // Newest first: the subject finding with its values, then the masked field's
            // finding without them.
            #expect(findings?.first?["field"] == "subject")
            #expect(findings?.first?["live"] == "b")
            #expect(findings?.last?["field"] == "requester_id")
            #expect(findings?.last?["live"] == nil)
            #expect(findings?.last?["detail"] == nil)
            #expect(findings?.contains { $0["record"] == "zendesk:ticket/2" } == false)
        }
    }

    @Test("proposals are held to changeable fields, deny rules, authority and budgets")
    func proposals() throws {
        try withTemporaryDirectory { directory in
            let paths = try Self.ledger(directory)
            let alice = try Self.client("alice", paths)
            try alice.initialize()
            let allowed = try alice.call(
                "propose_change",
                ["record": "zendesk:ticket/1", "fields": ["subject": "Printer jams on floor 2"]])
            #expect(allowed["isError"] == false, "\(allowed.json)")
            let planned = allowed["structuredContent"]?["plannedWrites"]?.arrayValue?.compactMap {
                $0.stringValue
            }
            #expect(
                planned?.sorted() == [
                    #"update jira:issue/SUP-1: summary="Printer jams on floor 2""#,
                    #"update zendesk:ticket/1: subject="Printer jams on floor 2""#,
                ])
            let masked = try alice.call(
                "propose_change", ["record": "zendesk:ticket/1", "fields": ["requester_id": 9]])
            #expect(masked["structuredContent"]?["error"]?["rule"] == "own-tickets")
            let owned = try alice.call(
                "propose_change", ["record": "jira:issue/SUP-1", "fields": ["priority": "High"]])
            #expect(owned["structuredContent"]?["error"]?["rule"] == "authority")

            let bot = try Self.client("triage-bot", paths)
            try bot.initialize()
            let escalated = try bot.call(
                "propose_change", ["record": "zendesk:ticket/3", "fields": ["subject": "Fire"]])
            #expect(escalated["structuredContent"]?["error"]?["rule"] == "no-escalation")
            for _ in 0..<2 {
                #expect(
                    try bot.call("get_record", ["record": "zendesk:ticket/1"])["isError"] == false)
            }
            let over = try bot.call("get_record", ["record": "zendesk:ticket/1"])
            #expect(over["structuredContent"]?["error"]?["code"] == "overBudget")
            #expect(over["structuredContent"]?["error"]?["retryable"] == true)
            let wait = over["structuredContent"]?["error"]?["retryAfterMilliseconds"]?.integerValue
            #expect((wait ?? 0) > 60_000)

            // The plan is the projection's: it stands without the gateway.
            let plan = try SyncLedgerCLI.run(["plan", "--ledger", paths.ledger])
            #expect(plan.stdout.contains(#"summary="Printer jams on floor 2""#), "\(plan)")

            let log = try SyncLedgerCLI.logJSON(
                URL(fileURLWithPath: paths.ledger), ["--kind", "agentActed"])
            let calls = try log.lines.map { try Value(json: $0) }
            #expect(
                calls.map { $0["body"]?["decision"] } == [
                    "allow", "deny", "deny", "deny", "allow", "allow", "deny",
                ])
            #expect(
                calls.map { $0["body"]?["rule"] } == [
                    "own-tickets", "own-tickets", "authority", "no-escalation", "own-tickets",
                    "own-tickets", "budget",
                ])
            #expect(calls[0]["body"]?["change"] == ["subject": "Printer jams on floor 2"])
            #expect(calls[0]["record"] == "zendesk:ticket/1")
            #expect(calls[3]["body"]?["actsFor"] == "alice")
            #expect(calls.allSatisfy { $0["body"]?["arguments"]?.stringValue?.count == 64 })
        }
    }
}
