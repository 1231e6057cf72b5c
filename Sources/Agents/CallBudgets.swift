import Ledger
import Synchronization

/// The call budgets of a policy, spent as calls are made: each budget gives each principal it
/// names its own allowance of calls per period, refilled evenly (a token bucket), so a burst
/// up to the allowance passes and a loop past it is told when to try again.
public final class CallBudgets: Sendable {
    private struct Bucket {
        var tokens: Double
        var updatedAt: Duration
    }

    private let budgets: [AgentPolicy.Budget]
    private let buckets = Mutex<[BucketKey: Bucket]>([:])
    private let now: @Sendable () -> Duration

    private struct BucketKey: Hashable {
        var budget: Int
        var principal: String
    }

    /// The budgets of `policy`, timed by `now` (any monotonic clock; tests pass their own).
    public init(_ policy: AgentPolicy, now: @escaping @Sendable () -> Duration = CallBudgets.uptime)
    {
        budgets = policy.budgets
        self.now = now
    }

    /// A monotonic clock: the time since this process started.
    public static let uptime: @Sendable () -> Duration = {
        let origin = ContinuousClock.Instant.now
        return { ContinuousClock.Instant.now - origin }
    }()

    /// Spends one call of `tool` by `principal` from every budget that counts it; `nil` when
    /// all had room, else the budget that had none and how long until it has.
    public func spend(principal: String, tool: String) -> Exhausted? {
        let time = now()
        return buckets.withLock { buckets in
            var applicable: [(key: BucketKey, budget: AgentPolicy.Budget)] = []
            for (index, budget) in budgets.enumerated()
            where (budget.principals.contains(principal) || budget.principals.contains("*"))
                && (budget.tools.contains(tool) || budget.tools.contains("*"))
            {
                applicable.append((BucketKey(budget: index, principal: principal), budget))
            }
            // Every bucket is checked before any is spent, so a refused call costs nothing.
            var refilled: [Bucket] = []
            for (key, budget) in applicable {
                var bucket = buckets[key] ?? Bucket(tokens: Double(budget.calls), updatedAt: time)
                let rate = Double(budget.calls) / Self.seconds(budget.period)
                bucket.tokens = min(
                    Double(budget.calls),
                    bucket.tokens + Self.seconds(time - bucket.updatedAt) * rate)
                bucket.updatedAt = time
                if bucket.tokens < 1 {
                    buckets[key] = bucket
                    let wait = (1 - bucket.tokens) / rate
                    return Exhausted(
                        budget: budget, retryAfter: .milliseconds(Int64((wait * 1000).rounded(.up)))
                    )
                }
                refilled.append(bucket)
            }
            for ((key, _), var bucket) in zip(applicable, refilled) {
                bucket.tokens -= 1
                buckets[key] = bucket
            }
            return nil
        }
    }

    /// A budget with no call left.
    public struct Exhausted: Sendable, Hashable {
        /// The budget.
        public var budget: AgentPolicy.Budget
        /// How long until it allows one more call.
        public var retryAfter: Duration
    }

    private static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
