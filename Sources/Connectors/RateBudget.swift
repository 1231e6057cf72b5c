import Ledger
import Synchronization

/// A connection's request budget, learnt from the provider's answers.
///
/// Every answer's headers say how many requests remain and when the window resets
/// (`X-Rate-Limit-Remaining`, `ratelimit-remaining`/`ratelimit-reset`, `X-RateLimit-Remaining`/
/// `X-RateLimit-Reset`, `x-ratelimit-*`). The budget spends what remains evenly over what is
/// left of the window instead of bursting into 429s, and a `Retry-After` always wins: nothing is
/// sent before it passes. Shares split one budget between consumers (sync, audit, agent), each
/// pacing itself on its fraction of what remains.
public final class RateBudget: Sendable {
    private struct State {
        var remaining: Int?
        var resetAt: Duration?
        var blockedUntil: Duration = .zero
        var nextSlot: Duration = .zero
    }

    private let state = Mutex(State())
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant

    /// A budget that knows nothing yet: it lets requests through until answers tell it more.
    public init() {
        origin = clock.now
    }

    private var now: Duration { clock.now - origin }

    /// How long a request on `share` (a fraction of the budget, 1 for all of it) must wait
    /// before it may be sent, and reserves its place.
    public func delay(share: Double = 1) -> Duration {
        state.withLock { state in
            let now = self.now
            var start = max(now, state.blockedUntil)
            if let remaining = state.remaining, let resetAt = state.resetAt, resetAt > now {
                let available = Double(remaining) * max(min(share, 1), 0.01)
                if available < 1 {
                    start = max(start, resetAt)
                } else {
                    let spacing = (resetAt - now) / available
                    start = max(start, state.nextSlot)
                    state.nextSlot = start + spacing
                }
            }
            return start - now
        }
    }

    /// Learns from an answer's headers; `Retry-After` (seconds) blocks every request until it
    /// passes.
    public func learn(from response: ConnectorResponse) {
        let headers = response.headers
        let remaining = Self.firstInteger(
            headers, ["x-rate-limit-remaining", "ratelimit-remaining", "x-ratelimit-remaining"])
        let resetSeconds = Self.resetSeconds(headers)
        let retryAfter = headers["retry-after"].flatMap { Double($0) }
        state.withLock { state in
            let now = self.now
            if let remaining {
                state.remaining = remaining
                state.resetAt = now + .seconds(resetSeconds ?? 60)
            }
            if let retryAfter {
                state.blockedUntil = max(
                    state.blockedUntil, now + .milliseconds(Int(retryAfter * 1_000)))
            }
        }
    }

    private static func firstInteger(_ headers: [String: String], _ names: [String]) -> Int? {
        names.lazy.compactMap { headers[$0].flatMap { Int($0.trimmingCharacters()) } }.first
    }

    /// Seconds until the window resets: `ratelimit-reset` as seconds, or `X-RateLimit-Reset`
    /// as an ISO 8601 time (taken relative to now) or epoch seconds.
    private static func resetSeconds(_ headers: [String: String]) -> Double? {
        if let seconds = headers["ratelimit-reset"].flatMap({ Double($0) }) {
            return seconds
        }
        guard let reset = headers["x-ratelimit-reset"] else {
            return nil
        }
        let now = SystemClock().now()
        if let epoch = Double(reset), epoch > 1_000_000_000 {
            return max(epoch - Double(now.microseconds) / 1_000_000, 0)
        }
        if let time = Timestamp(rfc3339: reset) {
            return max(Double(time.microseconds - now.microseconds) / 1_000_000, 0)
        }
        return nil
    }
}

extension String {
    fileprivate func trimmingCharacters() -> String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
