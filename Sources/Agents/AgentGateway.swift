import Engine
import Foundation
import Ledger
import Reconcile

/// What agents reach SyncLedger through: the tools and resources over a ledger's sync
/// projection, each call decided by the policy in process, held to its budgets, and recorded
/// as an `agentActed` event, allowed or denied.
///
/// The gateway reads the log and the projection; it writes only `agentActed` events, opening
/// the ledger for each (so a sync may run between calls). A call that cannot be recorded is
/// not performed. An agent never calls a provider: a proposed change is an event the next
/// sync writes.
public final class AgentGateway: Sendable {
    /// The ledger directory.
    public let ledger: String
    /// The principal every call is made under.
    public let principal: String
    /// The compiled policy.
    public let decisions: PolicyDecisionPoint
    /// The call budgets, spent as calls are allowed.
    public let budgets: CallBudgets
    let log: EventLog
    let store: ProjectionStore
    let now: @Sendable () -> Timestamp

    /// A gateway for `principal` over the log `log` (which may be read-only) and the sync
    /// projection `store` of the ledger at `ledger`.
    public init(
        ledger: String, log: EventLog, store: ProjectionStore, principal: String,
        policy: AgentPolicy, budgets: CallBudgets? = nil,
        now: @escaping @Sendable () -> Timestamp = { SystemClock().now() }
    ) {
        self.ledger = ledger
        self.log = log
        self.store = store
        self.principal = principal
        self.decisions = PolicyDecisionPoint(policy)
        self.actsFor = policy.principals.first { $0.name == principal }?.actsFor
        self.budgets = budgets ?? CallBudgets(policy)
        self.now = now
    }

    /// The user the principal acts for, if it is an agent.
    public let actsFor: String?

    /// The tools the principal may call, in catalogue order: `tools/list` shows only these.
    public var tools: [GatewayTool] {
        GatewayTool.allCases.filter {
            decisions.decide(principal: principal, tool: $0.rawValue).allowed
        }
    }

    /// Calls `tool` with `arguments`: decides, spends the budget, records the call, and
    /// answers. Denials, exhausted budgets and unknown records are answers with
    /// ``ToolOutcome/isError`` set; a tool that does not exist or arguments that do not read
    /// throw ``GatewayError``, after the attempt is recorded.
    public func call(_ name: String, arguments: ValueObject) async throws -> ToolOutcome {
        let digest = Digest.sha256(Value.object(arguments).encoded).description
        guard let tool = GatewayTool(rawValue: name) else {
            try await record(
                name, digest: digest, record: nil,
                Decision(allowed: false, rule: "tools", reason: "no tool is called \(name)"))
            throw GatewayError.unknownTool(name)
        }
        let request: ToolRequest
        do {
            request = try ToolRequest(tool, arguments)
        } catch {
            try await record(
                name, digest: digest, record: nil,
                Decision(allowed: false, rule: "arguments", reason: error.description))
            throw error
        }
        try catchUp()
        let answer = try answer(request)
        var decision = answer.decision
        if decision.allowed, let exhausted = budgets.spend(principal: principal, tool: name) {
            decision = Self.overBudget(exhausted)
            try await record(name, digest: digest, record: request.record, decision)
            return .failure(decision, retryAfter: exhausted.retryAfter)
        }
        let appended = try await record(
            name, digest: digest, record: request.record, decision,
            change: decision.allowed ? answer.change : nil)
        guard decision.allowed else {
            return .failure(decision, retryAfter: answer.retryAfter)
        }
        if tool == .proposeChange {
            try catchUp()
            return ToolOutcome(content: try proposalResult(request, at: appended))
        }
        return ToolOutcome(content: answer.content ?? .null)
    }

    /// Applies the events appended since the last call to the projection.
    func catchUp() throws {
        try Projector(log: log, store: store, projection: SyncProjection()).catchUp()
    }

    /// Appends the call's `agentActed` event, retrying for a while when a sync holds the
    /// ledger; returns its position.
    @discardableResult
    func record(
        _ tool: String, digest: String, record: RecordReference?, _ decision: Decision,
        change: ValueObject? = nil
    ) async throws -> SequenceNumber {
        let action = AgentAction(
            principal: principal, actsFor: actsFor, tool: tool, argumentsDigest: digest,
            allowed: decision.allowed, rule: decision.rule, reason: decision.reason, change: change)
        let event = action.event(record)
        var wait = Duration.milliseconds(20)
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            do {
                let writer = try EventLog.open(at: ledger)
                defer { writer.close() }
                guard let appended = try await writer.append([event]).first else {
                    throw LedgerError(.corrupt, "the ledger acknowledged no event for the call")
                }
                return appended.sequence
            } catch let error as LedgerError where error.code == .locked {
                guard ContinuousClock.now + wait < deadline else {
                    throw GatewayError.unrecorded(error.message)
                }
                try await Task.sleep(for: wait)
                wait = min(wait * 2, .milliseconds(500))
            }
        }
    }

    static func overBudget(_ exhausted: CallBudgets.Exhausted) -> Decision {
        let budget = exhausted.budget
        return Decision(
            allowed: false, rule: "budget",
            reason: "over budget: \(budget.calls) calls per \(budget.period.compactDescription) "
                + "for \(budget.tools.joined(separator: ", ")); try again in "
                + "\(exhausted.retryAfter.compactDescription)")
    }
}

/// What a tool answered.
public struct ToolOutcome: Sendable {
    /// The result, as JSON: the tool's data, or for an error its code, rule and reason.
    public var content: Value
    /// Whether the call was refused or failed.
    public var isError: Bool

    /// A successful answer.
    public init(content: Value) {
        self.content = content
        self.isError = false
    }

    /// A refusal by `decision`; `retryAfter` when waiting will help.
    static func failure(_ decision: Decision, retryAfter: Duration? = nil) -> ToolOutcome {
        var error: ValueObject = [
            "code": .string(retryAfter == nil ? "denied" : "overBudget"),
            "rule": .string(decision.rule), "reason": .string(decision.reason),
        ]
        if let retryAfter {
            error["retryAfterMilliseconds"] = .integer(retryAfter.wholeMilliseconds)
            error["retryable"] = true
        }
        var outcome = ToolOutcome(content: ["error": .object(error)])
        outcome.isError = true
        return outcome
    }
}

/// A call the gateway could not take.
public enum GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No tool has this name.
    case unknownTool(String)
    /// The arguments do not read: which and why.
    case invalidArguments(String)
    /// The call could not be recorded, so it was not performed.
    case unrecorded(String)

    /// What went wrong, for the agent.
    public var description: String {
        switch self {
        case .unknownTool(let name):
            "no tool is called '\(name)'; the tools are \(GatewayTool.names.joined(separator: ", "))"
        case .invalidArguments(let message):
            "invalid arguments: \(message)"
        case .unrecorded(let message):
            "the call was not performed because it could not be recorded: \(message)"
        }
    }
}

extension Duration {
    /// The duration in whole milliseconds, rounded down.
    var wholeMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// `250ms`, `12s`, `1m`.
    var compactDescription: String {
        let milliseconds = wholeMilliseconds
        if milliseconds < 1000 {
            return "\(milliseconds)ms"
        }
        if milliseconds % 60_000 == 0 {
            return "\(milliseconds / 60_000)m"
        }
        return "\((milliseconds + 999) / 1000)s"
    }
}
