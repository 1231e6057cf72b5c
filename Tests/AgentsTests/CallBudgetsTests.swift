import Agents
import Synchronization
import Testing

@Suite("Call budgets")
struct CallBudgetsTests {
    /// A clock the test moves by hand.
    final class ManualClock: Sendable {
        let time = Mutex(Duration.zero)

        func advance(_ duration: Duration) {
            time.withLock { $0 += duration }
        }
    }

    static let policy = AgentPolicy(
        principals: [.init(name: "bot"), .init(name: "alice")], rules: [],
        budgets: [
            .init(principals: ["*"], tools: ["*"], calls: 3, period: .seconds(60)),
            .init(principals: ["bot"], tools: ["propose_change"], calls: 1, period: .seconds(3600)),
        ])

    @Test("a burst up to the allowance passes; past it, the call is told when to try again")
    func tokenBucket() {
        let clock = ManualClock()
        let budgets = CallBudgets(Self.policy) { clock.time.withLock { $0 } }
        for _ in 0..<3 {
            #expect(budgets.spend(principal: "alice", tool: "get_record") == nil)
        }
        let refused = budgets.spend(principal: "alice", tool: "get_record")
        #expect(refused?.budget.calls == 3)
        #expect(refused?.retryAfter == .seconds(20))
        // Each principal has a budget of its own.
        #expect(budgets.spend(principal: "bot", tool: "get_record") == nil)
        clock.advance(.seconds(20))
        #expect(budgets.spend(principal: "alice", tool: "get_record") == nil)
        #expect(budgets.spend(principal: "alice", tool: "get_record") != nil)
    }

    @Test("every budget that counts a call must have room, and a refusal spends none")
    func overlappingBudgets() {
        let clock = ManualClock()
        let budgets = CallBudgets(Self.policy) { clock.time.withLock { $0 } }
        #expect(budgets.spend(principal: "bot", tool: "propose_change") == nil)
        let refused = budgets.spend(principal: "bot", tool: "propose_change")
        #expect(refused?.budget.tools == ["propose_change"])
        // The refused proposal took nothing from the shared budget: two calls remain there.
        #expect(budgets.spend(principal: "bot", tool: "get_record") == nil)
        #expect(budgets.spend(principal: "bot", tool: "get_record") == nil)
        #expect(budgets.spend(principal: "bot", tool: "get_record")?.budget.calls == 3)
    }
}
