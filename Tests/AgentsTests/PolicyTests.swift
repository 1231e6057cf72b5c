import Agents
import Ledger
import Mapping
import Testing

@Suite("Policy decisions")
struct PolicyTests {
    static let text = """
        agents:
          principals:
            alice:
              attributes:
                organizations: [101, 102]
            bot:
              actsFor: alice
              attributes:
                organizations: [103]
            carol: {}
          rules:
            - name: tickets
              principals: [alice]
              tools: ["*"]
              records: zendesk:ticket
              where:
                organization_id: $organizations
              mask: [requester_id]
              change: [priority, tags]
            - name: issues
              principals: [carol]
              tools: [get_record, propose_change]
              records: jira:*
              where:
                id: ["SUP-*", "OPS-7"]
              change: ["*"]
            - name: bot-never-closes
              effect: deny
              principals: [bot]
              tools: [propose_change]
              records: zendesk:ticket
              where:
                status: [solved, closed]
        """

    static func decisions() throws -> PolicyDecisionPoint {
        PolicyDecisionPoint(try PolicyReader.policy(text: text, path: "syncledger.yaml"))
    }

    static func row(_ fields: [String: Value]) -> (String) -> Value? {
        { fields[$0] }
    }

    @Test("a principal may call only the tools a rule grants it")
    func toolGrants() throws {
        let point = try Self.decisions()
        #expect(point.decide(principal: "alice", tool: "search_records").allowed)
        let carol = point.decide(principal: "carol", tool: "search_records")
        #expect(!carol.allowed)
        #expect(carol.rule == "default")
        let stranger = point.decide(principal: "mallory", tool: "get_record")
        #expect(!stranger.allowed)
        #expect(stranger.rule == "principals")
    }

    @Test("row filters: literal values, a principal's attribute, and id patterns")
    func rowFilters() throws {
        let point = try Self.decisions()
        let ticket = RecordReference(connection: "zendesk", recordType: "ticket", remoteID: "9")
        let own = point.decide(
            principal: "alice", tool: "get_record", record: ticket,
            field: Self.row(["organization_id": 102]))
        #expect(own.allowed)
        #expect(own.rule == "tickets")
        // The same organisation spelt as text is the same organisation.
        #expect(
            point.decide(
                principal: "alice", tool: "get_record", record: ticket,
                field: Self.row(["organization_id": "101"])
            ).allowed)
        let other = point.decide(
            principal: "alice", tool: "get_record", record: ticket,
            field: Self.row(["organization_id": 555]))
        #expect(!other.allowed)
        #expect(!other.reason.contains("555"))
        let missing = point.decide(
            principal: "alice", tool: "get_record", record: ticket, field: Self.row([:]))
        #expect(!missing.allowed)

        for (id, allowed) in [
            ("SUP-12", true), ("OPS-7", true), ("OPS-70", false), ("SEC-1", false),
        ] {
            let issue = RecordReference(connection: "jira", recordType: "issue", remoteID: id)
            let decision = point.decide(
                principal: "carol", tool: "get_record", record: issue, field: Self.row([:]))
            #expect(decision.allowed == allowed, "\(id): \(decision)")
        }
    }

    @Test("an agent has its user's grants, with its own attributes, narrowed by deny rules")
    func agentsActForUsers() throws {
        let point = try Self.decisions()
        let ticket = RecordReference(connection: "zendesk", recordType: "ticket", remoteID: "4")
        // The agent's own attribute replaces its user's.
        #expect(
            point.decide(
                principal: "bot", tool: "get_record", record: ticket,
                field: Self.row(["organization_id": 103])
            ).allowed)
        #expect(
            !point.decide(
                principal: "bot", tool: "get_record", record: ticket,
                field: Self.row(["organization_id": 101])
            ).allowed)
        let solved = Self.row(["organization_id": 103, "status": "solved"])
        let denied = point.decide(
            principal: "bot", tool: "propose_change", record: ticket, changing: ["priority"],
            field: solved)
        #expect(!denied.allowed)
        #expect(denied.rule == "bot-never-closes")
        // The user is not narrowed by the agent's deny rule.
        #expect(
            point.decide(
                principal: "alice", tool: "propose_change", record: ticket,
                changing: ["priority"],
                field: Self.row(["organization_id": 101, "status": "solved"])
            ).allowed)
    }

    @Test("masks hide fields from every tool, and neither masked nor unlisted fields change")
    func masksAndChanges() throws {
        let point = try Self.decisions()
        let ticket = RecordReference(connection: "zendesk", recordType: "ticket", remoteID: "4")
        #expect(point.mask(principal: "alice", record: ticket) == ["requester_id"])
        #expect(point.mask(principal: "bot", record: ticket) == ["requester_id"])
        let row = Self.row(["organization_id": 101])
        let subject = point.decide(
            principal: "alice", tool: "propose_change", record: ticket, changing: ["subject"],
            field: row)
        #expect(!subject.allowed)
        #expect(subject.reason.contains("subject"))
        #expect(
            point.decide(
                principal: "alice", tool: "propose_change", record: ticket,
                changing: ["priority", "tags"], field: row
            ).allowed)
        let issue = RecordReference(connection: "jira", recordType: "issue", remoteID: "SUP-1")
        #expect(
            point.decide(
                principal: "carol", tool: "propose_change", record: issue,
                changing: ["summary", "labels"], field: Self.row([:])
            ).allowed)
    }

    @Test("problems in the agents section are reported with line and column")
    func problems() throws {
        let text = """
            agents:
              principals:
                bot:
                  actsFor: nobody
              rules:
                - name: r1
                  principals: [ghost]
                  tools: [serch_records]
                  records: zendesk
                  efect: deny
                - principals: [bot]
                  tools: ["*"]
              budgets:
                - principals: [bot]
                  calls: many
                  per: 1m
            """
        do {
            _ = try PolicyReader.policy(text: text, path: "p.yaml")
            Issue.record("the section was read")
        } catch {
            let lines = error.problems.map(\.description)
            #expect(lines.contains { $0.hasPrefix("p.yaml:4:") && $0.contains("'nobody'") })
            #expect(lines.contains { $0.hasPrefix("p.yaml:7:") && $0.contains("'ghost'") })
            #expect(lines.contains { $0.hasPrefix("p.yaml:8:") && $0.contains("serch_records") })
            #expect(lines.contains { $0.hasPrefix("p.yaml:9:") && $0.contains("connection:type") })
            #expect(lines.contains { $0.hasPrefix("p.yaml:10:") && $0.contains("'effect'") })
            #expect(lines.contains { $0.hasPrefix("p.yaml:11:") && $0.contains("needs a 'name'") })
            #expect(lines.contains { $0.hasPrefix("p.yaml:15:") && $0.contains("'calls'") })
        }
        #expect(try PolicyReader.policy(text: "connections: {}\n", path: "p.yaml") == .empty)
    }
}
