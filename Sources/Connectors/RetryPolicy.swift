import Synchronization

/// Where randomness comes from, injected so that backoff and its tests repeat.
public protocol RandomSource: Sendable {
    /// A number in `0..<1`.
    func unit() -> Double
}

/// SplitMix64 behind a lock: the same seed gives the same numbers.
public final class SeededRandomSource: RandomSource {
    private let state: Mutex<UInt64>

    /// A source starting from `seed`.
    public init(seed: UInt64) {
        state = Mutex(seed)
    }

    /// The next number in `0..<1`.
    public func unit() -> Double {
        let bits = state.withLock { state -> UInt64 in
            state &+= 0x9e37_79b9_7f4a_7c15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
            return mixed ^ (mixed >> 31)
        }
        return Double(bits >> 11) / Double(UInt64(1) << 53)
    }
}

/// How long to wait, injected so that tests can run waits without spending them.
public protocol Sleeper: Sendable {
    /// Returns after `duration`, or throws when the task is cancelled.
    func sleep(for duration: Duration) async throws
}

/// Waits on the continuous clock.
public struct ClockSleeper: Sleeper {
    /// Creates the sleeper.
    public init() {}

    /// Sleeps on the task.
    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

/// When and how often a failed request is tried again: exponential backoff with full jitter,
/// a cap on attempts and on the total time spent waiting.
public struct RetryPolicy: Sendable {
    /// The most attempts at one request, the first included. Defaults to 5.
    public var maximumAttempts = 5
    /// The first backoff ceiling; it doubles with each attempt. Defaults to 200 ms.
    public var baseDelay: Duration = .milliseconds(200)
    /// The largest backoff ceiling. Defaults to 20 s.
    public var maximumDelay: Duration = .seconds(20)
    /// The most time spent waiting between attempts of one request. Defaults to 60 s.
    public var maximumTotalWait: Duration = .seconds(60)

    /// The defaults.
    public init() {}

    /// The wait before attempt `attempt + 1`, after `attempt` failures: a uniformly random
    /// duration between zero and the ceiling `base × 2^(attempt − 1)`, capped ("full jitter").
    public func backoff(afterAttempt attempt: Int, random: any RandomSource) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(baseDelay * (1 << exponent), maximumDelay)
        return ceiling * random.unit()
    }

    /// Whether a request that got `status` may be tried again: server errors and 429.
    public static func isRetryable(status: Int) -> Bool {
        status == 429 || (500...599).contains(status)
    }
}
