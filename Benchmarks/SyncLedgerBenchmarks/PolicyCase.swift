import Agents
import Ledger

/// The `policy` case: decisions of a compiled policy of 50 principals and 200 rules, each timed
/// alone, next to the same decisions made by reading the policy's rules as written, one by
/// one, for every call.
enum PolicyCase {
    /// The name that selects the case on the command line.
    static let name = "policy"

    /// One line saying what the case measures.
    static let summary =
        "1,000,000 policy decisions (50 principals, 200 rules), against reading the rules as written"

    static let seed: UInt64 = 0x5eed_0000_0911_0001
    static let kinds = [("zendesk", "ticket"), ("jira", "issue"), ("github", "issue")]
    static let statuses: [Value] = ["new", "open", "pending", "solved", "closed"]
    static let fieldNames = ["subject", "priority", "status", "tags", "assignee_id"]

    /// Runs the case and prints its report; the last line holds the percentiles.
    static func run() async throws {
        let count = try environmentInteger("SYNCLEDGER_BENCH_DECISIONS", default: 1_000_000)
        var random = SeededGenerator(seed: seed)
        let policy = makePolicy(&random)
        let requests = (0..<10_000).map { _ in Request(&random, policy: policy) }
        let (point, compileTime) = measure { PolicyDecisionPoint(policy) }
        report(
            "case policy: \(count) decisions, \(policy.principals.count) principals, "
                + "\(policy.rules.count) rules; compiled in "
                + "\(fixed(compileTime.seconds * 1000, decimals: 2)) ms")

        var samples = [Int64](repeating: 0, count: count)
        var allowed = 0
        let clock = ContinuousClock()
        for index in 0..<count {
            let request = requests[index % requests.count]
            let start = clock.now
            let decision = request.decide(point)
            let elapsed = start.duration(to: clock.now)
            samples[index] = elapsed.components.attoseconds / 1_000_000_000
            if decision.allowed {
                allowed += 1
            }
        }
        let naive = measure {
            var allowedNaively = 0
            for index in 0..<min(count, 100_000)
            where requests[index % requests.count].decide(policy) {
                allowedNaively += 1
            }
            return allowedNaively
        }
        // Both readings must agree, or the figures compare different work.
        var disagreements = 0
        for request in requests where request.decide(point).allowed != request.decide(policy) {
            disagreements += 1
        }
        guard disagreements == 0 else {
            throw BenchmarkError(
                "the compiled policy and the rules read as written disagree on "
                    + "\(disagreements) of \(requests.count) requests")
        }
        samples.sort()
        let total = samples.reduce(0, +)
        let naiveMean = naive.duration.seconds * 1e6 / Double(min(count, 100_000))
        report(
            "  allowed \(allowed) of \(count) (\(fixed(Double(allowed) * 100 / Double(count), decimals: 1))%); "
                + "mean \(fixed(Double(total) / Double(count) / 1000, decimals: 3)) µs")
        report(
            "baseline: the rules read as written, every call: mean "
                + "\(fixed(naiveMean, decimals: 3)) µs per decision; ratio "
                + "\(fixed(naiveMean / (Double(total) / Double(count) / 1000), decimals: 1))")
        report(
            "policy: p50 \(microseconds(samples[count / 2])) µs, p99 "
                + "\(microseconds(samples[count * 99 / 100])) µs per decision")
    }

    static func microseconds(_ nanoseconds: Int64) -> String {
        fixed(Double(nanoseconds) / 1000, decimals: 3)
    }

    /// 40 users with three organisations each, and 10 agents acting for them; 200 rules over
    /// three kinds of record, about one in ten a refusal.
    static func makePolicy(_ random: inout SeededGenerator) -> AgentPolicy {
        var principals: [AgentPolicy.Principal] = []
        for user in 0..<40 {
            let organisations = (0..<3).map { _ in
                Value.integer(Int64.random(in: 1...100, using: &random))
            }
            principals.append(
                .init(name: "user-\(user)", attributes: ["organizations": organisations]))
        }
        for agent in 0..<10 {
            principals.append(.init(name: "agent-\(agent)", actsFor: "user-\(agent * 4)"))
        }
        let tools = GatewayTool.names
        var rules: [AgentPolicy.Rule] = []
        for index in 0..<200 {
            let (connection, type) = kinds[index % kinds.count]
            let names = (0..<Int.random(in: 1...5, using: &random)).map { _ in
                principals.randomElement(using: &random)!.name
            }
            var rule = AgentPolicy.Rule(
                name: "rule-\(index)", effect: index % 10 == 9 ? .deny : .allow, principals: names,
                tools: index % 7 == 0 ? ["*"] : Array(tools.shuffled(using: &random).prefix(3)),
                records: .init(connection: connection, recordType: type))
            switch index % 4 {
            case 0:
                rule.conditions = [
                    .init(field: "organization_id", allowed: .attribute("organizations"))
                ]
            case 1:
                rule.conditions = [
                    .init(
                        field: "status",
                        allowed: .values(Array(statuses.shuffled(using: &random).prefix(2))))
                ]
            case 2:
                rule.conditions = [
                    .init(field: "id", allowed: .values([.string("SUP-\(index % 9)*")]))
                ]
            default:
                break
            }
            rule.mask = index % 3 == 0 ? ["requester_id"] : []
            rule.change = Array(fieldNames.shuffled(using: &random).prefix(2))
            rules.append(rule)
        }
        return AgentPolicy(principals: principals, rules: rules)
    }

    /// One question: a principal, a tool, a record with its fields, perhaps a change.
    struct Request {
        let principal: String
        let tool: String
        let record: RecordReference
        let fields: [String: Value]
        let changing: [String]

        init(_ random: inout SeededGenerator, policy: AgentPolicy) {
            principal = policy.principals.randomElement(using: &random)!.name
            tool = GatewayTool.names.randomElement(using: &random)!
            let (connection, type) = PolicyCase.kinds.randomElement(using: &random)!
            record = RecordReference(
                connection: connection, recordType: type,
                remoteID: "SUP-\(Int.random(in: 1...999, using: &random))")
            fields = [
                "organization_id": .integer(Int64.random(in: 1...100, using: &random)),
                "status": PolicyCase.statuses.randomElement(using: &random)!,
                "priority": "normal",
            ]
            changing =
                tool == "propose_change"
                ? [PolicyCase.fieldNames.randomElement(using: &random)!] : []
        }

        func decide(_ point: PolicyDecisionPoint) -> Decision {
            point.decide(principal: principal, tool: tool, record: record, changing: changing) {
                fields[$0]
            }
        }

        /// The same question answered from the rules as written: every rule looked at, the
        /// principal's user and attributes found again each time.
        func decide(_ policy: AgentPolicy) -> Bool {
            guard let me = policy.principals.first(where: { $0.name == principal }) else {
                return false
            }
            let user = me.actsFor.flatMap { name in policy.principals.first { $0.name == name } }
            var attributes = user?.attributes ?? [:]
            attributes.merge(me.attributes) { _, own in own }
            let names = [principal, "*"] + (user.map { [$0.name] } ?? [])
            var granted: AgentPolicy.Rule?
            for rule in policy.rules
            where rule.principals.contains(where: names.contains)
                && (rule.tools.contains(tool) || rule.tools.contains("*"))
                && (rule.records?.contains(
                    connection: record.connection, recordType: record.recordType) ?? true)
                && rule.conditions.allSatisfy({ holds($0, attributes) })
            {
                if rule.effect == .deny {
                    return false
                }
                if granted == nil || (!changing.isEmpty && !mayChange(granted!) && mayChange(rule))
                {
                    granted = rule
                }
            }
            guard let granted else {
                return false
            }
            let masked = policy.rules.filter {
                $0.principals.contains(where: names.contains)
                    && ($0.records?.contains(
                        connection: record.connection, recordType: record.recordType) ?? true)
            }.flatMap(\.mask)
            return changing.allSatisfy { !masked.contains($0) } && mayChange(granted)
        }

        func mayChange(_ rule: AgentPolicy.Rule) -> Bool {
            rule.change.contains("*") || changing.allSatisfy(rule.change.contains)
        }

        func holds(_ condition: AgentPolicy.Condition, _ attributes: [String: [Value]]) -> Bool {
            let value =
                condition.field == "id" ? Value.string(record.remoteID) : fields[condition.field]
            let allowed: [Value]
            switch condition.allowed {
            case .values(let values): allowed = values
            case .attribute(let name): allowed = attributes[name] ?? []
            }
            guard let value else {
                return false
            }
            return allowed.contains { candidate in
                if case .string(let pattern) = candidate, pattern.hasSuffix("*"),
                    case .string(let text) = value
                {
                    return text.hasPrefix(pattern.dropLast())
                }
                return candidate == value
            }
        }
    }
}
